//! The design review (`hasim report`): one document from the models and a
//! comparison run, as HTML or Markdown.
//!
//! The document is a list of sections. Each is built by one function from
//! the same [`Review<'_>`] (the loaded models, the comparison document of
//! `hasim compare` and the options), and [`SECTIONS`] gives their order, so a
//! new section is one function and one line. Sections are made of a few kinds
//! of [`Block`]; two renderers write blocks as HTML or Markdown and escape
//! every string on the way out, so no section has to think about escaping
//! the names and descriptions a model brings.
//!
//! The document holds no date and no timing: the same models, seed and
//! options give the same bytes, for any thread count, like every other
//! output of hasim.
//!
//! The charts are an input ([`Charts`], SVG text), not drawn here: plotters,
//! which draws them, measures text with a font through ab_glyph, and on
//! wasm32 plotters has no such backend (it measures text in the browser's
//! DOM, which a Web Worker has not, and with the browser's fonts, which
//! would change the bytes). So the review builds without the `charts`
//! feature, the playground renders it in its worker, and `hasim report`
//! passes what [`draw_charts`] draws. Without charts every other byte of
//! the document is the same, and each chart's place says where to get it.

#[cfg(feature = "charts")]
use crate::charts::{self, ChartError};
use crate::{format, plan};
use sim_core::analysis;
use sim_core::export::CompareDoc;
use sim_core::model::compile::{ElementKind, Model};
use sim_core::model::{Loaded, Source};
use sim_core::plan::headroom::MemberLoad;
use sim_core::plan::{Case, Headroom, Verdict};
use sim_core::runner::RunOptions;
#[cfg(feature = "charts")]
use sim_core::runner::RunResult;
use sim_core::time::Human;
use std::fmt::Write;
use std::path::Path;

/// Causes listed per service in the causes table (and drawn per service in
/// the downtime chart): one constant in [`format`], which both this module
/// and the charts read, so neither imports the other for it.
pub use crate::format::TOP_CAUSES;

/// The review's two charts as SVG documents: the recovery-time
/// distribution and the downtime by cause, one line or bar group per
/// service and design.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charts {
    pub recovery: String,
    pub causes: String,
}

/// Draws the review's charts with plotters, as `hasim report` shows them.
#[cfg(feature = "charts")]
pub fn draw_charts(doc: &CompareDoc) -> std::result::Result<Charts, ChartError> {
    let results: Vec<(String, &RunResult)> = doc
        .designs
        .iter()
        .map(|d| (d.model.name.clone(), &d.result))
        .collect();
    Ok(Charts {
        recovery: charts::Chart::recovery("recovery time per outage", &results).svg()?,
        causes: charts::Chart::causes("downtime by cause", &results).svg()?,
    })
}

/// Everything a section may read: the loaded models, the comparison
/// document of `hasim compare` (also for a single design) run with `opts`,
/// and what the review's own command line needs.
pub struct Review<'a> {
    pub loaded: &'a [Loaded],
    pub doc: &'a CompareDoc,
    pub opts: &'a RunOptions,
    /// The horizon as the user wrote it ("10y"), for the command that
    /// reproduces the document.
    pub horizon: &'a str,
    /// The file the document is written to, for the same command and for
    /// the names of a Markdown document's charts.
    pub output: &'a str,
    /// The design searches run for the first page (none when the models
    /// declare no `[design]` space or the search was skipped).
    pub searches: &'a [crate::summary::DesignSearch],
    /// The charts ([`draw_charts`] with the `charts` feature); without them
    /// each chart's place in the document says which command draws it.
    pub charts: Option<&'a Charts>,
}

impl Review<'_> {
    fn several(&self) -> bool {
        self.loaded.len() > 1
    }
}

use crate::summary::{code, strong, text, Inline};

enum Block {
    /// A sub-heading inside a section.
    Heading(String),
    Para(Vec<Inline>),
    List(Vec<Vec<Inline>>),
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// Preformatted text, shown exactly (diagnostics, commands).
    Pre(String),
    /// Blocks shown folded under a one-line summary (HTML and GitHub
    /// Markdown `<details>`), so a wall of warnings does not bury the
    /// first page; plain Markdown shows them as they are.
    Fold {
        summary: String,
        blocks: Vec<Block>,
    },
    /// An SVG chart: inlined in HTML, a file named `STEM.{file}.svg` beside
    /// a Markdown document; without its SVG, a note in its place.
    Chart {
        file: &'static str,
        caption: String,
        svg: Option<String>,
    },
}

struct Section {
    /// The anchor in HTML.
    id: &'static str,
    title: &'static str,
    blocks: Vec<Block>,
}

type SectionFn = fn(&Review<'_>) -> Section;

/// The sections, in the order of the document.
const SECTIONS: &[SectionFn] = &[
    summary, results, causes, validation, capacity, charts, designs, glossary, reproduce,
];

/// The document's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    /// GitHub-flavoured Markdown for a pull-request comment: the summary
    /// open, every other section folded in a `<details>` block, and no
    /// charts (a comment cannot show sidecar files).
    Gfm,
}

