//! The subcommands.

use crate::format;
use crate::output::{self, progress_bar, stdout_taken};
use crate::plot::Chart;
use crate::{Common, Exports, SimOptions};
use anyhow::{anyhow, bail, Context, Result};
use indexmap::IndexMap;
use sim_core::analysis;
use sim_core::export::{CompareDoc, Document, Point};
use sim_core::model::compile::{self, Model};
use sim_core::model::diag::did_you_mean;
use sim_core::model::Source;
use sim_core::runner::{run_range, summarize, Accumulator, Progress, RunOptions, RunResult};
use sim_core::sim::Injection;
use sim_core::study::{self, shard, shard::ShardFile, shard::StudyShard};
use sim_core::text::plural;
use sim_core::time::{
    parse_duration, Human, Nanos, MAX_HORIZON, NANOS_PER_HOUR, NANOS_PER_MIN, NANOS_PER_YEAR,
};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

pub(crate) use sim_core::model::Loaded;

fn read(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read model file {}", path.display()))?;
    let name = path.display().to_string();
    Ok(compile::decode(&name, &bytes)
        .map_err(|e| anyhow!("{e}"))?
        .to_string())
}

pub(crate) fn load(path: &Path) -> Result<Loaded> {
    let text = read(path)?;
    Loaded::new(&path.display().to_string(), &text).map_err(|e| anyhow!("{e}"))
}

pub(crate) fn options(c: &SimOptions) -> Result<RunOptions> {
    study::run_options(&study::OptionsIn {
        seed: Some(c.seed),
        replications: Some(c.replications),
        horizon: Some(c.horizon.clone()),
        target_ci: c.target_ci,
        batch: Some(c.batch),
        max_events: Some(c.max_events),
    })
    .map_err(|e| anyhow!("--{} {}", e.option.flag(), e.message))
}

pub(crate) fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        if t == 0 {
            bail!("--threads must be at least 1");
        }
        b = b.num_threads(t);
    }
    b.build().context("cannot start worker threads")
}

/// Runs replications `first..first + opts.replications` with a progress bar.
pub(crate) fn simulate(
    model: &Model,
    opts: &RunOptions,
    first: u64,
    threads: &rayon::ThreadPool,
    label: &str,
) -> Result<Accumulator> {
    let pb = progress_bar(opts.replications, label, "replications");
    let acc = threads.install(|| {
        run_range(model, opts, first, &mut |p: Progress| {
            pb.set_position(p.done);
            true
        })
    });
    pb.finish_and_clear();
    acc.map_err(|e| anyhow!("model `{}`: {e}", model.name))
}

pub(crate) fn write_exports(doc: &Document, ex: &Exports) -> Result<()> {
    if let Some(f) = &ex.export_json {
        output::write(f, &doc.to_json())?;
    }
    if let Some(f) = &ex.export_csv {
        output::write(f, &sim_core::export::csv(doc))?;
    }
    if let Some(f) = &ex.export_markdown {
        output::write(f, &format::markdown(doc))?;
    }
    Ok(())
}

impl Exports {
    /// Checks every export path before the run that fills it, so a typo in
    /// a directory costs nothing instead of the whole run.
    pub(crate) fn check_writable(&self) -> Result<()> {
        output::check_all([
            self.export_json.as_deref(),
            self.export_csv.as_deref(),
            self.export_markdown.as_deref(),
        ])
    }
}

impl Common {
    /// Checks the exports and the plot path (see [`Exports::check_writable`]).
    pub(crate) fn check_writable(&self) -> Result<()> {
        self.exports.check_writable()?;
        output::check_all([self.plot.as_deref()])
    }
}

/// The line above a result: the replications shown are those run (all
/// points' counts), not the requested maximum `--target-ci` may stop short of.
pub(crate) fn header(doc: &Document) -> String {
    format!(
        "model {} (hash {}) · {} × {} · seed {}\n\n",
        doc.model.name,
        doc.model.hash,
        format::replications_run(doc.points.iter().map(|p| p.result.replications)),
        Human((doc.horizon_years * NANOS_PER_YEAR as f64) as Nanos),
        doc.seed
    )
}

