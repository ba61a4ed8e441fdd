//! Human formatting of results: tables, durations and `mean ± CI` cells.

/// Causes of downtime listed per service in the review's causes table and
/// drawn per service in its downtime chart.
pub const TOP_CAUSES: usize = 5;

use sim_core::exact::cost::Machinery;
use sim_core::export::{CompareDoc, Comparison, Document};
use sim_core::runner::{RunResult, ServiceResult};
use sim_core::stats::Estimate;
use sim_core::time::NANOS_PER_YEAR;
use std::fmt::Write;

/// Minutes per year in the largest readable unit: "42 s", "12.3 min", "4.2 h".
pub fn minutes(m: f64) -> String {
    if m == 0.0 {
        "0".into()
    } else if m < 1.0 {
        format!("{} s", sig(m * 60.0))
    } else if m < 120.0 {
        format!("{} min", sig(m))
    } else if m < 60.0 * 48.0 {
        format!("{} h", sig(m / 60.0))
    } else {
        format!("{} d", sig(m / 1440.0))
    }
}

/// Seconds in the largest readable unit.
pub fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{} ms", sig(s * 1000.0))
    } else if s < 120.0 {
        format!("{} s", sig(s))
    } else {
        minutes(s / 60.0)
    }
}

/// How many replications were run, from the count of each design or sweep
/// point: "1000 replications", or "340–1000 replications" when
/// `--target-ci` stopped them at different counts. Headers show what was
/// run, never the requested maximum, which a run with `--target-ci` may
/// not reach (the playground's head lines use it through `view`).
pub fn replications_run(counts: impl IntoIterator<Item = u64>) -> String {
    let counts: Vec<u64> = counts.into_iter().collect();
    match (counts.iter().min(), counts.iter().max()) {
        (Some(lo), Some(hi)) if lo != hi => format!("{lo}–{hi} replications"),
        (Some(n), _) => sim_core::text::plural(*n, "replication"),
        (None, _) => "no replications".to_string(),
    }
}

