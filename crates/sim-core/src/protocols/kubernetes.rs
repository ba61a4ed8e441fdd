//! Kubernetes workloads (`kind = "deployment"`, `kind = "statefulset"`).
//!
//! The members are the nodes the workload may run on (K3s agents or
//! servers). `replicas` pods request `cpu` and `memory`; each node offers
//! `node_cpu` and `node_memory` to this workload (what is left after
//! everything else; unlimited by default). Pods start on the first nodes
//! with room, spread like the scheduler's default spreading.
//!
//! Node failure (HA-FACTS section 6):
//!
//! - pods on a dead node stop serving at once; the node controller marks
//!   it NotReady after `node-monitor-grace-period` (40 s; 50 s from v1.32,
//!   kubernetes PR #126287), checked every `node-monitor-period` (5 s), and
//!   adds the NoExecute taints; pods tolerate them for `tolerationSeconds`
//!   (300 s, taint-and-toleration docs) and are then evicted;
//! - a Deployment's evicted pods get replacements at once, placed on a live
//!   node with room; with `anti_affinity = "required"` (a
//!   `requiredDuringScheduling` pod anti-affinity on the hostname) never on
//!   a node that already runs a replica, with `"preferred"` preferably not;
//!   a replacement that fits nowhere stays Pending until a node returns or
//!   room frees; with an RWO `volume` (`rwo = true`) it waits up to 6 min
//!   (`ReconcilerMaxWaitForUnmountDuration`, attach_detach_controller.go)
//!   for the volume to detach first;
//! - a StatefulSet pod is never replaced while its node is unreachable; it
//!   restarts when the node returns (force-delete-stateful-set-pod docs); a
//!   drain deletes it properly, so then it is recreated elsewhere;
//! - nothing rebalances when a node returns (seed 001, scenario 3);
//! - a planned stop of a node (maintenance) is a `kubectl drain`: its pods
//!   are evicted at once and replaced like above.
//!
//! Each started pod is ready after `pod_start` (image, container start,
//! readiness probe). With `volume` (for example `"data.up"` of a Longhorn
//! volume) a pod is ready only while the volume is up.
//!
//! Outputs: `up` (at least `min_ready` ready, the Service answers),
//! `all_ready` (every replica ready: full capacity), `spread` (no node runs
//! two replicas: its down time is the time the workload is overloaded
//! onto fewer nodes, seed 001's "overload"), `rollout_ok` (down while a
//! rollout is stuck).
//!
//! Rollouts: when the element named by `rollout` goes down (model planned
//! updates as its `maintenance`), the workload rolls out new pods by
//! `strategy` (Deployment docs): `Recreate` stops every pod, then starts
//! new ones (an outage of about `pod_start`); `RollingUpdate` (default,
//! maxSurge 25% rounded up, maxUnavailable 25% rounded down) first places a
//! surge pod; when none fits (required anti-affinity on a full cluster)
//! and maxUnavailable is 0, the rollout stalls and `rollout_ok` stays down
//! until a node with room appears (seed 001). Otherwise it proceeds one pod
//! at a time without losing readiness (with a surge pod) or with one pod
//! fewer (maxUnavailable >= 1), keeping the placement.

use crate::cluster::{
    ClusterCx, ClusterKind, ClusterState, Inputs, PlacedItem, Placement, Shortfall, Timer,
    TimerTag, Timers,
};
use crate::cluster::{KeyDefault as D, KeySpec, KeyType as T};
use crate::dist::Dist;
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::protocols::below;
use crate::time::{Human, Nanos, NANOS_PER_SEC};

