//! The playground's operations over plain strings: what the `#[wasm_bindgen]`
//! functions call, and what the native tests exercise.
//!
//! The export documents come from the same sim-core builders the CLI uses
//! (`Document`, `CompareDoc`, `export::csv`, `edit::combinations`), so the
//! JSON and CSV bytes match `hasim run`, `hasim sweep` and `hasim compare`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use sim_core::analysis;
use sim_core::export::{Document, Point, SCHEMA_VERSION};
use sim_core::model::compile::{self, Model};
use sim_core::model::diag::{Diagnostic, Severity, Source};
use sim_core::model::edit;
use sim_core::model::tree::{self, Format};
use sim_core::runner::{run_range, summarize, Accumulator, Progress, RunOptions, Stopped};
use sim_core::study;

/// What went wrong, for the JavaScript error's `name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The model text does not load: `diagnostics_json` says where.
    Model,
    /// Options, designs or sweep axes are malformed.
    Input,
    /// The progress callback asked to stop.
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: ErrorKind,
    /// The CLI's text for the error.
    pub message: String,
    /// JSON array of [`DiagnosticOut`] for model errors.
    pub diagnostics_json: Option<String>,
}

impl ApiError {
    fn input(message: impl Into<String>) -> Self {
        ApiError {
            kind: ErrorKind::Input,
            message: message.into(),
            diagnostics_json: None,
        }
    }

    fn cancelled() -> Self {
        ApiError {
            kind: ErrorKind::Cancelled,
            message: "cancelled".into(),
            diagnostics_json: None,
        }
    }

    fn model(message: String, diagnostics: &[Diagnostic]) -> Self {
        let out: Vec<DiagnosticOut> = diagnostics.iter().map(DiagnosticOut::of).collect();
        ApiError {
            kind: ErrorKind::Model,
            message,
            diagnostics_json: Some(serde_json::to_string(&out).expect("diagnostics serialize")),
        }
    }
}

/// A diagnostic as the page sees it: the located fields plus the rendered
/// text the CLI prints.
#[derive(Debug, Serialize)]
pub struct DiagnosticOut {
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub snippet: String,
    pub help: Option<String>,
    pub rule: Option<String>,
    /// The lint's stable id, for warnings.
    pub id: Option<&'static str>,
    pub rendered: String,
}

impl DiagnosticOut {
    fn of(d: &Diagnostic) -> Self {
        DiagnosticOut {
            severity: d.severity,
            message: d.message.clone(),
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            snippet: d.snippet.clone(),
            id: d.id,
            help: d.help.clone(),
            rule: d.rule.clone(),
            rendered: d.to_string(),
        }
    }
}

pub fn version() -> String {
    format!(
        "hasim {} (export schema {})",
        env!("CARGO_PKG_VERSION"),
        SCHEMA_VERSION
    )
}

fn load(name: &str, text: &str) -> Result<Model, ApiError> {
    compile::load(name, text).map_err(|e| ApiError::model(e.to_string(), &e.diagnostics))
}

#[derive(Serialize)]
struct ValidateOut {
    ok: bool,
    /// The status line the page shows, from the shared renderer.
    summary: String,
    diagnostics: Vec<DiagnosticOut>,
    model: Option<ModelSummary>,
    assumptions: Vec<String>,
}

#[derive(Serialize)]
struct ModelSummary {
    name: String,
    hash: String,
    elements: usize,
    clusters: Vec<String>,
    services: Vec<String>,
}

