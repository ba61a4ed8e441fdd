//! The Kubernetes Jobs of deploy/ run what they say: every Job's command
//! line is run with the real binary, shard by shard, with the index and the
//! shard count Kubernetes would give and the paths moved into a temp dir,
//! and the merge the file documents is run on the shards it wrote. The Jobs
//! and deploy/Containerfile must agree on the image, the binary's path and
//! where the models are.

mod common;

use common::*;
use saphyr::{LoadableYamlNode, YamlOwned};
use std::path::Path;

/// What deploy/Containerfile says: the image tag of its build command, where
/// the binary goes and where the models go.
struct Image {
    tag: String,
    binary: String,
    models: String,
}

fn image() -> Image {
    let text = std::fs::read_to_string(root().join("deploy/Containerfile")).unwrap();
    let tag = text
        .lines()
        .find_map(|l| {
            l.trim_start_matches('#')
                .trim()
                .strip_prefix("podman build ")
        })
        .and_then(|cmd| {
            let words: Vec<&str> = cmd.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "-t")?;
            words.get(at + 1).map(|w| w.to_string())
        })
        .expect("the Containerfile documents its `podman build ... -t IMAGE` command");
    // `COPY --from=build SRC DEST` and `COPY SRC DEST`: the destination of
    // the line copying `what`.
    let copied = |what: &str| {
        text.lines()
            .filter(|l| l.starts_with("COPY "))
            .find_map(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                let (src, dest) = (words[words.len() - 2], words[words.len() - 1]);
                src.ends_with(what).then(|| dest.to_string())
            })
            .unwrap_or_else(|| panic!("the Containerfile copies no {what}"))
    };
    let binary = copied("release/hasim");
    assert!(
        text.contains(&format!("ENTRYPOINT [\"{binary}\"]")),
        "the entrypoint is the copied binary {binary}"
    );
    assert!(
        text.contains("cargo build --release --locked -p sim-cli"),
        "the image builds the locked release binary"
    );
    Image {
        tag,
        binary,
        models: copied("models/"),
    }
}

fn int(y: &YamlOwned, what: &str) -> i64 {
    y.as_integer()
        .unwrap_or_else(|| panic!("{what} is not an integer"))
}

fn string<'a>(y: &'a YamlOwned, what: &str) -> &'a str {
    y.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string"))
}

/// The `# merge: hasim merge ...` lines of a Job file, in order.
fn merges(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# merge: hasim "))
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect()
}

/// A Job argument as it runs in the test: Kubernetes' $(VAR) replaced, the
/// image's paths moved into the repository and the temp dir, and the
/// replications and horizon made tiny so the test takes seconds.
fn local(arg: &str, vars: &[(&str, String)], image: &Image, results: &Path) -> String {
    let mut a = arg.to_string();
    for (k, v) in vars {
        a = a.replace(&format!("$({k})"), v);
    }
    assert!(
        !a.contains("$("),
        "`{arg}` uses a variable the Job does not set"
    );
    if a.starts_with("--replications=") {
        return "--replications=8".into();
    }
    if a.starts_with("--horizon=") {
        return "--horizon=1y".into();
    }
    let models = format!("{}/", image.models.trim_end_matches('/'));
    a.replace(&models, &format!("{}/models/", root().display()))
        .replace("/results/", &format!("{}/", results.display()))
}

/// Expands a `DIR/PREFIX*SUFFIX` argument as the shell would, in order.
fn glob(arg: &str) -> Vec<String> {
    let Some((head, tail)) = arg.split_once('*') else {
        return vec![arg.to_string()];
    };
    let (dir, prefix) = head.rsplit_once('/').unwrap();
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix) && n.ends_with(tail))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    found.sort();
    found
}

#[test]
fn every_job_runs_its_shards_and_merges_them() {
    let image = image();
    let mut jobs = 0;
    let mut commands = std::collections::BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(root().join("deploy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for file in files {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let docs = YamlOwned::load_from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let merge_lines = merges(&text);
        assert_eq!(
            merge_lines.len(),
            docs.len(),
            "{name}: one `# merge: hasim merge ...` line per Job"
        );
        for (doc, merge) in docs.iter().zip(merge_lines) {
            let job = string(&doc["metadata"]["name"], "metadata.name");
            let what = format!("{name}: Job {job}");
            assert_eq!(string(&doc["kind"], "kind"), "Job", "{what}");
            let spec = &doc["spec"];
            assert_eq!(string(&spec["completionMode"], "completionMode"), "Indexed");
            let container = &spec["template"]["spec"]["containers"][0];
            assert_eq!(string(&container["image"], "image"), image.tag, "{what}");
            let command: Vec<&str> = container["command"]
                .as_vec()
                .expect("a command list")
                .iter()
                .map(|c| string(c, "command"))
                .collect();
            assert_eq!(
                command,
                [image.binary.as_str()],
                "{what}: the Job calls the binary the Containerfile installs, without a shell (the image has none)"
            );
            let env = container["env"].as_vec().expect("env");
            let var = |n: &str| {
                env.iter()
                    .find(|e| string(&e["name"], "env name") == n)
                    .unwrap_or_else(|| panic!("{what}: no env {n}"))
            };
            let shards: i64 = string(&var("SHARDS")["value"], "SHARDS")
                .parse()
                .expect("SHARDS is a number");
            assert_eq!(int(&spec["completions"], "completions"), shards, "{what}");
            assert_eq!(int(&spec["parallelism"], "parallelism"), shards, "{what}");
            assert_eq!(
                string(
                    &var("SHARD")["valueFrom"]["fieldRef"]["fieldPath"],
                    "SHARD's fieldPath"
                ),
                "metadata.annotations['batch.kubernetes.io/job-completion-index']",
                "{what}"
            );
            let args: Vec<&str> = container["args"]
                .as_vec()
                .expect("args")
                .iter()
                .map(|a| string(a, "an argument"))
                .collect();
            commands.insert(args[0].to_string());
            let dir = tempfile::tempdir().unwrap();
            for i in 0..shards {
                let vars = [("SHARD", i.to_string()), ("SHARDS", shards.to_string())];
                let local: Vec<String> = args
                    .iter()
                    .map(|a| local(a, &vars, &image, dir.path()))
                    .collect();
                let local: Vec<&str> = local.iter().map(String::as_str).collect();
                let o = hasim(&local);
                assert_ok(&o);
                assert!(
                    dir.path().join(format!("{}-{i}.json", args[0])).exists(),
                    "{what}: shard {i} was not written where the merge reads"
                );
            }
            let merge: Vec<String> = merge
                .iter()
                .flat_map(|a| glob(&local(a, &[], &image, dir.path())))
                .collect();
            assert_eq!(merge.len(), 3 + shards as usize, "{what}: {merge:?}");
            let merge: Vec<&str> = merge.iter().map(String::as_str).collect();
            let o = hasim(&merge);
            assert_ok(&o);
            let out = merge.last().unwrap();
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
            assert!(doc.is_object(), "{what}: the merge wrote {out}");
            jobs += 1;
        }
    }
    assert!(jobs >= 3, "{jobs} Jobs in deploy/");
    assert_eq!(
        commands.into_iter().collect::<Vec<_>>(),
        ["plan", "run", "sweep"],
        "deploy/ shows run, sweep and plan shards"
    );
}
