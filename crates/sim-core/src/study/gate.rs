//! The availability gate of `hasim check`: which services must reach which
//! availability, and whether a run shows that they do.
//!
//! A service passes when the lower end of its availability's 95% confidence
//! interval is at or above its target: the run must show the target is met,
//! not merely fail to show it is missed, so a short run of a marginal design
//! fails (and `--target-ci` or more replications decide it). Targets come
//! from `[services.X] target = "99.9%"` in the model or from the command
//! line, which overrides the model's.

use crate::export::ModelId;
use crate::model::Model;
use crate::runner::{CauseShare, RunOptions, RunResult};
use crate::stats::Estimate;
use serde::Serialize;

/// The gate document's format version.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a service's target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetFrom {
    /// `--target` on the command line (or the embedder's argument).
    Option,
    /// `target` in the service's table.
    Model,
}

/// A service and the availability it must reach.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    pub service: String,
    pub target: f64,
    pub from: TargetFrom,
}

/// Which services to gate: with `target`, `service` (or every service when
/// it is `None`) at that target; without, the targets the model declares
/// (only `service`'s when it is given). An error says what is missing.
pub fn goals(
    model: &Model,
    target: Option<f64>,
    service: Option<&str>,
) -> Result<Vec<Goal>, String> {
    if let Some(name) = service {
        if !model.services.iter().any(|s| s.name == name) {
            let known: Vec<&str> = model.services.iter().map(|s| s.name.as_str()).collect();
            return Err(format!(
                "model `{}` has no service `{name}` (services: {})",
                model.name,
                known.join(", ")
            ));
        }
    }
    let chosen = model
        .services
        .iter()
        .filter(|s| service.is_none_or(|n| n == s.name));
    let goals: Vec<Goal> = chosen
        .filter_map(|s| match (target, s.target) {
            (Some(t), _) => Some(Goal {
                service: s.name.clone(),
                target: t,
                from: TargetFrom::Option,
            }),
            (None, Some(t)) => Some(Goal {
                service: s.name.clone(),
                target: t,
                from: TargetFrom::Model,
            }),
            (None, None) => None,
        })
        .collect();
    if goals.is_empty() {
        return Err(match service {
            Some(n) => format!(
                "service `{n}` of model `{}` has no target: give --target 99.9% or set `target = \"99.9%\"` in [services.{n}]",
                model.name
            ),
            None => format!(
                "model `{}` declares no service target: give --target 99.9% or set `target = \"99.9%\"` in a [services.NAME] table",
                model.name
            ),
        });
    }
    Ok(goals)
}

/// One service's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    #[serde(flatten)]
    pub goal: Goal,
    pub availability: Estimate,
    /// The lower end of the availability's 95% CI, `None` with fewer than
    /// two replications (the gate then fails: nothing is shown).
    pub lower: Option<f64>,
    pub met: bool,
    pub downtime_minutes_per_year: Estimate,
    /// The downtime a year the target allows.
    pub allowed_minutes_per_year: f64,
    /// The largest causes of the downtime, for the reason of a failure.
    pub top_causes: Vec<CauseShare>,
}

/// The document `hasim check --export-json` writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateDoc {
    pub schema_version: u32,
    pub model: ModelId,
    pub options: RunOptions,
    pub replications: u64,
    pub verdicts: Vec<Verdict>,
    /// Whether every service met its target.
    pub passed: bool,
}

/// How many causes a verdict lists.
const TOP_CAUSES: usize = 3;

/// Judges `result` (a run of `model` with `opts`) against `goals`.
pub fn judge(model: &Model, opts: &RunOptions, result: &RunResult, goals: &[Goal]) -> GateDoc {
    let minutes_per_year = 365.25 * 24.0 * 60.0;
    let verdicts: Vec<Verdict> = goals
        .iter()
        .filter_map(|g| {
            let s = result.services.iter().find(|s| s.name == g.service)?;
            let lower = s.availability.ci95.map(|ci| ci[0]);
            Some(Verdict {
                goal: g.clone(),
                availability: s.availability,
                lower,
                met: lower.is_some_and(|l| l >= g.target),
                downtime_minutes_per_year: s.downtime_minutes_per_year,
                allowed_minutes_per_year: (1.0 - g.target) * minutes_per_year,
                top_causes: s.downtime_causes.iter().take(TOP_CAUSES).cloned().collect(),
            })
        })
        .collect();
    GateDoc {
        schema_version: SCHEMA_VERSION,
        model: ModelId::of(model),
        options: opts.clone(),
        replications: result.replications,
        passed: verdicts.iter().all(|v| v.met),
        verdicts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"
[components.a]
failures = [{ every = "exp(100h)", repair = "exp(1h)" }]
[services.svc]
requires = "a"
target = "99%"
[services.other]
requires = "a"
"#;

    #[test]
    fn the_option_overrides_the_model_and_a_missing_target_is_explained() {
        let m = crate::model::load("m.toml", MODEL).unwrap();
        let g = goals(&m, None, None).unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(
            (g[0].service.as_str(), g[0].from),
            ("svc", TargetFrom::Model)
        );
        assert!((g[0].target - 0.99).abs() < 1e-12);
        let g = goals(&m, Some(0.999), None).unwrap();
        assert_eq!(g.len(), 2);
        assert!(g.iter().all(|g| g.from == TargetFrom::Option));
        let e = goals(&m, None, Some("other")).unwrap_err();
        assert!(
            e.contains("service `other`") && e.contains("no target"),
            "{e}"
        );
        let e = goals(&m, None, Some("nope")).unwrap_err();
        assert!(
            e.contains("no service `nope`") && e.contains("svc, other"),
            "{e}"
        );
    }
}