impl Format {
    /// The format an output file name asks for, from its extension.
    pub fn of_path(output: &str) -> std::result::Result<Format, String> {
        let ext = Path::new(output)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            _ if output == "-" => Err("-o -: the report is a file (its charts may be files beside it): give a name ending in .html or .md".into()),
            Some("html" | "htm") => Ok(Format::Html),
            Some("md" | "markdown") => Ok(Format::Markdown),
            _ => Err(format!("-o {output}: use a file name ending in .html or .md")),
        }
    }

    /// The format `--format NAME` asks for.
    pub fn named(name: &str) -> std::result::Result<Format, String> {
        match name {
            "html" => Ok(Format::Html),
            "md" | "markdown" => Ok(Format::Markdown),
            "gfm" => Ok(Format::Gfm),
            _ => Err(format!("--format {name}: use html, md or gfm")),
        }
    }
}

/// A rendered review: the document's text and, for Markdown, the charts to
/// write beside it as (file name, SVG text). The charts come first when
/// writing, so the document never points at a missing file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub charts: Vec<(String, String)>,
}

/// Renders the review of `r` in `format`: the same models, results, options
/// and charts give the same bytes.
pub fn render(r: &Review<'_>, format: Format) -> Rendered {
    let sections: Vec<Section> = SECTIONS.iter().map(|f| f(r)).collect();
    let (title, intro) = front(r);
    match format {
        Format::Html => Rendered {
            text: html(&title, &intro, &sections),
            charts: Vec::new(),
        },
        Format::Markdown => {
            let stem = Path::new(r.output)
                .file_stem()
                .map_or("report".into(), |s| s.to_string_lossy().into_owned());
            let (text, charts) = markdown(&title, &intro, &sections, &stem, false);
            Rendered { text, charts }
        }
        Format::Gfm => {
            let (text, _) = markdown(&title, &intro, &sections, "", true);
            Rendered {
                text,
                charts: Vec::new(),
            }
        }
    }
}

/// The document's title and the paragraph under it.
fn front(r: &Review<'_>) -> (String, Vec<Inline>) {
    let names: Vec<&str> = r.loaded.iter().map(|l| l.model.name.as_str()).collect();
    let title = format!("Design review: {}", names.join(" vs "));
    let mut intro = vec![text(format!(
        "{} {} simulated with hasim {}: {} of {} each, seed {}.",
        r.loaded.len(),
        if r.several() { "designs" } else { "design" },
        env!("CARGO_PKG_VERSION"),
        format::replications_run(r.doc.designs.iter().map(|d| d.result.replications)),
        Human(r.opts.horizon),
        r.opts.seed
    ))];
    if r.several() {
        intro.push(text(" The first design, "));
        intro.push(strong(names[0]));
        intro.push(text(", is the baseline of the comparison."));
    }
    (title, intro)
}

// ---------------------------------------------------------------- sections

/// The first page: per service, which design is better and by how much
/// downtime a year (with its interval, significant or not), then the
/// largest causes of each design's downtime, each with the warning that
/// names its element, which says what to change (built by
/// [`crate::summary`], which the playground shows too).
fn summary(r: &Review<'_>) -> Section {
    let s = crate::summary::summary(r.loaded, r.doc, r.searches);
    let mut blocks: Vec<Block> = s.verdicts.into_iter().map(Block::Para).collect();
    for d in s.designs {
        if d.findings.is_empty() && d.structure.is_empty() && d.failures.is_empty() {
            continue;
        }
        blocks.push(Block::Heading(format!("What to fix first in {}", d.design)));
        blocks.push(Block::List(d.findings));
        if !d.cheapest.is_empty() {
            blocks.push(Block::Para(vec![
                text("The design search over the model's "),
                code("[design]"),
                text(" space:"),
            ]));
            blocks.push(Block::List(d.cheapest));
        }
        if !d.failures.is_empty() {
            blocks.push(Block::Para(vec![text(
                "What each single failure does once the clusters settled (the capacity planner's cases):",
            )]));
            blocks.push(Block::List(d.failures));
        }
        if !d.structure.is_empty() {
            blocks.push(Block::Para(vec![
                text("Structure against simulation ("),
                code("hasim exact"),
                text("):"),
            ]));
            blocks.push(Block::List(d.structure));
        }
    }
    Section {
        id: "summary",
        title: "Summary",
        blocks,
    }
}

