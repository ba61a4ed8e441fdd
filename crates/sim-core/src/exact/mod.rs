//! Exact steady-state availability, without simulation.
//!
//! The simulation estimates availability with confidence intervals; this
//! module computes the long-run structural availability in closed form,
//! for a cross-check and for quick answers on large designs:
//!
//! - Every failure mode of every element is an alternating renewal
//!   process: up for a time to failure, down for a repair, over and over.
//!   Its long-run availability is MTTF / (MTTF + MTTR), from the *means*
//!   alone, whatever the distributions, as long as the repair does not wait
//!   for anything (Barlow & Proschan, "Statistical Theory of Reliability
//!   and Life Testing", 1975, ch. 7; Birolini, "Reliability Engineering",
//!   section 6.2), and it completes 1 / (MTTF + MTTR) failures per unit
//!   time. The simulation runs each mode of an element as its own process
//!   (`sim.rs`: a mode's next failure is drawn when its repair ends, and
//!   other modes keep running meanwhile), so modes are independent and an
//!   element is up while all of its modes are up and its `requires` holds.
//!   A maintenance window is down for its duty cycle, mean duration / mean
//!   interval; its phase is random per replication (or the `offset`), so
//!   windows of different elements are independent unless an `offset`
//!   schedules them, which the result then notes.
//! - Modes that share a repair crew smaller than their number are solved
//!   together as a Markov chain of the crew's queue (`markov`), exact for
//!   exponential times and the usual exponential approximation otherwise.
//! - Every cluster output follows its kind's steady-state rule
//!   ([`ClusterKind::structure`]: quorum is a majority, failover any
//!   member...), which leaves out the downtime of failover transients
//!   (elections, health checks, takeovers); the result lists the clusters
//!   whose transients are left out.
//! - A service's structure function is built as a reduced ordered BDD
//!   (`bdd`), so shared parts (a power feed under many hosts) are counted
//!   exactly without enumerating states; its probability, the Birnbaum
//!   importance of every part, the minimal cut sets and the outage
//!   frequency follow from it.
//!
//! The figures are long-run (stationary) values. The simulation starts
//! every part new at time 0, which for exponential times changes nothing
//! measurable, but over a horizon that is short against a non-exponential
//! time to failure (a wear-out Weibull of scale 10 y over a 10 y horizon)
//! its average differs from the long-run value, by design of both.
//!
//! What cannot be solved exactly (a kind without a rule, a cluster that
//! reads network partitions, a crew whose queue is too large) is reported
//! with the part and the reason; nothing panics.
//!
//! [`ClusterKind::structure`]: crate::cluster::ClusterKind::structure

pub mod bdd;
pub mod cost;
pub mod first;
pub mod markov;
pub mod simulated;

use crate::cluster::Structure;
use crate::dist::Dist;
use crate::model::compile::{CExpr, Model, NodeKind};
use crate::time::NANOS_PER_YEAR;
use bdd::{Bdd, NodeId, TooLarge, FALSE, TRUE};
use std::collections::BTreeSet;
use std::fmt;

/// How much of the detail to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Minimal cut sets are listed up to this many parts each.
    pub max_cut_order: usize,
    /// How many cut sets and importance rows to keep per service.
    pub max_rows: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_cut_order: 3,
            max_rows: 10,
        }
    }
}

/// A joint configuration of crews' modes is enumerated per service; past
/// this many the service is reported as not solved.
pub const MAX_CONFIGURATIONS: usize = 1 << 16;

/// One failure mode (or maintenance window) of one element: a variable of
/// the structure functions.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// `element mode`, the label downtime causes use.
    pub label: String,
    pub element: usize,
    pub planned: bool,
    /// Long-run probability that this mode is not down.
    pub availability: f64,
    /// 1 - availability, computed from the means so small values keep
    /// their digits.
    pub unavailability: f64,
    /// Failures (or windows) per year.
    pub per_year: f64,
    /// The crew solved with it, if its repairs can queue.
    pub crew: Option<usize>,
}

/// How a crew's modes were treated.
#[derive(Debug, Clone, PartialEq)]
pub enum CrewMethod {
    /// The crew is at least as large as the number of modes it serves: no
    /// repair ever waits, so they are independent.
    NeverWaits,
    /// The Markov chain of its queue, with this many states; `exact` when
    /// every time is exponential.
    Chain { states: usize, exact: bool },
    /// Not solved, with the reason.
    NotSolved(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CrewReport {
    pub name: String,
    pub size: u32,
    /// The labels of the modes it repairs.
    pub modes: Vec<String>,
    pub method: CrewMethod,
}

/// The part of a model that could not be solved exactly, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSolved {
    /// What it is: `cluster pve (proxmox-ha), output vm-1`, `crew operator`.
    pub part: String,
    pub reason: String,
}

impl fmt::Display for NotSolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.part, self.reason)
    }
}

