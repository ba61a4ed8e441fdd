//! One replication: the model's elements failing and being repaired, the
//! effects propagating up the layers, clusters playing out their transients,
//! and services' outages being measured and attributed.
//!
//! Propagation works on the compiled graph, whose nodes are numbered in
//! topological order. A change marks the changed node's dependents dirty and
//! one forward sweep re-evaluates exactly the dirty nodes; a node never has to
//! be visited twice because everything it reads comes before it.

use crate::cluster::{ClusterCx, ClusterState, Degraded, GrayTally, TimerTag};
use crate::engine::{Engine, EventId};
use crate::model::compile::{Model, NodeKind};
use crate::model::expr::Counters;
use crate::rng::SimRng;
use crate::time::Nanos;
use std::collections::VecDeque;

pub use crate::event::{Cause, Ev, Trace, TraceEntry, TraceEvent};

/// The cause index space of a model.
#[derive(Debug, Clone, Copy)]
pub struct Causes {
    pub modes: u32,
    pub elements: u32,
}

impl Causes {
    pub fn of(model: &Model) -> Causes {
        Causes {
            modes: model.causes.len() as u32,
            elements: model.elements.len() as u32,
        }
    }
    pub fn injected(&self, element: usize) -> Cause {
        self.modes + element as u32
    }
    pub fn other(&self) -> Cause {
        self.modes + self.elements
    }
    pub fn count(&self) -> usize {
        (self.modes + self.elements + 1) as usize
    }
    pub fn label(&self, model: &Model, c: Cause) -> String {
        if c < self.modes {
            model.causes[c as usize].label.clone()
        } else if c < self.other() {
            format!(
                "{} injected failure",
                model.elements[(c - self.modes) as usize].name
            )
        } else {
            "initial state".to_string()
        }
    }
}

/// A fault injected at a given time, for scenarios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    pub element: usize,
    pub at: Nanos,
    /// True to fail the element, false to repair it.
    pub down: bool,
}

/// The default event budget of one replication. Real models cost hundreds
/// to thousands of events per simulated year (fault-driven, DESIGN.md
/// principle 1), so 10^8 is over ten thousand times what a ten-year
/// replication of any bundled model needs, yet stops a runaway model (an
/// element failing every nanosecond, a protocol whose timers re-arm each
/// other forever) within a few seconds.
pub const DEFAULT_MAX_EVENTS: u64 = 100_000_000;

/// Events tallied by source after the budget runs out, to say which
/// elements or clusters were scheduling them.
const TALLY_EVENTS: u64 = 100_000;

/// A replication stopped because it used up its event budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overrun {
    /// The replication's index in the run.
    pub replication: u64,
    /// The simulated time it had reached.
    pub at: Nanos,
    /// The budget it exceeded.
    pub budget: u64,
    /// The sources of the events after the budget ran out (an element's
    /// failure mode or a cluster's timers), most events first, with their
    /// counts out of the tally.
    pub sources: Vec<(String, u64)>,
}

impl std::fmt::Display for Overrun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "replication {} used up its budget of {} events at simulated time {}",
            self.replication,
            self.budget,
            crate::time::Human(self.at)
        )?;
        let total: u64 = self.sources.iter().map(|(_, n)| n).sum();
        if total > 0 {
            let top: Vec<String> = self
                .sources
                .iter()
                .take(3)
                .map(|(name, n)| format!("{name} ({:.0}%)", 100.0 * *n as f64 / total as f64))
                .collect();
            write!(f, "; most events came from {}", top.join(", "))?;
        }
        write!(
            f,
            ". A real design needs thousands of events per simulated year: check those failure \
             rates and timers, or raise the budget with --max-events if the model is right"
        )
    }
}

/// What one replication measured, per service and per cluster output.
#[derive(Debug, Clone, Default)]
pub struct RepOutcome {
    pub services: Vec<ServiceRep>,
    /// Down time of every cluster output, flattened in cluster order.
    pub outputs_down: Vec<Nanos>,
    pub events: u64,
    /// The up/down state of every graph node at the horizon.
    pub final_up: Vec<bool>,
    /// Set when the replication stopped early on its event budget; its
    /// measurements then cover only the time before it stopped and must
    /// not be used.
    pub overrun: Option<Box<Overrun>>,
    /// Per cluster, what gray failures did to it.
    pub gray: Vec<GrayTally>,
}

