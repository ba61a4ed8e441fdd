//! Placement proposals (`hasim plan --place`): where the movable workloads
//! should run, and why each move from the model's own placement helps.
//!
//! Movable are Proxmox HA VMs (a new `home` within their HA `group`, bound
//! by `host_cores`/`host_memory`) and plain VMs (`[vms.X] host`, a new host
//! among the model's `hosts`; they declare no capacity). Kubernetes pods
//! are not moved here: the scheduler model places them, and the proposal
//! reports where they land (the verification's baseline) and refuses a
//! model whose pods cannot all be placed with everything up.
//!
//! A candidate placement is scored lexicographically, most important first:
//!
//! 1. everything fits with everything up (a hard constraint: capacity per
//!    host, HA groups);
//! 2. quorum safety: for every cluster with a quorum output whose members
//!    run on movable VMs, the votes a single failure domain (a host, or a
//!    power feed, switch, site or failure domain that hosts require) holds
//!    beyond what the cluster tolerates, summed;
//! 3. redundancy spread: members of the other clusters sharing a host,
//!    beyond the first;
//! 4. N+1: HA VMs with no place after a single host failure (no room on
//!    the nodes they may run on, or a restricted group with no other
//!    member), by the rule of the Proxmox HA lint
//!    (`ProxmoxHa::n1_shortfalls`, run on the candidate);
//! 5. moves from the model's placement;
//! 6. balance: the sum of squared loads (per mille of each host's capacity,
//!    then VM counts), so equal loads win.
//!
//! The search is an exhaustive branch and bound in a fixed order (workloads
//! in model order, each trying its current host first), so the first best
//! found is kept and the answer is deterministic. Every score part except
//! N+1 only grows as workloads are placed, which gives the bound. The
//! search stops after [`SEARCH_CAP`] partial placements and says so.
//!
//! The proposal is then checked the authoritative way: its edits are
//! applied to the model's tree (`edit::set_path`), the result is compiled,
//! and [`headroom`] plays every failure on it, so the before/after verdicts
//! and services down come from the simulation itself.

use super::headroom::{headroom, Headroom};
use crate::model::compile::{CExpr, ElementKind, Model, NodeKind};
use crate::model::diag::Source;
use crate::model::edit::set_path;
use crate::model::tree::{Kind, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Partial placements the search may visit before it stops with the best
/// placement found so far.
pub const SEARCH_CAP: u64 = 2_000_000;

const MIB: u64 = 1 << 20;

/// What kind of workload moves, and where it is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Movable {
    /// HA VM `vm` of the proxmox-ha cluster `cluster`.
    HaVm { cluster: usize, vm: usize },
    /// The plain VM element `element`.
    Vm { element: usize },
}

/// One workload the planner may move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub name: String,
    pub what: Movable,
    /// The model path of its placement (`clusters.pve.vms.2.home`,
    /// `vms.haproxy-1.host`), as `hasim sweep -L` takes it.
    pub path: String,
    /// The host element it runs on in the model.
    pub current: usize,
    /// Host elements it may run on, the current one first.
    pub candidates: Vec<usize>,
    /// For an HA VM, the capacity bin of each candidate.
    bins: Vec<Option<usize>>,
    /// Requested CPU (millicores) and memory (bytes); zero for plain VMs.
    pub cpu: u64,
    pub memory: u64,
}

/// One proxmox-ha member's capacity.
#[derive(Debug, Clone)]
struct Bin {
    cluster: usize,
    member: usize,
    cpu: u64,
    memory: u64,
}

/// The failure domains a cluster member depends on: fixed ones, and the
/// movable workloads whose host's domains it takes on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Dep {
    fixed: BTreeSet<usize>,
    workloads: BTreeSet<usize>,
}

/// A cluster whose members run on movable workloads.
#[derive(Debug, Clone)]
struct Group {
    cluster: usize,
    members: Vec<Dep>,
    votes: Vec<u64>,
    /// Votes a failure may take away without losing quorum (`None` for a
    /// cluster without a quorum output: spread only).
    tolerance: Option<u64>,
    /// Domains every usable host requires (see `shared_domains`).
    shared: BTreeSet<usize>,
}

/// The lexicographic score of a placement; smaller is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Score {
    /// Votes single failure domains hold beyond what their cluster
    /// tolerates, summed over clusters and domains.
    pub quorum_excess: u64,
    /// Members of the other clusters sharing a host, beyond the first.
    pub colocated: u64,
    /// HA VMs with no place after a single host failure.
    pub n1_unplaced: u64,
    pub moves: u64,
    /// Sums of squared loads (per mille of capacity; then VM counts).
    pub balance: u128,
    pub balance_count: u64,
}

