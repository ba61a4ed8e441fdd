//! patroni.yml: one file per PostgreSQL member; the members of one `scope`
//! become one `patroni` cluster.
//!
//! Read (Patroni docs, "YAML Configuration Settings" and "Dynamic
//! Configuration Settings"): `scope`, `name`, the DCS section (`etcd3`,
//! `etcd`, `consul`, `zookeeper`, `kubernetes`, `raft`) with its hosts,
//! the dynamic settings under `bootstrap.dcs` (`ttl`, `loop_wait`,
//! `retry_timeout`, `maximum_lag_on_failover`, `synchronous_mode`,
//! `synchronous_mode_strict`, `failsafe_mode`), and the member's `tags`
//! (`nofailover`, `failover_priority`). The DCS settings only take effect
//! from the member that bootstraps the cluster (Patroni writes them to the
//! DCS once), so the first file that sets one is used and a member that
//! disagrees is named in the summary.

use super::yaml::{self, Reader, Yaml};
use super::{model_name, unique, ConfigFile, Found, Lined};
use crate::model::diag::Diagnostic;
use std::fmt::Write;

/// The DCS a member talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Dcs {
    /// `etcd3`, `etcd`, `consul`, ...
    kind: String,
    /// `host:port` of each server, as written.
    hosts: Vec<String>,
    line: usize,
}

/// One Patroni member (one patroni.yml).
#[derive(Debug, Clone)]
pub(super) struct Member {
    file: String,
    scope: String,
    name: String,
    dcs: Option<Dcs>,
    /// Seconds.
    ttl: Lined<u64>,
    loop_wait: Lined<u64>,
    retry_timeout: Lined<u64>,
    /// Bytes.
    max_lag: Lined<u64>,
    sync: Lined<bool>,
    /// `synchronous_mode: quorum` (Patroni 4).
    sync_quorum: bool,
    strict: Lined<bool>,
    failsafe: Lined<bool>,
    nofailover: Lined<bool>,
    failover_priority: Lined<u64>,
}

impl Member {
    pub(super) fn scope(&self) -> &str {
        &self.scope
    }
}

/// Whether `text` looks like a patroni.yml: a top-level `scope:` and one of
/// Patroni's own top-level sections.
pub(super) fn looks_like(text: &str) -> bool {
    let top = |k: &str| text.lines().any(|l| l.starts_with(k));
    top("scope:")
        && [
            "bootstrap:",
            "postgresql:",
            "restapi:",
            "etcd3:",
            "etcd:",
            "consul:",
        ]
        .iter()
        .any(|k| top(k))
}

/// The DCS sections Patroni knows (Patroni docs, "YAML Configuration
/// Settings"), in the order it tries them.
const DCS: &[&str] = &[
    "etcd3",
    "etcd",
    "consul",
    "zookeeper",
    "exhibitor",
    "kubernetes",
    "raft",
];

