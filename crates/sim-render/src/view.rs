//! The playground's tables and chart labels as data: every string the page
//! shows about a result, rendered here with the same functions as the CLI's
//! tables (so a number reads the same in the terminal and in the browser),
//! and laid out by the page. Each cell keeps the number behind its text, so
//! the page can sort, colour or explain it without re-deriving it.

use crate::{exact as ex, format};
use serde::Serialize;
use sim_core::exact::{Analysis, ServiceExact};
use sim_core::export::{CompareDoc, Document};
use sim_core::runner::{CauseShare, ServiceResult};
use sim_core::stats::Estimate;
use sim_core::text::plural;
use sim_core::time::{Human, Nanos};

/// A column: the key the page and its tests find cells by, its header and,
/// where the header cannot say it all, a tooltip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub key: &'static str,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'static str>,
}

/// One cell: its text and the value it renders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub key: &'static str,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<[f64; 2]>,
    /// A style hint: `better` or `worse` for a significant difference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<&'static str>,
}

impl Cell {
    fn text(key: &'static str, text: impl Into<String>) -> Self {
        Cell {
            key,
            text: text.into(),
            value: None,
            ci95: None,
            class: None,
        }
    }

    fn estimate(key: &'static str, text: String, e: &Estimate) -> Self {
        Cell {
            value: Some(e.mean),
            ci95: e.ci95,
            ..Cell::text(key, text)
        }
    }

    fn value(key: &'static str, text: String, v: Option<f64>) -> Self {
        Cell {
            value: v,
            ..Cell::text(key, text)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The design's name, or the sweep point's parameter values.
    pub label: String,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// One bar segment of the downtime-by-cause chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CauseBar {
    pub cause: String,
    pub minutes_per_year: f64,
    /// The segment's tooltip: "proxmox-1 crash: 4.20 h/yr (35%)".
    pub title: String,
}

/// One design's bar of the downtime-by-cause chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CauseDesign {
    pub label: String,
    pub bars: Vec<CauseBar>,
    /// The bar's total: "9.30 h/yr".
    pub total: String,
}

/// The downtime-by-cause chart of one service: the largest causes over all
/// designs keep their names, the rest are summed into [`OTHER_CAUSES`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CauseChart {
    pub title: String,
    /// Every cause shown, in legend order ([`OTHER_CAUSES`] last).
    pub causes: Vec<String>,
    pub designs: Vec<CauseDesign>,
}

/// The name of the summed small causes.
pub const OTHER_CAUSES: &str = "other causes";

/// Causes named in the browser's chart (the rest are summed).
pub const BROWSER_TOP_CAUSES: usize = 6;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceView {
    pub service: String,
    pub table: Table,
    pub causes: CauseChart,
    /// Each design's exact steady-state figures beside the simulated
    /// downtime, and their difference (what failover costs); absent when
    /// the comparison was rendered without the exact analyses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact: Option<Table>,
}

/// What the page shows for a comparison (a run is a comparison of one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareView {
    /// The line above the results, as `hasim compare` prints it.
    pub head: String,
    pub services: Vec<ServiceView>,
    /// Time per year each cluster output was down, one column per design.
    pub clusters: Table,
}

/// What the page shows for a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepView {
    pub head: String,
    /// The points' labels, for the chart's axis.
    pub points: Vec<String>,
    pub table: Table,
}

const REQUESTS_TITLE: &str = "request availability: like availability, but while the service is up the requests a load balancer still sends to dead servers (not yet marked DOWN) count as lost too";
const DELTA_TITLE: &str =
    "difference in downtime per year from the first design (the baseline), with its 95% interval";

fn column(key: &'static str, label: impl Into<String>) -> Column {
    Column {
        key,
        label: label.into(),
        title: None,
    }
}

/// The figures of one service, with the request columns when `requests`.
fn service_columns(requests: bool) -> Vec<Column> {
    let mut c = vec![
        column("availability", "availability"),
        column("nines", "nines"),
    ];
    if requests {
        c.push(Column {
            title: Some(REQUESTS_TITLE),
            ..column("request_availability", format::REQUEST_HEADER[0])
        });
    }
    c.push(column("downtime", "downtime/yr"));
    if requests {
        c.push(column("error_weighted", format::REQUEST_HEADER[1]));
    }
    c.extend([
        column("outages", "outages/yr"),
        column("recovery_p50", "recovery p50"),
        column("recovery_p99", "recovery p99"),
        column("data_loss", "data loss/yr"),
    ]);
    c
}

