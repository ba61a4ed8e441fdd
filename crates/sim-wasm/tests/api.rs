//! The playground API over strings, natively: errors located like the CLI's,
//! options checked, runs cancellable, and every front end's document built
//! the same way.

use sim_wasm::api::{self, ErrorKind};

const MODEL: &str = r#"[model]
name = "pair"

[power.feed]
failures = [{ every = "exp(3y)", repair = "4h" }]

[hosts.a]
requires = "feed"
failures = [{ every = "exp(1y)", repair = "lognormal(median=8h, sigma=1)" }]

[hosts.b]
requires = "feed"
failures = [{ every = "exp(1y)", repair = "lognormal(median=8h, sigma=1)" }]

[services.web]
requires = "a | b"
"#;

fn never_cancel() -> impl FnMut(u64, u64) -> bool {
    |_, _| true
}

#[test]
fn validate_locates_errors_and_lists_warnings() {
    let bad = MODEL.replace("requires = \"a | b\"", "requires = \"a | c\"");
    let v: serde_json::Value = serde_json::from_str(&api::validate("m.toml", &bad)).unwrap();
    assert_eq!(v["ok"], false);
    let d = &v["diagnostics"][0];
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(16), Some(17))
    );
    assert_eq!(d["snippet"], "c");
    let rendered = d["rendered"].as_str().unwrap();
    assert!(rendered.contains("--> m.toml:16:17"), "{rendered}");

    let v: serde_json::Value = serde_json::from_str(&api::validate("m.toml", MODEL)).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["model"]["services"][0], "web");
    // The shared feed is a single point of failure.
    assert!(v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["severity"] == "warning" && d["message"].as_str().unwrap().contains("feed")));
}

#[test]
fn run_errors_carry_the_cli_text() {
    let bad = MODEL.replace("[hosts.b]", "[hosts.b");
    let e = api::run("m.toml", &bad, "{}", &mut never_cancel())
        .err()
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Model);
    assert!(e.message.starts_with("error: "), "{}", e.message);
    assert!(e.message.contains("m.toml:11:"), "{}", e.message);
    assert!(e.diagnostics_json.unwrap().contains("\"line\":11"));
}

#[test]
fn options_follow_the_cli_rules() {
    let o = api::options(r#"{"seed": "18446744073709551615", "replications": 5, "horizon": "2y"}"#)
        .unwrap();
    assert_eq!((o.seed, o.replications, o.batch), (u64::MAX, 5, 100));
    for bad in [
        r#"{"replications": 0}"#,
        r#"{"horizon": "0s"}"#,
        r#"{"horizon": "101y"}"#,
        r#"{"target_ci": 2}"#,
        r#"{"seed": -1}"#,
        r#"{"threads": 4}"#,
    ] {
        let e = api::options(bad)
            .err()
            .unwrap_or_else(|| panic!("{bad} accepted"));
        assert_eq!(e.kind, ErrorKind::Input, "{bad}");
    }
}

#[test]
fn progress_reports_and_cancels() {
    let mut seen = Vec::new();
    let opts = r#"{"replications": 30, "batch": 10, "horizon": "1y"}"#;
    api::run("m.toml", MODEL, opts, &mut |d, t| {
        seen.push((d, t));
        true
    })
    .ok()
    .unwrap();
    assert_eq!(seen, vec![(10, 30), (20, 30), (30, 30)]);
    let e = api::run("m.toml", MODEL, opts, &mut |d, _| d < 20)
        .err()
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Cancelled);
}

#[test]
fn compare_documents_are_the_run_documents() {
    let opts = r#"{"seed": 9, "replications": 40, "horizon": "2y"}"#;
    let other = MODEL
        .replace("name = \"pair\"", "name = \"pair-b\"")
        .replace("exp(3y)", "exp(30y)");
    let designs = serde_json::json!([
        {"name": "a.toml", "text": MODEL},
        {"name": "b.toml", "text": other},
    ])
    .to_string();
    let mut last = (0, 0);
    let c = api::compare(&designs, opts, &mut |d, t| {
        last = (d, t);
        true
    })
    .ok()
    .unwrap();
    assert_eq!(last, (80, 80));
    let docs: Vec<String> = serde_json::from_str(&c.documents).unwrap();
    let a = api::run("a.toml", MODEL, opts, &mut never_cancel())
        .ok()
        .unwrap();
    let b = api::run("b.toml", &other, opts, &mut never_cancel())
        .ok()
        .unwrap();
    assert_eq!(docs, vec![a.json, b.json]);
    let doc: serde_json::Value = serde_json::from_str(&c.json).unwrap();
    assert_eq!(doc["comparisons"][0]["design"], "pair-b");
    assert!(c.csv.starts_with("design,service,"));
    assert_eq!(c.csv.lines().count(), 3);
}