impl RepOutcome {
    /// The services of `model` that are down at the horizon, by index.
    pub fn services_down(&self, model: &Model) -> Vec<usize> {
        model
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| !self.final_up[s.node])
            .map(|(i, _)| i)
            .collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ServiceRep {
    pub downtime: Nanos,
    pub outages: u64,
    /// Durations of the outages that ended before the horizon, of those a
    /// real failure started: an outage a degradation started (a false
    /// failover) is counted in the clusters' gray-failure figures instead,
    /// so the recovery time stays the answer to "how long after a failure".
    pub recoveries: Vec<Nanos>,
    pub data_loss: u64,
    /// When the first outage began, if one did (time to first failure).
    pub first_outage: Option<Nanos>,
    /// Downtime by initiating cause (sparse).
    pub causes: Vec<(Cause, Nanos)>,
    /// Request-weighted downtime while the service was up: the integral of
    /// the share of its requests that failed (a load balancer still sending
    /// some to a dead server), rounded to the nearest nanosecond.
    pub error_weighted: Nanos,
}

/// Options for one replication.
#[derive(Debug, Clone)]
pub struct RepOptions {
    pub horizon: Nanos,
    /// Random failures and maintenance on (Monte Carlo) or off (scenarios).
    pub random_faults: bool,
    pub injections: Vec<Injection>,
    pub trace: bool,
}

/// A UPS battery during a replication (see
/// [`crate::model::compile::Battery`]).
struct BatteryRun {
    /// Whether the element's `requires` held at the last evaluation.
    mains: bool,
    /// The charge (0 to 1) at `since`, when `mains` last changed or the
    /// battery last ran low.
    charge: f64,
    since: Nanos,
    /// The runtime of a full battery when the discharge began (it fades
    /// with the battery's age).
    capacity: Nanos,
    /// The pending end of the runtime, while on battery.
    low: Option<EventId>,
    /// On battery and out of runtime: the loads are off until the mains
    /// return.
    depleted: bool,
    /// What the loads' outage is charged to when the runtime ends, and
    /// whether it is a planned (graceful) stop.
    cause: Cause,
    planned: bool,
    /// Latent battery failures in progress: the runtime is zero.
    dead: u32,
    /// A dead battery's drop is already scheduled for this outage.
    dropping: bool,
    /// Battery age at time 0 (a uniform phase of `replace_every`).
    age_phase: Nanos,
}

impl BatteryRun {
    fn charge_at(&self, now: Nanos, spec: &crate::model::compile::Battery) -> f64 {
        let dt = (now - self.since) as f64;
        if self.mains {
            if spec.recharge == 0 {
                1.0
            } else {
                (self.charge + dt / spec.recharge as f64).min(1.0)
            }
        } else if self.depleted || self.capacity == 0 {
            self.charge
        } else {
            (self.charge - dt / self.capacity as f64).max(0.0)
        }
    }
}

/// A standby generator during a replication (see
/// [`crate::model::compile::Generator`]).
#[derive(Default)]
struct GeneratorRun {
    /// Whether the element's `requires` held at the last evaluation.
    mains: bool,
    /// Carrying the load now.
    running: bool,
    /// The pending start or stop.
    pending: Option<EventId>,
    /// What the outage is charged to once the generator failed it (a
    /// start or running failure), for the rest of that outage.
    blame: Option<Cause>,
    /// What the pending stop is charged to (a running failure, or the
    /// outage itself when the fuel runs out).
    stop_cause: Cause,
    /// What took the mains away.
    outage_cause: Cause,
}

struct CrewState {
    busy: u32,
    queue: VecDeque<(u32, u32)>,
}

/// A cluster during a replication: the protocol model's state and the
/// values the simulation exchanges with it.
struct ClusterRun {
    state: Box<dyn ClusterState>,
    out: Vec<bool>,
    /// Data-loss counts (see [`ClusterCx::data_loss_in`]).
    data_loss: Vec<u32>,
    /// Failing share in parts of `SHARE_ONE`.
    share: u64,
    /// The up state of the inputs and each member's network component, as
    /// of the last `on_inputs` call. Inputs only change in a sweep, and a
    /// change marks the cluster dirty so the same sweep calls `on_inputs`,
    /// which refreshes these; a timer callback reuses them instead of
    /// rebuilding them (most callbacks are timers).
    inputs: Vec<bool>,
    components: Vec<u32>,
    /// Per input, its degradation now (empty while nothing reaches the
    /// cluster), refreshed when a degradation starts or ends.
    degraded: Vec<Degraded>,
    gray: GrayTally,
}

/// How a cluster is called.
#[derive(Clone, Copy)]
enum Call {
    Inputs,
    Timer(TimerTag),
    Degradation,
}

/// The change of measure of importance sampling (see [`crate::rare`]): the
/// true exponential failure rate of every failure mode and the rate of its
/// repair, from which each cycle's biased rates are computed.
#[derive(Debug, Clone)]
pub struct Biasing {
    /// Per element, per mode: the failure rate, per nanosecond.
    pub rates: Vec<Vec<f64>>,
    /// Per element, per mode: one over the mean repair time, per nanosecond.
    pub repair_rates: Vec<Vec<f64>>,
    /// The probability, shared evenly by the modes up, of a failure within
    /// a repair window of typical length while something is failed
    /// (balanced failure biasing's `p`, Shahabuddin 1994; see `rebias`).
    pub p: f64,
    /// The sum of all the failure rates (the rate of leaving "all up").
    pub total: f64,
}

/// What a regenerative cycle measured (see [`Replication::run_cycle`]).
#[derive(Debug, Clone)]
pub struct CycleOutcome {
    /// Per service: its downtime and outages during the cycle.
    pub downtime: Vec<Nanos>,
    pub outages: Vec<u64>,
    /// From the first failure to the return to the settled all-up state.
    pub length: Nanos,
    /// The natural log of the cycle's likelihood ratio.
    pub log_lr: f64,
    /// The cycle reached its time cap before it regenerated: its
    /// measurements stop at the cap.
    pub cut: bool,
    pub events: u64,
}

/// The most probability failure forcing gives a mode's failure in a window.
const FORCE_CAP: f64 = 0.5;

/// Importance sampling's state of one failure mode during a cycle.
#[derive(Clone, Default)]
struct ModeBias {
    down: bool,
    /// The pending failure, while the mode is up.
    pending: Option<EventId>,
    /// When the pending failure was drawn.
    drawn_at: Nanos,
    /// The probability with which it was forced into the window (0: drawn
    /// from the true law), the window's length, and the true probability
    /// of a failure in it.
    forced: f64,
    window: f64,
    q: f64,
    /// When the mode's repair in progress ends, once it has started.
    repair_at: Option<Nanos>,
}

impl ModeBias {
    /// The log of true over biased probability that the draw made at
    /// `drawn_at` has not fired by `now`.
    fn survival(&self, rate: f64, now: Nanos) -> f64 {
        if self.forced == 0.0 {
            return 0.0;
        }
        let x = (now - self.drawn_at) as f64;
        if x < self.window {
            let p_true = -libm::expm1(-rate * x);
            -rate * x - libm::log1p(-self.forced * p_true / self.q)
        } else {
            -rate * self.window - libm::log1p(-self.forced)
        }
    }

    /// The log of true over biased density of the draw firing at `now`.
    fn density(&self, rate: f64, now: Nanos) -> f64 {
        if self.forced == 0.0 {
            return 0.0;
        }
        let x = (now - self.drawn_at) as f64;
        if x <= self.window {
            libm::log(self.q / self.forced)
        } else {
            -rate * self.window - libm::log1p(-self.forced)
        }
    }
}

/// Importance sampling's state during one cycle.
struct BiasRun<'m> {
    spec: &'m Biasing,
    modes: Vec<Vec<ModeBias>>,
    n_down: usize,
    n_modes: usize,
    log_lr: f64,
}

/// A replication in progress.
pub struct Replication<'m> {
    model: &'m Model,
    causes: Causes,
    engine: Engine<Ev>,
    rng: SimRng,
    up: Vec<bool>,
    /// The `requires` operators' counts of children that hold, kept in step
    /// with `up` (every write to `up` goes through [`Replication::set_up`]).
    counters: Counters,
    dirty: Vec<bool>,
    n_dirty: usize,
    lowest_dirty: usize,
    /// Active fault count per element; the element itself is healthy at 0.
    faults: Vec<u32>,
    injected: Vec<bool>,
    /// Per element, per mode: when the next maintenance window should start.
    next_window: Vec<Vec<Nanos>>,
    /// Per element, per mode: a latent failure that nobody has found yet.
    hidden: Vec<Vec<bool>>,
    /// Per element: its battery, for power elements that have one.
    batteries: Vec<Option<BatteryRun>>,
    /// Per element: its standby generator, for power elements that have one.
    generators: Vec<Option<GeneratorRun>>,
    /// Whether random faults are on: without them (a scenario, a lint's
    /// replay) a generator always starts and never fails while running.
    random_faults: bool,
    crews: Vec<CrewState>,
    /// Per cluster, its protocol state and what the simulation keeps for it
    /// (one struct, so a callback finds all of it with one index).
    clusters: Vec<ClusterRun>,
    /// Per service: its current failing share, since when, and the exact
    /// integral so far (share parts × ns).
    svc_share: Vec<(u64, Nanos, u128)>,
    svc_down_since: Vec<Option<(Nanos, Cause)>>,
    out_down_since: Vec<Vec<Option<Nanos>>>,
    out_down: Vec<Vec<Nanos>>,
    svc: Vec<ServiceRep>,
    trace: Option<Trace>,
    index: u64,
    max_events: u64,
    overrun: Option<Box<Overrun>>,
    /// Per element, per degradation: the added latency drawn for the
    /// episode in progress (0 for kinds without one), `None` between
    /// episodes.
    gray_active: Vec<Vec<Option<Nanos>>>,
    /// Set only during an importance-sampling cycle.
    bias: Option<Box<BiasRun<'m>>>,
}

impl<'m> Replication<'m> {
    pub fn new(model: &'m Model, seed: u64, index: u64) -> Self {
        let n = model.nodes.len();
        Replication {
            model,
            causes: Causes::of(model),
            engine: Engine::new(),
            rng: SimRng::for_replication(seed, index),
            up: vec![false; n],
            counters: Counters::default(),
            dirty: vec![false; n],
            n_dirty: 0,
            lowest_dirty: n,
            faults: vec![0; model.elements.len()],
            injected: vec![false; model.elements.len()],
            next_window: model
                .elements
                .iter()
                .map(|e| vec![0; e.modes.len()])
                .collect(),
            hidden: model
                .elements
                .iter()
                .map(|e| vec![false; e.modes.len()])
                .collect(),
            batteries: model
                .elements
                .iter()
                .map(|e| {
                    e.battery.as_ref().map(|_| BatteryRun {
                        mains: true,
                        charge: 1.0,
                        since: 0,
                        capacity: 0,
                        low: None,
                        depleted: false,
                        cause: 0,
                        planned: false,
                        dead: 0,
                        dropping: false,
                        age_phase: 0,
                    })
                })
                .collect(),
            generators: model
                .elements
                .iter()
                .map(|e| {
                    e.generator.as_ref().map(|_| GeneratorRun {
                        mains: true,
                        ..GeneratorRun::default()
                    })
                })
                .collect(),
            random_faults: false,
            crews: model
                .crews
                .iter()
                .map(|_| CrewState {
                    busy: 0,
                    queue: VecDeque::new(),
                })
                .collect(),
            clusters: model
                .clusters
                .iter()
                .map(|c| ClusterRun {
                    state: c.kind.new_state(),
                    out: vec![false; c.outputs.len()],
                    data_loss: vec![0; 1 + c.kind.data_sets()],
                    share: 0,
                    inputs: Vec::with_capacity(c.inputs.len()),
                    components: Vec::with_capacity(c.n_members),
                    degraded: Vec::new(),
                    gray: GrayTally::default(),
                })
                .collect(),
            svc_share: vec![(0, 0, 0); model.services.len()],
            svc_down_since: vec![None; model.services.len()],
            out_down_since: model
                .clusters
                .iter()
                .map(|c| vec![None; c.outputs.len()])
                .collect(),
            out_down: model
                .clusters
                .iter()
                .map(|c| vec![0; c.outputs.len()])
                .collect(),
            svc: vec![ServiceRep::default(); model.services.len()],
            trace: None,
            index,
            max_events: DEFAULT_MAX_EVENTS,
            overrun: None,
            gray_active: model
                .elements
                .iter()
                .map(|e| vec![None; e.degradations.len()])
                .collect(),
            bias: None,
        }
    }

