//! The interface that cluster-software models plug into.
//!
//! A cluster (an etcd group, a VRRP pair, a Patroni cluster...) reads the
//! up/down state of its members from the layer below and drives one or more
//! named boolean outputs (`quorum`, `up`, `vip`...) that services and other
//! clusters reference as `name.output`. It sleeps while nothing changes:
//! the simulation calls [`ClusterState::on_inputs`] only when a member's state
//! changed, and [`ClusterState::on_timer`] only for timers the model itself
//! scheduled. A model plays out a transient (an election, a VIP takeover) with
//! a few timers at the level of its real configuration and then goes quiet
//! again (DESIGN.md principle 1).
//!
//! Kinds (the generic quorum and failover groups, and the protocol models:
//! etcd/Raft, VRRP, HAProxy, Patroni, Longhorn, Kubernetes, Proxmox HA)
//! live in `crate::protocols`, one file each; they implement [`ClusterKind`]
//! and describe themselves with a [`KindSpec`] in a [`Registry`]. This file
//! names no kind.

use crate::dist::Dist;
use crate::engine::{Engine, EventId};
use crate::event::{Cause, Ev, Trace};
use crate::model::diag::Diagnostic;
use crate::model::element::ElementKind;
use crate::model::fields::Fields;
use crate::rng::SimRng;
use crate::time::Nanos;
use std::fmt;
use std::sync::Arc;

/// A compiled cluster configuration: immutable, shared by all replications.
/// The planner reads what it needs through these methods ([`votes`],
/// [`placeable`], [`ClusterState::placement`]), never by naming a kind.
///
/// [`votes`]: ClusterKind::votes
/// [`placeable`]: ClusterKind::placeable
pub trait ClusterKind: fmt::Debug + Send + Sync + std::any::Any {
    /// The kind name as written in the model (`quorum`, `failover`...).
    fn kind(&self) -> &'static str;
    /// The names of the outputs. The first is the default, used when a model
    /// references the cluster by its bare name.
    fn outputs(&self) -> &'static [&'static str];
    /// Every output name, when some depend on the configuration (Proxmox HA
    /// has one output per managed VM after `quorum`). Defaults to
    /// [`ClusterKind::outputs`]. The compiler and the reports use this list;
    /// a kind that overrides it keeps it under 64 names (the simulation
    /// tracks a cluster's outputs in one 64-bit mask).
    fn output_names(&self) -> Vec<String> {
        self.outputs().iter().map(|o| o.to_string()).collect()
    }
    /// Fresh per-replication state, with every member up.
    fn new_state(&self) -> Box<dyn ClusterState>;
    /// The votes of each member, when they are not one each (a weighted
    /// quorum), for the placement search's quorum spread.
    fn votes(&self) -> Option<&[u32]> {
        None
    }
    /// The placement search's view of a kind that places workloads (VMs,
    /// pods) on its members with capacities, if it does.
    fn placeable(&self) -> Option<&dyn Placeable> {
        None
    }
    /// What the members stand for, so the compiler refuses a power feed as a
    /// Proxmox node or a whole cluster as an etcd member. Most kinds run on
    /// machines; the abstract ones (`quorum`, `failover`) take any state.
    fn members(&self) -> Members {
        Members::Machines(MACHINES)
    }
    /// Outputs whose down time is reported as "time without quorum".
    fn quorum_output(&self) -> Option<usize> {
        None
    }
    /// The output that can be up while a share of the requests sent through
    /// it still fails (HAProxy's `up` while a dead server is not yet marked
    /// DOWN). The model publishes that share with
    /// [`ClusterCx::set_failing_share`]; services that depend on the output
    /// report it as request-weighted unavailability.
    fn share_output(&self) -> Option<usize> {
        None
    }
    /// How many independent data sets the cluster holds, each with its own
    /// data-loss count (Longhorn: one per volume). 0, the default, means the
    /// cluster's data is one whole: every loss counts for every service that
    /// depends on the cluster.
    fn data_sets(&self) -> usize {
        0
    }
    /// The data set output `i` stands for, if any. A service counts the
    /// losses of a set ([`ClusterCx::data_loss_in`]) only when it reads an
    /// output of that set; reading an output without a set (`None`, the
    /// default: a cluster-wide output) counts every loss of the cluster.
    fn output_data_set(&self, _i: usize) -> Option<usize> {
        None
    }
    /// Design smells in this configuration (`hasim validate` shows them):
    /// a track weight that cannot move a VIP, timers that break a rule.
    fn lint(&self) -> Vec<Lint> {
        Vec::new()
    }
    /// The rule output `output` follows once every transient is over: a
    /// monotone boolean function of the cluster's inputs (members first,
    /// then the inputs the kind added), for the exact steady-state analysis
    /// (`crate::exact`). `Err` says, in a sentence, why the output is not a
    /// function of the current inputs alone (it depends on history, on
    /// capacities, on a network...). The default: no rule given.
    fn structure(&self, output: usize) -> Result<Structure, String> {
        let _ = output;
        Err(format!(
            "kind `{}` gives no steady-state structure rule",
            self.kind()
        ))
    }
    /// Whether the kind reacts to degradations (gray failures) through
    /// [`ClusterState::on_degradation`], so its gray-failure figures mean
    /// something and are reported. False by default.
    fn reacts_to_degradation(&self) -> bool {
        false
    }
    /// Whether the kind plays out transients with timers (elections,
    /// health checks, takeovers): their downtime is not in the exact
    /// steady-state figures, which the analysis then says. True unless a
    /// kind reacts instantly.
    fn has_transients(&self) -> bool {
        true
    }
    /// Where the [`ClusterKind::structure`] rule is an approximation of
    /// what the kind does in steady state, in a sentence the exact analysis
    /// shows with its result (`None`: the rule is what the kind enforces).
    fn structure_caveat(&self) -> Option<String> {
        None
    }
}