fn service_cells(s: &ServiceResult, requests: bool) -> Vec<Cell> {
    let r = &s.recovery_seconds;
    let mut c = vec![
        Cell::estimate(
            "availability",
            format::availability(&s.availability),
            &s.availability,
        ),
        Cell::value("nines", format::nines(s), s.nines),
    ];
    if requests {
        c.push(Cell::estimate(
            "request_availability",
            format::availability(&s.request_availability),
            &s.request_availability,
        ));
    }
    c.push(Cell::estimate(
        "downtime",
        format::pm(&s.downtime_minutes_per_year, format::minutes),
        &s.downtime_minutes_per_year,
    ));
    if requests {
        let e = &s.error_weighted_downtime_minutes_per_year;
        c.push(Cell::estimate(
            "error_weighted",
            format::pm(e, format::minutes),
            e,
        ));
    }
    c.extend([
        Cell::estimate(
            "outages",
            format::pm(&s.outages_per_year, format::sig),
            &s.outages_per_year,
        ),
        Cell::value(
            "recovery_p50",
            format::recovery_cell(s, r.p50, r.p50_ci95),
            r.p50,
        ),
        Cell::value(
            "recovery_p99",
            format::recovery_cell(s, r.p99, r.p99_ci95),
            r.p99,
        ),
        Cell::estimate(
            "data_loss",
            format::pm(&s.data_loss_events_per_year, format::sig),
            &s.data_loss_events_per_year,
        ),
    ]);
    c
}

/// The line above a comparison's results, as `hasim compare` prints it.
pub fn compare_head(doc: &CompareDoc, horizon: Nanos) -> String {
    format!(
        "{} · {} × {} · seed {} (the same random streams for every design)",
        plural(doc.designs.len() as u64, "design"),
        format::replications_run(doc.designs.iter().map(|d| d.result.replications)),
        Human(horizon),
        doc.seed
    )
}

/// The comparison's tables and chart labels.
pub fn compare(doc: &CompareDoc, horizon: Nanos) -> CompareView {
    compare_with_exact(doc, horizon, &[])
}

/// The comparison's tables and chart labels, each service with its exact
/// figures beside the simulated ones when `exact` holds one analysis per
/// design (`sim_core::exact::analyse` of the same models, in order).
pub fn compare_with_exact(doc: &CompareDoc, horizon: Nanos, exact: &[Analysis]) -> CompareView {
    let requests = format::lost_requests(doc.designs.iter().flat_map(|d| &d.result.services));
    let mut columns = vec![column("design", "design")];
    columns.extend(service_columns(requests));
    columns.push(Column {
        title: Some(DELTA_TITLE),
        ..column("delta", "Δ downtime/yr vs baseline")
    });
    let services = format::services(doc)
        .into_iter()
        .map(|svc| {
            let mut rows = Vec::new();
            let mut causes = Vec::new();
            for (k, d) in doc.designs.iter().enumerate() {
                let Some(s) = d.result.services.iter().find(|s| s.name == svc) else {
                    continue;
                };
                let mut cells = vec![Cell::text("design", d.model.name.clone())];
                cells.extend(service_cells(s, requests));
                let c = doc.comparison(svc, &d.model.name).filter(|_| k > 0);
                let mut delta = Cell::text("delta", format::difference(c));
                if let Some(c) = c {
                    let e = &c.downtime_difference_minutes_per_year;
                    delta.value = Some(e.mean);
                    delta.ci95 = e.ci95;
                    delta.class =
                        c.significant
                            .then_some(if e.mean < 0.0 { "better" } else { "worse" });
                }
                cells.push(delta);
                rows.push(Row {
                    label: d.model.name.clone(),
                    cells,
                });
                causes.push((d.model.name.clone(), s.downtime_causes.as_slice()));
            }
            ServiceView {
                service: svc.to_string(),
                exact: (exact.len() == doc.designs.len() && !exact.is_empty())
                    .then(|| failover_cost(doc, svc, exact)),
                table: Table {
                    columns: columns.clone(),
                    rows,
                },
                causes: cause_chart(
                    format!("{svc}: downtime per year by cause"),
                    &causes,
                    BROWSER_TOP_CAUSES,
                ),
            }
        })
        .collect();
    CompareView {
        head: compare_head(doc, horizon),
        services,
        clusters: clusters(doc),
    }
}

