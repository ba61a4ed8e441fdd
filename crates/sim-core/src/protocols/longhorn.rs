//! A Longhorn volume (`kind = "longhorn"`).
//!
//! The members are the storage nodes (Longhorn nodes with a disk). The
//! volume keeps `numberOfReplicas` replicas on distinct members (replica
//! node soft anti-affinity is false by default, longhorn-manager
//! `types/setting.go`), starting on the first ones in member order.
//! Outputs: `up` (not Faulted: some healthy replica serves I/O, or the
//! volume has been salvaged or restored) and `healthy` (not Degraded: every
//! wanted replica healthy). HA-FACTS section 5.
//!
//! - A member going down fails its replica: the replica stops receiving
//!   writes and is stale from then on.
//! - Degraded: when a replica failed, Longhorn waits
//!   `replica-replenishment-wait-interval` (600 s) from LastDegradedAt for
//!   it to come back; a failed replica whose node returns is reused at once
//!   (rebuilt from a healthy one); after the wait a new replica is built on
//!   another live member without one (`scheduler/replica_scheduler.go`).
//! - A rebuild copies the volume: `size` / `rebuild_throughput`. This model
//!   takes the full copy also for a reused replica (conservative).
//! - Faulted: no healthy replica left. The data written since the last
//!   replica failed exists nowhere else. With `auto-salvage` (default true,
//!   setting.go) the volume comes back from the last replica to fail when
//!   its member returns: no data lost. Otherwise (or if that takes longer
//!   than `restore_time`) the operator restores from backup: the volume is
//!   up again after `restore_time` (once a member is up) and the writes
//!   since the last backup are lost ([`ClusterCx::data_loss`]).
//!
//! Not modelled: `concurrent-replica-rebuild-per-node-limit` (5, setting.go)
//! only matters with many volumes rebuilding at once, and one cluster here
//! is one volume; the volume's engine and attachment (a workload's RWO
//! reattach wait is in the `deployment`/`statefulset` kinds).

use crate::component::{ClusterCx, ClusterKind, ClusterState, Inputs};
use crate::dist::Dist;
use crate::engine::EventId;
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::time::{Human, Nanos, NANOS_PER_HOUR, NANOS_PER_SEC};

pub const KEYS: &[&str] = &[
    "numberOfReplicas",
    "size",
    "rebuild_throughput",
    "replica-replenishment-wait-interval",
    "auto-salvage",
    "restore_time",
];

#[derive(Debug, Clone)]
pub struct Longhorn {
    pub nodes: usize,
    pub replicas: usize,
    pub size: u64,
    pub throughput: u64,
    pub wait: Nanos,
    pub auto_salvage: bool,
    pub restore: Dist,
}

impl Longhorn {
    pub fn from_fields(
        f: &mut Fields<'_, '_>,
        inputs: &mut Inputs<'_>,
    ) -> Result<Self, Diagnostic> {
        let n = inputs.n_members();
        // numberOfReplicas 3 (longhorn-manager types/setting.go).
        let replicas = f.int("numberOfReplicas", 1, 20)?.unwrap_or(3) as usize;
        if replicas > n {
            return Err(f
                .src
                .error(
                    f.raw("numberOfReplicas").map_or(f.span.clone(), |v| v.span.clone()),
                    format!("{replicas} replicas need {replicas} storage nodes, but there are {n} members"),
                )
                .with_help("replicas go on distinct nodes (replica node soft anti-affinity is false by default)"));
        }
        // ASSUMPTION: a 10 GiB volume (set `size` to the PVC's used data).
        let size =
            super::quantity(f, "size", super::BYTES, super::parse_bytes)?.unwrap_or(10 << 30);
        // ASSUMPTION: about 100 MB/s, a 1 GbE link between storage nodes.
        let throughput = super::quantity(
            f,
            "rebuild_throughput",
            "a throughput such as \"100MB/s\"",
            super::parse_bytes,
        )?
        .unwrap_or(100_000_000);
        if throughput == 0 {
            return Err(f
                .src
                .error(f.span.clone(), "`rebuild_throughput` must be above zero"));
        }
        // replica-replenishment-wait-interval 600 s (setting.go).
        let wait = f
            .duration("replica-replenishment-wait-interval")?
            .unwrap_or(600 * NANOS_PER_SEC);
        // auto-salvage true (setting.go).
        let auto_salvage = f.bool("auto-salvage")?.unwrap_or(true);
        // ASSUMPTION: restoring a volume from backup takes a few hours of
        // a home-lab operator's time.
        let restore = f.dist("restore_time")?.unwrap_or(Dist::Lognormal {
            mu: libm::log(3.0 * NANOS_PER_HOUR as f64),
            sigma: 0.8,
        });
        Ok(Longhorn {
            nodes: n,
            replicas,
            size,
            throughput,
            wait,
            auto_salvage,
            restore,
        })
    }

