//! `hasim plan`: the capacity planner's text, JSON and CSV.
//!
//! The analysis lives in `sim_core::plan`; this module only renders it.

use crate::commands;
use crate::format;
use crate::output;
use crate::Common;
use anyhow::Result;
use serde::Serialize;
use sim_core::model::compile::Model;
use sim_core::plan::headroom::{Case, ClusterLoad, Headroom, MemberLoad, DOMAIN_KINDS};
use std::path::Path;
use std::process::ExitCode;

/// CPU in cores from millicores: "2", "0.5", "-" when not declared.
pub fn cpu(m: u64) -> String {
    if m == u64::MAX {
        return "-".into();
    }
    if m.is_multiple_of(1000) {
        format!("{}", m / 1000)
    } else {
        format!("{:.2}", m as f64 / 1000.0)
            .trim_end_matches('0')
            .to_string()
    }
}

/// Memory in binary units from bytes.
pub fn memory(b: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    const MIB: f64 = (1u64 << 20) as f64;
    if b == u64::MAX {
        "-".into()
    } else if b as f64 >= GIB {
        format!("{:.1} GiB", b as f64 / GIB)
    } else {
        format!("{:.0} MiB", b as f64 / MIB)
    }
}

/// "3 / 4 (75%)", or just the load when the capacity is not declared.
fn usage(used: u64, cap: u64, f: fn(u64) -> String) -> String {
    if cap == u64::MAX {
        format!("{} / -", f(used))
    } else {
        let pct = if cap == 0 {
            0.0
        } else {
            100.0 * used as f64 / cap as f64
        };
        format!("{} / {} ({pct:.0}%)", f(used), f(cap))
    }
}

