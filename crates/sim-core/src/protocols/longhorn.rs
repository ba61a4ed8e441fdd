//! Longhorn volumes (`kind = "longhorn"`).
//!
//! The members are the storage nodes (Longhorn nodes with a disk). A cluster
//! is one volume, described by the top-level keys, or several volumes listed
//! in `volumes` that share the nodes, the settings and the per-node rebuild
//! limit. HA-FACTS section 5.
//!
//! Outputs: `up` (not Faulted: some healthy replica serves I/O, or the
//! volume has been salvaged or restored) and `healthy` (not Degraded: every
//! wanted replica healthy). With `volumes`, `up` and `healthy` hold for
//! every volume at once, and each volume adds `<name>` (up) and
//! `<name>-healthy`; a volume's data loss counts only for the services that
//! read its outputs (or the cluster-wide ones).
//!
//! - Placement: each volume keeps `numberOfReplicas` replicas on distinct
//!   members (replica node soft anti-affinity is false by default,
//!   longhorn-manager `types/setting.go`). A volume's `nodes` says where its
//!   replicas are; otherwise, and for every new replica, the scheduler picks
//!   the disk with the most usable storage (longhorn-manager
//!   `scheduler/replica_scheduler.go`, `getDiskWithMostUsableStorage`:
//!   available minus scheduled minus reserved). The model assumes equal
//!   disks, so that is the live member with the fewest bytes of replicas
//!   scheduled on it, ties going to the first in member order (Longhorn
//!   iterates a map there; the model needs a deterministic choice). With one
//!   volume, that is the first members in order.
//! - A member going down fails its replicas: they stop receiving writes and
//!   are stale from then on.
//! - Degraded: when a replica failed, Longhorn waits
//!   `replica-replenishment-wait-interval` (600 s) from LastDegradedAt for
//!   it to come back; a failed replica whose node returns is reused at once
//!   (rebuilt from a healthy one); after the wait a new replica is scheduled
//!   on another live member without one (`scheduler/replica_scheduler.go`).
//! - A rebuild copies the volume: `size` / `rebuild_throughput`, the
//!   throughput of one rebuild (concurrent rebuilds are assumed not to slow
//!   each other). This model takes the full copy also for a reused replica
//!   (conservative).
//! - Rebuild limit: `concurrent-replica-rebuild-per-node-limit` (default 5,
//!   `types/setting.go`: "how many replicas on a node can be rebuilt
//!   simultaneously") counts the rebuilding replicas on the node that
//!   receives the new copy: `controller/replica_controller.go`
//!   `CanStartRebuildingReplica` lists the replicas on the rebuilding
//!   replica's own node (`r.Spec.NodeID`) and refuses to start it while that
//!   many are rebuilding there. A refused replica waits; the model starts
//!   waiting rebuilds when a slot on their node frees, first requested
//!   first, ties by volume order (Longhorn retries on its controller's
//!   requeue, in no fixed order). The volume stays Degraded meanwhile. The
//!   value 0 disables rebuilding: `replenishReplicas`
//!   (`controller/volume_controller.go`) then neither reuses failed
//!   replicas nor creates new ones, so a degraded volume stays degraded.
//! - Faulted: no healthy replica left. The data written since the last
//!   replica failed exists nowhere else. With `auto-salvage` (default true,
//!   setting.go) the volume comes back from the last replica to fail when
//!   its member returns: no data lost. Otherwise (or if that takes longer
//!   than `restore_time`) the operator restores from backup: the volume is
//!   up again after `restore_time` (once a member is up) and the writes
//!   since the last backup are lost ([`ClusterCx::data_loss`]).
//!
//! Not modelled: the volume's engine and attachment (a workload's RWO
//! reattach wait is in the `deployment`/`statefulset` kinds), disk sizes
//! and the node bandwidth that concurrent rebuilds share.

use crate::cluster::{ClusterCx, ClusterKind, ClusterState, Inputs, Lint, Timer, TimerTag, Timers};
use crate::cluster::{KeyDefault as D, KeySpec, KeyType as T};
use crate::dist::Dist;
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::time::{Human, Nanos, NANOS_PER_HOUR, NANOS_PER_SEC};