/// A minimal cut set: parts whose being down together takes the service down.
#[derive(Debug, Clone, PartialEq)]
pub struct CutSet {
    pub parts: Vec<String>,
    /// Long-run probability that all of them are down at once.
    pub probability: f64,
    /// That probability over the service's unavailability: its share of
    /// the downtime by the rare-event approximation (shares of cut sets
    /// that overlap add up to a little more than 1).
    pub share: f64,
}

/// Importance measures of one part for one service (Rausand & Høyland,
/// "System Reliability Theory", 2nd ed., 2004, ch. 5), with Q the
/// service's unavailability, Q(i down) and Q(i up) with part i held down or
/// up, and q_i the part's unavailability. For a mode whose repairs queue
/// behind a crew, "held up" is the condition "i is up" in the crew's chain
/// (the other modes keep their queue), not "i never fails", which would
/// also free the crew for the others: the measures are then conditional
/// ones, which for independent parts are the same thing.
#[derive(Debug, Clone, PartialEq)]
pub struct Importance {
    pub part: String,
    /// Birnbaum: Q(i down) - Q(i up), the probability that i is critical.
    pub birnbaum: f64,
    /// Criticality: Birnbaum q_i / Q, the share of the unavailability in
    /// which i is down and critical.
    pub criticality: f64,
    /// Fussell-Vesely, in the form PRA codes compute: (Q - Q(i up)) / Q,
    /// the share of the unavailability that goes away with i perfect.
    pub fussell_vesely: f64,
    /// Risk achievement worth: Q(i down) / Q.
    pub raw: f64,
    /// Risk reduction worth: Q / Q(i up) (infinite when i is the only way
    /// down; JSON shows `null`).
    pub rrw: f64,
}

/// One service's exact figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceExact {
    pub availability: f64,
    pub unavailability: f64,
    /// Seconds per year.
    pub downtime_seconds_per_year: f64,
    pub outages_per_year: f64,
    /// Unavailability over frequency; `None` when the service never fails.
    pub mean_outage_seconds: Option<f64>,
    /// The mean time to the first outage from everything up, and how it
    /// was found; `None` when the service cannot fail.
    pub first_outage: Option<first::FirstOutage>,
    /// Where the figures are an approximation rather than exact (empty:
    /// exact for the structure).
    pub approximations: Vec<String>,
    /// Clusters on the service's path whose failover transients are not
    /// included.
    pub transients_excluded: Vec<String>,
    /// The most probable minimal cut sets of order up to `cut_order`, most
    /// probable first.
    pub cut_sets: Vec<CutSet>,
    /// How many minimal cut sets of order up to `cut_order` there are.
    pub n_cut_sets: usize,
    /// The order the cut sets cover: `max_cut_order`, or less when there
    /// were too many to list (more than `bdd::MAX_CUT_SETS`).
    pub cut_order: usize,
    /// The parts with the largest criticality first.
    pub importance: Vec<Importance>,
    /// Nodes of the service's BDD.
    pub bdd_nodes: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceReport {
    pub name: String,
    pub result: Result<ServiceExact, NotSolved>,
}

/// The exact analysis of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub model: String,
    pub parts: Vec<Part>,
    pub crews: Vec<CrewReport>,
    pub services: Vec<ServiceReport>,
    pub options: Options,
}

/// A crew whose modes queue: the variables it covers and the joint law of
/// which of them are down.
struct Group {
    crew: usize,
    vars: Vec<u32>,
    down_sets: Vec<(u64, f64)>,
}

/// A crew on a service's path: its index, the variables of its modes the
/// service reads, and the law of which of them are down (bit j for the
/// j-th variable).
type Marginal = (usize, Vec<u32>, Vec<(u64, f64)>);

const SECONDS_PER_YEAR: f64 = NANOS_PER_YEAR as f64 / 1e9;

