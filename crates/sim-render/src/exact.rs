//! The documents of `hasim exact`: the exact steady-state analysis
//! (`sim_core::exact`) as text and as JSON.
//!
//! The JSON has its own `schema_version` (apart from the simulation's
//! export): fields may be added; a change of meaning bumps the version.

use crate::format::{seconds, sig, table};
use serde_json::{json, Value};
use sim_core::exact::{
    Analysis, CrewMethod, CrewReport, CutSet, Importance, NotSolved, ServiceExact,
};
use sim_core::time::NANOS_PER_YEAR;
use std::fmt::Write;

/// The version of the JSON document [`json`] writes.
pub const SCHEMA_VERSION: u32 = 1;

/// A percentage with enough decimals for the first two significant digits
/// of the unavailability (99.95%, 99.99871%), computed from the
/// unavailability so the digits are not lost to 1 - A.
pub fn percent(unavailability: f64) -> String {
    let un = unavailability * 100.0;
    let d = if un <= 0.0 {
        2
    } else {
        ((-un.log10()).ceil() as i32 + 1).clamp(2, 12) as usize
    };
    format!("{:.*}%", d, 100.0 - un)
}

/// -log10 of the unavailability: "3.89" nines, "∞" for a service that
/// cannot fail.
pub fn nines(unavailability: f64) -> String {
    if unavailability <= 0.0 {
        "∞".into()
    } else {
        format!("{:.2}", -unavailability.log10())
    }
}

/// A ratio such as RAW or RRW: three significant digits, "∞" when
/// infinite.
pub fn ratio(x: f64) -> String {
    if x.is_finite() {
        sig(x)
    } else {
        "∞".into()
    }
}

/// A probability (or a small rate) in scientific notation when small.
pub fn prob(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x < 1e-3 {
        format!("{x:.2e}")
    } else {
        sig(x)
    }
}

/// Seconds per year, the unit of the exact downtimes.
const SECONDS_PER_YEAR: f64 = NANOS_PER_YEAR as f64 / 1e9;

/// A downtime per year given in seconds: "11.5 h", or "0".
pub fn downtime(seconds_per_year: f64) -> String {
    if seconds_per_year > 0.0 {
        seconds(seconds_per_year)
    } else {
        "0".into()
    }
}

/// The headers of a service's figures in the services table, after the
/// `service` column; [`service_cells`] fills them.
pub const SERVICE_HEADER: [&str; 5] = [
    "availability",
    "nines",
    "downtime/yr",
    "outages/yr",
    "mean outage",
];

/// A service's figures, in the order of [`SERVICE_HEADER`] (without the
/// name), each with the number it renders.
pub fn service_cells(r: &ServiceExact) -> [(String, Option<f64>); 5] {
    [
        (percent(r.unavailability), Some(r.availability)),
        (nines(r.unavailability), None),
        (
            downtime(r.downtime_seconds_per_year),
            Some(r.downtime_seconds_per_year),
        ),
        (prob(r.outages_per_year), Some(r.outages_per_year)),
        (
            r.mean_outage_seconds.map_or("-".into(), seconds),
            r.mean_outage_seconds,
        ),
    ]
}

fn service_row(name: &str, r: &ServiceExact) -> Vec<String> {
    let mut row = vec![name.to_string()];
    row.extend(service_cells(r).into_iter().map(|(text, _)| text));
    row
}

/// The headers of a cut-set table; [`cut_set_cells`] fills them.
pub const CUT_SET_HEADER: [&str; 4] = ["share", "probability", "downtime/yr", "parts down"];

/// The time per year a cut set's parts are all down at once: its
/// probability over a year (its share of the downtime by the rare-event
/// approximation).
pub fn cut_set_downtime_seconds(c: &CutSet) -> f64 {
    c.probability * SECONDS_PER_YEAR
}

/// A cut set's cells, in the order of [`CUT_SET_HEADER`], each with the
/// number it renders.
pub fn cut_set_cells(c: &CutSet) -> [(String, Option<f64>); 4] {
    let d = cut_set_downtime_seconds(c);
    [
        (crate::format::share(c.share), Some(c.share)),
        (prob(c.probability), Some(c.probability)),
        (downtime(d), Some(d)),
        (c.parts.join(" & "), None),
    ]
}

/// The headers of an importance table; [`importance_cells`] fills them.
pub const IMPORTANCE_HEADER: [&str; 6] = [
    "part",
    "Birnbaum",
    "criticality",
    "Fussell-Vesely",
    "RAW",
    "RRW",
];