/// Three significant digits, no exponent.
pub fn sig(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (2 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{x:.digits$}")
}

/// `mean ± half-width` with a unit formatter; the half-width uses the mean's unit.
pub fn pm(e: &Estimate, fmt: impl Fn(f64) -> String) -> String {
    match e.ci95 {
        Some(_) if e.half_width() > 0.0 => format!("{} ± {}", fmt(e.mean), fmt(e.half_width())),
        _ => fmt(e.mean),
    }
}

/// An availability as a percentage with enough decimals to show the first
/// two significant digits of the unavailability: 99.95%, 99.9987%.
pub fn percent(a: f64) -> String {
    let un = (1.0 - a) * 100.0;
    let d = if un <= 0.0 {
        2
    } else {
        ((-un.log10()).ceil() as i32 + 1).clamp(2, 8) as usize
    };
    format!("{:.*}%", d, a * 100.0)
}

/// A fraction as a percentage without trailing zeros: 0.999 is "99.9%".
pub fn trimmed_percent(a: f64) -> String {
    let s = format!("{:.6}", a * 100.0);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

pub fn availability(e: &Estimate) -> String {
    let pct = percent;
    match e.ci95 {
        Some(_) if e.half_width() > 0.0 => {
            let h = e.half_width() * 100.0;
            format!("{} ± {}%", pct(e.mean), sig(h))
        }
        _ => pct(e.mean),
    }
}

pub fn nines(s: &ServiceResult) -> String {
    match s.nines {
        None => "∞".into(),
        Some(n) => format!("{n:.2}"),
    }
}

/// What the recovery cells say about a service that was down but never
/// came back: its outages began and none ended before the horizon, so
/// there is no recovery time to show, and "no outage" would be false.
/// `None` when there are recovery times, or no downtime at all.
///
/// The time given is the mean start of the first outage over the
/// replications that had one: a stuck rollout in `k8s-3-replicas` starts
/// at the first upgrade window, a dependency that is never up at 0 s.
pub fn unrecovered(s: &ServiceResult) -> Option<String> {
    if s.recovery_seconds.count > 0 || s.downtime_minutes_per_year.mean <= 0.0 {
        return None;
    }
    let minutes_per_year = NANOS_PER_YEAR as f64 / 60e9;
    let start = s.first_outage_years.mean * minutes_per_year;
    Some(if start > 0.0 {
        format!("never recovered: down from {} on", minutes(start))
    } else {
        "never recovered: down the whole run".to_string()
    })
}

/// One recovery percentile cell of the report, or why there is none (see
/// [`unrecovered`]).
pub fn recovery_cell(s: &ServiceResult, p: Option<f64>, ci: Option<[f64; 2]>) -> String {
    match (p, unrecovered(s)) {
        (None, Some(why)) => why,
        _ => seconds_ci(p, ci),
    }
}

fn recovery(s: &ServiceResult) -> String {
    if let Some(why) = unrecovered(s) {
        return why;
    }
    let r = &s.recovery_seconds;
    match (r.p50, r.p90, r.p99, r.max) {
        (Some(a), Some(b), Some(c), Some(d)) => format!(
            "{} / {} / {} / {}",
            seconds(a),
            seconds(b),
            seconds(c),
            seconds(d)
        ),
        _ => "no outage".into(),
    }
}

/// A recovery percentile with its 95% interval when there is one, "—"
/// without outages: the text the playground shows (through `view`).
pub fn seconds_ci(s: Option<f64>, ci: Option<[f64; 2]>) -> String {
    match (s, ci) {
        (None, _) => "—".into(),
        (Some(s), None) => seconds(s),
        (Some(s), Some([lo, hi])) => {
            format!("{} (95% CI {} … {})", seconds(s), seconds(lo), seconds(hi))
        }
    }
}

/// The services of a comparison: in the order of the first design, then any
/// that only later designs have.
pub fn services(doc: &CompareDoc) -> Vec<&str> {
    let mut services: Vec<&str> = Vec::new();
    for d in &doc.designs {
        for s in &d.result.services {
            if !services.contains(&s.name.as_str()) {
                services.push(&s.name);
            }
        }
    }
    services
}

/// A design's downtime against the baseline: "+1.20 h ± 14.0 min
/// (significant)", or "baseline" for the first design (`None`).
pub fn difference(c: Option<&Comparison>) -> String {
    let Some(c) = c else {
        return "baseline".into();
    };
    let e = &c.downtime_difference_minutes_per_year;
    let sign = if e.mean >= 0.0 { "+" } else { "−" };
    let verdict = if c.significant {
        "(significant)"
    } else {
        "(not significant)"
    };
    format!(
        "{sign}{} ± {} {verdict}",
        minutes(e.mean.abs()),
        minutes(e.half_width())
    )
}

/// A share of downtime as a whole percentage, "<1%" for slivers.
pub fn share(x: f64) -> String {
    if x > 0.0 && x < 0.005 {
        "<1%".into()
    } else {
        format!("{:.0}%", x * 100.0)
    }
}

/// A plain-text table with left-aligned columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            l.push_str(c);
            if i + 1 < cells.len() {
                l.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    line(
        widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
        &mut out,
    );
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

pub const SERVICE_HEADER: &[&str] = &[
    "service",
    "availability",
    "nines",
    "downtime/yr",
    "outages/yr",
    "recovery p50 / p90 / p99 / max",
    "data loss/yr",
];

/// The columns a service table gains when a service lost requests while up.
pub const REQUEST_HEADER: &[&str] = &["request availability", "error-weighted downtime/yr"];

/// Every kind's keys with their types, defaults and meaning (`hasim schema
/// --keys`), one table per kind, read from the registry like the JSON
/// Schema, so a kind registered by a library user is listed like a
/// built-in one.
pub fn kind_keys(registry: &sim_core::cluster::Registry) -> String {
    let mut out = String::new();
    for k in registry.kinds() {
        out.push_str(&format!("kind = \"{}\": {}\n", k.name, k.summary));
        let rows: Vec<Vec<String>> = k
            .keys
            .iter()
            .map(|key| {
                vec![
                    key.name.to_string(),
                    key.ty.describe(),
                    key.default.describe(),
                    key.doc.to_string(),
                ]
            })
            .collect();
        if rows.is_empty() {
            out.push_str("  (no keys of its own)\n\n");
        } else {
            out.push_str(&table(&["key", "type", "default", "meaning"], &rows));
            out.push('\n');
        }
    }
    out
}

/// The verdicts of `hasim check`: one line per service saying whether it
/// meets its target, and for a miss why (the downtime against what the
/// target allows, the largest causes), then the overall verdict.
pub fn gate(doc: &sim_core::study::gate::GateDoc) -> String {
    use sim_core::study::gate::TargetFrom;
    let mut out = String::new();
    for v in &doc.verdicts {
        let from = match v.goal.from {
            TargetFrom::Option => "--target",
            TargetFrom::Model => "the model",
        };
        // The target as the user wrote it (99.9%, not 99.900%), and the
        // bound with as many decimals as the interval's width needs, so a
        // bound just under the target does not print as equal to it.
        let target = trimmed_percent(v.goal.target);
        let bound = |l: f64| {
            let h = v.availability.half_width() * 100.0;
            let d = if h > 0.0 {
                ((-h.log10()).ceil() as i32 + 1).clamp(2, 10) as usize
            } else {
                2
            };
            format!("{:.*}%", d, l * 100.0)
        };
        let head = format!(
            "{}  {}: availability {}",
            if v.met { "PASS" } else { "FAIL" },
            v.goal.service,
            availability(&v.availability)
        );
        match v.lower {
            None => {
                let _ = writeln!(
                    out,
                    "{head}: no confidence interval from {}, so the target {target} (from {from}) is not shown to be met; run at least 2 replications",
                    sim_core::text::plural(doc.replications, "replication")
                );
            }
            Some(l) if v.met => {
                let _ = writeln!(
                    out,
                    "{head}: its 95% lower bound {} meets the target {target} (from {from})",
                    bound(l)
                );
            }
            Some(l) => {
                let _ = writeln!(
                    out,
                    "{head}: its 95% lower bound {} is under the target {target} (from {from})",
                    bound(l)
                );
                let causes: Vec<String> = v
                    .top_causes
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {}/yr ({:.0}%)",
                            c.cause,
                            minutes(c.minutes_per_year),
                            c.share * 100.0
                        )
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "      downtime {}/yr, the target allows {}/yr{}",
                    pm(&v.downtime_minutes_per_year, minutes),
                    minutes(v.allowed_minutes_per_year),
                    if causes.is_empty() {
                        String::new()
                    } else {
                        format!("; largest causes: {}", causes.join(", "))
                    }
                );
                if v.availability.mean >= v.goal.target {
                    let _ = writeln!(
                        out,
                        "      the mean meets the target but the interval does not yet: more replications (or --target-ci) may decide it"
                    );
                }
            }
        }
    }
    let failed = doc.verdicts.iter().filter(|v| !v.met).count();
    let n = doc.verdicts.len();
    let total = sim_core::text::plural(n as u64, "service");
    if failed == 0 {
        let verb = if n == 1 {
            "meets its target"
        } else {
            "meet their targets"
        };
        let _ = writeln!(out, "check passed: {total} {verb}");
    } else {
        let verb = if failed == 1 {
            "misses its"
        } else {
            "miss their"
        };
        let _ = writeln!(out, "check failed: {failed} of {total} {verb} target");
    }
    out
}

/// The tables of `hasim compare` (and of `hasim diff` after the design
/// changes): one per service, in the order of the first design, then any
/// others; a row per design with the difference against the baseline.
pub fn compare_tables(doc: &CompareDoc) -> String {
    let mut text = String::new();
    for svc in &services(doc) {
        let of_svc = || {
            doc.designs
                .iter()
                .flat_map(|d| d.result.services.iter().filter(|s| s.name == *svc))
        };
        let requests = lost_requests(of_svc());
        let mut rows = Vec::new();
        for (k, d) in doc.designs.iter().enumerate() {
            let Some(s) = d.result.services.iter().find(|s| s.name == *svc) else {
                continue;
            };
            let mut row = service_row(s, requests);
            row[0] = d.model.name.clone();
            row.push(difference(
                doc.comparison(svc, &d.model.name).filter(|_| k > 0),
            ));
            rows.push(row);
        }
        let mut headers = service_header(requests);
        headers[0] = "design";
        headers.push("Δ downtime/yr vs baseline");
        text.push_str(&format!("service {svc}\n"));
        text.push_str(&table(&headers, &rows));
        text.push('\n');
    }
    text
}

/// What changed in the design from `base` to `head` (`hasim diff`): one
/// line per change, `+` added, `-` removed, `~` changed, with the line in
/// each file.
pub fn design_changes(changes: &[sim_core::model::diff::Change], base: &str, head: &str) -> String {
    use sim_core::model::diff::ChangeKind;
    if changes.is_empty() {
        return format!("no design changes from {base} to {head}\n");
    }
    let mut out = format!(
        "design changes from {base} to {head} ({}):\n",
        changes.len()
    );
    for c in changes {
        let at = |line: Option<usize>, file: &str| line.map(|l| format!("{file}:{l}"));
        let (mark, what) = match c.kind {
            ChangeKind::Added => (
                "+",
                format!("{} = {}", c.path, c.head.as_deref().unwrap_or("")),
            ),
            ChangeKind::Removed => (
                "-",
                format!("{} (was {})", c.path, c.base.as_deref().unwrap_or("")),
            ),
            ChangeKind::Changed => (
                "~",
                format!(
                    "{}: {} -> {}",
                    c.path,
                    c.base.as_deref().unwrap_or(""),
                    c.head.as_deref().unwrap_or("")
                ),
            ),
        };
        let lines: Vec<String> = [at(c.base_line, base), at(c.head_line, head)]
            .into_iter()
            .flatten()
            .collect();
        let _ = writeln!(out, "  {mark} {what}  ({})", lines.join(", "));
    }
    out
}

/// Structure against simulation for `hasim run`: per service, the
/// structural downtime the exact analysis gives, the simulated downtime,
/// and what the failover machinery adds between them; services the
/// analysis could not solve say why; and the cross-check's warning where a
/// service without failover timers disagrees with its exact value.
pub fn failover_cost(analysis: &sim_core::exact::Analysis, result: &RunResult) -> String {
    let costs = sim_core::exact::cost::failover_costs(analysis, result);
    let mut out =
        String::from("\nstructure against simulation (the exact analysis of `hasim exact`):\n");
    for s in &result.services {
        let Some(report) = analysis.services.iter().find(|r| r.name == s.name) else {
            continue;
        };
        match (
            &report.result,
            costs.iter().find(|(c, _)| c.service == s.name),
        ) {
            (Ok(exact), Some((c, disagrees))) => {
                let sim = &c.simulated_minutes_per_year;
                let what = match c.machinery() {
                    Machinery::NoTimers => {
                        "no cluster on its path has failover timers, so the two agree".to_string()
                    }
                    Machinery::NoDowntime => "no downtime either way".to_string(),
                    Machinery::Within => format!(
                        "the failover machinery's cost (transients of {}) is within the simulation's ± {}/yr",
                        c.transients.join(", "),
                        minutes(sim.half_width())
                    ),
                    m @ (Machinery::Adds | Machinery::Removes) => format!(
                        "the failover machinery {} {}/yr (transients of {})",
                        if m == Machinery::Adds { "adds" } else { "removes" },
                        pm(
                            &Estimate {
                                mean: c.failover_minutes_per_year.abs(),
                                ..*sim
                            },
                            minutes
                        ),
                        c.transients.join(", ")
                    ),
                };
                let _ = writeln!(
                    out,
                    "  {}: {}/yr structural, {}/yr simulated: {what}",
                    s.name,
                    minutes(c.structural_minutes_per_year),
                    pm(&c.simulated_minutes_per_year, minutes)
                );
                if *disagrees {
                    let _ = writeln!(
                        out,
                        "  warning: `{}` has no failover timers, so the simulation's 95% interval of availability ({}) should hold the exact {}, and it does not. About one run in twenty misses by chance (try another --seed or more replications); if it persists, it is a bug: report the model and seed.",
                        s.name,
                        availability(&s.availability),
                        percent(exact.availability)
                    );
                }
            }
            (Err(e), _) => {
                let _ = writeln!(
                    out,
                    "  {}: not solved exactly ({}: {})",
                    s.name, e.part, e.reason
                );
            }
            _ => {}
        }
    }
    out
}

/// Whether any of these services lost requests while it was up (a load
/// balancer still sending some to a dead server). Tables show the request
/// columns only then, so models without one look as they always did.
pub fn lost_requests<'a>(mut services: impl Iterator<Item = &'a ServiceResult>) -> bool {
    services.any(|s| s.error_weighted_downtime_minutes_per_year.mean > 0.0)
}

