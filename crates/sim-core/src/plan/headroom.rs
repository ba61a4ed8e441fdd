//! The headroom report: can the survivors carry the load after a failure?
//!
//! For every failure of one failure domain (a site, power feed, switch,
//! failure domain or host; every pair with depth 2) the planner plays the
//! failure as a scenario with random faults off, lets every transient
//! settle for an hour, and reads where each cluster placed its HA VMs and
//! pods (`ClusterState::placement`). Reading the simulation's own end state,
//! rather than re-deriving placement here, means the report follows exactly
//! the rules the Monte Carlo run uses: Proxmox's `crs` mode, HA groups
//! (restricted or not), `max_relocate`, quorum and self-fencing, the
//! scheduler's spreading and anti-affinity. An hour is far beyond every
//! recovery timer the models have (Proxmox about 2 min plus boot,
//! Kubernetes eviction after 40 s + 300 s plus a 6 min RWO detach), so what
//! has no place then will not get one until something is repaired.
//!
//! Each workload without a place carries its reason (`Shortfall`), decided
//! by the kind that placed it: no room (declared CPU or memory exceeded), a
//! placement rule (required anti-affinity, a restricted HA group,
//! `max_relocate`), every member down, no quorum, or pinned. All but pinned
//! break N+k: a Deployment whose third replica stays Pending because its
//! required anti-affinity finds no free node after a failure has lost
//! redundancy the design promised, even though no node is short of CPU or
//! memory. The reason and its text say what would fix it.

use crate::cluster::Placement;
pub use crate::cluster::Shortfall;
use crate::model::compile::{ElementKind, Model};
use crate::sim::{Injection, RepOptions, Replication};
use crate::time::{Nanos, NANOS_PER_HOUR, NANOS_PER_SEC};

/// Element kinds whose failure the headroom report plays: the places that
/// take capacity away, as opposed to the workloads placed on them.
pub const DOMAIN_KINDS: [ElementKind; 5] = [
    ElementKind::Site,
    ElementKind::PowerFeed,
    ElementKind::Switch,
    ElementKind::FailureDomain,
    ElementKind::Host,
];

/// When the failure is injected, and how long the scenario then runs.
const FAIL_AT: Nanos = NANOS_PER_SEC;
const SETTLE: Nanos = NANOS_PER_HOUR;

/// One HA VM or pod without a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    pub cluster: usize,
    pub item: String,
    pub why: String,
    pub shortfall: Shortfall,
}

/// One member's load in one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLoad {
    pub member: usize,
    /// Whether the member itself is up.
    pub up: bool,
    /// Requested CPU (millicores) and memory (bytes) of what runs there.
    pub cpu: u64,
    pub memory: u64,
    /// What it offers; `u64::MAX` when the model does not say.
    pub cpu_capacity: u64,
    pub memory_capacity: u64,
    /// The workloads running there, by name.
    pub items: Vec<String>,
}

impl MemberLoad {
    /// Whether requests exceed what the member offers.
    pub fn overloaded(&self) -> bool {
        self.cpu > self.cpu_capacity || self.memory > self.memory_capacity
    }
}

/// One cluster's placement in one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterLoad {
    pub cluster: usize,
    /// "HA VM" or "pod".
    pub unit: &'static str,
    pub members: Vec<MemberLoad>,
}

/// One failure set, settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The failed elements (empty for the baseline).
    pub failed: Vec<usize>,
    pub loads: Vec<ClusterLoad>,
    /// Workloads that ran with everything up and have no place now.
    pub unplaced: Vec<Unplaced>,
    /// Workloads that moved: (cluster, item, from member, to member).
    pub moves: Vec<(usize, String, usize, usize)>,
    /// Services down once everything settled.
    pub services_down: Vec<usize>,
}

impl Case {
    /// The survivors carry everything that can move, without overload: no
    /// workload is without a place for a reason that breaks N+k
    /// ([`Shortfall::breaks_n_plus_k`]: room, a rule, every member down,
    /// quorum) and no member is overloaded.
    pub fn carried(&self) -> bool {
        self.unplaced.iter().all(|u| !u.shortfall.breaks_n_plus_k())
            && self
                .loads
                .iter()
                .all(|c| c.members.iter().all(|m| !m.overloaded()))
    }
}

/// The verdict over every case that was played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No cluster in the model places workloads (no proxmox-ha, deployment
    /// or statefulset): there is no capacity to judge.
    NothingPlaced,
    /// Even with everything up, something has no place or a member is
    /// overloaded.
    DoesNotFit,
    /// Every failure of up to k domains at once is carried (k = 0: not even
    /// every single failure).
    NPlus(usize),
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::NothingPlaced => write!(f, "no HA VMs or pods to place"),
            Verdict::DoesNotFit => write!(f, "does not fit with everything up"),
            Verdict::NPlus(0) => write!(f, "not N+1"),
            Verdict::NPlus(k) => write!(f, "N+{k}"),
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headroom {
    /// Failure sets of up to this many domains were played.
    pub depth: usize,
    /// The failure domains, as element indices.
    pub domains: Vec<usize>,
    pub baseline: Case,
    pub cases: Vec<Case>,
    pub verdict: Verdict,
    /// The scenario seed (election timeouts and the like; placement does
    /// not depend on it unless the models' timers race).
    pub seed: u64,
}