/// Each cluster output's down time per year, one column per design.
fn clusters(doc: &CompareDoc) -> Table {
    let mut keys: Vec<String> = Vec::new();
    let mut values: Vec<Vec<Option<&Estimate>>> = Vec::new();
    for (di, d) in doc.designs.iter().enumerate() {
        for c in &d.result.clusters {
            for o in &c.outputs {
                let key = if o.is_quorum {
                    format!("{} ({}) · without quorum", c.name, c.kind)
                } else {
                    format!("{} ({}) · {} down", c.name, c.kind, o.name)
                };
                let i = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                    keys.push(key);
                    values.push(vec![None; doc.designs.len()]);
                    keys.len() - 1
                });
                values[i][di] = Some(&o.down_minutes_per_year);
            }
        }
    }
    // One column per design, headed by its name.
    let mut columns = vec![column("output", "cluster output")];
    columns.extend(
        doc.designs
            .iter()
            .map(|d| column("down", d.model.name.clone())),
    );
    let rows = keys
        .into_iter()
        .zip(values)
        .map(|(key, vals)| {
            let mut cells = vec![Cell::text("output", key.clone())];
            cells.extend(vals.into_iter().map(|e| match e {
                Some(e) => Cell::estimate("down", format::pm(e, format::minutes), e),
                None => Cell::text("down", "—"),
            }));
            Row { label: key, cells }
        })
        .collect();
    Table { columns, rows }
}

/// The downtime-by-cause chart: the `top` largest causes over all designs
/// keep their names, the rest of each design is summed.
pub fn cause_chart(title: String, designs: &[(String, &[CauseShare])], top: usize) -> CauseChart {
    let mut totals: Vec<(&str, f64)> = Vec::new();
    for (_, causes) in designs {
        for c in *causes {
            match totals.iter_mut().find(|(n, _)| *n == c.cause) {
                Some(t) => t.1 += c.minutes_per_year,
                None => totals.push((&c.cause, c.minutes_per_year)),
            }
        }
    }
    // A stable sort: equal totals keep their first-seen order, as the
    // page's own aggregation did.
    totals.sort_by(|a, b| b.1.total_cmp(&a.1));
    let keep: Vec<&str> = totals.iter().take(top).map(|t| t.0).collect();
    let bar = |cause: &str, minutes: f64, share: f64| CauseBar {
        cause: cause.to_string(),
        minutes_per_year: minutes,
        title: format!(
            "{cause}: {}/yr ({})",
            format::minutes(minutes),
            format::share(share)
        ),
    };
    let designs: Vec<CauseDesign> = designs
        .iter()
        .map(|(label, causes)| {
            let mut bars: Vec<CauseBar> = causes
                .iter()
                .filter(|c| keep.contains(&c.cause.as_str()))
                .map(|c| bar(&c.cause, c.minutes_per_year, c.share))
                .collect();
            let rest: Vec<&CauseShare> = causes
                .iter()
                .filter(|c| !keep.contains(&c.cause.as_str()))
                .collect();
            if !rest.is_empty() {
                bars.push(bar(
                    OTHER_CAUSES,
                    rest.iter().map(|c| c.minutes_per_year).sum(),
                    rest.iter().map(|c| c.share).sum(),
                ));
            }
            let total: f64 = bars.iter().map(|b| b.minutes_per_year).sum();
            CauseDesign {
                label: label.clone(),
                bars,
                total: format!("{}/yr", format::minutes(total)),
            }
        })
        .collect();
    let mut causes: Vec<String> = Vec::new();
    for d in &designs {
        for b in &d.bars {
            if !causes.contains(&b.cause) {
                causes.push(b.cause.clone());
            }
        }
    }
    causes.sort_by_key(|c| c == OTHER_CAUSES);
    CauseChart {
        title,
        causes,
        designs,
    }
}