/// Analyses every service of `model`.
pub fn analyse(model: &Model, options: Options) -> Analysis {
    // Variables in the topological order of their elements: power feeds and
    // switches come before the hosts and VMs that need them, which keeps
    // the BDDs of shared infrastructure small (a shared part is tested
    // once near the root instead of once per branch).
    let mut by_node: Vec<usize> = (0..model.elements.len()).collect();
    by_node.sort_by_key(|e| model.elements[*e].node);
    let mut var_of: Vec<Vec<u32>> = model
        .elements
        .iter()
        .map(|e| vec![0; e.modes.len()])
        .collect();
    let mut parts = Vec::new();
    let mut means = Vec::new();
    for e in by_node {
        let el = &model.elements[e];
        for (m, fm) in el.modes.iter().enumerate() {
            var_of[e][m] = parts.len() as u32;
            // A latent mode found by a periodic check stays down, unseen,
            // until the next check: for failures at random times against a
            // fixed check grid that is half an interval on average, so its
            // down time is tau/2 plus the repair (the standard result for a
            // periodically tested standby, unavailability about
            // lambda * tau / 2 when lambda * tau << 1). A mode also found at
            // a failover has no such rule: `build_functions` refuses it.
            let hidden = fm
                .latent
                .as_ref()
                .and_then(|l| l.check_every)
                .map_or(0.0, |t| t as f64 / 2.0);
            let repair = if hidden > 0.0 {
                Dist::Fixed {
                    value: libm::round(fm.repair.mean() + hidden) as crate::time::Nanos,
                }
            } else {
                fm.repair.clone()
            };
            let (up, down, per_ns) = renewal(&fm.every, &repair, fm.planned);
            parts.push(Part {
                label: model.causes[fm.cause as usize].label.clone(),
                element: e,
                planned: fm.planned,
                availability: up,
                unavailability: down,
                per_year: per_ns * NANOS_PER_YEAR as f64,
                crew: None,
            });
            means.push((fm, fm.every.mean(), repair.mean()));
        }
    }

    let (crews, groups) = solve_crews(model, &var_of, &mut parts);

    let mut bdd = Bdd::new();
    let functions = build_functions(model, &var_of, &mut bdd);
    let cones = cluster_cones(model);

    let services = model
        .services
        .iter()
        .map(|s| {
            let result = functions[s.node].clone().and_then(|f| {
                service(
                    model,
                    &bdd,
                    f,
                    &parts,
                    &means,
                    &groups,
                    &crews,
                    &cones[s.node],
                    options,
                )
                .map_err(|mut e| {
                    if e.part.is_empty() {
                        e.part = format!("service {}", s.name);
                    }
                    e
                })
            });
            ServiceReport {
                name: s.name.clone(),
                result,
            }
        })
        .collect();
    Analysis {
        model: model.name.clone(),
        parts,
        crews,
        services,
        options,
    }
}

/// `x` to six significant digits (reports show three), so values equal but for rounding
/// (symmetric parts) sort as equal.
fn rounded(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = libm::pow(10.0, 5.0 - libm::floor(libm::log10(x.abs())));
    libm::round(x * scale) / scale
}

/// Long-run (availability, unavailability, cycles per ns) of one mode.
fn renewal(every: &Dist, repair: &Dist, planned: bool) -> (f64, f64, f64) {
    let (g, d) = (every.mean().max(0.0), repair.mean().max(0.0));
    if planned {
        // A window starts every `every` and lasts `duration`; the
        // simulation starts the next one no earlier than the end of the
        // last, so a cycle lasts max(gap, duration) (taken on the means).
        let cycle = g.max(d);
        if cycle <= 0.0 {
            return (1.0, 0.0, 0.0);
        }
        (1.0 - d / cycle, d / cycle, 1.0 / cycle)
    } else {
        let cycle = g + d;
        if cycle <= 0.0 {
            return (1.0, 0.0, 0.0);
        }
        (g / cycle, d / cycle, 1.0 / cycle)
    }
}

