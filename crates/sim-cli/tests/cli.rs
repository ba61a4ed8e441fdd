//! The real `hasim` binary, end to end: outputs, exports, sharding, and bad
//! input (a clear message and a non-zero exit, never a panic or half a file).

mod common;

use common::*;

const MODEL: &str = "models/homelab-k3s-as-written.toml";

#[test]
fn run_prints_a_table_with_causes() {
    let o = hasim(&["run", MODEL, "-n", "200"]);
    assert_ok(&o);
    let out = stdout(&o);
    for needle in [
        "k3s-api",
        "availability",
        "downtime/yr",
        "top causes of downtime",
        "without quorum",
        "ASSUMPTION",
        "requests lost while up",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
    }
}

#[test]
fn json_export_follows_the_contract() {
    let o = hasim(&[
        "run",
        MODEL,
        "-n",
        "100",
        "--seed",
        "9",
        "--export-json",
        "-",
    ]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("stdout is JSON");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["seed"], 9);
    assert_eq!(v["replications"], 100);
    assert_eq!(v["horizon_years"], 10.0);
    assert_eq!(v["model"]["name"], "homelab-k3s-as-written");
    assert!(v["model"]["hash"].as_str().unwrap().len() == 16);
    let s = &v["points"][0]["services"][0];
    assert_eq!(s["name"], "k3s-api");
    for key in [
        "availability",
        "downtime_minutes_per_year",
        "outages_per_year",
        "data_loss_events_per_year",
        "request_availability",
        "error_weighted_downtime_minutes_per_year",
    ] {
        assert!(s[key]["mean"].is_number(), "{key}");
        assert_eq!(s[key]["ci95"].as_array().unwrap().len(), 2, "{key}");
    }
    for p in ["p50_ci95", "p90_ci95", "p99_ci95"] {
        assert_eq!(s["recovery_seconds"][p].as_array().unwrap().len(), 2, "{p}");
    }
    for p in ["p50", "p90", "p99", "max"] {
        assert!(s["recovery_seconds"][p].is_number(), "{p}");
    }
    assert!(s["downtime_causes"][0]["cause"].is_string());
    assert!(s["downtime_causes"][0]["minutes_per_year"].is_number());
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let a = hasim(&[
        "run",
        MODEL,
        "-n",
        "150",
        "--threads",
        "1",
        "--export-json",
        "-",
    ]);
    let b = hasim(&[
        "run",
        MODEL,
        "-n",
        "150",
        "--threads",
        "2",
        "--export-json",
        "-",
    ]);
    assert_ok(&a);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn shards_merge_into_the_unsharded_bytes() {
    let d = scratch("shards");
    let whole = d.join("whole.json");
    assert_ok(&hasim(&[
        "run",
        MODEL,
        "-n",
        "90",
        "--seed",
        "4",
        "--export-json",
        whole.to_str().unwrap(),
    ]));
    let mut shard_files = Vec::new();
    for i in 0..3 {
        let f = d.join(format!("shard-{i}.json"));
        assert_ok(&hasim(&[
            "run",
            MODEL,
            "-n",
            "90",
            "--seed",
            "4",
            "--shard",
            &format!("{i}/3"),
            "--export-json",
            f.to_str().unwrap(),
        ]));
        shard_files.push(f.to_str().unwrap().to_string());
    }
    let merged = d.join("merged.json");
    let mut args = vec!["merge"];
    // Out of order on purpose: merge sorts shards by index.
    args.extend([
        shard_files[2].as_str(),
        shard_files[0].as_str(),
        shard_files[1].as_str(),
    ]);
    args.extend(["--export-json", merged.to_str().unwrap()]);
    assert_ok(&hasim(&args));
    assert_eq!(
        std::fs::read(&whole).unwrap(),
        std::fs::read(&merged).unwrap()
    );

    // A shard of another seed, a missing shard and a duplicate are refused.
    let other = d.join("other.json");
    assert_ok(&hasim(&[
        "run",
        MODEL,
        "-n",
        "90",
        "--seed",
        "5",
        "--shard",
        "1/3",
        "--export-json",
        other.to_str().unwrap(),
    ]));
    let e = assert_clean_failure(&hasim(&[
        "merge",
        &shard_files[0],
        other.to_str().unwrap(),
        &shard_files[2],
    ]));
    assert!(
        e.contains("different options") && e.contains("(seed 5 vs 4)"),
        "{e}"
    );
    let e = assert_clean_failure(&hasim(&["merge", &shard_files[0], &shard_files[2]]));
    assert!(e.contains("missing shards: 1/3"), "{e}");
    let e = assert_clean_failure(&hasim(&[
        "merge",
        &shard_files[0],
        &shard_files[0],
        &shard_files[1],
    ]));
    assert!(e.contains("given twice"), "{e}");
}

/// `json` without every `"name":{...}` member (an object value), and the
/// comma before it.
fn without_field(json: &str, name: &str) -> String {
    let key = format!(",\"{name}\":{{");
    let mut out = String::new();
    let mut rest = json;
    while let Some(i) = rest.find(&key) {
        out.push_str(&rest[..i]);
        let body = &rest[i + key.len()..];
        let mut depth = 1;
        let end = body
            .char_indices()
            .find(|(_, c)| {
                depth += match c {
                    '{' => 1,
                    '}' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .expect("the object closes")
            .0;
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A shard without the request-weighted figures (as `run --shard` wrote them
/// before they existed) would merge as if no request was ever lost: such a
/// file is refused by name, whether it says it is of the old format or
/// claims the current one.
#[test]
fn shards_without_request_figures_are_refused() {
    let d = scratch("old-shards");
    let mut files = Vec::new();
    for i in 0..2 {
        let f = d.join(format!("shard-{i}.json"));
        assert_ok(&hasim(&[
            "run",
            "models/homelab-k3s-spread.toml",
            "-n",
            "20",
            "--shard",
            &format!("{i}/2"),
            "--export-json",
            f.to_str().unwrap(),
        ]));
        files.push(f);
    }
    // Edited as text: the accumulator's 128-bit sums do not survive a
    // serde_json::Value.
    let good = std::fs::read_to_string(&files[1]).unwrap();
    let head: serde_json::Value = serde_json::from_str(&good).unwrap();
    let version = head["schema_version"].as_u64().unwrap();
    assert!(version >= 2, "the shard format counts the new fields");
    let with_version = |text: &str, v: u64| {
        let from = format!("\"schema_version\":{version},");
        assert!(text.contains(&from));
        text.replace(&from, &format!("\"schema_version\":{v},"))
    };
    // What a shard of the older format held: no request-weighted fields.
    let old = without_field(&without_field(&good, "error_weighted"), "request_downtime");
    let services = head["accumulator"]["services"].as_array().unwrap().len();
    assert_eq!(good.matches("\"error_weighted\":").count(), services);
    assert!(!old.contains("error_weighted") && !old.contains("request_downtime"));
    let stripped = d.join("stripped.json");
    std::fs::write(&stripped, &old).unwrap();
    let v1 = d.join("format-1.json");
    std::fs::write(&v1, with_version(&old, 1)).unwrap();
    let future = d.join("future.json");
    std::fs::write(&future, with_version(&good, version + 1)).unwrap();

    // Each refused, by name: what the message says after the file's name,
    // and what else it must say.
    let first = files[0].to_str().unwrap();
    let newer = format!(
        "is a shard of format {}, written by a newer hasim",
        version + 1
    );
    for (file, what, also) in [
        (
            &v1,
            "is a shard of format 1, written by an older hasim",
            "run its replications again",
        ),
        (
            &stripped,
            "is not a complete hasim shard file",
            "missing field `error_weighted`",
        ),
        (&future, newer.as_str(), "this one reads format"),
    ] {
        let e = assert_clean_failure(&hasim(&["merge", first, file.to_str().unwrap()]));
        assert!(
            e.contains(&format!("{} {what}", file.display())) && e.contains(also),
            "{e}"
        );
    }
    // A shard whose numbers were edited (a downtime sum set to u64::MAX)
    // or of format 2 (no digest) is refused, by name.
    let sum = good.find("\"downtime\":{").expect("a downtime accumulator");
    let at = sum + good[sum..].find("\"sum\":").unwrap() + "\"sum\":".len();
    let end = at + good[at..].find([',', '}']).unwrap();
    let edited = d.join("edited.json");
    std::fs::write(
        &edited,
        format!("{}{}{}", &good[..at], u64::MAX, &good[end..]),
    )
    .unwrap();
    let e = assert_clean_failure(&hasim(&["merge", first, edited.to_str().unwrap()]));
    assert!(
        e.contains(&format!("{} does not match its digest", edited.display())),
        "{e}"
    );
    let v2 = d.join("format-2.json");
    std::fs::write(&v2, with_version(&good, 2)).unwrap();
    let e = assert_clean_failure(&hasim(&["merge", first, v2.to_str().unwrap()]));
    assert!(e.contains("without an integrity digest"), "{e}");
    // The untouched pair still merges.
    assert_ok(&hasim(&["merge", first, files[1].to_str().unwrap()]));
}

#[test]
fn sweep_runs_every_combination_and_exports_each_point() {
    let d = scratch("sweep");
    let csv = d.join("s.csv");
    let json = d.join("s.json");
    let o = hasim(&[
        "sweep",
        MODEL,
        "-n",
        "50",
        "-L",
        "clusters.vip.preempt",
        "true,false",
        "-P",
        "clusters.vip.advert_int",
        "1s",
        "3s",
        "-D",
        "2s",
        "--export-json",
        json.to_str().unwrap(),
        "--export-csv",
        csv.to_str().unwrap(),
    ]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    assert_eq!(points[0]["parameters"]["clusters.vip.preempt"], true);
    assert_eq!(points[1]["parameters"]["clusters.vip.advert_int"], "3s");
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.starts_with("clusters.vip.preempt,clusters.vip.advert_int,service,"));
    // Columns added later go at the end, so readers of the first ones keep working.
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with(",top_cause,request_availability,request_availability_ci_low,request_availability_ci_high,error_weighted_downtime_minutes_per_year,error_weighted_ci_low,error_weighted_ci_high"),
        "{header}"
    );
}

/// The cells of the table row of `hasim` terminal output that starts with
/// `first`, split at the column gaps.
fn row_cells(out: &str, first: &str) -> Vec<String> {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{first}  ")))
        .unwrap_or_else(|| panic!("no row {first} in:\n{out}"));
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// A service behind HAProxy loses some requests while it is up (sent to
/// servers not yet marked DOWN): its request availability and error-weighted
/// downtime are in every table, as the JSON has them, and a model without a
/// load balancer keeps its tables as they were.
#[test]
fn request_figures_are_in_every_table() {
    const LB: &str = "models/homelab-k3s-spread.toml";
    const NO_LB: &str = "models/patroni-over-etcd.toml";
    const OPTS: &[&str] = &["-n", "100", "--seed", "3"];
    let run = |extra: &[&str]| {
        let o = hasim(&[&["run", LB], OPTS, extra].concat());
        assert_ok(&o);
        stdout(&o)
    };
    let json: serde_json::Value = serde_json::from_str(&run(&["--export-json", "-"])).unwrap();
    let s = &json["points"][0]["services"][0];
    assert_eq!(s["name"], "k3s-api");
    let (req, ew) = (
        &s["request_availability"],
        &s["error_weighted_downtime_minutes_per_year"],
    );
    assert!(ew["mean"].as_f64().unwrap() > 0.0, "{s}");

    // `hasim run`: lines under the table.
    let out = run(&[]);
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("  k3s-api: request availability "))
        .unwrap_or_else(|| panic!("{out}"));
    let (shown_req, shown_ew) = line
        .strip_suffix("/yr")
        .and_then(|l| l.split_once(", error-weighted downtime "))
        .unwrap();
    assert_shows(shown_req, req);
    assert_shows(shown_ew, ew);

    // The Markdown export: two more columns, the same text.
    let md = run(&["--export-markdown", "-"]);
    assert!(
        md.contains("| data loss/yr | request availability | error-weighted downtime/yr |\n"),
        "{md}"
    );
    let row = format!("| {shown_req} | {shown_ew} |\n");
    assert!(md.contains(&row), "Markdown lacks `{row}`:\n{md}");

    // `hasim compare` and `hasim sweep`: two more columns where a service
    // lost requests, none where no service did.
    let o = hasim(&[&["compare", LB, NO_LB], OPTS].concat());
    assert_ok(&o);
    let out = stdout(&o);
    let cells = row_cells(&out, "homelab-k3s-spread");
    assert_eq!(cells[7..9], [shown_req, shown_ew], "{out}");
    let postgres = out.split("service postgres-writes").nth(1).unwrap();
    assert!(!postgres.contains("request availability"), "{out}");
    let d = scratch("requests");
    let sweep_json = d.join("sweep.json");
    let o = hasim(
        &[
            &["sweep", LB, "-L", "clusters.api-backends.fall", "2,5"],
            OPTS,
            &["--export-json", sweep_json.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_ok(&o);
    let out = stdout(&o);
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sweep_json).unwrap()).unwrap();
    assert_eq!(out.split("\n── ").count(), 3, "two points:\n{out}");
    for (k, table) in out.split("\n── ").skip(1).enumerate() {
        let s = &v["points"][k]["services"][0];
        let cells = row_cells(table, "k3s-api");
        assert_shows(&cells[7], &s["request_availability"]);
        assert_shows(&cells[8], &s["error_weighted_downtime_minutes_per_year"]);
    }

    for o in [
        hasim(&[&["run", NO_LB], OPTS, &["--export-markdown", "-"]].concat()),
        hasim(&[&["run", NO_LB], OPTS].concat()),
    ] {
        assert_ok(&o);
        assert!(!stdout(&o).contains("request"), "{}", stdout(&o));
    }
}

#[test]
fn compare_reports_significance() {
    let o = hasim(&[
        "compare",
        MODEL,
        "models/homelab-k3s-spread.toml",
        "-n",
        "300",
        "--export-json",
        "-",
    ]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["designs"].as_array().unwrap().len(), 2);
    let c = &v["comparisons"][0];
    assert_eq!(c["service"], "k3s-api");
    // Spreading the masters removes the quorum loss on every proxmox-1
    // reboot and crash: far less downtime, clearly significant.
    assert!(
        c["downtime_difference_minutes_per_year"]["mean"]
            .as_f64()
            .unwrap()
            < 0.0
    );
    assert_eq!(c["significant"], true);
}

#[test]
fn validate_reports_the_homelab_write_ups_shared_failure_domain() {
    let o = hasim(&["validate", MODEL]);
    assert_ok(&o);
    let out = stdout(&o);
    // proxmox-1 holds two of the three etcd members, and a two-node Proxmox
    // cluster without a QDevice fences the survivor's HA VMs too.
    assert!(
        out.contains("`proxmox-1` failing alone takes down k3s-api")
            && out.contains("`etcd` (3 of 3 members down"),
        "{out}"
    );
    assert!(
        out.contains("two-node Proxmox cluster without a `qdevice`"),
        "{out}"
    );
    assert!(out.contains("homelab-k3s-as-written.toml:"), "{out}");
    assert!(!hasim(&["validate", "--deny-warnings", MODEL])
        .status
        .success());
}

#[test]
fn scenario_prints_the_timeline() {
    let o = hasim(&[
        "scenario",
        MODEL,
        "--fail",
        "proxmox-1@1h",
        "--repair",
        "proxmox-1@2h",
    ]);
    assert_ok(&o);
    let out = stdout(&o);
    let down = out
        .lines()
        .find(|l| l.contains("service") && l.contains("k3s-api") && l.contains("DOWN"));
    assert!(
        down.is_some_and(|l| l.trim_start().starts_with("01:00:00.000")
            && l.contains("(cause: proxmox-1 injected failure)")),
        "{out}"
    );
    // Back about an hour later: the host returns, its HA masters boot, etcd elects.
    assert!(
        out.contains("UP again after 1h") || out.contains("UP again after 1.0"),
        "{out}"
    );
    let o = hasim(&["scenario", MODEL, "--fail", "proxmox-9@1h"]);
    let e = assert_clean_failure(&o);
    assert!(
        e.contains("no element named `proxmox-9`") && e.contains("did you mean `proxmox-1`?"),
        "{e}"
    );
}

#[test]
fn trace_replays_a_replication() {
    let o = hasim(&["run", MODEL, "-n", "20", "--trace", "3"]);
    assert_ok(&o);
    assert!(stdout(&o).contains("timeline of replication 3"));
}

#[test]
fn bad_input_fails_cleanly_and_writes_nothing() {
    let d = scratch("bad");
    let bad = d.join("bad.toml");
    std::fs::write(&bad, "[hosts.a]\n[services.s]\nrequires = \"a & b\"\n").unwrap();
    let out = d.join("out.json");
    let o = hasim(&[
        "run",
        bad.to_str().unwrap(),
        "--export-json",
        out.to_str().unwrap(),
    ]);
    let e = assert_clean_failure(&o);
    assert!(
        e.contains("bad.toml:3:17") && e.contains("unknown reference `b`"),
        "{e}"
    );
    assert!(!out.exists(), "no export after a failed load");

    for (args, says) in [
        (
            vec!["run", "models/does-not-exist.toml"],
            "cannot read model file",
        ),
        (
            vec!["run", MODEL, "--horizon", "10 parsecs"],
            "unknown unit",
        ),
        (vec!["run", MODEL, "--horizon", "0s"], "longer than zero"),
        (vec!["run", MODEL, "-n", "0"], "at least 1"),
        (vec!["run", MODEL, "--target-ci", "2"], "fraction"),
        (
            vec!["run", MODEL, "--shard", "3/3", "--export-json", "x.json"],
            "below the count",
        ),
        (vec!["run", MODEL, "--shard", "0/2"], "needs --export-json"),
        (
            vec!["sweep", MODEL, "-L", "clusters.nope.x", "1,2"],
            "has no `nope`",
        ),
        (
            vec![
                "sweep",
                MODEL,
                "-L",
                "clusters.vip.advert_int",
                "3 fortnights",
            ],
            "unknown unit",
        ),
        (
            vec!["sweep", MODEL, "-P", "clusters.vip.advert_int", "1s", "3s"],
            "give its step with -D",
        ),
        (vec!["scenario", MODEL, "--fail", "proxmox-1"], "NAME@TIME"),
        (vec!["merge", MODEL], "not a hasim shard file"),
    ] {
        let o = hasim(&args);
        let e = assert_clean_failure(&o);
        assert!(e.contains(says), "{args:?}: expected `{says}` in: {e}");
    }
    // The swept value that breaks the model is reported at its line.
    let o = hasim(&[
        "sweep",
        MODEL,
        "-L",
        "clusters.vip.advert_int",
        "1s,3 fortnights",
    ]);
    let e = assert_clean_failure(&o);
    assert!(
        e.contains("homelab-k3s-as-written.toml:")
            && e.contains("clusters.vip.advert_int=3 fortnights"),
        "{e}"
    );
}

#[test]
fn every_bundled_model_loads_and_runs() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("models")).unwrap().flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "toml") {
            let rel = format!("models/{}", p.file_name().unwrap().to_string_lossy());
            assert_ok(&hasim(&["validate", &rel]));
            assert_ok(&hasim(&["run", &rel, "-n", "20"]));
            n += 1;
        }
    }
    assert!(n >= 2, "bundled models found: {n}");
}

#[test]
fn presets_list_their_sources() {
    let o = hasim(&["presets"]);
    assert_ok(&o);
    assert!(stdout(&o).contains("Backblaze"));
}

#[test]
fn published_schema_is_current() {
    let o = hasim(&["schema"]);
    assert_ok(&o);
    let published = std::fs::read_to_string(root().join("models/hasim.schema.json")).unwrap();
    assert_eq!(
        stdout(&o),
        published,
        "models/hasim.schema.json is stale: regenerate it with `hasim schema > models/hasim.schema.json`"
    );
    let v: serde_json::Value = serde_json::from_str(&published).unwrap();
    assert_eq!(
        v["properties"]["clusters"]["additionalProperties"]["properties"]["kind"]["enum"][0],
        "quorum"
    );
}

#[test]
fn schema_keys_lists_every_kind_with_types_and_defaults() {
    let o = hasim(&["schema", "--keys"]);
    assert_ok(&o);
    let out = stdout(&o);
    for kind in sim_core::protocols::builtin().names() {
        assert!(
            out.contains(&format!("kind = \"{kind}\":")),
            "{kind} missing:\n{out}"
        );
    }
    // advert_int: a duration, 1 s by default, with its source.
    let line = out
        .lines()
        .find(|l| l.starts_with("advert_int "))
        .unwrap_or_else(|| panic!("{out}"));
    let cells: Vec<&str> = line.split("  ").filter(|c| !c.is_empty()).collect();
    assert_eq!(cells[1].trim(), "duration", "{line}");
    assert_eq!(cells[2].trim(), "1s", "{line}");
    assert!(line.contains("keepalived.conf(5)"), "{line}");
}

/// Seed 000's "Failure Scenarios" 1-3, replayed on the corrected layout with
/// the timers the write-up's own configs imply (K3s etcd: heartbeat 500 ms,
/// election 5 s; keepalived advert_int 1 s, backup priority 50).
#[test]
fn homelab_write_up_failure_scenarios() {
    let m = "models/homelab-k3s-spread.toml";
    let downtime = |out: &str| -> f64 {
        let line = out
            .lines()
            .find(|l| l.starts_with("k3s-api "))
            .expect("summary row");
        let cell = line
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<f64>()
            .unwrap();
        let unit = line.split_whitespace().nth(2).unwrap();
        match unit {
            "ms" => cell / 1000.0,
            "s" => cell,
            "min" => cell * 60.0,
            "h" => cell * 3600.0,
            other => panic!("unit {other}"),
        }
    };
    // 1. One master fails (its host dies): etcd elects a new leader among
    // the other two after one randomized K3s election timeout (5-10 s), and
    // Proxmox HA restarts the master on another host about 2 minutes later.
    let o = hasim(&["scenario", m, "--fail", "proxmox-1@1h", "--seed", "3"]);
    assert_ok(&o);
    let out = stdout(&o);
    assert!(
        out.contains("wins the election") && out.contains("HA VM k3s-master-1 is running"),
        "{out}"
    );
    let d = downtime(&out);
    assert!(
        (5.0..=10.5).contains(&d),
        "scenario 1 downtime {d} s\n{out}"
    );
    // 2. Two masters fail (two of three hosts): no etcd quorum and no
    // Proxmox quorum until one host is back, then its master boots (20-40 s)
    // and etcd elects.
    let o = hasim(&[
        "scenario",
        m,
        "--fail",
        "proxmox-1@1h",
        "--fail",
        "proxmox-2@1h",
        "--repair",
        "proxmox-2@2h",
        "--seed",
        "3",
    ]);
    assert_ok(&o);
    let d = downtime(&stdout(&o));
    assert!(
        (3600.0..3600.0 + 60.0).contains(&d),
        "scenario 2 downtime {d} s"
    );
    // 3. The HAProxy master's VM fails: the VIP moves to the backup after
    // Master_Down_Interval = 3 * 1 s + (256 - 50)/256 s = 3.80 s, minus the
    // time since the last advert, U(0, 1 s) (RFC 5798). The write-up says
    // "~2-3 seconds".
    for seed in ["1", "2", "3"] {
        let o = hasim(&["scenario", m, "--fail", "haproxy-1@1h", "--seed", seed]);
        assert_ok(&o);
        let out = stdout(&o);
        assert!(out.contains("haproxy-2 becomes MASTER"), "{out}");
        let d = downtime(&out);
        assert!(
            (2.8..=3.81).contains(&d),
            "scenario 3 downtime {d} s (seed {seed})"
        );
    }
}

#[test]
fn plots_render_with_their_series_and_labels() {
    let d = scratch("plots");
    let svg = d.join("run.svg");
    assert_ok(&hasim(&[
        "run",
        MODEL,
        "-n",
        "100",
        "--plot",
        svg.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "recovery time per outage",
        "downtime by cause",
        "k3s-api",
        "proxmox-1 crash",
        "<polyline",
        "<rect",
    ] {
        assert!(text.contains(needle), "run plot lacks `{needle}`");
    }
    let png = d.join("run.png");
    assert_ok(&hasim(&[
        "run",
        MODEL,
        "-n",
        "100",
        "--plot",
        png.to_str().unwrap(),
    ]));
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );

    let sweep = d.join("sweep.svg");
    assert_ok(&hasim(&[
        "sweep",
        MODEL,
        "-n",
        "50",
        "-P",
        "clusters.vip.advert_int",
        "1s",
        "3s",
        "-D",
        "1s",
        "--plot",
        sweep.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&sweep).unwrap();
    assert!(
        text.contains("availability vs clusters.vip.advert_int") && text.contains("95% CI"),
        "sweep plot"
    );
    // No degradation reaches this model's clusters: no trade-off panel.
    assert!(
        !text.contains("false failovers"),
        "trade-off panel without gray failures"
    );

    // A timer sweep over a model with gray failures adds the trade-off
    // panel: false failovers a year against recovery after real failures.
    let ttl = d.join("ttl.svg");
    assert_ok(&hasim(&[
        "sweep",
        "models/patroni-delay-spikes.toml",
        "-n",
        "5",
        "-L",
        "clusters.pg.ttl",
        "20s,60s",
        "--plot",
        ttl.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&ttl).unwrap();
    for label in [
        "false failovers and recovery vs clusters.pg.ttl",
        "pg false failovers/yr",
        "postgres-writes recovery p50 (s)",
        "recovery p50 after real failures (s)",
    ] {
        assert!(text.contains(label), "ttl sweep plot lacks `{label}`");
    }

    let cmp = d.join("compare.svg");
    assert_ok(&hasim(&[
        "compare",
        MODEL,
        "models/homelab-k3s-spread.toml",
        "-n",
        "50",
        "--plot",
        cmp.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&cmp).unwrap();
    assert!(
        text.contains("homelab-k3s-as-written · k3s-api")
            && text.contains("homelab-k3s-spread · k3s-api"),
        "compare plot legend"
    );

    let tl = d.join("timeline.svg");
    assert_ok(&hasim(&[
        "scenario",
        MODEL,
        "--fail",
        "proxmox-1@1h",
        "--repair",
        "proxmox-1@90m",
        "--plot",
        tl.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&tl).unwrap();
    for needle in [
        "proxmox-1",
        "k3s-master-3",
        "etcd.quorum",
        "k3s-api",
        "time (hours)",
    ] {
        assert!(text.contains(needle), "timeline lacks `{needle}`");
    }
    let e = assert_clean_failure(&hasim(&[
        "run",
        MODEL,
        "-n",
        "10",
        "--plot",
        d.join("x.gif").to_str().unwrap(),
    ]));
    assert!(e.contains(".svg or .png"), "{e}");
}

#[test]
fn plan_reports_headroom_and_the_cheapest_design() {
    let dir = scratch("plan");
    let json = dir.join("plan.json");
    let csv = dir.join("plan.csv");
    let svg = dir.join("pareto.svg");
    let model = root().join("models/homelab-k3s-as-written.toml");
    let o = hasim(&[
        "plan",
        model.to_str().unwrap(),
        "--target",
        "99.9%",
        "--service",
        "k3s-api",
        "-n",
        "60",
        "--horizon",
        "5y",
        "--export-json",
        json.to_str().unwrap(),
        "--export-csv",
        csv.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert_ok(&o);
    let out = stdout(&o);
    // Seed 000 as written: a two-node Proxmox cluster without a QDevice
    // recovers nothing when either host dies.
    assert!(
        out.contains("# Headroom of homelab-k3s-as-written: not N+1"),
        "{out}"
    );
    assert!(out.contains("the Proxmox cluster has no quorum"), "{out}");
    // Masters 1 and 3 (2 cores each) fill proxmox-1's 4 cores.
    assert!(out.contains("proxmox-1  4 / 4 (100%)"), "{out}");
    assert!(
        out.contains("16 designs: 0 invalid, 8 dropped before simulating"),
        "{out}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["schema_version"], sim_core::plan::SCHEMA_VERSION);
    assert_eq!(doc["headroom"]["verdict"], "not N+1");
    assert_eq!(doc["design_search"]["designs_total"], 16);
    assert_eq!(doc["design_search"]["simulated"], 8);
    let designs = doc["design_search"]["designs"].as_array().unwrap();
    // The cheapest flagged design is the cheapest one whose CI lower bound
    // reaches the target, by the document's own numbers.
    let meets: Vec<&serde_json::Value> = designs
        .iter()
        .filter(|d| {
            d["availability"]["ci95"][0]
                .as_f64()
                .is_some_and(|l| l >= 0.999)
        })
        .collect();
    let cheapest = meets.iter().min_by(|a, b| {
        a["cost"]
            .as_f64()
            .unwrap()
            .total_cmp(&b["cost"].as_f64().unwrap())
    });
    match cheapest {
        Some(c) => assert_eq!(doc["design_search"]["cheapest"], c["design"]),
        None => assert!(doc["design_search"]["cheapest"].is_null()),
    }
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv.lines().count(), 17);
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.contains("Pareto frontier") && svg.contains("downtime the target allows"));
    // Bad input: clear errors, nothing written.
    for (args, msg) in [
        (vec!["--target", "100%"], "impossible"),
        (
            vec!["--target", "99.9%", "--service", "nope"],
            "no service `nope`",
        ),
        (vec!["--service", "k3s-api"], "give a target too"),
    ] {
        let mut a = vec!["plan", model.to_str().unwrap()];
        a.extend(args);
        let err = assert_clean_failure(&hasim(&a));
        assert!(err.contains(msg), "{err}");
    }
    let spread = root().join("models/homelab-k3s-spread.toml");
    let o = hasim(&["plan", spread.to_str().unwrap(), "--target", "99.9%"]);
    assert!(
        stderr(&o).contains("declares no design space"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn plan_says_a_rule_not_room_keeps_a_replica_pending() {
    // Seed 001: three Traefik replicas with required anti-affinity on
    // three workers, no CPU or memory declared. A dead worker's replica
    // stays Pending because of the rule; the text, JSON and CSV say so.
    let d = scratch("plan-rule");
    let (json, csv) = (d.join("plan.json"), d.join("plan.csv"));
    let o = hasim(&[
        "plan",
        "models/k8s-3-replicas.toml",
        "--export-json",
        json.to_str().unwrap(),
        "--export-csv",
        csv.to_str().unwrap(),
    ]);
    assert_ok(&o);
    let out = stdout(&o);
    assert!(
        out.starts_with("# Headroom of k8s-3-replicas: not N+1 (4 of 4 failures of 1 domain not carried: placement rule, no live member)"),
        "{out}"
    );
    assert!(
        out.contains("no place for traefik pod 0: Pending (kube-scheduler: \"0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 node(s) didn't match pod anti-affinity rules.\")"),
        "{out}"
    );
    assert!(
        out.contains("make the anti-affinity preferred [placement rule]"),
        "{out}"
    );
    assert!(!out.contains("[no room]"), "{out}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let case = doc["headroom"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["failed"] == serde_json::json!(["homelab-02"]))
        .unwrap();
    assert_eq!(case["carried"], false);
    assert_eq!(case["unplaced"][0]["shortfall"], "rule");
    assert_eq!(case["unplaced"][0]["breaks_n_plus_k"], true);
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("homelab-02,false,traefik,") && l.ends_with(",pod 0 (rule)")),
        "{csv}"
    );
}

#[test]
fn plan_place_prints_the_proposal_and_exports_it() {
    let d = scratch("plan-place");
    let json = d.join("plan.json");
    let o = hasim(&[
        "plan",
        "--place",
        MODEL,
        "--export-json",
        json.to_str().unwrap(),
    ]);
    assert_ok(&o);
    let out = stdout(&o);
    assert!(
        out.contains("# Placement for homelab-k3s-as-written"),
        "{out}"
    );
    assert!(out.contains("Objective, most important first"), "{out}");
    assert!(
        out.contains("whatever the placement, one host holds 2 of 3 votes"),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let p = &v["placement"];
    assert_eq!(p["feasible"], true);
    assert_eq!(p["moves"].as_array().unwrap().len(), 0);
    assert!(p["quorum"][0]["impossible"]
        .as_str()
        .unwrap()
        .contains("add a third host"));
    assert_eq!(
        p["verification"]["cases"][0]["failed"],
        serde_json::json!([])
    );
    // Without --place the document has no placement field.
    let o = hasim(&["plan", MODEL, "--export-json", "-"]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v.get("placement").is_none());
}

#[test]
fn plan_place_without_a_placement_fails_with_the_reason() {
    let d = scratch("plan-place-none");
    let model = d.join("small.toml");
    std::fs::write(
        &model,
        r#"
[model]
name = "small"
[hosts.h1]
[hosts.h2]
[clusters.pve]
kind = "proxmox-ha"
members = ["h1", "h2"]
host_cores = 4
vms = [
  { name = "a", home = "h1", cores = 4 },
  { name = "b", home = "h2", cores = 4 },
  { name = "c", home = "h1", cores = 4 },
]
[services.app]
requires = "pve.a"
"#,
    )
    .unwrap();
    let o = hasim(&["plan", "--place", model.to_str().unwrap()]);
    assert!(!o.status.success());
    let out = stdout(&o);
    assert!(out.contains("no placement exists"), "{out}");
    assert!(
        out.contains(
            "HA VMs a, b, c need 12 cores, the hosts in their groups (h1, h2) offer 8 cores"
        ),
        "{out}"
    );
    assert!(!stderr(&o).contains("panicked"));
}

/// A design space where one combination does not compile: `plan --target`
/// lists it and fails, unless `--skip-invalid` asks to plan with the rest.
#[test]
fn plan_fails_on_invalid_designs_unless_told_to_skip_them() {
    let d = scratch("plan-invalid");
    let model = d.join("m.toml");
    std::fs::write(
        &model,
        r#"[components.s1]
failures = [{ every = "exp(2000h)", repair = "exp(48h)" }]
[components.s2]
failures = [{ every = "exp(2000h)", repair = "exp(48h)" }]
[services.app]
requires = "s1"
[[design.choices]]
name = "servers"
options = [
  { label = "1", unset = ["components.s2"] },
  { label = "2", price = 100, set = { "services.app.requires" = "1 of (s1, s2)" } },
]
[[design.choices]]
name = "alerting"
options = [
  { label = "no" },
  { label = "yes", set = { "components.s2.failures.0.repair" = "exp(8h)" } },
]
"#,
    )
    .unwrap();
    let m = model.to_str().unwrap();
    let args = ["plan", m, "--target", "99%", "-n", "20", "--horizon", "1y"];
    // Every option is valid on its own, so the model validates.
    assert_ok(&hasim(&["validate", m]));
    let o = hasim(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("invalid"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("1 of 4 designs do not give a valid model")
            && stderr(&o).contains("--skip-invalid"),
        "{}",
        stderr(&o)
    );
    let mut skip = args.to_vec();
    skip.push("--skip-invalid");
    assert_ok(&hasim(&skip));
    // A mistyped path fails every command at its position.
    std::fs::write(
        &model,
        std::fs::read_to_string(&model)
            .unwrap()
            .replace("\"services.app.requires\"", "\"services.app.require\""),
    )
    .unwrap();
    let err = assert_clean_failure(&hasim(&["validate", m]));
    assert!(
        err.contains("m.toml:11:") && err.contains("did you mean `requires`?"),
        "{err}"
    );
    let err = assert_clean_failure(&hasim(&["run", m, "-n", "2"]));
    assert!(err.contains("m.toml:11:"), "{err}");
}

#[test]
fn target_ci_headers_show_the_replications_run() {
    // With --target-ci 0.05 this model stops after a few batches, well
    // before the requested 1000; the header must say what was run.
    let args = [
        "run",
        "models/k8s-3-replicas.toml",
        "--target-ci",
        "0.05",
        "--seed",
        "3",
    ];
    let json = hasim(&[&args[..], &["--export-json", "-"]].concat());
    assert_ok(&json);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("stdout is JSON");
    let run = v["points"][0]["replications"].as_u64().unwrap();
    assert!(run < 1000, "--target-ci should stop early, ran {run}");
    let o = hasim(&args);
    assert_ok(&o);
    let out = stdout(&o);
    let first = out.lines().next().unwrap();
    assert!(
        first.contains(&format!("· {run} replications × 10y")),
        "header `{first}` should show the {run} replications run"
    );
    // compare shows the counts run as well.
    let o = hasim(&[
        "compare",
        "models/k8s-3-replicas.toml",
        "models/k8s-2-replicas-anti-affinity.toml",
        "--target-ci",
        "0.05",
        "--seed",
        "3",
        "--export-json",
        "-",
    ]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let counts: Vec<u64> = v["designs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["replications"].as_u64().unwrap())
        .collect();
    let o = hasim(&[
        "compare",
        "models/k8s-3-replicas.toml",
        "models/k8s-2-replicas-anti-affinity.toml",
        "--target-ci",
        "0.05",
        "--seed",
        "3",
    ]);
    let first = stdout(&o).lines().next().unwrap().to_string();
    let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    let shown = if lo == hi {
        format!("{lo} replications")
    } else {
        format!("{lo}–{hi} replications")
    };
    assert!(first.contains(&shown), "`{first}` should show {shown}");
}

#[test]
fn a_service_that_never_recovers_says_so() {
    // Traefik's rollouts stall for good at the first upgrade window (3
    // replicas, required anti-affinity, 3 workers: the surge pod never
    // fits), so `ingress-rollouts` is down from then to the end of every
    // replication and no outage ever ends.
    let args = ["run", "models/k8s-3-replicas.toml", "-n", "50"];
    let o = hasim(&[&args[..], &["--export-json", "-"]].concat());
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let s = v["points"][0]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "ingress-rollouts")
        .unwrap()
        .clone();
    assert_eq!(s["recovery_seconds"]["count"], 0);
    assert_eq!(s["first_outage_replications"], 50);
    // The upgrade window is monthly with a uniform phase: the first one
    // opens about 15 days in.
    let start_days = s["first_outage_years"]["mean"].as_f64().unwrap() * 365.25;
    assert!((5.0..25.0).contains(&start_days), "{start_days} d");
    let o = hasim(&args);
    let row = stdout(&o)
        .lines()
        .find(|l| l.starts_with("ingress-rollouts"))
        .unwrap()
        .to_string();
    assert!(
        row.contains(&format!("never recovered: down from {start_days:.1} d on")),
        "{row}"
    );
    assert!(!row.contains("no outage"), "{row}");
    // Markdown shows the same cell.
    let md = hasim(&[&args[..], &["--export-markdown", "-"]].concat());
    assert!(stdout(&md).contains("never recovered: down from"));
}

#[test]
fn run_warns_when_nothing_can_fail() {
    let dir = scratch("solid");
    let f = dir.join("solid.toml");
    std::fs::write(
        &f,
        "[model]\nname = \"solid\"\n[components.c1]\n[services.s]\nrequires = \"c1\"\n",
    )
    .unwrap();
    let o = hasim(&["run", f.to_str().unwrap(), "-n", "10"]);
    assert_ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("warning[nothing-can-fail]: nothing in this model can fail: every availability will be 100%"),
        "{err}"
    );
    assert!(err.contains("solid.toml:1:2"), "{err}");
    assert!(stdout(&o).contains("100.00%"));
    let o = hasim(&["validate", f.to_str().unwrap()]);
    assert!(stdout(&o).contains("nothing in this model can fail"));
}

#[test]
fn run_warns_about_faults_too_frequent_before_the_budget_stops_it() {
    let dir = scratch("fast");
    let f = dir.join("fast.toml");
    std::fs::write(
        &f,
        "[model]\nname = \"fast\"\n[components.c1]\nfailures = [{ mode = \"crash\", every = \"exp(1s)\", repair = \"exp(1s)\" }]\n[services.s]\nrequires = \"c1\"\n",
    )
    .unwrap();
    let o = hasim(&[
        "run",
        f.to_str().unwrap(),
        "-n",
        "1",
        "--max-events",
        "100000",
    ]);
    let err = assert_clean_failure(&o);
    let warned = err
        .find("failure mode `crash` of `c1` strikes every 1s on average")
        .unwrap_or_else(|| panic!("{err}"));
    let failed = err
        .find("used up its budget")
        .unwrap_or_else(|| panic!("{err}"));
    assert!(warned < failed, "the warning should come first:\n{err}");
}

#[test]
fn validate_groups_warnings_by_failing_element() {
    let o = hasim(&["validate", MODEL]);
    let out = stdout(&o);
    assert!(out.contains("; 10 warnings"), "{out}");
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("warning[single-point-of-failure]: single point of failure: `proxmox-1` failing alone takes down k3s-api, about "),
        "{first}"
    );
    assert_eq!(out.matches("`proxmox-1` failing alone").count(), 1);
}

/// Lints have stable ids: `--allow` hides one, `--deny` fails on one, a
/// mistyped id is refused with a did-you-mean, and the README's table lists
/// every id the built-in kinds can report.
#[test]
fn validate_allows_and_denies_lints_by_id() {
    let model = root().join("models/homelab-k3s-as-written.toml");
    let m = model.to_str().unwrap();
    let o = hasim(&["validate", m]);
    assert_ok(&o);
    assert!(stdout(&o).contains("warning[vrrp-weight-cannot-move-vip]: "));
    let o = hasim(&["validate", m, "--allow", "vrrp-weight-cannot-move-vip"]);
    assert_ok(&o);
    assert!(!stdout(&o).contains("vrrp-weight-cannot-move-vip"));
    let o = hasim(&["validate", m, "--deny", "vrrp-weight-cannot-move-vip"]);
    let err = assert_clean_failure(&o);
    assert!(err.contains("1 warning denied by --deny"), "{err}");
    // Denying a lint the model does not trigger passes.
    assert_ok(&hasim(&["validate", m, "--deny", "patroni-ttl-too-short"]));
    let err = assert_clean_failure(&hasim(&["validate", m, "--allow", "vrrp-weight"]));
    assert!(
        err.contains("did you mean `vrrp-weight-cannot-move-vip`?")
            || err.contains("no lint has the id `vrrp-weight`"),
        "{err}"
    );
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for l in sim_core::analysis::lint_ids(sim_core::protocols::builtin()) {
        assert!(
            readme.contains(&format!("| `{}` | {} |", l.id, l.meaning)),
            "README's table of lints lacks `{}`",
            l.id
        );
    }
}

/// `hasim exact`: the table on stdout, the JSON document (with its
/// `schema_version`) to `--export-json`, and a service it cannot solve
/// named with the part and the reason, not an error.
#[test]
fn exact_prints_the_analysis_and_exports_json() {
    let o = hasim(&["exact", "models/homelab-two-servers-raspberry-pi.toml"]);
    assert_ok(&o);
    let out = stdout(&o);
    for needle in [
        "exact steady-state availability",
        "home-dns",
        "mean outage",
        "minimal cut sets",
        "Fussell-Vesely",
        "nextcloud: not solved exactly: cluster longhorn (longhorn)",
        "crew operator (1 repairer",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
    }
    let o = hasim(&[
        "exact",
        "models/patroni-over-etcd.toml",
        "--export-json",
        "-",
    ]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("stdout is JSON");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["kind"], "exact");
    let s = &v["services"][0];
    assert_eq!(s["name"], "postgres-writes");
    assert_eq!(s["solved"], true);
    let a = s["availability"].as_f64().unwrap();
    let q = s["unavailability"].as_f64().unwrap();
    assert!(a > 0.99 && (a + q - 1.0).abs() < 1e-12, "{a} {q}");
    assert!(s["cut_sets"][0]["parts"].is_array());
    assert!(s["importance"][0]["birnbaum"].is_number());
    assert_eq!(v["crews"][0]["method"], "markov_chain");

    let o = hasim(&["exact", "models/no-such-model.toml"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no-such-model.toml"), "{}", stderr(&o));
}

/// `hasim exact --simulated-importance`: a row per element with failure
/// modes, in the text and the JSON, and the same bytes for any thread count
/// (every replication's three runs are collected in replication order).
#[test]
fn simulated_importance_is_the_same_for_any_thread_count() {
    let run = |j: &str| {
        let o = hasim(&[
            "exact",
            "models/k8s-3-replicas.toml",
            "--simulated-importance",
            "-n",
            "20",
            "--horizon",
            "1y",
            "-j",
            j,
            "--export-json",
            "-",
        ]);
        assert_ok(&o);
        stdout(&o)
    };
    let one = run("1");
    assert_eq!(one, run("2"), "-j 1 and -j 2 differ");
    let v: serde_json::Value = serde_json::from_str(&one).expect("stdout is JSON");
    let rows = v["simulated_importance"]
        .as_array()
        .expect("simulated_importance");
    assert!(!rows.is_empty());
    assert!(rows[0]["birnbaum"]["ci95"].is_array(), "{}", rows[0]);
    let o = hasim(&[
        "exact",
        "models/k8s-3-replicas.toml",
        "--simulated-importance",
        "-n",
        "10",
        "--horizon",
        "1y",
    ]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("importance from the simulation (10 replications x 1y each, seed 1"),
        "{}",
        stdout(&o)
    );
    let o = hasim(&["exact", "models/k8s-3-replicas.toml", "-n", "10"]);
    assert!(
        !o.status.success(),
        "-n without --simulated-importance is refused"
    );
}