    /// size / rebuild_throughput.
    pub fn rebuild_time(&self) -> Nanos {
        (u128::from(self.size) * u128::from(NANOS_PER_SEC) / u128::from(self.throughput))
            .min(u128::from(u64::MAX / 4)) as Nanos
    }
}

impl ClusterKind for Longhorn {
    fn kind(&self) -> &'static str {
        "longhorn"
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["up", "healthy"]
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        Box::new(LhState {
            cfg: self.clone(),
            up: vec![true; self.nodes],
            rep: (0..self.nodes)
                .map(|i| {
                    if i < self.replicas {
                        Rep::Healthy
                    } else {
                        Rep::None
                    }
                })
                .collect(),
            faulted: false,
            last_failed: None,
            restore: None,
            restore_due: false,
            degraded_since: None,
            replenish: None,
            started: false,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rep {
    None,
    Healthy,
    Rebuilding(EventId),
    /// On a down member: stale, may be reused when it returns.
    Failed,
}

struct LhState {
    cfg: Longhorn,
    up: Vec<bool>,
    rep: Vec<Rep>,
    faulted: bool,
    /// The member whose replica failed last (the freshest data).
    last_failed: Option<usize>,
    restore: Option<EventId>,
    /// The restore finished while no member was up.
    restore_due: bool,
    degraded_since: Option<Nanos>,
    replenish: Option<EventId>,
    started: bool,
}

const REBUILT: u64 = 1 << 32;
const REPLENISH: u64 = 2 << 32;
const RESTORE: u64 = 3 << 32;

impl LhState {
    fn count(&self, f: impl Fn(Rep) -> bool) -> usize {
        self.rep.iter().filter(|r| f(**r)).count()
    }

    fn rebuild(&mut self, cx: &mut ClusterCx<'_>, m: usize) {
        let d = self.cfg.rebuild_time();
        self.rep[m] = Rep::Rebuilding(cx.schedule(d, REBUILT | m as u64));
        let who = super::name(cx, m);
        cx.trace(|| format!("rebuilding a replica on {who}: {}", Human(d)));
    }

    fn recover_from(&mut self, cx: &mut ClusterCx<'_>, members: Vec<usize>, how: &str) {
        self.faulted = false;
        if let Some(id) = self.restore.take() {
            cx.cancel(id);
        }
        self.restore_due = false;
        for r in self.rep.iter_mut() {
            *r = Rep::None;
        }
        for m in members {
            self.rep[m] = Rep::Healthy;
        }
        self.degraded_since = None;
        let how = how.to_string();
        cx.trace(|| format!("volume {how}"));
    }

    fn settle(&mut self, cx: &mut ClusterCx<'_>) {
        let r = self.cfg.replicas;
        if self.faulted {
            if self.cfg.auto_salvage {
                if let Some(m) = self.last_failed.filter(|m| self.up[*m]) {
                    self.recover_from(
                        cx,
                        vec![m],
                        "salvaged from the last replica (auto-salvage): no data lost",
                    );
                }
            }
            if self.faulted && self.restore_due {
                let live: Vec<usize> = (0..self.up.len()).filter(|m| self.up[*m]).take(r).collect();
                if !live.is_empty() {
                    cx.data_loss();
                    self.recover_from(
                        cx,
                        live,
                        "restored from backup: writes since the last backup are lost",
                    );
                }
            }
            if self.faulted {
                self.publish(cx);
                return;
            }
        }
        let healthy = self.count(|x| x == Rep::Healthy);
        if healthy == 0 {
            self.faulted = true;
            for m in 0..self.rep.len() {
                if let Rep::Rebuilding(id) = self.rep[m] {
                    cx.cancel(id);
                    self.rep[m] = Rep::None;
                }
            }
            if let Some(id) = self.replenish.take() {
                cx.cancel(id);
            }
            let d = cx.sample(&self.cfg.restore);
            cx.trace(|| {
                format!(
                    "no healthy replica left: volume Faulted; restore from backup would take {}",
                    Human(d)
                )
            });
            self.restore = Some(cx.schedule(d, RESTORE));
            self.publish(cx);
            return;
        }
        let now = cx.now();
        let active = |s: &Self| s.count(|x| matches!(x, Rep::Healthy | Rep::Rebuilding(_)));
        if active(self) < r {
            let since = *self.degraded_since.get_or_insert(now);
            // A failed replica whose node is back is reused at once.
            for m in 0..self.rep.len() {
                if active(self) < r && self.rep[m] == Rep::Failed && self.up[m] {
                    self.rebuild(cx, m);
                }
            }
            if active(self) < r {
                if now >= since + self.cfg.wait {
                    for m in 0..self.rep.len() {
                        if active(self) < r && self.rep[m] == Rep::None && self.up[m] {
                            // The new replica replaces a failed one.
                            if let Some(old) =
                                (0..self.rep.len()).find(|o| self.rep[*o] == Rep::Failed)
                            {
                                self.rep[old] = Rep::None;
                            }
                            self.rebuild(cx, m);
                        }
                    }
                } else if self.replenish.is_none() {
                    self.replenish = Some(cx.schedule(since + self.cfg.wait - now, REPLENISH));
                }
            }
        }
        if self.count(|x| x == Rep::Healthy) >= r {
            self.degraded_since = None;
            if let Some(id) = self.replenish.take() {
                cx.cancel(id);
            }
        }
        self.publish(cx);
    }

    fn publish(&mut self, cx: &mut ClusterCx<'_>) {
        let healthy = self.count(|x| x == Rep::Healthy);
        cx.set_output(0, !self.faulted && healthy > 0);
        cx.set_output(1, !self.faulted && healthy >= self.cfg.replicas);
    }
}

impl ClusterState for LhState {
    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>) {
        let first = !self.started;
        self.started = true;
        for m in 0..self.up.len() {
            let up = cx.member_up(m);
            if up == self.up[m] && !first {
                continue;
            }
            self.up[m] = up;
            if !up {
                match self.rep[m] {
                    Rep::Healthy => {
                        self.rep[m] = Rep::Failed;
                        self.last_failed = Some(m);
                    }
                    Rep::Rebuilding(id) => {
                        cx.cancel(id);
                        self.rep[m] = Rep::Failed;
                    }
                    _ => {}
                }
            }
        }
        self.settle(cx);
    }

    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: u64) {
        let m = (tag & 0xffff_ffff) as usize;
        match tag & !0xffff_ffff {
            REBUILT => {
                self.rep[m] = Rep::Healthy;
                let who = super::name(cx, m);
                cx.trace(|| format!("replica on {who} rebuilt"));
            }
            REPLENISH => self.replenish = None,
            RESTORE => {
                self.restore = None;
                self.restore_due = true;
            }
            _ => {}
        }
        self.settle(cx);
    }
}
