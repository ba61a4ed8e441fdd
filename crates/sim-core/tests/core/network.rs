//! Networks as graphs: a failed switch or link partitions the members, and
//! each protocol sees the side it is on (issue "Protocol models I").

use sim_core::analysis::scenario;
use sim_core::model::load;
use sim_core::sim::Injection;
use sim_core::time::{NANOS_PER_HOUR, NANOS_PER_SEC};

const S: u64 = NANOS_PER_SEC;

/// Five etcd members on two switches joined by an uplink; `left` lists the
/// members on switch a (the rest are on b). Member e1 starts as leader.
fn etcd_over_two_switches(left: &[&str], kind: &str) -> String {
    let mut t = String::from("[switches.sw-a]\n[switches.sw-b]\n[components.uplink]\n");
    let mut links = vec!["\"sw-a -- sw-b via uplink\"".to_string()];
    for m in ["e1", "e2", "e3", "e4", "e5"] {
        t.push_str(&format!("[hosts.{m}]\n"));
        let sw = if left.contains(&m) { "sw-a" } else { "sw-b" };
        links.push(format!("\"{m} -- {sw}\""));
    }
    t.push_str(&format!(
        "[networks.service]\nlinks = [{}]\n",
        links.join(", ")
    ));
    t.push_str(&format!(
        "[clusters.etcd]\nkind = \"{kind}\"\nmembers = [\"e1\", \"e2\", \"e3\", \"e4\", \"e5\"]\nnetwork = \"service\"\n[services.writes]\nrequires = \"etcd.quorum\"\n"
    ));
    t
}

fn writes_downtime(text: &str, inj: &[(&str, u64, bool)], seed: u64) -> u64 {
    let m = load("net.toml", text).unwrap();
    crate::scenario_runs(&m, seed, 1, NANOS_PER_HOUR, inj)[0].services[0].downtime
}

#[test]
fn a_leader_on_the_majority_side_keeps_writes_going() {
    let text = etcd_over_two_switches(&["e1", "e2", "e3"], "etcd");
    for seed in 1..=5 {
        let d = writes_downtime(
            &text,
            &[("uplink", 60 * S, true), ("uplink", 600 * S, false)],
            seed,
        );
        assert_eq!(
            d, 0,
            "seed {seed}: the minority side losing touch costs nothing"
        );
    }
}

#[test]
fn a_leader_cut_into_the_minority_is_replaced_by_the_majority() {
    // e1 (leader) and e2 on switch a, e3-e5 on b: the uplink fails, the
    // majority elects after one randomized election timeout (etcd defaults
    // 1000 ms: 1-2 s plus round trips) and writes resume although the
    // partition lasts 10 minutes (etcd-io/raft check-quorum and elections).
    let text = etcd_over_two_switches(&["e1", "e2"], "etcd");
    for seed in 1..=5 {
        let d = writes_downtime(
            &text,
            &[("uplink", 60 * S, true), ("uplink", 660 * S, false)],
            seed,
        );
        assert!(
            (S..=3 * S).contains(&d),
            "seed {seed}: writes down {d} ns, expected one election (1-3 s)"
        );
    }
}

#[test]
fn no_side_with_a_majority_means_no_writes_for_the_whole_partition() {
    // Four members split 2 + 2 (plus a fifth that is down): no side has 3 of 5.
    let text = etcd_over_two_switches(&["e1", "e2"], "etcd");
    let d = writes_downtime(
        &text,
        &[
            ("e5", 10 * S, true),
            ("uplink", 60 * S, true),
            ("uplink", 660 * S, false),
        ],
        1,
    );
    assert!(
        (600 * S..=603 * S).contains(&d),
        "writes down {d} ns, expected the 600 s partition plus an election"
    );
}

#[test]
fn the_quorum_kind_counts_votes_per_side() {
    let text = etcd_over_two_switches(&["e1", "e2"], "quorum");
    assert_eq!(
        writes_downtime(&text, &[("uplink", 60 * S, true)], 1),
        0,
        "3 of 5 on one side keep quorum"
    );
    let text = etcd_over_two_switches(&["e1", "e2"], "quorum");
    let d = writes_downtime(
        &text,
        &[
            ("e5", 10 * S, true),
            ("uplink", 60 * S, true),
            ("uplink", 660 * S, false),
        ],
        1,
    );
    assert_eq!(
        d,
        600 * S,
        "2 + 2 with one member down: no side has a majority"
    );
}

/// Seed 000 pattern 5: separate service and storage networks. Losing the
/// storage switch partitions the storage replicas but not etcd.
#[test]
fn separate_service_and_storage_networks() {
    let text = r#"
[switches.service-sw]
[switches.storage-sw]
[hosts.n1]
[hosts.n2]
[hosts.n3]
[vms.m1]
host = "n1"
[vms.m2]
host = "n2"
[vms.m3]
host = "n3"
[networks.services]
links = ["n1 -- service-sw", "n2 -- service-sw", "n3 -- service-sw"]
[networks.storage]
links = ["n1 -- storage-sw", "n2 -- storage-sw", "n3 -- storage-sw"]
[clusters.etcd]
kind = "etcd"
members = ["m1", "m2", "m3"]
network = "services"
[clusters.replicas]
kind = "quorum"
members = ["m1", "m2", "m3"]
network = "storage"
[services.api]
requires = "etcd.quorum"
[services.volumes]
requires = "replicas.quorum"
"#;
    let m = load("p5.toml", text).unwrap();
    let sw = m
        .elements
        .iter()
        .position(|e| e.name == "storage-sw")
        .unwrap();
    let (o, _) = scenario(
        &m,
        vec![Injection {
            element: sw,
            at: 60 * S,
            down: true,
        }],
        NANOS_PER_HOUR,
        1,
    )
    .expect("the scenario stays within its event budget");
    assert_eq!(
        o.services[0].downtime, 0,
        "etcd on the service network is untouched"
    );
    assert_eq!(
        o.services[1].downtime,
        NANOS_PER_HOUR - 60 * S,
        "every storage replica is cut off"
    );
}

#[test]
fn network_errors_are_located() {
    let base = "[hosts.a]\n[hosts.b]\n[switches.sw]\n";
    let cases = [
        ("[networks.n]\nlinks = [\"a -- swx\"]\n", "unknown reference `swx`"),
        ("[networks.n]\nlinks = [\"a sw\"]\n", "is not a link"),
        ("[networks.n]\nlinks = [\"a -- sw\"]\n[clusters.q]\nkind = \"quorum\"\nmembers = [\"a\", \"b\"]\nnetwork = \"n\"\n", "not attached to network `n`"),
        ("[networks.n]\nlinks = [\"a -- sw\"]\n[clusters.q]\nkind = \"quorum\"\nmembers = [\"a\"]\nnetwork = \"m\"\n", "unknown network `m`"),
    ];
    for (extra, says) in cases {
        let text = format!("{base}{extra}[services.s]\nrequires = \"a\"\n");
        let e = load("n.toml", &text).unwrap_err();
        let d = &e.diagnostics[0];
        assert!(d.message.contains(says), "{d}");
        assert!(d.line > 3, "{d}");
    }
}