fn assumptions(model: &Model) -> String {
    if model.assumptions.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "\nassumptions (presets without an authoritative source; override them in the model):\n",
    );
    for a in &model.assumptions {
        s.push_str(&format!("  {a}\n"));
    }
    s
}

fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| anyhow!("--shard takes I/N, for example 0/8 (got `{s}`)"))?;
    let (i, n): (usize, usize) = (
        i.trim()
            .parse()
            .map_err(|_| anyhow!("--shard: `{i}` is not a shard index"))?,
        n.trim()
            .parse()
            .map_err(|_| anyhow!("--shard: `{n}` is not a shard count"))?,
    );
    if n == 0 || i >= n {
        bail!("--shard {s}: the index counts from 0 and must be below the count (for example 0/8 .. 7/8)");
    }
    Ok((i, n))
}

/// How `run` estimates: the estimator asked for and, for importance
/// sampling, how many regenerative cycles.
#[derive(Clone, Copy)]
pub struct Estimation {
    pub choice: sim_core::rare::Choice,
    pub cycles: u64,
}

/// The shard `I/N` and the file it goes to, after refusing what a shard
/// cannot do: `--target-ci` (each shard must run a fixed range, or the
/// shards would not add up to the whole), and the chart and the other
/// exports, which need every shard's replications and so belong to `merge`.
pub(crate) fn shard_args<'a>(
    spec: &str,
    opts: &RunOptions,
    common: &'a Common,
) -> Result<(usize, usize, &'a str)> {
    let (i, n) = parse_shard(spec)?;
    if opts.target_ci.is_some() {
        bail!("--target-ci cannot be combined with --shard: each shard must run a fixed range of replications");
    }
    let out = common.exports.export_json.as_deref().ok_or_else(|| {
        anyhow!("--shard needs --export-json FILE to write the shard's results to")
    })?;
    for (flag, given) in [
        ("--plot", common.plot.is_some()),
        ("--export-csv", common.exports.export_csv.is_some()),
        (
            "--export-markdown",
            common.exports.export_markdown.is_some(),
        ),
    ] {
        if given {
            bail!("{flag} cannot be combined with --shard: a shard holds only part of the replications; give {flag} to `hasim merge` of all the shards");
        }
    }
    Ok((i, n, out))
}