/// What one patroni.yml holds: one member.
pub(super) fn read(file: &ConfigFile<'_>, found: &mut Found) -> Result<(), Diagnostic> {
    let y = Yaml::parse(file)?;
    let mut r = Reader {
        file,
        y: &y,
        notes: Vec::new(),
    };
    let Some(doc) = y.docs.first().filter(|d| yaml::is_mapping(d)) else {
        return Err(file.source().error(
            0..file.text.len().min(1),
            "patroni.yml should be a mapping of settings",
        ));
    };
    let Some(scope_node) = yaml::get(doc, "scope") else {
        return Err(file
            .source()
            .error(
                0..file.text.find('\n').unwrap_or(file.text.len()),
                "patroni.yml has no `scope`",
            )
            .with_help("Patroni requires it: the cluster's name, shared by its members"));
    };
    let scope = yaml::scalar(scope_node).unwrap_or_default();
    if scope.is_empty() || r.templated("scope", scope_node) {
        return Err(r
            .err(scope_node, "the cluster's `scope` must be a name")
            .with_help("set the rendered value: members merge by scope"));
    }
    let name = match yaml::get(doc, "name") {
        Some(n) if !y.templated(n) => yaml::scalar(n).unwrap_or_default(),
        Some(n) => {
            r.templated("name", n);
            String::new()
        }
        None => String::new(),
    };
    // The DCS: the first section Patroni knows.
    let mut dcs = None;
    for kind in DCS {
        let Some((head, sec)) = yaml::entry(doc, kind) else {
            continue;
        };
        let line = y.line(head);
        let mut hosts = Vec::new();
        for key in ["hosts", "host", "urls", "url", "proxy", "partner_addrs"] {
            let Some(h) = yaml::get(sec, key) else {
                continue;
            };
            if r.templated(&format!("{kind}.{key}"), h) {
                continue;
            }
            // `hosts` is a comma-separated string or a list (Patroni docs).
            let list: Vec<String> = match yaml::scalar(h) {
                Some(s) => s
                    .split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect(),
                None => yaml::items(h).iter().filter_map(yaml::scalar).collect(),
            };
            hosts.extend(list);
            break;
        }
        if yaml::get(sec, "srv").is_some() {
            r.notes.push(format!(
                "{}: the {kind} servers are found by DNS SRV: their number is an ASSUMPTION (3)",
                file.at(line)
            ));
        }
        dcs = Some(Dcs {
            kind: kind.to_string(),
            hosts,
            line,
        });
        break;
    }
    let d = yaml::path(doc, &["bootstrap", "dcs"]);
    let at = |k: &str| d.and_then(|d| yaml::get(d, k));
    let ttl = r.uint_as(at("ttl"), "ttl", "whole seconds (`ttl: 30`)", 86_400)?;
    if let (Some((t, _)), Some(n)) = (ttl, at("ttl")) {
        // patroni/config.py: ttl is at least 20 s.
        if t < 20 {
            return Err(r.err(
                n,
                format!("Patroni's `ttl` is at least 20 seconds, not {t}"),
            ));
        }
    }
    let loop_wait = r.uint_as(
        at("loop_wait"),
        "loop_wait",
        "whole seconds (`loop_wait: 10`)",
        86_400,
    )?;
    let retry_timeout = r.uint_as(
        at("retry_timeout"),
        "retry_timeout",
        "whole seconds (`retry_timeout: 10`)",
        86_400,
    )?;
    let max_lag = r.uint_as(
        at("maximum_lag_on_failover"),
        "maximum_lag_on_failover",
        "a number of bytes (`maximum_lag_on_failover: 1048576`)",
        u64::MAX / 2,
    )?;
    // `synchronous_mode` is a boolean, or `quorum` since Patroni 4.
    let mut sync_quorum = false;
    let sync = match at("synchronous_mode") {
        Some(n) if yaml::scalar(n).is_some_and(|s| s.trim().eq_ignore_ascii_case("quorum")) => {
            sync_quorum = true;
            Some((true, y.line(n)))
        }
        n => r.boolean(n, "synchronous_mode")?,
    };
    let strict = r.boolean(at("synchronous_mode_strict"), "synchronous_mode_strict")?;
    let failsafe = r.boolean(at("failsafe_mode"), "failsafe_mode")?;
    let tags = yaml::get(doc, "tags");
    let tag = |k: &str| tags.and_then(|t| yaml::get(t, k));
    let nofailover = r.boolean(tag("nofailover"), "tags.nofailover")?;
    let failover_priority = r.uint_as(
        tag("failover_priority"),
        "tags.failover_priority",
        "a whole number",
        1_000_000,
    )?;
    if let Some(d) = d {
        for (k, _) in yaml::entries(d) {
            let key = yaml::scalar(k).unwrap_or_default();
            if !matches!(
                key.as_str(),
                "ttl"
                    | "loop_wait"
                    | "retry_timeout"
                    | "maximum_lag_on_failover"
                    | "synchronous_mode"
                    | "synchronous_mode_strict"
                    | "failsafe_mode"
            ) {
                found.ignored(
                    file,
                    y.line(k),
                    &format!("bootstrap.dcs.{key}"),
                    "not modelled",
                );
            }
        }
    }
    for (k, _) in yaml::entries(doc) {
        let key = yaml::scalar(k).unwrap_or_default();
        if !matches!(key.as_str(), "scope" | "name" | "bootstrap" | "tags")
            && !DCS.contains(&key.as_str())
        {
            let why = match key.as_str() {
                "postgresql" | "restapi" => {
                    "addresses, paths and credentials do not change availability"
                }
                _ => "not modelled",
            };
            found.ignored(file, y.line(k), &key, why);
        }
    }
    for s in &y.statements {
        r.notes.push(format!(
            "{}: a Jinja statement, read as if it were not there",
            file.at(file.line_of(s.start))
        ));
    }
    found.ignored.extend(r.notes);
    found.patroni.push(Member {
        file: file.name.to_string(),
        scope,
        name,
        dcs,
        ttl,
        loop_wait,
        retry_timeout,
        max_lag,
        sync,
        sync_quorum,
        strict,
        failsafe,
        nofailover,
        failover_priority,
    });
    Ok(())
}

