//! `hasim merge`: the shards of one `run`, `sweep` or `plan --target`
//! combined into the whole command's output. It sits above both `commands`
//! (run and sweep printing) and `plan` (the design search's), so neither
//! of those needs the other.

use crate::commands::{header, write_exports, SweepOutput};
use crate::output::{self, stdout_taken};
use crate::plot::Chart;
use crate::Exports;
use anyhow::{anyhow, bail, Context, Result};
use indexmap::IndexMap;
use sim_core::export::{Document, Point};
use sim_core::runner::summarize;
use sim_core::study::{shard, shard::ShardFile};
use sim_render::format;
use std::path::Path;
use std::process::ExitCode;

/// Reads one shard file of any kind, refusing anything that is not an
/// intact shard of this format.
fn read_any_shard(p: &Path) -> Result<(String, shard::AnyShard)> {
    let name = p.display().to_string();
    let text = std::fs::read_to_string(p).with_context(|| format!("cannot read shard {name}"))?;
    let s = shard::parse_any(&name, &text).map_err(|e| anyhow!("{e}"))?;
    Ok((name, s))
}

/// `hasim merge`: the shards of one `run`, `sweep` or `plan --target`,
/// printed and exported exactly as the unsharded command would have.
pub fn merge(
    paths: &[std::path::PathBuf],
    exports: &Exports,
    plot: Option<&str>,
) -> Result<ExitCode> {
    exports.check_writable()?;
    output::check_all([plot])?;
    let shards = paths
        .iter()
        .map(|p| read_any_shard(p))
        .collect::<Result<Vec<_>>>()?;
    // Shards of different commands cannot add up to anything; say which two
    // files disagree before any other check speaks of options or models.
    let (first_name, first) = &shards[0];
    if let Some((name, s)) = shards[1..].iter().find(|(_, s)| s.kind() != first.kind()) {
        bail!(
            "{name} is a `{}` file but {first_name} is a `{}` file: refusing to merge shards of different commands",
            s.kind(),
            first.kind()
        );
    }
    let mut runs = Vec::new();
    let mut studies = Vec::new();
    for (name, s) in shards {
        match s {
            shard::AnyShard::Run(f) => runs.push((name, f)),
            shard::AnyShard::Study(f) => studies.push((name, f)),
        }
    }
    if !runs.is_empty() {
        return merge_runs(&runs, exports, plot);
    }
    let merged = shard::merge_study(&studies).map_err(|e| anyhow!("{e}"))?;
    match merged.study {
        shard::Study::Sweep { .. } => {
            let (_, points) = shard::sweep_points(&merged).map_err(|e| anyhow!("{e}"))?;
            let mut out = SweepOutput::new(&points[0].0 .1, &merged.options, exports, plot);
            for ((point, model), acc) in &points {
                out.push(point, summarize(model, acc, merged.options.horizon))?;
            }
            out.finish()
        }
        shard::Study::Plan {
            failures,
            place,
            skip_invalid,
            ..
        } => {
            let (loaded, search) = shard::plan_search(&merged).map_err(|e| anyhow!("{e}"))?;
            crate::plan::output(
                &loaded,
                &crate::plan::Outcome {
                    failures,
                    search: Some((search, merged.options.clone())),
                    place,
                    skip_invalid,
                    seed: merged.options.seed,
                },
                exports,
                plot,
            )
        }
    }
}

fn merge_runs(
    shards: &[(String, ShardFile)],
    exports: &Exports,
    plot: Option<&str>,
) -> Result<ExitCode> {
    let shard::Merged {
        model,
        options,
        accumulator: acc,
    } = shard::merge(shards).map_err(|e| anyhow!("{e}"))?;
    let opts = &options;
    let result = summarize(&model, &acc, opts.horizon);
    let mut doc = Document::new(&model, opts);
    doc.points.push(Point {
        parameters: IndexMap::new(),
        result,
    });
    write_exports(&doc, exports)?;
    if let Some(p) = plot {
        crate::plot::save(
            p,
            &Chart::results(&model.name, &[(model.name.clone(), &doc.points[0].result)]),
        )?;
    }
    if !stdout_taken(exports) {
        output::print(&(header(&doc) + &format::result_report(&doc.points[0].result, 3)))?;
    }
    Ok(ExitCode::SUCCESS)
}
