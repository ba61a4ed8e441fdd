//! `hasim scenario`'s JSON document: the faults played (random failures
//! off), the timeline of what happened, and each service's downtime,
//! outages and recoveries. The playground's "fail this element" writes it
//! with this function and draws the timeline as a Gantt chart; its browser
//! test holds the bytes to `hasim scenario --export-json -`'s.

use serde::Serialize;
use sim_core::export::{ModelId, SCHEMA_VERSION};
use sim_core::model::compile::Model;
use sim_core::sim::{RepOutcome, Trace, TraceEntry};
use sim_core::time::Nanos;

#[derive(Serialize)]
struct ScenarioDoc<'a> {
    schema_version: u32,
    model: ModelId,
    seed: u64,
    horizon_seconds: f64,
    timeline: &'a [TraceEntry],
    services: Vec<ScenarioService>,
}

#[derive(Serialize)]
struct ScenarioService {
    name: String,
    downtime_seconds: f64,
    outages: u64,
    recovery_seconds: Vec<f64>,
}

/// The document of a scenario played on `model` with `seed` to `horizon`
/// ([`sim_core::analysis::scenario`]'s outcome and trace), pretty-printed
/// with a final newline as the CLI writes it.
pub fn json(model: &Model, seed: u64, horizon: Nanos, o: &RepOutcome, t: &Trace) -> String {
    let doc = ScenarioDoc {
        schema_version: SCHEMA_VERSION,
        model: ModelId::of(model),
        seed,
        horizon_seconds: horizon as f64 / 1e9,
        timeline: &t.entries,
        services: model
            .services
            .iter()
            .zip(&o.services)
            .map(|(s, r)| ScenarioService {
                name: s.name.clone(),
                downtime_seconds: r.downtime as f64 / 1e9,
                outages: r.outages,
                recovery_seconds: r.recoveries.iter().map(|d| *d as f64 / 1e9).collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).expect("serializes") + "\n"
}