/// The request availability and the error-weighted downtime of a service.
pub fn request_cells(s: &ServiceResult) -> [String; 2] {
    [
        availability(&s.request_availability),
        pm(&s.error_weighted_downtime_minutes_per_year, minutes),
    ]
}

/// The header of a service table, with the request columns when `requests`.
pub fn service_header(requests: bool) -> Vec<&'static str> {
    let mut h = SERVICE_HEADER.to_vec();
    if requests {
        h.extend(REQUEST_HEADER);
    }
    h
}

/// One row of a service table, matching `service_header(requests)`.
pub fn service_row(s: &ServiceResult, requests: bool) -> Vec<String> {
    let mut row = vec![
        s.name.clone(),
        availability(&s.availability),
        nines(s),
        pm(&s.downtime_minutes_per_year, minutes),
        pm(&s.outages_per_year, sig),
        recovery(s),
        pm(&s.data_loss_events_per_year, sig),
    ];
    if requests {
        row.extend(request_cells(s));
    }
    row
}

/// The full report of one result: services, causes, clusters.
pub fn result_report(r: &RunResult, top_causes: usize) -> String {
    // The request figures follow the table in lines of their own
    // (`request_weighted`), which keeps this table narrow in a terminal.
    let mut out = table(
        SERVICE_HEADER,
        &r.services
            .iter()
            .map(|s| service_row(s, false))
            .collect::<Vec<_>>(),
    );
    let mut causes = String::new();
    for s in &r.services {
        if s.downtime_causes.is_empty() {
            continue;
        }
        let list: Vec<String> = s
            .downtime_causes
            .iter()
            .take(top_causes)
            .map(|c| {
                format!(
                    "{} {} ({}/yr)",
                    c.cause,
                    share(c.share),
                    minutes(c.minutes_per_year)
                )
            })
            .collect();
        let _ = writeln!(causes, "  {}: {}", s.name, list.join(", "));
    }
    if !causes.is_empty() {
        out.push_str("\ntop causes of downtime:\n");
        out.push_str(&causes);
    }
    out.push_str(&request_weighted(r));
    let mut cl = String::new();
    for c in &r.clusters {
        for o in &c.outputs {
            let what = if o.is_quorum {
                "without quorum".to_string()
            } else {
                format!("`{}` down", o.name)
            };
            let _ = writeln!(
                cl,
                "  {} ({}): {} {}/yr",
                c.name,
                c.kind,
                what,
                pm(&o.down_minutes_per_year, minutes)
            );
        }
    }
    if !cl.is_empty() {
        out.push_str("\nclusters:\n");
        out.push_str(&cl);
    }
    out.push_str(&gray_report(r));
    out
}

