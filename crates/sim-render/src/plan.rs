//! The capacity planner's documents: the headroom report (text, JSON,
//! CSV), the design search's table and JSON, and the wording they share,
//! for every front end (the CLI's `plan`, the design review, embedders).

use crate::format;
use serde::Serialize;
use sim_core::export::csv_cell;
use sim_core::model::compile::Model;
use sim_core::model::design::DesignSpace;
use sim_core::plan::design::{Search, Status};
use sim_core::plan::headroom::{Case, ClusterLoad, Headroom, MemberLoad, Unplaced, DOMAIN_KINDS};
use sim_core::plan::text::{case_name, verdict_line};
use sim_core::runner::RunOptions;

/// How many failure domains fail at once when `--failures` is not given:
/// every single failure, the N+1 question. `hasim report` uses it too, so
/// its verdicts are the ones `hasim plan MODEL` prints.
pub const DEFAULT_FAILURES: u8 = 1;

/// What the headroom report says of a model whose clusters place nothing.
pub const NOTHING_PLACED: &str =
    "No cluster in this model places workloads (no proxmox-ha, deployment or statefulset)";

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
pub fn usage(used: u64, cap: u64, f: fn(u64) -> String) -> String {
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

/// What has no place in a case and why, one line per cluster and reason:
/// "traefik pod 0, pod 1: Pending (kube-scheduler: ...): ... [placement
/// rule]". Workloads of one cluster without a place for the same reason
/// share a line, so a power failure that leaves six pods Pending reads as
/// one reason, not six.
pub fn unplaced_lines(model: &Model, c: &Case) -> Vec<String> {
    let mut groups: Vec<(&Unplaced, Vec<&str>)> = Vec::new();
    for u in &c.unplaced {
        match groups
            .iter_mut()
            .find(|(g, _)| (g.cluster, g.shortfall, &g.why) == (u.cluster, u.shortfall, &u.why))
        {
            Some((_, items)) => items.push(&u.item),
            None => groups.push((u, vec![&u.item])),
        }
    }
    groups
        .iter()
        .map(|(u, items)| {
            format!(
                "{} {}: {} [{}]",
                model.clusters[u.cluster].name,
                items.join(", "),
                u.why,
                u.shortfall.label()
            )
        })
        .collect()
}

/// The services down once a case settled, by name.
pub fn services_down(model: &Model, c: &Case) -> String {
    c.services_down
        .iter()
        .map(|s| model.services[*s].name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn member_name(model: &Model, l: &ClusterLoad, m: &MemberLoad) -> String {
    model.clusters[l.cluster].member_names[m.member].clone()
}

/// The load table of one case.
pub fn loads_table(model: &Model, c: &Case) -> String {
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

/// A case in one line: what failed, whether the survivors carry it, and
/// what has no place or stays down: "proxmox-1: NOT carried: no place for
/// pve k3s-master-3: ... [room]; still down after 1 h: k3s-api".
pub fn case_line(model: &Model, c: &Case) -> String {
    let mut parts = vec![if c.carried() {
        "carried".to_string()
    } else {
        "NOT carried".to_string()
    }];
    let unplaced = unplaced_lines(model, c);
    if !unplaced.is_empty() {
        parts.push(format!("no place for {}", unplaced.join("; ")));
    }
    if !c.services_down.is_empty() {
        parts.push(format!("still down after 1 h: {}", services_down(model, c)));
    }
    format!("{}: {}", case_name(model, c), parts.join("; "))
}

/// The sentence naming the cheapest design meeting the target, or saying
/// that none does (and which meets it on average only).
pub fn cheapest_line(s: &Search, space: &DesignSpace) -> String {
    match s.cheapest {
        Some(i) => {
            let d = &s.designs[i];
            let o = s.outcome(i).expect("the cheapest was simulated");
            format!(
                "Cheapest meeting {} with 95% confidence (the lower end of its availability interval reaches the target): {} at {}: availability {}, downtime {}/yr.",
                pct(s.target),
                d.label,
                money(&space.currency, d.total),
                format::availability(&o.availability),
                format::minutes(o.downtime_minutes_per_year.mean)
            )
        }
        None => {
            let mut out = format!(
                "No simulated design meets {} with 95% confidence.",
                pct(s.target)
            );
            if let Some(i) =
                (0..s.designs.len()).find(|i| s.outcome(*i).is_some_and(|o| o.meets_mean))
            {
                out.push_str(&format!(
                    " {} meets it on average: more replications (-n) may settle it.",
                    s.designs[i].label
                ));
            }
            out
        }
    }
}

pub fn case_text(model: &Model, c: &Case) -> String {
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
    for line in unplaced_lines(model, c) {
        out.push_str(&format!("  no place for {line}\n"));
    }
    if !c.services_down.is_empty() {
        out.push_str(&format!(
            "  services still down after 1 h: {}\n",
            services_down(model, c)
        ));
    }
    if !c.loads.is_empty() {
        out.push_str(&indent(&loads_table(model, c)));
    }
    out
}

pub fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

/// What was played: "Every failure of up to 1 of 4 failure domains (1 power
/// feed, 1 switch, 2 hosts), 4 cases, each played as a scenario and read
/// 1 h later (seed 1)."
pub fn scope_line(model: &Model, h: &Headroom) -> String {
    let mut kinds: Vec<String> = Vec::new();
    for k in DOMAIN_KINDS {
        let n = h
            .domains
            .iter()
            .filter(|e| model.elements[**e].kind == k)
            .count();
        if n > 0 {
            kinds.push(format!("{n} {k}{}", if n == 1 { "" } else { "s" }));
        }
    }
    format!(
        "Every failure of up to {} of {} failure domains ({}), {} cases, each played as a scenario and read 1 h later (seed {}).",
        h.depth,
        h.domains.len(),
        if kinds.is_empty() { "none".to_string() } else { kinds.join(", ") },
        h.cases.len(),
        h.seed
    )
}

/// The headroom report as text.
pub fn headroom_text(model: &Model, h: &Headroom) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Headroom of {}: {}\n",
        model.name,
        verdict_line(h)
    ));
    out.push_str(&scope_line(model, h));
    out.push('\n');
    if h.baseline.loads.is_empty() {
        out.push_str(NOTHING_PLACED);
        out.push_str(": only services are reported.\n");
    }
    out.push('\n');
    out.push_str(&case_text(model, &h.baseline));
    for c in &h.cases {
        out.push('\n');
        out.push_str(&case_text(model, c));
    }
    out
}

#[derive(Serialize)]
pub struct JsonMember {
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
pub struct JsonUnplaced {
    cluster: String,
    item: String,
    why: String,
    /// "room", "rule", "down", "quorum" or "pinned" (`Shortfall::key`).
    shortfall: &'static str,
    /// Whether it counts against N+k (all but "pinned").
    breaks_n_plus_k: bool,
}

#[derive(Serialize)]
pub struct JsonMove {
    cluster: String,
    item: String,
    from: String,
    to: String,
}

#[derive(Serialize)]
pub struct JsonCase {
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

pub fn capacity(x: u64) -> Option<u64> {
    (x != u64::MAX).then_some(x)
}

pub fn json_case(model: &Model, c: &Case) -> JsonCase {
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
                shortfall: u.shortfall.key(),
                breaks_n_plus_k: u.shortfall.breaks_n_plus_k(),
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

/// One row per case and member. `unplaced` lists the cluster's workloads
/// without a place in that case, each with its shortfall
/// (`pod 0 (rule); pod 1 (rule)`).
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
                .map(|u| format!("{} ({})", u.item, u.shortfall.key()))
                .collect();
            for m in &l.members {
                let cap = |x: u64| capacity(x).map(|v| v.to_string()).unwrap_or_default();
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{}\n",
                    csv_cell(&failed),
                    c.carried(),
                    csv_cell(&model.clusters[l.cluster].name),
                    csv_cell(&member_name(model, l, m)),
                    m.up,
                    m.cpu,
                    cap(m.cpu_capacity),
                    m.memory,
                    cap(m.memory_capacity),
                    csv_cell(&m.items.join(" ")),
                    csv_cell(&unplaced.join("; ")),
                ));
            }
        }
    }
    out
}