/// A part's importance cells, in the order of [`IMPORTANCE_HEADER`], each
/// with the number it renders (`None` for an infinite RRW).
pub fn importance_cells(i: &Importance) -> [(String, Option<f64>); 6] {
    let finite = |x: f64| x.is_finite().then_some(x);
    [
        (i.part.clone(), None),
        (prob(i.birnbaum), Some(i.birnbaum)),
        (sig(i.criticality), Some(i.criticality)),
        (sig(i.fussell_vesely), Some(i.fussell_vesely)),
        (ratio(i.raw), finite(i.raw)),
        (ratio(i.rrw), finite(i.rrw)),
    ]
}

/// The line above the tables.
pub fn head(a: &Analysis) -> String {
    format!(
        "{}: exact steady-state availability (structure only: failover transients are not included)",
        a.model
    )
}

/// Why a service has no exact figures: "nextcloud: not solved exactly:
/// cluster longhorn (longhorn): ...".
pub fn not_solved(name: &str, e: &NotSolved) -> String {
    format!("{name}: not solved exactly: {e}")
}

/// What a service's figures leave out or approximate, and whether its cut
/// sets were truncated, one line each.
pub fn notes(a: &Analysis, name: &str, r: &ServiceExact) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(first) = &r.first_outage {
        out.push(format!(
            "{name}: mean time to first outage {}, {}",
            seconds(first.mean_seconds),
            first.describe()
        ));
    }
    if !r.transients_excluded.is_empty() {
        out.push(format!(
            "{name}: transients of {} not included",
            r.transients_excluded.join(", ")
        ));
    }
    for note in &r.approximations {
        out.push(format!("{name}: approximation: {note}"));
    }
    if r.cut_order < a.options.max_cut_order {
        out.push(format!(
            "{name}: cut sets of {} parts are over {}, too many to list: listing up to {}",
            r.cut_order + 1,
            sim_core::exact::bdd::MAX_CUT_SETS,
            r.cut_order
        ));
    }
    out
}

/// The line above a service's cut sets, or, when it has none to list but
/// can fail, the line that says so; `None` for a service that cannot fail.
pub fn cut_sets_heading(name: &str, r: &ServiceExact) -> Option<String> {
    if !r.cut_sets.is_empty() {
        Some(format!(
            "{name}: minimal cut sets of up to {} parts ({} in all), most probable first:",
            r.cut_order, r.n_cut_sets
        ))
    } else if r.unavailability > 0.0 {
        Some(format!(
            "{name}: no minimal cut set of up to {} parts",
            r.cut_order
        ))
    } else {
        None
    }
}

/// The line above a service's importance table.
pub fn importance_heading(name: &str) -> String {
    format!("{name}: importance, by criticality:")
}

/// How a crew's repairs were solved, as one line.
pub fn crew_line(c: &CrewReport) -> String {
    format!(
        "crew {} ({} repairer{}, {} failure mode{}): {}",
        c.name,
        c.size,
        if c.size == 1 { "" } else { "s" },
        c.modes.len(),
        if c.modes.len() == 1 { "" } else { "s" },
        crew_method(&c.method)
    )
}

fn crew_method(m: &CrewMethod) -> String {
    match m {
        CrewMethod::NeverWaits => "never queues (as many repairers as modes): independent".into(),
        CrewMethod::Chain { states, exact } => format!(
            "Markov chain of its repair queue, {states} states{}",
            if *exact {
                ", exact (exponential times)"
            } else {
                ", exponential approximation (some times are not exponential)"
            }
        ),
        CrewMethod::NotSolved(reason) => format!("not solved: {reason}"),
    }
}