/// What gray failures (degradations) did to each cluster they reach, kept
/// apart from real failures; empty when no degradation reaches a cluster.
pub fn gray_report(r: &RunResult) -> String {
    let mut lines = String::new();
    for c in &r.clusters {
        if let Some(g) = &c.gray {
            let _ = writeln!(
                lines,
                "  {} ({}): false failovers {}/yr, flaps {}/yr, split brain {}/yr, downtime {}/yr, data loss {}/yr",
                c.name,
                c.kind,
                pm(&g.false_failovers_per_year, sig),
                pm(&g.flaps_per_year, sig),
                pm(&g.split_brain_minutes_per_year, minutes),
                pm(&g.downtime_minutes_per_year, minutes),
                pm(&g.data_loss_events_per_year, sig),
            );
        }
    }
    if lines.is_empty() {
        return lines;
    }
    format!("\ngray failures (degradations; apart from real failures, whose recoveries the table shows):\n{lines}")
}

/// The request-weighted figures of the services where a share of requests
/// failed while they were up (a load balancer still sending some to a dead
/// server); empty when there were none.
fn request_weighted(r: &RunResult) -> String {
    let mut lines = String::new();
    for s in &r.services {
        if lost_requests(std::iter::once(s)) {
            let [requests, downtime] = request_cells(s);
            let _ = writeln!(
                lines,
                "  {}: request availability {requests}, error-weighted downtime {downtime}/yr",
                s.name,
            );
        }
    }
    if lines.is_empty() {
        return lines;
    }
    format!("\nrequests lost while up (sent to servers not yet marked DOWN):\n{lines}")
}

