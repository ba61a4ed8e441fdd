//! Proxmox VE HA (`kind = "proxmox-ha"`).
//!
//! The members are the Proxmox hosts (corosync nodes). `vms` lists the HA
//! resources (`ha-manager add vm:100`): each gets its own output, up while
//! the VM runs somewhere, after `quorum` (the first output). A VM that is
//! not HA-managed is a plain `[vms.X] host = "..."` element: it stays down
//! until its host returns.
//!
//! Timeline of a host crash (pve-ha-manager, pve-docs "High Availability",
//! HA-FACTS section 7):
//!
//! - corosync notices the lost node after the token timeout plus consensus:
//!   effective token = `token` + (nodes - 2) * `token_coefficient` for three
//!   nodes or more, consensus = 1.2 * token (corosync.conf(5)); the
//!   membership, and so the vote count, changes then;
//! - the dead node's LRM renewed its agent lock U(0, `lrm_loop`) before the
//!   crash; the lock expires `lock_timeout` (120 s) after that renewal, and
//!   only then may the CRM recover its services (fencing by lock expiry);
//! - the CRM notices on its next round (U(0, `crm_loop`)), picks a target in
//!   the VM's HA group, and the target's LRM starts the VM on its next round
//!   (U(0, `lrm_loop`)), then the guest boots (`boot`). That is the
//!   documented "about 2 minutes" plus boot time.
//!
//! Quorum: one vote per node plus one for a `qdevice` (corosync-qdevice,
//! pve-docs "Corosync External Vote Support"); quorum is a strict majority.
//! A node that loses quorum while it runs HA services self-fences through
//! the watchdog `watchdog` (60 s, `CLIENT_WATCHDOG_TIMEOUT`) later: its HA
//! VMs stop. Without quorum nothing is recovered or started. A two-node
//! cluster without a QDevice therefore loses quorum, and after 60 s every
//! HA VM, when either node dies.
//!
//! Placement: `crs = "basic"` (the default `crs: ha=basic` of
//! datacenter.cfg) picks the online node of the highest group priority with
//! the fewest HA services, ignoring CPU and memory; if the VM does not fit
//! (`cores`, `memory` against `host_cores`, `host_memory`, counting the HA
//! VMs already there) its start fails, is retried `max_restart` times on
//! that node (one LRM round each) and then relocated, at most
//! `max_relocate` times; after that the VM is in the `error` state and
//! stays down until its original host returns (an operator clears it; an
//! assumption). `crs = "static"` (PVE 7.3+) only picks nodes with room. A
//! VM with no node with room stays down (in recovery) until one appears;
//! the timeline says so.
//!
//! `group` is the HA group's node list in priority order (highest first);
//! when set (and `nofailback` is false, the pve-docs default) a VM moves back
//! to a higher-priority node when it returns, by live migration (no
//! downtime in this model).
//!
//! A group is unrestricted unless `restricted = true`, as in pve-ha-manager
//! (`restricted`, default 0, src/PVE/HA/Groups.pm; pve-docs ha-manager
//! "Groups": "Resources on unrestricted groups may run on any cluster node
//! if all group members are offline, but they will migrate back as soon as
//! a group member comes online"). While no node of an unrestricted group is
//! online the CRM recovers the VM on any other online node, by the same
//! `crs` rule, and moves it back to a member as soon as one returns, unless
//! `nofailback`: then it stays where it runs (`select_service_node` keeps a
//! service on its current node when failback is off and the node is
//! allowed, and an unrestricted group allows every node). A restricted
//! group's VM stays stopped until a member is online. This corrects
//! HA-FACTS section 7 ("HA groups restrict target nodes"), which holds
//! only for restricted groups.
//!
//! PVE 9 replaced HA groups by node-affinity rules and migrates each group
//! to one (`migrate_groups_to_rules` in Groups.pm): the rule's `nodes` are
//! the group's, its `strict` is the group's `restricted`, and the
//! resource's `failback` is `!nofailback` (a non-strict rule adds every
//! other node at priority -1, src/PVE/HA/Rules/NodeAffinity.pm
//! `plugin_compile`). A node-affinity rule is therefore written here as a
//! `group`, with `restricted = true` for `strict 1` and `nofailback = true`
//! for `failback 0`.
//!
//! Planned stops follow `shutdown_policy` (pve-docs "Shutdown Policy",
//! default `conditional`, where a reboot freezes the services on the
//! node): `conditional`/`freeze` keep the VMs down until the host is back;
//! `failover` treats the stop like a crash; `migrate` live-migrates them to
//! nodes with room first.
//!
//! Simplifications: the CRM master role is not modelled separately (its
//! manager lock expires on the same 120 s scale), corosync joins are
//! instantaneous, and all surviving nodes share one membership (no
//! partitions).

use crate::cluster::{
    ClusterCx, ClusterKind, ClusterState, Inputs, Lint, PlacedItem, Placement, Shortfall, Timer,
    TimerTag, Timers,
};
use crate::cluster::{KeyDefault as D, KeySpec, KeyType as T};
use crate::dist::Dist;
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::protocols::below;
use crate::time::{Human, Nanos, NANOS_PER_MILLI, NANOS_PER_SEC};

