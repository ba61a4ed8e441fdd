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
}

/// How many causes (and cut sets) per service the summary lists.
pub const FINDINGS: usize = 3;

const MINUTES_PER_YEAR: f64 = sim_core::time::NANOS_PER_YEAR as f64 / 60e9;

/// The first page of the review of `loaded` (in the order of `doc`'s
/// designs, the first the baseline).
pub fn summary(loaded: &[Loaded], doc: &CompareDoc) -> Summary {
    Summary {
        verdicts: verdicts(doc),
        designs: loaded
            .iter()
            .zip(&doc.designs)
            .map(|(l, d)| DesignFindings {
                design: l.model.name.clone(),
                findings: findings(l, &d.result),
                structure: structure(l, &d.result),
            })
            .collect(),
    }
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