/// One move, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub workload: usize,
    pub from: usize,
    pub to: usize,
    pub reasons: Vec<String>,
}

/// How well one quorum cluster's votes are spread, before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumSpread {
    pub cluster: usize,
    pub total: u64,
    /// Votes one failure may take without losing quorum.
    pub tolerance: u64,
    /// The failure domain holding the most votes, and how many: in the
    /// model, then in the proposal.
    pub worst_before: (usize, u64),
    pub worst_after: (usize, u64),
    /// Why no placement can do better, when that is the case.
    pub impossible: Option<String>,
    /// Domains every usable host requires: no placement protects the
    /// cluster from them.
    pub shared: Vec<usize>,
}

/// Where one Kubernetes workload's pods land under the proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pods {
    pub cluster: usize,
    /// (member, pods there).
    pub on: Vec<(usize, Vec<String>)>,
}

/// A proposal, verified.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub workloads: Vec<Workload>,
    /// Host element per workload.
    pub placement: Vec<usize>,
    /// The model's own placement's score; `None` when it does not fit.
    pub before: Option<Score>,
    pub after: Score,
    pub moves: Vec<Move>,
    /// (path, value) edits that turn the model into the proposal.
    pub edits: Vec<(String, String)>,
    pub quorum: Vec<QuorumSpread>,
    pub pods: Vec<Pods>,
    /// Partial placements visited, and whether the search finished.
    pub explored: u64,
    pub exhaustive: bool,
    /// The headroom report of the model with the edits applied.
    pub verified: Headroom,
}

/// Why no placement exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPlacement {
    pub reasons: Vec<String>,
}

impl std::fmt::Display for NoPlacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.reasons.join("; "))
    }
}

/// The workloads, capacities and clusters of a model, ready to search.
struct Problem<'m> {
    model: &'m Model,
    workloads: Vec<Workload>,
    bins: Vec<Bin>,
    groups: Vec<Group>,
    /// Per element: the failure domains it requires, itself included.
    domains_of: Vec<BTreeSet<usize>>,
    /// The clusters that place movable workloads on their members (Proxmox
    /// HA), by index.
    pve: Vec<usize>,
}

/// Proposes a placement for `model` (parsed as `tree` from `src`) and
/// verifies it; `before` is the model's own headroom report, whose depth and
/// seed the verification reuses.
pub fn place(
    src: &Source<'_>,
    tree: &Value,
    model: &Model,
    before: &Headroom,
) -> Result<Proposal, NoPlacement> {
    pods_fit(model, before)?;
    let p = Problem::new(model);
    let current: Vec<usize> = vec![0; p.workloads.len()];
    let mut search = Search {
        p: &p,
        choice: vec![0; p.workloads.len()],
        used: vec![(0, 0); p.bins.len()],
        best: None,
        visited: 0,
    };
    search.descend(0);
    let exhaustive = search.visited <= SEARCH_CAP;
    let explored = search.visited;
    let Some((after, choice)) = search.best else {
        let mut reasons = p.why_infeasible();
        if !exhaustive {
            reasons.insert(
                0,
                format!("the search stopped after {SEARCH_CAP} partial placements without finding one that fits"),
            );
        }
        return Err(NoPlacement { reasons });
    };
    let before_score = p.score(&current);
    let placement: Vec<usize> = choice
        .iter()
        .enumerate()
        .map(|(w, c)| p.workloads[w].candidates[*c])
        .collect();
    let moves = p.explain(&current, &choice, &before_score, &after);
    let edits: Vec<(String, String)> = moves
        .iter()
        .map(|m| {
            (
                p.workloads[m.workload].path.clone(),
                model.elements[m.to].name.clone(),
            )
        })
        .collect();
    let quorum = p.quorum_spread(&current, &choice);
    let verified = verify(src, tree, &edits, before.depth, before.seed)?;
    let pods = pods(&verified);
    Ok(Proposal {
        workloads: p.workloads,
        placement,
        before: before_score,
        after,
        moves,
        edits,
        quorum,
        pods,
        explored,
        exhaustive,
        verified,
    })
}

