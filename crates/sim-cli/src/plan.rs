//! `hasim plan`: the capacity planner's text, JSON and CSV.
//!
//! The analysis lives in `sim_core::plan`; this module only renders it.

pub use sim_render::plan::*;

use crate::commands;
use crate::output;
use crate::plot;
use crate::{Common, Exports};
use anyhow::{anyhow, bail, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use sim_core::plan::design::{self, Status};
use sim_core::runner::RunOptions;
use sim_core::study::shard::{self, Study, StudyShard};
use std::path::Path;
use std::process::ExitCode;

/// The whole machine-readable plan.
#[derive(Serialize)]
struct PlanDoc {
    schema_version: u32,
    hasim_version: &'static str,
    model: String,
    headroom: JsonHeadroom,
    #[serde(skip_serializing_if = "Option::is_none")]
    design_search: Option<JsonSearch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placement: Option<serde_json::Value>,
}

/// The design-search arguments of `hasim plan`.
pub struct SearchArgs<'a> {
    pub target: Option<&'a str>,
    pub service: Option<&'a str>,
    /// Plan with the valid designs when some are invalid, instead of failing.
    pub skip_invalid: bool,
    /// `--shard I/N`: simulate only this slice of the search and write it
    /// for `hasim merge`.
    pub shard: Option<&'a str>,
}

/// What `hasim plan` reports, apart from the model and the outputs: the
/// unsharded command and the merge of its shards both hand it to
/// [`output`], so they print the same bytes.
pub struct Outcome {
    pub failures: usize,
    /// The design search, ranked, and the options it was simulated with.
    pub search: Option<(design::Search, RunOptions)>,
    pub place: bool,
    pub skip_invalid: bool,
    /// The seed of the headroom's transients (the run's `--seed`).
    pub seed: u64,
}