/// The analysis as text: one table of services, then per service what
/// could not be solved, what is approximate, its largest cut sets and its
/// most important parts, then the crews.
pub fn text(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", head(a));
    let rows: Vec<Vec<String>> = a
        .services
        .iter()
        .filter_map(|s| s.result.as_ref().ok().map(|r| service_row(&s.name, r)))
        .collect();
    if !rows.is_empty() {
        let mut header = vec!["service"];
        header.extend(SERVICE_HEADER);
        out.push_str(&table(&header, &rows));
    }
    for s in &a.services {
        let r = match &s.result {
            Err(e) => {
                let _ = writeln!(out, "\n{}", not_solved(&s.name, e));
                continue;
            }
            Ok(r) => r,
        };
        let _ = writeln!(out);
        for line in notes(a, &s.name, r) {
            let _ = writeln!(out, "{line}");
        }
        if let Some(h) = cut_sets_heading(&s.name, r) {
            let _ = writeln!(out, "{h}");
        }
        if !r.cut_sets.is_empty() {
            let rows: Vec<Vec<String>> = r
                .cut_sets
                .iter()
                .map(|c| cut_set_cells(c).into_iter().map(|(t, _)| t).collect())
                .collect();
            out.push_str(&indent(&table(&CUT_SET_HEADER, &rows)));
        }
        if !r.importance.is_empty() {
            let _ = writeln!(out, "{}", importance_heading(&s.name));
            let rows: Vec<Vec<String>> = r
                .importance
                .iter()
                .map(|i| importance_cells(i).into_iter().map(|(t, _)| t).collect())
                .collect();
            out.push_str(&indent(&table(&IMPORTANCE_HEADER, &rows)));
        }
    }
    if !a.crews.is_empty() {
        let _ = writeln!(out);
        for c in &a.crews {
            let _ = writeln!(out, "{}", crew_line(c));
        }
    }
    out
}

fn indent(t: &str) -> String {
    t.lines().map(|l| format!("  {l}\n")).collect()
}

/// A number for JSON: infinities (an RRW of a part that is the only way
/// down) become `null`, since JSON has no infinity.
fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// The analysis as a JSON document (pretty-printed, newline at the end).
pub fn json(a: &Analysis) -> String {
    let services: Vec<Value> = a
        .services
        .iter()
        .map(|s| match &s.result {
            Err(e) => json!({
                "name": s.name,
                "solved": false,
                "not_solved": { "part": e.part, "reason": e.reason },
            }),
            Ok(r) => json!({
                "name": s.name,
                "solved": true,
                "availability": num(r.availability),
                "unavailability": num(r.unavailability),
                "downtime_seconds_per_year": num(r.downtime_seconds_per_year),
                "outages_per_year": num(r.outages_per_year),
                "mean_outage_seconds": r.mean_outage_seconds.map_or(Value::Null, num),
                "first_outage": r.first_outage.as_ref().map_or(Value::Null, |f| {
                    let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
                    v["mean_seconds"] = num(f.mean_seconds);
                    v
                }),
                "approximations": r.approximations,
                "transients_excluded": r.transients_excluded,
                "bdd_nodes": r.bdd_nodes,
                "n_cut_sets": r.n_cut_sets,
                "cut_order": r.cut_order,
                "cut_sets": r.cut_sets.iter().map(|c| json!({
                    "parts": c.parts,
                    "probability": num(c.probability),
                    "share": num(c.share),
                    "downtime_seconds_per_year": num(cut_set_downtime_seconds(c)),
                })).collect::<Vec<_>>(),
                "importance": r.importance.iter().map(|i| json!({
                    "part": i.part,
                    "birnbaum": num(i.birnbaum),
                    "criticality": num(i.criticality),
                    "fussell_vesely": num(i.fussell_vesely),
                    "raw": num(i.raw),
                    "rrw": num(i.rrw),
                })).collect::<Vec<_>>(),
            }),
        })
        .collect();
    let crews: Vec<Value> = a
        .crews
        .iter()
        .map(|c| {
            let (method, states, exact, reason) = match &c.method {
                CrewMethod::NeverWaits => ("independent", None, Some(true), None),
                CrewMethod::Chain { states, exact } => {
                    ("markov_chain", Some(*states), Some(*exact), None)
                }
                CrewMethod::NotSolved(r) => ("not_solved", None, None, Some(r.clone())),
            };
            json!({
                "name": c.name,
                "size": c.size,
                "modes": c.modes,
                "method": method,
                "states": states,
                "exact": exact,
                "reason": reason,
            })
        })
        .collect();
    let parts: Vec<Value> = a
        .parts
        .iter()
        .map(|p| {
            json!({
                "part": p.label,
                "planned": p.planned,
                "availability": num(p.availability),
                "unavailability": num(p.unavailability),
                "per_year": num(p.per_year),
            })
        })
        .collect();
    let doc = json!({
        "schema_version": SCHEMA_VERSION,
        "kind": "exact",
        "model": a.model,
        "max_cut_order": a.options.max_cut_order,
        "services": services,
        "crews": crews,
        "parts": parts,
    });
    serde_json::to_string_pretty(&doc).expect("a JSON value serialises") + "\n"
}
