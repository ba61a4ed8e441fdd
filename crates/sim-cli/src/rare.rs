//! `hasim run` with importance sampling: the CLI's side of
//! `sim_core::rare` (the estimator) and `sim_render::rare` (its text).

use crate::output::{self, progress_bar, stdout_taken};
use crate::Common;
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use sim_core::model::compile::Loaded;
use sim_core::rare::{self, Biasing, RareOptions, RareResult};
use sim_core::runner::RunOptions;
use std::process::ExitCode;
use std::time::Instant;

/// The JSON of an importance-sampling run. It is its own kind: plain
/// Monte Carlo's document has recovery percentiles and causes that these
/// cycles do not measure.
#[derive(Serialize)]
struct RareDoc<'a> {
    kind: &'static str,
    schema_version: u32,
    model: &'a str,
    hash: &'a str,
    seed: u64,
    result: &'a RareResult,
}

/// What importance sampling does not offer yet, refused by name rather than
/// ignored.
pub fn refuse(common: &Common, trace: Option<u64>, shard: Option<&str>) -> Result<()> {
    let ex = &common.exports;
    let unsupported = [
        (shard.is_some(), "--shard"),
        (trace.is_some(), "--trace"),
        (common.plot.is_some(), "--plot"),
        (ex.export_csv.is_some(), "--export-csv"),
        (ex.export_markdown.is_some(), "--export-markdown"),
    ];
    if let Some((_, flag)) = unsupported.iter().find(|(on, _)| *on) {
        bail!(
            "{flag} is not available with importance sampling (the cycles measure \
             availability, downtime and outages only); run with --estimator mc for it"
        );
    }
    Ok(())
}

/// Runs `l` with importance sampling and prints or exports the result.
pub fn run(
    l: &Loaded,
    common: &Common,
    opts: &RunOptions,
    bias: &Biasing,
    cycles: u64,
    threads: &rayon::ThreadPool,
) -> Result<ExitCode> {
    let ropts = RareOptions {
        seed: opts.seed,
        cycles,
        target_ci: opts.target_ci,
        batch: opts.batch.max(1000),
        max_events: opts.max_events,
    };
    let started = Instant::now();
    let pb = progress_bar(cycles, "cycles");
    let acc = threads.install(|| {
        rare::run_range(&l.model, bias, &ropts, 0, &mut |done| {
            pb.set_position(done);
            true
        })
    });
    pb.finish_and_clear();
    let acc = acc.map_err(|e| anyhow!("model `{}`: {e}", l.model.name))?;
    let result = rare::summarize(&l.model, bias, &acc);
    eprintln!(
        "{} cycles in {:.2} s",
        result.cycles,
        started.elapsed().as_secs_f64()
    );
    if let Some(f) = &common.exports.export_json {
        let doc = RareDoc {
            kind: "hasim-rare-run",
            schema_version: 1,
            model: &l.model.name,
            hash: &l.model.text_hash,
            seed: opts.seed,
            result: &result,
        };
        let mut json = serde_json::to_string_pretty(&doc)?;
        json.push('\n');
        output::write(f, &json)?;
    }
    if !stdout_taken(&common.exports) {
        let exact = sim_core::exact::analyse(
            &l.model,
            sim_core::exact::Options {
                max_cut_order: 1,
                max_rows: 0,
            },
        );
        let mut text = format!(
            "model {} (hash {}) · {} cycles · seed {}\n\n",
            l.model.name, l.model.text_hash, result.cycles, opts.seed
        );
        text.push_str(&sim_render::rare::report(&result, Some(&exact)));
        output::print(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}
