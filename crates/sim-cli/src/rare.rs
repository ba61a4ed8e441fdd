//! `hasim run` with importance sampling: the CLI's side of
//! `sim_core::rare` (the estimator) and `sim_render::rare` (its text).

use crate::output::{self, progress_bar, stdout_taken};
use crate::Common;
use anyhow::{anyhow, bail, Result};
use sim_core::model::compile::Loaded;
use sim_core::rare::{self, Biasing};
use sim_core::runner::RunOptions;
use std::process::ExitCode;
use std::time::Instant;

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
    let ropts = rare::options_from(opts, cycles);
    let started = Instant::now();
    let pb = progress_bar(cycles, "importance sampling", "cycles");
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
        output::write(f, &rare::document_json(&l.model, opts.seed, &result))?;
    }
    if !stdout_taken(&common.exports) {
        output::print(&sim_render::rare::text(&l.model, opts.seed, &result))?;
    }
    Ok(ExitCode::SUCCESS)
}
