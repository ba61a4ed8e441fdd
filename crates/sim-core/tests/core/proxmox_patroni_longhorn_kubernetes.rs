//! Protocol models II against their documented timelines and hand
//! calculations (HA-FACTS.md sections 4-7 and the sources they cite):
//! Proxmox VE HA, Patroni / PostgreSQL, Longhorn volumes, Kubernetes
//! Deployments and StatefulSets. Scenario tests inject faults with fixed
//! seeds; Monte Carlo tests run fixed seeds; every failure prints its seed.

use sim_core::analysis;
use sim_core::model::load;
use sim_core::sim::{Injection, RepOptions, RepOutcome, Replication};
use sim_core::time::{Nanos, NANOS_PER_DAY, NANOS_PER_SEC, NANOS_PER_YEAR};
use sim_core::Model;

const S: Nanos = NANOS_PER_SEC;
const MIN: Nanos = 60 * S;

/// Runs `reps` scenario replications with `faults` = (element, time, down).
fn scenario(
    model: &Model,
    seed: u64,
    reps: u64,
    horizon: Nanos,
    faults: &[(&str, Nanos, bool)],
) -> Vec<RepOutcome> {
    crate::scenario_runs(model, seed, reps, horizon, faults)
}

/// Downtime of service `k` in each outcome, sorted.
fn down(outs: &[RepOutcome], k: usize) -> Vec<Nanos> {
    let mut v: Vec<Nanos> = outs.iter().map(|o| o.services[k].downtime).collect();
    v.sort_unstable();
    v
}

