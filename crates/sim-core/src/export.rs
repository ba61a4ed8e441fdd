//! The versioned JSON export contract shared by the CLI and the browser.
//!
//! Other tools build on this document, so its shape only grows: new fields
//! may appear, existing ones keep their names and units. `schema_version`
//! changes when a field changes meaning. Durations are plain numbers in the
//! unit their name says (`downtime_minutes_per_year`, `recovery_seconds`).

use crate::model::Model;
use crate::runner::{RunOptions, RunResult};
use crate::time::NANOS_PER_YEAR;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Version of the export document. Bump when an existing field changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub schema_version: u32,
    pub model: ModelId,
    pub seed: u64,
    /// Replications requested per point (a point stopped early by
    /// `target_ci` reports its own count).
    pub replications: u64,
    pub horizon_years: f64,
    pub points: Vec<Point>,
}

/// Which model a result belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelId {
    pub name: String,
    /// FNV-1a 64 of the model text: identical text, identical hash.
    pub hash: String,
}

impl ModelId {
    pub fn of(model: &Model) -> Self {
        ModelId {
            name: model.name.clone(),
            hash: model.text_hash.clone(),
        }
    }
}

/// One sweep point (the only point of a plain run).
/// A sweep point's parameters: each path and its value, in axis order.
pub type Parameters = IndexMap<String, serde_json::Value>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// The swept parameters and their values at this point (empty for a run).
    pub parameters: Parameters,
    #[serde(flatten)]
    pub result: RunResult,
}

impl Document {
    pub fn new(model: &Model, opts: &RunOptions) -> Self {
        Document {
            schema_version: SCHEMA_VERSION,
            model: ModelId::of(model),
            seed: opts.seed,
            replications: opts.replications,
            horizon_years: opts.horizon as f64 / NANOS_PER_YEAR as f64,
            points: Vec::new(),
        }
    }

    /// The document as pretty JSON with a trailing newline: the exact bytes
    /// `--export-json` writes and `hasim merge` reproduces.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .expect("results serialize: no maps with non-string keys");
        s.push('\n');
        s
    }
}

/// A command-line or form value as JSON for `parameters`: an integer, a
/// number, a boolean, or else the text itself.
pub fn json_value(text: &str) -> serde_json::Value {
    match crate::model::edit::parse_cli_value(text) {
        crate::model::tree::Kind::Int(i) => i.into(),
        crate::model::tree::Kind::Float(f) => {
            serde_json::Number::from_f64(f).map_or(text.into(), serde_json::Value::Number)
        }
        crate::model::tree::Kind::Bool(b) => b.into(),
        _ => text.into(),
    }
}

/// The CSV export: one row per (point, service), the parameters first.
pub fn csv(doc: &Document) -> String {
    use crate::stats::Estimate;
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
        // Added after the first release: new columns go at the end.
        "request_availability",
        "request_availability_ci_low",
        "request_availability_ci_high",
        "error_weighted_downtime_minutes_per_year",
        "error_weighted_ci_low",
        "error_weighted_ci_high",
    ] {
        header.push(h.into());
    }
    out.push_str(&header.join(","));
    out.push('\n');
    let num = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    // An estimate's three cells: mean, CI low, CI high (empty without a CI).
    let est = |e: &Estimate| {
        [
            e.mean.to_string(),
            num(e.ci95.map(|c| c[0])),
            num(e.ci95.map(|c| c[1])),
        ]
    };
    for p in &doc.points {
        for s in &p.result.services {
            let mut row: Vec<String> = params
                .iter()
                .map(|k| csv_cell(p.parameters[k].to_string().trim_matches('"')))
                .collect();
            row.extend([csv_cell(&s.name), p.result.replications.to_string()]);
            row.extend(est(&s.availability));
            row.extend(est(&s.downtime_minutes_per_year));
            row.extend(est(&s.outages_per_year));
            let r = &s.recovery_seconds;
            row.extend([r.p50, r.p90, r.p99, r.max].map(num));
            row.extend([
                s.data_loss_events_per_year.mean.to_string(),
                csv_cell(s.downtime_causes.first().map_or("", |c| c.cause.as_str())),
            ]);
            row.extend(est(&s.request_availability));
            row.extend(est(&s.error_weighted_downtime_minutes_per_year));
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

/// One CSV cell, quoted (RFC 4180) when it holds a comma, quote or newline.
pub fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The comparison document of `hasim compare --export-json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareDoc {
    pub schema_version: u32,
    pub seed: u64,
    pub replications: u64,
    pub horizon_years: f64,
    pub designs: Vec<Design>,
    pub comparisons: Vec<Comparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Design {
    pub model: ModelId,
    #[serde(flatten)]
    pub result: RunResult,
}

/// A design against the baseline (the first design), for one service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub service: String,
    pub baseline: String,
    pub design: String,
    /// Design minus baseline, minutes per year, with its 95% interval.
    pub downtime_difference_minutes_per_year: crate::stats::Estimate,
    pub significant: bool,
}

impl CompareDoc {
    /// Compares designs run with the same options: the first is the
    /// baseline; services are matched by name, in the order of the first
    /// design and then any others.
    pub fn new(models: &[&Model], accs: &[crate::runner::Accumulator], opts: &RunOptions) -> Self {
        let per_year_minutes = 1.0
            / (crate::time::NANOS_PER_MIN as f64 * (opts.horizon as f64 / NANOS_PER_YEAR as f64));
        let mut services: Vec<&str> = Vec::new();
        for m in models {
            for s in &m.services {
                if !services.contains(&s.name.as_str()) {
                    services.push(&s.name);
                }
            }
        }
        let base = models[0];
        let mut comparisons = Vec::new();
        for svc in &services {
            let Some(bi) = base.services.iter().position(|s| s.name == *svc) else {
                continue;
            };
            for (d, m) in models.iter().enumerate().skip(1) {
                let Some(i) = m.services.iter().position(|s| s.name == *svc) else {
                    continue;
                };
                let e = crate::stats::welch_difference(
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
        CompareDoc {
            schema_version: SCHEMA_VERSION,
            seed: opts.seed,
            replications: opts.replications,
            horizon_years: opts.horizon as f64 / NANOS_PER_YEAR as f64,
            designs: models
                .iter()
                .zip(accs)
                .map(|(m, a)| Design {
                    model: ModelId::of(m),
                    result: crate::runner::summarize(m, a, opts.horizon),
                })
                .collect(),
            comparisons,
        }
    }

    /// The pretty JSON with a trailing newline, as exported.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("results serialize") + "\n"
    }

    /// The designs as one document with a `design` parameter per point: the
    /// shape the CSV and Markdown exports of a comparison use.
    pub fn flat(&self, base: &Model, opts: &RunOptions) -> Document {
        let mut flat = Document::new(base, opts);
        for d in &self.designs {
            let mut parameters = IndexMap::new();
            parameters.insert(
                "design".to_string(),
                serde_json::Value::from(d.model.name.clone()),
            );
            flat.points.push(Point {
                parameters,
                result: d.result.clone(),
            });
        }
        flat
    }

    /// The comparison of `design` against the baseline for `service`.
    pub fn comparison(&self, service: &str, design: &str) -> Option<&Comparison> {
        self.comparisons
            .iter()
            .find(|c| c.service == service && c.design == design)
    }
}