/// Keys of a Longhorn cluster, with longhorn-manager's defaults
/// (types/setting.go).
pub const KEYS: &[KeySpec] = &[
    KeySpec::new("numberOfReplicas", T::Int { min: 1, max: 20 }, D::Is("3"), "Replicas per volume (StorageClass `numberOfReplicas`, default 3)."),
    KeySpec::new("size", T::Quantity("a byte size such as \"10Gi\""), D::Is("10Gi"), "Data a rebuild copies (ASSUMPTION: 10 GiB; set the PVC's used data)."),
    KeySpec::new("rebuild_throughput", T::Quantity("a throughput such as \"100MB/s\""), D::Is("100MB/s"), "What a storage node's link gives rebuilds (ASSUMPTION: 1 GbE)."),
    KeySpec::new("replica-replenishment-wait-interval", T::Duration, D::Is("600s"), "Wait before rebuilding a replica whose node is gone (setting.go, 600 s)."),
    KeySpec::new("concurrent-replica-rebuild-per-node-limit", T::Int { min: 0, max: 1_000_000 }, D::Is("5"), "Concurrent rebuilds per node; 0 disables rebuilding (setting.go, 5)."),
    KeySpec::new("auto-salvage", T::Bool, D::Is("true"), "Salvage a faulted volume from its last replicas when they come back (setting.go, true)."),
    KeySpec::new("restore_time", T::Dist, D::Is("lognormal(3h, 0.8)"), "Restoring a volume from backup after data loss (ASSUMPTION: a few hours of an operator's time)."),
    KeySpec::new("volumes", T::Tables(VOLUME_KEYS), D::Follows("one volume from the keys above"), "Several volumes, each with its own outputs `NAME` and `NAME-healthy`."),
];

/// `kind = "longhorn"` in the model format.
pub const SPEC: crate::cluster::KindSpec = crate::cluster::KindSpec {
    name: "longhorn",
    summary: "Longhorn volumes: replicas on storage nodes, rebuilds and data loss.",
    keys: KEYS,
    lints: &[crate::cluster::LintInfo {
        id: "longhorn-rebuild-disabled",
        meaning:
            "A rebuild limit of 0 disables replica rebuilding: degraded volumes stay degraded.",
    }],
    build,
};

fn build<'t>(
    f: &mut Fields<'t, '_>,
    inputs: &mut Inputs<'t>,
) -> Result<std::sync::Arc<dyn ClusterKind>, Diagnostic> {
    Ok(std::sync::Arc::new(Longhorn::from_fields(f, inputs)?))
}

/// Keys of one entry of `volumes`; `numberOfReplicas` and `size` default to
/// the cluster's.
pub const VOLUME_KEYS: &[KeySpec] = &[
    KeySpec::new(
        "name",
        T::Text,
        D::Required,
        "The volume's name, which names its outputs.",
    ),
    KeySpec::new(
        "numberOfReplicas",
        T::Int { min: 1, max: 20 },
        D::Follows("the cluster's numberOfReplicas"),
        "Replicas of this volume.",
    ),
    KeySpec::new(
        "size",
        T::Quantity("a byte size"),
        D::Follows("the cluster's size"),
        "Data of this volume.",
    ),
    KeySpec::new(
        "nodes",
        T::Refs,
        D::Follows("the scheduler's choice"),
        "Members holding the replicas at the start.",
    ),
];

/// The simulation tracks a cluster's outputs in a 64-bit mask: `up`,
/// `healthy` and two per volume.
const MAX_VOLUMES: usize = 30;