/// What each figure of the document means, in a sentence each.
fn glossary(r: &Review<'_>) -> Section {
    let terms: &[(&str, &str)] = &[
        ("availability", "the share of simulated time the service was up, the mean over replications with its 95% confidence interval."),
        ("nines", "-log10(1 - availability): 3.0 is 99.9%."),
        ("downtime/yr", "the time a year the service was down; its interval is the one of the availability in time units."),
        ("outages/yr", "how often a year the service went down, whatever the length."),
        ("recovery p50 / p90 / p99", "the outage lengths half, 90% and 99% of outages were shorter than, with their 95% intervals."),
        ("request availability", "the share of requests that succeeded: lower than the availability where a load balancer still sends requests to dead servers it has not yet marked DOWN."),
        ("error-weighted downtime/yr", "that share of failing requests integrated over time, as minutes a year."),
        ("Δ downtime/yr vs baseline", "a design's downtime a year minus the first design's, from the same random streams, with its 95% interval; significant when the interval excludes zero."),
        ("structural downtime", "the downtime the structure alone gives (what fails and how long its repair takes), computed exactly by hasim exact without the failover machinery."),
        ("what failover costs", "simulated minus structural downtime: what elections, VIP takeovers, fencing and eviction add (or, negative, remove)."),
        ("minimal cut set", "a set of parts whose being down together takes the service down, with no smaller such set inside it; a single part is a single point of failure."),
        ("N+1", "every single failure of a host, power feed or switch leaves every HA VM and pod a place to run."),
    ];
    Section {
        id: "glossary",
        title: "Glossary",
        blocks: vec![Block::List(
            terms
                .iter()
                // The difference between designs only where there are several.
                .filter(|(t, _)| r.several() || !t.starts_with('Δ'))
                .map(|(t, m)| vec![strong(*t), text(format!(": {m}"))])
                .collect(),
        )],
    }
}

/// What each design is made of, from its model file.
fn designs(r: &Review<'_>) -> Section {
    let mut blocks = Vec::new();
    for l in r.loaded {
        let m = &l.model;
        blocks.push(Block::Heading(m.name.clone()));
        blocks.push(Block::Para(vec![
            text("Model file "),
            code(&l.name),
            text(format!(" ({} bytes, FNV-1a hash ", l.text.len())),
            code(&m.text_hash),
            text(")."),
        ]));
        if let Some(d) = &m.description {
            blocks.push(Block::Para(vec![
                strong("Description."),
                text(" "),
                text(d),
            ]));
        }
        // Elements grouped by the section they are written in, in the
        // model format's order (sites, power, switches, ... components).
        let mut rows = Vec::new();
        for kind in ElementKind::ALL {
            let section = kind.section();
            let names: Vec<String> = m
                .elements
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| match e.host {
                    Some(h) => format!("{} (on {})", e.name, m.elements[h].name),
                    None => e.name.clone(),
                })
                .collect();
            if !names.is_empty() {
                rows.push(vec![
                    section.to_string(),
                    names.len().to_string(),
                    names.join(", "),
                ]);
            }
        }
        blocks.push(Block::Table {
            header: strings(&["components", "count", "names"]),
            rows,
        });
        if !m.clusters.is_empty() {
            blocks.push(Block::Table {
                header: strings(&["cluster", "kind", "members"]),
                rows: m
                    .clusters
                    .iter()
                    .map(|c| {
                        vec![
                            c.name.clone(),
                            c.kind.kind().to_string(),
                            format!("{}: {}", c.n_members, c.member_names.join(", ")),
                        ]
                    })
                    .collect(),
            });
        }
        blocks.push(Block::Table {
            header: strings(&["service", "description"]),
            rows: m
                .services
                .iter()
                .map(|s| vec![s.name.clone(), s.description.clone().unwrap_or_default()])
                .collect(),
        });
        let mut more = Vec::new();
        if !m.crews.is_empty() {
            let crews: Vec<String> = m
                .crews
                .iter()
                .map(|c| format!("{} ({} at a time)", c.name, c.size))
                .collect();
            more.push(vec![
                strong("Repair crews:"),
                text(" "),
                text(crews.join(", ")),
            ]);
        }
        if !m.networks.is_empty() {
            let nets: Vec<String> = m
                .networks
                .iter()
                .map(|n| format!("{} ({} links)", n.name, n.links.len()))
                .collect();
            more.push(vec![strong("Networks:"), text(" "), text(nets.join(", "))]);
        }
        if !more.is_empty() {
            blocks.push(Block::List(more));
        }
    }
    Section {
        id: "designs",
        title: "Designs",
        blocks,
    }
}

/// The design smells of `hasim validate`, rendered the same way, and the
/// presets that are assumptions.
fn validation(r: &Review<'_>) -> Section {
    let mut blocks = Vec::new();
    // The designs of the document are the loaded models, in order.
    for (l, d) in r.loaded.iter().zip(&r.doc.designs) {
        if r.several() {
            blocks.push(Block::Heading(l.model.name.clone()));
        }
        let src = Source {
            name: &l.name,
            text: &l.text,
        };
        // Ranked by the downtime this report's run measured, where
        // `validate`, which runs nothing, ranks by an estimate.
        let lints = analysis::lint_measured(&l.model, &src, &d.result);
        const SAME: &str =
            "`hasim validate` prints the same, ranked by expected rather than measured downtime";
        blocks.push(Block::Para(vec![text(match lints.len() {
            0 => "No warnings.".to_string(),
            1 => format!("1 warning ({SAME}):"),
            n => format!("{n} warnings ({SAME}):"),
        })]));
        if !lints.is_empty() {
            blocks.push(Block::Fold {
                summary: format!(
                    "The {} of {}",
                    sim_core::text::plural(lints.len() as u64, "warning"),
                    l.model.name
                ),
                blocks: lints.iter().map(|d| Block::Pre(d.to_string())).collect(),
            });
        }
        if !l.model.assumptions.is_empty() {
            blocks.push(Block::Para(vec![text(
                "Assumptions: presets without an authoritative source (override them in the model):",
            )]));
            blocks.push(Block::List(
                l.model.assumptions.iter().map(|a| vec![text(a)]).collect(),
            ));
        }
    }
    Section {
        id: "validation",
        title: "Validation warnings",
        blocks,
    }
}

