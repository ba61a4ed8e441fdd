//! Design search: the cheapest design in a model's `[design]` space that
//! meets an availability target, and the cost/downtime Pareto frontier.
//!
//! Steps, each reported so the user can see what was simulated:
//!
//! 1. every combination of options is built (the model with the options'
//!    edits) and compiled; combinations that do not compile are listed as
//!    invalid with the compiler's message;
//! 2. clearly dominated designs are dropped before simulating: B is
//!    dominated when a valid design A costs no more and picks, in every
//!    choice the model declares `ordered` (options from least to most
//!    available), an option at least as far along, and the same option in
//!    every other choice. That relies on the model's own ordering claim,
//!    which the report repeats;
//! 3. the rest are simulated with the same seed (common random numbers, so
//!    the differences between designs are not noise between seeds);
//! 4. a design meets the target only when the lower end of its 95%
//!    availability interval does, not its mean: "meets with confidence".

use crate::model::compile::{compile_one, Model};
use crate::model::design::DesignSpace;
use crate::model::diag::Source;
use crate::model::tree::Value;
use crate::runner::{run_range, summarize, Progress, RunOptions, Stopped};
use crate::stats::Estimate;

/// Hours in an average month (365.25 days / 12).
const HOURS_PER_MONTH: f64 = 730.5;

/// One combination of options: a candidate design of the space (the
/// name `Design` is taken by a compared model in `export::Design`).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The option picked in each choice.
    pub picks: Vec<usize>,
    /// "etcd members=5, qdevice=yes".
    pub label: String,
    pub price: f64,
    pub monthly: f64,
    /// Watts.
    pub power: f64,
    /// price + monthly × months + energy over the months.
    pub total: f64,
}

/// What happened to one design.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// It does not compile (or lacks the service); the message says why.
    Invalid(String),
    /// Dropped before simulating: this design index costs no more and is at
    /// least as available by the model's `ordered` choices.
    Dominated(usize),
    Simulated(Outcome),
}

/// A simulated design's numbers for the target service.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub availability: Estimate,
    pub downtime_minutes_per_year: Estimate,
    /// The lower end of the availability interval reaches the target.
    pub meets: bool,
    /// The mean reaches the target (but maybe not the interval).
    pub meets_mean: bool,
}

#[derive(Debug, Clone)]
pub struct Search {
    pub designs: Vec<Candidate>,
    pub status: Vec<Status>,
    pub service: String,
    pub target: f64,
    pub replications: u64,
    /// The cheapest design meeting the target with confidence (ties: less
    /// downtime, then the order of the space).
    pub cheapest: Option<usize>,
    /// Designs no other simulated design beats on both cost and mean
    /// downtime, cheapest first.
    pub pareto: Vec<usize>,
}

impl Search {
    pub fn count(&self, f: impl Fn(&Status) -> bool) -> usize {
        self.status.iter().filter(|s| f(s)).count()
    }
    pub fn outcome(&self, i: usize) -> Option<&Outcome> {
        match &self.status[i] {
            Status::Simulated(o) => Some(o),
            _ => None,
        }
    }
}

/// Why a search cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchError {
    NoDesign,
    Target(String),
    Service(String),
    Cancelled,
    /// A design's replication used up its event budget.
    Overrun(Box<crate::runner::Overrun>),
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::NoDesign => write!(f, "the model declares no design space: add a `[design]` section with `[[design.choices]]` (see models/README.md)"),
            SearchError::Target(m) | SearchError::Service(m) => write!(f, "{m}"),
            SearchError::Cancelled => write!(f, "cancelled"),
            SearchError::Overrun(o) => o.fmt(f),
        }
    }
}

/// Every combination, the first choice varying slowest, with its costs.
pub fn designs(space: &DesignSpace) -> Vec<Candidate> {
    let mut picks: Vec<Vec<usize>> = vec![Vec::new()];
    for c in &space.choices {
        picks = picks
            .into_iter()
            .flat_map(|p| {
                (0..c.options.len()).map(move |i| {
                    let mut q = p.clone();
                    q.push(i);
                    q
                })
            })
            .collect();
    }
    picks
        .into_iter()
        .map(|p| {
            let opts: Vec<_> = p
                .iter()
                .zip(&space.choices)
                .map(|(i, c)| &c.options[*i])
                .collect();
            let price: f64 = opts.iter().map(|o| o.price).sum();
            let monthly: f64 = opts.iter().map(|o| o.monthly).sum();
            let power: f64 = opts.iter().map(|o| o.power).sum();
            let months = f64::from(space.months);
            let energy = power / 1000.0 * HOURS_PER_MONTH * months * space.energy_price;
            let label = space
                .choices
                .iter()
                .zip(&opts)
                .map(|(c, o)| format!("{}={}", c.name, o.label))
                .collect::<Vec<_>>()
                .join(", ");
            Candidate {
                picks: p,
                label,
                price,
                monthly,
                power,
                total: price + monthly * months + energy,
            }
        })
        .collect()
}