/// Writes each scope's members as hosts, its DCS, the `patroni` cluster and
/// its two services (writes and reads).
pub(super) fn write(
    found: &Found,
    used: &mut Vec<String>,
    known: &[(String, String)],
    by_addr: &[(String, String)],
    o: &mut String,
    summary: &mut Vec<String>,
) {
    let mut scopes: Vec<&str> = Vec::new();
    for m in &found.patroni {
        if !scopes.contains(&m.scope.as_str()) {
            scopes.push(&m.scope);
        }
    }
    // DCS clusters already written, by (kind, hosts): two scopes on one
    // etcd share it.
    let mut dcs_written: Vec<(Option<Dcs>, String)> = Vec::new();
    for scope in scopes {
        let group: Vec<&Member> = found.patroni.iter().filter(|m| m.scope == scope).collect();
        let mut members = Vec::new();
        for (i, m) in group.iter().enumerate() {
            if let Some((_, r)) = known.iter().find(|(n, _)| *n == m.name) {
                summary.push(format!(
                    "Patroni member {} is the VM {r} of the other files",
                    m.name
                ));
                members.push(r.clone());
                continue;
            }
            let base = if m.name.is_empty() {
                format!("{}-{}", model_name(scope), i + 1)
            } else {
                model_name(&m.name)
            };
            let elem = unique(base, used);
            let _ = writeln!(
                o,
                "# Patroni member {} of scope {scope} ({}).",
                m.name, m.file
            );
            let _ = writeln!(o, "[hosts.{elem}]");
            let _ = writeln!(
                o,
                "# ASSUMPTION: a server's crash and repair rates; the config cannot say them.\nfailures = [{{ preset = \"server\" }}]\n"
            );
            members.push(elem);
        }
        summary.push(format!(
            "ASSUMPTION: {} Patroni member host(s) of {scope} fail as the `server` preset",
            group.len()
        ));
        let dcs = group.iter().find_map(|m| m.dcs.clone());
        let key = dcs.clone().map(|d| Dcs { line: 0, ..d });
        let dcs_ref = match dcs_written.iter().find(|(k, _)| *k == key) {
            Some((_, r)) => r.clone(),
            None => {
                let r = write_dcs(scope, dcs.as_ref(), &group, by_addr, used, o, summary);
                dcs_written.push((key, r.clone()));
                r
            }
        };
        let cluster = unique(model_name(scope), used);
        let _ = writeln!(o, "# Patroni scope {scope}: {} member(s).", group.len());
        let _ = writeln!(o, "[clusters.{cluster}]\nkind = \"patroni\"");
        let quoted: Vec<String> = members.iter().map(|m| super::toml_string(m)).collect();
        let _ = writeln!(o, "members = [{}]", quoted.join(", "));
        let _ = writeln!(o, "dcs = \"{dcs_ref}\"");
        // The first member that sets a DCS setting gives it: Patroni writes
        // bootstrap.dcs to the DCS once, from the member that initialises
        // the cluster.
        type Get<T> = fn(&Member) -> &Lined<T>;
        let secs: [(&str, Get<u64>); 3] = [
            ("ttl", |m| &m.ttl),
            ("loop_wait", |m| &m.loop_wait),
            ("retry_timeout", |m| &m.retry_timeout),
        ];
        let mut first = |get: &dyn Fn(&Member) -> Option<String>| -> Option<(String, &Member)> {
            let mut it = group.iter().filter_map(|m| get(m).map(|v| (v, *m)));
            let (v, m) = it.next()?;
            let others: Vec<&str> = group
                .iter()
                .filter(|x| get(x).is_some_and(|w| w != v))
                .map(|x| x.file.as_str())
                .collect();
            if !others.is_empty() {
                summary.push(format!(
                    "{cluster}: {} disagree(s) with {} on a bootstrap.dcs setting: the first file's value is used (Patroni applies the bootstrapping member's)",
                    others.join(", "),
                    m.file
                ));
            }
            Some((v, m))
        };
        for (key, get) in secs {
            if let Some((v, m)) = first(&|m: &Member| get(m).map(|(s, _)| format!("{s}s"))) {
                let (_, l) = get(m).expect("found");
                let _ = writeln!(o, "{key} = \"{v}\"  # {}:{l}", m.file);
            }
        }
        if let Some((v, m)) = first(&|m: &Member| m.max_lag.map(|(b, _)| b.to_string())) {
            let (_, l) = m.max_lag.expect("found");
            let _ = writeln!(o, "maximum_lag_on_failover = {v}  # {}:{l}", m.file);
        }
        let bools: [(&str, Get<bool>); 3] = [
            ("synchronous_mode", |m| &m.sync),
            ("synchronous_mode_strict", |m| &m.strict),
            ("failsafe_mode", |m| &m.failsafe),
        ];
        for (key, get) in bools {
            if let Some((v, m)) = first(&|m: &Member| get(m).map(|(b, _)| b.to_string())) {
                let (_, l) = get(m).expect("found");
                let _ = writeln!(o, "{key} = {v}  # {}:{l}", m.file);
            }
        }
        if group.iter().any(|m| m.sync_quorum) {
            summary.push(format!(
                "{cluster}: `synchronous_mode: quorum` is modelled as synchronous_mode (no commit is lost on failover)"
            ));
        }
        // tags: nofailover is priority 0; failover_priority defaults to 1
        // (Patroni docs, "Tags").
        if group
            .iter()
            .any(|m| m.nofailover.is_some_and(|v| v.0) || m.failover_priority.is_some())
        {
            let prio: Vec<String> = group
                .iter()
                .map(|m| match (m.nofailover, m.failover_priority) {
                    (Some((true, _)), _) => "0".into(),
                    (_, Some((p, _))) => p.to_string(),
                    _ => "1".into(),
                })
                .collect();
            let cites: Vec<String> = group
                .iter()
                .filter_map(|m| {
                    m.nofailover
                        .filter(|v| v.0)
                        .or(m.failover_priority.map(|(_, l)| (true, l)))
                        .map(|(_, l)| format!("{}:{l}", m.file))
                })
                .collect();
            let _ = writeln!(
                o,
                "failover_priority = [{}]  # {}",
                prio.join(", "),
                cites.join(", ")
            );
        }
        let _ = writeln!(o);
        let writes = unique(format!("{cluster}-writes"), used);
        let reads = unique(format!("{cluster}-reads"), used);
        let _ = writeln!(
            o,
            "[services.{writes}]\ndescription = \"Applications can commit to {scope}\"\nrequires = \"{cluster}.writes\"\n"
        );
        let _ = writeln!(
            o,
            "[services.{reads}]\ndescription = \"Some member of {scope} serves (possibly stale) reads\"\nrequires = \"{cluster}.reads\"\n"
        );
        summary.push(format!(
            "{cluster}: patroni scope {scope}, {} member(s) from {}",
            group.len(),
            group
                .iter()
                .map(|m| m.file.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// Writes the DCS a scope uses and returns the reference its `dcs` key
/// takes.
fn write_dcs(
    scope: &str,
    dcs: Option<&Dcs>,
    group: &[&Member],
    by_addr: &[(String, String)],
    used: &mut Vec<String>,
    o: &mut String,
    summary: &mut Vec<String>,
) -> String {
    let file = group[0].file.as_str();
    let Some(d) = dcs.filter(|d| d.kind != "kubernetes") else {
        // The Kubernetes API (or a DCS given only by environment variables)
        // is one element here: its own availability is not in the file.
        let (what, why) = match dcs {
            Some(d) => (
                format!("the Kubernetes API ({file}:{})", d.line),
                "Patroni keeps its leader lock in Kubernetes objects",
            ),
            None => (
                "the DCS".to_string(),
                "no DCS section in the file (set by environment variables?)",
            ),
        };
        let elem = unique(format!("{}-dcs", model_name(scope)), used);
        let _ = writeln!(o, "# {what}: {why}.");
        let _ = writeln!(o, "[components.{elem}]");
        let _ = writeln!(
            o,
            "# ASSUMPTION: replace with the cluster that holds the lock; here it fails like software.\nfailures = [{{ preset = \"software\" }}]\n"
        );
        summary.push(format!(
            "ASSUMPTION: {scope}'s DCS ({what}) is one element, `{elem}`"
        ));
        return elem;
    };
    let n = if d.hosts.is_empty() { 3 } else { d.hosts.len() };
    let mut members = Vec::new();
    let mut linked = 0;
    for i in 0..n {
        let host = d.hosts.get(i).map_or(String::new(), |h| h.clone());
        let addr = host.rsplit_once(':').map_or(host.as_str(), |(a, _)| a);
        // A DCS server at the address of a machine another file describes
        // (seed 000's etcd runs on the K3s masters behind HAProxy) is that
        // machine.
        if let Some((_, e)) = by_addr.iter().find(|(a, _)| !addr.is_empty() && a == addr) {
            summary.push(format!(
                "{} server {host} is {e} (the HAProxy server at {addr})",
                d.kind
            ));
            members.push(super::toml_string(e));
            linked += 1;
            continue;
        }
        let base = if addr.is_empty() {
            format!("{}-{}", d.kind, i + 1)
        } else {
            format!("{}-{}", d.kind, model_name(addr))
        };
        let elem = unique(base, used);
        let _ = writeln!(
            o,
            "# {} server {} ({file}:{}).",
            d.kind,
            if host.is_empty() {
                "(not named)"
            } else {
                &host
            },
            d.line
        );
        let _ = writeln!(o, "[hosts.{elem}]");
        let _ = writeln!(
            o,
            "# ASSUMPTION: a server's crash and repair rates; the config cannot say them.\nfailures = [{{ preset = \"server\" }}]\n"
        );
        members.push(super::toml_string(&elem));
    }
    // etcd and etcd3 are etcd, with its own Raft timing; the other DCSs are
    // majority-vote groups without protocol timing here.
    let etcd = d.kind.starts_with("etcd");
    let cluster = unique(
        if etcd {
            "etcd".to_string()
        } else {
            d.kind.clone()
        },
        used,
    );
    let _ = writeln!(
        o,
        "# The {} cluster Patroni keeps its leader lock in ({file}:{}).",
        d.kind, d.line
    );
    let _ = writeln!(o, "[clusters.{cluster}]");
    if etcd {
        let _ = writeln!(
            o,
            "kind = \"etcd\"\n# ASSUMPTION: etcd's default timers; an etcd embedded in K3s takes `profile = \"k3s\"`."
        );
    } else {
        let _ = writeln!(o, "kind = \"quorum\"");
    }
    let _ = writeln!(o, "members = [{}]\n", members.join(", "));
    if d.hosts.len() == 1 {
        summary.push(format!(
            "{file}:{}: one {} address: a proxy or a single server; the model takes it as a one-member cluster",
            d.line, d.kind
        ));
    }
    if n > linked {
        summary.push(format!(
            "ASSUMPTION: {} {} server(s) of `{cluster}` fail as the `server` preset",
            n - linked,
            d.kind
        ));
    }
    format!("{cluster}.quorum")
}