    /// Sets the event budget (see [`DEFAULT_MAX_EVENTS`]): past it the
    /// replication stops and reports an [`Overrun`] instead of running on.
    pub fn with_max_events(mut self, max_events: u64) -> Self {
        self.max_events = max_events.max(1);
        self
    }

    /// Runs to the horizon and returns what was measured, with the timeline
    /// when `opts.trace` is set.
    pub fn run(mut self, opts: &RepOptions) -> (RepOutcome, Option<Trace>) {
        self.advance(opts);
        self.finish(opts.horizon)
    }

    /// Runs to the horizon like [`Replication::run`] and also returns where
    /// each cluster placed its workloads at the end (the capacity planner
    /// reads a settled scenario this way), in cluster order.
    pub fn run_placements(
        mut self,
        opts: &RepOptions,
    ) -> (RepOutcome, Vec<Option<crate::cluster::Placement>>) {
        self.advance(opts);
        let placements = self.clusters.iter().map(|c| c.state.placement()).collect();
        (self.finish(opts.horizon).0, placements)
    }

    fn advance(&mut self, opts: &RepOptions) {
        let horizon = opts.horizon;
        if opts.trace {
            self.trace = Some(Trace::default());
        }
        self.random_faults = opts.random_faults;
        self.initialise();
        if opts.random_faults {
            self.schedule_fault_processes();
        }
        for inj in &opts.injections {
            self.engine.schedule_at(
                inj.at,
                Ev::Inject {
                    element: inj.element as u32,
                    down: inj.down,
                },
            );
        }
        // The budget check costs one comparison per event; the tally of
        // sources runs only once the budget is gone.
        let budget = self.max_events;
        let mut handled = 0u64;
        while let Some((_, ev)) = self.engine.pop_until(horizon) {
            self.handle(ev);
            handled += 1;
            if handled >= budget {
                self.tally_overrun(horizon);
                return;
            }
        }
    }