/// Plays every failure of up to `depth` failure domains and reports loads,
/// moves, what has no place and the N+k verdict.
pub fn headroom(model: &Model, depth: usize, seed: u64) -> Headroom {
    let domains: Vec<usize> = model
        .elements
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind.is_failure_domain())
        .map(|(i, _)| i)
        .collect();
    let baseline = play(model, &[], seed, None);
    let mut sets: Vec<Vec<usize>> = Vec::new();
    for k in 1..=depth.min(domains.len()) {
        subsets(&domains, k, &mut Vec::new(), 0, &mut sets);
    }
    let cases: Vec<Case> = sets
        .iter()
        .map(|s| play(model, s, seed, Some(&baseline)))
        .collect();
    let verdict = if baseline.loads.is_empty() {
        Verdict::NothingPlaced
    } else if !baseline.carried() {
        Verdict::DoesNotFit
    } else {
        let mut k = 0;
        while k < depth.min(domains.len())
            && cases
                .iter()
                .filter(|c| c.failed.len() == k + 1)
                .all(Case::carried)
        {
            k += 1;
        }
        Verdict::NPlus(k)
    };
    Headroom {
        depth,
        domains,
        baseline,
        cases,
        verdict,
        seed,
    }
}

/// Every k-element subset of `items`, in lexicographic order.
fn subsets(
    items: &[usize],
    k: usize,
    cur: &mut Vec<usize>,
    from: usize,
    out: &mut Vec<Vec<usize>>,
) {
    if cur.len() == k {
        out.push(cur.clone());
        return;
    }
    for i in from..items.len() {
        cur.push(items[i]);
        subsets(items, k, cur, i + 1, out);
        cur.pop();
    }
}

/// Plays one failure set and reads the settled placement.
fn play(model: &Model, failed: &[usize], seed: u64, baseline: Option<&Case>) -> Case {
    let opts = RepOptions {
        horizon: FAIL_AT + SETTLE,
        random_faults: false,
        injections: failed
            .iter()
            .map(|e| Injection {
                element: *e,
                at: FAIL_AT,
                down: true,
            })
            .collect(),
        trace: false,
    };
    let (outcome, placements) = Replication::new(model, seed, 0).run_placements(&opts);
    let up = &outcome.final_up;
    let mut loads = Vec::new();
    let mut unplaced = Vec::new();
    let mut moves = Vec::new();
    for (c, p) in placements.iter().enumerate() {
        let Some(p) = p else { continue };
        let cl = &model.clusters[c];
        loads.push(cluster_load(c, p, |m| up[cl.inputs[m]]));
        let before = baseline.and_then(|b| b.loads.iter().find(|l| l.cluster == c));
        for item in &p.items {
            let was = before.and_then(|b| {
                b.members
                    .iter()
                    .find(|m| m.items.contains(&item.name))
                    .map(|m| m.member)
            });
            match (&item.waiting, item.at) {
                (None, Some(now)) => {
                    if let Some(was) = was.filter(|w| *w != now) {
                        moves.push((c, item.name.clone(), was, now));
                    }
                }
                (Some((shortfall, why)), _) => {
                    // Only what ran with everything up counts as displaced;
                    // in the baseline itself everything counts.
                    if baseline.is_none() || was.is_some() {
                        unplaced.push(Unplaced {
                            cluster: c,
                            item: item.name.clone(),
                            why: why.clone(),
                            shortfall: *shortfall,
                        });
                    }
                }
                (None, None) => {}
            }
        }
    }
    let services_down = outcome.services_down(model);
    Case {
        failed: failed.to_vec(),
        loads,
        unplaced,
        moves,
        services_down,
    }
}

fn cluster_load(cluster: usize, p: &Placement, up: impl Fn(usize) -> bool) -> ClusterLoad {
    let mut members: Vec<MemberLoad> = p
        .capacity
        .iter()
        .enumerate()
        .map(|(m, (cpu_capacity, memory_capacity))| MemberLoad {
            member: m,
            up: up(m),
            cpu: 0,
            memory: 0,
            cpu_capacity: *cpu_capacity,
            memory_capacity: *memory_capacity,
            items: Vec::new(),
        })
        .collect();
    for item in &p.items {
        if let (None, Some(m)) = (&item.waiting, item.at) {
            let ml = &mut members[m];
            ml.cpu = ml.cpu.saturating_add(item.cpu);
            ml.memory = ml.memory.saturating_add(item.memory);
            ml.items.push(item.name.clone());
        }
    }
    ClusterLoad {
        cluster,
        unit: p.unit,
        members,
    }
}