/// The model text's tree with a design's edits applied.
pub fn apply(root: &Value, space: &DesignSpace, d: &Candidate) -> Result<Value, String> {
    let mut t = root.clone();
    for (c, i) in space.choices.iter().zip(&d.picks) {
        let o = &c.options[*i];
        o.apply(&mut t)
            .map_err(|(_, e)| format!("{} = {}: {e}", c.name, o.label))?;
    }
    Ok(t)
}

/// Whether `a` clearly dominates `b` (see the module comment).
fn dominates(space: &DesignSpace, a: &Candidate, b: &Candidate) -> bool {
    a.picks != b.picks
        && a.total <= b.total
        && space
            .choices
            .iter()
            .zip(a.picks.iter().zip(&b.picks))
            .all(|(c, (x, y))| if c.ordered { x >= y } else { x == y })
}

/// Parses "99.95%", "99.95" (a percentage) or "0.9995" (a fraction).
pub fn parse_target(text: &str) -> Result<f64, SearchError> {
    crate::stats::parse_availability(text).map_err(|m| SearchError::Target(format!("--target {m}")))
}

/// Runs the search. `progress(done, total)` is called between designs and
/// may cancel by returning false.
pub fn search(
    src: &Source<'_>,
    root: &Value,
    model: &Model,
    service: &str,
    target: f64,
    opts: &RunOptions,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Search, SearchError> {
    search_with(
        crate::protocols::builtin(),
        src,
        root,
        model,
        service,
        target,
        opts,
        progress,
    )
}

/// [`search`] with the kinds of `registry`, for a model that uses kinds
/// defined outside the library: [`prepare`], every remaining design
/// simulated with the same seed, then [`rank`].
#[allow(clippy::too_many_arguments)]
pub fn search_with(
    registry: &crate::cluster::Registry,
    src: &Source<'_>,
    root: &Value,
    model: &Model,
    service: &str,
    target: f64,
    opts: &RunOptions,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Search, SearchError> {
    let prepared = prepare(registry, src, root, model, service, target)?;
    let mut accs = Vec::with_capacity(prepared.todo.len());
    for (k, m) in prepared.models().into_iter().enumerate() {
        if !progress(k, prepared.todo.len()) {
            return Err(SearchError::Cancelled);
        }
        let acc = run_range(m, opts, 0, &mut |_: Progress| true).map_err(|e| match e {
            Stopped::Cancelled => SearchError::Cancelled,
            Stopped::Overrun(o) => SearchError::Overrun(o),
        })?;
        accs.push(acc);
    }
    progress(prepared.todo.len(), prepared.todo.len());
    Ok(rank(prepared, &accs, opts))
}

/// A design search before simulation: every design of the space, compiled,
/// the invalid and dominated ones classified, and the rest (`todo`) to
/// simulate. Deterministic, so every shard of a search builds the same.
pub struct Prepared {
    pub designs: Vec<Candidate>,
    compiled: Vec<Option<Model>>,
    /// `None` for the designs still to simulate.
    status: Vec<Option<Status>>,
    /// The designs to simulate, in the order of the space.
    pub todo: Vec<usize>,
    service: String,
    target: f64,
}

impl Prepared {
    /// The compiled models of [`Prepared::todo`], in its order.
    pub fn models(&self) -> Vec<&Model> {
        self.todo
            .iter()
            .map(|i| {
                self.compiled[*i]
                    .as_ref()
                    .expect("valid designs are compiled")
            })
            .collect()
    }
}

/// Steps 1 and 2 of the search (see the module comment): every design of
/// the space built and compiled, and the dominated ones dropped.
pub fn prepare(
    registry: &crate::cluster::Registry,
    src: &Source<'_>,
    root: &Value,
    model: &Model,
    service: &str,
    target: f64,
) -> Result<Prepared, SearchError> {
    let space = model.design.as_ref().ok_or(SearchError::NoDesign)?;
    if !model.services.iter().any(|s| s.name == service) {
        let names: Vec<&str> = model.services.iter().map(|s| s.name.as_str()).collect();
        return Err(SearchError::Service(format!(
            "the model has no service `{service}` (it has: {})",
            names.join(", ")
        )));
    }
    let designs = designs(space);
    let mut compiled: Vec<Option<Model>> = Vec::with_capacity(designs.len());
    // `None` until a design is simulated, dominated or found invalid.
    let mut status: Vec<Option<Status>> = Vec::with_capacity(designs.len());
    for d in &designs {
        let built = apply(root, space, d).and_then(|t| {
            compile_one(registry, src, &t).map_err(|e| {
                e.diagnostics
                    .first()
                    .map_or_else(|| "does not compile".into(), |d| d.message.clone())
            })
        });
        match built {
            Ok(m) if m.services.iter().any(|s| s.name == service) => {
                compiled.push(Some(m));
                status.push(None);
            }
            Ok(_) => {
                compiled.push(None);
                status.push(Some(Status::Invalid(format!("has no service `{service}`"))));
            }
            Err(e) => {
                compiled.push(None);
                status.push(Some(Status::Invalid(e)));
            }
        }
    }
    // Prune among valid designs only: an invalid one proves nothing.
    for b in 0..designs.len() {
        if compiled[b].is_none() {
            continue;
        }
        // The cheapest dominator, so the report names the best reason.
        let by = (0..designs.len())
            .filter(|a| compiled[*a].is_some() && dominates(space, &designs[*a], &designs[b]))
            .min_by(|x, y| {
                designs[*x]
                    .total
                    .total_cmp(&designs[*y].total)
                    .then(x.cmp(y))
            });
        if let Some(a) = by {
            status[b] = Some(Status::Dominated(a));
        }
    }
    let todo: Vec<usize> = (0..designs.len())
        .filter(|i| status[*i].is_none())
        .collect();
    Ok(Prepared {
        designs,
        compiled,
        status,
        todo,
        service: service.to_string(),
        target,
    })
}

/// Steps 3 and 4 of the search: the simulated designs' results from their
/// accumulators (`accs[k]` of `prepared.todo[k]`, all of `opts`), the
/// cheapest design meeting the target and the Pareto frontier.
pub fn rank(prepared: Prepared, accs: &[crate::runner::Accumulator], opts: &RunOptions) -> Search {
    let Prepared {
        designs,
        compiled,
        mut status,
        todo,
        service,
        target,
    } = prepared;
    for (i, acc) in todo.iter().zip(accs) {
        let m = compiled[*i].as_ref().expect("valid designs are compiled");
        let r = summarize(m, acc, opts.horizon);
        let s = r
            .services
            .iter()
            .find(|s| s.name == service)
            .expect("checked when compiling");
        let lower = s.availability.ci95.map(|c| c[0]);
        status[*i] = Some(Status::Simulated(Outcome {
            availability: s.availability,
            downtime_minutes_per_year: s.downtime_minutes_per_year,
            meets: lower.is_some_and(|l| l >= target),
            meets_mean: s.availability.mean >= target,
        }));
    }
    let status: Vec<Status> = status
        .into_iter()
        .map(|s| s.expect("every design was classified"))
        .collect();
    let mut sim: Vec<usize> = todo.clone();
    sim.sort_by(|a, b| {
        let (oa, ob) = (out(&status, *a), out(&status, *b));
        designs[*a]
            .total
            .total_cmp(&designs[*b].total)
            .then(
                oa.downtime_minutes_per_year
                    .mean
                    .total_cmp(&ob.downtime_minutes_per_year.mean),
            )
            .then(a.cmp(b))
    });
    let mut pareto = Vec::new();
    let mut best = f64::INFINITY;
    for i in &sim {
        let d = out(&status, *i).downtime_minutes_per_year.mean;
        if d < best {
            best = d;
            pareto.push(*i);
        }
    }
    let cheapest = sim.iter().copied().find(|i| out(&status, *i).meets);
    Search {
        designs,
        status,
        service,
        target,
        replications: opts.replications,
        cheapest,
        pareto,
    }
}

fn out(status: &[Status], i: usize) -> &Outcome {
    match &status[i] {
        Status::Simulated(o) => o,
        _ => unreachable!("only simulated designs are ranked"),
    }
}
