//! `hasim run` with importance sampling: picked by `auto` for a design of
//! six nines, the same bits on any thread count, its interval holding the
//! exact analysis's value, and refused with the reason where it cannot run.

mod common;

use common::{assert_clean_failure, assert_ok, hasim, stdout};

const MODEL: &str = "models/five-nines-3-of-5.toml";

#[test]
fn auto_picks_importance_sampling_for_six_nines_and_holds_the_exact_value() {
    let run = |j: &str| {
        let o = hasim(&[
            "run",
            MODEL,
            "--cycles",
            "50000",
            "-j",
            j,
            "--export-json",
            "-",
        ]);
        assert_ok(&o);
        stdout(&o)
    };
    let one = run("1");
    assert_eq!(one, run("2"), "the bits depend on the thread count");
    let doc: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(doc["kind"], "hasim-rare-run");
    assert_eq!(doc["result"]["estimator"], "importance");
    let exact = hasim(&["exact", MODEL, "--export-json", "-"]);
    assert_ok(&exact);
    let exact: serde_json::Value = serde_json::from_str(&stdout(&exact)).unwrap();
    let u_exact = 1.0 - exact["services"][0]["availability"].as_f64().unwrap();
    let ci = &doc["result"]["services"][0]["unavailability"]["ci95"];
    let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
    assert!(
        lo <= u_exact && u_exact <= hi,
        "seed 1: exact {u_exact:e} outside [{lo:e}, {hi:e}]"
    );
    // The text names the estimator.
    let o = hasim(&["run", MODEL, "--cycles", "2000"]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("estimator: importance sampling"),
        "{}",
        stdout(&o)
    );
    // `mc` still runs plain Monte Carlo on it.
    let o = hasim(&["run", MODEL, "--estimator", "mc", "-n", "20"]);
    assert_ok(&o);
    assert!(stdout(&o).contains("20 replications"), "{}", stdout(&o));
}

#[test]
fn importance_sampling_is_refused_where_it_cannot_run() {
    let err = assert_clean_failure(&hasim(&[
        "run",
        "models/homelab-k3s-ups.toml",
        "--estimator",
        "is",
    ]));
    assert!(
        err.contains("--estimator is") && err.contains("importance sampling needs"),
        "{err}"
    );
    let err = assert_clean_failure(&hasim(&["run", MODEL, "--trace", "1"]));
    assert!(
        err.contains("--trace is not available with importance sampling"),
        "{err}"
    );
    let err = assert_clean_failure(&hasim(&["run", MODEL, "--estimator", "fast"]));
    assert!(err.contains("`fast` is not an estimator"), "{err}");
}