/// Errors, or else the design warnings of `hasim validate`.
pub fn validate(name: &str, text: &str) -> String {
    let out = match compile::load(name, text) {
        Err(e) => ValidateOut {
            ok: false,
            summary: format!(
                "{}: the model does not load",
                sim_core::text::plural(e.diagnostics.len() as u64, "error")
            ),
            diagnostics: e.diagnostics.iter().map(DiagnosticOut::of).collect(),
            model: None,
            assumptions: Vec::new(),
        },
        Ok(model) => {
            let lints = analysis::lint(&model, &Source { name, text });
            ValidateOut {
                ok: true,
                summary: sim_render::view::model_summary(
                    &model.name,
                    model.elements.len(),
                    model.clusters.len(),
                    model.services.len(),
                    lints.len(),
                ),
                diagnostics: lints.iter().map(DiagnosticOut::of).collect(),
                model: Some(ModelSummary {
                    name: model.name.clone(),
                    hash: model.text_hash.clone(),
                    elements: model.elements.len(),
                    clusters: model.clusters.iter().map(|c| c.name.clone()).collect(),
                    services: model.services.iter().map(|s| s.name.clone()).collect(),
                }),
                assumptions: model.assumptions.clone(),
            }
        }
    };
    serde_json::to_string(&out).expect("validation output serializes")
}

/// Run options as the page sends them; every field is optional and defaults
/// like the CLI (`--seed 1 -n 1000 --horizon 10y --batch 100`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OptionsIn {
    /// A number or a decimal string (seeds above 2^53 do not survive a
    /// JavaScript number).
    seed: Option<serde_json::Value>,
    replications: Option<u64>,
    horizon: Option<String>,
    target_ci: Option<f64>,
    batch: Option<u64>,
    /// The event budget per replication (the CLI's `--max-events`).
    max_events: Option<u64>,
}

/// Parses and checks options with the CLI's rules.
pub fn options(json: &str) -> Result<RunOptions, ApiError> {
    let o: OptionsIn = if json.trim().is_empty() {
        OptionsIn::default()
    } else {
        serde_json::from_str(json).map_err(|e| ApiError::input(format!("options: {e}")))?
    };
    let seed = match &o.seed {
        None => None,
        Some(serde_json::Value::Number(n)) => Some(n.as_u64().ok_or_else(|| {
            ApiError::input(format!(
                "seed must be a whole number from 0 to 2^64-1, got {n}"
            ))
        })?),
        Some(serde_json::Value::String(s)) => Some(s.trim().parse().map_err(|_| {
            ApiError::input(format!(
                "seed must be a whole number from 0 to 2^64-1, got `{s}`"
            ))
        })?),
        Some(v) => return Err(ApiError::input(format!("seed must be a number, got {v}"))),
    };
    study::run_options(&study::OptionsIn {
        seed,
        replications: o.replications,
        horizon: o.horizon.clone(),
        target_ci: o.target_ci,
        batch: o.batch,
        max_events: o.max_events,
    })
    .map_err(|e| ApiError::input(format!("{} {}", e.option.key(), e.message)))
}

/// Progress over a whole operation: (replications done, replications in all).
/// Returning `false` cancels.
pub type ProgressFn<'a> = dyn FnMut(u64, u64) -> bool + 'a;

/// Runs replications `0..opts.replications`, reporting progress offset by
/// `before` out of `total`.
fn simulate(
    model: &Model,
    opts: &RunOptions,
    before: u64,
    total: u64,
    progress: &mut ProgressFn<'_>,
) -> Result<Accumulator, ApiError> {
    run_range(model, opts, 0, &mut |p: Progress| {
        progress(before + p.done, total)
    })
    .map_err(|e| match e {
        Stopped::Cancelled => ApiError::cancelled(),
        // The CLI's text, so the page says what the terminal says.
        Stopped::Overrun(o) => ApiError::input(format!("model `{}`: {o}", model.name)),
    })
}

/// Recovery-time distribution of one service: `(seconds, fraction of
/// recoveries at or below)` at every percent, from the exact histogram.
#[derive(Serialize)]
pub struct RecoveryCdf {
    pub service: String,
    pub count: u64,
    pub points: Vec<[f64; 2]>,
}

/// The recovery-time CDFs for the charts, as sim-core's results carry them.
fn recovery_cdf(result: &sim_core::runner::RunResult) -> Vec<RecoveryCdf> {
    result
        .services
        .iter()
        .map(|s| RecoveryCdf {
            service: s.name.clone(),
            count: s.recovery_seconds.count,
            points: s.recovery_seconds.cdf.clone(),
        })
        .collect()
}