/// The steady-state rule of one cluster output, over the cluster's inputs
/// (see [`ClusterKind::structure`]). Monotone by construction: no negation,
/// so a member coming back can never take an output down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Structure {
    Const(bool),
    /// Input `i` (members first, in the order written).
    Input(usize),
    /// At least this many of the members up (so a kind need not keep its
    /// member count to say "any member": `MembersUp(1)`).
    MembersUp(u32),
    /// Every member up.
    AllMembers,
    All(Vec<Structure>),
    Any(Vec<Structure>),
    /// Up while the terms that hold weigh at least `needed` in total (a
    /// weighted vote; `k of n` with weights 1).
    Threshold {
        needed: u32,
        terms: Vec<(u32, Structure)>,
    },
}

impl Structure {
    /// At least `k` of the inputs `inputs` up.
    pub fn k_of(k: u32, inputs: impl IntoIterator<Item = usize>) -> Structure {
        Structure::Threshold {
            needed: k,
            terms: inputs
                .into_iter()
                .map(|i| (1, Structure::Input(i)))
                .collect(),
        }
    }
    /// A strict majority of the votes `votes[i]` of members `0..votes.len()`:
    /// floor(total/2) + 1, the Raft and corosync rule.
    pub fn majority(votes: &[u32]) -> Structure {
        let total: u32 = votes.iter().sum();
        Structure::Threshold {
            needed: total / 2 + 1,
            terms: votes
                .iter()
                .enumerate()
                .map(|(i, v)| (*v, Structure::Input(i)))
                .collect(),
        }
    }
    /// Any of the inputs up.
    pub fn any_of(inputs: impl IntoIterator<Item = usize>) -> Structure {
        Structure::Any(inputs.into_iter().map(Structure::Input).collect())
    }
}

/// A design smell found in a cluster's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lint {
    /// Its stable id, one of the kind's [`KindSpec::lints`].
    pub id: &'static str,
    pub message: String,
    /// The rule behind it, with its source.
    pub rule: String,
}