/// `hasim plan MODEL`.
pub fn command(
    path: &Path,
    failures: usize,
    args: SearchArgs<'_>,
    place: bool,
    common: &Common,
) -> Result<ExitCode> {
    let SearchArgs {
        target,
        service,
        skip_invalid,
        shard,
    } = args;
    common.check_writable()?;
    let loaded = commands::load(path)?;
    let model = &loaded.model;
    // Check the search's arguments before spending time on anything.
    let target = target
        .map(|t| design::parse_target(t).map_err(|e| anyhow!("{e}")))
        .transpose()?;
    if target.is_none() && service.is_some() {
        bail!("--service names the service for --target; give a target too (--target 99.9%)");
    }
    let service = match (target, service) {
        (None, _) => None,
        (Some(_), Some(s)) => Some(s.to_string()),
        (Some(_), None) if model.services.len() == 1 => Some(model.services[0].name.clone()),
        (Some(_), None) => {
            let names: Vec<&str> = model.services.iter().map(|s| s.name.as_str()).collect();
            bail!(
                "--target needs --service NAME: the model has {} services ({})",
                names.len(),
                names.join(", ")
            );
        }
    };
    if target.is_some() && model.design.is_none() {
        bail!("{}", design::SearchError::NoDesign);
    }
    if target.is_none() && common.plot.is_some() {
        bail!("--plot draws the Pareto chart of a design search: give --target too");
    }
    if let (Some(spec), Some(target), Some(service)) = (shard, target, &service) {
        let opts = commands::options(&common.sim)?;
        let (i, n, out) = commands::shard_args(spec, &opts, common)?;
        let threads = commands::pool(common.sim.threads)?;
        let prepared = design::prepare(
            sim_core::protocols::builtin(),
            &loaded.source(),
            &loaded.tree,
            model,
            service,
            target,
        )
        .map_err(|e| anyhow!("{e}"))?;
        let items: Vec<(String, &sim_core::Model)> = prepared
            .todo
            .iter()
            .map(|d| prepared.designs[*d].label.clone())
            .zip(prepared.models())
            .collect();
        let parts = shard::run_slice(&items, &opts, (i, n), |item, m, part, first| {
            commands::simulate(
                m,
                part,
                first,
                &threads,
                &format!("shard {i}/{n}, design {}/{}", item + 1, items.len()),
            )
        })?;
        let summary = commands::slice_summary(&parts, items.len());
        let file = StudyShard::new(
            model,
            &loaded.name,
            &loaded.text,
            opts,
            Study::Plan {
                target,
                service: service.clone(),
                failures,
                place,
                skip_invalid,
            },
            items.len(),
            (i, n),
            parts,
        );
        output::write(out, &file.to_json())?;
        eprintln!("design search shard {i}/{n}: designs {summary} written to {out}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut search = None;
    if let (Some(target), Some(service)) = (target, &service) {
        let opts = commands::options(&common.sim)?;
        let src = loaded.source();
        let root = &loaded.tree;
        let threads = commands::pool(common.sim.threads)?;
        let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template("design {pos}/{len} [{bar:30}] ETA {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        let s = threads
            .install(|| {
                design::search(
                    &src,
                    root,
                    model,
                    service,
                    target,
                    &opts,
                    &mut |done, total| {
                        pb.set_length(total as u64);
                        pb.set_position(done as u64);
                        true
                    },
                )
            })
            .map_err(|e| anyhow!("{e}"))?;
        pb.finish_and_clear();
        search = Some((s, opts));
    }
    output(
        &loaded,
        &Outcome {
            failures,
            search,
            place,
            skip_invalid,
            seed: common.sim.seed,
        },
        &common.exports,
        common.plot.as_deref(),
    )
}

/// Prints and writes what `hasim plan` reports: the headroom (computed
/// here, as it needs no simulation), the design search, the placement, and
/// the exit code they give.
pub fn output(
    loaded: &commands::Loaded,
    outcome: &Outcome,
    ex: &Exports,
    plot: Option<&str>,
) -> Result<ExitCode> {
    let Outcome {
        failures,
        search,
        place,
        skip_invalid,
        seed,
    } = outcome;
    let model = &loaded.model;
    let h = sim_core::plan::headroom(model, *failures, *seed);
    let (place_text, placement, placed) = match *place {
        true => {
            let (t, j, ok) = sim_render::place::section(loaded, &h);
            (t, Some(j), ok)
        }
        false => (String::new(), None, true),
    };
    let space = model.design.as_ref();
    // The same text goes to the terminal and to --export-markdown.
    let mut text = headroom_text(model, &h);
    if let (Some((s, opts)), Some(space)) = (&search, space) {
        text.push('\n');
        text.push_str(&search_text(s, space, opts));
    }
    text.push_str(&place_text);
    if !crate::output::stdout_taken(ex) {
        output::print(&text)?;
    }
    if let (Some(path), Some((s, _)), Some(space)) = (plot, search, space) {
        plot::save(path, &plot::Chart::pareto(&model.name, s, space))?;
    }
    if let Some(f) = &ex.export_json {
        let doc = PlanDoc {
            schema_version: sim_core::plan::SCHEMA_VERSION,
            hasim_version: env!("CARGO_PKG_VERSION"),
            model: loaded.name.clone(),
            headroom: headroom_json(model, &h),
            design_search: search
                .as_ref()
                .zip(space)
                .map(|((s, _), space)| search_json(s, space, *seed)),
            placement,
        };
        output::write(f, &(serde_json::to_string_pretty(&doc)? + "\n"))?;
    }
    if let Some(f) = &ex.export_csv {
        // With a search, the CSV is the design table (one row per design);
        // without, the headroom loads.
        match &search {
            Some((s, _)) => output::write(f, &search_csv(s))?,
            None => output::write(f, &headroom_csv(model, &h))?,
        }
    }
    if let Some(f) = &ex.export_markdown {
        output::write(f, &text)?;
    }
    // An invalid design is a mistake in the design space (the table above
    // says which and why); the answer over the rest is only trusted when
    // the user asked for it.
    if let Some((s, _)) = search {
        let invalid = s.count(|x| matches!(x, Status::Invalid(_)));
        if invalid > 0 && !*skip_invalid {
            eprintln!(
                "error: {invalid} of {} designs do not give a valid model (listed above as invalid); fix the design space, or pass --skip-invalid to plan with the valid designs only",
                s.designs.len()
            );
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(if placed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