/// Applies `edits` to the tree, compiles it and plays its headroom report.
pub fn verify(
    src: &Source<'_>,
    tree: &Value,
    edits: &[(String, String)],
    depth: usize,
    seed: u64,
) -> Result<Headroom, NoPlacement> {
    let mut t = tree.clone();
    for (path, value) in edits {
        // The value is a host name: always a string, even if it looks
        // like a number.
        set_path(&mut t, path, Kind::Str(value.clone())).map_err(|e| NoPlacement {
            reasons: vec![format!("cannot apply `{path} = \"{value}\"`: {e}")],
        })?;
    }
    let edited = crate::model::compile::compile(src, &t).map_err(|e| NoPlacement {
        reasons: vec![format!(
            "the model with the proposed edits does not compile: {e}"
        )],
    })?;
    Ok(headroom(&edited, depth, seed))
}

/// Refuses a model whose pods cannot all be placed with everything up:
/// the scheduler model places them, nothing the planner moves changes
/// that, so it is a hard constraint of its own.
fn pods_fit(model: &Model, before: &Headroom) -> Result<(), NoPlacement> {
    let mut reasons = Vec::new();
    for l in before.baseline.loads.iter().filter(|l| l.unit == "pod") {
        let unplaced: Vec<_> = before
            .baseline
            .unplaced
            .iter()
            .filter(|u| u.cluster == l.cluster && u.shortfall.breaks_n_plus_k())
            .collect();
        if unplaced.is_empty() {
            continue;
        }
        let placed: usize = l.members.iter().map(|m| m.items.len()).sum();
        let used = l.members.iter().filter(|m| !m.items.is_empty()).count();
        reasons.push(format!(
            "`{}`: {} of {} pods have no place with everything up ({} placed on {} of {} nodes): {}",
            model.clusters[l.cluster].name,
            unplaced.len(),
            unplaced.len() + placed,
            placed,
            used,
            l.members.len(),
            unplaced[0].why
        ));
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(NoPlacement { reasons })
    }
}

/// Where each workload's pods run in a settled baseline.
fn pods(h: &Headroom) -> Vec<Pods> {
    h.baseline
        .loads
        .iter()
        .filter(|l| l.unit == "pod")
        .map(|l| Pods {
            cluster: l.cluster,
            on: l
                .members
                .iter()
                .map(|m| (m.member, m.items.clone()))
                .collect(),
        })
        .collect()
}

/// The element a graph node stands for, if it is one.
fn element_of(model: &Model, node: usize) -> Option<usize> {
    match &model.nodes[node].kind {
        NodeKind::Element { element, .. } => Some(*element),
        _ => None,
    }
}