/// Keys of a Proxmox HA cluster, with corosync's and pve-ha-manager's
/// defaults.
pub const KEYS: &[KeySpec] = &[
    KeySpec::new("qdevice", T::Ref, D::Follows("none"), "The element of a QDevice (corosync-qdevice, one extra vote)."),
    KeySpec::new("token", T::Duration, D::Is("3000ms"), "corosync `token` timeout (corosync.conf(5), 3000 ms)."),
    KeySpec::new("token_coefficient", T::Duration, D::Is("650ms"), "Added to `token` per node beyond two (corosync.conf(5), 650 ms; new clusters may set 125 ms)."),
    KeySpec::new("watchdog", T::Duration, D::Is("60s"), "Self-fencing watchdog (pve-ha-manager CLIENT_WATCHDOG_TIMEOUT, 60 s)."),
    KeySpec::new("lock_timeout", T::Duration, D::Is("120s"), "A dead node's LRM lock lifetime before its VMs are recovered (120 s)."),
    KeySpec::new("crm_loop", T::Duration, D::Is("10s"), "CRM round (about 10 s, HA-FACTS section 7)."),
    KeySpec::new("lrm_loop", T::Duration, D::Is("10s"), "LRM round (about 10 s)."),
    KeySpec::new("max_restart", T::Int { min: 0, max: 100 }, D::Is("1"), "Restarts on the same node after a failed start (pve-docs ha-manager, 1)."),
    KeySpec::new("max_relocate", T::Int { min: 0, max: 100 }, D::Is("1"), "Relocations after failed restarts (pve-docs ha-manager, 1)."),
    KeySpec::new("crs", T::Choice(&["basic", "static"]), D::Is("basic"), "Cluster resource scheduler (datacenter.cfg(5) `crs: ha=basic`)."),
    KeySpec::new("shutdown_policy", T::Choice(&["conditional", "freeze", "failover", "migrate"]), D::Is("conditional"), "What a node shutdown does to its HA VMs (pve-docs \"Shutdown Policy\": conditional; a reboot freezes)."),
    KeySpec::new("host_cores", T::PerMemberInt { min: 1, max: 1_000_000 }, D::Follows("unlimited"), "Cores of each node."),
    KeySpec::new("host_memory", T::PerMemberInt { min: 1, max: i64::MAX / 2 }, D::Follows("unlimited"), "Memory of each node in MiB."),
    KeySpec::new("boot", T::Dist, D::Is("uniform(20s, 45s)"), "Guest boot time (ASSUMPTION: a Linux guest)."),
    KeySpec::new("vms", T::Tables(VM_KEYS), D::Follows("none"), "The HA VMs, each with its own output."),
];

/// `kind = "proxmox-ha"` in the model format.
pub const SPEC: crate::cluster::KindSpec = crate::cluster::KindSpec {
    name: "proxmox-ha",
    summary: "Proxmox VE HA: corosync quorum, self-fencing and the CRM restarting HA VMs on surviving nodes.",
    keys: KEYS,
    lints: &[
        crate::cluster::LintInfo { id: "proxmox-two-node-without-qdevice", meaning: "Two nodes without a QDevice: either node's loss costs quorum and the survivor self-fences its HA VMs." },
        crate::cluster::LintInfo { id: "proxmox-no-room-after-failure", meaning: "After one node fails, an HA VM has no node with room to restart on." },
        crate::cluster::LintInfo { id: "proxmox-restricted-group-no-spare", meaning: "An HA VM's restricted group has no other node to restart it on." },
    ],
    build,
};

fn build<'t>(
    f: &mut Fields<'t, '_>,
    inputs: &mut Inputs<'t>,
) -> Result<std::sync::Arc<dyn ClusterKind>, Diagnostic> {
    Ok(std::sync::Arc::new(ProxmoxHa::from_fields(f, inputs)?))
}

