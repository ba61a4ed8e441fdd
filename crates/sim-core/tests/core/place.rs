//! Placement proposals (`hasim plan --place`) on small models whose best
//! answer can be found by hand, and checked by brute force through the
//! simulation itself.

use sim_core::model::diag::Source;
use sim_core::model::tree::{parse, Format, Value};
use sim_core::plan::headroom::headroom;
use sim_core::plan::place::{place, verify, NoPlacement, Proposal};
use sim_core::{load, Model};

const SEED: u64 = 1;

fn tree(name: &str, text: &str) -> Value {
    parse(&Source { name, text }, Format::Toml).unwrap_or_else(|e| panic!("{e}"))
}

fn propose(text: &str) -> (Model, Result<Proposal, NoPlacement>) {
    let model = load("m.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let before = headroom(&model, 1, SEED);
    let src = Source {
        name: "m.toml",
        text,
    };
    let p = place(&src, &tree("m.toml", text), &model, &before);
    (model, p)
}

fn edits(p: &Proposal) -> Vec<(&str, &str)> {
    p.edits
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}

/// Three hosts; etcd on three plain VMs, two of them on h1; a VRRP pair of
/// load balancers both on h1. Nothing restarts a plain VM elsewhere, so
/// losing h1 stops etcd (2 of 3 votes) and the VIP.
const CONCENTRATED: &str = r#"
[model]
name = "concentrated"
[hosts.h1]
[hosts.h2]
[hosts.h3]
[vms.etcd-1]
host = "h1"
[vms.etcd-2]
host = "h1"
[vms.etcd-3]
host = "h2"
[vms.lb-1]
host = "h1"
[vms.lb-2]
host = "h1"
[clusters.etcd]
kind = "etcd"
members = ["etcd-1", "etcd-2", "etcd-3"]
[clusters.vip]
kind = "vrrp"
members = ["lb-1", "lb-2"]
priority = [100, 50]
[services.api]
requires = "etcd.quorum & vip"
"#;

/// By hand: etcd needs its three members on three hosts (one move: etcd-2
/// or etcd-1 to h3; the search tries workloads in model order, each at its
/// present host first, so etcd-1 stays and etcd-2 moves), and the VRRP pair
/// needs one of its two on another host (one move: lb-2, for the same
/// reason; h2 or h3 then runs two VMs either way, the sums of squared VM
/// counts tie, and the first found, h2, is kept).
#[test]
fn spreads_a_concentrated_quorum_with_the_fewest_moves() {
    let (model, p) = propose(CONCENTRATED);
    let p = p.unwrap_or_else(|e| panic!("{e}"));
    assert!(p.exhaustive);
    assert_eq!(
        edits(&p),
        vec![("vms.etcd-2.host", "h3"), ("vms.lb-2.host", "h2")]
    );
    assert_eq!(p.after.quorum_excess, 0);
    assert_eq!(p.after.colocated, 0);
    assert_eq!(p.before.unwrap().quorum_excess, 1);
    let m = &p.moves[0];
    assert_eq!(
        m.reasons,
        vec!["etcd keeps 2 of 3 votes when h1 fails (today h1 holds 2 of 3)"]
    );
    assert_eq!(
        p.moves[1].reasons,
        vec!["vip: h1 runs 1 of its 2 members instead of 2"]
    );
    // The verification replays every host failure on the edited model:
    // before, losing h1 stops the API; after, no single failure does.
    let h1 = model.elements.iter().position(|e| e.name == "h1").unwrap();
    let case = |c: &[sim_core::plan::Case]| {
        c.iter()
            .find(|c| c.failed == [h1])
            .unwrap()
            .services_down
            .clone()
    };
    assert_eq!(case(&headroom(&model, 1, SEED).cases), vec![0]);
    assert!(p.verified.cases.iter().all(|c| c.services_down.is_empty()));
}

/// Brute force through the simulation: every placement of the three etcd
/// VMs on three hosts (27), each verified by replaying every host failure;
/// the fewest moves among those where no single failure stops etcd is the
/// number of etcd moves the proposal makes.
#[test]
fn fewest_moves_agree_with_brute_force_over_the_simulation() {
    let (_, p) = propose(CONCENTRATED);
    let p = p.unwrap();
    let t = tree("m.toml", CONCENTRATED);
    let src = Source {
        name: "m.toml",
        text: CONCENTRATED,
    };
    let hosts = ["h1", "h2", "h3"];
    let today = ["h1", "h1", "h2"];
    let mut best = usize::MAX;
    for code in 0..27 {
        let at: Vec<&str> = (0..3).map(|i| hosts[(code / 3usize.pow(i)) % 3]).collect();
        // The VRRP pair spread, so only etcd decides the service.
        let mut e: Vec<(String, String)> = vec![("vms.lb-2.host".into(), "h2".into())];
        for (i, h) in at.iter().enumerate() {
            e.push((format!("vms.etcd-{}.host", i + 1), h.to_string()));
        }
        let h = verify(&src, &t, &e, 1, SEED).unwrap();
        if h.cases.iter().all(|c| c.services_down.is_empty()) {
            best = best.min((0..3).filter(|i| at[*i] != today[*i]).count());
        }
    }
    let etcd_moves = p.edits.iter().filter(|(k, _)| k.contains("etcd")).count();
    assert_eq!(best, 1);
    assert_eq!(etcd_moves, best);
}

/// HA VMs with groups and capacities, placed so that h1 is overloaded
/// (16 of 8 cores). h3 is small (4 cores, 8 GiB). etcd runs on a, b, c.
const CONSTRAINED: &str = r#"
[model]
name = "constrained"
[hosts.h1]
[hosts.h2]
[hosts.h3]
[clusters.pve]
kind = "proxmox-ha"
members = ["h1", "h2", "h3"]
crs = "static"
host_cores = [8, 8, 4]
host_memory = [16384, 16384, 8192]
vms = [
  { name = "a", home = "h1", group = ["h1", "h2"], cores = 4, memory = 4096 },
  { name = "b", home = "h1", group = ["h1", "h2"], cores = 4, memory = 4096 },
  { name = "c", home = "h1", group = ["h1", "h2", "h3"], cores = 4, memory = 4096 },
  { name = "d", home = "h2", group = ["h2", "h3"], cores = 2, memory = 2048 },
  { name = "e", home = "h1", cores = 4, memory = 8192 },
]
[clusters.etcd]
kind = "etcd"
members = ["pve.a", "pve.b", "pve.c"]
[services.api]
requires = "etcd.quorum & pve.d & pve.e"
"#;

/// By hand: a and b may only use h1 and h2, so spreading etcd puts c on
/// h3, which fills h3 (4 of 4 cores); d then stays on h2, and e (4 cores)
/// fits only next to the one of a, b left on h1. Fewest moves: b to h2, c
/// to h3.
#[test]
fn respects_every_capacity_and_group_constraint() {
    let (model, p) = propose(CONSTRAINED);
    let p = p.unwrap_or_else(|e| panic!("{e}"));
    assert!(p.before.is_none(), "the model's own placement overloads h1");
    assert_eq!(
        edits(&p),
        vec![
            ("clusters.pve.vms.1.home", "h2"),
            ("clusters.pve.vms.2.home", "h3")
        ]
    );
    // Every constraint, checked on the result.
    let name = |e: usize| model.elements[e].name.as_str();
    let groups: [&[&str]; 5] = [
        &["h1", "h2"],
        &["h1", "h2"],
        &["h1", "h2", "h3"],
        &["h2", "h3"],
        &["h1", "h2", "h3"],
    ];
    let need = [(4, 4096), (4, 4096), (4, 4096), (2, 2048), (4, 8192)];
    let cap = [("h1", 8, 16384), ("h2", 8, 16384), ("h3", 4, 8192)];
    for (i, w) in p.workloads.iter().enumerate() {
        assert!(
            groups[i].contains(&name(p.placement[i])),
            "{} placed outside its group",
            w.name
        );
    }
    for (h, cores, mem) in cap {
        let on: Vec<usize> = (0..5).filter(|i| name(p.placement[*i]) == h).collect();
        assert!(
            on.iter().map(|i| need[*i].0).sum::<u64>() <= cores,
            "{h} cores"
        );
        assert!(
            on.iter().map(|i| need[*i].1).sum::<u64>() <= mem,
            "{h} memory"
        );
    }
    let etcd_hosts: std::collections::BTreeSet<usize> = p.placement[..3].iter().copied().collect();
    assert_eq!(etcd_hosts.len(), 3, "etcd spread over three hosts");
    // The simulation agrees: with the edits everything runs and nothing
    // is overloaded with every host up.
    assert!(p.verified.baseline.carried());
    assert!(p.verified.baseline.services_down.is_empty());
}

#[test]
fn no_placement_names_the_workloads_and_the_numbers() {
    // Three 4-core HA VMs confined to two 4-core hosts.
    let total = r#"
[model]
name = "too-small"
[hosts.h1]
[hosts.h2]
[hosts.h3]
[clusters.pve]
kind = "proxmox-ha"
members = ["h1", "h2", "h3"]
host_cores = 4
vms = [
  { name = "a", home = "h1", group = ["h1", "h2"], cores = 4 },
  { name = "b", home = "h2", group = ["h1", "h2"], cores = 4 },
  { name = "c", home = "h1", group = ["h2", "h1"], cores = 4 },
]
[services.app]
requires = "pve.a"
"#;
    let (_, p) = propose(total);
    let e = p.unwrap_err();
    assert_eq!(
        e.reasons,
        vec!["HA VMs a, b, c need 12 cores, the hosts in their groups (h1, h2) offer 8 cores"]
    );

    // One VM larger than every host of its group.
    let big = total.replace(
        "{ name = \"c\", home = \"h1\", group = [\"h2\", \"h1\"], cores = 4 }",
        "{ name = \"c\", home = \"h3\", group = [\"h3\"], cores = 6 }",
    );
    let (_, p) = propose(&big);
    assert_eq!(
        p.unwrap_err().reasons,
        vec!["HA VM `c` needs 6 cores and 512 MiB; no host of its group (h3) offers that much"]
    );

    // Three replicas with required anti-affinity on two nodes.
    let pods = r#"
[model]
name = "pods"
[hosts.n1]
[hosts.n2]
[clusters.web]
kind = "deployment"
members = ["n1", "n2"]
replicas = 3
anti_affinity = "required"
[services.site]
requires = "web.up"
"#;
    let (_, p) = propose(pods);
    let e = p.unwrap_err();
    assert_eq!(e.reasons.len(), 1);
    assert!(
        e.reasons[0].starts_with(
            "`web`: 1 of 3 pods have no place with everything up (2 placed on 2 of 2 nodes)"
        ),
        "{}",
        e.reasons[0]
    );
    assert!(e.reasons[0].contains("anti-affinity"), "{}", e.reasons[0]);
}

/// Seed 000 as written: three etcd members on two Proxmox hosts. Whatever
/// the placement one host holds two of three votes; the proposal says so
/// and asks for a third host instead of moving anything.
#[test]
fn homelab_write_up_needs_a_third_host() {
    let text = include_str!("../../../../models/homelab-k3s-as-written.toml");
    let (model, p) = propose(text);
    let p = p.unwrap_or_else(|e| panic!("{e}"));
    assert!(p.moves.is_empty());
    let etcd = model
        .clusters
        .iter()
        .position(|c| c.name == "etcd")
        .unwrap();
    let q = p.quorum.iter().find(|q| q.cluster == etcd).unwrap();
    assert_eq!((q.total, q.tolerance), (3, 1));
    assert_eq!(model.elements[q.worst_after.0].name, "proxmox-1");
    assert_eq!(q.worst_after.1, 2);
    let why = q.impossible.as_deref().unwrap();
    assert!(
        why.contains("whatever the placement, one host holds 2 of 3 votes")
            && why.contains("add a third host"),
        "{why}"
    );
    let shared: Vec<&str> = q
        .shared
        .iter()
        .map(|e| model.elements[*e].name.as_str())
        .collect();
    assert_eq!(shared, vec!["utility", "core-switch"]);
}