/// One line per item of a study shard's slice, for the message that says
/// where its replications went.
pub(crate) fn slice_summary(parts: &[shard::Part], of: usize) -> String {
    parts
        .iter()
        .map(|p| {
            format!(
                "{}/{of} `{}` replications {}..{}",
                p.item + 1,
                p.label,
                p.accumulator.first,
                p.accumulator.first + p.accumulator.count
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn run_many(
    paths: &[std::path::PathBuf],
    common: &Common,
    trace: Option<u64>,
    shard: Option<&str>,
    est: Estimation,
) -> Result<ExitCode> {
    if paths.len() > 1 {
        let ex = &common.exports;
        if ex.export_json.is_some()
            || ex.export_csv.is_some()
            || ex.export_markdown.is_some()
            || shard.is_some()
        {
            bail!("exports and --shard take one model at a time (use `hasim compare` to export several designs together)");
        }
    }
    common.check_writable()?;
    for (i, p) in paths.iter().enumerate() {
        if i > 0 {
            output::print("\n")?;
        }
        run(p, common, trace, shard, est)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn run(
    path: &Path,
    common: &Common,
    trace: Option<u64>,
    shard: Option<&str>,
    est: Estimation,
) -> Result<ExitCode> {
    let l = load(path)?;
    let opts = options(&common.sim)?;
    // The warnings that make the run's numbers meaningless (nothing can
    // fail) or the run itself hopeless (faults too frequent to simulate) go
    // to stderr before it starts, so they are read before the table, and
    // before the event budget's error should the run fail on it.
    let src = Source {
        name: &l.name,
        text: &l.text,
    };
    for d in analysis::run_lints(&l.model, &src) {
        eprintln!("{d}\n");
    }
    let threads = pool(common.sim.threads)?;
    let bias = sim_core::rare::choose(&l.model, est.choice)
        .map_err(|e| anyhow!("--estimator is: model `{}`: {e}", l.model.name))?;
    if let Some(bias) = bias {
        crate::rare::refuse(common, trace, shard)?;
        return crate::rare::run(&l, common, &opts, &bias, est.cycles, &threads);
    }
    if let Some(s) = shard {
        let (i, n, out) = shard_args(s, &opts, common)?;
        let (lo, hi) = shard::range(opts.replications, i, n);
        let part = RunOptions {
            replications: hi - lo,
            ..opts.clone()
        };
        let acc = simulate(&l.model, &part, lo, &threads, &format!("shard {i}/{n}"))?;
        let file = ShardFile::new(&l.model, &l.name, &l.text, opts, (i, n), acc);
        output::write(out, &file.to_json())?;
        eprintln!("shard {i}/{n}: replications {lo}..{hi} written to {out}");
        return Ok(ExitCode::SUCCESS);
    }
    let started = Instant::now();
    let acc = simulate(&l.model, &opts, 0, &threads, "run")?;
    let result = summarize(&l.model, &acc, opts.horizon);
    let mut doc = Document::new(&l.model, &opts);
    let count = result.replications;
    doc.points.push(Point {
        parameters: IndexMap::new(),
        result,
    });
    write_exports(&doc, &common.exports)?;
    if let Some(p) = &common.plot {
        crate::plot::save(
            p,
            &Chart::results(
                &l.model.name,
                &[(l.model.name.clone(), &doc.points[0].result)],
            ),
        )?;
    }
    eprintln!(
        "{} replications in {:.2} s",
        count,
        started.elapsed().as_secs_f64()
    );
    if !stdout_taken(&common.exports) {
        let mut text = header(&doc);
        text.push_str(&format::result_report(&doc.points[0].result, 3));
        // Only the figures are needed here, not the cut-set listing.
        let exact = sim_core::exact::analyse(
            &l.model,
            sim_core::exact::Options {
                max_cut_order: 1,
                max_rows: 0,
            },
        );
        text.push_str(&format::failover_cost(&exact, &doc.points[0].result));
        text.push_str(&assumptions(&l.model));
        if let Some(n) = trace {
            let (_, t) =
                analysis::trace_replication(&l.model, opts.seed, n, opts.horizon, opts.max_events)
                    .map_err(|e| anyhow!("--trace {n}: model `{}`: {e}", l.model.name))?;
            text.push_str(&format!(
                "\ntimeline of replication {n} (seed {}):\n",
                opts.seed
            ));
            text.push_str(&timeline(&t));
        }
        output::print(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Formats a duration in ns exactly, in the largest unit that divides it.
fn exact_duration(ns: Nanos) -> String {
    for (unit, scale) in [
        ("h", NANOS_PER_HOUR),
        ("m", NANOS_PER_MIN),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
    ] {
        if ns >= scale && ns.is_multiple_of(scale) {
            return format!("{}{unit}", ns / scale);
        }
    }
    format!("{ns}ns")
}

/// The values of one `-P NAME MIN MAX [-D STEP]` scan.
fn scan_values(name: &str, min: &str, max: &str, step: Option<&str>) -> Result<Vec<String>> {
    if let (Ok(a), Ok(b)) = (min.parse::<f64>(), max.parse::<f64>()) {
        let s: f64 = step.map_or(Ok(1.0), |s| {
            s.parse::<f64>()
                .map_err(|_| anyhow!("-D {s}: not a number (the scan of {name} is numeric)"))
        })?;
        if s.is_nan() || s <= 0.0 || b < a || !a.is_finite() || !b.is_finite() {
            bail!("-P {name} {min} {max}: needs MIN <= MAX and a positive step");
        }
        let count = ((b - a) / s + 1e-9).floor() as u64 + 1;
        if count as usize > study::MAX_SWEEP_POINTS {
            bail!("-P {name}: {count} points is too many");
        }
        let ints = [min, max].iter().all(|t| t.parse::<i64>().is_ok())
            && step.is_none_or(|s| s.parse::<i64>().is_ok());
        return Ok((0..count)
            .map(|i| {
                let v = a + i as f64 * s;
                if ints {
                    format!("{}", v.round() as i64)
                } else {
                    format!("{}", (v * 1e9).round() / 1e9)
                }
            })
            .collect());
    }
    let dur = |t: &str| parse_duration(t).map_err(|e| anyhow!("-P {name}: `{t}`: {}", e.message));
    let (a, b) = (dur(min)?, dur(max)?);
    let s = dur(step.ok_or_else(|| {
        anyhow!(
            "-P {name} {min} {max} is a duration scan: give its step with -D, for example -D 500ms"
        )
    })?)?;
    if s == 0 || b < a {
        bail!("-P {name} {min} {max}: needs MIN <= MAX and a step longer than zero");
    }
    let count = (b - a) / s + 1;
    if count as usize > study::MAX_SWEEP_POINTS {
        bail!("-P {name}: {count} points is too many");
    }
    Ok((0..count).map(|i| exact_duration(a + i * s)).collect())
}

pub fn sweep(
    path: &Path,
    list: &[String],
    scan: &[String],
    steps: &[String],
    common: &Common,
    shard: Option<&str>,
) -> Result<ExitCode> {
    common.check_writable()?;
    let loaded = load(path)?;
    let src = loaded.source();
    let base = &loaded.tree;
    let opts = options(&common.sim)?;
    let mut axes: Vec<(String, Vec<String>)> = Vec::new();
    for pair in list.chunks(2) {
        let values: Vec<String> = pair[1]
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            bail!("-L {}: no values given", pair[0]);
        }
        axes.push((pair[0].clone(), values));
    }
    if steps.len() > scan.len() / 3 {
        bail!(
            "more -D steps ({}) than -P scans ({})",
            steps.len(),
            scan.len() / 3
        );
    }
    for (k, t) in scan.chunks(3).enumerate() {
        axes.push((
            t[0].clone(),
            scan_values(&t[0], &t[1], &t[2], steps.get(k).map(String::as_str))?,
        ));
    }
    if axes.is_empty() {
        bail!("nothing to sweep: give at least one -L NAME V1,V2 or -P NAME MIN MAX");
    }
    // Every point compiles before any runs, so nothing is written for a
    // bad value.
    let points = study::sweep_points(sim_core::protocols::builtin(), &src, base, &axes)
        .map_err(|e| anyhow!("{e}"))?;
    let threads = pool(common.sim.threads)?;
    if let Some(spec) = shard {
        let (i, n, out) = shard_args(spec, &opts, common)?;
        let items: Vec<(String, &Model)> = points
            .iter()
            .map(|(p, m)| (shard::point_label(p), m))
            .collect();
        let parts = shard::run_slice(&items, &opts, (i, n), |item, model, part, first| {
            simulate(
                model,
                part,
                first,
                &threads,
                &format!("shard {i}/{n}, point {}/{}", item + 1, items.len()),
            )
        })?;
        let summary = slice_summary(&parts, items.len());
        let file = StudyShard::new(
            &loaded.model,
            &loaded.name,
            &loaded.text,
            opts,
            shard::Study::Sweep { axes },
            items.len(),
            (i, n),
            parts,
        );
        output::write(out, &file.to_json())?;
        eprintln!("sweep shard {i}/{n}: points {summary} written to {out}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = SweepOutput::new(&points[0].1, &opts, &common.exports, common.plot.as_deref());
    let started = Instant::now();
    for (i, (p, model)) in points.iter().enumerate() {
        let acc = simulate(
            model,
            &opts,
            0,
            &threads,
            &format!("point {}/{}", i + 1, points.len()),
        )?;
        out.push(p, summarize(model, &acc, opts.horizon))?;
    }
    eprintln!(
        "{} points in {:.2} s",
        points.len(),
        started.elapsed().as_secs_f64()
    );
    out.finish()
}

/// What `hasim sweep` prints and writes, filled point by point: the sweep
/// and the merge of its shards both go through it, so their bytes cannot
/// drift apart.
pub(crate) struct SweepOutput<'a> {
    doc: Document,
    /// The points' tables; the header goes above them at the end, as it
    /// shows the counts of every point.
    text: String,
    /// With --target-ci each point stops at its own count, which its
    /// heading then shows.
    own_counts: bool,
    exports: &'a Exports,
    plot: Option<&'a str>,
}

impl<'a> SweepOutput<'a> {
    pub(crate) fn new(
        first: &Model,
        opts: &RunOptions,
        exports: &'a Exports,
        plot: Option<&'a str>,
    ) -> Self {
        SweepOutput {
            doc: Document::new(first, opts),
            text: String::new(),
            own_counts: opts.target_ci.is_some(),
            exports,
            plot,
        }
    }

    /// Adds a point's result, and rewrites the exports and the chart, so an
    /// interrupted sweep keeps what finished.
    pub(crate) fn push(&mut self, point: &[(String, String)], result: RunResult) -> Result<()> {
        let count = if self.own_counts {
            format!(" · {}", plural(result.replications, "replication"))
        } else {
            String::new()
        };
        let text = &mut self.text;
        text.push_str(&format!("── {}{count} ──\n", shard::point_label(point)));
        let requests = format::lost_requests(result.services.iter());
        text.push_str(&format::table(
            &format::service_header(requests),
            &result
                .services
                .iter()
                .map(|s| format::service_row(s, requests))
                .collect::<Vec<_>>(),
        ));
        text.push_str(&format::gray_report(&result));
        text.push('\n');
        self.doc.points.push(Point {
            parameters: study::point_parameters(point),
            result,
        });
        write_exports(&self.doc, self.exports)?;
        if let Some(p) = self.plot {
            crate::plot::save(p, &Chart::Sweep(&self.doc))?;
        }
        Ok(())
    }

    /// Prints the header and every point's table, unless an export took
    /// stdout.
    pub(crate) fn finish(self) -> Result<ExitCode> {
        if !stdout_taken(self.exports) {
            output::print(&(header(&self.doc) + &self.text))?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Runs every design with the same options, so replication `i` of each uses
/// the same random stream, and compares them against the first: the document
/// of `hasim compare` (and of `hasim report`, also for a single design).
pub(crate) fn run_designs(
    loaded: &[Loaded],
    opts: &RunOptions,
    threads: &rayon::ThreadPool,
) -> Result<CompareDoc> {
    let models: Vec<&Model> = loaded.iter().map(|l| &l.model).collect();
    study::compare(&models, opts, |i, m| {
        simulate(
            m,
            opts,
            0,
            threads,
            &format!("design {}/{}", i + 1, loaded.len()),
        )
    })
}

pub fn compare(paths: &[std::path::PathBuf], common: &Common) -> Result<ExitCode> {
    common.check_writable()?;
    let opts = options(&common.sim)?;
    let loaded = paths.iter().map(|p| load(p)).collect::<Result<Vec<_>>>()?;
    let threads = pool(common.sim.threads)?;
    let doc = run_designs(&loaded, &opts, &threads)?;
    let text =
        sim_render::view::compare_head(&doc, opts.horizon) + "\n\n" + &format::compare_tables(&doc);
    if let Some(f) = &common.exports.export_json {
        output::write(f, &doc.to_json())?;
    }
    if let Some(p) = &common.plot {
        let designs: Vec<(String, &RunResult)> = doc
            .designs
            .iter()
            .map(|d| (d.model.name.clone(), &d.result))
            .collect();
        crate::plot::save(p, &Chart::results("comparison", &designs))?;
    }
    // CSV and Markdown: one "point" per design.
    let flat = doc.flat(&loaded[0].model, &opts);
    if let Some(f) = &common.exports.export_csv {
        output::write(f, &sim_core::export::csv(&flat))?;
    }
    if let Some(f) = &common.exports.export_markdown {
        output::write(f, &format::markdown(&flat))?;
    }
    if !stdout_taken(&common.exports) {
        output::print(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `hasim diff BASE HEAD`: what changed in the design, then both designs
/// run with the same seeds and compared, so a change shows next to what it
/// does to availability.
pub fn diff(base: &Path, head: &Path, common: &Common) -> Result<ExitCode> {
    common.check_writable()?;
    let opts = options(&common.sim)?;
    let loaded = [load(base)?, load(head)?];
    let changes = sim_core::model::diff::diff(&loaded[0], &loaded[1]);
    let mut text = format::design_changes(
        &changes,
        &base.display().to_string(),
        &head.display().to_string(),
    );
    let threads = pool(common.sim.threads)?;
    let doc = run_designs(&loaded, &opts, &threads)?;
    text.push('\n');
    text.push_str(&sim_render::view::compare_head(&doc, opts.horizon));
    text.push_str("\n\n");
    text.push_str(&format::compare_tables(&doc));
    if let Some(f) = &common.exports.export_json {
        output::write(f, &doc.to_json())?;
    }
    if !stdout_taken(&common.exports) {
        output::print(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn validate(
    paths: &[std::path::PathBuf],
    deny_warnings: bool,
    allow: &[String],
    deny: &[String],
) -> Result<ExitCode> {
    // A mistyped id must not silently allow nothing (or deny nothing).
    let known = analysis::lint_ids(sim_core::protocols::builtin());
    for id in allow.iter().chain(deny) {
        if !known.iter().any(|l| l.id == id) {
            let hint = did_you_mean(id, known.iter().map(|l| l.id))
                .unwrap_or_else(|| "the README's table of lints lists every id".into());
            bail!("no lint has the id `{id}`: {hint}");
        }
    }
    let mut denied = 0;
    let mut errors = 0;
    let mut warnings = 0;
    let mut out = String::new();
    // Errors go to stderr, as for every other command (and rustc); the
    // report of a model that loads (warnings, assumptions) is the output.
    for p in paths {
        let text = match read(p) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{e:#}\n");
                errors += 1;
                continue;
            }
        };
        let name = p.display().to_string();
        match compile::load(&name, &text) {
            Err(e) => {
                eprintln!("{e}\n");
                errors += e.diagnostics.len();
            }
            Ok(model) => {
                let src = Source {
                    name: &name,
                    text: &text,
                };
                let lints: Vec<_> = analysis::lint(&model, &src)
                    .into_iter()
                    .filter(|d| !d.id.is_some_and(|id| allow.iter().any(|a| a == id)))
                    .collect();
                warnings += lints.len();
                denied += lints
                    .iter()
                    .filter(|d| d.id.is_some_and(|id| deny.iter().any(|a| a == id)))
                    .count();
                for d in &lints {
                    out.push_str(&format!("{d}\n\n"));
                }
                out.push_str(&format!(
                    "{name}: ok: {}, {}, {}; {}\n",
                    plural(model.elements.len() as u64, "element"),
                    plural(model.clusters.len() as u64, "cluster"),
                    plural(model.services.len() as u64, "service"),
                    plural(lints.len() as u64, "warning"),
                ));
                out.push_str(&assumptions(&model));
                out.push('\n');
            }
        }
    }
    output::print(&out)?;
    if denied > 0 {
        eprintln!(
            "error: {} denied by --deny",
            plural(denied as u64, "warning")
        );
    }
    Ok(
        if errors > 0 || denied > 0 || (deny_warnings && warnings > 0) {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// `12:03:04.500` or `2d 12:03:04.500`.
fn clock(ns: Nanos) -> String {
    let ms = ns / 1_000_000;
    let (d, rest) = (ms / 86_400_000, ms % 86_400_000);
    let (h, m, s, milli) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    let t = format!("{h:02}:{m:02}:{s:02}.{milli:03}");
    if d > 0 {
        format!("{d}d {t}")
    } else {
        t
    }
}

fn timeline(t: &sim_core::sim::Trace) -> String {
    if t.entries.is_empty() {
        return "  (nothing happened)\n".into();
    }
    let w = t
        .entries
        .iter()
        .map(|e| e.subject.chars().count())
        .max()
        .unwrap_or(0);
    t.entries
        .iter()
        .map(|e| {
            format!(
                "  {}  {:<7}  {:<w$}  {}\n",
                clock(e.time_ns),
                e.layer,
                e.subject,
                e.what
            )
        })
        .collect()
}

fn parse_injection(model: &Model, spec: &str, down: bool) -> Result<Injection> {
    let flag = if down { "--fail" } else { "--repair" };
    let (name, time) = spec.rsplit_once('@').ok_or_else(|| {
        anyhow!("{flag} takes NAME@TIME, for example proxmox-1@1h (got `{spec}`)")
    })?;
    let element = model
        .elements
        .iter()
        .position(|e| e.name == name)
        .ok_or_else(|| {
            let hint = did_you_mean(name, model.elements.iter().map(|e| e.name.as_str()))
                .map_or(String::new(), |h| format!(" ({h})"));
            anyhow!("{flag} {spec}: no element named `{name}`{hint}")
        })?;
    let at = parse_duration(time).map_err(|e| anyhow!("{flag} {spec}: {}", e.message))?;
    Ok(Injection { element, at, down })
}

pub fn scenario(
    path: &Path,
    fail: &[String],
    repair: &[String],
    horizon: Option<&str>,
    seed: u64,
    export: Option<&str>,
    plot: Option<&str>,
) -> Result<ExitCode> {
    output::check_all([export, plot])?;
    let l = load(path)?;
    if fail.is_empty() && repair.is_empty() {
        bail!("nothing to play: give at least one --fail NAME@TIME");
    }
    let mut inj = Vec::new();
    for f in fail {
        inj.push(parse_injection(&l.model, f, true)?);
    }
    for r in repair {
        inj.push(parse_injection(&l.model, r, false)?);
    }
    inj.sort_by_key(|i| i.at);
    let last = inj.iter().map(|i| i.at).max().unwrap_or(0);
    let horizon = match horizon {
        Some(h) => parse_duration(h).map_err(|e| anyhow!("--horizon {h}: {}", e.message))?,
        None => last + NANOS_PER_HOUR,
    };
    if horizon > MAX_HORIZON || horizon <= last {
        bail!(
            "--horizon must be after the last injection ({}) and at most {}",
            Human(last),
            Human(MAX_HORIZON)
        );
    }
    let (o, t) = analysis::scenario(&l.model, inj, horizon, seed)
        .map_err(|e| anyhow!("scenario on model `{}`: {e}", l.model.name))?;
    if let Some(p) = plot {
        crate::plot::save(
            p,
            &Chart::Timeline {
                title: format!("scenario on {}", l.model.name),
                trace: &t,
                horizon,
            },
        )?;
    }
    let mut text = format!(
        "scenario on {} (seed {seed}), simulated to {}\n\n",
        l.model.name,
        Human(horizon)
    );
    text.push_str(&timeline(&t));
    text.push('\n');
    let rows: Vec<Vec<String>> = l
        .model
        .services
        .iter()
        .zip(&o.services)
        .map(|(s, r)| {
            vec![
                s.name.clone(),
                format::seconds(r.downtime as f64 / 1e9),
                r.outages.to_string(),
                if !o.final_up[s.node] {
                    "still down at the end".into()
                } else if r.outages == 0 {
                    "never down".into()
                } else {
                    "up".into()
                },
            ]
        })
        .collect();
    text.push_str(&format::table(
        &["service", "downtime", "outages", "at the end"],
        &rows,
    ));
    if let Some(f) = export {
        // The document the playground writes too (sim_render::scenario).
        output::write(
            f,
            &sim_render::scenario::json(&l.model, seed, horizon, &o, &t),
        )?;
        if f == "-" {
            return Ok(ExitCode::SUCCESS);
        }
    }
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The simulation options of `hasim exact --simulated-importance`.
pub struct SimulatedImportance<'a> {
    pub replications: u64,
    pub seed: u64,
    pub horizon: &'a str,
    pub threads: Option<usize>,
}

/// `hasim exact`: the exact steady-state analysis as text on stdout, and
/// as JSON to `--export-json`.
pub fn exact(
    path: &Path,
    max_cut_order: usize,
    export_json: Option<&str>,
    simulated: Option<SimulatedImportance<'_>>,
) -> Result<ExitCode> {
    output::check_all([export_json])?;
    let loaded = load(path)?;
    let options = sim_core::exact::Options {
        max_cut_order,
        ..Default::default()
    };
    let analysis = sim_core::exact::analyse(&loaded.model, options);
    let simulated = match simulated {
        None => None,
        Some(s) => {
            let horizon = parse_duration(s.horizon)
                .map_err(|e| anyhow!("--horizon {}: {}", s.horizon, e.message))?;
            if s.replications < 2 {
                bail!(
                    "-n {}: the intervals need at least 2 replications",
                    s.replications
                );
            }
            let opts = RunOptions {
                replications: s.replications,
                seed: s.seed,
                horizon,
                ..RunOptions::default()
            };
            let rows = pool(s.threads)?
                .install(|| sim_core::exact::simulated::simulated_importance(&loaded.model, &opts))
                .map_err(|o| anyhow!("{o}"))?;
            let line = format!(
                "{} replications x {} each, seed {}",
                s.replications, s.horizon, s.seed
            );
            Some((rows, line))
        }
    };
    if let Some(f) = export_json {
        output::write(
            f,
            &sim_render::exact::json_with(&analysis, simulated.as_ref().map(|(r, _)| r.as_slice())),
        )?;
    }
    if export_json != Some("-") {
        let mut text = sim_render::exact::text(&analysis);
        if let Some((rows, line)) = &simulated {
            text.push_str(&sim_render::exact::simulated_importance_text(rows, line));
        }
        output::print(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn presets() -> Result<ExitCode> {
    let rows: Vec<Vec<String>> = sim_core::model::presets::PRESETS
        .iter()
        .map(|p| {
            vec![
                p.name.into(),
                p.mode.into(),
                p.every.into(),
                p.repair.into(),
                p.source.into(),
            ]
        })
        .collect();
    output::print(&format::table(
        &["preset", "mode", "every", "repair", "source"],
        &rows,
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `hasim import`: the model the files describe, to stdout or `-o`, with
/// what was read, ignored and assumed on stderr.
pub fn import(paths: &[std::path::PathBuf], out: Option<&str>) -> Result<ExitCode> {
    if let Some(o) = out {
        output::check_writable(o)?;
    }
    let texts = paths
        .iter()
        .map(|p| Ok((p.display().to_string(), read(p)?)))
        .collect::<Result<Vec<_>>>()?;
    let files: Vec<sim_core::import::ConfigFile> = texts
        .iter()
        .map(|(name, text)| sim_core::import::ConfigFile { name, text })
        .collect();
    let imported = sim_core::import::import(&files).map_err(|e| anyhow!("{e}"))?;
    match out {
        Some(o) => output::write(o, &imported.model)?,
        None => output::print(&imported.model)?,
    }
    for line in &imported.summary {
        eprintln!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}