impl<'m> Problem<'m> {
    fn new(model: &'m Model) -> Self {
        let mut workloads = Vec::new();
        let mut bins = Vec::new();
        let mut pve = Vec::new();
        // HA VM (cluster, vm) -> workload index.
        let mut ha_index: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for (c, cl) in model.clusters.iter().enumerate() {
            let Some(cfg) = cl.kind.placeable() else {
                continue;
            };
            let hosts: Option<Vec<usize>> = (0..cl.n_members)
                .map(|m| element_of(model, cl.inputs[m]))
                .collect();
            let Some(hosts) = hosts else { continue };
            let guests = cfg.guests();
            if guests.is_empty() {
                continue;
            }
            let first_bin = bins.len();
            for (m, (cpu, memory)) in cfg.capacity().into_iter().enumerate() {
                bins.push(Bin {
                    cluster: c,
                    member: m,
                    cpu,
                    memory,
                });
            }
            for (i, g) in guests.into_iter().enumerate() {
                ha_index.insert((c, i), workloads.len());
                workloads.push(Workload {
                    name: g.name,
                    what: Movable::HaVm { cluster: c, vm: i },
                    path: format!("clusters.{}.{}", cl.name, g.home_path),
                    current: hosts[g.home],
                    candidates: g.candidates.iter().map(|m| hosts[*m]).collect(),
                    bins: g.candidates.iter().map(|m| Some(first_bin + m)).collect(),
                    cpu: g.millicores,
                    memory: g.bytes,
                });
            }
            pve.push(c);
        }
        let host_elements: Vec<usize> = (0..model.elements.len())
            .filter(|e| model.elements[*e].kind == ElementKind::Host)
            .collect();
        let mut vm_index: BTreeMap<usize, usize> = BTreeMap::new();
        for (e, el) in model.elements.iter().enumerate() {
            let Some(h) = el
                .host
                .filter(|h| model.elements[*h].kind == ElementKind::Host)
            else {
                continue;
            };
            if el.kind != ElementKind::Vm {
                continue;
            }
            let mut candidates = vec![h];
            candidates.extend(host_elements.iter().copied().filter(|x| *x != h));
            vm_index.insert(e, workloads.len());
            workloads.push(Workload {
                name: el.name.clone(),
                what: Movable::Vm { element: e },
                path: format!("vms.{}.host", el.name),
                current: h,
                bins: vec![None; candidates.len()],
                candidates,
                cpu: 0,
                memory: 0,
            });
        }
        let mut p = Problem {
            model,
            workloads,
            bins,
            groups: Vec::new(),
            domains_of: Vec::new(),
            pve,
        };
        // Every element's own failure domains (hosts' feeds and switches),
        // ignoring the workloads they might require.
        p.domains_of = (0..model.elements.len())
            .map(|e| {
                let mut d = p.node_dep(model.elements[e].node, &ha_index, &BTreeMap::new());
                if model.elements[e].kind.is_failure_domain() {
                    d.fixed.insert(e);
                }
                d.fixed
            })
            .collect();
        for (c, cl) in model.clusters.iter().enumerate() {
            let members: Vec<Dep> = (0..cl.n_members)
                .map(|m| p.node_dep(cl.inputs[m], &ha_index, &vm_index))
                .collect();
            if members.iter().all(|d| d.workloads.is_empty()) {
                continue;
            }
            let votes: Vec<u64> = match cl.kind.votes() {
                Some(v) => v.iter().map(|v| u64::from(*v)).collect(),
                None => vec![1; cl.n_members],
            };
            let total: u64 = votes.iter().sum();
            // A strict majority of the votes: floor(total/2) + 1 (Raft,
            // corosync; see the quorum kind's `needed`).
            let tolerance = cl.kind.quorum_output().map(|_| total - (total / 2 + 1));
            if tolerance.is_none() && cl.n_members < 2 {
                continue;
            }
            let mut g = Group {
                cluster: c,
                members,
                votes,
                tolerance,
                shared: BTreeSet::new(),
            };
            g.shared = p.shared_domains(&g);
            p.groups.push(g);
        }
        p
    }

    /// The domains and movable workloads `node` needs, through `requires`.
    fn node_dep(
        &self,
        node: usize,
        ha: &BTreeMap<(usize, usize), usize>,
        vms: &BTreeMap<usize, usize>,
    ) -> Dep {
        let model = self.model;
        match &model.nodes[node].kind {
            NodeKind::Element { element, requires } => {
                let mut d = Dep::default();
                // A movable VM takes its domains from wherever it is placed,
                // so the reference to its present host is left out.
                let skip = match vms.get(element) {
                    Some(w) => {
                        d.workloads.insert(*w);
                        model.elements[*element]
                            .host
                            .map(|h| model.elements[h].node)
                    }
                    None => None,
                };
                if let Some(r) = requires {
                    let inner = self.expr_dep(r, skip, ha, vms);
                    d.fixed.extend(inner.fixed);
                    d.workloads.extend(inner.workloads);
                }
                if model.elements[*element].kind.is_failure_domain() {
                    d.fixed.insert(*element);
                }
                d
            }
            NodeKind::Output { cluster, index } if *index >= 1 => {
                let mut d = Dep::default();
                if let Some(w) = ha.get(&(*cluster, index - 1)) {
                    d.workloads.insert(*w);
                }
                d
            }
            _ => Dep::default(),
        }
    }

    /// A dependency through an expression: an item counts when it sits in
    /// more branches than the expression can spare (all of them for `|`,
    /// any for `&`).
    fn expr_dep(
        &self,
        e: &CExpr,
        skip: Option<usize>,
        ha: &BTreeMap<(usize, usize), usize>,
        vms: &BTreeMap<usize, usize>,
    ) -> Dep {
        let (k, items) = match e {
            CExpr::Ref(n) if Some(*n) == skip => return Dep::default(),
            CExpr::Ref(n) => return self.node_dep(*n, ha, vms),
            CExpr::All(v) => (v.len(), v),
            CExpr::Any(v) => (1, v),
            CExpr::AtLeast(k, v) => (*k as usize, v),
        };
        let spare = items.len().saturating_sub(k);
        let mut fixed: BTreeMap<usize, usize> = BTreeMap::new();
        let mut work: BTreeMap<usize, usize> = BTreeMap::new();
        for i in items {
            let d = self.expr_dep(i, skip, ha, vms);
            d.fixed
                .into_iter()
                .for_each(|x| *fixed.entry(x).or_default() += 1);
            d.workloads
                .into_iter()
                .for_each(|x| *work.entry(x).or_default() += 1);
        }
        Dep {
            fixed: fixed
                .into_iter()
                .filter(|(_, n)| *n > spare)
                .map(|(x, _)| x)
                .collect(),
            workloads: work
                .into_iter()
                .filter(|(_, n)| *n > spare)
                .map(|(x, _)| x)
                .collect(),
        }
    }

