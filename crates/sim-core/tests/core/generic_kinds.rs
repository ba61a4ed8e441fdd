//! The generic cluster kinds against their documented behaviour.

use sim_core::model::load;
use sim_core::sim::{RepOptions, Replication};
use sim_core::time::{NANOS_PER_HOUR, NANOS_PER_SEC};

const FAILOVER: &str = r#"
[components.a]
[components.b]
[clusters.pair]
kind = "failover"
members = ["a", "b"]
detection = "20s"
switchover = "5s"
failback = FAILBACK
[services.svc]
requires = "pair.up"
"#;

fn run(text: &str, inj: &[(&str, u64, bool)]) -> (u64, Vec<u64>) {
    let m = load("f.toml", text).unwrap();
    let o = crate::scenario_runs(&m, 1, 1, 2 * NANOS_PER_HOUR, inj).remove(0);
    (o.services[0].downtime, o.services[0].recoveries.clone())
}

#[test]
fn failover_takes_detection_plus_switchover() {
    let text = FAILOVER.replace("FAILBACK", "false");
    let (down, rec) = run(&text, &[("a", 60 * NANOS_PER_SEC, true)]);
    assert_eq!(rec, vec![25 * NANOS_PER_SEC]);
    assert_eq!(down, 25 * NANOS_PER_SEC);
}

#[test]
fn failover_member_back_before_takeover_resumes_at_once() {
    let text = FAILOVER.replace("FAILBACK", "false");
    let (down, _) = run(
        &text,
        &[
            ("a", 60 * NANOS_PER_SEC, true),
            ("a", 70 * NANOS_PER_SEC, false),
        ],
    );
    assert_eq!(
        down,
        10 * NANOS_PER_SEC,
        "a restart faster than detection costs only the restart"
    );
}

#[test]
fn failback_costs_one_more_switchover() {
    let text = FAILOVER.replace("FAILBACK", "true");
    let (down, rec) = run(
        &text,
        &[
            ("a", 60 * NANOS_PER_SEC, true),
            ("a", 600 * NANOS_PER_SEC, false),
        ],
    );
    assert_eq!(rec, vec![25 * NANOS_PER_SEC, 5 * NANOS_PER_SEC]);
    assert_eq!(down, 30 * NANOS_PER_SEC);
    // Without failback the survivor keeps serving: no second outage.
    let (_, rec) = run(
        &FAILOVER.replace("FAILBACK", "false"),
        &[
            ("a", 60 * NANOS_PER_SEC, true),
            ("a", 600 * NANOS_PER_SEC, false),
        ],
    );
    assert_eq!(rec.len(), 1);
}

#[test]
fn planned_maintenance_skips_detection() {
    let text = FAILOVER.replace("FAILBACK", "false").replace(
        "[components.a]",
        "[components.a]\nmaintenance = [{ every = \"1d\", duration = \"10m\", offset = \"1h\" }]",
    );
    // Fault processes on (the model has only this maintenance window, so
    // nothing random happens), over the first window at 1 h.
    let m = load("f.toml", &text).unwrap();
    let opts = RepOptions {
        horizon: 2 * NANOS_PER_HOUR,
        random_faults: true,
        injections: vec![],
        trace: false,
    };
    let (o, _) = Replication::new(&m, 1, 0).run(&opts);
    assert_eq!(
        o.services[0].recoveries,
        vec![5 * NANOS_PER_SEC],
        "a planned stop hands over in the switchover time"
    );
}

#[test]
fn quorum_needs_a_strict_majority_of_votes() {
    let text = r#"
[components.a]
[components.b]
[components.c]
[components.qdevice]
[clusters.q]
kind = "quorum"
members = ["a", "b", "qdevice"]
votes = [1, 1, 1]
[services.svc]
requires = "q"
"#;
    let (down, _) = run(text, &[("a", NANOS_PER_SEC, true)]);
    assert_eq!(down, 0, "2 of 3 votes is a majority");
    let (down, _) = run(
        text,
        &[
            ("a", NANOS_PER_SEC, true),
            ("qdevice", 2 * NANOS_PER_SEC, true),
        ],
    );
    assert_eq!(
        down,
        2 * NANOS_PER_HOUR - 2 * NANOS_PER_SEC,
        "1 of 3 votes is not"
    );
    // Two nodes without a tie-breaker: losing either loses quorum (2 votes, 2 needed).
    let two = text.replace(
        "members = [\"a\", \"b\", \"qdevice\"]\nvotes = [1, 1, 1]",
        "members = [\"a\", \"b\"]",
    );
    let (down, _) = run(&two, &[("b", NANOS_PER_SEC, true)]);
    assert_eq!(down, 2 * NANOS_PER_HOUR - NANOS_PER_SEC);
}