/// The per-replication state of a cluster.
pub trait ClusterState: Send {
    /// Called at time 0 and whenever one or more members changed state.
    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>);
    /// Called when a timer this model scheduled (with [`Timers::schedule`])
    /// fires; [`Timers::fired`] turns `tag` back into the kind's own payload.
    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: TimerTag);
    /// Called when a degradation (a gray failure: delay, loss, a pause, a
    /// slow disk) that reaches one of the cluster's inputs starts or ends.
    /// Nothing went down; the kind reads what changed through
    /// [`ClusterCx::degraded`] and [`ClusterCx::input_degraded`] and plays
    /// out what its real timers would do. The default ignores it: a kind
    /// that does not model its timers at that level sees only up and down.
    fn on_degradation(&mut self, cx: &mut ClusterCx<'_>) {
        let _ = cx;
    }
    /// Where the things this cluster places (HA VMs, pods) are now, for the
    /// capacity planner. Kinds that place nothing return `None`.
    fn placement(&self) -> Option<Placement> {
        None
    }
}

/// A cluster's placeable workloads and what its members offer them, as the
/// capacity planner reads it at the end of a settled scenario. CPU is in
/// millicores and memory in bytes, whatever unit the model was written in,
/// so Proxmox cores/MiB and Kubernetes requests compare on one scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// What a workload is called in reports: "HA VM", "pod".
    pub unit: &'static str,
    /// Per member: (CPU, memory) it offers; `u64::MAX` when not declared.
    pub capacity: Vec<(u64, u64)>,
    pub items: Vec<PlacedItem>,
}

/// One HA VM or pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedItem {
    pub name: String,
    /// Requested CPU (millicores) and memory (bytes).
    pub cpu: u64,
    pub memory: u64,
    /// The member it runs or starts on; `None` when it has no place.
    pub at: Option<usize>,
    /// Why it does not run, when it does not.
    pub waiting: Option<(Shortfall, String)>,
}

/// Why a workload has no place. Each reason but [`Shortfall::Pinned`] is a
/// failure the design does not carry, so it breaks N+k; they differ in what
/// would fix it, which is why the planner keeps them apart: "no room" reads
/// as "buy bigger nodes", which is the wrong advice when a placement rule or
/// a shared failure domain is the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shortfall {
    /// Capacity: a live member the placement rules allow exists, but none
    /// has the CPU or memory left that the model declares for it. Only a
    /// declared capacity (`node_cpu`, `host_cores`...) can be short. Fixed
    /// by more room: bigger members or more of them.
    Room,
    /// A placement rule leaves no live member eligible, whatever the room:
    /// a required pod anti-affinity with a replica on every live node (the
    /// scheduler keeps the pod Pending: "node(s) didn't match pod
    /// anti-affinity rules"), a restricted HA group (`restricted = true`)
    /// none of whose other members is online, or Proxmox's `max_relocate`
    /// used up on nodes `crs = "basic"` picked without looking at room
    /// while another node had it. Fixed by more members or a looser rule
    /// (preferred anti-affinity, a wider or unrestricted HA group,
    /// `crs = "static"`), not by bigger members.
    Rule,
    /// Every member it could run on is down: one failure took them all (a
    /// shared power feed or switch). Fixed by spreading the members over
    /// failure domains.
    Down,
    /// The cluster lost quorum and recovers nothing: the survivors cannot
    /// carry the load whatever their room.
    Quorum,
    /// It cannot move by design (a StatefulSet pod waits for its node), or
    /// it is still starting or about to be recovered: listed, but not
    /// counted against N+k.
    Pinned,
}

impl Shortfall {
    /// Whether a workload without a place for this reason means the design
    /// does not carry the failure (everything but `Pinned`).
    pub fn breaks_n_plus_k(self) -> bool {
        self != Shortfall::Pinned
    }

    /// The name in machine-readable output (JSON, CSV).
    pub fn key(self) -> &'static str {
        match self {
            Shortfall::Room => "room",
            Shortfall::Rule => "rule",
            Shortfall::Down => "down",
            Shortfall::Quorum => "quorum",
            Shortfall::Pinned => "pinned",
        }
    }

    /// A short phrase for reports.
    pub fn label(self) -> &'static str {
        match self {
            Shortfall::Room => "no room",
            Shortfall::Rule => "placement rule",
            Shortfall::Down => "no live member",
            Shortfall::Quorum => "no quorum",
            Shortfall::Pinned => "pinned",
        }
    }
}

