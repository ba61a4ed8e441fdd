//! `hasim sweep --shard` and `hasim plan --target --shard`, merged by
//! `hasim merge`: the merged output must be the unsharded command's bytes,
//! whatever the order of the shards and the threads each ran with, and every
//! bad set of shards is refused with a message naming the files.

mod common;

use common::*;
use std::path::Path;

const MODEL: &str = "models/homelab-k3s-as-written.toml";

/// The sweep of the tests: three points, so three shards cut some points
/// in the middle of their replications.
const SWEEP: &[&str] = &[
    "sweep",
    MODEL,
    "-L",
    "clusters.vip.advert_int",
    "1s,2s,3s",
    "-n",
    "20",
    "--horizon",
    "1y",
    "--seed",
    "3",
];

/// The design search of the tests: the model's 16 designs, 8 simulated,
/// and the placement, which the shards record and the merge proposes.
const PLAN: &[&str] = &[
    "plan",
    MODEL,
    "--place",
    "--target",
    "99.9%",
    "--service",
    "k3s-api",
    "-n",
    "20",
    "--horizon",
    "1y",
];

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn with(base: &[&str], extra: &[&str]) -> Vec<String> {
    base.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn run(args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    hasim(&args)
}

/// Runs shards 0..n of `command` with `-j threads`, into `dir/prefix-I.json`.
fn shards(command: &[&str], n: usize, threads: &str, dir: &Path, prefix: &str) -> Vec<String> {
    (0..n)
        .map(|i| {
            let f = dir.join(format!("{prefix}-{i}.json"));
            let o = run(&with(
                command,
                &[
                    "-j",
                    threads,
                    "--shard",
                    &format!("{i}/{n}"),
                    "--export-json",
                    path(&f),
                ],
            ));
            assert_ok(&o);
            assert!(
                stdout(&o).is_empty(),
                "a shard prints nothing on stdout: {}",
                stdout(&o)
            );
            path(&f).to_string()
        })
        .collect()
}

/// Merges `files` in the order given: stdout, and the --export-json bytes
/// (written to `out`).
fn merged(files: &[&String], out: &Path) -> (Vec<u8>, Vec<u8>) {
    let mut args = vec!["merge".to_string()];
    args.extend(files.iter().map(|f| f.to_string()));
    let o = run(&args);
    assert_ok(&o);
    args.extend(["--export-json".into(), path(out).into()]);
    assert_ok(&run(&args));
    (o.stdout, std::fs::read(out).unwrap())
}

/// The unsharded command's stdout and --export-json bytes, and that each
/// split of it merges to exactly those: shards run with one thread and with
/// two, merged in order, reversed, and mixed.
fn check_merges_to_the_whole(command: &[&str], dir: &Path) {
    let whole = dir.join("whole.json");
    let chart = dir.join("whole.svg");
    let o = run(&with(
        command,
        &["--export-json", path(&whole), "--plot", path(&chart)],
    ));
    assert_ok(&o);
    let (text, json) = (o.stdout, std::fs::read(&whole).unwrap());
    assert!(!text.is_empty() && !json.is_empty());
    let one = shards(command, 3, "1", dir, "j1");
    let two = shards(command, 3, "2", dir, "j2");
    let out = dir.join("merged.json");
    for (what, files) in [
        ("in order, -j 1", vec![&one[0], &one[1], &one[2]]),
        ("reversed, -j 2", vec![&two[2], &two[1], &two[0]]),
        ("mixed -j 1 and -j 2", vec![&two[1], &one[2], &one[0]]),
    ] {
        let (t, j) = merged(&files, &out);
        assert!(
            t == text,
            "{what}: merged stdout differs:\n{}\nvs the whole:\n{}",
            String::from_utf8_lossy(&t),
            String::from_utf8_lossy(&text)
        );
        assert!(j == json, "{what}: merged --export-json bytes differ");
    }
    // The chart the whole command draws (availability against the swept
    // value, the Pareto chart of the search) is drawn by merge too.
    let merged_chart = dir.join("merged.svg");
    assert_ok(&hasim(&[
        "merge",
        &two[0],
        &one[1],
        &two[2],
        "--plot",
        path(&merged_chart),
    ]));
    assert!(
        std::fs::read(&chart).unwrap() == std::fs::read(&merged_chart).unwrap(),
        "merge --plot draws another chart"
    );
}

#[test]
fn sweep_shards_merge_into_the_unsharded_bytes() {
    let d = tempfile::tempdir().unwrap();
    check_merges_to_the_whole(SWEEP, d.path());
    // CSV goes through the same document.
    let (a, b) = (d.path().join("a.csv"), d.path().join("b.csv"));
    assert_ok(&run(&with(SWEEP, &["--export-csv", path(&a)])));
    let files: Vec<String> = (0..3)
        .map(|i| path(&d.path().join(format!("j1-{i}.json"))).to_string())
        .collect();
    let mut args = vec!["merge".to_string()];
    args.extend(files);
    args.extend(["--export-csv".into(), path(&b).into()]);
    assert_ok(&run(&args));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn plan_shards_merge_into_the_unsharded_bytes() {
    let d = tempfile::tempdir().unwrap();
    check_merges_to_the_whole(PLAN, d.path());
}

#[test]
fn bad_shards_and_options_are_refused_by_name() {
    let d = tempfile::tempdir().unwrap();
    let sweep = shards(SWEEP, 3, "2", d.path(), "sweep");
    let plan = shards(PLAN, 2, "2", d.path(), "plan");
    let run_shard = d.path().join("run-0.json");
    assert_ok(&hasim(&[
        "run",
        MODEL,
        "-n",
        "20",
        "--horizon",
        "1y",
        "--shard",
        "0/1",
        "--export-json",
        path(&run_shard),
    ]));
    let merge = |files: &[&str]| {
        let mut args = vec!["merge"];
        args.extend(files);
        assert_clean_failure(&hasim(&args))
    };

    let e = merge(&[&sweep[0], &sweep[2]]);
    assert!(e.contains("missing shards: 1/3"), "{e}");
    let e = merge(&[&sweep[0], &sweep[1], &sweep[1], &sweep[2]]);
    assert!(
        e.contains("shard 1 is given twice")
            && e.contains(&format!("({} and {})", sweep[1], sweep[1])),
        "{e}"
    );
    let e = merge(&[&plan[0]]);
    assert!(e.contains("missing shards: 1/2"), "{e}");

    // Mixed kinds: both files and both kinds are named.
    let e = merge(&[&sweep[0], &plan[1]]);
    assert!(
        e.contains(&format!("{} is a `hasim-plan-shard` file", plan[1]))
            && e.contains(&format!("{} is a `hasim-sweep-shard` file", sweep[0]))
            && e.contains("different commands"),
        "{e}"
    );
    let e = merge(&[path(&run_shard), &sweep[1]]);
    assert!(
        e.contains(&format!("{} is a `hasim-sweep-shard` file", sweep[1]))
            && e.contains(&format!("{} is a `hasim-shard` file", path(&run_shard))),
        "{e}"
    );

    // A shard of another seed, or of another sweep, names the file and
    // what differs.
    let other = d.path().join("other-seed.json");
    let mut args = with(SWEEP, &["--shard", "1/3", "--export-json", path(&other)]);
    let seed = args.iter().position(|a| a == "--seed").unwrap();
    args[seed + 1] = "4".into();
    assert_ok(&run(&args));
    let e = merge(&[&sweep[0], path(&other), &sweep[2]]);
    assert!(
        e.contains(path(&other)) && e.contains("different options") && e.contains("seed 4 vs 3"),
        "{e}"
    );
    let other = d.path().join("other-sweep.json");
    let mut args = with(SWEEP, &["--shard", "1/3", "--export-json", path(&other)]);
    args[4] = "1s,2s,4s".into();
    assert_ok(&run(&args));
    let e = merge(&[&sweep[0], path(&other), &sweep[2]]);
    assert!(
        e.contains(path(&other)) && e.contains("different sweep"),
        "{e}"
    );

    // A shard edited after it was written.
    let edited = d.path().join("edited.json");
    let text = std::fs::read_to_string(&plan[1]).unwrap();
    assert!(text.contains("\"label\":\"hosts="));
    std::fs::write(
        &edited,
        text.replacen("\"label\":\"hosts=", "\"label\":\"edited hosts=", 1),
    )
    .unwrap();
    let e = merge(&[&plan[0], path(&edited)]);
    assert!(
        e.contains(path(&edited)) && e.contains("does not match its digest"),
        "{e}"
    );

    // What --shard refuses, for both commands.
    let x = d.path().join("x.json");
    for (command, extra, says) in [
        (SWEEP, vec!["--shard", "0/2"], "--shard needs --export-json"),
        (PLAN, vec!["--shard", "0/2"], "--shard needs --export-json"),
        (
            SWEEP,
            vec![
                "--shard",
                "0/2",
                "--export-json",
                path(&x),
                "--target-ci",
                "0.1",
            ],
            "--target-ci cannot be combined with --shard",
        ),
        (
            PLAN,
            vec![
                "--shard",
                "0/2",
                "--export-json",
                path(&x),
                "--target-ci",
                "0.1",
            ],
            "--target-ci cannot be combined with --shard",
        ),
        (
            SWEEP,
            vec![
                "--shard",
                "0/2",
                "--export-json",
                path(&x),
                "--plot",
                "s.svg",
            ],
            "--plot cannot be combined with --shard",
        ),
        (
            PLAN,
            vec![
                "--shard",
                "0/2",
                "--export-json",
                path(&x),
                "--export-csv",
                "p.csv",
            ],
            "--export-csv cannot be combined with --shard",
        ),
        (
            SWEEP,
            vec!["--shard", "2/2", "--export-json", path(&x)],
            "below the count",
        ),
    ] {
        let e = assert_clean_failure(&run(&with(command, &extra)));
        assert!(e.contains(says), "{command:?} {extra:?}: {e}");
    }
    let e = assert_clean_failure(&hasim(&[
        "plan",
        MODEL,
        "--shard",
        "0/2",
        "--export-json",
        path(&x),
    ]));
    assert!(e.contains("--target"), "{e}");
    assert!(!x.exists(), "no shard is written after a refusal");
}

#[test]
fn merge_of_run_shards_draws_the_run_chart() {
    let d = tempfile::tempdir().unwrap();
    let command = ["run", MODEL, "-n", "30", "--horizon", "1y"];
    let chart = d.path().join("whole.svg");
    assert_ok(&run(&with(&command, &["--plot", path(&chart)])));
    let files = shards(&command, 2, "2", d.path(), "run");
    let merged = d.path().join("merged.svg");
    assert_ok(&hasim(&[
        "merge",
        &files[1],
        &files[0],
        "--plot",
        path(&merged),
    ]));
    assert!(std::fs::read(&chart).unwrap() == std::fs::read(&merged).unwrap());
    // A run shard refuses the outputs that need every replication, as a
    // sweep's and a plan's do.
    let e = assert_clean_failure(&run(&with(
        &command,
        &[
            "--shard",
            "0/2",
            "--export-json",
            path(&d.path().join("x.json")),
            "--plot",
            path(&chart),
        ],
    )));
    assert!(e.contains("--plot cannot be combined with --shard"), "{e}");
}
