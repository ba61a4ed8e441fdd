//! Docs as tests: every ```console block of README.md and models/README.md
//! runs with the real `hasim` binary and its shown output is checked
//! (`...` lines and `[..]` elide what changes from run to run, such as
//! timings). Blocks marked ```sh or ```text are not run.
//!
//! The commands run in a scratch copy of the repository's `models/`
//! directory (plus the fixtures in tests/docs/, such as the `lab.toml` of
//! the README's error example), so `models/...` paths resolve as they do at
//! the repository root and the files the examples write (`--plot
//! pareto.svg`, shard exports) land in the scratch directory, not in the
//! checkout.
//!
//! After changing an output on purpose: `TRYCMD=overwrite cargo test -p
//! sim-cli --test docs` rewrites the blocks (check the diff: elisions are kept
//! only where they still match).

use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn readme_commands_print_what_the_readme_shows() {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    copy_dir(&root.join("models"), &scratch.path().join("models"));
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docs"),
        scratch.path(),
    );
    // The configuration files `hasim import` reads in the README.
    copy_dir(
        &root.join("crates/sim-core/tests/data/import"),
        &scratch.path().join("configs"),
    );
    // trycmd runs a Markdown file's commands in the current directory.
    std::env::set_current_dir(scratch.path()).unwrap();
    trycmd::TestCases::new()
        .register_bin("hasim", PathBuf::from(env!("CARGO_BIN_EXE_hasim")))
        .case(root.join("README.md"))
        .case(root.join("models/README.md"))
        .run();
}

/// The examples inside `--help` texts ("-L clusters.vip.track_weight
/// -60,2", "--fail proxmox-1@1h") run as written on a bundled model, so the
/// help cannot name a path or a syntax that does not exist.
#[test]
fn help_examples_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let hasim = env!("CARGO_BIN_EXE_hasim");
    let mut checked = 0;
    for sub in [
        "run", "sweep", "compare", "validate", "scenario", "plan", "merge", "presets", "schema",
        "report",
    ] {
        let help = std::process::Command::new(hasim)
            .args([sub, "--help"])
            .output()
            .unwrap();
        assert!(help.status.success(), "hasim {sub} --help");
        let help = String::from_utf8(help.stdout).unwrap();
        let mut args: Vec<String> = Vec::new();
        for line in help.lines() {
            for (i, _) in line.match_indices(": -") {
                let example = &line[i + 2..];
                let end = [". ", " ("]
                    .iter()
                    .filter_map(|stop| example.find(stop))
                    .min()
                    .unwrap_or(example.len());
                let example = example[..end].trim_end_matches('.');
                args.extend(example.split_whitespace().map(String::from));
            }
        }
        if args.is_empty() {
            continue;
        }
        let mut cmd = std::process::Command::new(hasim);
        cmd.current_dir(&root)
            .args([sub, "models/homelab-k3s-spread.toml"])
            .args(&args);
        if sub == "sweep" {
            cmd.args(["-n", "10"]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "hasim {sub} models/homelab-k3s-spread.toml {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    // sweep (-L, -P, -D) and scenario (--fail, --repair) have examples.
    assert_eq!(checked, 2);
}