/// What a cluster model sees and can do during one callback.
pub struct ClusterCx<'a> {
    pub(crate) now: Nanos,
    pub(crate) cluster: u32,
    pub(crate) cause: Cause,
    pub(crate) cause_planned: bool,
    pub(crate) inputs: &'a [bool],
    pub(crate) n_members: usize,
    pub(crate) outputs: &'a mut [bool],
    /// The outputs whose value differs from before the callback, one bit
    /// each: the simulation marks only these, instead of comparing every
    /// output after every callback.
    pub(crate) flipped: u64,
    /// The failing share of [`ClusterKind::share_output`], in parts of
    /// [`SHARE_ONE`].
    pub(crate) share: &'a mut u64,
    pub(crate) rng: &'a mut SimRng,
    pub(crate) engine: &'a mut Engine<Ev>,
    /// Data-loss counts: index 0 for the whole cluster, `1 + set` for each
    /// data set ([`ClusterKind::data_sets`]).
    pub(crate) data_loss: &'a mut [u32],
    pub(crate) trace: Option<&'a mut Trace>,
    pub(crate) name: &'a str,
    pub(crate) member_names: &'a [String],
    /// Per member, its connected component in the cluster's network, or
    /// `NO_COMPONENT` when it is down or cut off (see [`crate::model::network`]).
    pub(crate) components: &'a [u32],
    pub(crate) has_network: bool,
    /// Per input, its degradation now; empty when nothing reaches the
    /// cluster (every input is then undegraded).
    pub(crate) degraded: &'a [Degraded],
    /// Whether the change being handled was started by a degradation: what
    /// it costs (data loss, downtime) is counted apart from real failures.
    pub(crate) cause_gray: bool,
    pub(crate) gray: &'a mut GrayTally,
}

/// How degraded one input of a cluster is now (see
/// [`crate::model::gray`]): everything on its path added up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Degraded {
    /// Extra one-way latency on the member's messages.
    pub delay: Nanos,
    /// Extra latency of each synchronous disk write (fsync).
    pub disk: Nanos,
    /// The share of its messages lost, in [0, 1].
    pub loss: f64,
    /// Its processes are frozen.
    pub paused: bool,
}

impl Degraded {
    /// Whether anything is degraded at all.
    pub fn any(&self) -> bool {
        self.delay > 0 || self.disk > 0 || self.loss > 0.0 || self.paused
    }
}

/// What gray failures did to one cluster in one replication, kept apart
/// from what real failures did: the kind counts false failovers, flaps and
/// split brain through [`ClusterCx`], the simulation adds the downtime of
/// the cluster's first output and the data losses that a degradation
/// started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GrayTally {
    pub false_failovers: u64,
    pub flaps: u64,
    pub split_brain: Nanos,
    pub split_since: Option<Nanos>,
    pub downtime: Nanos,
    pub down_since: Option<Nanos>,
    pub data_loss: u64,
}

