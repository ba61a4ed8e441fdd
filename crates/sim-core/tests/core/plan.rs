//! The capacity planner on small models whose answers can be checked by
//! hand: loads and verdicts of the headroom report, placement, and the
//! design search against brute force.

use sim_core::plan::headroom::{headroom, Case, Headroom, Shortfall, Verdict};
use sim_core::{load, Model};

const GIB: u64 = 1 << 30;

/// Three hosts with 8 cores and 16 GiB each (no shared power or switch, so
/// the hosts are the only failure domains), and four HA VMs of 4 cores and
/// 4 GiB: two on h1, one on h2, one on h3. `crs = "static"` places by room.
fn four_vms(extra: &str) -> Model {
    let text = format!(
        r#"
[model]
name = "four-vms"
[hosts.h1]
[hosts.h2]
[hosts.h3]
[clusters.pve]
kind = "proxmox-ha"
members = ["h1", "h2", "h3"]
crs = "static"
host_cores = 8
host_memory = 16384
{extra}
vms = [
  {{ name = "a", home = "h1", cores = 4, memory = 4096 }},
  {{ name = "b", home = "h1", cores = 4, memory = 4096 }},
  {{ name = "c", home = "h2", cores = 4, memory = 4096 }},
  {{ name = "d", home = "h3", cores = 4, memory = 4096 }},
]
[services.app]
requires = "pve.a & pve.b & pve.c & pve.d"
"#
    );
    load("four-vms.toml", &text).unwrap_or_else(|e| panic!("{e}"))
}

fn case<'h>(model: &Model, h: &'h Headroom, failed: &[&str]) -> &'h Case {
    let ids: Vec<usize> = failed
        .iter()
        .map(|n| model.elements.iter().position(|e| e.name == *n).unwrap())
        .collect();
    h.cases
        .iter()
        .find(|c| c.failed == ids)
        .unwrap_or_else(|| panic!("no case for {failed:?}"))
}

/// (cpu cores, memory GiB, items) of `member` in a case.
fn load_of(model: &Model, c: &Case, member: &str) -> (u64, u64, Vec<String>) {
    let l = &c.loads[0];
    let m = l
        .members
        .iter()
        .find(|m| model.clusters[l.cluster].member_names[m.member] == member)
        .unwrap();
    (m.cpu / 1000, m.memory / GIB, m.items.clone())
}

#[test]
fn headroom_loads_and_verdicts_match_a_hand_calculation() {
    let model = four_vms("");
    let h = headroom(&model, 2, 1);
    // Everything up: h1 carries a and b (8 of 8 cores), h2 and h3 one each.
    assert_eq!(
        load_of(&model, &h.baseline, "h1"),
        (8, 8, vec!["a".into(), "b".into()])
    );
    assert_eq!(load_of(&model, &h.baseline, "h2").0, 4);
    // h1 fails: a and b need 4 cores each; h2 and h3 have 4 free each, so
    // one goes to each and both end at 8 of 8 cores, 8 of 16 GiB.
    let c = case(&model, &h, &["h1"]);
    assert!(c.carried(), "{c:?}");
    assert!(c.unplaced.is_empty());
    assert_eq!(c.moves.len(), 2);
    assert_eq!(load_of(&model, c, "h2").0, 8);
    assert_eq!(load_of(&model, c, "h3").0, 8);
    assert_eq!(load_of(&model, c, "h2").1, 8);
    // h2 fails: c goes to h3, the only host with 4 free cores.
    let c = case(&model, &h, &["h2"]);
    assert!(c.carried());
    assert_eq!(c.moves, vec![(0, "c".to_string(), 1, 2)]);
    // h1 and h2 fail: one of three votes is left, so the cluster has no
    // quorum: nothing is recovered, and h3 self-fences, stopping d too
    // (pve-docs, watchdog), whatever the room.
    let c = case(&model, &h, &["h1", "h2"]);
    assert!(!c.carried());
    assert_eq!(c.unplaced.len(), 4, "{c:?}");
    assert!(c.unplaced.iter().all(|u| u.shortfall == Shortfall::Quorum));
    assert_eq!(load_of(&model, c, "h3").0, 0);
    assert_eq!(h.cases.len(), 3 + 3);
    assert_eq!(h.verdict, Verdict::NPlus(1));
    assert!(c.services_down.contains(&0));
}