/// The design search as text: what was simulated, the answer, the table.
pub fn search_text(s: &Search, space: &DesignSpace, opts: &RunOptions) -> String {
    let cur = |x: f64| money(&space.currency, x);
    let mut out = String::new();
    out.push_str(&format!(
        "# Design search: {} at {} availability\n",
        s.service,
        pct(s.target)
    ));
    let n = s.designs.len();
    let invalid = s.count(|x| matches!(x, Status::Invalid(_)));
    let dominated = s.count(|x| matches!(x, Status::Dominated(_)));
    let simulated = s.count(|x| matches!(x, Status::Simulated(_)));
    out.push_str(&format!(
        "{n} designs: {invalid} invalid, {dominated} dropped before simulating as clearly dominated (another design costs no more and picks an option at least as far along in every choice the model marks `ordered`), {simulated} simulated with {} replications x {} each, seed {} (the same for every design).\n",
        opts.replications,
        sim_core::time::Human(opts.horizon),
        opts.seed
    ));
    out.push_str(&format!(
        "Cost = price + monthly x {} months{}.\n",
        space.months,
        if space.energy_price > 0.0 {
            format!(
                " + power x {} months at {} {} per kWh",
                space.months, space.energy_price, space.currency
            )
        } else {
            " (power is listed, not costed: set `energy_price`)".into()
        }
    ));
    out.push_str(&cheapest_line(s, space));
    out.push('\n');
    out.push('\n');
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| {
        s.designs[*a]
            .total
            .total_cmp(&s.designs[*b].total)
            .then(a.cmp(b))
    });
    let rows: Vec<Vec<String>> = order
        .iter()
        .map(|i| {
            let d = &s.designs[*i];
            let (avail, down, verdict) = match &s.status[*i] {
                Status::Simulated(o) => (
                    format::availability(&o.availability),
                    format::minutes(o.downtime_minutes_per_year.mean),
                    if o.meets {
                        "meets".to_string()
                    } else if o.meets_mean {
                        "mean only".to_string()
                    } else {
                        "no".to_string()
                    },
                ),
                Status::Dominated(by) => (
                    String::new(),
                    String::new(),
                    format!("dominated by {}", s.designs[*by].label),
                ),
                Status::Invalid(e) => (String::new(), String::new(), format!("invalid: {e}")),
            };
            let mark = if s.cheapest == Some(*i) {
                "*"
            } else if s.pareto.contains(i) {
                "p"
            } else {
                ""
            };
            vec![
                mark.to_string(),
                d.label.clone(),
                cur(d.total),
                cur(d.price),
                format!("{:.0} W", d.power),
                cur(d.monthly),
                avail,
                down,
                verdict,
            ]
        })
        .collect();
    out.push_str(&format::table(
        &[
            "",
            "design",
            "cost",
            "price",
            "power",
            "monthly",
            "availability (95% CI)",
            "downtime/yr",
            "target",
        ],
        &rows,
    ));
    out.push_str(
        "* cheapest meeting the target   p on the Pareto frontier of cost vs mean downtime\n",
    );
    out
}