#[derive(Debug, Clone)]
pub struct Volume {
    pub name: String,
    pub replicas: usize,
    /// Bytes of data to copy in a rebuild.
    pub size: u64,
    /// Members holding the replicas at the start, in member indices.
    pub placement: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Longhorn {
    pub nodes: usize,
    pub volumes: Vec<Volume>,
    /// Declared with `volumes`: per-volume outputs and data-loss counts.
    pub named: bool,
    pub throughput: u64,
    pub wait: Nanos,
    /// `concurrent-replica-rebuild-per-node-limit`; 0 disables rebuilding.
    pub rebuild_limit: usize,
    pub auto_salvage: bool,
    pub restore: Dist,
}

/// The scheduler's choice among `candidates` on equal disks: the member
/// with the fewest bytes of replicas scheduled on it (`load`).
fn least_loaded(load: &[u64], candidates: impl Iterator<Item = usize>) -> Option<usize> {
    // Strictly fewer bytes wins, so ties keep the first member in order.
    candidates.fold(None, |best: Option<usize>, m| match best {
        Some(b) if load[b] <= load[m] => Some(b),
        _ => Some(m),
    })
}

impl Longhorn {
    pub fn from_fields(
        f: &mut Fields<'_, '_>,
        inputs: &mut Inputs<'_>,
    ) -> Result<Self, Diagnostic> {
        let n = inputs.n_members();
        let names: Vec<String> = inputs.refs[..n]
            .iter()
            .map(|(m, _)| m.to_string())
            .collect();
        // numberOfReplicas 3 (longhorn-manager types/setting.go).
        let replicas = f.int("numberOfReplicas", 1, 20)?.unwrap_or(3) as usize;
        let too_many = |f: &Fields<'_, '_>, at: crate::model::tree::Span, r: usize| {
            f.src
                .error(
                    at,
                    format!("{r} replicas need {r} storage nodes, but there are {n} members"),
                )
                .with_help("replicas go on distinct nodes (replica node soft anti-affinity is false by default)")
        };
        if replicas > n {
            let at = f
                .raw("numberOfReplicas")
                .map_or(f.span.clone(), |v| v.span.clone());
            return Err(too_many(f, at, replicas));
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
        // concurrent-replica-rebuild-per-node-limit 5 (setting.go,
        // SettingDefinitionConcurrentReplicaRebuildPerNodeLimit); 0 disables
        // rebuilding. Longhorn takes any non-negative integer.
        let rebuild_limit = f
            .int("concurrent-replica-rebuild-per-node-limit", 0, 1_000_000)?
            .unwrap_or(5) as usize;
        // auto-salvage true (setting.go).
        let auto_salvage = f.bool("auto-salvage")?.unwrap_or(true);
        // ASSUMPTION: restoring a volume from backup takes a few hours of
        // a home-lab operator's time.
        let restore = f.dist("restore_time")?.unwrap_or(Dist::Lognormal {
            mu: libm::log(3.0 * NANOS_PER_HOUR as f64),
            sigma: 0.8,
        });

        // The volumes: one unnamed volume from the keys above, or a list.
        let list = f.raw("volumes").map(|v| v.span.clone());
        let named = list.is_some();
        let tables = f.tables("volumes")?.unwrap_or_default();
        if let Some(at) = list {
            if tables.is_empty() {
                return Err(f
                    .src
                    .error(at, "`volumes` lists no volume")
                    .with_help("add for example `volumes = [{ name = \"pg-data\", size = \"50Gi\" }]`, or remove it for one volume"));
            }
            if tables.len() > MAX_VOLUMES {
                return Err(f
                    .src
                    .error(
                        at,
                        format!(
                            "a longhorn cluster model supports at most {MAX_VOLUMES} volumes, this one lists {}",
                            tables.len()
                        ),
                    )
                    .with_help("split the volumes over several longhorn clusters (the rebuild limit then applies per cluster)"));
            }
        }
        let mut volumes: Vec<Volume> = Vec::new();
        // Bytes of replicas scheduled per member, for default placement.
        let mut load = vec![0u64; n];
        if !named {
            volumes.push(Volume {
                name: "volume".into(),
                replicas,
                size,
                placement: Vec::new(),
            });
        }
        // Output names already taken, to keep every name unique.
        let mut taken: Vec<String> = vec!["up".into(), "healthy".into()];
        for t in tables {
            let path = format!("{}.volumes[{}]", f.path, volumes.len());
            let mut vf = Fields::new(f.src, t, path)?;
            let (name, nv) = super::entry_name(&mut vf, "volume", "\"pg-data\"")?;
            let healthy_name = format!("{name}-healthy");
            if taken.iter().any(|o| *o == name || *o == healthy_name) {
                return Err(f
                    .src
                    .error(
                        nv.span.clone(),
                        format!("volume name `{name}` clashes with an output of this cluster"),
                    )
                    .with_help(format!(
                        "each volume gives the outputs `{name}` and `{healthy_name}`; taken so far: {}",
                        taken.join(", ")
                    )));
            }
            let r = vf
                .int("numberOfReplicas", 1, 20)?
                .map_or(replicas, |x| x as usize);
            if r > n {
                let at = vf
                    .raw("numberOfReplicas")
                    .map_or(t.span.clone(), |v| v.span.clone());
                return Err(too_many(&vf, at, r));
            }
            let vsize =
                super::quantity(&mut vf, "size", super::BYTES, super::parse_bytes)?.unwrap_or(size);
            let placement = match vf.strings("nodes")? {
                None => Vec::new(),
                Some(list) => {
                    let mut placed = Vec::new();
                    for (s, v) in &list {
                        let m = super::member_index(f, &names, s, v)?;
                        if placed.contains(&m) {
                            return Err(f
                                .src
                                .error(v.span.clone(), format!("`{s}` is listed twice"))
                                .with_help("a volume's replicas go on distinct nodes"));
                        }
                        placed.push(m);
                    }
                    if placed.len() != r {
                        let at = vf.raw("nodes").map_or(t.span.clone(), |v| v.span.clone());
                        return Err(f.src.error(
                            at,
                            format!(
                                "volume `{name}` lists {} nodes for {r} replicas (numberOfReplicas)",
                                placed.len()
                            ),
                        ));
                    }
                    placed
                }
            };
            vf.finish(&crate::cluster::key_names(VOLUME_KEYS))?;
            taken.push(name.to_string());
            taken.push(healthy_name);
            volumes.push(Volume {
                name: name.to_string(),
                replicas: r,
                size: vsize,
                placement,
            });
        }
        // Default placement, volume by volume in order, as the scheduler
        // would do it on equal disks: most usable storage first.
        for vol in volumes.iter_mut() {
            if vol.placement.is_empty() {
                for _ in 0..vol.replicas {
                    let free = (0..n).filter(|m| !vol.placement.contains(m));
                    if let Some(m) = least_loaded(&load, free) {
                        vol.placement.push(m);
                    }
                }
            }
            for m in &vol.placement {
                load[*m] += vol.size;
            }
        }
        Ok(Longhorn {
            nodes: n,
            volumes,
            named,
            throughput,
            wait,
            rebuild_limit,
            auto_salvage,
            restore,
        })
    }

    /// size / rebuild_throughput for volume `v`.
    pub fn rebuild_time(&self, v: usize) -> Nanos {
        (u128::from(self.volumes[v].size) * u128::from(NANOS_PER_SEC) / u128::from(self.throughput))
            .min(u128::from(u64::MAX / 4)) as Nanos
    }
}

impl ClusterKind for Longhorn {
    /// No rule: a volume is up while some replica is healthy, and which
    /// replicas are healthy depends on history (a replica that missed
    /// writes stays stale until rebuilt, rebuilds move replicas to other
    /// nodes and take time), not only on which nodes are up now.
    fn structure(&self, _output: usize) -> Result<crate::cluster::Structure, String> {
        Err("a volume's health depends on which replicas missed writes and where they were rebuilt (history), not only on which nodes are up now".to_string())
    }
    fn kind(&self) -> &'static str {
        "longhorn"
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["up", "healthy"]
    }
    fn output_names(&self) -> Vec<String> {
        let mut out: Vec<String> = self.outputs().iter().map(|o| o.to_string()).collect();
        if self.named {
            for v in &self.volumes {
                out.push(v.name.clone());
                out.push(format!("{}-healthy", v.name));
            }
        }
        out
    }
    fn data_sets(&self) -> usize {
        if self.named {
            self.volumes.len()
        } else {
            0
        }
    }
    fn output_data_set(&self, i: usize) -> Option<usize> {
        (self.named && i >= 2).then(|| (i - 2) / 2)
    }
    fn lint(&self) -> Vec<Lint> {
        let mut out = Vec::new();
        if self.rebuild_limit == 0 {
            out.push(Lint {
                id: "longhorn-rebuild-disabled",
                message: "`concurrent-replica-rebuild-per-node-limit = 0` disables replica rebuilding: a degraded volume never gets its replicas back".into(),
                rule: "longhorn-manager types/setting.go: \"when the value is 0, it means disabling the replica rebuilding\"; volume_controller.go replenishReplicas then skips replenishment".into(),
            });
        }
        out
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        Box::new(LhState {
            cfg: self.clone(),
            up: vec![true; self.nodes],
            vols: self
                .volumes
                .iter()
                .map(|v| Vol {
                    rep: (0..self.nodes)
                        .map(|m| {
                            if v.placement.contains(&m) {
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
                })
                .collect(),
            running: vec![0; self.nodes],
            queue: Vec::new(),
            started: false,
            timers: Timers::new(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rep {
    None,
    Healthy,
    /// Scheduled, waiting for a rebuild slot on its member.
    Queued,
    Rebuilding(Timer),
    /// On a down member: stale, may be reused when it returns.
    Failed,
}

struct Vol {
    rep: Vec<Rep>,
    faulted: bool,
    /// The member whose replica failed last (the freshest data).
    last_failed: Option<usize>,
    restore: Option<Timer>,
    /// The restore finished while no member was up.
    restore_due: bool,
    degraded_since: Option<Nanos>,
    replenish: Option<Timer>,
}

impl Vol {
    fn count(&self, f: impl Fn(Rep) -> bool) -> usize {
        self.rep.iter().filter(|r| f(**r)).count()
    }
    /// Replicas that are or will be healthy without a new replica.
    fn active(&self) -> usize {
        self.count(|x| matches!(x, Rep::Healthy | Rep::Queued | Rep::Rebuilding(_)))
    }
}

struct LhState {
    cfg: Longhorn,
    up: Vec<bool>,
    vols: Vec<Vol>,
    /// Per member: rebuilds running with it as the receiving node.
    running: Vec<usize>,
    /// Rebuilds waiting for a slot, as (requested at, volume, member),
    /// sorted: the order in which they start; with whether the timeline
    /// already said it waits.
    queue: Vec<((Nanos, usize, usize), bool)>,
    started: bool,
    timers: Timers<LhTimer>,
}

/// What a Longhorn timer is for.
#[derive(Debug, Clone, Copy)]
enum LhTimer {
    /// Volume `volume`'s replica on member `member` finished rebuilding.
    Rebuilt { volume: usize, member: usize },
    /// Volume `volume`'s replica-replenishment wait ran out.
    Replenish { volume: usize },
    /// Volume `volume`'s restore from backup finished.
    Restore { volume: usize },
}

impl LhState {
    /// The volume's name for the timeline (empty for a single volume).
    fn label(&self, cx: &ClusterCx<'_>, v: usize) -> String {
        if self.cfg.named && cx.tracing() {
            format!("volume {}: ", self.cfg.volumes[v].name)
        } else {
            String::new()
        }
    }

    /// Asks for a rebuild of volume `v` on member `m`: it waits for a slot
    /// on `m` ([`LhState::start_queued`] starts it).
    fn request(&mut self, cx: &mut ClusterCx<'_>, v: usize, m: usize) {
        self.vols[v].rep[m] = Rep::Queued;
        let key = (cx.now(), v, m);
        let at = self.queue.partition_point(|q| q.0 < key);
        self.queue.insert(at, (key, false));
    }

    /// Starts waiting rebuilds, in queue order, whose member has a free
    /// slot.
    fn start_queued(&mut self, cx: &mut ClusterCx<'_>) {
        let limit = self.cfg.rebuild_limit;
        let mut i = 0;
        while i < self.queue.len() {
            let ((since, v, m), told) = self.queue[i];
            if self.running[m] >= limit {
                if !told {
                    self.queue[i].1 = true;
                    let (who, label) = (super::name(cx, m), self.label(cx, v));
                    cx.trace(|| {
                        format!("{label}rebuild on {who} waits for a slot: {limit} already running there (concurrent-replica-rebuild-per-node-limit)")
                    });
                }
                i += 1;
                continue;
            }
            self.queue.remove(i);
            self.running[m] += 1;
            let d = self.cfg.rebuild_time(v);
            self.vols[v].rep[m] = Rep::Rebuilding(self.timers.schedule(
                cx,
                d,
                LhTimer::Rebuilt {
                    volume: v,
                    member: m,
                },
            ));
            let (who, label) = (super::name(cx, m), self.label(cx, v));
            let waited = cx.now() - since;
            cx.trace(|| {
                let queued = if waited > 0 {
                    format!(" (after waiting {} for a slot)", Human(waited))
                } else {
                    String::new()
                };
                format!("{label}rebuilding a replica on {who}: {}{queued}", Human(d))
            });
        }
    }

    /// Stops a waiting or running rebuild of volume `v` on member `m`,
    /// freeing its slot, and leaves the replica as `to`.
    fn stop_rebuild(&mut self, cx: &mut ClusterCx<'_>, v: usize, m: usize, to: Rep) {
        match self.vols[v].rep[m] {
            Rep::Rebuilding(id) => {
                self.timers.cancel(cx, id);
                self.running[m] -= 1;
            }
            Rep::Queued => self.queue.retain(|q| (q.0 .1, q.0 .2) != (v, m)),
            _ => return,
        }
        self.vols[v].rep[m] = to;
    }

    /// Bytes of replicas scheduled on each member, over every volume.
    fn load(&self) -> Vec<u64> {
        let mut load = vec![0; self.up.len()];
        for (v, vol) in self.vols.iter().enumerate() {
            for (m, r) in vol.rep.iter().enumerate() {
                if *r != Rep::None {
                    load[m] += self.cfg.volumes[v].size;
                }
            }
        }
        load
    }

    fn recover_from(&mut self, cx: &mut ClusterCx<'_>, v: usize, members: Vec<usize>, how: &str) {
        let vol = &mut self.vols[v];
        vol.faulted = false;
        if let Some(id) = vol.restore.take() {
            self.timers.cancel(cx, id);
        }
        vol.restore_due = false;
        for r in vol.rep.iter_mut() {
            *r = Rep::None;
        }
        for m in members {
            vol.rep[m] = Rep::Healthy;
        }
        vol.degraded_since = None;
        let how = format!("{}volume {how}", self.label(cx, v));
        cx.trace(|| how);
    }

    fn settle(&mut self, cx: &mut ClusterCx<'_>) {
        for v in 0..self.vols.len() {
            self.settle_volume(cx, v);
        }
        self.start_queued(cx);
        self.publish(cx);
    }

    fn settle_volume(&mut self, cx: &mut ClusterCx<'_>, v: usize) {
        let r = self.cfg.volumes[v].replicas;
        if self.vols[v].faulted {
            if self.cfg.auto_salvage {
                let last = self.vols[v].last_failed.filter(|m| self.up[*m]);
                if let Some(m) = last {
                    self.recover_from(
                        cx,
                        v,
                        vec![m],
                        "salvaged from the last replica (auto-salvage): no data lost",
                    );
                }
            }
            if self.vols[v].faulted && self.vols[v].restore_due {
                // A restored volume is a new volume: its old replicas are
                // gone and the new ones are scheduled like any other.
                for x in self.vols[v].rep.iter_mut() {
                    *x = Rep::None;
                }
                let mut load = self.load();
                let mut live: Vec<usize> = Vec::new();
                for _ in 0..r {
                    let pick = least_loaded(
                        &load,
                        (0..self.up.len()).filter(|m| self.up[*m] && !live.contains(m)),
                    );
                    if let Some(m) = pick {
                        load[m] += self.cfg.volumes[v].size;
                        live.push(m);
                    }
                }
                if !live.is_empty() {
                    if self.cfg.named {
                        cx.data_loss_in(v);
                    } else {
                        cx.data_loss();
                    }
                    self.recover_from(
                        cx,
                        v,
                        live,
                        "restored from backup: writes since the last backup are lost",
                    );
                }
            }
            if self.vols[v].faulted {
                return;
            }
        }
        if self.vols[v].count(|x| x == Rep::Healthy) == 0 {
            self.vols[v].faulted = true;
            for m in 0..self.up.len() {
                self.stop_rebuild(cx, v, m, Rep::None);
            }
            if let Some(id) = self.vols[v].replenish.take() {
                self.timers.cancel(cx, id);
            }
            let d = cx.sample(&self.cfg.restore);
            let label = self.label(cx, v);
            cx.trace(|| {
                format!(
                    "{label}no healthy replica left: volume Faulted; restore from backup would take {}",
                    Human(d)
                )
            });
            self.vols[v].restore =
                Some(self.timers.schedule(cx, d, LhTimer::Restore { volume: v }));
            return;
        }
        let now = cx.now();
        // Rebuilding disabled (limit 0): replenishReplicas returns before
        // reusing or creating any replica.
        if self.vols[v].active() < r && self.cfg.rebuild_limit > 0 {
            let since = *self.vols[v].degraded_since.get_or_insert(now);
            // A failed replica whose node is back is reused at once.
            for m in 0..self.up.len() {
                if self.vols[v].active() < r && self.vols[v].rep[m] == Rep::Failed && self.up[m] {
                    self.request(cx, v, m);
                }
            }
            if self.vols[v].active() < r {
                if now >= since + self.cfg.wait {
                    while self.vols[v].active() < r {
                        let load = self.load();
                        let vol = &self.vols[v];
                        let pick = least_loaded(
                            &load,
                            (0..self.up.len()).filter(|m| vol.rep[*m] == Rep::None && self.up[*m]),
                        );
                        let Some(m) = pick else { break };
                        // The new replica replaces a failed one.
                        if let Some(old) = vol.rep.iter().position(|x| *x == Rep::Failed) {
                            self.vols[v].rep[old] = Rep::None;
                        }
                        self.request(cx, v, m);
                    }
                } else if self.vols[v].replenish.is_none() {
                    self.vols[v].replenish = Some(self.timers.schedule(
                        cx,
                        since + self.cfg.wait - now,
                        LhTimer::Replenish { volume: v },
                    ));
                }
            }
        }
        if self.vols[v].count(|x| x == Rep::Healthy) >= r {
            self.vols[v].degraded_since = None;
            if let Some(id) = self.vols[v].replenish.take() {
                self.timers.cancel(cx, id);
            }
        }
    }

    fn publish(&mut self, cx: &mut ClusterCx<'_>) {
        let (mut all_up, mut all_healthy) = (true, true);
        for (v, vol) in self.vols.iter().enumerate() {
            let healthy = vol.count(|x| x == Rep::Healthy);
            let up = !vol.faulted && healthy > 0;
            let full = !vol.faulted && healthy >= self.cfg.volumes[v].replicas;
            all_up &= up;
            all_healthy &= full;
            if self.cfg.named {
                cx.set_output(2 + 2 * v, up);
                cx.set_output(3 + 2 * v, full);
            }
        }
        cx.set_output(0, all_up);
        cx.set_output(1, all_healthy);
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
                for v in 0..self.vols.len() {
                    if self.vols[v].rep[m] == Rep::Healthy {
                        self.vols[v].rep[m] = Rep::Failed;
                        self.vols[v].last_failed = Some(m);
                    } else {
                        self.stop_rebuild(cx, v, m, Rep::Failed);
                    }
                }
            }
        }
        self.settle(cx);
    }

    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: TimerTag) {
        match self.timers.fired(tag) {
            LhTimer::Rebuilt {
                volume: v,
                member: m,
            } => {
                self.vols[v].rep[m] = Rep::Healthy;
                self.running[m] -= 1;
                let (who, label) = (super::name(cx, m), self.label(cx, v));
                cx.trace(|| format!("{label}replica on {who} rebuilt"));
            }
            LhTimer::Replenish { volume: v } => self.vols[v].replenish = None,
            LhTimer::Restore { volume: v } => {
                self.vols[v].restore = None;
                self.vols[v].restore_due = true;
            }
        }
        self.settle(cx);
    }
}