fn solve_crews(
    model: &Model,
    var_of: &[Vec<u32>],
    parts: &mut [Part],
) -> (Vec<CrewReport>, Vec<Group>) {
    let mut reports = Vec::new();
    let mut groups = Vec::new();
    for (c, crew) in model.crews.iter().enumerate() {
        let mut vars = Vec::new();
        let mut fail = Vec::new();
        let mut repair = Vec::new();
        let mut exponential = true;
        for (e, el) in model.elements.iter().enumerate() {
            for (m, fm) in el.modes.iter().enumerate() {
                if fm.planned || fm.crew != Some(c) {
                    continue;
                }
                vars.push(var_of[e][m]);
                // Rates per year keep the chain's numbers near 1.
                let y = NANOS_PER_YEAR as f64;
                fail.push(y / fm.every.mean().max(1.0));
                repair.push(y / fm.repair.mean().max(1.0));
                exponential &= matches!(fm.every, Dist::Exponential { .. })
                    && matches!(fm.repair, Dist::Exponential { .. });
            }
        }
        vars.sort_unstable();
        let modes = vars
            .iter()
            .map(|v| parts[*v as usize].label.clone())
            .collect();
        let method = if vars.len() <= crew.size as usize {
            CrewMethod::NeverWaits
        } else {
            // The chain needs the modes in one order; `vars` is sorted, so
            // its rates are gathered again in that order.
            let order: Vec<usize> = {
                let mut unsorted = Vec::new();
                for (e, el) in model.elements.iter().enumerate() {
                    for (m, fm) in el.modes.iter().enumerate() {
                        if !fm.planned && fm.crew == Some(c) {
                            unsorted.push(var_of[e][m]);
                        }
                    }
                }
                vars.iter()
                    .map(|v| unsorted.iter().position(|u| u == v).expect("same vars"))
                    .collect()
            };
            let f: Vec<f64> = order.iter().map(|i| fail[*i]).collect();
            let r: Vec<f64> = order.iter().map(|i| repair[*i]).collect();
            match markov::solve_crew(&f, &r, crew.size) {
                Ok(sol) => {
                    for v in &vars {
                        let p = &mut parts[*v as usize];
                        p.crew = Some(c);
                    }
                    // The marginal availability of each mode under the queue.
                    for (i, v) in vars.iter().enumerate() {
                        let down: f64 = sol
                            .down_sets
                            .iter()
                            .filter(|(m, _)| m & (1 << i) != 0)
                            .map(|(_, p)| p)
                            .sum();
                        let p = &mut parts[*v as usize];
                        p.unavailability = down;
                        p.availability = 1.0 - down;
                        // Failures happen at the failure rate while up.
                        p.per_year = f[i] * (1.0 - down);
                    }
                    let states = sol.n_states;
                    groups.push(Group {
                        crew: c,
                        vars: vars.clone(),
                        down_sets: sol.down_sets,
                    });
                    CrewMethod::Chain {
                        states,
                        exact: exponential,
                    }
                }
                Err(reason) => CrewMethod::NotSolved(reason),
            }
        };
        reports.push(CrewReport {
            name: crew.name.clone(),
            size: crew.size,
            modes,
            method,
        });
    }
    (reports, groups)
}

/// The BDD of every graph node, in topological order.
fn build_functions(
    model: &Model,
    var_of: &[Vec<u32>],
    bdd: &mut Bdd,
) -> Vec<Result<NodeId, NotSolved>> {
    let too_large = |what: &str| NotSolved {
        part: what.to_string(),
        reason: format!(
            "its decision diagram needs more than {} nodes",
            bdd::MAX_NODES
        ),
    };
    let mut out: Vec<Result<NodeId, NotSolved>> = Vec::with_capacity(model.nodes.len());
    for node in &model.nodes {
        let f = match &node.kind {
            NodeKind::Element { element, requires } => (|| {
                let el = &model.elements[*element];
                if el.generator.is_some() {
                    return Err(NotSolved {
                        part: node.name.clone(),
                        reason: "it has a standby generator, whose start and running failures matter only during outages of what it requires and whose time to take the load is bridged (or not) by a battery, which the exact analysis does not model".to_string(),
                    });
                }
                if el.battery.is_some() {
                    return Err(NotSolved {
                        part: node.name.clone(),
                        reason: "it has a battery, whose runtime depends on how long each outage of what it requires lasts and on the charge earlier outages left, which the exact analysis does not model".to_string(),
                    });
                }
                if let Some(fm) = el
                    .modes
                    .iter()
                    .find(|fm| fm.latent.as_ref().is_some_and(|l| l.on_failover))
                {
                    return Err(NotSolved {
                        part: node.name.clone(),
                        reason: format!(
                            "its latent failure `{}` is found at the outage that needs it, so how long it stays hidden depends on the other failures; only a failure found by `check every` has a steady-state rule",
                            fm.name
                        ),
                    });
                }
                let mut f = TRUE;
                for v in &var_of[*element] {
                    let x = bdd.var(*v).map_err(|_| too_large(&node.name))?;
                    f = bdd.and(f, x).map_err(|_| too_large(&node.name))?;
                }
                if let Some(r) = requires {
                    let g = expr(bdd, r, &out)?;
                    f = bdd.and(f, g).map_err(|_| too_large(&node.name))?;
                }
                Ok(f)
            })(),
            // The cluster's own node holds no value; its outputs do.
            NodeKind::Cluster { .. } => Ok(TRUE),
            NodeKind::Output { cluster, index } => {
                let cl = &model.clusters[*cluster];
                let part = format!(
                    "cluster {} ({}), output {}",
                    cl.name,
                    cl.kind.kind(),
                    cl.kind
                        .output_names()
                        .get(*index)
                        .cloned()
                        .unwrap_or_default()
                );
                if cl.net.is_some() {
                    Err(NotSolved {
                        part,
                        reason: "it reads the partitions of a network, which the exact \
                                 analysis does not model"
                            .to_string(),
                    })
                } else {
                    match cl.kind.structure(*index) {
                        Err(reason) => Err(NotSolved { part, reason }),
                        Ok(s) => {
                            structure(bdd, &s, &cl.inputs, cl.n_members, &out).map_err(
                                |e| match e {
                                    Some(e) => e,
                                    None => NotSolved {
                                        part,
                                        reason: "its rule names an input the cluster does not have"
                                            .to_string(),
                                    },
                                },
                            )
                        }
                    }
                }
            }
            NodeKind::Service { requires, .. } => expr(bdd, requires, &out),
        };
        out.push(f);
    }
    out
}

