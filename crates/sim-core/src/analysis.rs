//! Scenarios and design checks built on single replications.

use crate::model::compile::Model;
use crate::model::diag::{Diagnostic, Severity, Source};
use crate::sim::{Injection, RepOptions, RepOutcome, Replication, Trace};
use crate::time::{Nanos, NANOS_PER_HOUR, NANOS_PER_SEC};

/// Plays the given faults with random failures switched off and returns
/// what happened, with the timeline. `seed` still drives the random parts of
/// the transients (election timeouts, detection delays).
pub fn scenario(
    model: &Model,
    injections: Vec<Injection>,
    horizon: Nanos,
    seed: u64,
) -> (RepOutcome, Trace) {
    let opts = RepOptions {
        horizon,
        random_faults: false,
        injections,
        trace: true,
    };
    let (o, t) = Replication::new(model, seed, 0).run(&opts);
    (o, t.expect("tracing was requested"))
}

/// Replays replication `index` of a Monte Carlo run with its timeline: the
/// same stream, so the same failures as in the run.
pub fn trace_replication(
    model: &Model,
    seed: u64,
    index: u64,
    horizon: Nanos,
) -> (RepOutcome, Trace) {
    let opts = RepOptions {
        horizon,
        random_faults: true,
        injections: Vec::new(),
        trace: true,
    };
    let (o, t) = Replication::new(model, seed, index).run(&opts);
    (o, t.expect("tracing was requested"))
}

/// The effect of one element failing alone, once every transient settled.
#[derive(Debug, Clone)]
pub struct SingleFailure {
    pub element: usize,
    /// Services down an hour after the failure.
    pub services_down: Vec<usize>,
    /// Cluster quorum outputs lost, as (cluster, members down).
    pub quorum_lost: Vec<(usize, Vec<usize>)>,
}

/// Fails each element alone (every other element healthy) and records what
/// stays down an hour later: an hour is far beyond any failover timer we
/// model, so what is still down then needs the element repaired.
pub fn single_failures(model: &Model) -> Vec<SingleFailure> {
    let settle = NANOS_PER_HOUR;
    (0..model.elements.len())
        .map(|e| {
            let inj = vec![Injection {
                element: e,
                at: NANOS_PER_SEC,
                down: true,
            }];
            let opts = RepOptions {
                horizon: settle,
                random_faults: false,
                injections: inj,
                trace: false,
            };
            let (o, _) = Replication::new(model, 0, 0).run(&opts);
            let up = &o.final_up;
            let services_down = o.services_down(model);
            let quorum_lost = model
                .clusters
                .iter()
                .enumerate()
                .filter_map(|(c, cl)| {
                    let q = cl.kind.quorum_output()?;
                    if up[cl.outputs[q]] {
                        return None;
                    }
                    let down = (0..cl.n_members).filter(|m| !up[cl.inputs[*m]]).collect();
                    Some((c, down))
                })
                .collect();
            SingleFailure {
                element: e,
                services_down,
                quorum_lost,
            }
        })
        .collect()
}

/// Design smells, each located at the definition it is about and citing the
/// rule behind it.
pub fn lint(model: &Model, src: &Source<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let warn = |span: std::ops::Range<usize>, msg: String, rule: &str| {
        Diagnostic {
            severity: Severity::Warning,
            ..src.error(span, msg)
        }
        .with_rule(rule.to_string())
    };
    for cl in &model.clusters {
        if cl.kind.quorum_output().is_some() && cl.n_members % 2 == 0 {
            out.push(warn(
                cl.span.clone(),
                format!(
                    "`{}` has {} voting members: an even count tolerates no more failures than {} would",
                    cl.name,
                    cl.n_members,
                    crate::text::plural((cl.n_members - 1) as u64, "member")
                ),
                "quorum is floor(n/2)+1, so n = 2k tolerates k-1 failures, like n = 2k-1 (etcd FAQ; Raft, Ongaro & Ousterhout 2014)",
            ));
        }
        for w in cl.kind.lint() {
            out.push(warn(
                cl.span.clone(),
                format!("`{}`: {}", cl.name, w.message),
                &w.rule,
            ));
        }
    }
    for f in single_failures(model) {
        let el = &model.elements[f.element];
        for (c, down) in &f.quorum_lost {
            let cl = &model.clusters[*c];
            let names: Vec<&str> = down.iter().map(|m| cl.member_names[*m].as_str()).collect();
            out.push(warn(
                el.span.clone(),
                format!(
                    "losing `{}` alone takes down {} of {} members of `{}` ({}): quorum is lost",
                    el.name,
                    down.len(),
                    cl.n_members,
                    cl.name,
                    names.join(", ")
                ),
                "spread quorum members over failure domains so that no single failure holds a majority of them",
            ));
        }
        if !f.services_down.is_empty() {
            let names: Vec<&str> = f
                .services_down
                .iter()
                .map(|s| model.services[*s].name.as_str())
                .collect();
            out.push(warn(
                el.span.clone(),
                format!(
                    "single point of failure: `{}` failing alone takes down {}",
                    el.name,
                    names.join(", ")
                ),
                "found by failing each element alone and checking what is still down an hour later",
            ));
        }
    }
    out.sort_by_key(|d| (d.span.start, d.message.clone()));
    out
}