impl ClusterCx<'_> {
    /// The current simulated time.
    pub fn now(&self) -> Nanos {
        self.now
    }
    /// Whether member `i` (in the order of `members`) is up.
    pub fn member_up(&self, i: usize) -> bool {
        self.inputs[i]
    }
    pub fn n_members(&self) -> usize {
        self.n_members
    }
    /// The name of member `i`, for timeline messages.
    pub fn member_name(&self, i: usize) -> &str {
        &self.member_names[i]
    }
    /// The connected component member `i` is in: `None` when the member is
    /// down or cut off from the network. Without a `network`, every member
    /// that is up is in component 0.
    pub fn component(&self, i: usize) -> Option<u32> {
        let c = self.components[i];
        (c != crate::model::network::NO_COMPONENT).then_some(c)
    }
    /// Whether members `i` and `j` are both up and can reach each other.
    pub fn connected(&self, i: usize, j: usize) -> bool {
        self.component(i).is_some() && self.component(i) == self.component(j)
    }
    /// True when member `i` is up but on a side of a network partition that
    /// holds no strict majority of the members. Always false without a
    /// `network`. Quorum protocols treat such a member like a down one: it
    /// can neither lead nor help elect.
    pub fn partitioned_away(&self, i: usize) -> bool {
        if !self.has_network || !self.member_up(i) {
            return false;
        }
        match self.component(i) {
            None => true,
            Some(c) => {
                self.components[..self.n_members]
                    .iter()
                    .filter(|x| **x == c)
                    .count()
                    * 2
                    <= self.n_members
            }
        }
    }
    /// Whether every member that is up can reach every other (no partition).
    pub fn all_connected(&self) -> bool {
        let mut first = None;
        for i in 0..self.n_members {
            if self.member_up(i) {
                match (self.component(i), first) {
                    (None, _) => return false,
                    (Some(c), None) => first = Some(c),
                    (Some(c), Some(f)) if c != f => return false,
                    _ => {}
                }
            }
        }
        true
    }
    /// How degraded member `i` is now (delay, loss, pause, slow disk): what
    /// its messages, its processes and its disk suffer from the
    /// degradations that reach it (see [`crate::model::gray`]).
    pub fn degraded(&self, i: usize) -> Degraded {
        self.input_degraded(i)
    }
    /// How degraded input `i` is (members first, then what the kind added
    /// with [`Inputs::add`]). For an input that is another cluster's output
    /// (Patroni's `dcs`), the delay a request to that cluster sees: a
    /// majority of its members must have it, so the majority-th smallest
    /// of their delays (and it is paused while a majority is).
    pub fn input_degraded(&self, i: usize) -> Degraded {
        self.degraded.get(i).copied().unwrap_or_default()
    }
    /// Counts a failover that a gray failure caused while the old leader
    /// still ran (Patroni's leader key expiring on a slow primary).
    pub fn false_failover(&mut self) {
        self.gray.false_failovers += 1;
    }
    /// Counts a flap: a healthy member marked down or a role moved and
    /// back because of a gray failure (a VIP moving to a backup that missed
    /// adverts, a server marked DOWN after slow checks).
    pub fn flap(&mut self) {
        self.gray.flaps += 1;
    }
    /// Starts (`true`) or ends a split brain: two members acting as leader
    /// or master at once. The time in between is reported per cluster.
    pub fn split_brain(&mut self, on: bool) {
        match (on, self.gray.split_since) {
            (true, None) => self.gray.split_since = Some(self.now),
            (false, Some(t)) => {
                self.gray.split_brain += self.now - t;
                self.gray.split_since = None;
            }
            _ => {}
        }
    }
    /// Whether the change being handled was started by a degradation.
    pub fn gray_cause(&self) -> bool {
        self.cause_gray
    }
    /// Whether input `i` is up: the index [`Inputs::add`] returned.
    pub fn input(&self, i: usize) -> bool {
        self.inputs[i]
    }
    /// True when the change being handled is planned (maintenance, a
    /// graceful stop) rather than a crash: protocols hand over faster then.
    pub fn planned(&self) -> bool {
        self.cause_planned
    }
    pub fn output(&self, i: usize) -> bool {
        self.outputs[i]
    }
    /// Sets output `i`; the simulation propagates a change to everything that
    /// references it after the callback returns.
    pub fn set_output(&mut self, i: usize, up: bool) {
        if self.outputs[i] != up {
            self.outputs[i] = up;
            self.flipped ^= 1 << i;
        }
    }
    /// Sets the share of requests through [`ClusterKind::share_output`]
    /// that fail: `failing` of every `of` (0 of anything: none). Kept as an
    /// integer in parts of [`SHARE_ONE`] (rounded down), so the
    /// request-weighted downtime sums exactly.
    pub fn set_failing_share(&mut self, failing: u64, of: u64) {
        *self.share = if failing == 0 || of == 0 {
            0
        } else {
            ((u128::from(failing.min(of)) << 32) / u128::from(of)) as u64
        };
    }
    pub fn rng(&mut self) -> &mut SimRng {
        self.rng
    }
    pub fn sample(&mut self, d: &Dist) -> Nanos {
        d.sample(self.rng)
    }
    /// Schedules `on_timer(tag)` after `delay`. The timer remembers the fault
    /// that caused the current transient, so downtime it causes is attributed
    /// to that fault. Kinds schedule through [`Timers`], which keeps what each
    /// timer means.
    fn schedule(&mut self, delay: Nanos, tag: TimerTag) -> EventId {
        self.engine.schedule_in(
            delay,
            Ev::Timer {
                cluster: self.cluster,
                tag: tag.0,
                cause: self.cause,
                planned: self.cause_planned,
            },
        )
    }
    /// Cancels a scheduled event; false when it already fired.
    fn cancel(&mut self, id: EventId) -> bool {
        self.engine.cancel(id)
    }
    /// Records that committed data was lost (an asynchronous failover, all
    /// replicas gone...). Counted per year for every service that depends on
    /// this cluster.
    pub fn data_loss(&mut self) {
        self.data_loss[0] += 1;
        if self.cause_gray {
            self.gray.data_loss += 1;
        }
    }
    /// Records that data of one data set (a Longhorn volume) was lost:
    /// counted only for the services that read that set's outputs (see
    /// [`ClusterKind::output_data_set`]).
    pub fn data_loss_in(&mut self, set: usize) {
        self.data_loss[1 + set] += 1;
        if self.cause_gray {
            self.gray.data_loss += 1;
        }
    }
    /// Whether a timeline is being recorded; build trace text only then.
    pub fn tracing(&self) -> bool {
        self.trace.is_some()
    }
    /// Adds a line to the timeline (only recorded by `scenario` and `--trace`).
    pub fn trace(&mut self, what: impl FnOnce() -> String) {
        if let Some(t) = self.trace.as_deref_mut() {
            t.push(self.now, self.name, what());
        }
    }
}