#[test]
fn sweep_sets_paths_and_reports_bad_values() {
    let axes = r#"[{"path": "hosts.a.failures.0.repair", "values": ["1h", "8h"]}]"#;
    let s = api::sweep(
        "m.toml",
        MODEL,
        r#"{"replications": 20, "horizon": "1y"}"#,
        axes,
        &mut never_cancel(),
    )
    .ok()
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&s.json).unwrap();
    assert_eq!(doc["points"].as_array().unwrap().len(), 2);
    assert_eq!(
        doc["points"][1]["parameters"]["hosts.a.failures.0.repair"],
        "8h"
    );
    let bad = r#"[{"path": "hosts.a.failures.0.repair", "values": ["soon"]}]"#;
    let e = api::sweep("m.toml", MODEL, "{}", bad, &mut never_cancel())
        .err()
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Model);
    assert!(e.message.contains("at sweep point"), "{}", e.message);
    let e = api::sweep(
        "m.toml",
        MODEL,
        "{}",
        r#"[{"path": "hosts.z.x", "values": [1]}]"#,
        &mut never_cancel(),
    )
    .err()
    .unwrap();
    assert!(e.message.contains("`hosts` has no `z`"), "{}", e.message);
}

/// `exact` gives the document `hasim exact --export-json` writes (both come
/// from `sim_render::exact`), a view whose every cell is text the CLI's
/// table prints, the failover cost beside a comparison's simulated
/// downtime, and the located error of `run` for a model that does not load.
#[test]
fn exact_gives_the_cli_document_and_its_cells() {
    let out = api::exact("m.toml", MODEL).unwrap();
    let model = sim_core::model::compile::load("m.toml", MODEL).unwrap();
    let analysis = sim_core::exact::analyse(&model, sim_core::exact::Options::default());
    assert_eq!(out.json, sim_render::exact::json(&analysis));
    let text = sim_render::exact::text(&analysis);
    let view: serde_json::Value = serde_json::from_str(&out.view).unwrap();
    assert_eq!(text.lines().next(), view["head"].as_str());
    let web = &view["details"][0];
    assert_eq!(web["service"], "web");
    let cut_sets = web["cut_sets"]["rows"].as_array().unwrap();
    // The feed alone, and both hosts together.
    assert_eq!(cut_sets.len(), 2);
    let cells = |t: &serde_json::Value| -> Vec<String> {
        t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["cells"].as_array().unwrap().clone())
            .map(|c| c["text"].as_str().unwrap().to_string())
            .collect()
    };
    for t in [&view["services"], &web["cut_sets"], &web["importance"]] {
        for c in cells(t) {
            assert!(text.contains(&c), "hasim exact prints `{c}`:\n{text}");
        }
    }
    assert!(text.contains(web["cut_sets_heading"].as_str().unwrap()));

    let compare = api::compare(
        &serde_json::json!([{ "name": "m.toml", "text": MODEL }]).to_string(),
        r#"{"replications": 50}"#,
        &mut never_cancel(),
    )
    .unwrap();
    let view: serde_json::Value = serde_json::from_str(&compare.view).unwrap();
    let row = &view["services"][0]["exact"]["rows"][0]["cells"];
    let cell = |key: &str| {
        row.as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .unwrap()
            .clone()
    };
    let exact_minutes = analysis.services[0]
        .result
        .as_ref()
        .unwrap()
        .downtime_seconds_per_year
        / 60.0;
    let simulated = cell("downtime")["value"].as_f64().unwrap();
    let cost = cell("failover_cost")["value"].as_f64().unwrap();
    assert!(
        (cost - (simulated - exact_minutes)).abs() < 1e-9,
        "{cost} = {simulated} - {exact_minutes}"
    );

    let e = api::exact("m.toml", &MODEL.replace("[hosts.b]", "[hosts.b"))
        .err()
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Model);
    assert!(e.message.contains("--> m.toml:"), "{}", e.message);
}

#[test]
fn a_comparison_split_over_workers_merges_to_the_same_bits() {
    let opts = r#"{"seed": 3, "replications": 37, "horizon": "2y", "batch": 5}"#;
    let other = MODEL
        .replace("name = \"pair\"", "name = \"pair-b\"")
        .replace("exp(3y)", "exp(30y)");
    let designs = serde_json::json!([
        {"name": "a.toml", "text": MODEL},
        {"name": "b.toml", "text": other},
    ])
    .to_string();
    let whole = api::compare(&designs, opts, &mut never_cancel())
        .ok()
        .unwrap();
    // Three uneven parts, as three workers would run them.
    let parts: Vec<String> = [(0, 12), (12, 13), (13, 37)]
        .iter()
        .map(|&(a, b)| {
            api::compare_range(&designs, opts, a, b, &mut never_cancel())
                .ok()
                .unwrap()
        })
        .collect();
    let merged = api::compare_merge(&designs, opts, &serde_json::to_string(&parts).unwrap())
        .ok()
        .unwrap();
    assert_eq!(merged.json, whole.json);
    assert_eq!(merged.documents, whole.documents);
    assert_eq!(merged.csv, whole.csv);
    assert_eq!(merged.view, whole.view);
    assert_eq!(merged.summary, whole.summary);
    // Parts out of order, or missing one, are refused with the reason.
    let swapped = serde_json::to_string(&[&parts[1], &parts[0], &parts[2]]).unwrap();
    let e = api::compare_merge(&designs, opts, &swapped).err().unwrap();
    assert!(e.message.contains("do not follow"), "{}", e.message);
    let short = serde_json::to_string(&parts[..2]).unwrap();
    let e = api::compare_merge(&designs, opts, &short).err().unwrap();
    assert!(
        e.message
            .contains("13 replications of `pair` from index 0, not 37 from 0"),
        "{}",
        e.message
    );
    let t = r#"{"seed": 3, "replications": 37, "target_ci": 0.1}"#;
    let e = api::compare_range(&designs, t, 0, 10, &mut never_cancel())
        .err()
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Input);
}
