//! `hasim check`: the availability gate for CI. Arguments, the run with its
//! progress bar and the exit code; which services are gated and the
//! verdicts come from `sim_core::study::gate`, their words from
//! `sim_render::format::gate`.

use crate::commands::{load, options, pool, simulate};
use crate::{output, SimOptions};
use anyhow::{anyhow, Result};
use sim_core::runner::summarize;
use sim_core::study::gate;
use std::path::Path;
use std::process::ExitCode;

/// Exit code when a service misses its target (errors exit with 2, so a CI
/// step can tell a failed gate from a broken model).
pub const MISSED: u8 = 1;

pub struct Args<'a> {
    pub target: Option<&'a str>,
    pub service: Option<&'a str>,
    pub export_json: Option<&'a str>,
}

pub fn command(
    models: &[std::path::PathBuf],
    args: &Args<'_>,
    sim: &SimOptions,
) -> Result<ExitCode> {
    if let Some(f) = args.export_json {
        output::check_writable(f)?;
    }
    let target = args
        .target
        .map(|t| sim_core::stats::parse_availability(t).map_err(|m| anyhow!("--target {m}")))
        .transpose()?;
    let opts = options(sim)?;
    let threads = pool(sim.threads)?;
    let mut passed = true;
    let mut docs = Vec::new();
    for path in models {
        let doc = check_one(path, target, args.service, &opts, &threads)?;
        if models.len() > 1 {
            output::print(&format!("{}:\n", path.display()))?;
        }
        output::print(&sim_render::format::gate(&doc))?;
        passed &= doc.passed;
        docs.push(doc);
    }
    if let Some(f) = args.export_json {
        let json = if docs.len() == 1 {
            serde_json::to_string_pretty(&docs[0])
        } else {
            serde_json::to_string_pretty(&docs)
        }
        .expect("the gate document serializes");
        output::write(f, &format!("{json}\n"))?;
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(MISSED)
    })
}

fn check_one(
    path: &Path,
    target: Option<f64>,
    service: Option<&str>,
    opts: &sim_core::runner::RunOptions,
    threads: &rayon::ThreadPool,
) -> Result<gate::GateDoc> {
    let loaded = load(path)?;
    let model = &loaded.model;
    let goals = gate::goals(model, target, service).map_err(|m| anyhow!("{m}"))?;
    let acc = simulate(model, opts, 0, threads, &model.name)?;
    let result = summarize(model, &acc, opts.horizon);
    Ok(gate::judge(model, opts, &result, &goals))
}
