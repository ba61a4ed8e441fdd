//! `hasim report`: loads the models, runs them as `hasim compare` does and
//! writes the design review that [`sim_render::review`] renders (HTML, or
//! Markdown with its charts as SVG files beside it).

use crate::commands;
use crate::{output, SimOptions};
use anyhow::{anyhow, bail, Result};
use sim_core::plan::design;
use sim_render::review::{self, Format, Review};
use sim_render::summary::DesignSearch;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// What the review's first page searches: the cheapest design of each
/// model's `[design]` space meeting a target.
pub struct SearchArgs<'a> {
    /// The availability target for every service; without it, each
    /// service's own `target`.
    pub target: Option<&'a str>,
    /// Skip the design search (it simulates every design).
    pub skip: bool,
}

pub fn report(
    paths: &[PathBuf],
    out: &str,
    format: Option<&str>,
    search: SearchArgs<'_>,
    sim: &SimOptions,
) -> Result<ExitCode> {
    // Everything that can be wrong with the arguments fails before a run.
    let format = match format {
        Some(f) => Format::named(f),
        None => Format::of_path(out),
    }
    .map_err(|e| anyhow!(e))?;
    // `-o -` writes the document to stdout: a pull-request comment (gfm)
    // or a page piped on, but not Markdown, whose charts are files.
    let to_stdout = out == "-";
    if to_stdout && format == Format::Markdown {
        bail!("-o - with Markdown: its charts are files beside it; give a file name, or --format gfm (no charts) or html");
    }
    if !to_stdout {
        output::check_writable(out)?;
    }
    let target = search
        .target
        .map(|t| design::parse_target(t).map_err(|e| anyhow!("{e}")))
        .transpose()?;
    let opts = commands::options(sim)?;
    let loaded = paths
        .iter()
        .map(|p| commands::load(p))
        .collect::<Result<Vec<_>>>()?;
    for (i, a) in loaded.iter().enumerate() {
        if let Some(b) = loaded[..i].iter().find(|b| b.model.name == a.model.name) {
            bail!(
                "{} and {} are both named `{}`: the report tells designs apart by their [model] name, so give each its own",
                b.name,
                a.name,
                a.model.name
            );
        }
    }
    let threads = commands::pool(sim.threads)?;
    let started = Instant::now();
    let doc = commands::run_designs(&loaded, &opts, &threads)?;
    // The design searches of the first page: per model with a design
    // space, per service with a target (the flag's, else its own).
    let mut searches = Vec::new();
    for (i, l) in loaded.iter().enumerate() {
        if search.skip || l.model.design.is_none() {
            continue;
        }
        for svc in &l.model.services {
            let Some(t) = target.or(svc.target) else {
                continue;
            };
            let result = threads
                .install(|| {
                    design::search(
                        &l.source(),
                        &l.tree,
                        &l.model,
                        &svc.name,
                        t,
                        &opts,
                        &mut |_, _| true,
                    )
                })
                .map_err(|e| e.to_string());
            searches.push(DesignSearch {
                design: i,
                service: svc.name.clone(),
                result,
            });
        }
    }
    // A comment shows no charts, so gfm draws none.
    let charts = match format {
        Format::Gfm => None,
        Format::Html | Format::Markdown => Some(review::draw_charts(&doc)?),
    };
    let rendered = review::render(
        &Review {
            loaded: &loaded,
            doc: &doc,
            opts: &opts,
            horizon: &sim.horizon,
            output: out,
            searches: &searches,
            charts: charts.as_ref(),
        },
        format,
    );
    let mut written = Vec::new();
    // The charts first, so the document never points at a missing file.
    for (name, svg) in &rendered.charts {
        let p = Path::new(out).with_file_name(name);
        let p = p.to_string_lossy();
        output::write(&p, svg)?;
        written.push(p.into_owned());
    }
    if to_stdout {
        output::print(&rendered.text)?;
        return Ok(ExitCode::SUCCESS);
    }
    output::write(out, &rendered.text)?;
    written.insert(0, out.to_string());
    eprintln!(
        "report written to {} in {:.2} s",
        written.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
