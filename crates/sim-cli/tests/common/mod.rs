//! What the CLI test binaries share: the real `hasim` binary, run from the
//! repository root, and scratch directories.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn hasim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hasim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("hasim runs")
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh scratch directory per test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hasim-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn assert_ok(o: &Output) {
    assert!(o.status.success(), "failed: {}\n{}", stdout(o), stderr(o));
}

pub fn assert_clean_failure(o: &Output) -> String {
    assert!(!o.status.success(), "should fail:\n{}", stdout(o));
    let err = stderr(o);
    assert!(!err.contains("panicked"), "panic: {err}");
    err
}

/// Checks that an estimate as a table prints it ("99.903% ± 0.00987%",
/// "42.5 s ± 0.306 s", "8.53 h") is the JSON estimate `{mean, ci95}`
/// rounded to the digits shown: the mean, and the 95% half-width when there
/// is one. `%` figures are availabilities (fractions in the JSON), the time
/// units (s, min, h, d) are of minutes per year.
pub fn assert_shows(shown: &str, e: &serde_json::Value) {
    let mean = e["mean"].as_f64().expect("an estimate");
    let half = e["ci95"]
        .as_array()
        .map(|ci| (ci[1].as_f64().unwrap() - ci[0].as_f64().unwrap()) / 2.0);
    let parts: Vec<&str> = shown.split(" ± ").collect();
    let check = |part: &str, value: f64| {
        let (number, scale) = if let Some(n) = part.strip_suffix('%') {
            (n, 100.0)
        } else {
            let (n, unit) = part.split_once(' ').unwrap_or((part, "min"));
            let per_minute = match unit {
                "s" => 60.0,
                "min" => 1.0,
                "h" => 1.0 / 60.0,
                "d" => 1.0 / 1440.0,
                u => panic!("unknown unit `{u}` in `{shown}`"),
            };
            (n, per_minute)
        };
        let x: f64 = number
            .parse()
            .unwrap_or_else(|_| panic!("`{number}` in `{shown}`"));
        let decimals = number.split_once('.').map_or(0, |(_, d)| d.len());
        let unit = 10f64.powi(-(decimals as i32));
        assert!(
            (x - value * scale).abs() <= unit * 0.5 * (1.0 + 1e-9),
            "`{shown}` shows {x}, the JSON has {} (in its unit)",
            value * scale
        );
    };
    check(parts[0], mean);
    match (parts.get(1), half) {
        (Some(h), Some(half)) => check(h, half),
        (None, _) => {}
        (Some(_), None) => panic!("`{shown}` shows an interval the JSON does not have"),
    }
}
