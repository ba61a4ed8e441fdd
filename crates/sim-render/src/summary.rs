//! The first page of a design review, as data: per service the verdict
//! (which design is better, by how much downtime a year, significant or
//! not), and per design what to fix first (the largest causes of its
//! downtime, each with the warning that names its element and the concrete
//! fix) and the structure against the simulation (`hasim exact`).
//!
//! It lives outside the chart-drawing review so that every front end says
//! the same sentences: `hasim report` renders these lines as HTML or
//! Markdown, and the playground (which has no chart feature) shows them
//! above its tables.

use crate::format;
use serde::Serialize;
use sim_core::analysis;
use sim_core::exact::cost::{self, Machinery};
use sim_core::export::CompareDoc;
use sim_core::model::{Loaded, Source};

/// A run of text inside a line: plain, code (a name from the model) or
/// strong (a design or a cause).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "lowercase")]
pub enum Inline {
    Text(String),
    Code(String),
    Strong(String),
}

pub fn text(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

pub fn code(s: impl Into<String>) -> Inline {
    Inline::Code(s.into())
}

pub fn strong(s: impl Into<String>) -> Inline {
    Inline::Strong(s.into())
}

/// A sentence made of inline runs.
pub type Line = Vec<Inline>;

/// The line as plain text, markup dropped.
pub fn plain(line: &[Inline]) -> String {
    line.iter()
        .map(|i| match i {
            Inline::Text(t) | Inline::Code(t) | Inline::Strong(t) => t.as_str(),
        })
        .collect()
}

/// The first page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// One line per service: its verdict.
    pub verdicts: Vec<Line>,
    /// Per design, what to fix first.
    pub designs: Vec<DesignFindings>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesignFindings {
    pub design: String,
    /// The largest causes of downtime, most first, with their evidence and
    /// fix.
    pub findings: Vec<Line>,
    /// Per service: structural against simulated downtime and the most
    /// probable minimal cut sets, or why it was not solved exactly.
    pub structure: Vec<Line>,
    /// What each single failure of a host, power feed or switch does once
    /// the clusters settled (the capacity planner's cases), one line each:
    /// the failures that lose something first, then how many are carried.
    pub failures: Vec<Line>,
    /// The cheapest design of the model's `[design]` space meeting each
    /// searched target, or why the search did not run.
    pub cheapest: Vec<Line>,
}

/// A design search the review ran (or could not run) for one design and
/// service, so the first page can name the cheapest design meeting the
/// target.
#[derive(Debug, Clone)]
pub struct DesignSearch {
    /// The index of the design (model) searched, in the review's order.
    pub design: usize,
    pub service: String,
    pub result: Result<sim_core::plan::design::Search, String>,
}

/// How many causes (and cut sets) per service the summary lists.
pub const FINDINGS: usize = 3;

const MINUTES_PER_YEAR: f64 = sim_core::time::NANOS_PER_YEAR as f64 / 60e9;

/// The first page of the review of `loaded` (in the order of `doc`'s
/// designs, the first the baseline).
pub fn summary(loaded: &[Loaded], doc: &CompareDoc, searches: &[DesignSearch]) -> Summary {
    Summary {
        verdicts: verdicts(doc),
        designs: loaded
            .iter()
            .zip(&doc.designs)
            .enumerate()
            .map(|(i, (l, d))| DesignFindings {
                design: l.model.name.clone(),
                findings: findings(l, &d.result),
                structure: structure(l, &d.result),
                failures: failures(&l.model, doc.seed),
                cheapest: searches
                    .iter()
                    .filter(|s| s.design == i)
                    .map(|s| cheapest(&l.model, s))
                    .collect(),
            })
            .collect(),
    }
}

/// What each single failure does, from the capacity planner's headroom
/// cases (with random faults off, so `seed` only names the streams the
/// scenario would use): the cases that lose something, one line each, then
/// one line for the failures that are carried. Empty when the model places
/// nothing and no single failure takes a service down.
pub fn failures(model: &sim_core::model::compile::Model, seed: u64) -> Vec<Line> {
    let h = sim_core::plan::headroom(model, 1, seed);
    let losing: Vec<&sim_core::plan::Case> = h
        .cases
        .iter()
        .filter(|c| !c.carried() || !c.unplaced.is_empty() || !c.services_down.is_empty())
        .collect();
    if losing.is_empty() && h.verdict == sim_core::plan::Verdict::NothingPlaced {
        return Vec::new();
    }
    let mut lines: Vec<Line> = losing
        .iter()
        .map(|c| {
            let line = crate::plan::case_line(model, c);
            match line.split_once(": ") {
                Some((what, rest)) => vec![code(what), text(format!(" fails: {rest}."))],
                None => vec![text(line)],
            }
        })
        .collect();
    let carried = h.cases.len() - losing.len();
    if carried > 0 {
        lines.push(vec![text(format!(
            "{carried} other single failure{} of a host, power feed or switch {} carried with every service up.",
            if carried == 1 { "" } else { "s" },
            if carried == 1 { "is" } else { "are" }
        ))]);
    }
    lines
}

/// The line naming the cheapest design meeting a searched target.
fn cheapest(model: &sim_core::model::compile::Model, s: &DesignSearch) -> Line {
    let mut line = vec![code(&s.service), text(": ")];
    match (&s.result, &model.design) {
        (Ok(search), Some(space)) => line.push(text(crate::plan::cheapest_line(search, space))),
        (Err(e), _) => line.push(text(format!("the design search did not run: {e}."))),
        (Ok(_), None) => line.push(text("the model declares no design space.")),
    }
    line
}

/// Per service: with one design its availability and downtime, with
/// several which is better than the baseline and by how much.
pub fn verdicts(doc: &CompareDoc) -> Vec<Line> {
    let several = doc.designs.len() > 1;
    let base = &doc.designs[0];
    let mut lines = Vec::new();
    for svc in format::services(doc) {
        let Some(b) = base.result.services.iter().find(|s| s.name == svc) else {
            continue;
        };
        let mut line = vec![strong(svc), text(": ")];
        if !several {
            line.push(text(format!(
                "availability {}, downtime {}/yr.",
                format::availability(&b.availability),
                format::pm(&b.downtime_minutes_per_year, format::minutes)
            )));
        }
        for d in doc.designs.iter().skip(1) {
            let Some(s) = d.result.services.iter().find(|s| s.name == svc) else {
                continue;
            };
            let Some(c) = doc.comparison(svc, &d.model.name) else {
                continue;
            };
            let delta = &c.downtime_difference_minutes_per_year;
            let verb = if delta.mean <= 0.0 { "less" } else { "more" };
            line.push(strong(&d.model.name));
            line.push(text(format!(
                " has {} ± {} {verb} downtime a year than the baseline ",
                format::minutes(delta.mean.abs()),
                format::minutes(delta.half_width())
            )));
            line.push(strong(&base.model.name));
            line.push(text(format!(
                " ({}): availability {} against {}. ",
                if c.significant {
                    "significant at 95%"
                } else {
                    "not significant: the interval includes no difference"
                },
                format::availability(&s.availability),
                format::availability(&b.availability)
            )));
        }
        lines.push(line);
    }
    lines
}

/// The largest causes of a design's downtime per service, each with the
/// measured warning that names its element and that warning's fix.
pub fn findings(l: &Loaded, result: &sim_core::runner::RunResult) -> Vec<Line> {
    let src = Source {
        name: &l.name,
        text: &l.text,
    };
    let lints = analysis::lint_measured(&l.model, &src, result);
    let mut items = Vec::new();
    for s in &result.services {
        for c in s.downtime_causes.iter().take(FINDINGS) {
            let element = c.cause.split(' ').next().unwrap_or("");
            let mut item = vec![
                strong(&c.cause),
                text(format!(": {}/yr of ", format::minutes(c.minutes_per_year))),
                code(&s.name),
                text(format!("'s downtime ({}).", format::share(c.share))),
            ];
            let named = format!("`{element}`");
            if let Some(w) = lints.iter().find(|w| w.message.contains(&named)) {
                item.push(text(format!(" {}.", w.message)));
                if let Some(h) = &w.help {
                    item.push(text(format!(" Fix: {h}.")));
                }
            }
            items.push(item);
        }
    }
    items
}

/// Per service: how much of the simulated downtime is structural, what the
/// failover machinery costs, and the most probable minimal cut sets.
pub fn structure(l: &Loaded, result: &sim_core::runner::RunResult) -> Vec<Line> {
    let exact = sim_core::exact::analyse(&l.model, sim_core::exact::Options::default());
    let costs = cost::failover_costs(&exact, result);
    let mut lines = Vec::new();
    for report in &exact.services {
        match &report.result {
            Ok(e) => {
                let Some((c, _)) = costs.iter().find(|(c, _)| c.service == report.name) else {
                    continue;
                };
                let sim = &c.simulated_minutes_per_year;
                let mut item = vec![
                    code(&report.name),
                    text(format!(
                        ": of {}/yr simulated, {}/yr is structural (what fails, for how long); ",
                        format::pm(sim, format::minutes),
                        format::minutes(c.structural_minutes_per_year)
                    )),
                ];
                item.push(text(match c.machinery() {
                    Machinery::NoTimers => "no failover timers on its path.".to_string(),
                    Machinery::NoDowntime | Machinery::Within => format!(
                        "the failover machinery ({}) costs less than the run can tell apart (± {}/yr).",
                        c.transients.join(", "),
                        format::minutes(sim.half_width())
                    ),
                    m @ (Machinery::Adds | Machinery::Removes) => format!(
                        "the failover machinery ({}) {} {}/yr.",
                        c.transients.join(", "),
                        if m == Machinery::Adds { "adds" } else { "removes" },
                        format::minutes(c.failover_minutes_per_year.abs())
                    ),
                }));
                let cuts: Vec<String> = e
                    .cut_sets
                    .iter()
                    .take(FINDINGS)
                    .map(|cut| {
                        format!(
                            "{{{}}} {}/yr",
                            cut.parts.join(", "),
                            format::minutes(cut.probability * MINUTES_PER_YEAR)
                        )
                    })
                    .collect();
                if !cuts.is_empty() {
                    item.push(text(format!(
                        " Most probable minimal cut sets: {}.",
                        cuts.join("; ")
                    )));
                }
                lines.push(item);
            }
            Err(e) => lines.push(vec![
                code(&report.name),
                text(format!(": not solved exactly ({}: {}).", e.part, e.reason)),
            ]),
        }
    }
    lines
}