/// Per service (and design): availability, downtime, outages, recovery
/// percentiles and data loss with their 95% intervals, and for several
/// designs the difference against the baseline.
fn results(r: &Review<'_>) -> Section {
    let several = r.several();
    let doc = &r.doc;
    let mut blocks = Vec::new();
    let counts: Vec<u64> = doc.designs.iter().map(|d| d.result.replications).collect();
    let mut intro = if counts.iter().all(|c| *c == r.opts.replications) {
        format!(
            "{} replications of {} per design. ",
            r.opts.replications,
            Human(r.opts.horizon)
        )
    } else {
        let each: Vec<String> = doc
            .designs
            .iter()
            .map(|d| format!("{} {}", d.model.name, d.result.replications))
            .collect();
        format!(
            "Replications run (--target-ci stops early): {}, each of {}. ",
            each.join(", "),
            Human(r.opts.horizon)
        )
    };
    intro.push_str("Every value is the mean with its 95% confidence interval.");
    if several {
        intro.push_str(" Every design ran on the same random streams (replication i of each uses stream i of the seed). Δ downtime/yr is the design minus the baseline with its 95% Welch interval: significant when the interval excludes zero.");
    }
    blocks.push(Block::Para(vec![text(intro)]));
    let data_loss = doc.designs.iter().any(|d| {
        d.result
            .services
            .iter()
            .any(|s| s.data_loss_events_per_year.mean > 0.0)
    });
    let requests = format::lost_requests(doc.designs.iter().flat_map(|d| &d.result.services));
    let mut header = Vec::new();
    if several {
        header.push("design");
    }
    header.extend([
        "service",
        "availability",
        "nines",
        "downtime/yr",
        "outages/yr",
        "recovery p50",
        "recovery p90",
        "recovery p99",
    ]);
    if data_loss {
        header.push("data loss events/yr");
    }
    if requests {
        header.extend(format::REQUEST_HEADER);
    }
    if several {
        header.push("Δ downtime/yr vs baseline");
    }
    let mut rows = Vec::new();
    for svc in format::services(doc) {
        for (k, d) in doc.designs.iter().enumerate() {
            let Some(s) = d.result.services.iter().find(|s| s.name == svc) else {
                continue;
            };
            let p = &s.recovery_seconds;
            let mut row = Vec::new();
            if several {
                row.push(d.model.name.clone());
            }
            row.extend([
                s.name.clone(),
                format::availability(&s.availability),
                format::nines(s),
                format::pm(&s.downtime_minutes_per_year, format::minutes),
                format::pm(&s.outages_per_year, format::sig),
                format::recovery_cell(s, p.p50, p.p50_ci95),
                format::recovery_cell(s, p.p90, p.p90_ci95),
                format::recovery_cell(s, p.p99, p.p99_ci95),
            ]);
            if data_loss {
                row.push(format::pm(&s.data_loss_events_per_year, format::sig));
            }
            if requests {
                row.extend(format::request_cells(s));
            }
            if several {
                row.push(format::difference(
                    doc.comparison(svc, &d.model.name).filter(|_| k > 0),
                ));
            }
            rows.push(row);
        }
    }
    blocks.push(Block::Table {
        header: strings(&header),
        rows,
    });
    if !data_loss {
        blocks.push(Block::Para(vec![text(
            "No replication recorded a data-loss event.",
        )]));
    }
    if requests {
        blocks.push(Block::Para(vec![text(
            "Request availability also counts as lost, while a service is up, the requests a load balancer still sends to dead servers it has not yet marked DOWN; the error-weighted downtime is that share of requests integrated over time.",
        )]));
    }
    let mut rows = Vec::new();
    for d in &doc.designs {
        for c in &d.result.clusters {
            // Outputs that were never down say nothing to a reviewer.
            for o in c
                .outputs
                .iter()
                .filter(|o| o.down_minutes_per_year.mean > 0.0)
            {
                let mut row = Vec::new();
                if several {
                    row.push(d.model.name.clone());
                }
                row.extend([
                    c.name.clone(),
                    c.kind.clone(),
                    if o.is_quorum {
                        "without quorum".to_string()
                    } else {
                        format!("output {} down", o.name)
                    },
                    format::pm(&o.down_minutes_per_year, format::minutes),
                ]);
                rows.push(row);
            }
        }
    }
    if !rows.is_empty() {
        let mut header = Vec::new();
        if several {
            header.push("design");
        }
        header.extend(["cluster", "kind", "state", "time per year"]);
        blocks.push(Block::Heading("Clusters".into()));
        blocks.push(Block::Para(vec![text(
            "How long each cluster was without quorum, or each of its outputs down (outputs never down are left out):",
        )]));
        blocks.push(Block::Table {
            header: strings(&header),
            rows,
        });
    }
    Section {
        id: "results",
        title: "Results",
        blocks,
    }
}