pub fn pct(x: f64) -> String {
    let s = format!("{:.4}", x * 100.0);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

pub fn money(currency: &str, x: f64) -> String {
    if currency.is_empty() {
        format!("{x:.0}")
    } else {
        format!("{x:.0} {currency}")
    }
}

#[derive(Serialize)]
pub struct JsonDesign {
    design: String,
    choices: Vec<(String, String)>,
    cost: f64,
    price: f64,
    monthly: f64,
    power_watts: f64,
    status: &'static str,
    detail: Option<String>,
    availability: Option<sim_core::stats::Estimate>,
    downtime_minutes_per_year: Option<sim_core::stats::Estimate>,
    meets_target: bool,
    pareto: bool,
    cheapest: bool,
}

#[derive(Serialize)]
pub struct JsonSearch {
    service: String,
    target: f64,
    criterion: &'static str,
    replications: u64,
    seed: u64,
    designs_total: usize,
    simulated: usize,
    dominated: usize,
    invalid: usize,
    cheapest: Option<String>,
    designs: Vec<JsonDesign>,
}

pub fn search_json(s: &Search, space: &DesignSpace, seed: u64) -> JsonSearch {
    let designs = s
        .designs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (status, detail) = match &s.status[i] {
                Status::Simulated(_) => ("simulated", None),
                Status::Dominated(by) => ("dominated", Some(s.designs[*by].label.clone())),
                Status::Invalid(e) => ("invalid", Some(e.clone())),
            };
            let o = s.outcome(i);
            JsonDesign {
                design: d.label.clone(),
                choices: space
                    .choices
                    .iter()
                    .zip(&d.picks)
                    .map(|(c, p)| (c.name.clone(), c.options[*p].label.clone()))
                    .collect(),
                cost: d.total,
                price: d.price,
                monthly: d.monthly,
                power_watts: d.power,
                status,
                detail,
                availability: o.map(|o| o.availability),
                downtime_minutes_per_year: o.map(|o| o.downtime_minutes_per_year),
                meets_target: o.is_some_and(|o| o.meets),
                pareto: s.pareto.contains(&i),
                cheapest: s.cheapest == Some(i),
            }
        })
        .collect();
    JsonSearch {
        service: s.service.clone(),
        target: s.target,
        criterion: "lower end of the 95% availability interval >= target",
        replications: s.replications,
        seed,
        designs_total: s.designs.len(),
        simulated: s.count(|x| matches!(x, Status::Simulated(_))),
        dominated: s.count(|x| matches!(x, Status::Dominated(_))),
        invalid: s.count(|x| matches!(x, Status::Invalid(_))),
        cheapest: s.cheapest.map(|i| s.designs[i].label.clone()),
        designs,
    }
}

pub fn search_csv(s: &Search) -> String {
    let mut out = String::from("design,cost,price,monthly,power_watts,status,availability,availability_ci_low,availability_ci_high,downtime_minutes_per_year,meets_target,pareto,cheapest\n");
    for (i, d) in s.designs.iter().enumerate() {
        let o = s.outcome(i);
        let status = match &s.status[i] {
            Status::Simulated(_) => "simulated",
            Status::Dominated(_) => "dominated",
            Status::Invalid(_) => "invalid",
        };
        let ci = o.and_then(|o| o.availability.ci95);
        let f = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{status},{},{},{},{},{},{},{}\n",
            csv_cell(&d.label),
            d.total,
            d.price,
            d.monthly,
            d.power,
            f(o.map(|o| o.availability.mean)),
            f(ci.map(|c| c[0])),
            f(ci.map(|c| c[1])),
            f(o.map(|o| o.downtime_minutes_per_year.mean)),
            o.is_some_and(|o| o.meets),
            s.pareto.contains(&i),
            s.cheapest == Some(i),
        ));
    }
    out
}