/// A sweep point's label: its parameter values, as the user wrote them.
fn point_label<'a>(values: impl Iterator<Item = &'a serde_json::Value>) -> String {
    values
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sweep's table and the labels of its points.
pub fn sweep(doc: &Document, horizon: Nanos) -> SweepView {
    let path = doc
        .points
        .first()
        .map(|p| p.parameters.keys().cloned().collect::<Vec<_>>().join(" × "))
        .unwrap_or_default();
    let requests = format::lost_requests(doc.points.iter().flat_map(|p| &p.result.services));
    let points: Vec<String> = doc
        .points
        .iter()
        .map(|p| point_label(p.parameters.values()))
        .collect();
    // The point column is headed by the swept path.
    let mut columns = vec![column("point", path.clone()), column("service", "service")];
    columns.extend(service_columns(requests));
    let rows = doc
        .points
        .iter()
        .zip(&points)
        .flat_map(|(p, label)| {
            p.result.services.iter().map(move |s| {
                let mut cells = vec![
                    Cell::text("point", label.clone()),
                    Cell::text("service", s.name.clone()),
                ];
                cells.extend(service_cells(s, requests));
                Row {
                    label: label.clone(),
                    cells,
                }
            })
        })
        .collect();
    SweepView {
        head: format!(
            "sweep of {}: {path} · {} × {} · seed {}",
            doc.model.name,
            format::replications_run(doc.points.iter().map(|p| p.result.replications)),
            Human(horizon),
            doc.seed
        ),
        points,
        table: Table { columns, rows },
    }
}

/// The validation status line: "homelab: 12 elements, 3 clusters, 2
/// services; 4 design warnings".
pub fn model_summary(
    name: &str,
    elements: usize,
    clusters: usize,
    services: usize,
    warnings: usize,
) -> String {
    format!(
        "{name}: {}, {}, {}; {}",
        plural(elements as u64, "element"),
        plural(clusters as u64, "cluster"),
        plural(services as u64, "service"),
        plural(warnings as u64, "design warning")
    )
}

const FAILOVER_COST_TITLE: &str = "simulated minus exact downtime per year, with the simulation's 95% interval: the exact figure counts only the structure (which parts are down), so the difference is the downtime the failover machinery adds (elections, health checks, takeovers) plus the simulation's sampling error";

/// One service of a comparison: per design the exact availability and
/// downtime (or why there are none), the simulated downtime, and the
/// difference between them.
fn failover_cost(doc: &CompareDoc, svc: &str, exact: &[Analysis]) -> Table {
    let columns = vec![
        column("design", "design"),
        column("exact_availability", "exact availability"),
        column("exact_downtime", "exact downtime/yr"),
        column("downtime", "simulated downtime/yr"),
        Column {
            title: Some(FAILOVER_COST_TITLE),
            ..column("failover_cost", "what failover costs")
        },
        column("note", "note"),
    ];
    let rows = doc
        .designs
        .iter()
        .zip(exact)
        .filter_map(|(d, a)| {
            let s = d.result.services.iter().find(|s| s.name == svc)?;
            let sim = &s.downtime_minutes_per_year;
            let mut cells = vec![
                Cell::text("design", d.model.name.clone()),
                Cell::text("exact_availability", "—"),
                Cell::text("exact_downtime", "—"),
                Cell::estimate("downtime", format::pm(sim, format::minutes), sim),
                Cell::text("failover_cost", "—"),
                Cell::text("note", ""),
            ];
            match a.services.iter().find(|x| x.name == svc).map(|x| &x.result) {
                Some(Ok(r)) => {
                    let [availability, _, downtime, ..] = ex::service_cells(r);
                    cells[1] = Cell::value("exact_availability", availability.0, availability.1);
                    cells[2] = Cell::value("exact_downtime", downtime.0, downtime.1);
                    cells[4] = failover_cost_cell(sim, r);
                    cells[5] = Cell::text("note", ex::notes(a, svc, r).join("; "));
                }
                Some(Err(e)) => cells[5] = Cell::text("note", ex::not_solved(svc, e)),
                None => {}
            }
            Some(Row {
                label: d.model.name.clone(),
                cells,
            })
        })
        .collect();
    Table { columns, rows }
}

/// The simulated downtime minus the exact one, in minutes per year, with
/// the simulation's interval moved by the same amount: "+12.3 min ± 4.1 min".
fn failover_cost_cell(sim: &Estimate, r: &ServiceExact) -> Cell {
    let exact_minutes = r.downtime_seconds_per_year / 60.0;
    let d = sim.mean - exact_minutes;
    let sign = if d >= 0.0 { "+" } else { "−" };
    let text = match sim.ci95 {
        Some(_) if sim.half_width() > 0.0 => format!(
            "{sign}{} ± {}",
            format::minutes(d.abs()),
            format::minutes(sim.half_width())
        ),
        _ => format!("{sign}{}", format::minutes(d.abs())),
    };
    Cell {
        value: Some(d),
        ci95: sim
            .ci95
            .map(|[lo, hi]| [lo - exact_minutes, hi - exact_minutes]),
        ..Cell::text("failover_cost", text)
    }
}

/// What the page shows of `hasim exact`: the services table, then per
/// service its notes, cut sets and importance, then the crews, every
/// string and cell rendered by [`crate::exact`] as the CLI prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExactView {
    /// The line above the tables, as `hasim exact` prints it.
    pub head: String,
    /// One row per solved service.
    pub services: Table,
    pub details: Vec<ExactServiceView>,
    /// How each crew's repairs were solved, one line each.
    pub crews: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExactServiceView {
    pub service: String,
    /// Why the service has no exact figures, as the CLI says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_solved: Option<String>,
    /// What the figures leave out or approximate.
    pub notes: Vec<String>,
    /// The line above the cut sets (or the line saying there are none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_sets_heading: Option<String>,
    /// The most probable minimal cut sets, most probable first.
    pub cut_sets: Table,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub importance_heading: Option<String>,
    /// The parts by criticality, the library's ranking.
    pub importance: Table,
}

const SERVICE_KEYS: [&str; 5] = [
    "availability",
    "nines",
    "downtime",
    "outages",
    "mean_outage",
];
const CUT_SET_KEYS: [&str; 4] = ["share", "probability", "downtime", "parts"];
const IMPORTANCE_KEYS: [&str; 6] = [
    "part",
    "birnbaum",
    "criticality",
    "fussell_vesely",
    "raw",
    "rrw",
];

fn keyed<const N: usize>(keys: [&'static str; N], labels: [&str; N]) -> Vec<Column> {
    keys.iter().zip(labels).map(|(k, l)| column(k, l)).collect()
}

fn keyed_cells<const N: usize>(
    keys: [&'static str; N],
    cells: [(String, Option<f64>); N],
) -> Vec<Cell> {
    keys.iter()
        .zip(cells)
        .map(|(k, (text, v))| Cell::value(k, text, v))
        .collect()
}

/// The exact analysis of one model as the page shows it.
pub fn exact(a: &Analysis) -> ExactView {
    let mut service_columns = vec![column("service", "service")];
    service_columns.extend(keyed(SERVICE_KEYS, ex::SERVICE_HEADER));
    let mut services = Table {
        columns: service_columns,
        rows: Vec::new(),
    };
    let mut details = Vec::new();
    for s in &a.services {
        let mut d = ExactServiceView {
            service: s.name.clone(),
            not_solved: None,
            notes: Vec::new(),
            cut_sets_heading: None,
            cut_sets: Table {
                columns: keyed(CUT_SET_KEYS, ex::CUT_SET_HEADER),
                rows: Vec::new(),
            },
            importance_heading: None,
            importance: Table {
                columns: keyed(IMPORTANCE_KEYS, ex::IMPORTANCE_HEADER),
                rows: Vec::new(),
            },
        };
        match &s.result {
            Err(e) => d.not_solved = Some(ex::not_solved(&s.name, e)),
            Ok(r) => {
                let mut cells = vec![Cell::text("service", s.name.clone())];
                cells.extend(keyed_cells(SERVICE_KEYS, ex::service_cells(r)));
                services.rows.push(Row {
                    label: s.name.clone(),
                    cells,
                });
                d.notes = ex::notes(a, &s.name, r);
                d.cut_sets_heading = ex::cut_sets_heading(&s.name, r);
                d.cut_sets.rows = r
                    .cut_sets
                    .iter()
                    .map(|c| Row {
                        label: c.parts.join(" & "),
                        cells: keyed_cells(CUT_SET_KEYS, ex::cut_set_cells(c)),
                    })
                    .collect();
                if !r.importance.is_empty() {
                    d.importance_heading = Some(ex::importance_heading(&s.name));
                }
                d.importance.rows = r
                    .importance
                    .iter()
                    .map(|i| Row {
                        label: i.part.clone(),
                        cells: keyed_cells(IMPORTANCE_KEYS, ex::importance_cells(i)),
                    })
                    .collect();
            }
        }
        details.push(d);
    }
    ExactView {
        head: ex::head(a),
        services,
        details,
        crews: a.crews.iter().map(ex::crew_line).collect(),
    }
}