/// The attribution the run computed: downtime charged to the fault that
/// started each outage.
fn causes(r: &Review<'_>) -> Section {
    let mut blocks = vec![Block::Para(vec![text(format!(
        "The {} largest causes per service. Downtime is charged to the fault that started the outage, including the time the cluster software took to react to it.",
        TOP_CAUSES
    ))])];
    for d in &r.doc.designs {
        if r.several() {
            blocks.push(Block::Heading(d.model.name.clone()));
        }
        let mut rows = Vec::new();
        for s in &d.result.services {
            if s.downtime_causes.is_empty() {
                rows.push(vec![
                    s.name.clone(),
                    "no downtime".into(),
                    String::new(),
                    String::new(),
                ]);
            }
            for c in s.downtime_causes.iter().take(TOP_CAUSES) {
                rows.push(vec![
                    s.name.clone(),
                    c.cause.clone(),
                    format::share(c.share),
                    format::minutes(c.minutes_per_year),
                ]);
            }
        }
        blocks.push(Block::Table {
            header: strings(&["service", "cause", "share of downtime", "downtime/yr"]),
            rows,
        });
    }
    Section {
        id: "causes",
        title: "Top downtime causes",
        blocks,
    }
}

/// The capacity planner's headroom verdict per design, as `hasim plan MODEL`
/// gives it with the same seed: the failures that lose something and the
/// peak load of every member. A design search is only pointed at: it
/// simulates every design of the space, far more work than the report.
fn capacity(r: &Review<'_>) -> Section {
    let failures = plan::DEFAULT_FAILURES;
    let mut blocks = vec![Block::Para(vec![
        text(format!(
            "The capacity planner plays every failure of up to {failures} failure domain{} (site, power feed, switch, failure domain, host) as a scenario with random faults off, reads where each cluster placed its HA VMs and pods an hour later, and judges whether the survivors carry everything (the N+1 verdict). ",
            if failures == 1 { "" } else { "s" }
        )),
        code(format!("hasim plan MODEL --seed {}", r.opts.seed)),
        text(" prints the same, with the load of every case."),
    ])];
    for (i, l) in r.loaded.iter().enumerate() {
        let m = &l.model;
        if r.several() {
            blocks.push(Block::Heading(m.name.clone()));
        }
        let searched = r.searches.iter().any(|s| s.design == i);
        let h = sim_core::plan::headroom(m, usize::from(failures), r.opts.seed);
        blocks.push(Block::Para(vec![
            strong("Verdict:"),
            text(" "),
            text(sim_core::plan::text::verdict_line(&h)),
            text(". "),
            text(plan::scope_line(m, &h)),
        ]));
        if h.verdict == Verdict::NothingPlaced {
            blocks.push(Block::Para(vec![text(format!(
                "{}: it declares no capacities, so there is nothing to check.",
                plan::NOTHING_PLACED
            ))]));
        } else {
            blocks.extend(capacity_tables(m, &h));
        }
        if m.design.is_some() {
            blocks.push(Block::Para(vec![
                text("The model declares a design space ("),
                code("[design]"),
                text(if searched {
                    "). The summary names the cheapest design meeting each target; this command prints the whole search (every design's cost and availability) and the cost/downtime Pareto frontier:"
                } else {
                    "). The report searched it for no target (give `hasim report --target 99.9%`, or `target` in a service); this command finds the cheapest design whose availability meets a target (here 99.9%: put yours) with 95% confidence, and the cost/downtime Pareto frontier:"
                }),
            ]));
            let path = shell_word(&l.name);
            let options = sim_options(r);
            let commands: Vec<String> = match m.services.as_slice() {
                [_] => vec![format!("hasim plan {path} --target 99.9% {options}")],
                many => many
                    .iter()
                    .map(|s| {
                        format!(
                            "hasim plan {path} --target 99.9% --service {} {options}",
                            shell_word(&s.name)
                        )
                    })
                    .collect(),
            };
            blocks.push(Block::Pre(commands.join("\n")));
        }
    }
    Section {
        id: "capacity",
        title: "Capacity",
        blocks,
    }
}

