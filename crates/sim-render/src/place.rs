//! `hasim plan --place`: the placement proposal's text and JSON.
//!
//! The search and its verification live in `sim_core::plan::place`; this
//! module runs it and renders what it found, so an embedder gets the text
//! and JSON `hasim plan --place` prints.

use crate::format;
use serde::Serialize;
use sim_core::model::compile::Model;
use sim_core::model::Loaded;
use sim_core::plan::headroom::Headroom;
use sim_core::plan::place::{place, NoPlacement, Proposal, Score};
use sim_core::plan::text::{case_name, verdict_line};

/// The objective, as the output states it.
pub const OBJECTIVE: &[&str] = &[
    "everything fits with everything up (host capacity, HA groups)",
    "quorum safety: no single host, power feed or switch holds more of a quorum cluster's votes than it tolerates",
    "redundancy spread: members of other clusters on distinct hosts",
    "N+1: after any single host failure the HA VMs have room on the nodes they may run on",
    "fewest moves from the model's placement",
    "balanced load",
];

/// The placement section: (text, JSON value, whether a placement exists).
pub fn section(loaded: &Loaded, before: &Headroom) -> (String, serde_json::Value, bool) {
    let src = loaded.source();
    let model = &loaded.model;
    match place(&src, &loaded.tree, model, before) {
        // Plain structs of strings and numbers: serializing cannot fail.
        Ok(p) => (
            text(model, before, &p),
            serde_json::to_value(json(model, before, &p)).expect("serializes"),
            true,
        ),
        Err(e) => (
            failure_text(model, &e),
            serde_json::to_value(JsonNoPlacement {
                feasible: false,
                objective: OBJECTIVE.to_vec(),
                reasons: e.reasons.clone(),
            })
            .expect("serializes"),
            false,
        ),
    }
}

fn failure_text(model: &Model, e: &NoPlacement) -> String {
    let mut out = format!("\n# Placement for {}: no placement exists\n", model.name);
    for r in &e.reasons {
        out.push_str(&format!("  {r}\n"));
    }
    out
}

fn el(model: &Model, e: usize) -> &str {
    &model.elements[e].name
}

fn score_rows(before: Option<&Score>, after: &Score) -> Vec<Vec<String>> {
    let b = |f: fn(&Score) -> String| before.map_or("does not fit".to_string(), f);
    vec![
        vec![
            "quorum votes beyond tolerance".into(),
            b(|s| s.quorum_excess.to_string()),
            after.quorum_excess.to_string(),
        ],
        vec![
            "co-located cluster members".into(),
            b(|s| s.colocated.to_string()),
            after.colocated.to_string(),
        ],
        vec![
            "HA VMs without a place after a host failure".into(),
            b(|s| s.n1_unplaced.to_string()),
            after.n1_unplaced.to_string(),
        ],
        vec![
            "moves".into(),
            b(|s| s.moves.to_string()),
            after.moves.to_string(),
        ],
    ]
}

