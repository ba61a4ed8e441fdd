//! The defaults each kind declares in its `KeySpec` list (which the JSON
//! Schema, `hasim schema --keys` and the docs publish) are the defaults its
//! constructor applies: writing a key with its declared default must change
//! no bit of a run. The check also proves every such key is read (an unread
//! key would be refused as unknown), and the compiler refuses a kind that
//! reads a key it does not declare, so the list and the code cannot drift.

use sim_core::cluster::{KeyDefault, KeySpec};
use sim_core::model::compile::Loaded;
use sim_core::model::tree::Kind;
use sim_core::runner::{run, summarize, RunOptions};
use sim_core::time::NANOS_PER_YEAR;
use std::collections::BTreeSet;

/// Bundled models, plus one that leaves every kind's keys at their defaults.
fn corpus() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out: Vec<(String, String)> = paths
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect();
    // Every kind with (almost) every key left at its default.
    out.push((
        "minimal.toml".into(),
        r#"
[hosts.h1]
failures = [{ every = "exp(30d)", repair = "exp(1h)" }]
[hosts.h2]
failures = [{ every = "exp(30d)", repair = "exp(1h)" }]
[hosts.h3]
failures = [{ every = "exp(30d)", repair = "exp(1h)" }]
[clusters.pair]
kind = "failover"
members = ["h1", "h2"]
[clusters.vip]
kind = "vrrp"
members = ["h1", "h2"]
[clusters.q]
kind = "quorum"
members = ["h1", "h2", "h3"]
[clusters.pg]
kind = "patroni"
members = ["h1", "h2", "h3"]
dcs = "q.quorum"
[clusters.pgm]
kind = "postgres-manual"
members = ["h1", "h2"]
[clusters.lh]
kind = "longhorn"
members = ["h1", "h2", "h3"]
[clusters.web]
kind = "deployment"
members = ["h1", "h2", "h3"]
[clusters.db]
kind = "statefulset"
members = ["h1", "h2", "h3"]
[services.svc]
requires = "pair.up and vip.vip and pg.writes and pgm.writes and lh.up and web.up and db.up"
"#
        .into(),
    ));
    out
}

/// The key as the model writes it with its declared default.
fn line(key: &KeySpec, value: &str) -> String {
    if key.ty.quoted() {
        format!("{} = \"{value}\"", key.name)
    } else {
        format!("{} = {value}", key.name)
    }
}

fn bits(name: &str, text: &str) -> String {
    let loaded = Loaded::new(name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let opts = RunOptions {
        seed: 11,
        replications: 6,
        horizon: NANOS_PER_YEAR,
        batch: 6,
        ..RunOptions::default()
    };
    let acc = run(&loaded.model, &opts).unwrap();
    format!("{:?}", summarize(&loaded.model, &acc, opts.horizon))
}

#[test]
fn declared_defaults_are_the_applied_defaults() {
    let registry = sim_core::protocols::builtin();
    let mut checked: BTreeSet<(String, String)> = BTreeSet::new();
    for (name, text) in corpus() {
        let loaded = Loaded::new(&name, &text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let Kind::Table(root) = &loaded.tree.kind else {
            continue;
        };
        let Some((_, clusters)) = root.entries.iter().find(|(k, _)| k.name == "clusters") else {
            continue;
        };
        let Kind::Table(clusters) = &clusters.kind else {
            continue;
        };
        let base = bits(&name, &text);
        for (cluster, table) in &clusters.entries {
            let Kind::Table(table) = &table.kind else {
                continue;
            };
            let kind = table
                .entries
                .iter()
                .find_map(|(k, v)| match (&*k.name, &v.kind) {
                    ("kind", Kind::Str(s)) => Some(s.clone()),
                    _ => None,
                })
                .unwrap();
            let spec = registry.get(&kind).unwrap();
            let header = format!("[clusters.{}]\n", cluster.name);
            let Some(at) = text.find(&header) else {
                continue;
            };
            for key in spec.keys {
                let KeyDefault::Is(value) = key.default else {
                    continue;
                };
                if table.entries.iter().any(|(k, _)| k.name == key.name) {
                    continue;
                }
                let at = at + header.len();
                let edited = format!("{}{}\n{}", &text[..at], line(key, value), &text[at..]);
                // `assert!`, not `assert_eq!`: the two runs' results are pages long.
                assert!(
                    bits(&name, &edited) == base,
                    "{name}: writing `{}` in cluster `{}` (kind {kind}) changed the run (seed 11): the declared default is not the applied one",
                    line(key, value),
                    cluster.name
                );
                checked.insert((kind.clone(), key.name.to_string()));
            }
        }
    }
    // Every declared default of every built-in kind was checked somewhere.
    let missing: Vec<String> = registry
        .kinds()
        .iter()
        .flat_map(|k| {
            k.keys
                .iter()
                .filter(|key| matches!(key.default, KeyDefault::Is(_)))
                .map(move |key| (k.name.to_string(), key.name.to_string()))
        })
        .filter(|pair| !checked.contains(pair))
        .map(|(k, key)| format!("{k}.{key}"))
        .collect();
    assert!(
        missing.is_empty(),
        "no model in the corpus leaves these keys at their default, so their declared default went unchecked: {missing:?}"
    );
}