/// A failing share of 1 (every request fails), in the fixed point that
/// [`ClusterCx::set_failing_share`] and the request-weighted downtime use.
pub const SHARE_ONE: u64 = 1 << 32;

/// The references a cluster reads. The compiler puts the `members` first;
/// a kind adds more while reading its parameters (VRRP's tracked processes,
/// Patroni's DCS cluster) and reads them back with [`ClusterCx::input`].
/// Names are resolved after every cluster is read, so a kind may reference
/// another cluster's state (`etcd.quorum`).
pub struct Inputs<'t> {
    pub(crate) refs: Vec<(&'t str, &'t crate::model::tree::Value)>,
    pub(crate) n_members: usize,
}

impl<'t> Inputs<'t> {
    pub fn n_members(&self) -> usize {
        self.n_members
    }
    /// Registers a reference (`name` or `cluster.state`, with the tree value
    /// it came from for error positions) and returns its input index.
    pub fn add(&mut self, name: &'t str, at: &'t crate::model::tree::Value) -> usize {
        self.refs.push((name, at));
        self.refs.len() - 1
    }
}

/// Builds a kind's compiled configuration from its table: it reads its own
/// parameters through `Fields` (which reports wrong types and, afterwards,
/// unknown keys with the keys it read) and may add inputs.
pub type BuildFn = for<'t, 'f> fn(
    &mut Fields<'t, 'f>,
    &mut Inputs<'t>,
) -> Result<Arc<dyn ClusterKind>, Diagnostic>;

/// One cluster kind as the model format knows it: its name, what it is,
/// the keys its table accepts besides [`COMMON_KEYS`], and its constructor.
/// The compiler, the JSON Schema and the unknown-key help all read this one
/// description, so a kind is added by writing its file and registering its
/// spec, without touching the core.
#[derive(Clone, Copy)]
pub struct KindSpec {
    pub name: &'static str,
    /// One sentence for the schema and the docs.
    pub summary: &'static str,
    /// The keys of the kind's table besides [`COMMON_KEYS`], with their
    /// types, defaults and sources. The compiler offers them for a mistyped
    /// key, refuses a kind that reads a key it does not declare, and the
    /// JSON Schema and `hasim schema --keys` publish them.
    pub keys: &'static [KeySpec],
    /// The lints the kind may report: stable ids with what each means.
    pub lints: &'static [LintInfo],
    pub build: BuildFn,
}

/// One key of a kind's table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeySpec {
    pub name: &'static str,
    pub ty: KeyType,
    pub default: KeyDefault,
    /// What the key means, with the source of its default (the upstream
    /// documentation, or ASSUMPTION where no source gives one).
    pub doc: &'static str,
}

impl KeySpec {
    pub const fn new(
        name: &'static str,
        ty: KeyType,
        default: KeyDefault,
        doc: &'static str,
    ) -> Self {
        KeySpec {
            name,
            ty,
            default,
            doc,
        }
    }
}