/// Keys of a Deployment or StatefulSet, with Kubernetes' defaults.
pub const KEYS: &[KeySpec] = &[
    KeySpec::new("replicas", T::Int { min: 0, max: 1000 }, D::Is("1"), "`spec.replicas` (default 1)."),
    KeySpec::new("cpu", T::Quantity("a CPU quantity such as \"500m\" or 2"), D::Is("0"), "Each pod's CPU request (none by default: a BestEffort pod)."),
    KeySpec::new("memory", T::Quantity("a byte size such as \"512Mi\""), D::Is("0"), "Each pod's memory request (none by default)."),
    KeySpec::new("node_cpu", T::PerMemberQuantity("a CPU quantity"), D::Follows("unlimited"), "Allocatable CPU of each node."),
    KeySpec::new("node_memory", T::PerMemberQuantity("a byte size"), D::Follows("unlimited"), "Allocatable memory of each node."),
    KeySpec::new("anti_affinity", T::Choice(&["none", "preferred", "required"]), D::Is("none"), "Pod anti-affinity on the node topology key: required (requiredDuringSchedulingIgnoredDuringExecution) or preferred."),
    KeySpec::new("version", T::Text, D::Follows("unset: the defaults of Kubernetes before v1.32"), "The Kubernetes minor version the cluster runs (\"1.31\", \"v1.32.4\"): the defaults that changed upstream follow it (node-monitor-grace-period)."),
    KeySpec::new("node-monitor-grace-period", T::Duration, D::Follows("40s before v1.32, 50s from v1.32 (see `version`)"), "kube-controller-manager `--node-monitor-grace-period`: 40 s before v1.32, 50 s from v1.32 (kubernetes PR #126287)."),
    KeySpec::new("node-monitor-period", T::Duration, D::Is("5s"), "kube-controller-manager `--node-monitor-period` (5 s)."),
    KeySpec::new("tolerationSeconds", T::Duration, D::Is("300s"), "How long pods tolerate a not-ready or unreachable node (DefaultTolerationSeconds admission plugin: 300 s)."),
    KeySpec::new("pod_start", T::Dist, D::Is("uniform(5s, 20s)"), "Time for a pod to start and pass readiness (ASSUMPTION: a small cached image)."),
    KeySpec::new("min_ready", T::Int { min: 1, max: 1000 }, D::Is("1"), "Ready pods the service needs to be up."),
    KeySpec::new("strategy", T::Choice(&["RollingUpdate", "Recreate"]), D::Is("RollingUpdate"), "Deployment `strategy.type` (default RollingUpdate, Deployment docs)."),
    KeySpec::new("rollout", T::Ref, D::Follows("no rollouts"), "An element whose failures stand for rollouts of new versions."),
    KeySpec::new("volume", T::Ref, D::Follows("no volume"), "The `cluster.output` of the storage the pods need (a Longhorn volume)."),
    KeySpec::new("rwo", T::Bool, D::Is("false"), "The volume is ReadWriteOnce: a replacement pod waits for the old node's detach."),
    KeySpec::new("detach_wait", T::Duration, D::Is("6m"), "How long the attach/detach controller waits before force-detaching from a lost node (ReconcilerMaxWaitForUnmountDuration, 6 min)."),
];

/// The node-monitor grace period's default for a version: 50 s from
/// v1.32, 40 s before it and when the version is unknown (kubernetes PR
/// #126287, HA-FACTS section 6).
pub fn default_grace(version: Option<(u32, u32)>) -> Nanos {
    match version {
        Some(v) if v >= (1, 32) => 50 * NANOS_PER_SEC,
        _ => 40 * NANOS_PER_SEC,
    }
}

/// `kind = "deployment"` in the model format.
pub const DEPLOYMENT_SPEC: crate::cluster::KindSpec = crate::cluster::KindSpec {
    name: "deployment",
    summary: "A Kubernetes Deployment: replicas rescheduled on ready nodes.",
    keys: KEYS,
    lints: &[],
    build: build_deployment,
};

fn build_deployment<'t>(
    f: &mut Fields<'t, '_>,
    inputs: &mut Inputs<'t>,
) -> Result<std::sync::Arc<dyn ClusterKind>, Diagnostic> {
    Ok(std::sync::Arc::new(Workload::from_fields(
        f, inputs, false,
    )?))
}

/// `kind = "statefulset"` in the model format.
pub const STATEFULSET_SPEC: crate::cluster::KindSpec = crate::cluster::KindSpec {
    name: "statefulset",
    summary: "A Kubernetes StatefulSet: pods bound to their nodes and volumes.",
    keys: KEYS,
    lints: &[],
    build: build_statefulset,
};

