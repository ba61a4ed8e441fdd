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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// The swept parameters and their values at this point (empty for a run).
    pub parameters: IndexMap<String, serde_json::Value>,
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