    /// The domains of a member, when every workload it needs is placed
    /// (`choice[w] = None` for workloads not placed yet).
    fn member_domains(&self, d: &Dep, choice: &[Option<usize>]) -> BTreeSet<usize> {
        let mut out = d.fixed.clone();
        for w in &d.workloads {
            if let Some(c) = choice[*w] {
                out.extend(
                    self.domains_of[self.workloads[*w].candidates[c]]
                        .iter()
                        .copied(),
                );
            }
        }
        out
    }

    /// Votes per failure domain of one group.
    fn votes_by_domain(&self, g: &Group, choice: &[Option<usize>]) -> BTreeMap<usize, u64> {
        let mut by: BTreeMap<usize, u64> = BTreeMap::new();
        for (m, d) in g.members.iter().enumerate() {
            for x in self.member_domains(d, choice) {
                *by.entry(x).or_default() += g.votes[m];
            }
        }
        by
    }

    /// Score parts 2, 3, 5 and 6 for a (partial) placement: each only grows
    /// as more workloads are placed.
    fn partial(&self, choice: &[Option<usize>], used: &[(u64, u64)]) -> Score {
        let mut s = Score::default();
        for g in &self.groups {
            let mut by = self.votes_by_domain(g, choice);
            by.retain(|x, _| !g.shared.contains(x));
            match g.tolerance {
                Some(t) => s.quorum_excess += by.values().map(|v| v.saturating_sub(t)).sum::<u64>(),
                None => {
                    s.colocated += by
                        .iter()
                        .filter(|(x, _)| self.model.elements[**x].kind == ElementKind::Host)
                        .map(|(_, v)| v.saturating_sub(1))
                        .sum::<u64>()
                }
            }
        }
        let mut count: BTreeMap<usize, u64> = BTreeMap::new();
        for (w, c) in choice.iter().enumerate() {
            if let Some(c) = c {
                s.moves += u64::from(*c != 0);
                *count.entry(self.workloads[w].candidates[*c]).or_default() += 1;
            }
        }
        s.balance_count = count.values().map(|n| n * n).sum();
        for (b, (cpu, mem)) in self.bins.iter().zip(used) {
            let per_mille = |u: u64, cap: u64| {
                if cap == u64::MAX || cap == 0 {
                    0
                } else {
                    u128::from(u) * 1000 / u128::from(cap)
                }
            };
            let l = per_mille(*cpu, b.cpu).max(per_mille(*mem, b.memory));
            s.balance += l * l;
        }
        s
    }

    /// HA VMs without a place after single host failures, by the Proxmox
    /// lint's rule (`ProxmoxHa::n1_shortfalls`: room, and a restricted
    /// group with no other member) run on the candidate homes.
    fn n1(&self, choice: &[Option<usize>]) -> u64 {
        let mut n = 0;
        for &c in &self.pve {
            let Some(cfg) = self.model.clusters[c].kind.placeable() else {
                continue;
            };
            let mut homes: Vec<usize> = cfg.guests().iter().map(|g| g.home).collect();
            for (w, wl) in self.workloads.iter().enumerate() {
                if let (Movable::HaVm { cluster, vm }, Some(ch)) = (&wl.what, choice[w]) {
                    if *cluster == c {
                        let b = wl.bins[ch].expect("HA VMs have bins");
                        homes[*vm] = self.bins[b].member;
                    }
                }
            }
            n += cfg.n1_shortfalls(&homes) as u64;
        }
        n
    }

    /// CPU and memory requested per capacity bin.
    fn used(&self, choice: &[usize]) -> Vec<(u64, u64)> {
        let mut used = vec![(0u64, 0u64); self.bins.len()];
        for (w, c) in choice.iter().enumerate() {
            if let Some(b) = self.workloads[w].bins[*c] {
                used[b].0 = used[b].0.saturating_add(self.workloads[w].cpu);
                used[b].1 = used[b].1.saturating_add(self.workloads[w].memory);
            }
        }
        used
    }

