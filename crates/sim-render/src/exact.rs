//! The documents of `hasim exact`: the exact steady-state analysis
//! (`sim_core::exact`) as text and as JSON.
//!
//! The JSON has its own `schema_version` (apart from the simulation's
//! export): fields may be added; a change of meaning bumps the version.

use crate::format::{seconds, sig, table};
use serde_json::{json, Value};
use sim_core::exact::{Analysis, CrewMethod, ServiceExact};
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
fn ratio(x: f64) -> String {
    if x.is_finite() {
        sig(x)
    } else {
        "∞".into()
    }
}

/// A probability (or a small rate) in scientific notation when small.
fn prob(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x < 1e-3 {
        format!("{x:.2e}")
    } else {
        sig(x)
    }
}

fn service_row(name: &str, r: &ServiceExact) -> Vec<String> {
    vec![
        name.to_string(),
        percent(r.unavailability),
        nines(r.unavailability),
        if r.downtime_seconds_per_year > 0.0 {
            seconds(r.downtime_seconds_per_year)
        } else {
            "0".into()
        },
        prob(r.outages_per_year),
        r.mean_outage_seconds.map_or("-".into(), seconds),
    ]
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
    let _ = writeln!(
        out,
        "{}: exact steady-state availability (structure only: failover transients are not included)\n",
        a.model
    );
    let rows: Vec<Vec<String>> = a
        .services
        .iter()
        .filter_map(|s| s.result.as_ref().ok().map(|r| service_row(&s.name, r)))
        .collect();
    if !rows.is_empty() {
        out.push_str(&table(
            &[
                "service",
                "availability",
                "nines",
                "downtime/yr",
                "outages/yr",
                "mean outage",
            ],
            &rows,
        ));
    }
    for s in &a.services {
        let r = match &s.result {
            Err(e) => {
                let _ = writeln!(out, "\n{}: not solved exactly: {e}", s.name);
                continue;
            }
            Ok(r) => r,
        };
        let _ = writeln!(out);
        if !r.transients_excluded.is_empty() {
            let _ = writeln!(
                out,
                "{}: transients of {} not included",
                s.name,
                r.transients_excluded.join(", ")
            );
        }
        for note in &r.approximations {
            let _ = writeln!(out, "{}: approximation: {note}", s.name);
        }
        if r.cut_order < a.options.max_cut_order {
            let _ = writeln!(
                out,
                "{}: cut sets of {} parts are over {}, too many to list: listing up to {}",
                s.name,
                r.cut_order + 1,
                sim_core::exact::bdd::MAX_CUT_SETS,
                r.cut_order
            );
        }
        if !r.cut_sets.is_empty() {
            let _ = writeln!(
                out,
                "{}: minimal cut sets of up to {} parts ({} in all), most probable first:",
                s.name, r.cut_order, r.n_cut_sets
            );
            let rows: Vec<Vec<String>> = r
                .cut_sets
                .iter()
                .map(|c| {
                    vec![
                        crate::format::share(c.share),
                        prob(c.probability),
                        c.parts.join(" & "),
                    ]
                })
                .collect();
            out.push_str(&indent(&table(
                &["share", "probability", "parts down"],
                &rows,
            )));
        } else if r.unavailability > 0.0 {
            let _ = writeln!(
                out,
                "{}: no minimal cut set of up to {} parts",
                s.name, r.cut_order
            );
        }
        if !r.importance.is_empty() {
            let _ = writeln!(out, "{}: importance, by criticality:", s.name);
            let rows: Vec<Vec<String>> = r
                .importance
                .iter()
                .map(|i| {
                    vec![
                        i.part.clone(),
                        prob(i.birnbaum),
                        sig(i.criticality),
                        sig(i.fussell_vesely),
                        ratio(i.raw),
                        ratio(i.rrw),
                    ]
                })
                .collect();
            out.push_str(&indent(&table(
                &[
                    "part",
                    "Birnbaum",
                    "criticality",
                    "Fussell-Vesely",
                    "RAW",
                    "RRW",
                ],
                &rows,
            )));
        }
    }
    if !a.crews.is_empty() {
        let _ = writeln!(out);
        for c in &a.crews {
            let _ = writeln!(
                out,
                "crew {} ({} repairer{}, {} failure mode{}): {}",
                c.name,
                c.size,
                if c.size == 1 { "" } else { "s" },
                c.modes.len(),
                if c.modes.len() == 1 { "" } else { "s" },
                crew_method(&c.method)
            );
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
                "approximations": r.approximations,
                "transients_excluded": r.transients_excluded,
                "bdd_nodes": r.bdd_nodes,
                "n_cut_sets": r.n_cut_sets,
                "cut_order": r.cut_order,
                "cut_sets": r.cut_sets.iter().map(|c| json!({
                    "parts": c.parts,
                    "probability": num(c.probability),
                    "share": num(c.share),
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
