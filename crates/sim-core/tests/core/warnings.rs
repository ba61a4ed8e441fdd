//! The design warnings of `hasim validate` (analysis::lint): one per
//! failing element, ranked by an expected downtime that matches the
//! closed form and the simulation, and the warnings about models whose
//! numbers would be meaningless (nothing can fail, faults too frequent).

use sim_core::analysis::{self, element_downtime_per_year, lint, run_lints};
use sim_core::model::diag::Source;
use sim_core::model::load;
use sim_core::runner::{run, summarize, RunOptions};
use sim_core::time::{NANOS_PER_HOUR, NANOS_PER_YEAR};

fn lints(name: &str, text: &str) -> Vec<sim_core::Diagnostic> {
    let model = load(name, text).unwrap_or_else(|e| panic!("{e}"));
    lint(&model, &Source { name, text })
}

fn seed_model(file: &str) -> String {
    let path = format!("{}/../../models/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn one_warning_per_failing_element_ranked_by_downtime() {
    let text = seed_model("homelab-k3s-as-written.toml");
    let ws = lints("as-written.toml", &text);
    // Before grouping this model had 18 warnings: a quorum warning per
    // element and cluster plus a single-point-of-failure warning per
    // element. Now each of the five failing elements has one, and the five
    // cluster smells stay as they were.
    assert_eq!(ws.len(), 10, "{ws:#?}");
    let spof: Vec<&sim_core::Diagnostic> = ws
        .iter()
        .filter(|d| d.message.starts_with("single point of failure"))
        .collect();
    let names: Vec<&str> = spof.iter().map(|d| d.snippet.as_str()).collect();
    // proxmox-1 and proxmox-2 are alike (about 9 h/yr each: crash, disk,
    // maintenance), then utility power (5.6 h), the switch (3.3 h) and the
    // HAProxy process (under two minutes).
    assert_eq!(
        names,
        [
            "proxmox-1",
            "proxmox-2",
            "utility",
            "core-switch",
            "haproxy-1-process"
        ]
    );
    for d in &spof {
        assert!(d.message.contains("/yr if nothing else fails"), "{d}");
        assert!(d.rule.is_some(), "{d}");
        // The location is the element's own key.
        let line = text.lines().nth(d.line - 1).unwrap();
        assert!(line.contains(&d.snippet), "{d}");
        assert_eq!(ws.iter().filter(|w| w.snippet == d.snippet).count(), 1);
    }
    // The grouped warning of proxmox-1 names both quorums it loses.
    assert!(spof[0].message.contains("`pve` (1 of 2"), "{}", spof[0]);
    assert!(spof[0].message.contains("`etcd` (3 of 3"), "{}", spof[0]);
    assert!(spof[0].rule.as_deref().unwrap().contains("failure domains"));
    // The single failures come before the cluster smells.
    let first_other = ws
        .iter()
        .position(|d| !d.message.starts_with("single point of failure"))
        .unwrap();
    assert_eq!(first_other, 5);
}

#[test]
fn expected_downtime_matches_the_closed_form_and_the_simulation() {
    // One component failing every 1000 h and repaired in 10 h on average:
    // it is down 10 / 1010 of the time (alternating renewal process).
    let text = "[model]\nname = \"one\"\n\
        [components.c1]\nfailures = [{ every = \"exp(1000h)\", repair = \"exp(10h)\" }]\n\
        [services.s]\nrequires = \"c1\"\n";
    let model = load("one.toml", text).unwrap();
    let closed = 10.0 / 1010.0 * NANOS_PER_YEAR as f64;
    let est = element_downtime_per_year(&model.elements[0]);
    assert!((est - closed).abs() < 1e-6 * closed, "{est} vs {closed}");
    let opts = RunOptions {
        seed: 7,
        replications: 400,
        ..RunOptions::default()
    };
    let acc = run(&model, &opts).unwrap();
    let r = summarize(&model, &acc, opts.horizon);
    let d = &r.services[0].downtime_minutes_per_year;
    let [lo, hi] = d.ci95.unwrap();
    let est_min = est / 60e9;
    assert!(
        lo <= est_min && est_min <= hi,
        "seed 7: estimate {est_min} min/yr outside the run's 95% CI {lo} … {hi}"
    );
    let ws = lints("one.toml", text);
    assert_eq!(ws.len(), 1, "{ws:#?}");
    assert!(ws[0].message.contains("about 3.62d/yr"), "{}", ws[0]);
}

#[test]
fn nothing_can_fail() {
    let text = "[model]\nname = \"solid\"\n[components.c1]\n[services.s]\nrequires = \"c1\"\n";
    let model = load("solid.toml", text).unwrap();
    let src = Source {
        name: "solid.toml",
        text,
    };
    let ws = run_lints(&model, &src);
    assert_eq!(ws.len(), 1, "{ws:#?}");
    assert!(ws[0].message.contains("nothing in this model can fail"));
    assert!(ws[0].help.as_deref().unwrap().contains("failures = ["));
    assert_eq!((ws[0].line, ws[0].snippet.as_str()), (1, "model"));
    // validate shows it too, and the run it warns about is indeed 100%.
    assert!(lint(&model, &src)[0]
        .message
        .contains("nothing in this model"));
    let acc = run(
        &model,
        &RunOptions {
            replications: 10,
            ..RunOptions::default()
        },
    )
    .unwrap();
    let r = summarize(&model, &acc, 10 * NANOS_PER_YEAR);
    assert_eq!(r.services[0].availability.mean, 1.0);
    // Maintenance alone is something that can take an element down.
    let planned = "[model]\nname = \"m\"\n[components.c1]\nmaintenance = [{ every = \"30d\", duration = \"10m\" }]\n[services.s]\nrequires = \"c1\"\n";
    assert!(lints("m.toml", planned)
        .iter()
        .all(|d| !d.message.contains("nothing in this model")));
}

#[test]
fn faults_too_frequent_to_simulate() {
    let text = "[model]\nname = \"fast\"\n\
        [components.ok]\nfailures = [{ every = \"exp(1y)\", repair = \"exp(1h)\" }]\n\
        [components.typo]\nfailures = [{ mode = \"crash\", every = \"exp(1s)\", repair = \"exp(1s)\" }]\n\
        [components.busy]\nfailures = [{ mode = \"flap\", every = \"exp(2m)\", repair = \"exp(1m)\" }]\n\
        [services.s]\nrequires = \"ok & typo & busy\"\n";
    let ws = lints("fast.toml", text);
    let fast: Vec<&sim_core::Diagnostic> = ws
        .iter()
        .filter(|d| d.message.contains("strikes every"))
        .collect();
    // `typo` fails every second (under the one-minute floor, 3e8 events in
    // ten years); `busy` every two minutes is above the floor but a
    // 3-minute cycle is 3.5e6 events in ten years. The costlier comes first.
    assert_eq!(fast.len(), 2, "{ws:#?}");
    assert_eq!(fast[0].snippet, "typo");
    assert!(fast[0]
        .message
        .contains("`crash` of `typo` strikes every 1s"));
    assert!(
        fast[0].message.contains("3.2e8 fault events"),
        "{}",
        fast[0]
    );
    assert_eq!(fast[1].snippet, "busy");
    assert!(fast[1]
        .message
        .contains("`flap` of `busy` strikes every 2m"));
    // The bundled models have no such warning.
    for f in ["homelab-k3s-as-written.toml", "k8s-3-replicas.toml"] {
        assert!(lints(f, &seed_model(f))
            .iter()
            .all(|d| !d.message.contains("strikes every")));
    }
}

#[test]
fn an_overrun_replay_is_an_error_not_a_short_timeline() {
    let text = seed_model("homelab-k3s-as-written.toml");
    let model = load("as-written.toml", &text).unwrap();
    let e = analysis::trace_replication(&model, 1, 0, 10 * NANOS_PER_YEAR, 50).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("used up its budget of 50 events"), "{msg}");
    // With the normal budget the same replay succeeds.
    let (o, t) = analysis::trace_replication(
        &model,
        1,
        0,
        10 * NANOS_PER_YEAR,
        sim_core::sim::DEFAULT_MAX_EVENTS,
    )
    .unwrap();
    assert!(o.overrun.is_none() && !t.entries.is_empty());
    let (_, t) = analysis::scenario(
        &model,
        vec![sim_core::sim::Injection {
            element: 0,
            at: NANOS_PER_HOUR,
            down: true,
        }],
        2 * NANOS_PER_HOUR,
        1,
    )
    .unwrap();
    assert!(!t.entries.is_empty());
}