/// The failed elements of a case, by name.
pub fn case_name(model: &Model, c: &Case) -> String {
    if c.failed.is_empty() {
        "everything up".into()
    } else {
        c.failed
            .iter()
            .map(|e| model.elements[*e].name.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

fn member_name(model: &Model, l: &ClusterLoad, m: &MemberLoad) -> String {
    model.clusters[l.cluster].member_names[m.member].clone()
}

/// The load table of one case.
fn loads_table(model: &Model, c: &Case) -> String {
    let mut rows = Vec::new();
    for l in &c.loads {
        for m in &l.members {
            rows.push(vec![
                format!("{} ({}s)", model.clusters[l.cluster].name, l.unit),
                member_name(model, l, m),
                if m.up {
                    usage(m.cpu, m.cpu_capacity, cpu)
                } else {
                    "down".into()
                },
                if m.up {
                    usage(m.memory, m.memory_capacity, memory)
                } else {
                    String::new()
                },
                m.items.join(", ") + if m.overloaded() { "  OVERLOADED" } else { "" },
            ]);
        }
    }
    format::table(
        &["cluster", "member", "cpu (cores)", "memory", "runs"],
        &rows,
    )
}

fn case_text(model: &Model, c: &Case) -> String {
    let mut out = String::new();
    let verdict = if c.carried() {
        "carried"
    } else {
        "NOT carried"
    };
    out.push_str(&format!("## {}: {verdict}\n", case_name(model, c)));
    for (cl, item, from, to) in &c.moves {
        let cl = &model.clusters[*cl];
        out.push_str(&format!(
            "  {} {item}: {} -> {}\n",
            cl.name, cl.member_names[*from], cl.member_names[*to]
        ));
    }
    for u in &c.unplaced {
        out.push_str(&format!(
            "  no place for {} {}: {} [{:?}]\n",
            model.clusters[u.cluster].name, u.item, u.why, u.shortfall
        ));
    }
    if !c.services_down.is_empty() {
        let names: Vec<&str> = c
            .services_down
            .iter()
            .map(|s| model.services[*s].name.as_str())
            .collect();
        out.push_str(&format!(
            "  services still down after 1 h: {}\n",
            names.join(", ")
        ));
    }
    if !c.loads.is_empty() {
        out.push_str(&indent(&loads_table(model, c)));
    }
    out
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

/// The headroom report as text.
pub fn headroom_text(model: &Model, h: &Headroom) -> String {
    let mut out = String::new();
    let mut kinds: Vec<String> = Vec::new();
    for k in DOMAIN_KINDS {
        let n = h
            .domains
            .iter()
            .filter(|e| model.elements[**e].kind == *k)
            .count();
        if n > 0 {
            kinds.push(format!("{n} {k}{}", if n == 1 { "" } else { "s" }));
        }
    }
    out.push_str(&format!(
        "# Headroom of {}: {}\n",
        model.name,
        verdict_line(h)
    ));
    out.push_str(&format!(
        "Every failure of up to {} of {} failure domains ({}), {} cases, each played as a scenario and read 1 h later (seed {}).\n",
        h.depth,
        h.domains.len(),
        if kinds.is_empty() { "none".to_string() } else { kinds.join(", ") },
        h.cases.len(),
        h.seed
    ));
    if h.baseline.loads.is_empty() {
        out.push_str("No cluster in this model places workloads (no proxmox-ha, deployment or statefulset): only services are reported.\n");
    }
    out.push('\n');
    out.push_str(&case_text(model, &h.baseline));
    for c in &h.cases {
        out.push('\n');
        out.push_str(&case_text(model, c));
    }
    out
}

/// "N+1", "not N+1 (2 of 4 single failures not carried: proxmox-1, ...)".
pub fn verdict_line(h: &Headroom) -> String {
    let failing: Vec<&Case> = h.cases.iter().filter(|c| !c.carried()).collect();
    if failing.is_empty() || h.verdict == sim_core::plan::Verdict::DoesNotFit {
        return h.verdict.to_string();
    }
    let k = failing[0].failed.len();
    let of_size = h.cases.iter().filter(|c| c.failed.len() == k).count();
    let n = failing.iter().filter(|c| c.failed.len() == k).count();
    format!(
        "{} ({n} of {of_size} failures of {k} domain{} not carried)",
        h.verdict,
        if k == 1 { "" } else { "s" }
    )
}

#[derive(Serialize)]
struct JsonMember {
    cluster: String,
    member: String,
    up: bool,
    cpu_millicores: u64,
    cpu_capacity_millicores: Option<u64>,
    memory_bytes: u64,
    memory_capacity_bytes: Option<u64>,
    overloaded: bool,
    runs: Vec<String>,
}

#[derive(Serialize)]
struct JsonUnplaced {
    cluster: String,
    item: String,
    why: String,
    shortfall: String,
}

#[derive(Serialize)]
struct JsonMove {
    cluster: String,
    item: String,
    from: String,
    to: String,
}

#[derive(Serialize)]
struct JsonCase {
    failed: Vec<String>,
    carried: bool,
    moves: Vec<JsonMove>,
    unplaced: Vec<JsonUnplaced>,
    services_down: Vec<String>,
    loads: Vec<JsonMember>,
}

#[derive(Serialize)]
pub struct JsonHeadroom {
    model: String,
    verdict: String,
    depth: usize,
    seed: u64,
    domains: Vec<String>,
    baseline: JsonCase,
    cases: Vec<JsonCase>,
}

fn capacity(x: u64) -> Option<u64> {
    (x != u64::MAX).then_some(x)
}

fn json_case(model: &Model, c: &Case) -> JsonCase {
    let cl = |i: usize| model.clusters[i].name.clone();
    JsonCase {
        failed: c
            .failed
            .iter()
            .map(|e| model.elements[*e].name.clone())
            .collect(),
        carried: c.carried(),
        moves: c
            .moves
            .iter()
            .map(|(k, item, from, to)| JsonMove {
                cluster: cl(*k),
                item: item.clone(),
                from: model.clusters[*k].member_names[*from].clone(),
                to: model.clusters[*k].member_names[*to].clone(),
            })
            .collect(),
        unplaced: c
            .unplaced
            .iter()
            .map(|u| JsonUnplaced {
                cluster: cl(u.cluster),
                item: u.item.clone(),
                why: u.why.clone(),
                shortfall: format!("{:?}", u.shortfall).to_lowercase(),
            })
            .collect(),
        services_down: c
            .services_down
            .iter()
            .map(|s| model.services[*s].name.clone())
            .collect(),
        loads: c
            .loads
            .iter()
            .flat_map(|l| {
                l.members.iter().map(move |m| JsonMember {
                    cluster: cl(l.cluster),
                    member: member_name(model, l, m),
                    up: m.up,
                    cpu_millicores: m.cpu,
                    cpu_capacity_millicores: capacity(m.cpu_capacity),
                    memory_bytes: m.memory,
                    memory_capacity_bytes: capacity(m.memory_capacity),
                    overloaded: m.overloaded(),
                    runs: m.items.clone(),
                })
            })
            .collect(),
    }
}

pub fn headroom_json(model: &Model, h: &Headroom) -> JsonHeadroom {
    JsonHeadroom {
        model: model.name.clone(),
        verdict: h.verdict.to_string(),
        depth: h.depth,
        seed: h.seed,
        domains: h
            .domains
            .iter()
            .map(|e| model.elements[*e].name.clone())
            .collect(),
        baseline: json_case(model, &h.baseline),
        cases: h.cases.iter().map(|c| json_case(model, c)).collect(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per case and member, plus one per workload without a place.
pub fn headroom_csv(model: &Model, h: &Headroom) -> String {
    let mut out = String::from("failed,carried,cluster,member,up,cpu_millicores,cpu_capacity_millicores,memory_bytes,memory_capacity_bytes,runs,unplaced\n");
    for c in std::iter::once(&h.baseline).chain(&h.cases) {
        let failed = c
            .failed
            .iter()
            .map(|e| model.elements[*e].name.as_str())
            .collect::<Vec<_>>()
            .join("+");
        for l in &c.loads {
            let unplaced: Vec<String> = c
                .unplaced
                .iter()
                .filter(|u| u.cluster == l.cluster)
                .map(|u| u.item.clone())
                .collect();
            for m in &l.members {
                let cap = |x: u64| capacity(x).map(|v| v.to_string()).unwrap_or_default();
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{}\n",
                    csv_field(&failed),
                    c.carried(),
                    csv_field(&model.clusters[l.cluster].name),
                    csv_field(&member_name(model, l, m)),
                    m.up,
                    m.cpu,
                    cap(m.cpu_capacity),
                    m.memory,
                    cap(m.memory_capacity),
                    csv_field(&m.items.join(" ")),
                    csv_field(&unplaced.join(" ")),
                ));
            }
        }
    }
    out
}

/// The whole machine-readable plan.
#[derive(Serialize)]
struct PlanDoc {
    hasim_version: &'static str,
    model: String,
    headroom: JsonHeadroom,
}

/// `hasim plan MODEL`.
pub fn command(path: &Path, failures: usize, common: &Common) -> Result<ExitCode> {
    let loaded = commands::load(path)?;
    let model = &loaded.model;
    let h = sim_core::plan::headroom(model, failures, common.sim.seed);
    let ex = &common.exports;
    if !commands::stdout_taken(ex) {
        output::print(&headroom_text(model, &h))?;
    }
    if let Some(f) = &ex.export_json {
        let doc = PlanDoc {
            hasim_version: env!("CARGO_PKG_VERSION"),
            model: loaded.name.clone(),
            headroom: headroom_json(model, &h),
        };
        output::write(f, &(serde_json::to_string_pretty(&doc)? + "\n"))?;
    }
    if let Some(f) = &ex.export_csv {
        output::write(f, &headroom_csv(model, &h))?;
    }
    if let Some(f) = &ex.export_markdown {
        output::write(f, &headroom_text(model, &h))?;
    }
    Ok(ExitCode::SUCCESS)
}