fn expr(bdd: &mut Bdd, e: &CExpr, done: &[Result<NodeId, NotSolved>]) -> Result<NodeId, NotSolved> {
    let big = |_: TooLarge| NotSolved {
        part: String::new(),
        reason: format!(
            "its decision diagram needs more than {} nodes",
            bdd::MAX_NODES
        ),
    };
    match e {
        CExpr::Ref(n) => done[*n].clone(),
        CExpr::All(v) => {
            let mut f = TRUE;
            for x in v {
                let g = expr(bdd, x, done)?;
                f = bdd.and(f, g).map_err(big)?;
            }
            Ok(f)
        }
        CExpr::Any(v) => {
            let mut f = FALSE;
            for x in v {
                let g = expr(bdd, x, done)?;
                f = bdd.or(f, g).map_err(big)?;
            }
            Ok(f)
        }
        CExpr::AtLeast(k, v) => {
            let terms = v
                .iter()
                .map(|x| expr(bdd, x, done).map(|f| (1, f)))
                .collect::<Result<Vec<_>, _>>()?;
            bdd.threshold(*k, &terms).map_err(big)
        }
    }
}

/// A kind's rule over its inputs; `Err(None)` for an input out of range.
fn structure(
    bdd: &mut Bdd,
    s: &Structure,
    inputs: &[usize],
    n_members: usize,
    done: &[Result<NodeId, NotSolved>],
) -> Result<NodeId, Option<NotSolved>> {
    let big = |_: TooLarge| {
        Some(NotSolved {
            part: String::new(),
            reason: format!(
                "its decision diagram needs more than {} nodes",
                bdd::MAX_NODES
            ),
        })
    };
    match s {
        Structure::Const(b) => Ok(if *b { TRUE } else { FALSE }),
        Structure::Input(i) => match inputs.get(*i) {
            Some(n) => done[*n].clone().map_err(Some),
            None => Err(None),
        },
        Structure::MembersUp(k) => {
            let terms = (0..n_members)
                .map(|i| {
                    structure(bdd, &Structure::Input(i), inputs, n_members, done).map(|f| (1, f))
                })
                .collect::<Result<Vec<_>, _>>()?;
            bdd.threshold(*k, &terms).map_err(big)
        }
        Structure::AllMembers => structure(
            bdd,
            &Structure::MembersUp(n_members as u32),
            inputs,
            n_members,
            done,
        ),
        Structure::All(v) => {
            let mut f = TRUE;
            for x in v {
                let g = structure(bdd, x, inputs, n_members, done)?;
                f = bdd.and(f, g).map_err(big)?;
            }
            Ok(f)
        }
        Structure::Any(v) => {
            let mut f = FALSE;
            for x in v {
                let g = structure(bdd, x, inputs, n_members, done)?;
                f = bdd.or(f, g).map_err(big)?;
            }
            Ok(f)
        }
        Structure::Threshold { needed, terms } => {
            let terms = terms
                .iter()
                .map(|(w, x)| structure(bdd, x, inputs, n_members, done).map(|f| (*w, f)))
                .collect::<Result<Vec<_>, _>>()?;
            bdd.threshold(*needed, &terms).map_err(big)
        }
    }
}