#[test]
fn after_a_run_single_failures_are_ranked_by_measured_downtime() {
    let text = seed_model("homelab-k3s-as-written.toml");
    let model = load("as-written.toml", &text).unwrap();
    let opts = RunOptions {
        seed: 5,
        replications: 300,
        ..RunOptions::default()
    };
    let acc = run(&model, &opts).unwrap();
    let r = summarize(&model, &acc, opts.horizon);
    let src = Source {
        name: "as-written.toml",
        text: &text,
    };
    let ws = analysis::lint_measured(&model, &src, &r);
    assert_eq!(ws.len(), lint(&model, &src).len());
    let spof: Vec<&sim_core::Diagnostic> = ws
        .iter()
        .filter(|d| d.message.starts_with("single point of failure"))
        .collect();
    // The measured figure is the k3s-api downtime the run attributed to the
    // element's own failure modes, so the ranking follows the causes table.
    let api = &r.services[0];
    let measured = |el: &str| -> f64 {
        api.downtime_causes
            .iter()
            .filter(|c| c.cause.starts_with(&format!("{el} ")))
            .map(|c| c.minutes_per_year)
            .sum()
    };
    let order: Vec<f64> = spof.iter().map(|d| measured(&d.snippet)).collect();
    assert!(
        order.windows(2).all(|w| w[0] >= w[1]),
        "seed 5: not ranked by measured downtime: {order:?}"
    );
    assert!(spof.iter().all(|d| d.message.contains("the run measured")));
    // The estimate of `validate` is close to what the run measures for a
    // host (crews and transients add a little): within 25%.
    let model_el = model
        .elements
        .iter()
        .find(|e| e.name == "proxmox-1")
        .unwrap();
    let est = element_downtime_per_year(model_el) / 60e9;
    let got = measured("proxmox-1");
    assert!(
        (got - est).abs() < 0.25 * est,
        "seed 5: proxmox-1 estimate {est} min/yr vs measured {got}"
    );
}
