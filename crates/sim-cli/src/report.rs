//! `hasim report`: loads the models, runs them as `hasim compare` does and
//! writes the design review that [`sim_render::review`] renders (HTML, or
//! Markdown with its charts as SVG files beside it).

use crate::commands;
use crate::{output, SimOptions};
use anyhow::{anyhow, bail, Result};
use sim_render::review::{self, Format, Review};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

pub fn report(
    paths: &[PathBuf],
    out: &str,
    format: Option<&str>,
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
    let rendered = review::render(
        &Review {
            loaded: &loaded,
            doc: &doc,
            opts: &opts,
            horizon: &sim.horizon,
            output: out,
        },
        format,
    )?;
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
