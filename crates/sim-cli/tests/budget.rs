//! The event budget: a model that validates but would run for hours (an
//! element failing every nanosecond) stops with an error that names the
//! replication, the simulated time and what scheduled the events.

mod common;
use common::*;

const FLAPPING: &str = r#"
[hosts.a]
failures = [{ every = "exp(1ns)", repair = "exp(1ns)" }]

[hosts.b]
failures = [{ every = "exp(2y)", repair = "exp(8h)" }]

[services.s]
requires = "a | b"
"#;

#[test]
fn a_runaway_model_stops_on_the_budget_naming_its_source() {
    let dir = scratch("budget");
    let model = dir.join("flapping.toml");
    std::fs::write(&model, FLAPPING).unwrap();
    let m = model.to_str().unwrap();
    let with_threads = |j: &str| {
        let o = hasim(&["run", m, "-n", "20", "--max-events", "20000", "-j", j]);
        assert_clean_failure(&o)
    };
    let err = with_threads("1");
    for want in [
        "model `flapping`",
        "replication 0",
        "20000 events",
        "element `a`",
        "--max-events",
    ] {
        assert!(err.contains(want), "`{want}` missing from: {err}");
    }
    // The first overrun in replication order is reported, whatever the
    // thread count.
    assert_eq!(err, with_threads("2"));
    // A budget of zero is refused rather than read as "no budget".
    let zero = assert_clean_failure(&hasim(&["run", m, "--max-events", "0"]));
    assert!(zero.contains("--max-events must be at least 1"), "{zero}");
}

#[test]
fn a_real_model_runs_within_a_small_budget_with_the_same_bits() {
    // The budget is a guard, not a parameter: a run that finishes gives the
    // same bytes under any budget it fits in.
    let run = |budget: &str| {
        let o = hasim(&[
            "run",
            "models/homelab-k3s-as-written.toml",
            "-n",
            "30",
            "--export-json",
            "-",
            "--max-events",
            budget,
        ]);
        assert_ok(&o);
        stdout(&o)
    };
    assert_eq!(run("1000000"), run("100000000"));
}