fn build_statefulset<'t>(
    f: &mut Fields<'t, '_>,
    inputs: &mut Inputs<'t>,
) -> Result<std::sync::Arc<dyn ClusterKind>, Diagnostic> {
    Ok(std::sync::Arc::new(Workload::from_fields(f, inputs, true)?))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AntiAffinity {
    None,
    Preferred,
    Required,
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub stateful: bool,
    pub nodes: usize,
    pub replicas: usize,
    pub cpu: u64,
    pub memory: u64,
    pub node_cpu: Vec<u64>,
    pub node_memory: Vec<u64>,
    pub anti: AntiAffinity,
    pub grace: Nanos,
    pub monitor: Nanos,
    pub toleration: Nanos,
    pub pod_start: Dist,
    pub min_ready: usize,
    pub recreate: bool,
    pub rollout: Option<usize>,
    pub volume: Option<usize>,
    pub detach_wait: Nanos,
}

impl Workload {
    pub fn from_fields<'t>(
        f: &mut Fields<'t, '_>,
        inputs: &mut Inputs<'t>,
        stateful: bool,
    ) -> Result<Self, Diagnostic> {
        let n = inputs.n_members();
        // Deployment and StatefulSet default: 1 replica.
        let replicas = f.int("replicas", 0, 1000)?.unwrap_or(1) as usize;
        // No requests by default (a BestEffort pod requests nothing).
        let cpu = super::quantity(f, "cpu", super::CPU, super::parse_millicores)?.unwrap_or(0);
        let memory = super::quantity(f, "memory", super::BYTES, super::parse_bytes)?.unwrap_or(0);
        let node_cpu =
            super::per_member_quantity(f, "node_cpu", n, super::CPU, super::parse_millicores)?
                .unwrap_or_else(|| vec![u64::MAX; n]);
        let node_memory =
            super::per_member_quantity(f, "node_memory", n, super::BYTES, super::parse_bytes)?
                .unwrap_or_else(|| vec![u64::MAX; n]);
        let anti = match f.string("anti_affinity")? {
            None | Some(("none", _)) => AntiAffinity::None,
            Some(("preferred", _)) => AntiAffinity::Preferred,
            Some(("required", _)) => AntiAffinity::Required,
            Some((o, v)) => {
                return Err(f
                    .src
                    .error(v.span.clone(), format!("unknown anti_affinity `{o}`"))
                    .with_help("use \"required\" (requiredDuringSchedulingIgnoredDuringExecution), \"preferred\" or \"none\""))
            }
        };
        // kube-controller-manager's node-monitor-grace-period changed from
        // 40 s to 50 s in v1.32 (kubernetes PR #126287), so its default
        // follows the version the model names. A model that names none gets
        // the older 40 s, the value every bundled model was written against;
        // `hasim explain` shows which applied. node-monitor-period is 5 s in
        // every version.
        let version = super::version(f, "Kubernetes", "\"1.31\" or \"v1.32.4\"")?;
        let grace = f
            .duration("node-monitor-grace-period")?
            .unwrap_or_else(|| default_grace(version));
        let monitor = f
            .duration("node-monitor-period")?
            .unwrap_or(5 * NANOS_PER_SEC);
        // DefaultTolerationSeconds admission plugin: 300 s.
        let toleration = f
            .duration("tolerationSeconds")?
            .unwrap_or(300 * NANOS_PER_SEC);
        // ASSUMPTION: a small image already cached starts and passes its
        // readiness probe in 5-20 s.
        let pod_start = f.dist("pod_start")?.unwrap_or(Dist::Uniform {
            min: 5 * NANOS_PER_SEC,
            max: 20 * NANOS_PER_SEC,
        });
        let min_ready = f.int("min_ready", 1, 1000)?.unwrap_or(1) as usize;
        // Deployment docs: `RollingUpdate` is the default strategy.
        let recreate = match f.string("strategy")? {
            None | Some(("RollingUpdate", _)) => false,
            Some(("Recreate", _)) => true,
            Some((o, v)) => {
                return Err(f
                    .src
                    .error(v.span.clone(), format!("unknown strategy `{o}`"))
                    .with_help("use \"RollingUpdate\" or \"Recreate\""))
            }
        };
        let rollout = f.string("rollout")?.map(|(s, v)| inputs.add(s, v));
        let volume = f.string("volume")?.map(|(s, v)| inputs.add(s, v));
        let rwo = f.bool("rwo")?.unwrap_or(false);
        // attach_detach_controller.go ReconcilerMaxWaitForUnmountDuration 6 min.
        let detach_wait = f.duration("detach_wait")?.unwrap_or(6 * 60 * NANOS_PER_SEC);
        Ok(Workload {
            stateful,
            nodes: n,
            replicas,
            cpu,
            memory,
            node_cpu,
            node_memory,
            anti,
            grace,
            monitor,
            toleration,
            pod_start,
            min_ready,
            recreate,
            rollout,
            volume,
            detach_wait: if rwo { detach_wait } else { 0 },
        })
    }
}

