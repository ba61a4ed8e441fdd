//! Values that start with `-` reach hasim's own parsers: clap takes them as
//! values (not as unknown options with a `-- -60` tip), so a negative track
//! weight is swept and a negative horizon is refused by hasim, with its
//! reason.

mod common;
use common::*;

#[test]
fn a_negative_sweep_value_is_a_value() {
    let o = hasim(&[
        "sweep",
        "models/homelab-k3s-as-written.toml",
        "-L",
        "clusters.vip.track_weight",
        "-60,2",
        "-n",
        "20",
    ]);
    assert_ok(&o);
    let out = stdout(&o);
    assert!(out.contains("── clusters.vip.track_weight=-60 ──"), "{out}");
    assert!(out.contains("── clusters.vip.track_weight=2 ──"), "{out}");
}

#[test]
fn a_negative_scan_bound_and_step_reach_hasim() {
    let o = hasim(&[
        "sweep",
        "models/homelab-k3s-as-written.toml",
        "-P",
        "clusters.vip.track_weight",
        "-60",
        "-58",
        "-D",
        "1",
        "-n",
        "10",
    ]);
    assert_ok(&o);
    let out = stdout(&o);
    for v in ["-60", "-59", "-58"] {
        assert!(
            out.contains(&format!("clusters.vip.track_weight={v} ")),
            "{v}: {out}"
        );
    }
    let o = hasim(&[
        "sweep",
        "models/homelab-k3s-as-written.toml",
        "-P",
        "clusters.vip.advert_int",
        "1s",
        "3s",
        "-D",
        "-1s",
    ]);
    let err = assert_clean_failure(&o);
    assert!(!err.contains("tip: to pass"), "{err}");
}

#[test]
fn a_negative_horizon_is_refused_by_hasim_not_clap() {
    for args in [
        &[
            "run",
            "models/homelab-k3s-as-written.toml",
            "--horizon",
            "-1y",
        ][..],
        &[
            "scenario",
            "models/homelab-k3s-as-written.toml",
            "--fail",
            "proxmox-1@1h",
            "--horizon",
            "-1y",
        ],
    ] {
        let o = hasim(args);
        let err = assert_clean_failure(&o);
        assert!(!err.contains("unexpected argument"), "{err}");
        assert!(!err.contains("tip: to pass"), "{err}");
        assert!(err.contains("--horizon -1y"), "{err}");
        assert!(err.contains("negative"), "{err}");
    }
}

#[test]
fn a_negative_target_reaches_hasim() {
    let o = hasim(&[
        "plan",
        "models/homelab-k3s-as-written.toml",
        "--target",
        "-99.9%",
        "--service",
        "k3s-api",
    ]);
    let err = assert_clean_failure(&o);
    assert!(!err.contains("unexpected argument"), "{err}");
    assert!(err.contains("-99.9%"), "{err}");
}