fn text(model: &Model, before: &Headroom, p: &Proposal) -> String {
    let mut out = format!("\n# Placement for {}\n", model.name);
    out.push_str("Objective, most important first: ");
    let parts: Vec<String> = OBJECTIVE
        .iter()
        .enumerate()
        .map(|(i, o)| format!("({}) {o}", i + 1))
        .collect();
    out.push_str(&parts.join("; "));
    out.push_str(".\n");
    if p.exhaustive {
        out.push_str(&format!(
            "{} workloads, exhaustive search ({} partial placements visited).\n",
            p.workloads.len(),
            p.explored
        ));
    } else {
        out.push_str(&format!(
            "{} workloads; the search stopped at its cap of {} partial placements: the proposal is the best found, not proven best.\n",
            p.workloads.len(),
            sim_core::plan::place::SEARCH_CAP
        ));
    }
    out.push('\n');
    out.push_str(&format::table(
        &["score (lower is better)", "model", "proposal"],
        &score_rows(p.before.as_ref(), &p.after),
    ));

    out.push_str(&format!("\n## Moves ({})\n", p.moves.len()));
    if p.moves.is_empty() {
        out.push_str("  none: the model's placement is already the best by this objective\n");
    }
    for m in &p.moves {
        out.push_str(&format!(
            "  {}: {} -> {}: {}\n",
            p.workloads[m.workload].name,
            el(model, m.from),
            el(model, m.to),
            m.reasons.join("; ")
        ));
    }

    if !p.quorum.is_empty() {
        out.push_str("\n## Quorum spread\n");
    }
    for q in &p.quorum {
        let name = &model.clusters[q.cluster].name;
        out.push_str(&format!(
            "  {name}: {} votes, tolerates losing {}; most held by one failure: {} {} of {} in the model, {} {} of {} in the proposal\n",
            q.total,
            q.tolerance,
            el(model, q.worst_before.0),
            q.worst_before.1,
            q.total,
            el(model, q.worst_after.0),
            q.worst_after.1,
            q.total
        ));
        if let Some(why) = &q.impossible {
            out.push_str(&format!("    {why}\n"));
        }
        if !q.shared.is_empty() {
            let names: Vec<&str> = q.shared.iter().map(|e| el(model, *e)).collect();
            out.push_str(&format!(
                "    {} {} required by every usable host: no placement protects {name} from {}\n",
                names.join(", "),
                if names.len() == 1 { "is" } else { "are" },
                if names.len() == 1 {
                    "its failure"
                } else {
                    "their failures"
                }
            ));
        }
    }

    out.push_str("\n## Edits to the model\n");
    if p.edits.is_empty() {
        out.push_str("  none\n");
    }
    for (path, value) in &p.edits {
        out.push_str(&format!("  {path} = \"{value}\"\n"));
    }

    out.push_str("\n## Placement\n");
    let rows: Vec<Vec<String>> = p
        .workloads
        .iter()
        .zip(&p.placement)
        .map(|(w, to)| {
            vec![
                w.name.clone(),
                el(model, w.current).to_string(),
                el(model, *to).to_string(),
                w.path.clone(),
            ]
        })
        .collect();
    out.push_str(&indent(&format::table(
        &["workload", "model", "proposal", "path"],
        &rows,
    )));
    for pods in &p.pods {
        let cl = &model.clusters[pods.cluster];
        let on: Vec<String> = pods
            .on
            .iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(m, items)| format!("{}: {}", cl.member_names[*m], items.join(", ")))
            .collect();
        out.push_str(&format!(
            "  {} pods (placed by the scheduler model): {}\n",
            cl.name,
            on.join("; ")
        ));
    }

    out.push_str("\n## Verification: the edits applied, every failure replayed\n");
    out.push_str(&format!(
        "  verdict: {} in the model, {} with the edits\n",
        verdict_line(before),
        verdict_line(&p.verified)
    ));
    let rows: Vec<Vec<String>> = std::iter::once((&before.baseline, &p.verified.baseline))
        .chain(before.cases.iter().zip(&p.verified.cases))
        .map(|(b, a)| {
            vec![
                case_name(model, b),
                services(model, &b.services_down),
                services(model, &a.services_down),
            ]
        })
        .collect();
    out.push_str(&indent(&format::table(
        &[
            "failure",
            "services down (model)",
            "services down (proposal)",
        ],
        &rows,
    )));
    out
}