impl ClusterKind for Workload {
    /// A Deployment whose pods declare no capacity to run short of: the
    /// scheduler replaces pods of dead nodes on live ones, so once that is
    /// over `up` holds while any node is up (with `anti_affinity =
    /// "required"`, one replica per node: while `min_ready` nodes are), and
    /// `all_ready` the same for every replica; with a `volume`, only while
    /// the volume is up. No rule for the rest: a StatefulSet's pods wait for
    /// their own node and a drain moves them (history), `spread` depends on
    /// where pods landed (nothing rebalances), and declared capacities make
    /// placement depend on order.
    fn structure(&self, output: usize) -> Result<crate::cluster::Structure, String> {
        use crate::cluster::Structure;
        if self.stateful {
            return Err("a StatefulSet pod waits for its own node and a drain moves it elsewhere, so where each pod runs depends on history".to_string());
        }
        let bounded = |req: u64, offer: &[u64]| req > 0 && offer.iter().any(|o| *o != u64::MAX);
        if bounded(self.cpu, &self.node_cpu) || bounded(self.memory, &self.node_memory) {
            return Err("the pods request CPU or memory against declared node capacities, so where they fit depends on the order of failures".to_string());
        }
        let required = self.anti == AntiAffinity::Required;
        let needed = |pods: usize| -> Structure {
            if pods == 0 {
                Structure::Const(true)
            } else if required {
                Structure::MembersUp(pods as u32)
            } else {
                Structure::MembersUp(1)
            }
        };
        // Ready pods need the volume too; asking for none always holds.
        let ready = |pods: usize| match (pods, self.volume) {
            (0, _) => Structure::Const(true),
            _ if pods > self.replicas => Structure::Const(false),
            (_, Some(v)) => Structure::All(vec![needed(pods), Structure::Input(v)]),
            (_, None) => needed(pods),
        };
        match output {
            0 => Ok(ready(self.min_ready)),
            1 => Ok(ready(self.replicas)),
            2 if required => Ok(Structure::Const(true)),
            2 => Err(
                "`spread` depends on where the pods landed: nothing rebalances when a node returns"
                    .to_string(),
            ),
            _ if self.rollout.is_none() => Ok(Structure::Const(true)),
            _ => Err(
                "`rollout_ok` depends on the rollout's progress, not on which nodes are up"
                    .to_string(),
            ),
        }
    }
    fn kind(&self) -> &'static str {
        if self.stateful {
            "statefulset"
        } else {
            "deployment"
        }
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["up", "all_ready", "spread", "rollout_ok"]
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        Box::new(WlState {
            cfg: self.clone(),
            up: vec![true; self.nodes],
            evict: vec![None; self.nodes],
            pods: vec![
                Pod {
                    node: None,
                    phase: Phase::Pending,
                    timer: None,
                    not_before: 0,
                };
                self.replicas
            ],
            volume_ok: true,
            rollout_in: true,
            stalled: false,
            rolling: None,
            pending_traced: false,
            timers: Timers::new(),
            started: false,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Ready,
    Starting,
    Pending,
    /// On a dead node, not (yet) deleted.
    Lost,
}

#[derive(Debug, Clone)]
struct Pod {
    node: Option<usize>,
    phase: Phase,
    timer: Option<Timer>,
    /// A replacement may not start before this (RWO detach).
    not_before: Nanos,
}

struct WlState {
    cfg: Workload,
    up: Vec<bool>,
    evict: Vec<Option<Timer>>,
    pods: Vec<Pod>,
    volume_ok: bool,
    rollout_in: bool,
    stalled: bool,
    /// A rolling update with maxUnavailable >= 1 in progress.
    rolling: Option<Timer>,
    pending_traced: bool,
    started: bool,
    timers: Timers<PodTimer>,
}

/// What a workload's timer is for.
#[derive(Debug, Clone, Copy)]
enum PodTimer {
    /// Pod `i` is ready.
    Started(usize),
    /// The pods on node `n` are evicted (tolerationSeconds ran out).
    Evict(usize),
    /// One step of a rolling update is done.
    Rolled,
}

impl WlState {
    /// Pods assigned to `node` that occupy it (not Lost).
    fn on_node(&self, node: usize) -> usize {
        self.pods
            .iter()
            .filter(|p| p.node == Some(node) && p.phase != Phase::Lost)
            .count()
    }

    fn fits(&self, node: usize, extra: usize) -> bool {
        let k = (self.on_node(node) + extra) as u64;
        self.up[node]
            && self.cfg.cpu.saturating_mul(k) <= self.cfg.node_cpu[node]
            && self.cfg.memory.saturating_mul(k) <= self.cfg.node_memory[node]
            && !(self.cfg.anti == AntiAffinity::Required && self.on_node(node) > 0)
    }

    /// The scheduler's pick for one more pod: fewest replicas (anti-affinity
    /// and spreading), then member order.
    fn pick(&self) -> Option<usize> {
        (0..self.up.len())
            .filter(|n| self.fits(*n, 1))
            .min_by_key(|n| (self.on_node(*n), *n))
    }

    fn start_pod(&mut self, cx: &mut ClusterCx<'_>, i: usize, node: usize) {
        let now = cx.now();
        let wait = self.pods[i].not_before.saturating_sub(now);
        let d = wait + cx.sample(&self.cfg.pod_start);
        let p = &mut self.pods[i];
        p.node = Some(node);
        p.phase = Phase::Starting;
        if let Some(id) = p.timer.take() {
            self.timers.cancel(cx, id);
        }
        p.timer = Some(self.timers.schedule(cx, d, PodTimer::Started(i)));
        let who = super::name(cx, node);
        cx.trace(|| format!("pod {i} scheduled on {who}: ready in {}", Human(d)));
    }

    fn schedule_pending(&mut self, cx: &mut ClusterCx<'_>) {
        for i in 0..self.pods.len() {
            if self.pods[i].phase != Phase::Pending {
                continue;
            }
            match self.pick() {
                Some(n) => self.start_pod(cx, i, n),
                None => {
                    if !self.pending_traced {
                        self.pending_traced = true;
                        cx.trace(|| {
                            format!("pod {i} Pending: no node fits (capacity or anti-affinity)")
                        });
                    }
                }
            }
        }
        if self.pods.iter().all(|p| p.phase != Phase::Pending) {
            self.pending_traced = false;
        }
    }

    fn try_rollout(&mut self, cx: &mut ClusterCx<'_>) {
        if !self.stalled {
            return;
        }
        let r = self.pods.len();
        let max_unavailable = r / 4;
        if self.pick().is_some() || max_unavailable >= 1 {
            self.stalled = false;
            let mut d = 0;
            for _ in 0..r {
                d += cx.sample(&self.cfg.pod_start);
            }
            let surge = self.pick().is_some();
            cx.trace(|| {
                format!(
                    "rolling update proceeds ({}), done in {}",
                    if surge {
                        "surge pod placed"
                    } else {
                        "one pod at a time"
                    },
                    Human(d)
                )
            });
            if !surge {
                self.rolling = Some(self.timers.schedule(cx, d, PodTimer::Rolled));
            }
        } else {
            cx.trace(|| {
                "rolling update stalls: the surge pod fits on no node (maxUnavailable 0)"
                    .to_string()
            });
        }
    }

    fn publish(&mut self, cx: &mut ClusterCx<'_>) {
        let ready = if self.volume_ok {
            self.pods.iter().filter(|p| p.phase == Phase::Ready).count()
        } else {
            0
        };
        let ready = if self.rolling.is_some() {
            ready.saturating_sub(1)
        } else {
            ready
        };
        let spread = (0..self.up.len()).all(|n| self.on_node(n) <= 1);
        cx.set_output(
            0,
            ready >= self.cfg.min_ready.min(self.pods.len().max(1)) && ready > 0,
        );
        cx.set_output(1, ready >= self.pods.len());
        cx.set_output(2, spread);
        cx.set_output(3, !self.stalled);
    }
}

impl WlState {
    /// Why a Pending pod has no node, for the capacity planner: the
    /// shortfall, kube-scheduler's own account and what would fix it.
    ///
    /// The scheduler's FailedScheduling event counts, per node, the first
    /// filter that rejects it (`FitError.Error`, pkg/scheduler/framework/
    /// types.go): a dead node carries the `node.kubernetes.io/unreachable`
    /// NoSchedule taint the pod does not tolerate ("node(s) had untolerated
    /// taint {%s: %s}", plugins/tainttoleration), then NodeResourcesFit
    /// reports "Insufficient cpu"/"Insufficient memory" (plugins/
    /// noderesources/fit.go), then InterPodAffinity "node(s) didn't match
    /// pod anti-affinity rules" (plugins/interpodaffinity/filtering.go);
    /// the reasons are sorted as text. The shortfall is judged apart from
    /// that order: room only when a live node the anti-affinity allows
    /// lacks CPU or memory (more room would place the pod), a rule when
    /// the anti-affinity excludes every live node, down when none is up.
    fn pending_reason(&self) -> (Shortfall, String) {
        let required = self.cfg.anti == AntiAffinity::Required;
        let (mut dead, mut cpu, mut memory, mut anti) = (0, 0, 0, 0);
        let (mut live, mut room_would_do, mut fits) = (0, false, false);
        for n in 0..self.cfg.nodes {
            if !self.up[n] {
                dead += 1;
                continue;
            }
            live += 1;
            let k = (self.on_node(n) + 1) as u64;
            let short_cpu = self.cfg.cpu.saturating_mul(k) > self.cfg.node_cpu[n];
            let short_memory = self.cfg.memory.saturating_mul(k) > self.cfg.node_memory[n];
            let rule = required && self.on_node(n) > 0;
            if short_cpu || short_memory {
                cpu += usize::from(short_cpu);
                memory += usize::from(short_memory);
            } else if rule {
                anti += 1;
            }
            room_would_do |= (short_cpu || short_memory) && !rule;
            fits |= !(short_cpu || short_memory || rule);
        }
        let mut reasons: Vec<String> = [
            (
                dead,
                "node(s) had untolerated taint {node.kubernetes.io/unreachable: }",
            ),
            (cpu, "Insufficient cpu"),
            (memory, "Insufficient memory"),
            (anti, "node(s) didn't match pod anti-affinity rules"),
        ]
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, reason)| format!("{count} {reason}"))
        .collect();
        reasons.sort_unstable();
        let event = format!(
            "Pending (kube-scheduler: \"0/{} nodes are available: {}.\")",
            self.cfg.nodes,
            reasons.join(", ")
        );
        if fits {
            // The scheduler binds a Pending pod as soon as a node fits, so
            // a settled scenario should never show this.
            return (
                Shortfall::Pinned,
                "Pending: a node fits, not bound yet".to_string(),
            );
        }
        if live == 0 {
            return (
                Shortfall::Down,
                format!("{event}: every node it may run on is down, so it has nowhere to run, whatever the room; more nodes, or nodes in separate failure domains (power, switch), would carry this"),
            );
        }
        if room_would_do {
            return (
                Shortfall::Room,
                format!("{event}: no live node the rules allow has the CPU or memory left for its requests; give the nodes more (node_cpu, node_memory) or add a node"),
            );
        }
        (
            Shortfall::Rule,
            format!(
                "{event}: the required anti-affinity allows one replica per node and {} runs one already. A placement rule, not room: add a node, or make the anti-affinity preferred",
                if live == 1 {
                    "the only live node".to_string()
                } else {
                    format!("each of the {live} live nodes")
                }
            ),
        )
    }
}