/// Markdown: one table per point, every one with the request columns when
/// a service of any point lost requests while up.
pub fn markdown(doc: &Document) -> String {
    let requests = lost_requests(doc.points.iter().flat_map(|p| &p.result.services));
    let header = service_header(requests);
    let mut out = format!(
        "# hasim results: {}\n\nseed {}, {} × {} years, model hash `{}`\n",
        doc.model.name,
        doc.seed,
        replications_run(doc.points.iter().map(|p| p.result.replications)),
        doc.horizon_years,
        doc.model.hash
    );
    for p in &doc.points {
        out.push('\n');
        if !p.parameters.is_empty() {
            let params: Vec<String> = p
                .parameters
                .iter()
                .map(|(k, v)| format!("`{k}` = {v}"))
                .collect();
            let _ = writeln!(out, "## {}\n", params.join(", "));
        }
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
        for s in &p.result.services {
            let _ = writeln!(out, "| {} |", service_row(s, requests).join(" | "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_units() {
        assert_eq!(minutes(0.5), "30.0 s");
        assert_eq!(minutes(52.56), "52.6 min");
        assert_eq!(minutes(300.0), "5.00 h");
        assert_eq!(seconds(0.0036), "3.60 ms");
        assert_eq!(seconds(3.6), "3.60 s");
        let e = Estimate {
            mean: 0.9995,
            ci95: Some([0.9994, 0.9996]),
            n: 10,
        };
        assert_eq!(availability(&e), "99.950% ± 0.0100%");
    }
}