pub struct RunOut {
    pub json: String,
    pub csv: String,
    pub recovery: String,
    /// The bytes of `hasim run --export-markdown`, from the same renderer.
    pub markdown: String,
}

/// `hasim run MODEL --export-json`.
pub fn run(
    name: &str,
    text: &str,
    options_json: &str,
    progress: &mut ProgressFn<'_>,
) -> Result<RunOut, ApiError> {
    let model = load(name, text)?;
    let opts = options(options_json)?;
    let acc = simulate(&model, &opts, 0, opts.replications, progress)?;
    let result = summarize(&model, &acc, opts.horizon);
    let mut doc = Document::new(&model, &opts);
    doc.points.push(Point {
        parameters: IndexMap::new(),
        result,
    });
    Ok(RunOut {
        json: doc.to_json(),
        csv: sim_core::export::csv(&doc),
        recovery: serde_json::to_string(&recovery_cdf(&doc.points[0].result)).expect("serializes"),
        markdown: sim_render::format::markdown(&doc),
    })
}

/// What [`rare`] returns: the bytes `hasim run --estimator is` exports and
/// prints.
pub struct RareOut {
    pub json: String,
    pub text: String,
}

/// `hasim run --estimator is --cycles CYCLES`: importance sampling over
/// regenerative cycles, with `run`'s options (the seed, `target_ci`, the
/// event budget). A model it cannot serve is an input error saying why,
/// the CLI's message.
pub fn rare(
    name: &str,
    text: &str,
    options_json: &str,
    cycles: u64,
    progress: &mut ProgressFn<'_>,
) -> Result<RareOut, ApiError> {
    let model = load(name, text)?;
    let opts = options(options_json)?;
    let bias = sim_core::rare::qualify(&model)
        .map_err(|e| ApiError::input(format!("--estimator is: model `{}`: {e}", model.name)))?;
    let ropts = sim_core::rare::options_from(&opts, cycles);
    let mut cancelled = false;
    let acc = sim_core::rare::run_range(&model, &bias, &ropts, 0, &mut |done| {
        cancelled = !progress(done, cycles);
        !cancelled
    });
    let acc = match acc {
        Ok(acc) => acc,
        Err(_) if cancelled => return Err(ApiError::cancelled()),
        Err(e) => return Err(ApiError::input(format!("model `{}`: {e}", model.name))),
    };
    let result = sim_core::rare::summarize(&model, &bias, &acc);
    Ok(RareOut {
        json: sim_core::rare::document_json(&model, opts.seed, &result),
        text: sim_render::rare::text(&model, opts.seed, &result),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DesignIn {
    name: String,
    text: String,
}

pub struct CompareOut {
    pub json: String,
    /// The page's tables and chart labels ([`sim_render::view::CompareView`]).
    pub view: String,
    pub csv: String,
    pub documents: String,
    pub recovery: String,
    /// The review's first page ([`sim_render::summary::Summary`], JSON):
    /// per service the verdict sentence `hasim report` opens with, and per
    /// design what to fix first.
    pub summary: String,
    /// Every design's accumulated replications, JSON `[accumulator, ...]`
    /// in the format of a [`compare_range`] part: opaque to the page, which
    /// hands it back to [`review`] so the review needs no second run.
    pub accumulators: String,
}

/// `hasim compare A B ...`: every design with the same seeds.
pub fn compare(
    designs_json: &str,
    options_json: &str,
    progress: &mut ProgressFn<'_>,
) -> Result<CompareOut, ApiError> {
    let (loaded, opts) = compare_inputs(designs_json, options_json)?;
    let total = opts.replications * loaded.len() as u64;
    let mut accs = Vec::new();
    for (i, l) in loaded.iter().enumerate() {
        accs.push(simulate(
            &l.model,
            &opts,
            opts.replications * i as u64,
            total,
            progress,
        )?);
    }
    Ok(compare_out(&loaded, &opts, &accs))
}

/// The designs, loaded, and the checked options of a comparison.
fn compare_inputs(
    designs_json: &str,
    options_json: &str,
) -> Result<(Vec<compile::Loaded>, RunOptions), ApiError> {
    let designs: Vec<DesignIn> =
        serde_json::from_str(designs_json).map_err(|e| ApiError::input(format!("designs: {e}")))?;
    if designs.is_empty() {
        return Err(ApiError::input("compare needs at least one design"));
    }
    let opts = options(options_json)?;
    // Loaded (text and tree kept) rather than bare models: the summary's
    // findings read the model text to name the warning behind a cause.
    let loaded = designs
        .iter()
        .map(|d| {
            compile::Loaded::new(&d.name, &d.text)
                .map_err(|e| ApiError::model(e.to_string(), &e.diagnostics))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((loaded, opts))
}

/// Replications `from..to` of every design of a comparison, for one of
/// several workers: JSON `[accumulator, ...]`, one per design, which
/// [`compare_merge`] merges in replication order. Each replication's
/// stream depends only on the seed and its index, and the accumulators
/// hold exact integer sums, so the merged result has the bits of a
/// comparison run in one piece. A `target_ci` (which stops on what has been
/// accumulated so far) cannot be split and is refused.
pub fn compare_range(
    designs_json: &str,
    options_json: &str,
    from: u64,
    to: u64,
    progress: &mut ProgressFn<'_>,
) -> Result<String, ApiError> {
    let (loaded, opts) = compare_inputs(designs_json, options_json)?;
    if opts.target_ci.is_some() {
        return Err(ApiError::input(
            "a run with target_ci stops on the replications so far and runs in one worker",
        ));
    }
    if from > to || to > opts.replications {
        return Err(ApiError::input(format!(
            "replications {from}..{to} are not within 0..{}",
            opts.replications
        )));
    }
    let part = RunOptions {
        replications: to - from,
        ..opts.clone()
    };
    let total = part.replications * loaded.len() as u64;
    let mut accs = Vec::new();
    for (i, l) in loaded.iter().enumerate() {
        let before = part.replications * i as u64;
        let acc = run_range(&l.model, &part, from, &mut |p: Progress| {
            progress(before + p.done, total)
        })
        .map_err(|e| match e {
            Stopped::Cancelled => ApiError::cancelled(),
            Stopped::Overrun(o) => ApiError::input(format!("model `{}`: {o}", l.model.name)),
        })?;
        accs.push(acc);
    }
    Ok(serde_json::to_string(&accs).expect("serializes"))
}

/// Merges the parts [`compare_range`] returned (JSON `["[acc, ...]", ...]`,
/// in replication order, covering `0..replications`) into the comparison
/// [`compare`] returns for the same designs and options.
pub fn compare_merge(
    designs_json: &str,
    options_json: &str,
    parts_json: &str,
) -> Result<CompareOut, ApiError> {
    let (loaded, opts) = compare_inputs(designs_json, options_json)?;
    let accs = merge_parts(&loaded, &opts, parts_json)?;
    Ok(compare_out(&loaded, &opts, &accs))
}

/// Adds the parts (JSON `["[acc, ...]", ...]`, in replication order) into
/// one accumulator per design and checks they hold replications
/// `0..replications` (with `target_ci`, which stops early, at most that
/// many), so nothing is counted twice or missing.
fn merge_parts(
    loaded: &[compile::Loaded],
    opts: &RunOptions,
    parts_json: &str,
) -> Result<Vec<Accumulator>, ApiError> {
    let parts: Vec<String> =
        serde_json::from_str(parts_json).map_err(|e| ApiError::input(format!("parts: {e}")))?;
    let mut accs: Vec<Accumulator> = loaded
        .iter()
        .map(|l| Accumulator::new(&l.model, 0))
        .collect();
    for (k, p) in parts.iter().enumerate() {
        let part: Vec<Accumulator> =
            serde_json::from_str(p).map_err(|e| ApiError::input(format!("part {}: {e}", k + 1)))?;
        if part.len() != accs.len() {
            return Err(ApiError::input(format!(
                "part {} has {} designs, not {}",
                k + 1,
                part.len(),
                accs.len()
            )));
        }
        for (acc, p) in accs.iter_mut().zip(&part) {
            acc.merge(p)
                .map_err(|e| ApiError::input(format!("part {}: {e}", k + 1)))?;
        }
    }
    for (acc, l) in accs.iter().zip(loaded) {
        let count_ok = match opts.target_ci {
            None => acc.count == opts.replications,
            Some(_) => acc.count <= opts.replications,
        };
        if !count_ok || (acc.count > 0 && acc.first != 0) {
            return Err(ApiError::input(format!(
                "the parts hold {} replications of `{}` from index {}, not {} from 0",
                acc.count, l.model.name, acc.first, opts.replications
            )));
        }
    }
    Ok(accs)
}

/// Everything the page shows of a comparison, from each design's
/// accumulated replications.
fn compare_out(loaded: &[compile::Loaded], opts: &RunOptions, accs: &[Accumulator]) -> CompareOut {
    let models: Vec<&Model> = loaded.iter().map(|l| &l.model).collect();
    let doc = sim_core::export::CompareDoc::new(&models, accs, opts);
    // Each design's own run document: the bytes `hasim run` exports.
    let documents: Vec<String> = models
        .iter()
        .zip(&doc.designs)
        .map(|(m, d)| {
            let mut run = Document::new(m, opts);
            run.points.push(Point {
                parameters: IndexMap::new(),
                result: d.result.clone(),
            });
            run.to_json()
        })
        .collect();
    // CSV: one "point" per design, as `hasim compare --export-csv`.
    let flat = doc.flat(models[0], opts);
    let recovery: Vec<Vec<RecoveryCdf>> = doc
        .designs
        .iter()
        .map(|d| recovery_cdf(&d.result))
        .collect();
    // The exact steady state of each design, beside its simulated figures:
    // it takes milliseconds against the run's seconds, and its difference
    // from the simulation is what the failover transients cost.
    let exact: Vec<sim_core::exact::Analysis> = models
        .iter()
        .map(|m| sim_core::exact::analyse(m, sim_core::exact::Options::default()))
        .collect();
    CompareOut {
        json: doc.to_json(),
        view: serde_json::to_string(&sim_render::view::compare_with_exact(
            &doc,
            opts.horizon,
            &exact,
        ))
        .expect("serializes"),
        csv: sim_core::export::csv(&flat),
        documents: serde_json::to_string(&documents).expect("serializes"),
        recovery: serde_json::to_string(&recovery).expect("serializes"),
        // No design search: it simulates every design of the model's
        // `[design]` space, far more than the comparison asked for.
        summary: serde_json::to_string(&sim_render::summary::summary(loaded, &doc, &[]))
            .expect("serializes"),
        accumulators: serde_json::to_string(accs).expect("serializes"),
    }
}

/// `hasim report A B ... --no-design-search -o OUTPUT` (or `--format
/// gfm`/`md`) for a comparison the page has already run: `parts_json` is
/// what [`compare_merge`] takes (the page passes `[accumulators]` of its
/// comparison), `format` is `html`, `md` or `gfm`, and `output` the file
/// name the document's Reproduce command writes. The document is the CLI's
/// byte for byte, except that it has no charts (the wasm build has no
/// chart renderer: see `sim_render::review`), whose places say so; gfm,
/// which shows no charts, is the same bytes. The design search is not run
/// (it simulates every design of a `[design]` space).
pub fn review(
    designs_json: &str,
    options_json: &str,
    parts_json: &str,
    format: &str,
    output: &str,
) -> Result<String, ApiError> {
    let format = sim_render::review::Format::named(format).map_err(ApiError::input)?;
    let (loaded, opts) = compare_inputs(designs_json, options_json)?;
    for (i, a) in loaded.iter().enumerate() {
        if let Some(b) = loaded[..i].iter().find(|b| b.model.name == a.model.name) {
            return Err(ApiError::input(format!(
                "{} and {} are both named `{}`: the review tells designs apart by their [model] name, so give each its own",
                b.name, a.name, a.model.name
            )));
        }
    }
    let accs = merge_parts(&loaded, &opts, parts_json)?;
    let models: Vec<&Model> = loaded.iter().map(|l| &l.model).collect();
    let doc = sim_core::export::CompareDoc::new(&models, &accs, &opts);
    // The horizon as the user wrote it, for the Reproduce command, as the
    // CLI keeps its `--horizon` argument (whose default is the same).
    let horizon = horizon_text(options_json);
    let review = sim_render::review::Review {
        loaded: &loaded,
        doc: &doc,
        opts: &opts,
        horizon: &horizon,
        output,
        searches: &[],
        charts: None,
    };
    Ok(sim_render::review::render(&review, format).text)
}

/// The `horizon` of the options as written (already checked by
/// [`options`]), or the CLI's default `10y`.
fn horizon_text(options_json: &str) -> String {
    serde_json::from_str::<OptionsIn>(options_json)
        .ok()
        .and_then(|o| o.horizon)
        .unwrap_or_else(|| "10y".to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AxisIn {
    path: String,
    values: Vec<serde_json::Value>,
}

/// A sweep value as the CLI would read it from `-L NAME V1,V2`.
fn axis_value(v: &serde_json::Value) -> Result<String, ApiError> {
    match v {
        serde_json::Value::String(s) => Ok(s.trim().to_string()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        other => Err(ApiError::input(format!(
            "a sweep value is a number, a boolean or a string, not {other}"
        ))),
    }
}

pub struct SweepOut {
    pub json: String,
    /// The page's table ([`sim_render::view::SweepView`]).
    pub view: String,
    pub csv: String,
    /// The bytes of `hasim sweep --export-markdown`.
    pub markdown: String,
}

/// `hasim sweep MODEL -L PATH V1,V2 ...`.
pub fn sweep(
    name: &str,
    text: &str,
    options_json: &str,
    axes_json: &str,
    progress: &mut ProgressFn<'_>,
) -> Result<SweepOut, ApiError> {
    let src = Source { name, text };
    let base = tree::parse(&src, Format::detect(name, text))
        .map_err(|d| ApiError::model(d.to_string(), std::slice::from_ref(&d)))?;
    let opts = options(options_json)?;
    let axes_in: Vec<AxisIn> =
        serde_json::from_str(axes_json).map_err(|e| ApiError::input(format!("axes: {e}")))?;
    if axes_in.is_empty() {
        return Err(ApiError::input(
            "nothing to sweep: give at least one parameter path and its values",
        ));
    }
    let mut axes: Vec<(String, Vec<String>)> = Vec::new();
    for a in &axes_in {
        let values = a
            .values
            .iter()
            .map(axis_value)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>();
        if values.is_empty() {
            return Err(ApiError::input(format!("{}: no values given", a.path)));
        }
        axes.push((a.path.trim().to_string(), values));
    }
    let points =
        study::sweep_points(sim_core::protocols::builtin(), &src, &base, &axes).map_err(|e| {
            match &e {
                study::SweepError::Size(m)
                | study::SweepError::Point(edit::PointError::Path(m)) => ApiError::input(m.clone()),
                study::SweepError::Point(edit::PointError::Model(_, me)) => {
                    ApiError::model(e.to_string(), &me.diagnostics)
                }
            }
        })?;
    let mut doc = Document::new(&points[0].1, &opts);
    let total = opts.replications * points.len() as u64;
    for (i, (p, model)) in points.iter().enumerate() {
        let acc = simulate(model, &opts, opts.replications * i as u64, total, progress)?;
        let result = summarize(model, &acc, opts.horizon);
        let parameters = study::point_parameters(p);
        doc.points.push(Point { parameters, result });
    }
    Ok(SweepOut {
        json: doc.to_json(),
        view: serde_json::to_string(&sim_render::view::sweep(&doc, opts.horizon))
            .expect("serializes"),
        csv: sim_core::export::csv(&doc),
        markdown: sim_render::format::markdown(&doc),
    })
}

pub struct ExactOut {
    /// The bytes of `hasim exact --export-json`.
    pub json: String,
    /// The page's tables ([`sim_render::view::ExactView`]).
    pub view: String,
}

/// `hasim exact MODEL --export-json -`, with the CLI's default options
/// (cut sets of up to 3 parts). A model that does not load is the located
/// error `run` gives; a service the library cannot solve is not an error
/// but a `not_solved` entry naming the part and the reason.
pub fn exact(name: &str, text: &str) -> Result<ExactOut, ApiError> {
    let model = load(name, text)?;
    let analysis = sim_core::exact::analyse(&model, sim_core::exact::Options::default());
    Ok(ExactOut {
        json: sim_render::exact::json(&analysis),
        view: serde_json::to_string(&sim_render::view::exact(&analysis)).expect("serializes"),
    })
}

/// The design as a picture: one node per element, cluster and service, the
/// dependency edges and the single points of failure (by replay and by the
/// exact analysis), as [`sim_render::topology::Topology`] JSON.
pub fn topology(name: &str, text: &str) -> Result<String, ApiError> {
    let model = load(name, text)?;
    let analysis = sim_core::exact::analyse(&model, sim_core::exact::Options::default());
    Ok(
        serde_json::to_string(&sim_render::topology::topology(&model, &analysis))
            .expect("serializes"),
    )
}

/// `hasim scenario MODEL --fail ELEMENT@AT --seed SEED`: the element fails
/// at `at` (a duration) with random failures off, simulated an hour past
/// it (the CLI's default horizon). Returns the bytes of the CLI's
/// `--export-json`.
pub fn scenario(
    name: &str,
    text: &str,
    element: &str,
    at: &str,
    seed: &str,
) -> Result<String, ApiError> {
    let model = load(name, text)?;
    let el = model
        .elements
        .iter()
        .position(|e| e.name == element)
        .ok_or_else(|| ApiError::input(format!("no element named `{element}` in {name}")))?;
    let at = sim_core::time::parse_duration(at)
        .map_err(|e| ApiError::input(format!("fail at `{at}`: {}", e.message)))?;
    let seed: u64 = seed
        .trim()
        .parse()
        .map_err(|_| ApiError::input(format!("seed must be a whole number, got `{seed}`")))?;
    let horizon = at + sim_core::time::NANOS_PER_HOUR;
    if horizon > sim_core::time::MAX_HORIZON {
        return Err(ApiError::input(format!(
            "the failure must come before {}",
            sim_core::time::Human(sim_core::time::MAX_HORIZON - sim_core::time::NANOS_PER_HOUR)
        )));
    }
    let inj = vec![sim_core::sim::Injection {
        element: el,
        at,
        down: true,
    }];
    let (o, t) = analysis::scenario(&model, inj, horizon, seed)
        .map_err(|e| ApiError::input(format!("scenario on model `{}`: {e}", model.name)))?;
    Ok(sim_render::scenario::json(&model, seed, horizon, &o, &t))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    name: String,
    text: String,
}

#[derive(Serialize)]
struct ImportOut {
    ok: bool,
    /// The model `hasim import` writes, byte for byte.
    model: Option<String>,
    /// What was read, ignored and assumed (the CLI's stderr).
    summary: Vec<String>,
    diagnostics: Vec<DiagnosticOut>,
}

/// `hasim import FILE...`: `files` is JSON `[{name, text}, ...]`; returns
/// JSON `{ok, model, summary, diagnostics}`, the model being the bytes the
/// CLI writes for the same files and names.
pub fn import(files_json: &str) -> Result<String, ApiError> {
    let files: Vec<FileIn> =
        serde_json::from_str(files_json).map_err(|e| ApiError::input(format!("files: {e}")))?;
    let configs: Vec<sim_core::import::ConfigFile> = files
        .iter()
        .map(|f| sim_core::import::ConfigFile {
            name: &f.name,
            text: &f.text,
        })
        .collect();
    let out = match sim_core::import::import(&configs) {
        Ok(i) => ImportOut {
            ok: true,
            model: Some(i.model),
            summary: i.summary,
            diagnostics: Vec::new(),
        },
        Err(d) => ImportOut {
            ok: false,
            model: None,
            summary: Vec::new(),
            diagnostics: vec![DiagnosticOut::of(&d)],
        },
    };
    Ok(serde_json::to_string(&out).expect("serializes"))
}