/// Per graph node, the clusters it reads, directly or not.
fn cluster_cones(model: &Model) -> Vec<BTreeSet<usize>> {
    fn refs(e: &CExpr, out: &mut Vec<usize>) {
        match e {
            CExpr::Ref(n) => out.push(*n),
            CExpr::All(v) | CExpr::Any(v) | CExpr::AtLeast(_, v) => {
                v.iter().for_each(|x| refs(x, out))
            }
        }
    }
    let mut cones: Vec<BTreeSet<usize>> = Vec::with_capacity(model.nodes.len());
    for node in &model.nodes {
        let mut set = BTreeSet::new();
        let mut read = Vec::new();
        match &node.kind {
            NodeKind::Element { requires, .. } => {
                if let Some(r) = requires {
                    refs(r, &mut read)
                }
            }
            NodeKind::Service { requires, .. } => refs(requires, &mut read),
            NodeKind::Cluster { .. } => {}
            NodeKind::Output { cluster, .. } => {
                set.insert(*cluster);
                read.extend(model.clusters[*cluster].inputs.iter().copied());
            }
        }
        for n in read {
            set.extend(cones[n].iter().copied());
        }
        cones.push(set);
    }
    cones
}

#[allow(clippy::too_many_arguments)]
fn service(
    model: &Model,
    bdd: &Bdd,
    f: NodeId,
    parts: &[Part],
    means: &[(&crate::model::compile::FailureMode, f64, f64)],
    groups: &[Group],
    crews: &[CrewReport],
    cone: &BTreeSet<usize>,
    options: Options,
) -> Result<ServiceExact, NotSolved> {
    let support = bdd.support(f);
    let n = parts.len();
    let mut approximations = Vec::new();

    // Crews whose queue reaches this service, and the joint law of their
    // modes that the service reads.
    let mut involved: Vec<Marginal> = Vec::new();
    for (c, report) in crews.iter().enumerate() {
        let Some(g) = groups.iter().find(|g| g.crew == c) else {
            if let CrewMethod::NotSolved(reason) = &report.method {
                let touches = support
                    .iter()
                    .any(|v| report.modes.contains(&parts[*v as usize].label));
                if touches {
                    return Err(NotSolved {
                        part: format!("crew {}", report.name),
                        reason: reason.clone(),
                    });
                }
            }
            continue;
        };
        let read: Vec<(usize, u32)> = g
            .vars
            .iter()
            .enumerate()
            .filter(|(_, v)| support.binary_search(v).is_ok())
            .map(|(i, v)| (i, *v))
            .collect();
        if read.is_empty() {
            continue;
        }
        if let CrewMethod::Chain { exact: false, .. } = report.method {
            approximations.push(format!(
                "crew {}: its repair queue is solved as a Markov chain with exponential times of the same means (some of its times are not exponential)",
                report.name
            ));
        }
        // Marginal over the modes the service reads, bit j for read[j].
        let mut marg: Vec<(u64, f64)> = Vec::new();
        for (mask, p) in &g.down_sets {
            let m = read
                .iter()
                .enumerate()
                .fold(0u64, |acc, (j, (i, _))| acc | (((mask >> i) & 1) << j));
            match marg.iter_mut().find(|(k, _)| *k == m) {
                Some((_, q)) => *q += p,
                None => marg.push((m, *p)),
            }
        }
        marg.sort_by_key(|(m, _)| *m);
        involved.push((c, read.iter().map(|(_, v)| *v).collect(), marg));
    }
    let n_configs: usize = involved.iter().map(|(_, _, m)| m.len()).product();
    if n_configs > MAX_CONFIGURATIONS {
        return Err(NotSolved {
            part: String::new(),
            reason: format!(
                "its shared crews' modes have {n_configs} joint down sets, over the {MAX_CONFIGURATIONS} the analysis enumerates"
            ),
        });
    }
    let grouped: Vec<bool> = {
        let mut g = vec![false; n];
        for (_, vars, _) in &involved {
            for v in vars {
                g[*v as usize] = true;
            }
        }
        g
    };
    for v in &support {
        let (fm, _, _) = means[*v as usize];
        if let Some(t) = fm.latent.as_ref().and_then(|l| l.check_every) {
            approximations.push(format!(
                "{}: a latent failure found by a check every {}: taken as hidden for half an interval on average, which holds while failures are much rarer than checks",
                parts[*v as usize].label,
                crate::time::Human(t)
            ));
        }
        if fm.planned && fm.offset.is_some() {
            approximations.push(format!(
                "{}: its windows start at a fixed `offset`, so they are scheduled rather than random; they are taken as independent of other windows",
                parts[*v as usize].label
            ));
        }
    }

    // Every joint configuration of the crews' modes: its probability, the
    // service's availability and unavailability given it, and gradients.
    struct Config {
        /// Per involved crew, its marginal down mask.
        masks: Vec<u64>,
        prob: f64,
        avail: f64,
        unavail: f64,
        grad: Vec<f64>,
    }
    let base_up: Vec<f64> = parts.iter().map(|p| p.availability).collect();
    let base_down: Vec<f64> = parts.iter().map(|p| p.unavailability).collect();
    let mut configs: Vec<Config> = Vec::with_capacity(n_configs);
    let mut idx = vec![0usize; involved.len()];
    loop {
        let mut up = base_up.clone();
        let mut down = base_down.clone();
        let mut prob = 1.0;
        let mut masks = Vec::with_capacity(involved.len());
        for (g, (_, vars, marg)) in involved.iter().enumerate() {
            let (mask, p) = marg[idx[g]];
            prob *= p;
            masks.push(mask);
            for (j, v) in vars.iter().enumerate() {
                let is_down = mask >> j & 1 == 1;
                up[*v as usize] = if is_down { 0.0 } else { 1.0 };
                down[*v as usize] = if is_down { 1.0 } else { 0.0 };
            }
        }
        let (avail, grad) = bdd.probability_and_gradient(f, &up, &down, false);
        let (unavail, _) = bdd.probability_and_gradient(f, &up, &down, true);
        configs.push(Config {
            masks,
            prob,
            avail,
            unavail,
            grad,
        });
        // The next configuration, like an odometer.
        let mut g = 0;
        loop {
            if g == involved.len() {
                break;
            }
            idx[g] += 1;
            if idx[g] < involved[g].2.len() {
                break;
            }
            idx[g] = 0;
            g += 1;
        }
        if g == involved.len() {
            break;
        }
    }
    let availability: f64 = configs.iter().map(|c| c.prob * c.avail).sum();
    let unavailability: f64 = configs.iter().map(|c| c.prob * c.unavail).sum();

    // Conditional unavailabilities with each part held down or up.
    let mut q_down = vec![unavailability; n];
    let mut q_up = vec![unavailability; n];
    for v in &support {
        let v = *v as usize;
        if grouped[v] {
            let (g, j) = involved
                .iter()
                .enumerate()
                .find_map(|(g, (_, vars, _))| {
                    vars.iter().position(|x| *x as usize == v).map(|j| (g, j))
                })
                .expect("a grouped variable is in a crew");
            let (mut pd, mut qd, mut pu, mut qu) = (0.0, 0.0, 0.0, 0.0);
            for c in &configs {
                if c.masks[g] >> j & 1 == 1 {
                    pd += c.prob;
                    qd += c.prob * c.unavail;
                } else {
                    pu += c.prob;
                    qu += c.prob * c.unavail;
                }
            }
            q_down[v] = if pd > 0.0 { qd / pd } else { unavailability };
            q_up[v] = if pu > 0.0 { qu / pu } else { unavailability };
        } else {
            // Availability is linear in each independent part's
            // availability, with slope the Birnbaum importance.
            let b: f64 = configs.iter().map(|c| c.prob * c.grad[v]).sum();
            q_down[v] = unavailability + parts[v].availability * b;
            q_up[v] = (unavailability - parts[v].unavailability * b).max(0.0);
        }
    }

    // Outage frequency: a part's failure takes the service down when the
    // part is critical at that moment. For independent parts that is the
    // Birnbaum importance times the part's failure frequency (the others
    // are in steady state when it fails); for a crew's modes it is the
    // chain's flow from each down set to the next times the drop in the
    // service's availability it causes.
    let mut per_year = 0.0;
    for c in &configs {
        for v in &support {
            let v = *v as usize;
            if !grouped[v] {
                per_year += c.prob * c.grad[v] * parts[v].per_year;
            }
        }
    }
    for (g, (_, vars, _)) in involved.iter().enumerate() {
        for (j, v) in vars.iter().enumerate() {
            let (_, every, _) = means[*v as usize];
            let rate = NANOS_PER_YEAR as f64 / every.max(1.0);
            for c in &configs {
                if c.masks[g] >> j & 1 == 1 {
                    continue;
                }
                let target: Vec<u64> = c
                    .masks
                    .iter()
                    .enumerate()
                    .map(|(h, m)| if h == g { m | 1 << j } else { *m })
                    .collect();
                let Some(after) = configs.iter().find(|d| d.masks == target) else {
                    continue;
                };
                // The flow out of this joint configuration by mode j's
                // failure is its probability times j's failure rate (the
                // other crews do not move in that instant).
                per_year += c.prob * rate * (c.avail - after.avail).max(0.0);
            }
        }
    }

    // Minimal cut sets, by the probability that all their parts are down.
    // Lower the order until the lists fit (a 35-of-40 has millions of cut
    // sets of order 6); the result says which order it covers.
    let mut cut_order = options.max_cut_order;
    let cuts = loop {
        match bdd.minimal_cut_sets(f, cut_order) {
            Some(c) => break c,
            None if cut_order > 1 => cut_order -= 1,
            None => break Vec::new(),
        }
    };
    let n_cut_sets = cuts.len();
    let mut cut_sets: Vec<(&Vec<u32>, CutSet)> = cuts
        .iter()
        .map(|cut| {
            let mut p = 1.0;
            for v in cut {
                if !grouped[*v as usize] {
                    p *= parts[*v as usize].unavailability;
                }
            }
            for (_, vars, marg) in &involved {
                let need = vars
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| cut.contains(v))
                    .fold(0u64, |m, (j, _)| m | 1 << j);
                if need != 0 {
                    p *= marg
                        .iter()
                        .filter(|(m, _)| m & need == need)
                        .map(|x| x.1)
                        .sum::<f64>();
                }
            }
            let c = CutSet {
                parts: cut
                    .iter()
                    .map(|v| parts[*v as usize].label.clone())
                    .collect(),
                probability: p,
                share: if unavailability > 0.0 {
                    p / unavailability
                } else {
                    0.0
                },
            };
            (cut, c)
        })
        .collect();
    // Most probable first; equal ones (to rounding) in model order, so
    // symmetric parts list the same way whatever the last bits say.
    cut_sets.sort_by(|(ca, a), (cb, b)| {
        rounded(b.probability)
            .total_cmp(&rounded(a.probability))
            .then(ca.cmp(cb))
    });
    let mut cut_sets: Vec<CutSet> = cut_sets.into_iter().map(|(_, c)| c).collect();
    cut_sets.truncate(options.max_rows);

    let mut importance: Vec<(usize, Importance)> = if unavailability > 0.0 {
        support
            .iter()
            .map(|v| {
                let v = *v as usize;
                (v, {
                    let birnbaum = q_down[v] - q_up[v];
                    Importance {
                        part: parts[v].label.clone(),
                        birnbaum,
                        criticality: birnbaum * parts[v].unavailability / unavailability,
                        fussell_vesely: (unavailability - q_up[v]) / unavailability,
                        raw: q_down[v] / unavailability,
                        rrw: if q_up[v] > 0.0 {
                            unavailability / q_up[v]
                        } else {
                            f64::INFINITY
                        },
                    }
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    importance.sort_by(|(va, a), (vb, b)| {
        rounded(b.criticality)
            .total_cmp(&rounded(a.criticality))
            .then(va.cmp(vb))
    });
    let mut importance: Vec<Importance> = importance.into_iter().map(|(_, i)| i).collect();
    importance.truncate(options.max_rows);

    for c in cone {
        if let Some(note) = model.clusters[*c].kind.structure_caveat() {
            approximations.push(format!("cluster {}: {note}", model.clusters[*c].name));
        }
    }
    let transients_excluded = cone
        .iter()
        .filter(|c| model.clusters[**c].kind.has_transients())
        .map(|c| model.clusters[*c].name.clone())
        .collect();
    Ok(ServiceExact {
        availability,
        unavailability,
        downtime_seconds_per_year: unavailability * SECONDS_PER_YEAR,
        outages_per_year: per_year,
        mean_outage_seconds: (per_year > 0.0).then(|| unavailability / per_year * SECONDS_PER_YEAR),
        first_outage: first::first_outage(
            model,
            bdd,
            f,
            &support,
            parts,
            &means.iter().map(|m| m.0).collect::<Vec<_>>(),
            availability,
            per_year,
        ),
        approximations,
        transients_excluded,
        cut_sets,
        n_cut_sets,
        cut_order,
        importance,
        bdd_nodes: bdd.size(f),
    })
}
