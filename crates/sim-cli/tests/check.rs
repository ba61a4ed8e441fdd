//! What a CI pipeline and a reviewer run: `hasim check`, the availability
//! gate (exit 0 when every gated service's availability CI lower bound
//! meets its target, 1 with the reason when one does not, 2 when the input
//! is wrong), `hasim diff`, the structure-against-simulation lines of
//! `hasim run`, and the peer benchmark's script.

mod common;
use common::*;

const SPREAD: &str = "models/homelab-k3s-spread.toml";
const AS_WRITTEN: &str = "models/homelab-k3s-as-written.toml";

#[test]
fn the_corrected_design_passes_and_the_as_written_one_fails_with_the_reason() {
    let dir = scratch("check-pass");
    let json = dir.join("gate.json");
    let o = hasim(&[
        "check",
        SPREAD,
        "--target",
        "99.8%",
        "-n",
        "300",
        "--export-json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("PASS  k3s-api: availability "), "{out}");
    assert!(
        out.contains("meets the target 99.8% (from --target)"),
        "{out}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["passed"], true);
    let v = &doc["verdicts"][0];
    assert_eq!(v["lower"], v["availability"]["ci95"][0]);
    assert!(v["lower"].as_f64().unwrap() >= 0.998, "{v}");

    let o = hasim(&["check", AS_WRITTEN, "--target", "99.8%", "-n", "300"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("FAIL  k3s-api: availability "), "{out}");
    assert!(
        out.contains("is under the target 99.8% (from --target)"),
        "{out}"
    );
    // Why: the downtime against what the target allows, and the causes
    // (the write-up's flaw: either Proxmox host's crash takes the API down).
    assert!(out.contains("the target allows 17.5 h/yr"), "{out}");
    assert!(out.contains("largest causes: proxmox-"), "{out}");
    assert!(
        out.ends_with("check failed: 1 of 1 service misses its target\n"),
        "{out}"
    );
}

#[test]
fn targets_in_the_model_gate_without_an_option() {
    let dir = scratch("check-model");
    let with_target = |src: &str, target: &str| {
        let text = std::fs::read_to_string(root().join(src)).unwrap().replacen(
            "[services.k3s-api]\n",
            &format!("[services.k3s-api]\ntarget = {target}\n"),
            1,
        );
        let p = dir.join(std::path::Path::new(src).file_name().unwrap());
        std::fs::write(&p, text).unwrap();
        p
    };
    let spread = with_target(SPREAD, "\"99.8%\"");
    let o = hasim(&["check", spread.to_str().unwrap(), "-n", "300"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("(from the model)"), "{}", stdout(&o));
    let written = with_target(AS_WRITTEN, "0.998");
    let o = hasim(&["check", written.to_str().unwrap(), "-n", "300"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));

    // A target that is no availability is a located error in the model.
    let bad = with_target(SPREAD, "\"120%\"");
    let o = hasim(&["check", bad.to_str().unwrap(), "-n", "10"]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_clean_failure(&o);
    assert!(err.contains("homelab-k3s-spread.toml:"), "{err}");
    assert!(err.contains("target `120%` is impossible"), "{err}");
}

#[test]
fn without_any_target_check_says_what_to_add() {
    let o = hasim(&["check", SPREAD, "-n", "10"]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_clean_failure(&o);
    assert!(
        err.contains("declares no service target: give --target 99.9%"),
        "{err}"
    );
    let o = hasim(&[
        "check",
        SPREAD,
        "--target",
        "99.9%",
        "--service",
        "nope",
        "-n",
        "10",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no service `nope` (services: k3s-api)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn diff_shows_the_design_change_beside_its_effect() {
    let o = hasim(&["diff", AS_WRITTEN, SPREAD, "-n", "200"]);
    assert_ok(&o);
    let out = stdout(&o);
    // The corrected design adds a third Proxmox host, moves master 3 onto
    // it and gives the track script a weight that can move the VIP.
    assert!(
        out.contains("  + hosts.proxmox-3 = {...}  (models/homelab-k3s-spread.toml:38)\n"),
        "{out}"
    );
    assert!(
        out.contains("  ~ clusters.vip.track_weight: 2 -> -60  (models/homelab-k3s-as-written.toml:100, models/homelab-k3s-spread.toml:93)\n"),
        "{out}"
    );
    assert!(
        out.contains("  ~ clusters.pve.vms.2.home: \"proxmox-1\" -> \"proxmox-3\""),
        "{out}"
    );
    // Then the comparison, as `hasim compare` prints it for the same runs.
    let cmp = hasim(&["compare", AS_WRITTEN, SPREAD, "-n", "200"]);
    assert_ok(&cmp);
    let tables = stdout(&cmp);
    let tables = &tables[tables.find("service k3s-api").unwrap()..];
    assert!(out.ends_with(tables), "{out}\n---\n{tables}");
    assert!(tables.contains("(significant)"), "{tables}");

    let o = hasim(&["diff", SPREAD, SPREAD, "-n", "20"]);
    assert_ok(&o);
    assert!(stdout(&o).starts_with(&format!("no design changes from {SPREAD} to {SPREAD}\n")));
}

#[test]
fn run_sets_the_structure_beside_the_simulation() {
    // forty-hosts has no cluster timers: the two agree, and no warning.
    let o = hasim(&["run", "models/forty-hosts.toml", "-n", "300"]);
    assert_ok(&o);
    let out = stdout(&o);
    assert!(
        out.contains("structure against simulation (the exact analysis of `hasim exact`):\n"),
        "{out}"
    );
    assert!(out.contains("  web: 11.5 h/yr structural, "), "{out}");
    assert!(
        out.contains("no cluster on its path has failover timers, so the two agree"),
        "{out}"
    );
    assert!(!out.contains("warning: `"), "{out}");
    // The external-database K3s: the datastore's failover costs hours.
    let o = hasim(&[
        "run",
        "models/k3s-external-postgres-2-node.toml",
        "-n",
        "300",
    ]);
    assert_ok(&o);
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("  k3s-api: ") && l.contains("structural"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("h/yr structural") && line.contains("the failover machinery adds"),
        "{line}"
    );
    // The as-written layout's track weight makes `serving` non-monotone.
    let o = hasim(&["run", AS_WRITTEN, "-n", "50"]);
    assert!(
        stdout(&o).contains("  k3s-api: not solved exactly (cluster vip (vrrp), output serving: "),
        "{}",
        stdout(&o)
    );
}

/// The peer benchmark's script runs (with the plain-Python loop; SimPy is
/// only in the venv benches/peers/run.sh makes) and every estimate it
/// prints holds the closed form or is counted as a miss.
#[test]
fn the_peer_benchmark_runs() {
    let o = std::process::Command::new("python3")
        .arg(root().join("benches/peers/peers.py"))
        .arg(env!("CARGO_BIN_EXE_hasim"))
        .args(["--replications", "40", "--years", "1"])
        .output()
        .expect("python3 runs (the machine's CPython)");
    assert_ok(&o);
    let out = stdout(&o);
    for (system, tool) in [
        ("2-of-3", "hasim"),
        ("2-of-3", "heapq"),
        ("3-of-5", "hasim"),
        ("3-of-5", "heapq"),
        ("3-of-5 crew", "hasim"),
        ("3-of-5 crew", "heapq"),
    ] {
        let row = format!("{system} {tool} ");
        assert!(
            out.lines().any(|l| l
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .starts_with(&row)),
            "{row} missing:\n{out}"
        );
    }
    // The closed forms, and hasim exact's crew chain for the shared crew.
    assert!(
        out.contains("0.9997079") && out.contains("0.9999904") && out.contains("0.9999418"),
        "the exact values:\n{out}"
    );
}