/// The names of `keys`, for [`Fields::finish`]'s hint.
pub fn key_names(keys: &[KeySpec]) -> Vec<&'static str> {
    keys.iter().map(|k| k.name).collect()
}

/// What a key's value is, as the model format writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyType {
    /// A duration string: "1s", "150ms".
    Duration,
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    /// One of these strings.
    Choice(&'static [&'static str]),
    /// Free text checked by the kind (HAProxy's `balance` with arguments).
    Text,
    /// A distribution string: "exp(1h)", "uniform(2s, 5s)".
    Dist,
    /// A quantity string or number (the text says which: bytes, CPU).
    Quantity(&'static str),
    /// A quantity, or a list of them with one per member.
    PerMemberQuantity(&'static str),
    /// An integer, or a list of integers with one per member.
    PerMemberInt {
        min: i64,
        max: i64,
    },
    /// A list of integers, one per member.
    IntList {
        min: i64,
        max: i64,
    },
    /// The name of an element, or `cluster.output`.
    Ref,
    /// A list of names (elements, members, `cluster.output`s).
    Refs,
    /// A list of tables, each with these keys.
    Tables(&'static [KeySpec]),
}

impl KeyType {
    /// The type in words, for `hasim schema --keys` and the docs.
    pub fn describe(&self) -> String {
        match self {
            KeyType::Duration => "duration".into(),
            KeyType::Int { min, max } => format!("integer {min}..={max}"),
            KeyType::Bool => "boolean".into(),
            KeyType::Choice(c) => c.join(" | "),
            KeyType::Text => "string".into(),
            KeyType::Dist => "distribution".into(),
            KeyType::Quantity(what) => what.to_string(),
            KeyType::PerMemberQuantity(what) => format!("{what}, or one per member"),
            KeyType::PerMemberInt { min, max } => {
                format!("integer {min}..={max}, or one per member")
            }
            KeyType::IntList { min, max } => format!("integers {min}..={max}, one per member"),
            KeyType::Ref => "name or cluster.output".into(),
            KeyType::Refs => "list of names".into(),
            KeyType::Tables(_) => "list of tables".into(),
        }
    }

    /// Whether a value of this type is written as a string in the model.
    pub fn quoted(&self) -> bool {
        !matches!(
            self,
            KeyType::Int { .. }
                | KeyType::Bool
                | KeyType::PerMemberInt { .. }
                | KeyType::IntList { .. }
                | KeyType::Refs
                | KeyType::Tables(_)
        )
    }
}

/// What a key is when the model does not give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyDefault {
    /// This value, as the model would write it (without quotes).
    Is(&'static str),
    /// A value that follows from other keys or from the members, said in
    /// words ("inter", "unlimited").
    Follows(&'static str),
    /// The key is required.
    Required,
}

impl KeyDefault {
    pub fn describe(&self) -> String {
        match self {
            KeyDefault::Is(v) => v.to_string(),
            KeyDefault::Follows(w) => format!("({w})"),
            KeyDefault::Required => "(required)".into(),
        }
    }
}

impl KindSpec {
    /// The names of the kind's own keys.
    pub fn key_names(&self) -> impl Iterator<Item = &'static str> {
        self.keys.iter().map(|k| k.name)
    }
}

/// A lint's stable id and what it means, for `validate --allow/--deny`,
/// the docs and the did-you-mean on a mistyped id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintInfo {
    pub id: &'static str,
    pub meaning: &'static str,
}

impl fmt::Debug for KindSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindSpec")
            .field("name", &self.name)
            .finish()
    }
}

/// The cluster kinds a model may use. `crate::protocols::builtin()` holds
/// the kinds hasim ships; a library user clones it and registers their own
/// (`examples/custom_kind.rs`), then loads models with
/// `model::load_with`.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    kinds: Vec<KindSpec>,
}