    /// The full score of a placement given as candidate indices, or `None`
    /// when it does not fit.
    fn score(&self, choice: &[usize]) -> Option<Score> {
        let used = self.used(choice);
        if used
            .iter()
            .zip(&self.bins)
            .any(|(u, b)| u.0 > b.cpu || u.1 > b.memory)
        {
            return None;
        }
        let opt: Vec<Option<usize>> = choice.iter().map(|c| Some(*c)).collect();
        let mut s = self.partial(&opt, &used);
        s.n1_unplaced = self.n1(&opt);
        Some(s)
    }

    /// Clear reasons why no placement fits.
    fn why_infeasible(&self) -> Vec<String> {
        let mut out = Vec::new();
        let names = |e: &[usize]| -> String {
            e.iter()
                .map(|x| self.model.elements[*x].name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let fmt_cpu = |m: u64| format!("{} cores", m / 1000);
        let fmt_mem = |b: u64| format!("{} MiB", b / MIB);
        // A VM larger than every host of its group.
        for w in &self.workloads {
            let fits = w
                .bins
                .iter()
                .flatten()
                .any(|b| self.bins[*b].cpu >= w.cpu && self.bins[*b].memory >= w.memory);
            if !fits && w.bins.iter().any(Option::is_some) {
                out.push(format!(
                    "HA VM `{}` needs {} and {}; no host of its group ({}) offers that much",
                    w.name,
                    fmt_cpu(w.cpu),
                    fmt_mem(w.memory),
                    names(&w.candidates)
                ));
            }
        }
        if !out.is_empty() {
            return out;
        }
        // The VMs confined to a set of hosts need more than those hosts
        // offer: every HA group, then each cluster's hosts together.
        let mut sets: Vec<BTreeSet<usize>> = Vec::new();
        for w in self.workloads.iter().filter(|w| w.bins[0].is_some()) {
            let s: BTreeSet<usize> = w.bins.iter().flatten().copied().collect();
            if !sets.contains(&s) {
                sets.push(s);
            }
        }
        for c in &self.pve {
            let s: BTreeSet<usize> = (0..self.bins.len())
                .filter(|b| self.bins[*b].cluster == *c)
                .collect();
            if !sets.contains(&s) {
                sets.push(s);
            }
        }
        for s in &sets {
            let inside: Vec<&Workload> = self
                .workloads
                .iter()
                .filter(|w| w.bins[0].is_some() && w.bins.iter().flatten().all(|b| s.contains(b)))
                .collect();
            let need = (
                inside.iter().map(|w| w.cpu).sum::<u64>(),
                inside.iter().map(|w| w.memory).sum::<u64>(),
            );
            let offer = s.iter().fold((0u64, 0u64), |a, b| {
                (
                    a.0.saturating_add(self.bins[*b].cpu),
                    a.1.saturating_add(self.bins[*b].memory),
                )
            });
            let hosts: Vec<usize> = s
                .iter()
                .map(|b| {
                    let bin = &self.bins[*b];
                    element_of(
                        self.model,
                        self.model.clusters[bin.cluster].inputs[bin.member],
                    )
                    .expect("bins are elements")
                })
                .collect();
            let vms: Vec<&str> = inside.iter().map(|w| w.name.as_str()).collect();
            if need.0 > offer.0 {
                out.push(format!(
                    "HA VMs {} need {}, the hosts in their groups ({}) offer {}",
                    vms.join(", "),
                    fmt_cpu(need.0),
                    names(&hosts),
                    fmt_cpu(offer.0)
                ));
            }
            if need.1 > offer.1 {
                out.push(format!(
                    "HA VMs {} need {}, the hosts in their groups ({}) offer {}",
                    vms.join(", "),
                    fmt_mem(need.1),
                    names(&hosts),
                    fmt_mem(offer.1)
                ));
            }
        }
        if out.is_empty() {
            out.push(format!(
                "the HA VMs fit the hosts' totals but cannot be packed: each VM must fit whole on one host of its group ({} VMs, {} hosts)",
                self.workloads.iter().filter(|w| w.bins[0].is_some()).count(),
                self.bins.len()
            ));
        }
        out
    }

    /// Why each moved workload moved.
    fn explain(
        &self,
        current: &[usize],
        choice: &[usize],
        before: &Option<Score>,
        after: &Score,
    ) -> Vec<Move> {
        let cur: Vec<Option<usize>> = current.iter().map(|c| Some(*c)).collect();
        let new: Vec<Option<usize>> = choice.iter().map(|c| Some(*c)).collect();
        let mut out = Vec::new();
        for (w, wl) in self.workloads.iter().enumerate() {
            if choice[w] == 0 {
                continue;
            }
            let from = wl.current;
            let to = wl.candidates[choice[w]];
            let from_name = &self.model.elements[from].name;
            let mut reasons = Vec::new();
            for g in &self.groups {
                if !g.members.iter().any(|d| d.workloads.contains(&w)) {
                    continue;
                }
                let name = &self.model.clusters[g.cluster].name;
                let was = self
                    .votes_by_domain(g, &cur)
                    .get(&from)
                    .copied()
                    .unwrap_or(0);
                let now = self
                    .votes_by_domain(g, &new)
                    .get(&from)
                    .copied()
                    .unwrap_or(0);
                if now >= was {
                    continue;
                }
                let total: u64 = g.votes.iter().sum();
                reasons.push(match g.tolerance {
                    Some(t) if was > t && now <= t => format!(
                        "{name} keeps {} of {total} votes when {from_name} fails (today {from_name} holds {was} of {total})",
                        total - now
                    ),
                    Some(_) => format!("{name}: {from_name} holds {now} of {total} votes instead of {was}"),
                    None => format!(
                        "{name}: {from_name} runs {now} of its {} members instead of {was}",
                        g.members.len()
                    ),
                });
            }
            let (to_name, cpu) = (&self.model.elements[to].name, wl.cpu);
            let over = wl.bins[0].and_then(|b| {
                let bin = &self.bins[b];
                let (c, m) = self.used(current)[b];
                (c > bin.cpu || m > bin.memory).then(|| {
                    format!(
                        "capacity: {from_name} is overloaded in the model ({} of {} cores, {} of {} MiB); {to_name} has room",
                        c / 1000,
                        bin.cpu / 1000,
                        m / MIB,
                        bin.memory / MIB
                    )
                })
            });
            match before {
                None if cpu > 0 && over.is_some() => reasons.extend(over),
                Some(b) if reasons.is_empty() && after.n1_unplaced < b.n1_unplaced => {
                    reasons.push(format!(
                        "N+1: HA VMs without a place after a single host failure go from {} to {}",
                        b.n1_unplaced, after.n1_unplaced
                    ))
                }
                _ => {}
            }
            if reasons.is_empty() {
                reasons.push("balances the load over the hosts".into());
            }
            out.push(Move {
                workload: w,
                from,
                to,
                reasons,
            });
        }
        out
    }

    /// The hosts any member of `g` can use, and how many members sit on a
    /// fixed host.
    fn usable_hosts(&self, g: &Group) -> (BTreeSet<usize>, usize) {
        let mut hosts: BTreeSet<usize> = BTreeSet::new();
        let mut fixed_hosts = 0;
        for d in &g.members {
            let fh: Vec<usize> = d
                .fixed
                .iter()
                .copied()
                .filter(|x| self.model.elements[*x].kind == ElementKind::Host)
                .collect();
            fixed_hosts += usize::from(!fh.is_empty());
            hosts.extend(fh);
            for w in &d.workloads {
                hosts.extend(self.workloads[*w].candidates.iter().copied());
            }
        }
        (hosts, fixed_hosts)
    }

    /// The domains (power feeds, switches...) every usable host of `g`
    /// requires: whatever the placement, their failure takes every member
    /// with it, so they are reported apart and left out of the score.
    fn shared_domains(&self, g: &Group) -> BTreeSet<usize> {
        let mut shared: Option<BTreeSet<usize>> = None;
        for h in &self.usable_hosts(g).0 {
            let s: BTreeSet<usize> = self.domains_of[*h]
                .iter()
                .copied()
                .filter(|x| x != h)
                .collect();
            shared = Some(match shared {
                None => s,
                Some(p) => p.intersection(&s).copied().collect(),
            });
        }
        shared.unwrap_or_default()
    }

    /// Each quorum cluster's worst domain before and after, and whether any
    /// placement could do better.
    fn quorum_spread(&self, current: &[usize], choice: &[usize]) -> Vec<QuorumSpread> {
        let cur: Vec<Option<usize>> = current.iter().map(|c| Some(*c)).collect();
        let new: Vec<Option<usize>> = choice.iter().map(|c| Some(*c)).collect();
        let worst = |by: BTreeMap<usize, u64>| {
            // The most votes; among equals a host first (the one a user
            // can act on), then model order.
            by.into_iter()
                .max_by_key(|(x, v)| {
                    (
                        *v,
                        self.model.elements[*x].kind == ElementKind::Host,
                        std::cmp::Reverse(*x),
                    )
                })
                .unwrap_or((0, 0))
        };
        let mut out = Vec::new();
        for g in &self.groups {
            let Some(tolerance) = g.tolerance else {
                continue;
            };
            let total: u64 = g.votes.iter().sum();
            let (hosts, fixed_hosts) = self.usable_hosts(g);
            let shared: Vec<usize> = g.shared.iter().copied().collect();
            let worst_before = worst(
                self.votes_by_domain(g, &cur)
                    .into_iter()
                    .filter(|(x, _)| !shared.contains(x))
                    .collect(),
            );
            let worst_after = worst(
                self.votes_by_domain(g, &new)
                    .into_iter()
                    .filter(|(x, _)| !shared.contains(x))
                    .collect(),
            );
            let n = g.members.len() as u64;
            let h = hosts.len() as u64;
            let one_vote = g.votes.iter().all(|v| *v == 1);
            let name = &self.model.clusters[g.cluster].name;
            let impossible = if worst_after.1 <= tolerance {
                None
            } else if tolerance == 0 {
                Some(format!(
                    "{name} has {total} votes and tolerates no lost vote: no placement helps; add a member (3 tolerate one failure)"
                ))
            } else if one_vote && h > 0 && n.div_ceil(h) > tolerance && fixed_hosts == 0 {
                // Pigeonhole: n members on h hosts put ceil(n/h) on one.
                let need = n.div_ceil(tolerance);
                Some(format!(
                    "{name} has {n} members on {h} usable host{}: whatever the placement, one host holds {} of {n} votes and its failure stops {name}; add {} host{} ({need} hosts keep at most {tolerance} of {n} votes each)",
                    if h == 1 { "" } else { "s" },
                    n.div_ceil(h),
                    if need - h == 1 { format!("a {}", ordinal(need)) } else { format!("{} more", need - h) },
                    if need - h == 1 { "" } else { "s" },
                ))
            } else {
                Some(format!(
                    "no placement that fits (capacity, HA groups) keeps every single failure of {name} under {} of {total} votes",
                    tolerance + 1
                ))
            };
            out.push(QuorumSpread {
                cluster: g.cluster,
                total,
                tolerance,
                worst_before,
                worst_after,
                impossible,
                shared,
            });
        }
        out
    }
}

fn ordinal(n: u64) -> String {
    match n {
        2 => "second".into(),
        3 => "third".into(),
        4 => "fourth".into(),
        5 => "fifth".into(),
        _ => format!("{n}th"),
    }
}

/// The branch and bound over candidate hosts.
struct Search<'p, 'm> {
    p: &'p Problem<'m>,
    choice: Vec<usize>,
    used: Vec<(u64, u64)>,
    best: Option<(Score, Vec<usize>)>,
    visited: u64,
}

impl Search<'_, '_> {
    fn descend(&mut self, w: usize) {
        self.visited += 1;
        if self.visited > SEARCH_CAP {
            return;
        }
        let n = self.p.workloads.len();
        let opt: Vec<Option<usize>> = (0..n).map(|i| (i < w).then(|| self.choice[i])).collect();
        let bound = self.p.partial(&opt, &self.used);
        if let Some((best, _)) = &self.best {
            // Every part of `bound` is at most the final value, so a bound
            // that is not better than the best cannot lead to a better one.
            if bound >= *best {
                return;
            }
        }
        if w == n {
            let mut s = bound;
            s.n1_unplaced = self.p.n1(&opt);
            if self.best.as_ref().is_none_or(|(b, _)| s < *b) {
                self.best = Some((s, self.choice.clone()));
            }
            return;
        }
        let wl = &self.p.workloads[w];
        for c in 0..wl.candidates.len() {
            if let Some(b) = wl.bins[c] {
                let (cpu, mem) = self.used[b];
                if cpu.saturating_add(wl.cpu) > self.p.bins[b].cpu
                    || mem.saturating_add(wl.memory) > self.p.bins[b].memory
                {
                    continue;
                }
                self.used[b] = (cpu + wl.cpu, mem + wl.memory);
                self.choice[w] = c;
                self.descend(w + 1);
                self.used[b] = (cpu, mem);
            } else {
                self.choice[w] = c;
                self.descend(w + 1);
            }
        }
    }
}