/// Keys of one entry of `vms`.
pub const VM_KEYS: &[KeySpec] = &[
    KeySpec::new(
        "name",
        T::Text,
        D::Required,
        "The VM's name, which names its output.",
    ),
    KeySpec::new(
        "home",
        T::Ref,
        D::Follows("the first node of its group"),
        "The node it runs on at the start.",
    ),
    KeySpec::new(
        "group",
        T::Refs,
        D::Follows("every node"),
        "Its HA group's nodes, in priority order.",
    ),
    KeySpec::new(
        "nofailback",
        T::Bool,
        D::Is("false"),
        "Stay on the recovery node when a preferred one is back (groups.cfg `nofailback`).",
    ),
    KeySpec::new(
        "restricted",
        T::Bool,
        D::Is("false"),
        "Run only on the group's nodes (groups.cfg `restricted`).",
    ),
    KeySpec::new(
        "cores",
        T::Int {
            min: 1,
            max: 1_000_000,
        },
        D::Is("1"),
        "qm(1) `cores` (default 1).",
    ),
    KeySpec::new(
        "memory",
        T::Int {
            min: 16,
            max: i64::MAX / 2,
        },
        D::Is("512"),
        "qm(1) `memory` in MiB (default 512).",
    ),
    KeySpec::new(
        "boot",
        T::Dist,
        D::Follows("the cluster's boot"),
        "This guest's boot time.",
    ),
    KeySpec::new(
        "max_restart",
        T::Int { min: 0, max: 100 },
        D::Follows("the cluster's max_restart"),
        "resources.cfg `max_restart`.",
    ),
    KeySpec::new(
        "max_relocate",
        T::Int { min: 0, max: 100 },
        D::Follows("the cluster's max_relocate"),
        "resources.cfg `max_relocate`.",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    Basic,
    Static,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownPolicy {
    Freeze,
    Failover,
    Migrate,
}

#[derive(Debug, Clone)]
pub struct HaVm {
    pub name: String,
    pub home: usize,
    /// Allowed nodes in priority order.
    pub group: Vec<usize>,
    /// A group with priorities was given: fail back to better nodes.
    pub failback: bool,
    /// The group is restricted: the VM never runs outside it. When false
    /// (the pve-ha-manager default) and no member is online, any other
    /// online node may take it.
    pub restricted: bool,
    pub cores: u64,
    /// MiB, as in qm.conf.
    pub memory: u64,
    pub boot: Dist,
    pub max_restart: u64,
    pub max_relocate: u64,
}

impl HaVm {
    /// The nodes the CRM may place this VM on, given which nodes are
    /// available (online, and not the one it leaves): the available
    /// members of its HA group in group order; when none is available and
    /// the group is unrestricted, every other available node in model
    /// order. pve-ha-manager adds the non-members of an unrestricted group
    /// at priority -1, below every member, and places a service only on
    /// the highest priority class with an online node (src/PVE/HA/Manager.pm
    /// `get_node_priority_groups` and `select_service_node`; PVE 9:
    /// src/PVE/HA/Rules/NodeAffinity.pm `plugin_compile`), so non-members
    /// serve only while the whole group is down.
    pub fn eligible(&self, nodes: usize, available: impl Fn(usize) -> bool) -> Vec<usize> {
        let members: Vec<usize> = self
            .group
            .iter()
            .copied()
            .filter(|n| available(*n))
            .collect();
        if !members.is_empty() || self.restricted {
            return members;
        }
        (0..nodes)
            .filter(|n| available(*n) && !self.group.contains(n))
            .collect()
    }
}

/// An HA VM that would have no node to restart on after one node failure,
/// by the rule of [`ProxmoxHa::n1_shortfalls`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct N1Shortfall {
    /// The node whose failure leaves it without a place.
    pub failed: usize,
    pub vm: usize,
    /// Which nodes it could have gone to: none (a restricted group with no
    /// other member), the other members of its group, or, for an
    /// unrestricted group with no other member, every other node.
    pub scope: N1Scope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum N1Scope {
    /// Its restricted group has no other node.
    Restricted,
    /// The other nodes of its group have no room.
    Group,
    /// Its unrestricted group has no other node, and no other node has room.
    AnyNode,
}

#[derive(Debug, Clone)]
pub struct ProxmoxHa {
    pub nodes: usize,
    /// The members' names, for messages.
    pub node_names: Vec<String>,
    pub qdevice: Option<usize>,
    /// Effective token timeout.
    pub token: Nanos,
    pub watchdog: Nanos,
    pub lock_timeout: Nanos,
    pub crm_loop: Nanos,
    pub lrm_loop: Nanos,
    pub crs: Crs,
    pub shutdown: ShutdownPolicy,
    pub host_cores: Vec<u64>,
    pub host_memory: Vec<u64>,
    pub vms: Vec<HaVm>,
}

impl ProxmoxHa {
    pub fn from_fields<'t>(
        f: &mut Fields<'t, '_>,
        inputs: &mut Inputs<'t>,
    ) -> Result<Self, Diagnostic> {
        let n = inputs.n_members();
        let node_names: Vec<String> = inputs.refs[..n]
            .iter()
            .map(|(name, _)| name.to_string())
            .collect();
        let qdevice = f.string("qdevice")?.map(|(name, v)| inputs.add(name, v));
        // corosync.conf(5): token 3000 ms; token_coefficient 650 ms, added
        // per node beyond two (pve-docs; new clusters may set 125 ms).
        let token = f.duration("token")?.unwrap_or(3000 * NANOS_PER_MILLI);
        let coefficient = f
            .duration("token_coefficient")?
            .unwrap_or(650 * NANOS_PER_MILLI);
        let token = token + (n.saturating_sub(2) as u64) * coefficient;
        // pve-ha-manager: CLIENT_WATCHDOG_TIMEOUT 60 s; agent lock lifetime
        // 120 s; CRM and LRM rounds about every 10 s (HA-FACTS section 7).
        let watchdog = f.duration("watchdog")?.unwrap_or(60 * NANOS_PER_SEC);
        let lock_timeout = f.duration("lock_timeout")?.unwrap_or(120 * NANOS_PER_SEC);
        let crm_loop = f.duration("crm_loop")?.unwrap_or(10 * NANOS_PER_SEC);
        let lrm_loop = f.duration("lrm_loop")?.unwrap_or(10 * NANOS_PER_SEC);
        // pve-docs ha-manager: max_restart 1, max_relocate 1.
        let max_restart = f.int("max_restart", 0, 100)?.unwrap_or(1) as u64;
        let max_relocate = f.int("max_relocate", 0, 100)?.unwrap_or(1) as u64;
        // datacenter.cfg(5): `crs: ha=basic` by default.
        let crs = match f.string("crs")? {
            None | Some(("basic", _)) => Crs::Basic,
            Some(("static", _)) => Crs::Static,
            Some((other, v)) => {
                return Err(f
                    .src
                    .error(v.span.clone(), format!("unknown crs mode `{other}`"))
                    .with_help("use \"basic\" (service count) or \"static\" (CPU and memory)"))
            }
        };
        // pve-docs "Shutdown Policy": default `conditional` (a reboot freezes).
        let shutdown = match f.string("shutdown_policy")? {
            None | Some(("conditional" | "freeze", _)) => ShutdownPolicy::Freeze,
            Some(("failover", _)) => ShutdownPolicy::Failover,
            Some(("migrate", _)) => ShutdownPolicy::Migrate,
            Some((other, v)) => {
                return Err(f
                    .src
                    .error(v.span.clone(), format!("unknown shutdown_policy `{other}`"))
                    .with_help("use \"conditional\", \"freeze\", \"failover\" or \"migrate\""))
            }
        };
        // Host capacity: unlimited unless given (cores, memory in MiB).
        let host_cores = super::per_member_ints(f, "host_cores", n, 1, 1_000_000)?
            .map_or(vec![u64::MAX; n], |v| {
                v.into_iter().map(|x| x as u64).collect()
            });
        let host_memory = super::per_member_ints(f, "host_memory", n, 1, i64::MAX / 2)?
            .map_or(vec![u64::MAX; n], |v| {
                v.into_iter().map(|x| x as u64).collect()
            });
        // ASSUMPTION: a Linux guest boots in about 30 s (no source; set `boot`).
        let boot = f.dist("boot")?.unwrap_or(Dist::Uniform {
            min: 20 * NANOS_PER_SEC,
            max: 45 * NANOS_PER_SEC,
        });
        let names: Vec<String> = inputs.refs[..n]
            .iter()
            .map(|(m, _)| m.to_string())
            .collect();
        let mut vms = Vec::new();
        for t in f.tables("vms")?.unwrap_or_default() {
            let mut vf = Fields::new(f.src, t, format!("{}.vms[{}]", f.path, vms.len()))?;
            let (name, nv) = super::entry_name(&mut vf, "VM", "\"nextcloud\"")?;
            if name == "quorum" || vms.iter().any(|v: &HaVm| v.name == name) {
                return Err(f.src.error(
                    nv.span.clone(),
                    format!("VM name `{name}` is used twice (or is `quorum`)"),
                ));
            }
            let node =
                |s: &str, v: &crate::model::tree::Value| super::member_index(f, &names, s, v);
            let group_given = vf.raw("group").is_some();
            let group = match vf.strings("group")? {
                Some(list) if !list.is_empty() => list
                    .iter()
                    .map(|(s, v)| node(s, v))
                    .collect::<Result<Vec<_>, _>>()?,
                _ => (0..n).collect(),
            };
            let home = match vf.string("home")? {
                Some((s, v)) => node(s, v)?,
                None => group[0],
            };
            if !group.contains(&home) {
                return Err(f.src.error(
                    t.span.clone(),
                    format!("VM `{name}`: `home` is not in its `group`"),
                ));
            }
            let nofailback = vf.bool("nofailback")?.unwrap_or(false);
            // pve-ha-manager src/PVE/HA/Groups.pm: `restricted` defaults to
            // 0, and so does a PVE 9 node-affinity rule's `strict`
            // (src/PVE/HA/Rules/NodeAffinity.pm). Without a `group` every
            // node is a member, so it changes nothing.
            let restricted = vf.bool("restricted")?.unwrap_or(false);
            // qm(1): cores 1, memory 512 MiB by default.
            let cores = vf.int("cores", 1, 1_000_000)?.unwrap_or(1) as u64;
            let memory = vf.int("memory", 16, i64::MAX / 2)?.unwrap_or(512) as u64;
            let vboot = vf.dist("boot")?.unwrap_or_else(|| boot.clone());
            let vmr = vf
                .int("max_restart", 0, 100)?
                .map_or(max_restart, |x| x as u64);
            let vml = vf
                .int("max_relocate", 0, 100)?
                .map_or(max_relocate, |x| x as u64);
            vf.finish(&crate::cluster::key_names(VM_KEYS))?;
            vms.push(HaVm {
                name: name.to_string(),
                home,
                group,
                failback: group_given && !nofailback,
                restricted,
                cores,
                memory,
                boot: vboot,
                max_restart: vmr,
                max_relocate: vml,
            });
        }
        if vms.len() > 63 {
            return Err(f.src.error(
                f.span.clone(),
                "a proxmox-ha cluster model supports at most 63 HA VMs",
            ));
        }
        Ok(ProxmoxHa {
            nodes: n,
            qdevice,
            token,
            watchdog,
            lock_timeout,
            crm_loop,
            lrm_loop,
            crs,
            shutdown,
            host_cores,
            host_memory,
            node_names,
            vms,
        })
    }

    /// How long corosync takes to drop a silent node: token + consensus,
    /// consensus = 1.2 * token (corosync.conf(5)).
    pub fn detection(&self) -> Nanos {
        self.token + self.token * 6 / 5
    }

    fn needed(&self) -> usize {
        (self.nodes + usize::from(self.qdevice.is_some())) / 2 + 1
    }

    /// N+1 by a static rule: for each node that can fail, its HA VMs are
    /// placed, in order, on the first node they may run on with room
    /// (`HaVm::eligible` with only that node down), on top of the VMs
    /// already there. Returns the VMs that fit nowhere: they stay down
    /// until their node is back. The lint reports them and the placement
    /// search (`plan::place`) counts them.
    pub fn n1_shortfalls(&self) -> Vec<N1Shortfall> {
        let mut out = Vec::new();
        for failed in 0..self.nodes {
            let mut cores: Vec<u64> = vec![0; self.nodes];
            let mut memory: Vec<u64> = vec![0; self.nodes];
            for v in self.vms.iter().filter(|v| v.home != failed) {
                cores[v.home] += v.cores;
                memory[v.home] += v.memory;
            }
            for (i, v) in self
                .vms
                .iter()
                .enumerate()
                .filter(|(_, v)| v.home == failed)
            {
                let eligible = v.eligible(self.nodes, |n| n != failed);
                let target = eligible.iter().copied().find(|n| {
                    cores[*n] + v.cores <= self.host_cores[*n]
                        && memory[*n] + v.memory <= self.host_memory[*n]
                });
                if let Some(n) = target {
                    cores[n] += v.cores;
                    memory[n] += v.memory;
                    continue;
                }
                let scope = match eligible.first() {
                    Some(n) if !v.group.contains(n) => N1Scope::AnyNode,
                    None if v.restricted && self.nodes > 1 => N1Scope::Restricted,
                    _ => N1Scope::Group,
                };
                out.push(N1Shortfall {
                    failed,
                    vm: i,
                    scope,
                });
            }
        }
        out
    }
}

impl ClusterKind for ProxmoxHa {
    /// `quorum`: a strict majority of one vote per node plus the QDevice's.
    /// Each HA VM, once recovery is over: quorum, and a node it may run on
    /// up (a member of its group, or with an unrestricted group any node).
    /// Refused when hosts declare capacity: whether a VM fits then depends
    /// on which VMs moved where first, and on `max_relocate`.
    fn structure(&self, output: usize) -> Result<crate::cluster::Structure, String> {
        use crate::cluster::Structure;
        let mut votes = vec![1; self.nodes];
        let mut terms: Vec<(u32, Structure)> =
            (0..self.nodes).map(|i| (1, Structure::Input(i))).collect();
        if let Some(q) = self.qdevice {
            votes.push(1);
            terms.push((1, Structure::Input(q)));
        }
        let quorum = Structure::Threshold {
            needed: votes.iter().sum::<u32>() / 2 + 1,
            terms,
        };
        if output == 0 {
            return Ok(quorum);
        }
        let Some(vm) = self.vms.get(output - 1) else {
            return Err(format!("there is no output {output}"));
        };
        let declared = |v: &[u64]| v.iter().any(|c| *c != u64::MAX);
        if declared(&self.host_cores) || declared(&self.host_memory) {
            return Err("hosts declare capacity (`host_cores`, `host_memory`), so whether a VM fits depends on which VMs moved where first".to_string());
        }
        let hosts = if vm.restricted {
            Structure::any_of(vm.group.iter().copied())
        } else {
            Structure::MembersUp(1)
        };
        Ok(Structure::All(vec![quorum, hosts]))
    }
    fn structure_caveat(&self) -> Option<String> {
        (self.shutdown == ShutdownPolicy::Freeze).then(|| {
            "with the default `shutdown = freeze` an HA VM stays down through a maintenance window of the node it runs on; the rule lets it run on another node instead".to_string()
        })
    }
    fn placeable(&self) -> Option<&dyn crate::cluster::Placeable> {
        Some(self)
    }
    /// Proxmox nodes are hosts (or VMs, for a nested test cluster).
    fn members(&self) -> crate::cluster::Members {
        use crate::model::element::ElementKind;
        crate::cluster::Members::Machines(&[ElementKind::Host, ElementKind::Vm])
    }
    fn kind(&self) -> &'static str {
        "proxmox-ha"
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["quorum"]
    }
    fn output_names(&self) -> Vec<String> {
        std::iter::once("quorum".to_string())
            .chain(self.vms.iter().map(|v| v.name.clone()))
            .collect()
    }
    fn quorum_output(&self) -> Option<usize> {
        Some(0)
    }
    fn lint(&self) -> Vec<Lint> {
        let mut out = Vec::new();
        if self.nodes == 2 && self.qdevice.is_none() {
            out.push(Lint {
                id: "proxmox-two-node-without-qdevice",
                message: "a two-node Proxmox cluster without a `qdevice` loses quorum when either node dies, and its HA VMs self-fence 60 s later".into(),
                rule: "corosync needs a strict majority of votes; pve-docs recommend a QDevice (+1 vote) for two-node clusters".into(),
            });
        }
        for n1 in self.n1_shortfalls() {
            let v = &self.vms[n1.vm];
            let (failed, name) = (&self.node_names[n1.failed], &v.name);
            out.push(match n1.scope {
                N1Scope::Group => Lint {
                    id: "proxmox-no-room-after-failure",
                    message: format!(
                        "if `{failed}` fails, HA VM `{name}` ({} cores, {} MiB) has no other node in its group with room to restart",
                        v.cores, v.memory
                    ),
                    rule: "the CRM only recovers a service to a node with enough free CPU and memory (pve-docs, ha-manager CRS); add capacity or widen the HA group".into(),
                },
                N1Scope::AnyNode => Lint {
                    id: "proxmox-no-room-after-failure",
                    message: format!(
                        "if `{failed}` fails, HA VM `{name}` ({} cores, {} MiB) has no other node in its group, and no other node has room to restart it",
                        v.cores, v.memory
                    ),
                    rule: "an unrestricted HA group falls back to any online node, but the CRM only recovers a service to a node with enough free CPU and memory (pve-docs, ha-manager Groups and CRS); add capacity".into(),
                },
                N1Scope::Restricted => Lint {
                    id: "proxmox-restricted-group-no-spare",
                    message: format!(
                        "if `{failed}` fails, HA VM `{name}` has no other node in its restricted group to restart on"
                    ),
                    rule: "a restricted HA group keeps its services stopped while no member is online (pve-docs, ha-manager Groups); add nodes to the group or set `restricted = false` (the default)".into(),
                },
            });
        }
        out
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        Box::new(PveState {
            cfg: self.clone(),
            up: vec![true; self.nodes],
            seen: vec![true; self.nodes],
            qdev: true,
            detect: vec![None; self.nodes],
            fence: vec![None; self.nodes],
            fenced: vec![false; self.nodes],
            lock_expired: vec![false; self.nodes],
            recover: vec![None; self.nodes],
            timers: Timers::new(),
            quorate: true,
            vm: self
                .vms
                .iter()
                .map(|v| Vm {
                    node: v.home,
                    state: Vs::Running,
                    timer: None,
                    stuck_traced: false,
                })
                .collect(),
            started: false,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vs {
    Running,
    Starting,
    /// Down, waiting for its node, for recovery, or for room.
    Waiting,
    /// Start failures used up max_restart and max_relocate.
    Error,
}

struct Vm {
    node: usize,
    state: Vs,
    timer: Option<Timer>,
    stuck_traced: bool,
}

struct PveState {
    cfg: ProxmoxHa,
    up: Vec<bool>,
    /// corosync's view of the membership.
    seen: Vec<bool>,
    qdev: bool,
    detect: Vec<Option<Timer>>,
    fence: Vec<Option<Timer>>,
    fenced: Vec<bool>,
    lock_expired: Vec<bool>,
    recover: Vec<Option<Timer>>,
    quorate: bool,
    vm: Vec<Vm>,
    started: bool,
    timers: Timers<PveTimer>,
}

/// What a Proxmox HA timer is for.
#[derive(Debug, Clone, Copy)]
enum PveTimer {
    /// corosync's token timeout for node `n` ran out: it leaves the membership.
    Detect(usize),
    /// The dead node `n`'s LRM lock expired: its HA VMs may be recovered.
    Recover(usize),
    /// Node `n`, without quorum, is fenced by its watchdog.
    Fence(usize),
    /// HA VM `i` finished starting.
    Start(usize),
}

impl PveState {
    fn usage(&self, node: usize) -> (u64, u64, usize) {
        let mut c = (0, 0, 0);
        for (i, v) in self.vm.iter().enumerate() {
            if v.node == node && matches!(v.state, Vs::Running | Vs::Starting | Vs::Waiting) {
                c.0 += self.cfg.vms[i].cores;
                c.1 += self.cfg.vms[i].memory;
                c.2 += 1;
            }
        }
        c
    }

    fn fits(&self, vm: usize, node: usize) -> bool {
        let (c, m, _) = self.usage(node);
        let v = &self.cfg.vms[vm];
        c.saturating_add(v.cores) <= self.cfg.host_cores[node]
            && m.saturating_add(v.memory) <= self.cfg.host_memory[node]
    }

    fn online(&self, node: usize) -> bool {
        self.up[node] && !self.fenced[node]
    }

    /// The other online nodes VM `i` may run on (`HaVm::eligible`): the
    /// online members of its HA group, or, for an unrestricted group with
    /// none online, every other online node.
    fn eligible_online(&self, i: usize) -> Vec<usize> {
        let from = self.vm[i].node;
        self.cfg.vms[i].eligible(self.cfg.nodes, |n| n != from && self.online(n))
    }

    /// Candidate targets for `vm` (away from `from`): the nodes it may run
    /// on, by group priority then fewest HA services (basic) or most free
    /// memory (static, which also requires room).
    fn candidates(&self, vm: usize, from: usize) -> Vec<usize> {
        let v = &self.cfg.vms[vm];
        let mut c: Vec<(usize, u64, usize)> = v
            .eligible(self.cfg.nodes, |n| n != from && self.online(n))
            .into_iter()
            .filter(|n| self.cfg.crs == Crs::Basic || self.fits(vm, *n))
            .map(|n| {
                let (_, mem, count) = self.usage(n);
                let key = match self.cfg.crs {
                    Crs::Basic => count as u64,
                    Crs::Static => mem,
                };
                // Without a group, all nodes share one priority; so do the
                // non-members an unrestricted group falls back to (they are
                // never mixed with members).
                let prio = v.group.iter().position(|m| *m == n).unwrap_or(0);
                (if v.failback { prio } else { 0 }, key, n)
            })
            .collect();
        c.sort_unstable();
        c.into_iter().map(|(_, _, n)| n).collect()
    }

    fn set_vm(&mut self, cx: &mut ClusterCx<'_>, i: usize, state: Vs) {
        if let Some(id) = self.vm[i].timer.take() {
            self.timers.cancel(cx, id);
        }
        self.vm[i].state = state;
        cx.set_output(1 + i, state == Vs::Running);
    }

    fn start(&mut self, cx: &mut ClusterCx<'_>, i: usize, extra: Nanos) {
        let delay = below(cx, self.cfg.lrm_loop) + extra + cx.sample(&self.cfg.vms[i].boot);
        self.set_vm(cx, i, Vs::Starting);
        self.vm[i].timer = Some(self.timers.schedule(cx, delay, PveTimer::Start(i)));
        self.vm[i].stuck_traced = false;
        // Borrowed, not cloned: this runs on every VM start, traced or not.
        let (name, node) = (&self.cfg.vms[i].name, super::name(cx, self.vm[i].node));
        cx.trace(|| {
            format!(
                "starting HA VM {name} on {node}: running in {}",
                Human(delay)
            )
        });
    }

    fn update_quorum(&mut self, cx: &mut ClusterCx<'_>) {
        let votes = self.seen.iter().filter(|s| **s).count()
            + usize::from(self.cfg.qdevice.is_some() && self.qdev);
        let q = votes >= self.cfg.needed();
        if q == self.quorate {
            return;
        }
        self.quorate = q;
        cx.set_output(0, q);
        let (needed, total) = (
            self.cfg.needed(),
            self.cfg.nodes + usize::from(self.cfg.qdevice.is_some()),
        );
        cx.trace(|| {
            format!(
                "{votes} of {total} votes, {needed} needed: quorum {}",
                if q { "regained" } else { "lost" }
            )
        });
        for n in 0..self.cfg.nodes {
            if let Some(id) = self.fence[n].take() {
                self.timers.cancel(cx, id);
            }
            if q {
                self.fenced[n] = false;
            } else if self.up[n] && self.vm.iter().any(|v| v.node == n && v.state != Vs::Error) {
                // The watchdog resets a quorum-less node with active HA services.
                self.fence[n] = Some(self.timers.schedule(
                    cx,
                    self.cfg.watchdog,
                    PveTimer::Fence(n),
                ));
            }
        }
    }

    /// Starts, recovers and fails back what the current state allows.
    fn reconcile(&mut self, cx: &mut ClusterCx<'_>) {
        if !self.quorate {
            return;
        }
        for i in 0..self.vm.len() {
            let node = self.vm[i].node;
            match self.vm[i].state {
                Vs::Waiting if self.online(node) => self.start(cx, i, 0),
                Vs::Waiting if !self.up[node] && self.lock_expired[node] => self.recover_vm(cx, i),
                Vs::Error if self.online(node) => {
                    // The operator clears the error once the host is back.
                    self.start(cx, i, 0);
                }
                Vs::Running if self.cfg.vms[i].failback => {
                    let v = &self.cfg.vms[i];
                    let cur = v
                        .group
                        .iter()
                        .position(|n| *n == node)
                        .unwrap_or(usize::MAX);
                    if let Some(better) = v.group[..cur.min(v.group.len())]
                        .iter()
                        .copied()
                        .find(|n| self.online(*n) && self.fits(i, *n))
                    {
                        self.vm[i].node = better;
                        let (name, to) = (v.name.clone(), super::name(cx, better));
                        cx.trace(|| format!("HA VM {name} migrates back to {to} (live migration)"));
                    }
                }
                _ => {}
            }
        }
    }

    fn recover_vm(&mut self, cx: &mut ClusterCx<'_>, i: usize) {
        let from = self.vm[i].node;
        let cands = self.candidates(i, from);
        let v = &self.cfg.vms[i];
        let tries = 1 + v.max_restart;
        let mut extra = 0;
        let mut target = None;
        for n in cands.iter().take(1 + v.max_relocate as usize) {
            if self.fits(i, *n) {
                target = Some(*n);
                break;
            }
            // Each failed start and restart costs an LRM round.
            extra += tries * self.cfg.lrm_loop;
        }
        let name = v.name.clone();
        match target {
            Some(t) => {
                self.vm[i].node = t;
                let crm = below(cx, self.cfg.crm_loop);
                self.start(cx, i, crm + extra);
            }
            None if cands.is_empty() => {
                if !self.vm[i].stuck_traced {
                    self.vm[i].stuck_traced = true;
                    let scope = if v.group.iter().any(|n| *n != from && self.online(*n)) {
                        "in its group"
                    } else if v.restricted {
                        "in its group (restricted: no other member is online)"
                    } else {
                        "(no member of its unrestricted group is online, so any node may take it)"
                    };
                    cx.trace(|| {
                        format!("HA VM {name}: no online node with room {scope}; stays in recovery")
                    });
                }
            }
            None => {
                self.set_vm(cx, i, Vs::Error);
                cx.trace(|| format!("HA VM {name}: start failed on every node tried (max_restart/max_relocate used up): error state"));
            }
        }
    }
}

/// Why an HA VM has no place when no node of the cluster is online.
const ALL_DOWN: &str = "every node of the cluster is down, so it has nowhere to run, whatever the room; more nodes, or nodes in separate failure domains (power, switch), would carry this";

impl PveState {
    fn node_list(&self, nodes: &[usize]) -> String {
        nodes
            .iter()
            .map(|n| self.cfg.node_names[*n].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The nodes VM `i` may run on now, as the planner's texts name them:
    /// "online node of its HA group (...)", or, when its unrestricted
    /// group has no node online, the other nodes it falls back to.
    fn scope_text(&self, i: usize, eligible: &[usize]) -> String {
        let v = &self.cfg.vms[i];
        match eligible.first() {
            Some(n) if !v.group.contains(n) => format!(
                "other online node ({}; no node of its unrestricted HA group ({}) is online, so any node may take it)",
                self.node_list(eligible),
                self.node_list(&v.group)
            ),
            Some(_) => format!("online node of its HA group ({})", self.node_list(eligible)),
            None => "other online node it may run on".to_string(),
        }
    }

    /// What adds room for VM `i`: capacity, and for a VM confined to its
    /// group's members, a wider group.
    fn room_advice(&self, i: usize, eligible: &[usize]) -> &'static str {
        match eligible.first() {
            Some(n) if !self.cfg.vms[i].group.contains(n) => {
                "add capacity (host_cores, host_memory)"
            }
            _ => "add capacity (host_cores, host_memory) or widen the group",
        }
    }

    /// Why VM `i`, whose node is down, has not been recovered, for the
    /// capacity planner (the cluster is quorate). The CRM recovers only to
    /// a node the VM may run on (`HaVm::eligible`: an online node of its
    /// group, or of any node while an unrestricted group has none online;
    /// pve-docs ha-manager "Groups"), and with `crs = "static"` only to one
    /// with room; `crs = "basic"` tries a node whatever its room.
    fn recovery_reason(&self, i: usize) -> (Shortfall, String) {
        let v = &self.cfg.vms[i];
        let eligible = self.eligible_online(i);
        if eligible.is_empty() {
            // No member is online, and the group is restricted (or no
            // other node is online at all).
            let outside: Vec<usize> = (0..self.cfg.nodes)
                .filter(|n| self.online(*n) && !v.group.contains(n))
                .collect();
            if outside.is_empty() {
                return (Shortfall::Down, ALL_DOWN.to_string());
            }
            let with_room: Vec<usize> = outside
                .iter()
                .copied()
                .filter(|n| self.fits(i, *n))
                .collect();
            let why = if with_room.is_empty() {
                format!(
                    "its node is down and no other node of its restricted HA group ({}) is online; the other online nodes ({}) have no room for {} cores and {} MiB either. A placement rule first: add nodes to the group or set `restricted = false` (the pve-ha-manager default), and add capacity (host_cores, host_memory)",
                    self.node_list(&v.group),
                    self.node_list(&outside),
                    v.cores,
                    v.memory
                )
            } else {
                format!(
                    "its node is down and no other node of its restricted HA group ({}) is online; {} could run it. A placement rule, not room: set `restricted = false` (the pve-ha-manager default) or add {} to the group",
                    self.node_list(&v.group),
                    self.node_list(&with_room),
                    if with_room.len() == 1 { "it" } else { "them" }
                )
            };
            return (Shortfall::Rule, why);
        }
        if eligible.iter().any(|n| self.fits(i, *n)) {
            // The CRM recovers it on its next round: not in a settled case.
            return (
                Shortfall::Pinned,
                "its node is down; recovery is under way".to_string(),
            );
        }
        self.no_room(i, &eligible, "its node is down and")
    }

    /// A Room shortfall for VM `i`: `what` happened, and none of the
    /// `eligible` nodes has room for it.
    fn no_room(&self, i: usize, eligible: &[usize], what: &str) -> (Shortfall, String) {
        let v = &self.cfg.vms[i];
        (
            Shortfall::Room,
            format!(
                "{what} no {} has room for {} cores and {} MiB: {}",
                self.scope_text(i, eligible),
                v.cores,
                v.memory,
                self.room_advice(i, eligible)
            ),
        )
    }

    /// Why VM `i` is in the error state: its starts failed on the
    /// `1 + max_relocate` nodes `crs = "basic"` picked by service count.
    /// When another node it may run on has room now, the cause is that
    /// rule, not a lack of room.
    fn error_reason(&self, i: usize) -> (Shortfall, String) {
        let v = &self.cfg.vms[i];
        let eligible = self.eligible_online(i);
        let with_room: Vec<usize> = eligible
            .iter()
            .copied()
            .filter(|n| self.fits(i, *n))
            .collect();
        if with_room.is_empty() {
            return self.no_room(
                i,
                &eligible,
                "error state: its starts failed on every node tried, and",
            );
        }
        (
            Shortfall::Rule,
            format!(
                "error state: its starts failed on the nodes tried (max_restart {}, max_relocate {}; crs = \"basic\" picks by service count, not room), though {} has room. A placement rule, not room: set crs = \"static\" or raise max_relocate",
                v.max_restart,
                v.max_relocate,
                self.node_list(&with_room)
            ),
        )
    }
}

impl ClusterState for PveState {
    fn placement(&self) -> Option<Placement> {
        // The same capacities the placement search reads.
        let capacity = crate::cluster::Placeable::capacity(&self.cfg);
        let items = self
            .vm
            .iter()
            .zip(&self.cfg.vms)
            .enumerate()
            .map(|(i, (vm, v))| {
                let fixed = |s: Shortfall, why: &str| Some((s, why.to_string()));
                let waiting = match vm.state {
                    Vs::Running | Vs::Starting => None,
                    // Checked before quorum: with every node gone, a QDevice
                    // would not help; separate failure domains would.
                    _ if self.up.iter().all(|up| !up) => fixed(Shortfall::Down, ALL_DOWN),
                    Vs::Error => Some(self.error_reason(i)),
                    Vs::Waiting if !self.quorate => fixed(
                        Shortfall::Quorum,
                        "the Proxmox cluster has no quorum, so nothing is recovered or started",
                    ),
                    Vs::Waiting if self.fenced[vm.node] => {
                        fixed(Shortfall::Quorum, "its node self-fenced (no quorum)")
                    }
                    Vs::Waiting if !self.up[vm.node] => Some(self.recovery_reason(i)),
                    Vs::Waiting => fixed(Shortfall::Pinned, "waiting to start"),
                };
                PlacedItem {
                    name: v.name.clone(),
                    cpu: v.cores.saturating_mul(1000),
                    memory: v.memory.saturating_mul(MIB),
                    at: waiting.is_none().then_some(vm.node),
                    waiting,
                }
            })
            .collect();
        Some(Placement {
            unit: "HA VM",
            capacity,
            items,
        })
    }

    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>) {
        if !self.started {
            self.started = true;
            for n in 0..self.cfg.nodes {
                self.up[n] = cx.member_up(n);
                self.seen[n] = self.up[n];
            }
            self.qdev = self.cfg.qdevice.is_none_or(|q| cx.input(q));
            self.quorate = true;
            cx.set_output(0, true);
            for i in 0..self.vm.len() {
                let ok = self.up[self.vm[i].node];
                self.vm[i].state = if ok { Vs::Running } else { Vs::Waiting };
                cx.set_output(1 + i, ok);
            }
            self.update_quorum(cx);
            self.reconcile(cx);
            return;
        }
        if let Some(q) = self.cfg.qdevice {
            self.qdev = cx.input(q);
        }
        let planned = cx.planned();
        for n in 0..self.cfg.nodes {
            let up = cx.member_up(n);
            if up == self.up[n] {
                continue;
            }
            self.up[n] = up;
            if let Some(id) = self.detect[n].take() {
                self.timers.cancel(cx, id);
            }
            if let Some(id) = self.fence[n].take() {
                self.timers.cancel(cx, id);
            }
            if up {
                self.seen[n] = true;
                self.lock_expired[n] = false;
                self.fenced[n] = false;
                if let Some(id) = self.recover[n].take() {
                    self.timers.cancel(cx, id);
                }
                continue;
            }
            // A clean shutdown leaves the membership at once; a crash is
            // noticed after token + consensus.
            if planned {
                self.seen[n] = false;
            } else {
                let d = self.cfg.detection();
                self.detect[n] = Some(self.timers.schedule(cx, d, PveTimer::Detect(n)));
            }
            let policy = if planned {
                self.cfg.shutdown
            } else {
                ShutdownPolicy::Failover
            };
            for i in 0..self.vm.len() {
                if self.vm[i].node != n || self.vm[i].state == Vs::Error {
                    continue;
                }
                if policy == ShutdownPolicy::Migrate && self.vm[i].state == Vs::Running {
                    if let Some(t) = self.candidates(i, n).into_iter().find(|t| self.fits(i, *t)) {
                        self.vm[i].node = t;
                        let (name, to) = (self.cfg.vms[i].name.clone(), super::name(cx, t));
                        cx.trace(|| {
                            format!("HA VM {name} live-migrates to {to} before the shutdown")
                        });
                        continue;
                    }
                }
                self.set_vm(cx, i, Vs::Waiting);
            }
            if policy == ShutdownPolicy::Failover {
                // The lock was last renewed U(0, lrm_loop) ago; the CRM sees
                // it expired on its next round after lock_timeout.
                let d =
                    self.cfg.lock_timeout - below(cx, self.cfg.lrm_loop).min(self.cfg.lock_timeout);
                let who = super::name(cx, n);
                cx.trace(|| format!("{who} lost; its HA services may be recovered once its agent lock expires in {}", Human(d)));
                self.recover[n] = Some(self.timers.schedule(cx, d, PveTimer::Recover(n)));
            }
        }
        self.update_quorum(cx);
        self.reconcile(cx);
    }

    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: TimerTag) {
        match self.timers.fired(tag) {
            PveTimer::Detect(i) => {
                self.detect[i] = None;
                self.seen[i] = false;
                let who = super::name(cx, i);
                cx.trace(|| format!("corosync drops {who} from the membership"));
            }
            PveTimer::Recover(i) => {
                self.recover[i] = None;
                self.lock_expired[i] = true;
            }
            PveTimer::Fence(i) => {
                self.fence[i] = None;
                self.fenced[i] = true;
                let who = super::name(cx, i);
                cx.trace(|| {
                    format!("{who} has no quorum: the watchdog fences it and its HA VMs stop")
                });
                for v in 0..self.vm.len() {
                    if self.vm[v].node == i
                        && matches!(self.vm[v].state, Vs::Running | Vs::Starting)
                    {
                        self.set_vm(cx, v, Vs::Waiting);
                    }
                }
            }
            PveTimer::Start(i) => {
                self.vm[i].timer = None;
                if !self.quorate {
                    // The LRM may not start services without quorum.
                    self.set_vm(cx, i, Vs::Waiting);
                    return;
                }
                self.set_vm(cx, i, Vs::Running);
                let name = &self.cfg.vms[i].name;
                cx.trace(|| format!("HA VM {name} is running"));
            }
        }
        self.update_quorum(cx);
        self.reconcile(cx);
    }
}

/// MiB: qm.conf counts whole cores and memory in MiB.
const MIB: u64 = 1 << 20;

/// The placement search's view: HA VMs are the guests, each movable within
/// its HA group (home first), the hosts' cores and memory the capacity, and
/// the N+1 rule the one the Proxmox lint applies.
impl crate::cluster::Placeable for ProxmoxHa {
    fn capacity(&self) -> Vec<(u64, u64)> {
        self.host_cores
            .iter()
            .zip(&self.host_memory)
            .map(|(c, m)| (c.saturating_mul(1000), m.saturating_mul(MIB)))
            .collect()
    }

    fn guests(&self) -> Vec<crate::cluster::Guest> {
        self.vms
            .iter()
            .enumerate()
            .map(|(i, vm)| {
                let mut candidates = vec![vm.home];
                candidates.extend(vm.group.iter().copied().filter(|m| *m != vm.home));
                crate::cluster::Guest {
                    name: vm.name.clone(),
                    home: vm.home,
                    candidates,
                    home_path: format!("vms.{i}.home"),
                    millicores: vm.cores.saturating_mul(1000),
                    bytes: vm.memory.saturating_mul(MIB),
                }
            })
            .collect()
    }

    fn n1_shortfalls(&self, homes: &[usize]) -> usize {
        let mut cfg = self.clone();
        for (vm, home) in cfg.vms.iter_mut().zip(homes) {
            vm.home = *home;
        }
        cfg.n1_shortfalls().len()
    }
}