fn q(v: &[Nanos], p: f64) -> Nanos {
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn secs(x: Nanos) -> f64 {
    x as f64 / S as f64
}

/// Monte Carlo: per service, (mean downtime fraction, data-loss events per
/// year), over `reps` replications of `years`.
fn monte_carlo(model: &Model, seed: u64, reps: u64, years: u64) -> Vec<(f64, f64)> {
    let horizon = years * NANOS_PER_YEAR;
    let mut acc = vec![(0u128, 0u64); model.services.len()];
    for i in 0..reps {
        let opts = RepOptions {
            horizon,
            random_faults: true,
            injections: vec![],
            trace: false,
        };
        let (o, _) = Replication::new(model, seed, i).run(&opts);
        for (a, s) in acc.iter_mut().zip(&o.services) {
            a.0 += u128::from(s.downtime);
            a.1 += s.data_loss;
        }
    }
    let total = (reps * years) as f64;
    acc.iter()
        .map(|(d, l)| {
            (
                *d as f64 / (reps as f64 * horizon as f64),
                *l as f64 / total,
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Proxmox VE HA (HA-FACTS section 7)

fn pve_model(hosts: usize, extra: &str, vms: &str) -> String {
    let mut t = String::new();
    let mut names = Vec::new();
    for i in 1..=hosts {
        t.push_str(&format!("[hosts.pve-{i}]\n"));
        names.push(format!("\"pve-{i}\""));
    }
    t.push_str(&format!(
        "[vms.plain]\nhost = \"pve-1\"\n[clusters.ha]\nkind = \"proxmox-ha\"\nmembers = [{}]\n{extra}\nvms = [{vms}]\n",
        names.join(", ")
    ));
    t.push_str("[services.app]\nrequires = \"ha.app\"\n[services.plain-vm]\nrequires = \"plain\"\n[services.quorum]\nrequires = \"ha.quorum\"\n");
    t
}

/// Asserts the documented recovery of an HA VM with a 30 s boot whose
/// host crashed, from its sorted downtimes `d`: pve-ha-manager's agent
/// lock expires 120 s after its last renewal (U(0, 10 s) before the
/// crash), then a CRM round U(0, 10 s), an LRM round U(0, 10 s) and the
/// boot: 140-170 s, median about 155 s, "about 2 minutes" plus boot
/// (pve-docs).
fn assert_recovery_timeline(what: &str, seed: u64, d: &[Nanos]) {
    println!(
        "{what}: min {:.1} s, median {:.1} s, max {:.1} s",
        secs(q(d, 0.0)),
        secs(q(d, 0.5)),
        secs(q(d, 1.0))
    );
    assert!(
        q(d, 0.0) >= 140 * S && q(d, 1.0) < 170 * S,
        "seed {seed}: {what}: {:?}",
        (q(d, 0.0), q(d, 1.0))
    );
    assert!(
        (q(d, 0.5) as i64 - 155 * S as i64).abs() < 3 * S as i64,
        "seed {seed}: {what}: median {}",
        secs(q(d, 0.5))
    );
}

#[test]
fn proxmox_host_crash_brings_ha_vms_back_in_about_two_minutes_plus_boot() {
    let seed = 101;
    let model = load(
        "pve.toml",
        &pve_model(3, "boot = \"30s\"", "{ name = \"app\", home = \"pve-1\" }"),
    )
    .unwrap();
    let repair = 3600 * S;
    let outs = scenario(
        &model,
        seed,
        300,
        3 * repair,
        &[("pve-1", 10 * S, true), ("pve-1", 10 * S + repair, false)],
    );
    assert_recovery_timeline("proxmox HA VM after host crash", seed, &down(&outs, 0));
    // The non-HA VM waits for its host; 3 nodes keep quorum.
    assert!(
        outs.iter().all(|o| o.services[1].downtime == repair),
        "seed {seed}"
    );
    assert!(
        outs.iter().all(|o| o.services[2].downtime == 0),
        "seed {seed}"
    );
}

#[test]
fn proxmox_two_nodes_without_qdevice_lose_quorum_and_fence_when_either_dies() {
    let seed = 102;
    let vms = "{ name = \"app\", home = \"pve-1\" }, { name = \"other\", home = \"pve-2\" }";
    let model = load("pve.toml", &pve_model(2, "boot = \"30s\"", vms)).unwrap();
    let repair = 3600 * S;
    let outs = scenario(
        &model,
        seed,
        50,
        3 * repair,
        &[("pve-2", 10 * S, true), ("pve-2", 10 * S + repair, false)],
    );
    // corosync drops pve-2 after token + consensus = 2.2 * 3 s (two nodes,
    // no token_coefficient); pve-1 is left with 1 of 2 votes: no quorum.
    // 60 s later its watchdog fences it and `app` (on the SURVIVING node)
    // stops until pve-2 is back (plus an LRM round and the boot).
    let detect = 6600 * S / 1000;
    for o in &outs {
        let q = o.services[2].downtime;
        assert_eq!(q, repair - detect, "seed {seed}: quorum down time");
        let app = o.services[0].downtime;
        let lo = repair - detect - 60 * S + 30 * S;
        assert!(
            app >= lo && app < lo + 10 * S,
            "seed {seed}: app down {} s",
            secs(app)
        );
    }
    let lints = sim_core::model::load("pve.toml", &pve_model(2, "", vms))
        .unwrap()
        .clusters[0]
        .kind
        .lint();
    assert_eq!(lints.len(), 1, "two nodes without qdevice should warn");

    // With a QDevice (+1 vote) pve-1 keeps quorum: `app` never stops and
    // `other` is recovered onto pve-1 in about two minutes plus boot.
    let text = pve_model(2, "boot = \"30s\"\nqdevice = \"qdev\"", vms)
        .replace("[vms.plain]", "[components.qdev]\n[vms.plain]");
    let model = load("pve.toml", &text).unwrap();
    let outs = scenario(
        &model,
        seed,
        50,
        3 * repair,
        &[("pve-2", 10 * S, true), ("pve-2", 10 * S + repair, false)],
    );
    for o in &outs {
        assert_eq!(o.services[0].downtime, 0, "seed {seed}");
        assert_eq!(o.services[2].downtime, 0, "seed {seed}");
    }
    assert!(model.clusters[0].kind.lint().is_empty());
}

#[test]
fn proxmox_recovery_needs_room_on_a_surviving_host() {
    let seed = 103;
    // Two 8 GiB hosts + QDevice; 6 GiB VMs on each: after pve-1 dies there
    // is no room for `app` on pve-2 (static CRS only picks hosts with room).
    let vms = "{ name = \"app\", home = \"pve-1\", memory = 6144 }, { name = \"other\", home = \"pve-2\", memory = 6144 }";
    let text = pve_model(
        2,
        "boot = \"30s\"\nqdevice = \"qdev\"\nhost_memory = 8192\ncrs = \"static\"",
        vms,
    )
    .replace("[vms.plain]", "[components.qdev]\n[vms.plain]");
    let model = load("pve.toml", &text).unwrap();
    let repair = 3600 * S;
    let faults = [("pve-1", 10 * S, true), ("pve-1", 10 * S + repair, false)];
    let outs = scenario(&model, seed, 20, 3 * repair, &faults);
    for o in &outs {
        let d = o.services[0].downtime;
        assert!(
            d >= repair + 30 * S && d < repair + 40 * S,
            "seed {seed}: app should wait for its host: {} s",
            secs(d)
        );
    }
    let (_, trace) = analysis::scenario(
        &model,
        vec![Injection {
            element: model
                .elements
                .iter()
                .position(|e| e.name == "pve-1")
                .unwrap(),
            at: 10 * S,
            down: true,
        }],
        600 * S,
        seed,
    )
    .expect("the scenario stays within its event budget");
    assert!(
        trace
            .entries
            .iter()
            .any(|e| e.what.contains("no online node with room")),
        "seed {seed}: the timeline should say why app stays down"
    );
    // With 16 GiB hosts it is recovered as usual.
    let model = load(
        "pve.toml",
        &text.replace("host_memory = 8192", "host_memory = 16384"),
    )
    .unwrap();
    let outs = scenario(&model, seed, 20, 3 * repair, &faults);
    assert!(
        outs.iter().all(|o| o.services[0].downtime < 170 * S),
        "seed {seed}"
    );
}

/// The traced timeline of one scenario replication: (time, what).
fn timeline(
    model: &Model,
    seed: u64,
    horizon: Nanos,
    faults: &[(&str, Nanos, bool)],
) -> Vec<(Nanos, String)> {
    let injections = faults
        .iter()
        .map(|(name, at, down)| Injection {
            element: model.elements.iter().position(|e| e.name == *name).unwrap(),
            at: *at,
            down: *down,
        })
        .collect();
    let (_, trace) = analysis::scenario(model, injections, horizon, seed)
        .expect("the scenario stays within its event budget");
    trace
        .entries
        .into_iter()
        .map(|e| (e.time_ns, e.what))
        .collect()
}

#[test]
fn proxmox_unrestricted_group_falls_back_to_any_node_and_migrates_back() {
    let seed = 104;
    // `app`'s HA group is pve-1 alone, the pve-docs "preferred node" idiom;
    // `busy` on pve-2 makes `crs = "basic"` (fewest HA services) pick pve-3
    // once the CRM may use non-members. Three nodes keep quorum without
    // pve-1 (2 of 3 votes).
    let vms = |keys: &str| {
        format!("{{ name = \"app\", home = \"pve-1\", group = [\"pve-1\"]{keys} }}, {{ name = \"busy\", home = \"pve-2\" }}")
    };
    let model = |keys: &str| load("pve.toml", &pve_model(3, "boot = \"30s\"", &vms(keys))).unwrap();
    let repair = 3600 * S;
    let faults = [("pve-1", 10 * S, true), ("pve-1", 10 * S + repair, false)];

    // Restricted (pve-docs "Groups": "placed in the stopped state if no
    // group node member is online"): `app` waits for pve-1, then one LRM
    // round U(0, 10 s) and the 30 s boot.
    let restricted = model(", restricted = true");
    for o in scenario(&restricted, seed, 50, 3 * repair, &faults) {
        let d = o.services[0].downtime;
        assert!(
            d >= repair + 30 * S && d < repair + 40 * S,
            "seed {seed}: restricted app should wait for pve-1: {} s",
            secs(d)
        );
    }
    let t = timeline(&restricted, seed, 2 * repair, &faults);
    assert!(
        t.iter()
            .any(|(_, w)| w.contains("restricted: no other member is online")),
        "seed {seed}: the timeline should say why app stays down: {t:?}"
    );

    // Unrestricted, the default (pve-ha-manager Groups.pm `restricted`
    // default 0): recovered on a non-member on the same timeline as any
    // recovery, and the live migration back to pve-1 costs nothing.
    let unrestricted = model("");
    let outs = scenario(&unrestricted, seed, 300, 3 * repair, &faults);
    assert_recovery_timeline(
        "unrestricted group, its only member crashed",
        seed,
        &down(&outs, 0),
    );
    let t = timeline(&unrestricted, seed, 2 * repair, &faults);
    let start = t
        .iter()
        .find(|(_, w)| w.starts_with("starting HA VM app on"))
        .unwrap_or_else(|| panic!("seed {seed}: app is never started: {t:?}"));
    assert!(
        start.1.starts_with("starting HA VM app on pve-3"),
        "seed {seed}: basic CRS picks the node with the fewest HA services: {start:?}"
    );
    // "they will migrate back as soon as a group member comes online".
    let back = t
        .iter()
        .find(|(_, w)| w.contains("HA VM app migrates back to pve-1"))
        .unwrap_or_else(|| panic!("seed {seed}: app never migrates back: {t:?}"));
    assert_eq!(back.0, 10 * S + repair, "seed {seed}");

    // `nofailback`: select_service_node keeps it on pve-3, which an
    // unrestricted group allows.
    let stays = model(", nofailback = true");
    let t = timeline(&stays, seed, 2 * repair, &faults);
    assert!(
        t.iter()
            .any(|(_, w)| w.starts_with("starting HA VM app on pve-3")),
        "seed {seed}: {t:?}"
    );
    assert!(
        !t.iter().any(|(_, w)| w.contains("migrates back")),
        "seed {seed}: {t:?}"
    );
    for o in scenario(&stays, seed, 50, 3 * repair, &faults) {
        assert!(o.services[0].downtime < 170 * S, "seed {seed}");
    }
}

// ---------------------------------------------------------------------------
// Patroni (HA-FACTS section 4)

fn patroni_model(extra: &str) -> String {
    format!(
        r#"
[components.etcd-1]
[components.etcd-2]
[components.etcd-3]
[clusters.etcd]
kind = "etcd"
members = ["etcd-1", "etcd-2", "etcd-3"]
[components.pg-1]
[components.pg-2]
[components.pg-3]
[clusters.pg]
kind = "patroni"
members = ["pg-1", "pg-2", "pg-3"]
dcs = "etcd.quorum"
promotion = "3s"
{extra}
[services.writes]
requires = "pg.writes"
[services.reads]
requires = "pg.reads"
"#
    )
}

#[test]
fn patroni_crash_failover_is_ttl_minus_loop_wait_plus_promotion() {
    let seed = 201;
    let model = load("pg.toml", &patroni_model("")).unwrap();
    let outs = scenario(&model, seed, 400, 600 * S, &[("pg-1", 10 * S, true)]);
    let d = down(&outs, 0);
    println!(
        "patroni crash failover: min {:.1} s, median {:.1} s, max {:.1} s",
        secs(q(&d, 0.0)),
        secs(q(&d, 0.5)),
        secs(q(&d, 1.0))
    );
    // patroni/ha.py: the key expires ttl after its last renewal (every
    // loop_wait), then race + promotion: ttl - U(0, 10 s) + 3 s = 23-33 s.
    assert!(
        q(&d, 0.0) > 23 * S && q(&d, 1.0) <= 33 * S,
        "seed {seed}: {:?}",
        (q(&d, 0.0), q(&d, 1.0))
    );
    assert!(
        (q(&d, 0.5) as i64 - 28 * S as i64).abs() < S as i64,
        "seed {seed}"
    );
    // Asynchronous replication: each crash failover loses what was in flight.
    // (A replica drawn with under 10 us of lag at 100 kB/s has nothing
    // missing: about 0.2% of failovers with the default 5 ms mean lag.)
    let lossy = outs.iter().filter(|o| o.services[0].data_loss == 1).count();
    assert!(
        lossy >= 390,
        "seed {seed}: {lossy} of 400 failovers lost data"
    );
    assert!(
        outs.iter().all(|o| o.services[1].downtime == 0),
        "seed {seed}"
    );
}

#[test]
fn patroni_graceful_switchover_takes_seconds_and_loses_nothing() {
    let seed = 202;
    let text = patroni_model("").replace(
        "[components.pg-1]\n",
        "[components.pg-1]\nmaintenance = [{ every = \"1000d\", duration = \"10m\", offset = \"1h\" }]\n",
    );
    let model = load("pg.toml", &text).unwrap();
    let opts = RepOptions {
        horizon: 2 * 3600 * S,
        random_faults: true,
        injections: vec![],
        trace: false,
    };
    let (o, _) = Replication::new(&model, seed, 0).run(&opts);
    // Patroni docs: a graceful stop deletes the leader key and the replicas
    // race at once: only the promotion (3 s here).
    assert_eq!(o.services[0].downtime, 3 * S, "seed {seed}");
    assert_eq!(o.services[0].data_loss, 0, "seed {seed}");
}

#[test]
fn patroni_losing_etcd_quorum_takes_writes_down_unless_failsafe() {
    let seed = 203;
    let model = load("pg.toml", &patroni_model("")).unwrap();
    let cut = 600 * S;
    let faults = [
        ("etcd-2", 10 * S, true),
        ("etcd-3", 10 * S, true),
        ("etcd-2", 10 * S + cut, false),
        ("etcd-3", 10 * S + cut, false),
    ];
    let outs = scenario(&model, seed, 100, 3600 * S, &faults);
    let d = down(&outs, 0);
    println!(
        "writes down after etcd loses quorum for 600 s: min {:.1} s, max {:.1} s",
        secs(q(&d, 0.0)),
        secs(q(&d, 1.0))
    );
    // Patroni docs: without the DCS the primary demotes itself (after its
    // next loop and retry_timeout: 10-20 s); when etcd is back (after an
    // election, seconds with the default timers) the members race again:
    // U(0, loop_wait) + promotion.
    assert!(
        q(&d, 0.0) >= cut - 20 * S && q(&d, 1.0) <= cut + 20 * S,
        "seed {seed}: {:?}",
        (q(&d, 0.0), q(&d, 1.0))
    );
    // failsafe_mode: every Patroni member still answers, so it stays primary.
    let model = load("pg.toml", &patroni_model("failsafe_mode = true")).unwrap();
    let outs = scenario(&model, seed, 20, 3600 * S, &faults);
    assert!(
        outs.iter().all(|o| o.services[0].downtime == 0),
        "seed {seed}"
    );
}

#[test]
fn patroni_synchronous_mode_loses_nothing_and_blocks_on_a_dead_standby() {
    let seed = 204;
    let model = load("pg.toml", &patroni_model("synchronous_mode = true")).unwrap();
    let outs = scenario(&model, seed, 100, 600 * S, &[("pg-1", 10 * S, true)]);
    assert!(
        outs.iter().all(|o| o.services[0].data_loss == 0),
        "seed {seed}"
    );
    // The synchronous standby (pg-2) dies: commits block until its key
    // expires and Patroni picks pg-3: ttl - U(0, loop_wait), at most ttl.
    let d = down(
        &scenario(&model, seed, 200, 600 * S, &[("pg-2", 10 * S, true)]),
        0,
    );
    assert!(
        q(&d, 0.0) > 20 * S && q(&d, 1.0) <= 30 * S,
        "seed {seed}: {:?}",
        (q(&d, 0.0), q(&d, 1.0))
    );
    // Asynchronous: the same standby failure costs nothing.
    let model = load("pg.toml", &patroni_model("")).unwrap();
    let outs = scenario(&model, seed, 20, 600 * S, &[("pg-2", 10 * S, true)]);
    assert!(
        outs.iter().all(|o| o.services[0].downtime == 0),
        "seed {seed}"
    );
}

#[test]
fn patroni_lint_checks_loop_wait_plus_two_retry_timeouts_against_ttl() {
    let ok = load("pg.toml", &patroni_model("")).unwrap();
    assert!(ok.clusters[1].kind.lint().is_empty());
    let bad = load("pg.toml", &patroni_model("retry_timeout = \"15s\"")).unwrap();
    let l = bad.clusters[1].kind.lint();
    assert_eq!(l.len(), 1);
    assert!(l[0].rule.contains("loop_wait + 2 * retry_timeout <= ttl"));
}

#[test]
fn postgres_manual_failover_waits_for_a_human() {
    let seed = 205;
    // Seed 003: two PostgreSQL nodes, primary/replica, no failover manager.
    let text = r#"
[components.pg-1]
[components.pg-2]
[clusters.pg]
kind = "postgres-manual"
members = ["pg-1", "pg-2"]
response = "30m"
promotion = "3s"
[services.writes]
requires = "pg"
"#;
    let model = load("pg.toml", text).unwrap();
    let outs = scenario(&model, seed, 10, 3 * 3600 * S, &[("pg-1", 10 * S, true)]);
    assert!(
        outs.iter()
            .all(|o| o.services[0].downtime == 30 * MIN + 3 * S),
        "seed {seed}"
    );
    // The primary is back before anyone acts: writes resume with it.
    let outs = scenario(
        &model,
        seed,
        10,
        3 * 3600 * S,
        &[("pg-1", 10 * S, true), ("pg-1", 10 * S + 10 * MIN, false)],
    );
    assert!(
        outs.iter().all(|o| o.services[0].downtime == 10 * MIN),
        "seed {seed}"
    );
}

// ---------------------------------------------------------------------------
// Longhorn (HA-FACTS section 5)

fn longhorn_model(nodes: usize, failures: &str, extra: &str) -> String {
    let mut t = String::new();
    let mut names = Vec::new();
    for i in 1..=nodes {
        t.push_str(&format!("[hosts.n{i}]\nfailures = [{failures}]\n"));
        names.push(format!("\"n{i}\""));
    }
    t.push_str(&format!(
        "[clusters.vol]\nkind = \"longhorn\"\nmembers = [{}]\n{extra}\n[services.data]\nrequires = \"vol.up\"\n[services.healthy]\nrequires = \"vol.healthy\"\n",
        names.join(", ")
    ));
    t
}

#[test]
fn longhorn_degraded_then_rebuilt_after_the_replenishment_wait() {
    let seed = 301;
    // 4 nodes, 3 replicas on n1-n3; n1 dies for good. Longhorn waits 600 s
    // (replica-replenishment-wait-interval), then rebuilds on n4:
    // 10 GiB at 100 MB/s = 107.4 s.
    let model = load(
        "lh.toml",
        &longhorn_model(4, "", "size = \"10Gi\"\nrebuild_throughput = \"100MB/s\""),
    )
    .unwrap();
    let outs = scenario(&model, seed, 3, 3600 * S, &[("n1", 10 * S, true)]);
    let rebuild = (10u64 << 30) * S / 100_000_000;
    for o in &outs {
        assert_eq!(
            o.services[0].downtime, 0,
            "seed {seed}: the volume stays up"
        );
        assert_eq!(o.services[1].downtime, 600 * S + rebuild, "seed {seed}");
    }
    // n1 back within the wait: its replica is reused at once.
    let outs = scenario(
        &model,
        seed,
        3,
        3600 * S,
        &[("n1", 10 * S, true), ("n1", 130 * S, false)],
    );
    assert!(
        outs.iter()
            .all(|o| o.services[1].downtime == 120 * S + rebuild),
        "seed {seed}"
    );
}

#[test]
fn longhorn_three_replica_data_loss_matches_the_hand_calculation() {
    let seed = 302;
    // Three nodes, three replicas, no spare node: a failed replica comes
    // back only with its node (repair), and the rebuild is ~0 (1 MiB at
    // 1 GB/s). Without auto-salvage, data is lost exactly when the last
    // node holding a replica fails while the other two are down.
    // Nodes fail independently at rate lambda = 1/(10 d) and are repaired
    // at rate mu = 1/(1 d): a = mu/(lambda+mu) = 10/11 per node.
    // P(exactly one node up) = 3 a (1-a)^2 = 3 * 10/11 * 1/121 = 30/1331.
    // Losses happen at rate lambda * P(one up) = 0.1/d * 30/1331
    // = 0.0022539 per day = 0.8232 per year.
    let model = load(
        "lh.toml",
        &longhorn_model(
            3,
            "{ every = \"exp(10d)\", repair = \"exp(1d)\" }",
            "size = \"1Mi\"\nrebuild_throughput = \"1GB/s\"\nauto-salvage = false\nrestore_time = \"1s\"",
        ),
    )
    .unwrap();
    let expected = 0.1 * 30.0 / 1331.0 * 365.25;
    let r = monte_carlo(&model, seed, 1500, 1);
    let rate = r[0].1;
    println!("longhorn 3 of 3: data loss {rate:.4}/year, hand calculation {expected:.4}/year");
    // ~1235 events: relative standard error about 3%; allow 10%.
    assert!(
        (rate - expected).abs() < 0.1 * expected,
        "seed {seed}: {rate} vs {expected}"
    );
}

#[test]
fn longhorn_two_replicas_and_larger_volumes_lose_data_more_often() {
    let seed = 303;
    // Four nodes failing every 30 days, repaired in 2 days; after the
    // 600 s wait a new replica is built on a spare node. A 2-replica volume
    // is lost when its other replica fails within wait + rebuild; a
    // 3-replica volume needs two more failures within that window. A larger
    // volume rebuilds longer, widening the window.
    let fail = "{ every = \"exp(30d)\", repair = \"exp(2d)\" }";
    let run = |extra: &str| {
        let m = load(
            "lh.toml",
            &longhorn_model(4, fail, &format!("auto-salvage = false\n{extra}")),
        )
        .unwrap();
        monte_carlo(&m, seed, 400, 1)[0].1
    };
    let r3 = run("numberOfReplicas = 3\nsize = \"500Gi\"\nrebuild_throughput = \"50MB/s\"");
    let r2 = run("numberOfReplicas = 2\nsize = \"500Gi\"\nrebuild_throughput = \"50MB/s\"");
    let r2small = run("numberOfReplicas = 2\nsize = \"20Gi\"\nrebuild_throughput = \"50MB/s\"");
    println!("longhorn data loss per year: 3 replicas 500Gi {r3:.4}, 2 replicas 500Gi {r2:.4}, 2 replicas 20Gi {r2small:.4}");
    assert!(r2 > 3.0 * r3, "seed {seed}: {r2} vs {r3}");
    assert!(r2 > 1.5 * r2small, "seed {seed}: {r2} vs {r2small}");
    // Rough check of the 2-replica rate: 2 lambda * lambda * E[window],
    // window = min(repair, 600 s + rebuild): 500 GiB at 50 MB/s = 3 h.
    let lambda = 1.0 / 30.0;
    let w = (600.0 + 536870912000.0 / 5e7) / 86400.0;
    let approx = 2.0 * lambda * lambda * w * 365.25;
    assert!(
        r2 > 0.5 * approx && r2 < 2.0 * approx,
        "seed {seed}: {r2} vs approx {approx}"
    );
}

/// A longhorn cluster `lh` with several volumes on nodes n1..n`nodes`;
/// `volumes` are (name, extra keys of the entry). Each volume gets the
/// services `<name>` (reads `lh.<name>`) and `<name>-healthy`, and the
/// service `all` reads the cluster-wide `lh.up`.
fn longhorn_volumes_model(
    nodes: usize,
    failures: &str,
    extra: &str,
    volumes: &[(&str, &str)],
) -> String {
    let mut t = String::new();
    let mut names = Vec::new();
    for i in 1..=nodes {
        t.push_str(&format!("[hosts.n{i}]\nfailures = [{failures}]\n"));
        names.push(format!("\"n{i}\""));
    }
    let entries: Vec<String> = volumes
        .iter()
        .map(|(name, keys)| format!("{{ name = \"{name}\"{keys} }}"))
        .collect();
    t.push_str(&format!(
        "[clusters.lh]\nkind = \"longhorn\"\nmembers = [{}]\n{extra}\nvolumes = [{}]\n[services.all]\nrequires = \"lh.up\"\n",
        names.join(", "),
        entries.join(", ")
    ));
    for (name, _) in volumes {
        t.push_str(&format!(
            "[services.{name}]\nrequires = \"lh.{name}\"\n[services.{name}-healthy]\nrequires = \"lh.{name}-healthy\"\n"
        ));
    }
    t
}

fn service(model: &Model, name: &str) -> usize {
    model
        .services
        .iter()
        .position(|s| s.name == name)
        .unwrap_or_else(|| panic!("no service {name}"))
}

#[test]
fn longhorn_rebuild_limit_serialises_rebuilds_on_the_receiving_node() {
    let seed = 304;
    // Four 10 GiB volumes with their 3 replicas on n1-n3; n4 is empty.
    // n1 dies for good at 10 s: after the 600 s replenishment wait every
    // volume needs a new replica, and n4 is the only node without one, so
    // all four rebuilds want a slot on n4. One rebuild takes
    // T = 10 GiB / 100 MB/s = 107.4 s. With
    // concurrent-replica-rebuild-per-node-limit = 1 they run one after the
    // other, in volume order: volume i is healthy again at
    // 10 s + 600 s + (i+1) T. With a limit of 4 (or the default 5) they run
    // together: every volume at 10 s + 600 s + T. The volumes stay up.
    let t = (10u64 << 30) * S / 100_000_000;
    let vols: Vec<(&str, &str)> = ["v0", "v1", "v2", "v3"]
        .iter()
        .map(|v| (*v, ", nodes = [\"n1\", \"n2\", \"n3\"]"))
        .collect();
    let run = |limit: &str, faults: &[(&str, Nanos, bool)]| {
        let model = load(
            "lh.toml",
            &longhorn_volumes_model(
                4,
                "",
                &format!("size = \"10Gi\"\nrebuild_throughput = \"100MB/s\"\n{limit}"),
                &vols,
            ),
        )
        .unwrap();
        let outs = scenario(&model, seed, 2, 3 * 3600 * S, faults);
        let healthy: Vec<usize> = vols
            .iter()
            .map(|(v, _)| service(&model, &format!("{v}-healthy")))
            .collect();
        for o in &outs {
            assert_eq!(
                o.services[service(&model, "all")].downtime,
                0,
                "seed {seed}"
            );
        }
        healthy
            .iter()
            .map(|k| {
                let d = outs[0].services[*k].downtime;
                assert!(
                    outs.iter().all(|o| o.services[*k].downtime == d),
                    "seed {seed}"
                );
                d
            })
            .collect::<Vec<Nanos>>()
    };
    let dies = [("n1", 10 * S, true)];
    let serial = run("concurrent-replica-rebuild-per-node-limit = 1", &dies);
    let expected: Vec<Nanos> = (1..=4).map(|k| 600 * S + k * t).collect();
    assert_eq!(serial, expected, "seed {seed}: limit 1");
    let parallel = run("concurrent-replica-rebuild-per-node-limit = 4", &dies);
    assert_eq!(parallel, vec![600 * S + t; 4], "seed {seed}: limit 4");
    assert_eq!(run("", &dies), parallel, "seed {seed}: default limit 5");
    // n1 back at 130 s, within the wait: each volume reuses its failed
    // replica on n1 at once, so the four rebuilds queue on n1 instead.
    let back = [("n1", 10 * S, true), ("n1", 130 * S, false)];
    let serial = run("concurrent-replica-rebuild-per-node-limit = 1", &back);
    let expected: Vec<Nanos> = (1..=4).map(|k| 120 * S + k * t).collect();
    assert_eq!(serial, expected, "seed {seed}: limit 1, n1 back");
    // 0 disables rebuilding (setting.go): no volume is healthy again, even
    // when n1 returns.
    let none = run("concurrent-replica-rebuild-per-node-limit = 0", &back);
    assert_eq!(none, vec![3 * 3600 * S - 10 * S; 4], "seed {seed}: limit 0");
    // `hasim validate` says so.
    let model = load(
        "lh.toml",
        &longhorn_volumes_model(
            4,
            "",
            "concurrent-replica-rebuild-per-node-limit = 0",
            &vols,
        ),
    )
    .unwrap();
    let lints = model.clusters[0].kind.lint();
    assert!(
        lints.len() == 1 && lints[0].message.contains("disables replica rebuilding"),
        "{lints:?}"
    );
}

#[test]
fn longhorn_rebuild_limit_counts_the_receiving_node_not_the_source() {
    let seed = 305;
    // Two volumes with 2 replicas on n1 and n2; n3 and n4 are empty. n1
    // dies: both rebuilds copy from n2, but the scheduler puts the first new
    // replica on n3 and, n3 now holding more scheduled bytes, the second on
    // n4. The limit counts rebuilding replicas on their own node
    // (replica_controller.go CanStartRebuildingReplica), so with a limit of
    // 1 the two run at once: both healthy at 600 s + T.
    let t = (10u64 << 30) * S / 100_000_000;
    let model = load(
        "lh.toml",
        &longhorn_volumes_model(
            4,
            "",
            "numberOfReplicas = 2\nsize = \"10Gi\"\nrebuild_throughput = \"100MB/s\"\nconcurrent-replica-rebuild-per-node-limit = 1",
            &[
                ("a", ", nodes = [\"n1\", \"n2\"]"),
                ("b", ", nodes = [\"n1\", \"n2\"]"),
            ],
        ),
    )
    .unwrap();
    let outs = scenario(&model, seed, 2, 3600 * S, &[("n1", 10 * S, true)]);
    for o in &outs {
        for v in ["a-healthy", "b-healthy"] {
            assert_eq!(
                o.services[service(&model, v)].downtime,
                600 * S + t,
                "seed {seed}: {v}"
            );
        }
    }
}

#[test]
fn longhorn_volumes_are_spread_and_lose_data_on_their_own() {
    let seed = 306;
    // Two 2-replica volumes without `nodes` on four nodes: the scheduler
    // (most usable storage, equal disks) puts `a` on n1, n2 and `b` on the
    // emptier n3, n4. n1 and n2 die together for good: `a` is Faulted and,
    // without auto-salvage, restored from backup after `restore_time` onto
    // the live nodes, losing the writes since the backup; `b` never notices.
    // The loss counts for the services reading `a` and the cluster-wide
    // `up`, not for those reading only `b`.
    let model = load(
        "lh.toml",
        &longhorn_volumes_model(
            4,
            "",
            "numberOfReplicas = 2\nauto-salvage = false\nrestore_time = \"1h\"",
            &[("a", ""), ("b", "")],
        ),
    )
    .unwrap();
    let outs = scenario(
        &model,
        seed,
        2,
        4 * 3600 * S,
        &[("n1", 10 * S, true), ("n2", 10 * S, true)],
    );
    for o in &outs {
        let svc = |n: &str| &o.services[service(&model, n)];
        assert_eq!(svc("a").downtime, 3600 * S, "seed {seed}");
        assert_eq!(svc("all").downtime, 3600 * S, "seed {seed}");
        assert_eq!(svc("b").downtime, 0, "seed {seed}");
        assert_eq!(svc("b-healthy").downtime, 0, "seed {seed}");
        assert_eq!(svc("a").data_loss, 1, "seed {seed}");
        assert_eq!(svc("a-healthy").data_loss, 1, "seed {seed}");
        assert_eq!(svc("all").data_loss, 1, "seed {seed}");
        assert_eq!(svc("b").data_loss, 0, "seed {seed}");
    }
}

#[test]
fn longhorn_lower_rebuild_limit_loses_data_more_often() {
    let seed = 307;
    // Eight 2-replica volumes on n1 and n2, n3 the spare. Nodes fail every
    // 60 days (exponential) and are repaired in 12 hours. When n1 (or n2)
    // dies, after the 600 s wait every volume rebuilds onto n3, each taking
    // T = 180 GB / 50 MB/s = 1 h; without auto-salvage a volume is lost
    // when its other replica fails before its rebuild ends. With
    // concurrent-replica-rebuild-per-node-limit = 1 the k-th volume also
    // waits (k-1) T for its slot on n3: the eight exposure windows add up
    // to 8 * 600 s + 36 T, against 8 * 600 s + 8 T when all eight run at
    // once (limit 8). First order (a window is much shorter than the time
    // between failures, and a repair rarely leaves no spare): losses per
    // year = 2 nodes * lambda * lambda * (sum of windows) * 365.25 d.
    let fail = "{ every = \"exp(60d)\", repair = \"exp(12h)\" }";
    let names: Vec<String> = (0..8).map(|i| format!("v{i}")).collect();
    let vols: Vec<(&str, &str)> = names
        .iter()
        .map(|n| (n.as_str(), ", nodes = [\"n1\", \"n2\"]"))
        .collect();
    let run = |limit: u32| {
        let m = load(
            "lh.toml",
            &longhorn_volumes_model(
                3,
                fail,
                &format!("numberOfReplicas = 2\nsize = \"180GB\"\nrebuild_throughput = \"50MB/s\"\nauto-salvage = false\nrestore_time = \"1h\"\nconcurrent-replica-rebuild-per-node-limit = {limit}"),
                &vols,
            ),
        )
        .unwrap();
        // `all` reads the cluster-wide `up`: every volume's losses count.
        monte_carlo(&m, seed, 4000, 1)[service(&m, "all")].1
    };
    let (r1, r8) = (run(1), run(8));
    let first_order = |slots: f64| {
        let lambda = 1.0 / 60.0;
        2.0 * lambda * lambda * (8.0 * 600.0 + slots * 3600.0) / 86400.0 * 365.25
    };
    let (a1, a8) = (first_order(36.0), first_order(8.0));
    println!("longhorn 8 volumes, data loss per year: limit 1 {r1:.4} (first order {a1:.4}), limit 8 {r8:.4} (first order {a8:.4})");
    // Expected ratio about 4. Losses come in bursts (one double failure can
    // take several volumes, up to all eight at limit 8): the limit-8
    // estimate (about 320 losses over 4000 years) rests on at least 40
    // bursts, a relative error of at most about 16%; the limit-1 estimate
    // (about 1260 losses, windows of different lengths) is tighter. A ratio
    // above 2 and first-order bounds of -25%/+30% (limit 1) and -50%/+100%
    // (limit 8) leave more than three standard errors of room.
    assert!(r1 > 2.0 * r8, "seed {seed}: limit 1 {r1} vs limit 8 {r8}");
    assert!(
        r1 > 0.75 * a1 && r1 < 1.3 * a1,
        "seed {seed}: limit 1 {r1} vs first order {a1}"
    );
    assert!(
        r8 > 0.5 * a8 && r8 < 2.0 * a8,
        "seed {seed}: limit 8 {r8} vs first order {a8}"
    );
}

// ---------------------------------------------------------------------------
// Kubernetes workloads (HA-FACTS section 6, seed 001)

fn k8s_model(extra: &str, failures: &str) -> String {
    format!(
        r#"
[hosts.homelab-02]
failures = [{failures}]
[hosts.homelab-03]
failures = [{failures}]
[hosts.homelab-04]
failures = [{failures}]
[components.rollout]
[clusters.app]
kind = "deployment"
members = ["homelab-02", "homelab-03", "homelab-04"]
pod_start = "10s"
rollout = "rollout"
{extra}
[services.up]
requires = "app.up"
[services.full]
requires = "app.all_ready"
[services.spread]
requires = "app.spread"
[services.rollout-ok]
requires = "app.rollout_ok"
"#
    )
}

#[test]
fn k8s_seed001_two_replicas_keep_two_of_two_three_replicas_cannot() {
    let seed = 401;
    let hour = 3600 * S;
    // homelab-02 holds a replica in both layouts (first nodes are used first).
    let faults = [
        ("homelab-02", 10 * S, true),
        ("homelab-02", 10 * S + hour, false),
    ];
    // 2 replicas + required anti-affinity: the evicted pod goes to the free
    // third node after node-monitor-grace-period (40 s, noticed at the next
    // 5 s monitor pass) + tolerationSeconds (300 s) + pod start (10 s).
    let two = load(
        "k.toml",
        &k8s_model("replicas = 2\nanti_affinity = \"required\"", ""),
    )
    .unwrap();
    let outs = scenario(&two, seed, 100, 3 * hour, &faults);
    for o in &outs {
        let d = o.services[1].downtime;
        assert!(
            (350 * S..355 * S).contains(&d),
            "seed {seed}: 2/2 back after {} s",
            secs(d)
        );
        assert_eq!(o.services[0].downtime, 0, "seed {seed}");
        assert_eq!(o.services[2].downtime, 0, "seed {seed}");
    }
    // 3 replicas + required anti-affinity: the replacement stays Pending
    // until the node is back: 2/3 for the whole repair.
    let three = load(
        "k.toml",
        &k8s_model("replicas = 3\nanti_affinity = \"required\"", ""),
    )
    .unwrap();
    let outs = scenario(&three, seed, 20, 3 * hour, &faults);
    for o in &outs {
        assert_eq!(o.services[1].downtime, hour + 10 * S, "seed {seed}");
        assert_eq!(o.services[2].downtime, 0, "seed {seed}");
    }
    // 3 replicas without anti-affinity: 3/3 again, but two pods share a
    // node (the seed's "overload") from the eviction on; nothing rebalances
    // when homelab-02 returns.
    let packed = load("k.toml", &k8s_model("replicas = 3", "")).unwrap();
    let outs = scenario(&packed, seed, 20, 3 * hour, &faults);
    for o in &outs {
        let full = o.services[1].downtime;
        assert!((350 * S..355 * S).contains(&full), "seed {seed}");
        let overloaded = o.services[2].downtime;
        assert!(
            overloaded >= 3 * hour - 355 * S,
            "seed {seed}: {}",
            secs(overloaded)
        );
    }
}

/// The node-monitor grace period's default follows the Kubernetes version
/// the model names: 40 s before v1.32 and when none is named, 50 s from
/// v1.32 (kubernetes PR #126287). The evicted replica of a 2-replica
/// Deployment with required anti-affinity is back after the grace period,
/// the next 5 s monitor pass, tolerationSeconds (300 s) and its 10 s start;
/// an explicit grace period wins over the version's default; a version
/// that is not one is a located error.
#[test]
fn k8s_grace_period_default_follows_the_version() {
    let seed = 403;
    let hour = 3600 * S;
    let faults = [
        ("homelab-02", 10 * S, true),
        ("homelab-02", 10 * S + hour, false),
    ];
    let back_after = |extra: &str| -> Vec<Nanos> {
        let m = load(
            "k.toml",
            &k8s_model(
                &format!("replicas = 2\nanti_affinity = \"required\"\n{extra}"),
                "",
            ),
        )
        .unwrap();
        scenario(&m, seed, 40, 3 * hour, &faults)
            .iter()
            .map(|o| o.services[1].downtime)
            .collect()
    };
    for (extra, grace) in [
        ("", 40),
        ("version = \"1.31\"", 40),
        ("version = \"v1.32.4+k3s1\"", 50),
        ("version = \"1.35\"", 50),
        (
            "version = \"1.35\"\nnode-monitor-grace-period = \"40s\"",
            40,
        ),
    ] {
        let lo = (grace + 310) * S;
        for d in back_after(extra) {
            assert!(
                (lo..lo + 5 * S).contains(&d),
                "seed {seed}, `{extra}`: 2/2 back after {} s, expected {}..{} s",
                secs(d),
                grace + 310,
                grace + 315
            );
        }
    }
    let e = load("k.toml", &k8s_model("version = \"latest\"", ""))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("k.toml:") && e.contains("latest") && e.contains("not a Kubernetes version"),
        "{e}"
    );
}

#[test]
fn k8s_seed001_monte_carlo_availability_and_overload() {
    let seed = 402;
    let fail = "{ every = \"exp(60d)\", repair = \"lognormal(median=4h, sigma=1)\" }";
    let two = load(
        "k.toml",
        &k8s_model("replicas = 2\nanti_affinity = \"required\"", fail),
    )
    .unwrap();
    let three = load(
        "k.toml",
        &k8s_model("replicas = 3\nanti_affinity = \"required\"", fail),
    )
    .unwrap();
    let packed = load(
        "k.toml",
        &k8s_model("replicas = 3\nanti_affinity = \"preferred\"", fail),
    )
    .unwrap();
    let r2 = monte_carlo(&two, seed, 300, 1);
    let r3 = monte_carlo(&three, seed, 300, 1);
    let rp = monte_carlo(&packed, seed, 300, 1);
    let m = |x: f64| x * 525_960.0;
    println!(
        "minutes/year down  [up, all ready, overloaded]: 2 req {:.1} {:.1} {:.1}; 3 req {:.1} {:.1} {:.1}; 3 preferred {:.1} {:.1} {:.1}",
        m(r2[0].0), m(r2[1].0), m(r2[2].0), m(r3[0].0), m(r3[1].0), m(r3[2].0), m(rp[0].0), m(rp[1].0), m(rp[2].0)
    );
    // Seed 001: with 2 replicas the workload is back to 2/2 within minutes
    // of a node failure; 3 replicas with required anti-affinity run 2/3 for
    // the whole repair, and with preferred anti-affinity they pile up.
    assert!(r2[1].0 * 5.0 < r3[1].0, "seed {seed}");
    assert!(rp[2].0 > 5.0 * r2[2].0, "seed {seed}");
    assert_eq!(
        r2[2].0, 0.0,
        "seed {seed}: required anti-affinity never overloads"
    );
    // Either way the Service (one ready pod) is practically always up.
    assert!(r2[0].0 < 1e-5 && r3[0].0 < 1e-5, "seed {seed}");
}

#[test]
fn k8s_rollouts_recreate_blips_rolling_update_stalls_on_a_full_cluster() {
    let seed = 403;
    let faults = [("rollout", 100 * S, true), ("rollout", 110 * S, false)];
    // Seed 001: RollingUpdate + required anti-affinity with a replica on
    // every node: the surge pod fits nowhere and the rollout is stuck.
    let full = load(
        "k.toml",
        &k8s_model("replicas = 3\nanti_affinity = \"required\"", ""),
    )
    .unwrap();
    let o = &scenario(&full, seed, 1, 3600 * S, &faults)[0];
    assert_eq!(
        o.services[3].downtime,
        3500 * S,
        "seed {seed}: stuck rollout"
    );
    assert_eq!(o.services[0].downtime, 0, "seed {seed}");
    // 2 replicas over 3 nodes: the surge pod fits on the free node.
    let two = load(
        "k.toml",
        &k8s_model("replicas = 2\nanti_affinity = \"required\"", ""),
    )
    .unwrap();
    let o = &scenario(&two, seed, 1, 3600 * S, &faults)[0];
    assert_eq!(o.services[3].downtime, 0, "seed {seed}");
    assert_eq!(o.services[0].downtime, 0, "seed {seed}");
    // Recreate: every pod stops and restarts: an outage of the pod start.
    let rec = load(
        "k.toml",
        &k8s_model(
            "replicas = 3\nanti_affinity = \"required\"\nstrategy = \"Recreate\"",
            "",
        ),
    )
    .unwrap();
    let o = &scenario(&rec, seed, 1, 3600 * S, &faults)[0];
    assert_eq!(o.services[0].downtime, 10 * S, "seed {seed}");
    assert_eq!(o.services[3].downtime, 0, "seed {seed}");
}

#[test]
fn k8s_statefulset_waits_for_its_node_and_rwo_waits_for_detach() {
    let seed = 404;
    let hour = 3600 * S;
    let faults = [
        ("homelab-02", 10 * S, true),
        ("homelab-02", 10 * S + hour, false),
    ];
    let sts = load(
        "k.toml",
        &k8s_model("replicas = 1", "").replace("kind = \"deployment\"", "kind = \"statefulset\""),
    )
    .unwrap();
    let o = &scenario(&sts, seed, 1, 3 * hour, &faults)[0];
    assert_eq!(o.services[0].downtime, hour + 10 * S, "seed {seed}");
    // A Deployment with an RWO volume: eviction, then up to 6 min for the
    // volume to detach (attach_detach_controller.go), then the pod start.
    let rwo = load("k.toml", &k8s_model("replicas = 1\nrwo = true", "")).unwrap();
    let d = down(&scenario(&rwo, seed, 50, 3 * hour, &faults), 0);
    assert!(
        q(&d, 0.0) >= 710 * S && q(&d, 1.0) < 715 * S,
        "seed {seed}: {:?}",
        (secs(q(&d, 0.0)), secs(q(&d, 1.0)))
    );
    let _ = NANOS_PER_DAY;
}