impl ClusterState for WlState {
    fn placement(&self) -> Option<Placement> {
        let capacity = (0..self.cfg.nodes)
            .map(|n| (self.cfg.node_cpu[n], self.cfg.node_memory[n]))
            .collect();
        let items = self
            .pods
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let waiting = match p.phase {
                    Phase::Ready | Phase::Starting => None,
                    Phase::Pending => Some(self.pending_reason()),
                    Phase::Lost if self.cfg.stateful => Some((
                        Shortfall::Pinned,
                        "on a dead node: a StatefulSet pod waits for its node".to_string(),
                    )),
                    // Only a tolerationSeconds longer than the planner's
                    // hour leaves a Deployment's pod here: it is replaced
                    // once evicted.
                    Phase::Lost => Some((
                        Shortfall::Pinned,
                        "on a dead node, not evicted yet (tolerationSeconds)".to_string(),
                    )),
                };
                PlacedItem {
                    name: format!("pod {i}"),
                    cpu: self.cfg.cpu,
                    memory: self.cfg.memory,
                    at: if waiting.is_none() { p.node } else { None },
                    waiting,
                }
            })
            .collect();
        Some(Placement {
            unit: "pod",
            capacity,
            items,
        })
    }

    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>) {
        if !self.started {
            self.started = true;
            for n in 0..self.up.len() {
                self.up[n] = cx.member_up(n);
            }
            // Initial placement, already running.
            for i in 0..self.pods.len() {
                if let Some(n) = self.pick() {
                    self.pods[i].node = Some(n);
                    self.pods[i].phase = Phase::Ready;
                }
            }
            self.volume_ok = self.cfg.volume.is_none_or(|v| cx.input(v));
            self.rollout_in = self.cfg.rollout.is_none_or(|v| cx.input(v));
            self.schedule_pending(cx);
            self.publish(cx);
            return;
        }
        let planned = cx.planned();
        self.volume_ok = self.cfg.volume.is_none_or(|v| cx.input(v));
        for n in 0..self.up.len() {
            let up = cx.member_up(n);
            if up == self.up[n] {
                continue;
            }
            self.up[n] = up;
            if let Some(id) = self.evict[n].take() {
                self.timers.cancel(cx, id);
            }
            if up {
                // Pods still bound to it restart there.
                for i in 0..self.pods.len() {
                    if self.pods[i].node == Some(n) && self.pods[i].phase == Phase::Lost {
                        self.start_pod(cx, i, n);
                    }
                }
                continue;
            }
            for p in self.pods.iter_mut() {
                if p.node == Some(n) {
                    p.phase = Phase::Lost;
                    if let Some(id) = p.timer.take() {
                        self.timers.cancel(cx, id);
                    }
                }
            }
            if self.pods.iter().any(|p| p.node == Some(n)) {
                // NotReady at the first monitor pass after the grace period,
                // then tolerationSeconds; a drain evicts at once.
                let d = if planned {
                    0
                } else {
                    self.cfg.grace + below(cx, self.cfg.monitor) + self.cfg.toleration
                };
                let who = super::name(cx, n);
                cx.trace(|| format!("{who} down: its pods are evicted in {}", Human(d)));
                self.evict[n] = Some(self.timers.schedule(cx, d, PodTimer::Evict(n)));
            }
        }
        if let Some(r) = self.cfg.rollout {
            let now_in = cx.input(r);
            if self.rollout_in && !now_in {
                self.rollout(cx);
            }
            self.rollout_in = now_in;
        }
        self.schedule_pending(cx);
        self.try_rollout(cx);
        self.publish(cx);
    }

    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: TimerTag) {
        match self.timers.fired(tag) {
            PodTimer::Started(i) => {
                self.pods[i].timer = None;
                self.pods[i].phase = Phase::Ready;
            }
            PodTimer::Evict(i) => {
                self.evict[i] = None;
                // A StatefulSet pod is only replaced when it is really
                // deleted: by a drain (planned), not by an unreachable node.
                if !self.cfg.stateful || cx.planned() {
                    let now = cx.now();
                    let who = super::name(cx, i);
                    cx.trace(|| format!("pods on {who} evicted: replacements created"));
                    let wait = self.cfg.detach_wait;
                    for p in self.pods.iter_mut() {
                        if p.node == Some(i) && p.phase == Phase::Lost {
                            p.node = None;
                            p.phase = Phase::Pending;
                            p.not_before = now + wait;
                        }
                    }
                }
            }
            PodTimer::Rolled => self.rolling = None,
        }
        self.schedule_pending(cx);
        self.try_rollout(cx);
        self.publish(cx);
    }
}

impl WlState {
    fn rollout(&mut self, cx: &mut ClusterCx<'_>) {
        if self.cfg.recreate {
            cx.trace(|| "Recreate rollout: every pod stops, then new pods start".to_string());
            for i in 0..self.pods.len() {
                if let (Some(n), Phase::Ready | Phase::Starting) =
                    (self.pods[i].node, self.pods[i].phase)
                {
                    self.start_pod(cx, i, n);
                }
            }
        } else {
            self.stalled = true;
            self.try_rollout(cx);
        }
    }
}