fn services(model: &Model, s: &[usize]) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.iter()
            .map(|i| model.services[*i].name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

#[derive(Serialize)]
struct JsonNoPlacement {
    feasible: bool,
    objective: Vec<&'static str>,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct JsonScore {
    quorum_excess: u64,
    colocated: u64,
    n1_unplaced: u64,
    moves: u64,
}

impl From<&Score> for JsonScore {
    fn from(s: &Score) -> Self {
        JsonScore {
            quorum_excess: s.quorum_excess,
            colocated: s.colocated,
            n1_unplaced: s.n1_unplaced,
            moves: s.moves,
        }
    }
}

#[derive(Serialize)]
struct JsonMove {
    workload: String,
    path: String,
    from: String,
    to: String,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct JsonEdit {
    path: String,
    value: String,
}

#[derive(Serialize)]
struct JsonHeld {
    domain: String,
    votes: u64,
}

#[derive(Serialize)]
struct JsonQuorum {
    cluster: String,
    votes: u64,
    tolerance: u64,
    worst_model: JsonHeld,
    worst_proposal: JsonHeld,
    impossible: Option<String>,
    shared: Vec<String>,
}

#[derive(Serialize)]
struct JsonWorkload {
    workload: String,
    path: String,
    model: String,
    proposal: String,
}

#[derive(Serialize)]
struct JsonPods {
    cluster: String,
    member: String,
    pods: Vec<String>,
}

#[derive(Serialize)]
struct JsonCase {
    failed: Vec<String>,
    services_down_model: Vec<String>,
    services_down_proposal: Vec<String>,
}

#[derive(Serialize)]
struct JsonVerification {
    verdict_model: String,
    verdict_proposal: String,
    cases: Vec<JsonCase>,
}

#[derive(Serialize)]
struct JsonProposal {
    feasible: bool,
    objective: Vec<&'static str>,
    exhaustive: bool,
    explored: u64,
    score_model: Option<JsonScore>,
    score_proposal: JsonScore,
    moves: Vec<JsonMove>,
    edits: Vec<JsonEdit>,
    quorum: Vec<JsonQuorum>,
    placement: Vec<JsonWorkload>,
    pods: Vec<JsonPods>,
    verification: JsonVerification,
}

fn json(model: &Model, before: &Headroom, p: &Proposal) -> JsonProposal {
    let name = |e: usize| model.elements[e].name.clone();
    let names = |v: &[usize]| v.iter().map(|s| model.services[*s].name.clone()).collect();
    JsonProposal {
        feasible: true,
        objective: OBJECTIVE.to_vec(),
        exhaustive: p.exhaustive,
        explored: p.explored,
        score_model: p.before.as_ref().map(JsonScore::from),
        score_proposal: JsonScore::from(&p.after),
        moves: p
            .moves
            .iter()
            .map(|m| JsonMove {
                workload: p.workloads[m.workload].name.clone(),
                path: p.workloads[m.workload].path.clone(),
                from: name(m.from),
                to: name(m.to),
                reasons: m.reasons.clone(),
            })
            .collect(),
        edits: p
            .edits
            .iter()
            .map(|(path, value)| JsonEdit {
                path: path.clone(),
                value: value.clone(),
            })
            .collect(),
        quorum: p
            .quorum
            .iter()
            .map(|q| JsonQuorum {
                cluster: model.clusters[q.cluster].name.clone(),
                votes: q.total,
                tolerance: q.tolerance,
                worst_model: JsonHeld {
                    domain: name(q.worst_before.0),
                    votes: q.worst_before.1,
                },
                worst_proposal: JsonHeld {
                    domain: name(q.worst_after.0),
                    votes: q.worst_after.1,
                },
                impossible: q.impossible.clone(),
                shared: q.shared.iter().map(|e| name(*e)).collect(),
            })
            .collect(),
        placement: p
            .workloads
            .iter()
            .zip(&p.placement)
            .map(|(w, to)| JsonWorkload {
                workload: w.name.clone(),
                path: w.path.clone(),
                model: name(w.current),
                proposal: name(*to),
            })
            .collect(),
        pods: p
            .pods
            .iter()
            .flat_map(|pods| {
                pods.on.iter().map(move |(m, items)| JsonPods {
                    cluster: model.clusters[pods.cluster].name.clone(),
                    member: model.clusters[pods.cluster].member_names[*m].clone(),
                    pods: items.clone(),
                })
            })
            .collect(),
        verification: JsonVerification {
            verdict_model: before.verdict.to_string(),
            verdict_proposal: p.verified.verdict.to_string(),
            cases: std::iter::once((&before.baseline, &p.verified.baseline))
                .chain(before.cases.iter().zip(&p.verified.cases))
                .map(|(b, a)| JsonCase {
                    failed: b.failed.iter().map(|e| name(*e)).collect(),
                    services_down_model: names(&b.services_down),
                    services_down_proposal: names(&a.services_down),
                })
                .collect(),
        },
    }
}
