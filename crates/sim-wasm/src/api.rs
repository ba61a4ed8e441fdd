//! The playground's operations over plain strings: what the `#[wasm_bindgen]`
//! functions call, and what the native tests exercise.
//!
//! The export documents are built exactly as the CLI builds them (`hasim run`,
//! `hasim sweep`, `hasim compare`), so the JSON bytes match. The CLI keeps its
//! builders private to `sim-cli`; the few lines of `compare`'s document, the
//! Welch interval and the CSV writer are mirrored here; moving them into
//! `sim_core::export` would let both front ends share one copy.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use sim_core::analysis;
use sim_core::export::{Document, ModelId, Point, SCHEMA_VERSION};
use sim_core::model::compile::{self, Model};
use sim_core::model::diag::{Diagnostic, Severity, Source};
use sim_core::model::edit;
use sim_core::model::tree::{self, Format};
use sim_core::runner::{run_range, summarize, Accumulator, Progress, RunOptions, RunResult};
use sim_core::stats::{student_t_quantile, Estimate, Moments};
use sim_core::time::{parse_duration, Human, MAX_HORIZON, NANOS_PER_MIN, NANOS_PER_YEAR};

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
            diagnostics: e.diagnostics.iter().map(DiagnosticOut::of).collect(),
            model: None,
            assumptions: Vec::new(),
        },
        Ok(model) => {
            let lints = analysis::lint(&model, &Source { name, text });
            ValidateOut {
                ok: true,
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
}

/// Parses and checks options with the CLI's rules.
pub fn options(json: &str) -> Result<RunOptions, ApiError> {
    let o: OptionsIn = if json.trim().is_empty() {
        OptionsIn::default()
    } else {
        serde_json::from_str(json).map_err(|e| ApiError::input(format!("options: {e}")))?
    };
    let d = RunOptions::default();
    let seed = match &o.seed {
        None => d.seed,
        Some(serde_json::Value::Number(n)) => n.as_u64().ok_or_else(|| {
            ApiError::input(format!(
                "seed must be a whole number from 0 to 2^64-1, got {n}"
            ))
        })?,
        Some(serde_json::Value::String(s)) => s.trim().parse().map_err(|_| {
            ApiError::input(format!(
                "seed must be a whole number from 0 to 2^64-1, got `{s}`"
            ))
        })?,
        Some(v) => return Err(ApiError::input(format!("seed must be a number, got {v}"))),
    };
    let horizon = match &o.horizon {
        None => d.horizon,
        Some(h) => {
            parse_duration(h).map_err(|e| ApiError::input(format!("horizon {h}: {}", e.message)))?
        }
    };
    if horizon == 0 || horizon > MAX_HORIZON {
        return Err(ApiError::input(format!(
            "horizon must be longer than zero and at most {} (got {})",
            Human(MAX_HORIZON),
            o.horizon.as_deref().unwrap_or("")
        )));
    }
    let replications = o.replications.unwrap_or(d.replications);
    if replications == 0 {
        return Err(ApiError::input("replications must be at least 1"));
    }
    if let Some(t) = o.target_ci {
        if !(t > 0.0 && t < 1.0) {
            return Err(ApiError::input(format!(
                "target CI is a fraction between 0 and 1 (0.05 means ±5%), got {t}"
            )));
        }
    }
    let batch = o.batch.unwrap_or(d.batch);
    if batch == 0 {
        return Err(ApiError::input("batch must be at least 1"));
    }
    Ok(RunOptions {
        seed,
        replications,
        horizon,
        target_ci: o.target_ci,
        batch,
    })
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
    .map_err(|_| ApiError::cancelled())
}

/// Recovery-time distribution of one service: `(seconds, fraction of
/// recoveries at or below)` at every percent, from the exact histogram.
#[derive(Serialize)]
pub struct RecoveryCdf {
    pub service: String,
    pub count: u64,
    pub points: Vec<[f64; 2]>,
}

fn recovery_cdf(model: &Model, acc: &Accumulator) -> Vec<RecoveryCdf> {
    model
        .services
        .iter()
        .zip(&acc.services)
        .map(|(s, a)| RecoveryCdf {
            service: s.name.clone(),
            count: a.recovery.count,
            points: (1..=100)
                .filter_map(|k| {
                    let q = f64::from(k) / 100.0;
                    a.recovery.quantile(q).map(|ns| [ns as f64 / 1e9, q])
                })
                .collect(),
        })
        .collect()
}

pub struct RunOut {
    pub json: String,
    pub csv: String,
    pub recovery: String,
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
        csv: csv(&doc),
        recovery: serde_json::to_string(&recovery_cdf(&model, &acc)).expect("serializes"),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DesignIn {
    name: String,
    text: String,
}

#[derive(Serialize)]
struct CompareDoc {
    schema_version: u32,
    seed: u64,
    replications: u64,
    horizon_years: f64,
    designs: Vec<DesignOut>,
    comparisons: Vec<Comparison>,
}

#[derive(Serialize)]
struct DesignOut {
    model: ModelId,
    #[serde(flatten)]
    result: RunResult,
}

#[derive(Serialize)]
struct Comparison {
    service: String,
    baseline: String,
    design: String,
    /// Design minus baseline, minutes per year, with its 95% interval.
    downtime_difference_minutes_per_year: Estimate,
    significant: bool,
}

/// Welch's interval for the difference of two mean downtimes, as in
/// `hasim compare`: the common random numbers correlate the designs
/// positively, so treating them as independent only widens the interval.
fn difference(a: &Moments, b: &Moments, scale: f64) -> Estimate {
    let (ma, mb) = (a.mean() * scale, b.mean() * scale);
    let (va, vb) = (
        a.variance() * scale * scale / a.n as f64,
        b.variance() * scale * scale / b.n as f64,
    );
    let se2 = va + vb;
    let diff = mb - ma;
    if se2 == 0.0 || a.n < 2 || b.n < 2 {
        return Estimate {
            mean: diff,
            ci95: Some([diff, diff]),
            n: a.n.min(b.n),
        };
    }
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let h = student_t_quantile(0.975, df.max(1.0)) * se2.sqrt();
    Estimate {
        mean: diff,
        ci95: Some([diff - h, diff + h]),
        n: a.n.min(b.n),
    }
}

pub struct CompareOut {
    pub json: String,
    pub csv: String,
    pub documents: String,
    pub recovery: String,
}

/// `hasim compare A B ...`: every design with the same seeds.
pub fn compare(
    designs_json: &str,
    options_json: &str,
    progress: &mut ProgressFn<'_>,
) -> Result<CompareOut, ApiError> {
    let designs: Vec<DesignIn> =
        serde_json::from_str(designs_json).map_err(|e| ApiError::input(format!("designs: {e}")))?;
    if designs.is_empty() {
        return Err(ApiError::input("compare needs at least one design"));
    }
    let opts = options(options_json)?;
    let models = designs
        .iter()
        .map(|d| load(&d.name, &d.text))
        .collect::<Result<Vec<_>, _>>()?;
    let total = opts.replications * models.len() as u64;
    let mut accs = Vec::new();
    for (i, m) in models.iter().enumerate() {
        accs.push(simulate(
            m,
            &opts,
            opts.replications * i as u64,
            total,
            progress,
        )?);
    }
    let per_year_minutes =
        1.0 / (NANOS_PER_MIN as f64 * (opts.horizon as f64 / NANOS_PER_YEAR as f64));
    let summaries: Vec<RunResult> = models
        .iter()
        .zip(&accs)
        .map(|(m, a)| summarize(m, a, opts.horizon))
        .collect();
    // Services in the order of the first design, then any others.
    let mut services: Vec<&str> = Vec::new();
    for m in &models {
        for s in &m.services {
            if !services.contains(&s.name.as_str()) {
                services.push(&s.name);
            }
        }
    }
    let base = &models[0];
    let mut comparisons = Vec::new();
    for svc in &services {
        let Some(bi) = base.services.iter().position(|s| s.name == *svc) else {
            continue;
        };
        for (d, m) in models.iter().enumerate().skip(1) {
            let Some(i) = m.services.iter().position(|s| s.name == *svc) else {
                continue;
            };
            let e = difference(
                &accs[0].services[bi].downtime,
                &accs[d].services[i].downtime,
                per_year_minutes,
            );
            comparisons.push(Comparison {
                service: svc.to_string(),
                baseline: base.name.clone(),
                design: m.name.clone(),
                downtime_difference_minutes_per_year: e,
                significant: e.ci95.is_some_and(|[lo, hi]| lo > 0.0 || hi < 0.0),
            });
        }
    }
    let doc = CompareDoc {
        schema_version: SCHEMA_VERSION,
        seed: opts.seed,
        replications: opts.replications,
        horizon_years: opts.horizon as f64 / NANOS_PER_YEAR as f64,
        designs: models
            .iter()
            .zip(&summaries)
            .map(|(m, r)| DesignOut {
                model: ModelId::of(m),
                result: r.clone(),
            })
            .collect(),
        comparisons,
    };
    // Each design's own run document: the bytes `hasim run` exports.
    let documents: Vec<String> = models
        .iter()
        .zip(&summaries)
        .map(|(m, r)| {
            let mut d = Document::new(m, &opts);
            d.points.push(Point {
                parameters: IndexMap::new(),
                result: r.clone(),
            });
            d.to_json()
        })
        .collect();
    // CSV: one "point" per design, as `hasim compare --export-csv`.
    let mut flat = Document::new(base, &opts);
    for (m, r) in models.iter().zip(&summaries) {
        let mut parameters = IndexMap::new();
        parameters.insert(
            "design".to_string(),
            serde_json::Value::from(m.name.clone()),
        );
        flat.points.push(Point {
            parameters,
            result: r.clone(),
        });
    }
    let recovery: Vec<Vec<RecoveryCdf>> = models
        .iter()
        .zip(&accs)
        .map(|(m, a)| recovery_cdf(m, a))
        .collect();
    Ok(CompareOut {
        json: serde_json::to_string_pretty(&doc).expect("serializes") + "\n",
        csv: csv(&flat),
        documents: serde_json::to_string(&documents).expect("serializes"),
        recovery: serde_json::to_string(&recovery).expect("serializes"),
    })
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

fn json_value(v: &str) -> serde_json::Value {
    match edit::parse_cli_value(v) {
        tree::Kind::Int(i) => i.into(),
        tree::Kind::Float(f) => {
            serde_json::Number::from_f64(f).map_or(v.into(), serde_json::Value::Number)
        }
        tree::Kind::Bool(b) => b.into(),
        _ => v.into(),
    }
}

pub struct SweepOut {
    pub json: String,
    pub csv: String,
}

/// The most points one sweep may have, so a typo cannot freeze a tab for hours.
pub const MAX_SWEEP_POINTS: usize = 1000;

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
    let count: usize = axes.iter().map(|(_, v)| v.len()).product();
    if count > MAX_SWEEP_POINTS {
        return Err(ApiError::input(format!(
            "{count} sweep points is too many (at most {MAX_SWEEP_POINTS})"
        )));
    }
    // Every combination, the first axis varying slowest.
    let mut points: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (axis, values) in &axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((axis.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    // Compile every point before running any, so a bad value fails at once.
    let mut models = Vec::new();
    for p in &points {
        let mut t = base.clone();
        for (k, v) in p {
            edit::set_path(&mut t, k, edit::parse_cli_value(v))
                .map_err(|e| ApiError::input(format!("parameter `{k}`: {e}")))?;
        }
        let label: Vec<String> = p.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let model = compile::compile(&src, &t).map_err(|e| {
            ApiError::model(
                format!("at sweep point {}:\n{e}", label.join(", ")),
                &e.diagnostics,
            )
        })?;
        models.push(model);
    }
    let mut doc = Document::new(&models[0], &opts);
    let total = opts.replications * points.len() as u64;
    for (i, (p, model)) in points.iter().zip(&models).enumerate() {
        let acc = simulate(model, &opts, opts.replications * i as u64, total, progress)?;
        let result = summarize(model, &acc, opts.horizon);
        let parameters = p.iter().map(|(k, v)| (k.clone(), json_value(v))).collect();
        doc.points.push(Point { parameters, result });
    }
    Ok(SweepOut {
        json: doc.to_json(),
        csv: csv(&doc),
    })
}

/// The CLI's CSV export: one row per service (and sweep point or design).
pub fn csv(doc: &Document) -> String {
    let params: Vec<String> = doc
        .points
        .first()
        .map(|p| p.parameters.keys().cloned().collect())
        .unwrap_or_default();
    let mut out = String::new();
    let mut header: Vec<String> = params.clone();
    for h in [
        "service",
        "replications",
        "availability",
        "availability_ci_low",
        "availability_ci_high",
        "downtime_minutes_per_year",
        "downtime_ci_low",
        "downtime_ci_high",
        "outages_per_year",
        "outages_ci_low",
        "outages_ci_high",
        "recovery_p50_s",
        "recovery_p90_s",
        "recovery_p99_s",
        "recovery_max_s",
        "data_loss_events_per_year",
        "top_cause",
    ] {
        header.push(h.into());
    }
    out.push_str(&header.join(","));
    out.push('\n');
    let num = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    let ci = |e: &Estimate| (e.ci95.map(|c| c[0]), e.ci95.map(|c| c[1]));
    for p in &doc.points {
        for s in &p.result.services {
            let mut row: Vec<String> = params
                .iter()
                .map(|k| csv_cell(p.parameters[k].to_string().trim_matches('"')))
                .collect();
            let (alo, ahi) = ci(&s.availability);
            let (dlo, dhi) = ci(&s.downtime_minutes_per_year);
            let (olo, ohi) = ci(&s.outages_per_year);
            row.extend([
                csv_cell(&s.name),
                p.result.replications.to_string(),
                s.availability.mean.to_string(),
                num(alo),
                num(ahi),
                s.downtime_minutes_per_year.mean.to_string(),
                num(dlo),
                num(dhi),
                s.outages_per_year.mean.to_string(),
                num(olo),
                num(ohi),
                num(s.recovery_seconds.p50),
                num(s.recovery_seconds.p90),
                num(s.recovery_seconds.p99),
                num(s.recovery_seconds.max),
                s.data_loss_events_per_year.mean.to_string(),
                csv_cell(s.downtime_causes.first().map_or("", |c| c.cause.as_str())),
            ]);
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