/// The cases that lose something, and each member's peak load over every
/// case (everything up included).
fn capacity_tables(m: &Model, h: &Headroom) -> Vec<Block> {
    let mut blocks = Vec::new();
    let all = || std::iter::once(&h.baseline).chain(&h.cases);
    // A case loses something when it is not carried, or when a pinned
    // workload or a service is down once it settled.
    let losing: Vec<&Case> = all()
        .filter(|c| !c.carried() || !c.unplaced.is_empty() || !c.services_down.is_empty())
        .collect();
    if losing.is_empty() {
        blocks.push(Block::Para(vec![text(
            "Every case is carried: each workload has a place and every service is up once it settled.",
        )]));
    } else {
        let rows = losing
            .iter()
            .map(|c| {
                let mut lost = plan::unplaced_lines(m, c);
                for l in &c.loads {
                    for mem in l.members.iter().filter(|mem| mem.overloaded()) {
                        lost.push(format!(
                            "{} overloaded: cpu {}, memory {}",
                            plan::member_name(m, l, mem),
                            plan::usage(mem.cpu, mem.cpu_capacity, plan::cpu),
                            plan::usage(mem.memory, mem.memory_capacity, plan::memory)
                        ));
                    }
                }
                vec![
                    sim_core::plan::text::case_name(m, c),
                    if c.carried() {
                        "carried"
                    } else {
                        "NOT carried"
                    }
                    .to_string(),
                    lost.join("; "),
                    plan::services_down(m, c),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            header: strings(&[
                "failure",
                "verdict",
                "no place for (why) or overloaded",
                "services still down after 1 h",
            ]),
            rows,
        });
    }
    // The peak of each member over the cases where it is up, CPU and
    // memory separately; the first case reaching it is named.
    let mut rows = Vec::new();
    let mut declared = false;
    for l in &h.baseline.loads {
        for mem in &l.members {
            declared |= mem.cpu_capacity != u64::MAX || mem.memory_capacity != u64::MAX;
            // The largest value of `f` over the cases where the member is up.
            let peak = |f: fn(&MemberLoad) -> u64| {
                let mut best: Option<(&Case, u64)> = None;
                for c in all() {
                    let Some(x) = c
                        .loads
                        .iter()
                        .find(|x| x.cluster == l.cluster)
                        .and_then(|x| x.members.iter().find(|x| x.member == mem.member))
                        .filter(|x| x.up)
                    else {
                        continue;
                    };
                    if best.is_none_or(|(_, b)| f(x) > b) {
                        best = Some((c, f(x)));
                    }
                }
                best
            };
            let (cpu, memory) = (peak(|x| x.cpu), peak(|x| x.memory));
            let cell = |p: Option<(&Case, u64)>, cap: u64, f: fn(u64) -> String| match p {
                Some((c, v)) => [
                    plan::usage(v, cap, f),
                    sim_core::plan::text::case_name(m, c),
                ],
                None => ["down in every case".into(), String::new()],
            };
            let [c, cw] = cell(cpu, mem.cpu_capacity, plan::cpu);
            let [mm, mw] = cell(memory, mem.memory_capacity, plan::memory);
            rows.push(vec![
                format!("{} ({}s)", m.clusters[l.cluster].name, l.unit),
                plan::member_name(m, l, mem),
                c,
                cw,
                mm,
                mw,
            ]);
        }
    }
    blocks.push(Block::Para(vec![text(
        "The peak load of each member over every case where it is up (requests of what runs there against what it offers):",
    )]));
    blocks.push(Block::Table {
        header: strings(&[
            "cluster",
            "member",
            "peak cpu (cores)",
            "in case",
            "peak memory",
            "in case",
        ]),
        rows,
    });
    if !declared {
        blocks.push(Block::Para(vec![text(
            "The model declares no CPU or memory capacity for these members (shown as -): none can be overloaded, so the verdict rests on quorum, live members and placement rules (HA groups, anti-affinity), not on CPU or memory.",
        )]));
    }
    blocks
}

/// The charts of `hasim run --plot` / `hasim compare --plot`, one per figure.
fn charts(r: &Review<'_>) -> Section {
    let per = if r.several() {
        "service and design"
    } else {
        "service"
    };
    Section {
        id: "charts",
        title: "Charts",
        blocks: vec![
            Block::Chart {
                file: "recovery",
                caption: format!("Recovery time per outage: the fraction of outages over within a given time (log scale), one line per {per}."),
                svg: r.charts.map(|c| c.recovery.clone()),
            },
            Block::Chart {
                file: "causes",
                caption: format!(
                    "Downtime per year by the fault that started it, the {TOP_CAUSES} largest per {per}."
                ),
                svg: r.charts.map(|c| c.causes.clone()),
            },
        ],
    }
}

/// What stands in a chart's place when the document was made without
/// charts (in the playground, whose engine has no chart renderer): the
/// command of the Reproduce section writes the same document with them.
const NO_CHART: &str =
    "Not drawn here: the command under Reproduce writes this document with the chart.";

/// How to get this document, and its numbers as JSON, again.
fn reproduce(r: &Review<'_>) -> Section {
    let paths: Vec<String> = r.loaded.iter().map(|l| shell_word(&l.name)).collect();
    let options = sim_options(r);
    let command = format!(
        "hasim report {} {options} -o {}",
        paths.join(" "),
        shell_word(r.output)
    );
    let json = if r.several() {
        format!(
            "hasim compare {} {options} --export-json results.json",
            paths.join(" ")
        )
    } else {
        format!(
            "hasim run {} {options} --export-json results.json",
            paths[0]
        )
    };
    let files = r
        .loaded
        .iter()
        .map(|l| {
            vec![
                l.name.clone(),
                l.text.len().to_string(),
                l.model.text_hash.clone(),
            ]
        })
        .collect();
    Section {
        id: "reproduce",
        title: "Reproduce",
        blocks: vec![
            Block::Para(vec![text(format!(
                "Made with hasim {}. This command writes the same document, byte for byte, with any number of threads (-j); replication i of every design uses random stream i of the seed:",
                env!("CARGO_PKG_VERSION")
            ))]),
            Block::Pre(command),
            Block::Para(vec![text("The same numbers as JSON:")]),
            Block::Pre(json),
            Block::Para(vec![text(
                "The model files it read (the hash is the one in the JSON exports; a different hash means a different text):",
            )]),
            Block::Table {
                header: strings(&["model file", "bytes", "FNV-1a 64 hash"]),
                rows: files,
            },
        ],
    }
}

/// The simulation options of this document as command-line options.
fn sim_options(r: &Review<'_>) -> String {
    let mut options = format!(
        "--seed {} --replications {} --horizon {}",
        r.opts.seed,
        r.opts.replications,
        shell_word(r.horizon)
    );
    // The batch size only changes results when --target-ci checks the
    // stopping rule after each batch.
    if let Some(t) = r.opts.target_ci {
        let _ = write!(options, " --target-ci {t} --batch {}", r.opts.batch);
    }
    options
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

/// A word as a POSIX shell reads it: unchanged when it is plain, otherwise
/// in single quotes.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

// ---------------------------------------------------------------- HTML

/// Text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_inlines(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => esc(t),
            Inline::Code(t) => format!("<code>{}</code>", esc(t)),
            Inline::Strong(t) => format!("<strong>{}</strong>", esc(t)),
        })
        .collect()
}