impl Registry {
    /// Adds a kind, or replaces the kind of the same name (so a user may
    /// swap a built-in model for their own).
    pub fn register(&mut self, spec: KindSpec) -> &mut Self {
        match self.kinds.iter_mut().find(|k| k.name == spec.name) {
            Some(k) => *k = spec,
            None => self.kinds.push(spec),
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&KindSpec> {
        self.kinds.iter().find(|k| k.name == name)
    }

    /// Every kind, in registration order.
    pub fn kinds(&self) -> &[KindSpec] {
        &self.kinds
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.iter().map(|k| k.name)
    }
}

/// A workload a kind places on one of its members, as the placement search
/// sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guest {
    pub name: String,
    /// The member it runs on as the model is written.
    pub home: usize,
    /// The members it may run on, preferred first (its home first).
    pub candidates: Vec<usize>,
    /// The key under the cluster's table that sets its home, for the model
    /// edit the search proposes: `vms.2.home`.
    pub home_path: String,
    pub millicores: u64,
    pub bytes: u64,
}

/// What the placement search (`plan::place`) needs from a kind that places
/// workloads on its members with capacities (Proxmox HA).
pub trait Placeable {
    /// Per member: capacity in millicores and bytes.
    fn capacity(&self) -> Vec<(u64, u64)>;
    fn guests(&self) -> Vec<Guest>;
    /// How many workloads would find no place after a single member
    /// failure, by the kind's own rules, with workload `i` homed on member
    /// `homes[i]`.
    fn n1_shortfalls(&self, homes: &[usize]) -> usize;
}

/// What a cluster's members may be (see [`ClusterKind::members`]). A
/// service is never a member: it is what the model reports on, not a part
/// that votes or serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Members {
    /// Elements of any kind and cluster states (bare or `cluster.state`).
    Any,
    /// Elements of these kinds,
    /// or a state of another cluster that stands for one machine, such as
    /// a Proxmox HA VM's `pve.vm-1`; a bare cluster name is refused.
    Machines(&'static [ElementKind]),
}

/// The element kinds that run software: what most kinds take as members.
pub const MACHINES: &[ElementKind] = &[ElementKind::Host, ElementKind::Vm, ElementKind::Component];

/// Keys every cluster has, handled by the compiler.
pub const COMMON_KEYS: &[&str] = &["kind", "members", "description", "network"];

/// What a fired timer hands its kind: an opaque slot that [`Timers::fired`]
/// turns back into the payload the kind scheduled it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerTag(pub(crate) u32);

/// A timer scheduled with [`Timers::schedule`], kept to cancel it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    event: EventId,
    slot: u32,
}

/// A kind's pending timers, each with a payload of the kind's own type `T`
/// (an enum of what its timers are for: an election timeout of node 2, a
/// message from 1 to 3 in term 7). The engine's event carries only the slot
/// the payload waits in, so no kind packs its meaning into the bits of an
/// integer and every kind reads its timers back as the type it wrote.
///
/// Slots are reused last-freed first, so the layout of a replication's
/// timers, like everything else in it, depends only on its events.
#[derive(Debug, Clone)]
pub struct Timers<T> {
    pending: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Timers {
            pending: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T: Copy> Timers<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules a timer that fires after `delay` with `what`.
    pub fn schedule(&mut self, cx: &mut ClusterCx<'_>, delay: Nanos, what: T) -> Timer {
        let slot = match self.free.pop() {
            Some(s) => {
                self.pending[s as usize] = Some(what);
                s
            }
            None => {
                self.pending.push(Some(what));
                (self.pending.len() - 1) as u32
            }
        };
        let event = cx.schedule(delay, TimerTag(slot));
        Timer { event, slot }
    }

    /// Cancels `timer`. Cancelling a timer that already fired does nothing,
    /// so a kind may keep a handle past its firing and cancel it later.
    pub fn cancel(&mut self, cx: &mut ClusterCx<'_>, timer: Timer) {
        // Only a cancelled (not yet fired) timer still owns its slot: a
        // fired one gave it back in `fired`, and it may hold another timer's
        // payload by now.
        if cx.cancel(timer.event) {
            self.pending[timer.slot as usize] = None;
            self.free.push(timer.slot);
        }
    }

    /// The payload of the timer that fired with `tag`, freeing its slot.
    pub fn fired(&mut self, tag: TimerTag) -> T {
        let what = self.pending[tag.0 as usize]
            .take()
            .expect("a timer fires once, from the Timers that scheduled it");
        self.free.push(tag.0);
        what
    }
}
