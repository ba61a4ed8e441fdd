//! K3s `config.yaml` (`/etc/rancher/k3s/config.yaml`): the embedded etcd of
//! the K3s servers becomes an `etcd` cluster with `profile = "k3s"`.
//!
//! K3s runs etcd with heartbeat-interval 500 ms and election-timeout
//! 5000 ms (k3s `pkg/etcd/etcd.go`, HA-FACTS section 1) unless `etcd-arg`
//! overrides them (`etcd-arg: ["heartbeat-interval=250",
//! "election-timeout=2500"]`, in milliseconds as etcd takes them). One file
//! per server; a single file is taken as the config every server shares.

use super::yaml::{self, Yaml};
use super::{model_name, unique, ConfigFile, Found, Lined};
use crate::model::diag::Diagnostic;
use std::fmt::Write;

/// One K3s server's config.
#[derive(Debug, Clone)]
pub(super) struct Server {
    file: String,
    name: String,
    /// Milliseconds.
    heartbeat: Lined<u64>,
    election: Lined<u64>,
    /// `datastore-endpoint`: an external database instead of etcd.
    external: Lined<String>,
}

impl Server {
    /// Whether this server keeps its state outside etcd.
    pub(super) fn external(&self) -> bool {
        self.external.is_some()
    }
}

/// Whether `text` looks like a K3s config.yaml.
pub(super) fn looks_like(text: &str) -> bool {
    text.lines().any(|l| {
        [
            "etcd-arg:",
            "cluster-init:",
            "datastore-endpoint:",
            "tls-san:",
            "disable-etcd:",
        ]
        .iter()
        .any(|k| l.starts_with(k))
    })
}

/// What one config.yaml holds.
pub(super) fn read(file: &ConfigFile<'_>, found: &mut Found) -> Result<(), Diagnostic> {
    let y = Yaml::parse(file)?;
    let Some(doc) = y.docs.first().filter(|d| yaml::is_mapping(d)) else {
        return Err(file.source().error(
            0..file.text.len().min(1),
            "config.yaml should be a mapping of K3s flags",
        ));
    };
    let name = yaml::get(doc, "node-name")
        .and_then(yaml::scalar)
        .unwrap_or_default();
    let mut s = Server {
        file: file.name.to_string(),
        name,
        heartbeat: None,
        election: None,
        external: yaml::get(doc, "datastore-endpoint")
            .and_then(|n| yaml::scalar(n).map(|v| (v, y.line(n)))),
    };
    if let Some(args) = yaml::get(doc, "etcd-arg") {
        // A list of `name=value`, or one such string.
        let items: Vec<&saphyr::MarkedYamlOwned> = match yaml::scalar(args) {
            Some(_) => vec![args],
            None => yaml::items(args).iter().collect(),
        };
        for it in items {
            let Some(text) = yaml::scalar(it) else {
                continue;
            };
            let text = text.trim_start_matches('-');
            let Some((k, v)) = text.split_once('=') else {
                found.ignored(
                    file,
                    y.line(it),
                    &format!("etcd-arg {text}"),
                    "not modelled",
                );
                continue;
            };
            let slot = match k {
                "heartbeat-interval" => &mut s.heartbeat,
                "election-timeout" => &mut s.election,
                _ => {
                    found.ignored(file, y.line(it), &format!("etcd-arg {k}"), "not modelled");
                    continue;
                }
            };
            if y.templated(it) {
                found.ignored.push(format!(
                    "{}: `etcd-arg {text}` is templated: set it in the model",
                    file.at(y.line(it))
                ));
                continue;
            }
            match v.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => *slot = Some((ms, y.line(it))),
                _ => {
                    return Err(file
                        .source()
                        .error(
                            y.span(it),
                            format!("etcd's `{k}` takes milliseconds above zero, not `{v}`"),
                        )
                        .with_help(format!("write `{k}=500`")))
                }
            }
        }
    }
    for (k, _) in yaml::entries(doc) {
        let key = yaml::scalar(k).unwrap_or_default();
        if key != "etcd-arg" && key != "node-name" && key != "datastore-endpoint" {
            found.ignored(file, y.line(k), &key, "not modelled");
        }
    }
    found.k3s.push(s);
    Ok(())
}

/// Writes the K3s servers and their embedded etcd.
pub(super) fn write(
    found: &Found,
    used: &mut Vec<String>,
    o: &mut String,
    summary: &mut Vec<String>,
) {
    let servers: Vec<&Server> = found.k3s.iter().filter(|s| s.external.is_none()).collect();
    for s in found.k3s.iter().filter(|s| s.external.is_some()) {
        let (_, l) = s.external.as_ref().expect("filtered");
        summary.push(format!(
            "{}:{l}: datastore-endpoint: K3s keeps its state in an external database here, not in etcd; model that database",
            s.file
        ));
    }
    if servers.is_empty() {
        return;
    }
    let shared = servers.len() == 1;
    let n = if shared { 3 } else { servers.len() };
    if shared {
        summary.push(format!(
            "ASSUMPTION: {} is the config of each of 3 K3s servers (an HA embedded etcd needs 3); add one file per server otherwise",
            servers[0].file
        ));
    }
    let mut members = Vec::new();
    for i in 0..n {
        let s = servers[if shared { 0 } else { i }];
        let base = if !shared && !s.name.is_empty() {
            model_name(&s.name)
        } else {
            format!("k3s-server-{}", i + 1)
        };
        let e = unique(base, used);
        let _ = writeln!(o, "# A K3s server with embedded etcd ({}).", s.file);
        let _ = writeln!(o, "[hosts.{e}]");
        let _ = writeln!(
            o,
            "# ASSUMPTION: a server's crash and repair rates; the config cannot say them.\nfailures = [{{ preset = \"server\" }}]\n"
        );
        members.push(super::toml_string(&e));
    }
    let cluster = unique("etcd".into(), used);
    let _ = writeln!(
        o,
        "# K3s's embedded etcd (k3s pkg/etcd/etcd.go timers unless etcd-arg says otherwise)."
    );
    let _ = writeln!(
        o,
        "[clusters.{cluster}]\nkind = \"etcd\"\nmembers = [{}]\nprofile = \"k3s\"",
        members.join(", ")
    );
    for (key, get) in [
        (
            "heartbeat-interval",
            (|s: &Server| s.heartbeat) as fn(&Server) -> Lined<u64>,
        ),
        ("election-timeout", |s: &Server| s.election),
    ] {
        let set: Vec<(u64, &Server)> = servers
            .iter()
            .filter_map(|s| get(s).map(|v| (v.0, *s)))
            .collect();
        if let Some((ms, s)) = set.first() {
            let l = get(s).expect("set").1;
            let _ = writeln!(o, "{key} = \"{ms}ms\"  # {}:{l}", s.file);
            if set.iter().any(|(v, _)| v != ms) || set.len() != servers.len() {
                summary.push(format!(
                    "{cluster}: the servers disagree on {key}: the model uses {}'s",
                    s.file
                ));
            }
        }
    }
    let _ = writeln!(o);
    let svc = unique("kubernetes-api-writes".into(), used);
    let _ = writeln!(
        o,
        "[services.{svc}]\ndescription = \"The Kubernetes API can write (etcd has quorum)\"\nrequires = \"{cluster}.quorum\"\n"
    );
    summary.push(format!("{cluster}: K3s embedded etcd, {n} server(s)"));
}