/// Screen and print: no web fonts, no external resources.
const CSS: &str = "
body { margin: 0; color: #1b1f24; background: #fff; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; }
h1 { font-size: 1.7rem; margin: 0 0 .4rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid #d0d7de; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
nav ol { margin: .4rem 0; padding-left: 1.4rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .88rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-size: .82rem; }
tbody tr:nth-child(even) td { background: #fafbfc; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace; font-size: .85rem; }
pre { margin: .5rem 0 1rem; padding: .6rem .8rem; white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; border: 1px solid #d0d7de; }
figure { margin: 1rem 0 1.5rem; }
figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #d0d7de; }
figcaption { margin-top: .3rem; font-size: .9rem; color: #57606a; }
details > summary { cursor: pointer; margin: .4rem 0; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { font-size: 9pt; }
  table, th { font-size: 8pt; }
  /* Folded warnings print unfolded: paper has no click. */
  details::details-content { content-visibility: visible; display: block; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2, h3 { break-after: avoid; }
  table, figure, pre { break-inside: avoid; }
  .scroll { overflow: visible; }
}
";

fn html(title: &str, intro: &[Inline], sections: &[Section]) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"hasim {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n<p>{}</p>\n<nav aria-label=\"Contents\">\n<ol>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title),
        esc(title),
        html_inlines(intro)
    );
    for s in sections {
        let _ = writeln!(o, "<li><a href=\"#{}\">{}</a></li>", s.id, esc(s.title));
    }
    o.push_str("</ol>\n</nav>\n");
    for s in sections {
        let _ = writeln!(o, "<section id=\"{}\">\n<h2>{}</h2>", s.id, esc(s.title));
        for b in &s.blocks {
            html_block(&mut o, b);
        }
        o.push_str("</section>\n");
    }
    o.push_str("</main>\n</body>\n</html>\n");
    o
}

fn html_block(o: &mut String, b: &Block) {
    match b {
        Block::Heading(h) => {
            let _ = writeln!(o, "<h3>{}</h3>", esc(h));
        }
        Block::Para(p) => {
            let _ = writeln!(o, "<p>{}</p>", html_inlines(p));
        }
        Block::List(items) => {
            o.push_str("<ul>\n");
            for i in items {
                let _ = writeln!(o, "<li>{}</li>", html_inlines(i));
            }
            o.push_str("</ul>\n");
        }
        Block::Table { header, rows } => {
            o.push_str("<div class=\"scroll\">\n<table>\n<thead>\n<tr>");
            for h in header {
                let _ = write!(o, "<th>{}</th>", esc(h));
            }
            o.push_str("</tr>\n</thead>\n<tbody>\n");
            for r in rows {
                o.push_str("<tr>");
                for c in r {
                    let _ = write!(o, "<td>{}</td>", esc(c));
                }
                o.push_str("</tr>\n");
            }
            o.push_str("</tbody>\n</table>\n</div>\n");
        }
        Block::Pre(t) => {
            let _ = writeln!(o, "<pre>{}</pre>", esc(t));
        }
        Block::Fold { summary, blocks } => {
            let _ = writeln!(o, "<details>\n<summary>{}</summary>", esc(summary));
            for b in blocks {
                html_block(o, b);
            }
            o.push_str("</details>\n");
        }
        Block::Chart {
            file,
            caption,
            svg: None,
        } => {
            let _ = writeln!(
                o,
                "<figure class=\"chart-{file} no-chart\">\n<p>{}</p>\n<figcaption>{}</figcaption>\n</figure>",
                esc(NO_CHART),
                esc(caption)
            );
        }
        Block::Chart {
            file,
            caption,
            svg: Some(svg),
        } => {
            // plotters escapes the text it draws; the SVG element gets a role
            // and a label for screen readers.
            let svg = svg.trim().replacen(
                "<svg ",
                &format!("<svg role=\"img\" aria-label=\"{}\" ", esc(caption)),
                1,
            );
            let _ = writeln!(
                o,
                "<figure class=\"chart-{file}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>",
                esc(caption)
            );
        }
    }
}

// ---------------------------------------------------------------- Markdown

/// Text for Markdown: newlines become spaces, and every character that could
/// start markup or raw HTML is backslash-escaped (CommonMark allows that for
/// any ASCII punctuation).
fn md_esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The longest run of backticks in `s`.
fn backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn md_inlines(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => md_esc(t),
            Inline::Code(t) => {
                // A code span's fence is longer than any backtick run inside.
                let fence = "`".repeat(backtick_run(t) + 1);
                format!("{fence} {} {fence}", t.replace('\n', " "))
            }
            Inline::Strong(t) => format!("**{}**", md_esc(t)),
        })
        .collect()
}

/// Sidecar file names need percent-encoding to be a link.
fn url_path(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The Markdown text and the charts to write beside it as (file name, SVG).
/// With `gfm` (a pull-request comment): no table of contents, the first
/// section open and every other one folded in `<details>`, and no charts.
fn markdown(
    title: &str,
    intro: &[Inline],
    sections: &[Section],
    stem: &str,
    gfm: bool,
) -> (String, Vec<(String, String)>) {
    let mut o = format!("# {}\n\n{}\n\n", md_esc(title), md_inlines(intro));
    if !gfm {
        for s in sections {
            // The anchor GitHub and most renderers derive from a heading.
            let anchor = s.title.to_lowercase().replace(' ', "-");
            let _ = writeln!(o, "- [{}](#{anchor})", s.title);
        }
    }
    let mut charts = Vec::new();
    for (k, s) in sections.iter().enumerate() {
        let folded = gfm && k > 0;
        if folded {
            // GitHub renders Markdown inside <details> when blank lines
            // surround it.
            let _ = write!(
                o,
                "\n<details>\n<summary><b>{}</b></summary>\n",
                esc(s.title)
            );
        } else {
            let _ = write!(o, "\n## {}\n", s.title);
        }
        let mut omitted = false;
        for b in &s.blocks {
            if gfm && matches!(b, Block::Chart { .. }) {
                omitted = true;
                continue;
            }
            o.push('\n');
            md_block(&mut o, b, stem, &mut charts, gfm);
        }
        if omitted {
            o.push_str("\n*Charts are not shown in a comment: `hasim report` with `-o review.html` draws them.*\n");
        }
        if folded {
            o.push_str("\n</details>\n");
        }
    }
    (o, charts)
}

fn md_block(o: &mut String, b: &Block, stem: &str, charts: &mut Vec<(String, String)>, gfm: bool) {
    match b {
        Block::Heading(h) => {
            let _ = writeln!(o, "### {}", md_esc(h));
        }
        Block::Para(p) => {
            let _ = writeln!(o, "{}", md_inlines(p));
        }
        Block::List(items) => {
            for i in items {
                let _ = writeln!(o, "- {}", md_inlines(i));
            }
        }
        Block::Table { header, rows } => {
            let cells = |r: &[String]| -> String {
                r.iter().map(|c| md_esc(c)).collect::<Vec<_>>().join(" | ")
            };
            let _ = writeln!(o, "| {} |", cells(header));
            let _ = writeln!(o, "|{}", "---|".repeat(header.len()));
            for r in rows {
                let _ = writeln!(o, "| {} |", cells(r));
            }
        }
        Block::Pre(t) => {
            let fence = "`".repeat(backtick_run(t).max(2) + 1);
            let _ = writeln!(o, "{fence}text\n{}\n{fence}", t.trim_end());
        }
        Block::Fold { summary, blocks } => {
            if gfm {
                let _ = writeln!(o, "<details>\n<summary>{}</summary>", esc(summary));
            } else {
                let _ = writeln!(o, "{}:", md_esc(summary));
            }
            for b in blocks {
                o.push('\n');
                md_block(o, b, stem, charts, gfm);
            }
            if gfm {
                o.push_str("\n</details>\n");
            }
        }
        Block::Chart {
            caption, svg: None, ..
        } => {
            let _ = writeln!(o, "*{}* {}", md_esc(caption), md_esc(NO_CHART));
        }
        Block::Chart {
            file,
            caption,
            svg: Some(svg),
        } => {
            let name = format!("{stem}.{file}.svg");
            let _ = writeln!(
                o,
                "![{}]({})\n\n*{}*",
                md_esc(caption),
                url_path(&name),
                md_esc(caption)
            );
            charts.push((name, svg.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_text_is_escaped() {
        assert_eq!(
            esc(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(md_esc("a|b <i>*c*</i>\n# d"), r"a\|b \<i\>\*c\*\</i\> \# d");
        assert_eq!(
            md_inlines(&[code("a `b` c")]),
            "`` a `b` c ``",
            "a code span longer than the backticks inside"
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("models/a-b.toml"), "models/a-b.toml");
        assert_eq!(shell_word("my model.toml"), "'my model.toml'");
        assert_eq!(shell_word("it's.toml"), r"'it'\''s.toml'");
    }

    #[test]
    fn output_kind_from_the_extension() {
        assert_eq!(Format::of_path("r.html"), Ok(Format::Html));
        assert_eq!(Format::of_path("dir/R.MD"), Ok(Format::Markdown));
        for bad in ["r.txt", "report", "-"] {
            let e = Format::of_path(bad).expect_err(bad);
            assert!(e.contains(".html or .md"), "{e}");
        }
    }
}