#[test]
fn headroom_is_not_n_plus_1_when_a_failure_leaves_no_room() {
    // 6 cores per host: after h1 dies, a and b (4 cores each) cannot both
    // find 4 free cores (h2 and h3 have 2 free each).
    let text = |cores: u32| {
        format!("[model]\nname = \"x\"\n[hosts.h1]\n[hosts.h2]\n[hosts.h3]\n[clusters.pve]\nkind = \"proxmox-ha\"\nmembers = [\"h1\", \"h2\", \"h3\"]\ncrs = \"static\"\nhost_cores = {cores}\nvms = [{{ name = \"a\", home = \"h1\", cores = 4 }}, {{ name = \"b\", home = \"h2\", cores = 4 }}, {{ name = \"c\", home = \"h3\", cores = 4 }}]\n[services.s]\nrequires = \"pve\"\n")
    };
    let small = load("x.toml", &text(6)).unwrap();
    let h = headroom(&small, 1, 1);
    assert_eq!(h.verdict, Verdict::NPlus(0));
    for c in &h.cases {
        assert_eq!(c.unplaced.len(), 1, "{c:?}");
        assert_eq!(c.unplaced[0].shortfall, Shortfall::Room);
    }
    // 8 cores: every single failure fits.
    let big = load("x.toml", &text(8)).unwrap();
    assert_eq!(headroom(&big, 1, 1).verdict, Verdict::NPlus(1));
    // 3 cores: not even the baseline fits.
    let tiny = load("x.toml", &text(3)).unwrap();
    assert_eq!(headroom(&tiny, 1, 1).verdict, Verdict::DoesNotFit);
}

#[test]
fn headroom_two_node_proxmox_without_qdevice_recovers_nothing() {
    // pve-docs: a two-node cluster without a QDevice loses quorum with
    // either node, so the survivor recovers nothing, whatever its room.
    let text = "[model]\nname = \"two\"\n[hosts.h1]\n[hosts.h2]\n[clusters.pve]\nkind = \"proxmox-ha\"\nmembers = [\"h1\", \"h2\"]\nvms = [{ name = \"a\", home = \"h1\" }]\n[services.s]\nrequires = \"pve.a\"\n";
    let m = load("two.toml", text).unwrap();
    let h = headroom(&m, 1, 1);
    assert_eq!(h.verdict, Verdict::NPlus(0));
    let c = case(&m, &h, &["h1"]);
    assert_eq!(c.unplaced[0].shortfall, Shortfall::Quorum);
    // With a QDevice the same failure is carried.
    let text = text.replace(
        "members = [\"h1\", \"h2\"]",
        "members = [\"h1\", \"h2\"]\nqdevice = \"q\"",
    ) + "[hosts.q]\n";
    let m = load("two.toml", &text).unwrap();
    let c = case(&m, &headroom(&m, 1, 1), &["h1"]).clone();
    assert!(c.carried(), "{c:?}");
}

#[test]
fn headroom_seed_001_two_replicas_keep_their_place_three_do_not() {
    // Seed 001: 3 workers, required anti-affinity. Two replicas find the
    // third worker after a node loss; three replicas leave one Pending.
    let text = |replicas: u32| {
        format!("[model]\nname = \"k\"\n[hosts.w1]\n[hosts.w2]\n[hosts.w3]\n[clusters.web]\nkind = \"deployment\"\nmembers = [\"w1\", \"w2\", \"w3\"]\nreplicas = {replicas}\nanti_affinity = \"required\"\ncpu = \"500m\"\nmemory = \"256Mi\"\nnode_cpu = \"2\"\nnode_memory = \"4Gi\"\n[services.s]\nrequires = \"web\"\n")
    };
    let two = load("k.toml", &text(2)).unwrap();
    let h = headroom(&two, 1, 1);
    assert_eq!(h.verdict, Verdict::NPlus(1), "{h:?}");
    let c = case(&two, &h, &["w1"]);
    assert_eq!(c.moves.len(), 1);
    let three = load("k.toml", &text(3)).unwrap();
    let h = headroom(&three, 1, 1);
    assert_eq!(h.verdict, Verdict::NPlus(0));
    for c in &h.cases {
        assert_eq!(c.unplaced.len(), 1);
        assert!(
            c.unplaced[0].why.contains("anti-affinity"),
            "{}",
            c.unplaced[0].why
        );
    }
    // The pods' loads: 0.5 cores each, on the nodes the scheduler chose.
    let total: u64 = h.baseline.loads[0].members.iter().map(|m| m.cpu).sum();
    assert_eq!(total, 1500);
}