    /// Runs a further [`TALLY_EVENTS`] events counting who scheduled them,
    /// and records the overrun.
    fn tally_overrun(&mut self, horizon: Nanos) {
        let mut counts: Vec<(String, u64)> = Vec::new();
        for _ in 0..TALLY_EVENTS {
            let Some((_, ev)) = self.engine.pop_until(horizon) else {
                break;
            };
            let name = match &ev {
                Ev::Fail { element, mode } | Ev::Repaired { element, mode } => {
                    let el = &self.model.elements[*element as usize];
                    format!("element `{}` ({})", el.name, el.modes[*mode as usize].name)
                }
                Ev::Timer { cluster, .. } => {
                    format!(
                        "cluster `{}`'s timers",
                        self.model.clusters[*cluster as usize].name
                    )
                }
                Ev::Degrade { element, .. } => {
                    format!(
                        "element `{}` (degradation)",
                        self.model.elements[*element as usize].name
                    )
                }
                Ev::Inject { element, .. } => {
                    format!(
                        "injections on `{}`",
                        self.model.elements[*element as usize].name
                    )
                }
                Ev::Check { element, mode } => {
                    let el = &self.model.elements[*element as usize];
                    format!(
                        "element `{}` ({} checks)",
                        el.name, el.modes[*mode as usize].name
                    )
                }
                Ev::BatteryLow { element } => {
                    format!(
                        "element `{}`'s battery",
                        self.model.elements[*element as usize].name
                    )
                }
                Ev::Generator { element, .. } => {
                    format!(
                        "element `{}`'s generator",
                        self.model.elements[*element as usize].name
                    )
                }
            };
            match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => counts.push((name, 1)),
            }
            self.handle(ev);
        }
        // Most events first; ties in first-seen order, so the text is the
        // same on every run.
        counts.sort_by_key(|c| std::cmp::Reverse(c.1));
        self.overrun = Some(Box::new(Overrun {
            replication: self.index,
            at: self.engine.now(),
            budget: self.max_events,
            sources: counts,
        }));
    }

    fn initialise(&mut self) {
        let other = self.causes.other();
        // Every node is evaluated once at time 0, in topological order.
        for i in 0..self.model.nodes.len() {
            self.dirty[i] = true;
        }
        self.n_dirty = self.model.nodes.len();
        self.lowest_dirty = 0;
        // Initial evaluation is not a transition: mark services and outputs up
        // first so only a service that starts down records an outage.
        for s in &self.model.services {
            self.up[s.node] = true;
        }
        for (c, cl) in self.model.clusters.iter().enumerate() {
            for (i, o) in cl.outputs.iter().enumerate() {
                self.up[*o] = true;
                self.clusters[c].out[i] = true;
            }
        }
        // The counts start from these states; from here on every change of
        // a node moves them.
        self.counters = Counters::new(&self.model.counters, &self.up);
        // The first evaluation brings every element up; that is not news,
        // so the timeline starts after it.
        let trace = self.trace.take();
        self.sweep(other, false);
        self.trace = trace;
    }

    fn schedule_fault_processes(&mut self) {
        for (e, el) in self.model.elements.iter().enumerate() {
            for (m, mode) in el.modes.iter().enumerate() {
                let at = if mode.planned {
                    let start = match mode.offset {
                        Some(o) => o,
                        None => {
                            let mean = mode.every.mean().max(1.0) as u64;
                            self.rng.below(mean)
                        }
                    };
                    self.next_window[e][m] = start;
                    start
                } else {
                    mode.every.sample(&mut self.rng)
                };
                self.engine.schedule_at(
                    at,
                    Ev::Fail {
                        element: e as u32,
                        mode: m as u32,
                    },
                );
            }
            // Drawn after the element's failure modes, and only for
            // elements that have degradations, so a model without any
            // draws exactly what it drew before they existed.
            for (k, d) in el.degradations.iter().enumerate() {
                let at = d.every.sample(&mut self.rng);
                self.engine.schedule_at(
                    at,
                    Ev::Degrade {
                        element: e as u32,
                        index: k as u32,
                        begins: true,
                    },
                );
            }
        }
        // Periodic checks of latent modes and battery ages draw their phases
        // after every other process, and only in models that have them, so a
        // model without them keeps its random streams (and its bits).
        for (e, el) in self.model.elements.iter().enumerate() {
            for (m, mode) in el.modes.iter().enumerate() {
                if let Some(every) = mode.latent.as_ref().and_then(|l| l.check_every) {
                    let at = self.rng.below(every);
                    self.engine.schedule_at(
                        at,
                        Ev::Check {
                            element: e as u32,
                            mode: m as u32,
                        },
                    );
                }
            }
            if let (Some(spec), Some(b)) = (&el.battery, self.batteries[e].as_mut()) {
                if let Some(every) = spec.replace_every {
                    b.age_phase = self.rng.below(every);
                }
            }
        }
    }

    /// Starts the repair of failure mode `mode` of `element`: at once, or
    /// in its crew's queue.
    fn start_repair(&mut self, element: u32, mode: u32) {
        let fm = &self.model.elements[element as usize].modes[mode as usize];
        if let Some(crew) = fm.crew {
            let size = self.model.crews[crew].size;
            let c = &mut self.crews[crew];
            if c.busy < size {
                c.busy += 1;
                let t = fm.repair.sample(&mut self.rng);
                self.schedule_repair(t, element, mode);
            } else {
                c.queue.push_back((element, mode));
            }
        } else {
            let t = fm.repair.sample(&mut self.rng);
            self.schedule_repair(t, element, mode);
        }
    }

    /// Schedules the end of a repair `t` from now; importance sampling
    /// keeps when each repair ends, which bounds its forcing windows.
    fn schedule_repair(&mut self, t: Nanos, element: u32, mode: u32) {
        self.engine.schedule_in(t, Ev::Repaired { element, mode });
        if let Some(b) = self.bias.as_deref_mut() {
            b.modes[element as usize][mode as usize].repair_at =
                Some(self.engine.now().saturating_add(t));
        }
    }

    /// A hidden latent failure is found (by its check or by the outage that
    /// needed the element): its repair starts now.
    fn detect(&mut self, e: usize, m: usize, how: &str) {
        if !std::mem::replace(&mut self.hidden[e][m], false) {
            return;
        }
        if let Some(t) = self.trace.as_mut() {
            let el = &self.model.elements[e];
            t.push_layer(
                self.engine.now(),
                "element",
                &el.name,
                TraceEvent::Note {
                    text: format!("latent {} found by {how}", el.modes[m].name),
                },
            );
        }
        self.start_repair(e as u32, m as u32);
    }

    /// Degradation `k` of element `e` starts or ends: the clusters it
    /// reaches see their inputs' new degradation and react.
    fn degrade(&mut self, e: usize, k: usize, begins: bool) {
        let d = &self.model.elements[e].degradations[k];
        let (element, index) = (e as u32, k as u32);
        if begins {
            let length = d.duration.sample(&mut self.rng);
            let amount = d.delay.as_ref().map_or(0, |x| x.sample(&mut self.rng));
            self.gray_active[e][k] = Some(amount);
            self.engine.schedule_in(
                length,
                Ev::Degrade {
                    element,
                    index,
                    begins: false,
                },
            );
        } else {
            self.gray_active[e][k] = None;
            let gap = d.every.sample(&mut self.rng);
            self.engine.schedule_in(
                gap.max(1),
                Ev::Degrade {
                    element,
                    index,
                    begins: true,
                },
            );
        }
        let cause = d.cause;
        if let Some(t) = self.trace.as_mut() {
            let amount = self.gray_active[e][k];
            let mode = match (d.kind, amount) {
                (crate::model::gray::GrayKind::Loss, _) => {
                    format!("loss degradation ({:.0}% of messages)", d.loss * 100.0)
                }
                (_, Some(a)) if a > 0 => {
                    format!("{} degradation (+{})", d.kind.name(), crate::time::Human(a))
                }
                _ => format!("{} degradation", d.kind.name()),
            };
            t.push_layer(
                self.engine.now(),
                "element",
                &self.model.elements[e].name,
                TraceEvent::Fault { mode, begins },
            );
        }
        for i in 0..self.model.gray.notify[e].len() {
            let c = self.model.gray.notify[e][i];
            self.refresh_degraded(c);
            self.call_cluster(c, cause, false, Call::Degradation);
        }
        self.sweep(cause, false);
    }

    /// What the degradations in progress do to element `e`: everything on
    /// its path added up (see [`crate::model::gray`]).
    fn element_degraded(&self, e: usize) -> Degraded {
        use crate::model::gray::GrayKind;
        let mut out = Degraded::default();
        let mut kept = 1.0;
        for s in &self.model.gray.sources[e] {
            for (d, a) in self.model.elements[*s]
                .degradations
                .iter()
                .zip(&self.gray_active[*s])
            {
                let Some(a) = a else { continue };
                match d.kind {
                    GrayKind::Delay => out.delay += a,
                    GrayKind::SlowDisk => out.disk += a,
                    GrayKind::Pause => out.paused = true,
                    GrayKind::Loss => kept *= 1.0 - d.loss,
                }
            }
        }
        out.loss = 1.0 - kept;
        out
    }

    /// Recomputes cluster `c`'s per-input degradations.
    fn refresh_degraded(&mut self, c: usize) {
        use crate::model::gray::InputGray;
        let row: Vec<Degraded> = self.model.gray.inputs[c]
            .iter()
            .map(|g| match g {
                InputGray::None => Degraded::default(),
                InputGray::Element(e) => self.element_degraded(*e),
                InputGray::Cluster(other) => {
                    let cl = &self.model.clusters[*other];
                    let mut each: Vec<Degraded> = cl.inputs[..cl.n_members]
                        .iter()
                        .map(|n| match self.model.nodes[*n].kind {
                            NodeKind::Element { element, .. } => self.element_degraded(element),
                            _ => Degraded::default(),
                        })
                        .collect();
                    let majority = each.len() / 2 + 1;
                    each.sort_by_key(|d| d.delay);
                    let delay = each.get(majority - 1).map_or(0, |d| d.delay);
                    let paused = each.iter().filter(|d| d.paused).count() >= majority;
                    each.sort_by_key(|d| d.disk);
                    let disk = each.get(majority - 1).map_or(0, |d| d.disk);
                    Degraded {
                        delay,
                        disk,
                        loss: 0.0,
                        paused,
                    }
                }
            })
            .collect();
        self.clusters[c].degraded = row;
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Fail { element, mode } => {
                let (e, m) = (element as usize, mode as usize);
                self.bias_transition(e, m, true);
                let fm = &self.model.elements[e].modes[m];
                if fm.planned {
                    let now = self.engine.now();
                    let length = fm.repair.sample(&mut self.rng);
                    let gap = fm.every.sample(&mut self.rng);
                    self.next_window[e][m] = now.saturating_add(gap.max(1));
                    self.engine
                        .schedule_in(length, Ev::Repaired { element, mode });
                } else if fm.latent.is_some() {
                    // Nothing is repaired before somebody finds it.
                    self.hidden[e][m] = true;
                } else {
                    self.start_repair(element, mode);
                }
                let cause = fm.cause;
                let planned = fm.planned;
                if fm.latent.is_some() && self.batteries[e].is_some() {
                    self.battery_fault(e, true, &fm.name);
                } else {
                    self.fault(e, true, cause, planned, &fm.name);
                }
                self.rebias();
            }
            Ev::Repaired { element, mode } => {
                let (e, m) = (element as usize, mode as usize);
                self.bias_transition(e, m, false);
                let fm = &self.model.elements[e].modes[m];
                let now = self.engine.now();
                if fm.planned {
                    let next = self.next_window[e][m].max(now);
                    self.engine.schedule_at(next, Ev::Fail { element, mode });
                } else {
                    // Under importance sampling the next failure is drawn
                    // with the biased rates, by `rebias` below.
                    if self.bias.is_none() {
                        let t = fm.every.sample(&mut self.rng);
                        self.engine.schedule_in(t, Ev::Fail { element, mode });
                    }
                    if let Some(crew) = fm.crew {
                        // The crew moves on to the next repair in line (FIFO).
                        if let Some((qe, qm)) = self.crews[crew].queue.pop_front() {
                            let qfm = &self.model.elements[qe as usize].modes[qm as usize];
                            let t = qfm.repair.sample(&mut self.rng);
                            self.schedule_repair(t, qe, qm);
                        } else {
                            self.crews[crew].busy -= 1;
                        }
                    }
                }
                let cause = fm.cause;
                let planned = fm.planned;
                if fm.latent.is_some() && self.batteries[e].is_some() {
                    self.battery_fault(e, false, &fm.name);
                } else {
                    self.fault(e, false, cause, planned, &fm.name);
                }
                self.rebias();
            }
            Ev::Check { element, mode } => {
                let (e, m) = (element as usize, mode as usize);
                let every = self.model.elements[e].modes[m]
                    .latent
                    .as_ref()
                    .and_then(|l| l.check_every)
                    .unwrap_or(Nanos::MAX);
                self.engine.schedule_in(every, Ev::Check { element, mode });
                self.detect(e, m, "its periodic check");
            }
            Ev::BatteryLow { element } => {
                let e = element as usize;
                let now = self.engine.now();
                let spec = self.model.elements[e].battery.as_ref();
                let Some((b, spec)) = self.batteries[e].as_mut().zip(spec) else {
                    return;
                };
                b.low = None;
                if b.mains || b.depleted {
                    return;
                }
                b.charge = b.charge_at(now, spec);
                b.since = now;
                b.depleted = true;
                let (cause, planned) = (b.cause, b.planned);
                if let Some(t) = self.trace.as_mut() {
                    let text = if planned {
                        "low battery: its loads shut down".to_string()
                    } else {
                        "battery exhausted".to_string()
                    };
                    t.push_layer(
                        now,
                        "element",
                        &self.model.elements[e].name,
                        TraceEvent::Note { text },
                    );
                }
                self.mark(self.model.elements[e].node);
                self.sweep(cause, planned);
            }
            Ev::Generator { element, runs } => self.generator_event(element as usize, runs),
            Ev::Inject { element, down } => {
                let e = element as usize;
                if self.injected[e] == down {
                    return; // already in that state by injection
                }
                self.injected[e] = down;
                let cause = self.causes.injected(e);
                self.fault(e, down, cause, false, "injected failure");
            }
            Ev::Timer {
                cluster,
                tag,
                cause,
                planned,
            } => {
                let c = cluster as usize;
                self.call_cluster(c, cause, planned, Call::Timer(TimerTag(tag)));
                self.sweep(cause, planned);
            }
            Ev::Degrade {
                element,
                index,
                begins,
            } => self.degrade(element as usize, index as usize, begins),
        }
    }

    /// A failure mode of element `e` starts (`down`) or ends.
    fn fault(&mut self, e: usize, down: bool, cause: Cause, planned: bool, mode: &str) {
        if down {
            self.faults[e] += 1;
        } else {
            self.faults[e] -= 1;
        }
        self.trace_fault(e, mode, down);
        self.mark(self.model.elements[e].node);
        self.sweep(cause, planned);
    }

    /// Traces a failure mode of element `e` starting or ending.
    fn trace_fault(&mut self, e: usize, mode: &str, down: bool) {
        if let Some(t) = self.trace.as_mut() {
            t.push_layer(
                self.engine.now(),
                "element",
                &self.model.elements[e].name,
                TraceEvent::Fault {
                    mode: mode.to_string(),
                    begins: down,
                },
            );
        }
    }

    /// A latent battery failure of power element `e` starts or ends: the
    /// element stays up on its mains, but its runtime is zero meanwhile.
    fn battery_fault(&mut self, e: usize, down: bool, mode: &str) {
        if let Some(b) = self.batteries[e].as_mut() {
            if down {
                b.dead += 1;
            } else {
                b.dead -= 1;
            }
        }
        self.trace_fault(e, mode, down);
        self.mark(self.model.elements[e].node);
        let other = self.causes.other();
        self.sweep(other, false);
    }

    /// The generator of power element `e` takes the load (`runs`) or
    /// stops.
    fn generator_event(&mut self, e: usize, runs: bool) {
        let Some(spec) = self.model.elements[e].generator.as_ref() else {
            return;
        };
        let Some(g) = self.generators[e].as_mut() else {
            return;
        };
        g.pending = None;
        if g.mains {
            return;
        }
        let cause;
        if runs {
            g.running = true;
            cause = g.outage_cause;
            // It runs until the mains return, its fuel runs out or it
            // fails, whichever comes first.
            let fail = if self.random_faults {
                Some(spec.run_failure_every.sample(&mut self.rng))
            } else {
                None
            };
            let stop = match (fail, spec.fuel) {
                (Some(f), Some(t)) if t <= f => Some((t, g.outage_cause)),
                (Some(f), _) => Some((f, spec.run_cause)),
                (None, Some(t)) => Some((t, g.outage_cause)),
                (None, None) => None,
            };
            if let Some((at, c)) = stop {
                g.stop_cause = c;
                g.pending = Some(self.engine.schedule_in(
                    at,
                    Ev::Generator {
                        element: e as u32,
                        runs: false,
                    },
                ));
            }
        } else {
            g.running = false;
            g.blame = Some(g.stop_cause);
            cause = g.stop_cause;
        }
        if let Some(t) = self.trace.as_mut() {
            let text = if runs {
                "generator carries the load"
            } else if cause == spec.run_cause {
                "generator failed while running"
            } else {
                "generator out of fuel"
            };
            t.push_layer(
                self.engine.now(),
                "element",
                &self.model.elements[e].name,
                TraceEvent::Note {
                    text: text.to_string(),
                },
            );
        }
        self.mark(self.model.elements[e].node);
        self.sweep(cause, false);
    }

    /// Whether power element `e`'s loads are fed, by its `requires`
    /// (`mains`) or by its generator, and what an outage of that feed is
    /// charged to. A change of the mains starts or stops the generator.
    fn generator_feed(&mut self, e: usize, mains: bool, cause: Cause) -> (bool, Cause) {
        let (Some(spec), Some(g)) = (
            self.model.elements[e].generator.as_ref(),
            self.generators[e].as_mut(),
        ) else {
            return (mains, cause);
        };
        if mains != g.mains {
            g.mains = mains;
            g.running = false;
            g.blame = None;
            if let Some(id) = g.pending.take() {
                self.engine.cancel(id);
            }
            if !mains {
                g.outage_cause = cause;
                let fails = self.random_faults
                    && spec.start_failure > 0.0
                    && self.rng.unit() < spec.start_failure;
                if fails {
                    g.blame = Some(spec.start_cause);
                } else {
                    g.pending = Some(self.engine.schedule_in(
                        spec.start_delay,
                        Ev::Generator {
                            element: e as u32,
                            runs: true,
                        },
                    ));
                }
                if fails {
                    if let Some(t) = self.trace.as_mut() {
                        t.push_layer(
                            self.engine.now(),
                            "element",
                            &self.model.elements[e].name,
                            TraceEvent::Note {
                                text: "generator failed to start".to_string(),
                            },
                        );
                    }
                }
            }
        }
        let g = self.generators[e].as_ref().expect("checked above");
        (mains || g.running, g.blame.unwrap_or(cause))
    }

    /// Evaluates power element `e`, which has a battery or a generator,
    /// `fed` saying whether its `requires` holds; `cause` is what changed.
    fn battery_up(&mut self, e: usize, fed: bool, cause: Cause) -> bool {
        let (fed, cause) = self.generator_feed(e, fed, cause);
        let el = &self.model.elements[e];
        let (Some(spec), Some(b)) = (el.battery.as_ref(), self.batteries[e].as_mut()) else {
            return self.faults[e] == 0 && fed;
        };
        let now = self.engine.now();
        if fed != b.mains {
            b.charge = b.charge_at(now, spec);
            b.since = now;
            b.mains = fed;
            if let Some(id) = b.low.take() {
                self.engine.cancel(id);
            }
            b.depleted = false;
            b.dropping = false;
            if !fed {
                // On battery: the runtime a full battery has at this age,
                // times the charge left, less the reserve the graceful
                // shutdown keeps.
                let mut capacity = spec.runtime as f64;
                if let Some(every) = spec.replace_every {
                    let age = (now % every + b.age_phase % every) % every;
                    capacity *= 1.0 - (1.0 - spec.end_of_life) * (age as f64 / every as f64);
                }
                b.capacity = capacity as Nanos;
                let remaining = (b.charge * capacity) as Nanos;
                let delay = remaining.saturating_sub(spec.shutdown_at.unwrap_or(0));
                b.cause = cause;
                b.planned = spec.shutdown_at.is_some();
                b.low = Some(
                    self.engine
                        .schedule_in(delay, Ev::BatteryLow { element: e as u32 }),
                );
                if let Some(t) = self.trace.as_mut() {
                    t.push_layer(
                        now,
                        "element",
                        &el.name,
                        TraceEvent::Note {
                            text: format!(
                                "on battery, {} of runtime",
                                crate::time::Human(remaining)
                            ),
                        },
                    );
                }
            }
        }
        if !fed && b.dead > 0 && !b.depleted && !b.dropping {
            // The battery is called on and cannot carry the load: the
            // outage that needs it is what finds it, and its loads drop
            // now, charged to the battery's latent failure.
            b.dropping = true;
            if let Some(id) = b.low.take() {
                self.engine.cancel(id);
            }
            let found = el
                .modes
                .iter()
                .enumerate()
                .find(|(m, _)| self.hidden[e][*m]);
            let first_dead = found.map(|(_, fm)| fm.cause).or_else(|| {
                el.modes
                    .iter()
                    .find(|fm| fm.latent.is_some())
                    .map(|fm| fm.cause)
            });
            b.cause = first_dead.unwrap_or(cause);
            b.planned = false;
            b.low = Some(
                self.engine
                    .schedule_in(0, Ev::BatteryLow { element: e as u32 }),
            );
            for m in 0..el.modes.len() {
                if el.modes[m].latent.as_ref().is_some_and(|l| l.on_failover) {
                    self.detect(e, m, "the outage that needed it");
                }
            }
        }
        let b = self.batteries[e].as_ref().expect("checked above");
        self.faults[e] == 0 && (fed || !b.depleted)
    }

    fn mark(&mut self, n: usize) {
        if !self.dirty[n] {
            self.dirty[n] = true;
            self.n_dirty += 1;
            self.lowest_dirty = self.lowest_dirty.min(n);
        }
    }

    /// Re-evaluates dirty nodes in topological order until nothing is dirty.
    fn sweep(&mut self, cause: Cause, planned: bool) {
        let mut i = self.lowest_dirty;
        while self.n_dirty > 0 {
            if !self.dirty[i] {
                i += 1;
                continue;
            }
            self.dirty[i] = false;
            self.n_dirty -= 1;
            let node = &self.model.nodes[i];
            let new = match &node.kind {
                NodeKind::Element { element, requires } => {
                    let holds = self.counters.value(&self.model.counters, i);
                    debug_assert_eq!(holds, requires.as_ref().is_none_or(|r| r.eval(&self.up)));
                    if self.batteries[*element].is_some() || self.generators[*element].is_some() {
                        self.battery_up(*element, holds, cause)
                    } else {
                        self.faults[*element] == 0 && holds
                    }
                }
                NodeKind::Service { requires, service } => {
                    let up = self.counters.value(&self.model.counters, i);
                    debug_assert_eq!(up, requires.eval(&self.up));
                    if !self.model.services[*service].share_sources.is_empty() {
                        self.settle_share(*service, up);
                    }
                    up
                }
                NodeKind::Output { cluster, index } => self.clusters[*cluster].out[*index],
                NodeKind::Cluster { cluster } => {
                    self.call_cluster(*cluster, cause, planned, Call::Inputs);
                    i += 1;
                    continue;
                }
            };
            if new != self.up[i] {
                self.set_up(i, new);
                self.transition(i, new, cause);
            }
            i += 1;
        }
        self.lowest_dirty = self.model.nodes.len();
    }

    /// Node `n` changes to `up` and its dependents hear of it: the
    /// expressions that read it count it, a node whose `requires` flips as a
    /// result is marked, and so is every dependent that reads `n` otherwise
    /// (a cluster its member). A node whose expression keeps its value (a
    /// `3 of (...)` losing its fifth of five) is not visited at all. Only
    /// called from the sweep, which visits the marked nodes (all after `n`).
    #[inline]
    fn set_up(&mut self, n: usize, up: bool) {
        self.up[n] = up;
        let plan = &self.model.counters;
        let (dirty, n_dirty) = (&mut self.dirty, &mut self.n_dirty);
        let mut mark = |d: usize| {
            if !dirty[d] {
                dirty[d] = true;
                *n_dirty += 1;
            }
        };
        self.counters.changed(plan, n, up, &mut mark);
        for &d in plan.other_dependents(n) {
            mark(d as usize);
        }
    }

    /// Runs a cluster callback and marks outputs it changed.
    fn call_cluster(&mut self, c: usize, cause: Cause, planned: bool, call: Call) {
        let cl = &self.model.clusters[c];
        let cause_gray = self
            .model
            .causes
            .get(cause as usize)
            .is_some_and(|k| k.gray);
        let run = &mut self.clusters[c];
        if matches!(call, Call::Inputs) {
            let (inputs, components) = (&mut run.inputs, &mut run.components);
            inputs.clear();
            inputs.extend(cl.inputs.iter().map(|m| self.up[*m]));
            match &cl.net {
                Some(net) => net.components(inputs, cl.n_members, components),
                None => {
                    components.clear();
                    let none = crate::model::network::NO_COMPONENT;
                    components.extend(inputs[..cl.n_members].iter().map(|up| {
                        if *up {
                            0
                        } else {
                            none
                        }
                    }));
                }
            }
        }
        debug_assert!(
            cl.inputs
                .iter()
                .map(|m| self.up[*m])
                .eq(run.inputs.iter().copied()),
            "cluster {} called with stale inputs",
            cl.name
        );
        let share_before = run.share;
        let mut cx = ClusterCx {
            now: self.engine.now(),
            cluster: c as u32,
            cause,
            cause_planned: planned,
            inputs: &run.inputs,
            n_members: cl.n_members,
            outputs: &mut run.out,
            flipped: 0,
            share: &mut run.share,
            rng: &mut self.rng,
            engine: &mut self.engine,
            data_loss: &mut run.data_loss,
            trace: self.trace.as_mut(),
            name: &cl.name,
            member_names: &cl.member_names,
            components: &run.components,
            has_network: cl.net.is_some(),
            degraded: &run.degraded,
            cause_gray,
            gray: &mut run.gray,
        };
        match call {
            Call::Timer(tag) => run.state.on_timer(&mut cx, tag),
            Call::Inputs => run.state.on_inputs(&mut cx),
            Call::Degradation => run.state.on_degradation(&mut cx),
        }
        let mut flipped = cx.flipped;
        let share_changed = run.share != share_before;
        while flipped != 0 {
            self.mark(cl.outputs[flipped.trailing_zeros() as usize]);
            flipped &= flipped - 1;
        }
        if share_changed {
            for n in &cl.share_services {
                self.mark(*n);
            }
        }
    }

    /// Brings service `s`'s failing share up to date at the current time,
    /// `up` being its new state. A request must get through every
    /// load balancer on its path and each spreads requests on its own, so
    /// the shares combine as independent failures: the service's share is
    /// 1 - Π(1 - share) over the sources whose output is up (a source that
    /// is down is either the reason the service is down or an alternative
    /// it is not using). Nothing fails partially while the service is down:
    /// that time is downtime already.
    fn settle_share(&mut self, s: usize, up: bool) {
        use crate::cluster::SHARE_ONE;
        let mut ok = u128::from(SHARE_ONE);
        if up {
            for (c, i) in &self.model.services[s].share_sources {
                let run = &self.clusters[*c];
                if run.out[*i] {
                    ok = (ok * u128::from(SHARE_ONE - run.share)) >> 32;
                }
            }
        }
        let share = SHARE_ONE - ok as u64;
        let now = self.engine.now();
        let (cur, since, acc) = &mut self.svc_share[s];
        if share != *cur {
            *acc += u128::from(*cur) * u128::from(now - *since);
            *cur = share;
            *since = now;
        }
    }

    /// Records a node's state change: outages for services, down time for
    /// cluster outputs, and the timeline.
    fn transition(&mut self, node: usize, up: bool, cause: Cause) {
        let now = self.engine.now();
        let n = &self.model.nodes[node];
        match n.kind {
            NodeKind::Service { service, .. } => {
                if up {
                    if let Some((since, c)) = self.svc_down_since[service].take() {
                        let d = now - since;
                        let gray = self.model.causes.get(c as usize).is_some_and(|k| k.gray);
                        let s = &mut self.svc[service];
                        s.downtime += d;
                        if !gray {
                            s.recoveries.push(d);
                        }
                        add_cause(&mut s.causes, c, d);
                        if let Some(t) = self.trace.as_mut() {
                            t.push_layer(
                                now,
                                "service",
                                &n.name,
                                TraceEvent::ServiceUp { after_ns: d },
                            );
                        }
                    }
                } else {
                    let cause = self.latent_cause(service).unwrap_or(cause);
                    self.svc_down_since[service] = Some((now, cause));
                    self.svc[service].outages += 1;
                    self.svc[service].first_outage.get_or_insert(now);
                    if let Some(t) = self.trace.as_mut() {
                        let label = self.causes.label(self.model, cause);
                        t.push_layer(
                            now,
                            "service",
                            &n.name,
                            TraceEvent::ServiceDown { cause: label },
                        );
                    }
                }
            }
            NodeKind::Output { cluster, index } => {
                if up {
                    if let Some(since) = self.out_down_since[cluster][index].take() {
                        self.out_down[cluster][index] += now - since;
                    }
                } else {
                    self.out_down_since[cluster][index] = Some(now);
                }
                // The first output's downtime that a degradation started is
                // the downtime gray failures cost the cluster.
                if index == 0 {
                    let g = &mut self.clusters[cluster].gray;
                    if up {
                        if let Some(since) = g.down_since.take() {
                            g.downtime += now - since;
                        }
                    } else if self
                        .model
                        .causes
                        .get(cause as usize)
                        .is_some_and(|k| k.gray)
                    {
                        g.down_since = Some(now);
                    }
                }
                if let Some(t) = self.trace.as_mut() {
                    t.push_layer(now, "cluster", &n.name, TraceEvent::State { up });
                }
            }
            NodeKind::Element { .. } => {
                if let Some(t) = self.trace.as_mut() {
                    t.push_layer(now, "element", &n.name, TraceEvent::State { up });
                }
            }
            NodeKind::Cluster { .. } => {}
        }
    }

    /// Service `s` goes down: a latent failure hidden on an element it
    /// depends on is what turned the fault into an outage (the failover
    /// needed that element), so the outage is charged to the first such
    /// mode, and the outage finds every hidden mode that a failover
    /// detects. Batteries are not in this list: their latent failures
    /// show when the battery is called on (see `battery_up`).
    fn latent_cause(&mut self, s: usize) -> Option<Cause> {
        let modes = &self.model.services[s].latent_modes;
        if modes.is_empty() {
            return None;
        }
        let mut first = None;
        for &(e, m) in modes {
            if !self.hidden[e][m] || self.batteries[e].is_some() {
                continue;
            }
            let fm = &self.model.elements[e].modes[m];
            first.get_or_insert(fm.cause);
            if fm.latent.as_ref().is_some_and(|l| l.on_failover) {
                self.detect(e, m, "the outage that needed it");
            }
        }
        first
    }

    /// Runs one regenerative cycle of importance sampling (see
    /// [`crate::rare`]): the model starts with everything up and runs, with
    /// no faults, until its clusters have settled (nothing left scheduled);
    /// a first failure is chosen, and from it the failure processes run
    /// with the biased rates of `spec` until every failure mode is repaired
    /// and the clusters have settled again, or `cap` has passed. The
    /// all-up period before the first failure is not simulated: it is
    /// exponential with rate `spec.total` from a state that does not
    /// change, and the estimator adds its mean.
    ///
    /// Fails, naming the reason, when the model never settles (a cluster
    /// keeps timers running with everything up) or a service is down with
    /// everything up: then the all-up state is no regeneration point.
    pub fn run_cycle(mut self, spec: &'m Biasing, cap: Nanos) -> Result<CycleOutcome, String> {
        // A day of simulated time is far more than any kind needs to elect
        // its leaders and place its workloads.
        const SETTLE: Nanos = 86_400 * 1_000_000_000;
        self.random_faults = true;
        self.initialise();
        let mut events = 0u64;
        while let Some((_, ev)) = self.engine.pop_until(SETTLE) {
            self.handle(ev);
            events += 1;
            if events >= self.max_events {
                return Err(format!(
                    "the model does not settle with everything up: {events} events in its \
                     first simulated day without a failure"
                ));
            }
        }
        if self.engine.pending() > 0 {
            return Err(
                "the model does not settle with everything up (a cluster keeps timers \
                 running after a day without failures, as `timers = \"continuous\"` does), \
                 so the all-up state is no regeneration point"
                    .to_string(),
            );
        }
        if let Some(s) = self.svc_down_since.iter().position(Option::is_some) {
            return Err(format!(
                "service `{}` is down with every element up, so the all-up state is no \
                 regeneration point",
                self.model.services[s].name
            ));
        }
        let start = self.engine.now();
        for s in &mut self.svc {
            *s = ServiceRep::default();
        }
        // The first failure: mode (e, m) fails first with probability
        // rate / total; it is drawn from an even mixture of that and the
        // uniform choice, so rare modes start cycles too, and the ratio of
        // the two probabilities (at most 2 for the likely modes) starts the
        // likelihood ratio.
        let modes: Vec<(usize, usize)> = spec
            .rates
            .iter()
            .enumerate()
            .flat_map(|(e, r)| (0..r.len()).map(move |m| (e, m)))
            .collect();
        let n_modes = modes.len();
        if n_modes == 0 {
            return Err("nothing in the model can fail".to_string());
        }
        let u = self.rng.unit();
        let q = |(e, m): (usize, usize)| 0.5 * spec.rates[e][m] / spec.total + 0.5 / n_modes as f64;
        let mut acc = 0.0;
        let mut first = modes[n_modes - 1];
        for &k in &modes {
            acc += q(k);
            if u < acc {
                first = k;
                break;
            }
        }
        let (fe, fm) = first;
        let mut run = BiasRun {
            spec,
            modes: spec
                .rates
                .iter()
                .map(|r| vec![ModeBias::default(); r.len()])
                .collect(),
            n_down: 0,
            n_modes,
            log_lr: libm::log(spec.rates[fe][fm] / spec.total / q(first)),
        };
        run.modes[fe][fm].pending = Some(self.engine.schedule_at(
            start,
            Ev::Fail {
                element: fe as u32,
                mode: fm as u32,
            },
        ));
        run.modes[fe][fm].drawn_at = start;
        self.bias = Some(Box::new(run));
        let end = start.saturating_add(cap);
        let mut cut = true;
        while let Some((_, ev)) = self.engine.pop_until(end) {
            self.handle(ev);
            events += 1;
            if events >= self.max_events {
                return Err(format!(
                    "a cycle used up its budget of {} events (raise it with --max-events if \
                     the model is right)",
                    self.max_events
                ));
            }
            let b = self.bias.as_deref().expect("set above");
            if b.n_down == 0 && self.engine.pending() == b.n_modes {
                cut = false;
                break;
            }
        }
        let now = if cut { end } else { self.engine.now() };
        // A cut cycle's pending draws survived to the cap.
        let log_lr = {
            let b = self.bias.as_deref().expect("set above");
            let mut l = b.log_lr;
            for (e, row) in b.modes.iter().enumerate() {
                for (m, d) in row.iter().enumerate() {
                    if !d.down {
                        l += d.survival(spec.rates[e][m], now);
                    }
                }
            }
            l
        };
        let (outcome, _) = self.finish(now);
        Ok(CycleOutcome {
            downtime: outcome.services.iter().map(|s| s.downtime).collect(),
            outages: outcome.services.iter().map(|s| s.outages).collect(),
            length: now - start,
            log_lr,
            cut,
            events: outcome.events,
        })
    }

    /// Under importance sampling, failure mode (e, m) fails (`fails`) or is
    /// repaired now. The likelihood ratio takes in, for every mode that was
    /// up, the ratio of the true to the biased probability of what its
    /// pending draw did since it was drawn: survive, or (for the failing
    /// mode) fail now.
    fn bias_transition(&mut self, e: usize, m: usize, fails: bool) {
        let now = self.engine.now();
        let Some(b) = self.bias.as_deref_mut() else {
            return;
        };
        let spec = b.spec;
        for (i, row) in b.modes.iter_mut().enumerate() {
            for (k, d) in row.iter_mut().enumerate() {
                if d.down {
                    continue;
                }
                if fails && (i, k) == (e, m) {
                    b.log_lr += d.density(spec.rates[i][k], now);
                } else {
                    b.log_lr += d.survival(spec.rates[i][k], now);
                }
                // Every draw is made again from here (see `rebias`).
                d.drawn_at = now;
                d.forced = 0.0;
            }
        }
        let d = &mut b.modes[e][m];
        if fails {
            d.pending = None;
            d.down = true;
            b.n_down += 1;
        } else {
            d.down = false;
            d.repair_at = None;
            b.n_down -= 1;
        }
    }

    /// Under importance sampling, draws every up mode's next failure again
    /// for the state just entered (the true law forgets its past, so a new
    /// draw only changes what the likelihood ratio must correct). With
    /// something failed, failure forcing over the window to the first
    /// repair end: balanced failure biasing (Shahabuddin 1994) made exact
    /// for repairs of any distribution. Each up mode fails inside the
    /// window with theta times its true probability there (theta chosen so
    /// that in a window of typical length the modes up fail with total
    /// probability p, evenly), capped at [`FORCE_CAP`] and never below the
    /// true probability, at a time from the truncated exponential, and
    /// otherwise after the window. Every factor of the ratio is then
    /// bounded: 1 / theta for a forced failure, below 1 / (1 - cap) for a
    /// survival. Scaling the rates up instead would multiply the ratio by
    /// exp(extra rate x window), whose variance is infinite for
    /// exponential or lognormal repairs. With everything up, the true law.
    fn rebias(&mut self) {
        let now = self.engine.now();
        let Some(b) = self.bias.as_deref_mut() else {
            return;
        };
        let spec = b.spec;
        let window = if b.n_down == 0 {
            None
        } else {
            b.modes
                .iter()
                .flatten()
                .filter_map(|d| d.repair_at)
                .min()
                .map(|t| t.saturating_sub(now).max(1) as f64)
        };
        let n_up = b.n_modes - b.n_down;
        // The mean time to the first repair end, were the repairs in
        // progress exponential: the scale against which a window is long.
        let mut repairs = 0.0;
        for (e, row) in b.modes.iter().enumerate() {
            for (m, d) in row.iter().enumerate() {
                if d.down {
                    repairs += spec.repair_rates[e][m];
                }
            }
        }
        let typical = 1.0 / repairs.max(f64::MIN_POSITIVE);
        for (e, rates) in spec.rates.iter().enumerate() {
            for (m, &rate) in rates.iter().enumerate() {
                let d = &mut b.modes[e][m];
                if d.down {
                    continue;
                }
                if window.is_none() && d.pending.is_some() && d.forced == 0.0 {
                    // Everything is up again, which happens only at a
                    // window's end (the last repair). A pending draw is then
                    // either from the true law or one that went past the
                    // window, whose remainder is exponential with the true
                    // rate: either way it is already a true-law draw, and
                    // `bias_transition` has taken its survival into the
                    // ratio and marked it unforced.
                    continue;
                }
                if let Some(id) = d.pending.take() {
                    self.engine.cancel(id);
                }
                let t = match window {
                    Some(w) => {
                        let q = -libm::expm1(-rate * w);
                        // Scaled with the true probability, so a forced
                        // failure's factor is the same constant 1 / theta
                        // whatever the window; capped at one half, so a
                        // survival's factor stays below 2.
                        let theta = spec.p / (n_up as f64 * rate * typical);
                        let forced = (theta * q).min(FORCE_CAP).max(q);
                        d.forced = forced;
                        d.window = w;
                        d.q = q;
                        if self.rng.unit() < forced {
                            // Inverse of the exponential's CDF truncated to the window.
                            let v = self.rng.unit();
                            (-libm::log1p(-v * q) / rate).min(w)
                        } else {
                            w + crate::dist::ziggurat::exponential(&mut self.rng) / rate
                        }
                    }
                    None => {
                        d.forced = 0.0;
                        crate::dist::ziggurat::exponential(&mut self.rng) / rate
                    }
                };
                d.drawn_at = now;
                let at = (t as Nanos).max(1);
                d.pending = Some(self.engine.schedule_in(
                    at,
                    Ev::Fail {
                        element: e as u32,
                        mode: m as u32,
                    },
                ));
            }
        }
    }

    fn finish(mut self, horizon: Nanos) -> (RepOutcome, Option<Trace>) {
        for (i, since) in self.svc_down_since.iter().enumerate() {
            if let Some((since, c)) = since {
                // Still down at the horizon: the downtime counts, but the
                // outage has no recovery time yet (it is censored).
                let d = horizon - since;
                self.svc[i].downtime += d;
                add_cause(&mut self.svc[i].causes, *c, d);
            }
        }
        for (c, outs) in self.out_down_since.iter().enumerate() {
            for (i, since) in outs.iter().enumerate() {
                if let Some(since) = since {
                    self.out_down[c][i] += horizon - since;
                }
            }
        }
        for (i, (cur, since, acc)) in self.svc_share.iter().enumerate() {
            let total = acc + u128::from(*cur) * u128::from(horizon.saturating_sub(*since));
            // Rounded to the nearest nanosecond, per replication: an integer,
            // so the sums over replications stay exact.
            self.svc[i].error_weighted = ((total + (1 << 31)) >> 32) as Nanos;
        }
        for (i, s) in self.model.services.iter().enumerate() {
            self.svc[i].data_loss = s
                .data_loss_counts
                .iter()
                .map(|(c, k)| u64::from(self.clusters[*c].data_loss[*k]))
                .sum();
        }
        for run in &mut self.clusters {
            let g = &mut run.gray;
            if let Some(since) = g.split_since.take() {
                g.split_brain += horizon - since;
            }
            if let Some(since) = g.down_since.take() {
                g.downtime += horizon - since;
            }
        }
        let outcome = RepOutcome {
            gray: self.clusters.iter().map(|c| c.gray).collect(),
            services: self.svc,
            outputs_down: self.out_down.into_iter().flatten().collect(),
            events: self.engine.processed(),
            final_up: self.up,
            overrun: self.overrun,
        };
        (outcome, self.trace)
    }
}

fn add_cause(causes: &mut Vec<(Cause, Nanos)>, c: Cause, d: Nanos) {
    match causes.iter_mut().find(|(k, _)| *k == c) {
        Some((_, t)) => *t += d,
        None => causes.push((c, d)),
    }
}
