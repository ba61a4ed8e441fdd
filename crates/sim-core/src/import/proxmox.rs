//! Proxmox VE: corosync.conf (the nodes, their votes, the token and the
//! QDevice) and the HA manager's `resources.cfg` and `groups.cfg` become one
//! `proxmox-ha` cluster.
//!
//! corosync.conf (corosync.conf(5), votequorum(5)) is a tree of `name {
//! ... }` blocks of `key: value` lines, the shape keepalived.conf has, so it
//! is read with that importer's span-keeping block parser. The HA files are
//! Proxmox "section config" files (pve-docs, ha-manager "Configuration"):
//! a `type: id` line opens a section and indented `key value` lines follow.
//! Where a VM runs is in no HA file (it is in the node's qemu-server
//! directory): a VM starts on the first node of its group, an ASSUMPTION
//! the summary names.

use super::keepalived::{self, Node, Word};
use super::{model_name, unique, ConfigFile, Found, Lined};
use crate::model::diag::Diagnostic;
use std::fmt::Write;

/// A corosync QDevice (`quorum { device { ... } }`).
#[derive(Debug, Clone)]
struct QDevice {
    file: String,
    line: usize,
    host: String,
    model: String,
    votes: Lined<u64>,
    algorithm: Lined<String>,
}

/// An HA resource (`vm: 100` in resources.cfg, or a Terraform VM).
#[derive(Debug, Clone, Default)]
pub(super) struct Resource {
    pub(super) file: String,
    pub(super) line: usize,
    /// `vm:100`, or the Terraform VM's name.
    pub(super) name: String,
    pub(super) group: Option<String>,
    pub(super) state: Lined<String>,
    pub(super) max_restart: Lined<u64>,
    pub(super) max_relocate: Lined<u64>,
    /// The node it runs on, when the file says (Terraform's target_node).
    pub(super) home: Option<(String, usize)>,
    pub(super) cores: Lined<u64>,
    /// MiB.
    pub(super) memory: Lined<u64>,
}

/// An HA group (groups.cfg).
#[derive(Debug, Clone)]
struct Group {
    file: String,
    line: usize,
    name: String,
    /// Nodes by priority, highest first.
    nodes: Vec<String>,
    restricted: Lined<bool>,
    nofailback: Lined<bool>,
}

/// Everything read about one Proxmox cluster.
#[derive(Debug, Default)]
pub(super) struct Pve {
    corosync: Option<String>,
    /// Node names with their `quorum_votes` and line.
    nodes: Vec<(String, Lined<u64>, usize)>,
    token: Lined<u64>,
    token_coefficient: Lined<u64>,
    qdevice: Option<QDevice>,
    two_node: Lined<bool>,
    pub(super) resources: Vec<Resource>,
    groups: Vec<Group>,
    /// Nodes named only by resources (Terraform's target_node).
    pub(super) extra_nodes: Vec<String>,
    /// VMs the HA manager does not manage (Terraform without `hastate`).
    pub(super) plain: Vec<Resource>,
}

impl Pve {
    pub(super) fn is_empty(&self) -> bool {
        self.corosync.is_none()
            && self.resources.is_empty()
            && self.groups.is_empty()
            && self.plain.is_empty()
    }
}

/// Whether `text` is a corosync.conf.
pub(super) fn is_corosync(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        (t.starts_with("totem") || t.starts_with("nodelist") || t.starts_with("quorum"))
            && t.contains('{')
    })
}

/// Whether `text` is an HA manager section config (resources.cfg,
/// groups.cfg or PVE 9's rules.cfg).
pub(super) fn is_ha_config(text: &str) -> bool {
    text.lines().any(|l| {
        let Some((t, id)) = l.split_once(':') else {
            return false;
        };
        matches!(t, "vm" | "ct" | "group" | "node-affinity")
            && !id.trim().is_empty()
            && !l.starts_with(char::is_whitespace)
    })
}

/// `key: value` of a corosync line (the colon may touch the value).
fn kv<'a>(n: &Node<'a>) -> (&'a str, Option<Word<'a>>) {
    let w = &n.words[0];
    if let Some(k) = w.text.strip_suffix(':') {
        return (k, n.words.get(1).cloned());
    }
    match w.text.split_once(':') {
        Some((k, v)) if !v.is_empty() => {
            let start = w.span.start + k.len() + 1;
            (
                k,
                Some(Word {
                    text: v,
                    span: start..w.span.end,
                }),
            )
        }
        _ => (w.text.trim_end_matches(':'), n.words.get(1).cloned()),
    }
}

fn uint(
    file: &ConfigFile<'_>,
    key: &str,
    w: Option<&Word<'_>>,
    at: &Word<'_>,
    max: u64,
) -> Result<u64, Diagnostic> {
    let Some(w) = w else {
        return Err(file
            .source()
            .error(at.span.clone(), format!("`{key}` needs a value")));
    };
    match w.text.parse::<u64>() {
        Ok(v) if v <= max => Ok(v),
        _ => Err(file.source().error(
            w.span.clone(),
            format!("`{key}` takes a whole number up to {max}, not `{}`", w.text),
        )),
    }
}

/// What a corosync.conf holds.
pub(super) fn read_corosync(file: &ConfigFile<'_>, found: &mut Found) -> Result<(), Diagnostic> {
    let tree = keepalived::parse(file)?;
    let pve = &mut found.pve;
    pve.corosync = Some(file.name.to_string());
    let mut ignored: Vec<(usize, String, &str)> = Vec::new();
    for top in &tree {
        let line = file.line_of(top.words[0].span.start);
        let head = top.words[0].text;
        let Some(children) = &top.children else {
            ignored.push((line, head.to_string(), "not modelled"));
            continue;
        };
        match head {
            "totem" => {
                for c in children {
                    let (k, v) = kv(c);
                    let l = file.line_of(c.words[0].span.start);
                    match k {
                        // corosync.conf(5): token in milliseconds.
                        "token" => {
                            pve.token =
                                Some((uint(file, k, v.as_ref(), &c.words[0], 3_600_000)?, l))
                        }
                        "token_coefficient" => {
                            pve.token_coefficient =
                                Some((uint(file, k, v.as_ref(), &c.words[0], 3_600_000)?, l))
                        }
                        other if c.children.is_some() => ignored.push((
                            l,
                            format!("totem.{other}"),
                            "network settings do not change failover timing here",
                        )),
                        other => ignored.push((l, format!("totem.{other}"), "not modelled")),
                    }
                }
            }
            "nodelist" => {
                for n in children
                    .iter()
                    .filter(|n| n.words[0].text == "node" && n.children.is_some())
                {
                    let l = file.line_of(n.words[0].span.start);
                    let mut name = None;
                    let mut votes = None;
                    let mut addr = None;
                    for c in n.children.iter().flatten() {
                        let (k, v) = kv(c);
                        let cl = file.line_of(c.words[0].span.start);
                        match k {
                            "name" => name = v.map(|w| w.text.to_string()),
                            "quorum_votes" => {
                                votes = Some((uint(file, k, v.as_ref(), &c.words[0], 255)?, cl))
                            }
                            "ring0_addr" => addr = v.map(|w| w.text.to_string()),
                            _ => {}
                        }
                    }
                    // corosync.conf(5): without `name`, ring0_addr names the node.
                    let Some(name) = name.or(addr) else {
                        return Err(file
                            .source()
                            .error(
                                n.words[0].span.clone(),
                                "this node has no `name` and no `ring0_addr`",
                            )
                            .with_help("corosync names a node by `name:` (or its ring0_addr)"));
                    };
                    pve.nodes.push((name, votes, l));
                }
            }
            "quorum" => {
                for c in children {
                    let (k, v) = kv(c);
                    let l = file.line_of(c.words[0].span.start);
                    match (k, &c.children) {
                        ("two_node", None) => {
                            pve.two_node =
                                Some((uint(file, k, v.as_ref(), &c.words[0], 1)? == 1, l))
                        }
                        ("provider", None) => {}
                        ("device", Some(dev)) => {
                            let mut q = QDevice {
                                file: file.name.to_string(),
                                line: l,
                                host: String::new(),
                                model: String::new(),
                                votes: None,
                                algorithm: None,
                            };
                            for d in dev {
                                let (dk, dv) = kv(d);
                                let dl = file.line_of(d.words[0].span.start);
                                match (dk, &d.children) {
                                    ("model", None) => {
                                        q.model = dv.map_or(String::new(), |w| w.text.to_string())
                                    }
                                    ("votes", None) => {
                                        q.votes = Some((
                                            uint(file, dk, dv.as_ref(), &d.words[0], 255)?,
                                            dl,
                                        ))
                                    }
                                    (_, Some(net)) => {
                                        for x in net {
                                            let (nk, nv) = kv(x);
                                            let nl = file.line_of(x.words[0].span.start);
                                            match nk {
                                                "host" => {
                                                    q.host = nv.map_or(String::new(), |w| {
                                                        w.text.to_string()
                                                    })
                                                }
                                                "algorithm" => {
                                                    let a =
                                                        nv.as_ref().map_or(String::new(), |w| {
                                                            w.text.to_string()
                                                        });
                                                    if a != "ffsplit" && a != "lms" {
                                                        let w = nv.as_ref().unwrap_or(&x.words[0]);
                                                        return Err(file
                                                            .source()
                                                            .error(w.span.clone(), format!("unknown QDevice algorithm `{a}`"))
                                                            .with_help("corosync-qdevice knows ffsplit and lms"));
                                                    }
                                                    q.algorithm = Some((a, nl));
                                                }
                                                _ => {}
                                            }
                                        }
                                    }
                                    _ => {}
                                }
                            }
                            pve.qdevice = Some(q);
                        }
                        (other, _) => ignored.push((l, format!("quorum.{other}"), "not modelled")),
                    }
                }
            }
            other => ignored.push((
                line,
                other.to_string(),
                "logging and other sections do not change availability",
            )),
        }
    }
    for (l, what, why) in ignored {
        found.ignored(file, l, &what, why);
    }
    Ok(())
}

/// A section's type, id and line.
type Head = (String, String, usize);

/// A numbered line's words.
type Line<'a> = (usize, Vec<Word<'a>>);

/// What resources.cfg, groups.cfg (or rules.cfg) hold.
pub(super) fn read_ha(file: &ConfigFile<'_>, found: &mut Found) -> Result<(), Diagnostic> {
    let src = file.source();
    let mut offset = 0;
    // The open section: type, id, line.
    let mut open: Option<(String, String, usize)> = None;
    let mut body: Vec<(usize, Vec<Word<'_>>)> = Vec::new();
    let mut sections: Vec<(Head, Vec<Line<'_>>)> = Vec::new();
    for (n, raw) in file.text.split('\n').enumerate() {
        let start = offset;
        offset += raw.len() + 1;
        let line = n + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // Words with spans.
        let mut words = Vec::new();
        let mut i = 0;
        for w in raw.split_whitespace() {
            let k = raw[i..].find(w).map_or(i, |k| i + k);
            words.push(Word {
                text: w,
                span: start + k..start + k + w.len(),
            });
            i = k + w.len();
        }
        if !raw.starts_with(char::is_whitespace) {
            let Some((t, id)) = raw.split_once(':') else {
                return Err(src
                    .error(start..start + raw.len(), "a section starts with `type: id`")
                    .with_help("for example `vm: 100` or `group: web`"));
            };
            if let Some(o) = open.take() {
                sections.push((o, std::mem::take(&mut body)));
            }
            open = Some((t.trim().to_string(), id.trim().to_string(), line));
        } else if open.is_none() {
            return Err(src
                .error(
                    words[0].span.clone(),
                    format!("`{}` is outside any section", words[0].text),
                )
                .with_help("a section starts with an unindented `type: id` line"));
        } else {
            body.push((line, words));
        }
    }
    if let Some(o) = open.take() {
        sections.push((o, body));
    }
    for ((kind, id, line), body) in sections {
        match kind.as_str() {
            "vm" | "ct" => {
                let mut r = Resource {
                    file: file.name.to_string(),
                    line,
                    name: format!("{kind}:{id}"),
                    ..Resource::default()
                };
                for (l, w) in &body {
                    let v = w.get(1);
                    match w[0].text {
                        "group" => r.group = v.map(|v| v.text.to_string()),
                        "state" => {
                            let s = v.map_or("", |v| v.text);
                            // ha-manager(1): started, stopped, enabled (an
                            // alias of started), disabled, ignored.
                            if !matches!(
                                s,
                                "started" | "stopped" | "enabled" | "disabled" | "ignored"
                            ) {
                                return Err(src
                                    .error(v.unwrap_or(&w[0]).span.clone(), format!("unknown HA state `{s}`"))
                                    .with_help("ha-manager knows started, stopped, enabled, disabled and ignored"));
                            }
                            r.state = Some((s.to_string(), *l));
                        }
                        "max_restart" => {
                            r.max_restart = Some((uint(file, "max_restart", v, &w[0], 100)?, *l))
                        }
                        "max_relocate" => {
                            r.max_relocate = Some((uint(file, "max_relocate", v, &w[0], 100)?, *l))
                        }
                        other => found.ignored(file, *l, other, "not modelled"),
                    }
                }
                found.pve.resources.push(r);
            }
            "group" => {
                let mut g = Group {
                    file: file.name.to_string(),
                    line,
                    name: id.clone(),
                    nodes: Vec::new(),
                    restricted: None,
                    nofailback: None,
                };
                for (l, w) in &body {
                    let v = w.get(1);
                    match w[0].text {
                        "nodes" => {
                            // `pve1:2,pve2:1,pve3`: priority 0 when absent
                            // (pve-docs, "Groups"); higher runs first.
                            let Some(v) = v else {
                                return Err(
                                    src.error(w[0].span.clone(), "`nodes` needs a node list")
                                );
                            };
                            let mut list: Vec<(String, i64)> = Vec::new();
                            for part in v.text.split(',').filter(|p| !p.is_empty()) {
                                let (n, p) = part.split_once(':').unwrap_or((part, "0"));
                                let Ok(p) = p.parse::<i64>() else {
                                    return Err(src
                                        .error(
                                            v.span.clone(),
                                            format!(
                                                "`{part}`: a node's priority is a whole number"
                                            ),
                                        )
                                        .with_help("write `nodes pve1:2,pve2:1`"));
                                };
                                list.push((n.to_string(), p));
                            }
                            list.sort_by_key(|(_, p)| std::cmp::Reverse(*p));
                            g.nodes = list.into_iter().map(|(n, _)| n).collect();
                        }
                        "restricted" | "nofailback" => {
                            let b = Some((uint(file, w[0].text, v, &w[0], 1)? == 1, *l));
                            if w[0].text == "restricted" {
                                g.restricted = b;
                            } else {
                                g.nofailback = b;
                            }
                        }
                        other => found.ignored(file, *l, other, "not modelled"),
                    }
                }
                found.pve.groups.push(g);
            }
            other => found.ignored(file, line, &format!("{other}: {id}"), "not modelled"),
        }
    }
    Ok(())
}

/// Writes the Proxmox nodes, the QDevice and the `proxmox-ha` cluster.
pub(super) fn write(
    found: &Found,
    used: &mut Vec<String>,
    o: &mut String,
    summary: &mut Vec<String>,
) -> Vec<(String, String)> {
    let p = &found.pve;
    let mut known: Vec<(String, String)> = Vec::new();
    if p.is_empty() {
        return known;
    }
    // The nodes: corosync's nodelist, else every node the groups and the
    // resources name.
    let mut nodes: Vec<String> = p.nodes.iter().map(|n| n.0.clone()).collect();
    if nodes.is_empty() {
        for n in p
            .groups
            .iter()
            .flat_map(|g| g.nodes.iter())
            .chain(p.extra_nodes.iter())
        {
            if !nodes.contains(n) {
                nodes.push(n.clone());
            }
        }
        summary.push(
            "no corosync.conf: the Proxmox nodes are those the HA groups and VMs name".into(),
        );
    }
    let mut elems: Vec<(String, String)> = Vec::new();
    for n in &nodes {
        let e = unique(model_name(n), used);
        match p.nodes.iter().find(|x| x.0 == *n) {
            Some((_, _, l)) => {
                let _ = writeln!(
                    o,
                    "# corosync node {n} ({}:{l}).",
                    p.corosync.as_deref().unwrap_or("")
                );
            }
            None => {
                let _ = writeln!(o, "# Proxmox node {n}.");
            }
        }
        let _ = writeln!(o, "[hosts.{e}]");
        let _ = writeln!(
            o,
            "# ASSUMPTION: a server's crash and repair rates; the config cannot say them.\nfailures = [{{ preset = \"server\" }}]\n"
        );
        elems.push((n.clone(), e));
    }
    let elem = |n: &str| elems.iter().find(|(x, _)| x == n).map(|(_, e)| e.clone());
    for (n, v, _) in &p.nodes {
        if let Some((votes, l)) = v {
            if *votes != 1 {
                summary.push(format!(
                    "{}:{l}: node {n} has quorum_votes {votes}: the proxmox-ha kind counts one vote per node",
                    p.corosync.as_deref().unwrap_or("")
                ));
            }
        }
    }
    let mut qdev = None;
    if let Some(q) = &p.qdevice {
        let e = unique("qdevice".into(), used);
        let _ = writeln!(
            o,
            "# The corosync QDevice {} (model {}, {}:{}).",
            q.host, q.model, q.file, q.line
        );
        let _ = writeln!(o, "[hosts.{e}]");
        let _ = writeln!(
            o,
            "# ASSUMPTION: a small machine's crash and repair rates.\nfailures = [{{ preset = \"server\" }}]\n"
        );
        if let Some((v, l)) = &q.votes {
            if *v != 1 {
                summary.push(format!(
                    "{}:{l}: QDevice votes {v}: the kind counts one",
                    q.file
                ));
            }
        }
        if let Some((a, l)) = &q.algorithm {
            if a == "lms" {
                summary.push(format!(
                    "{}:{l}: QDevice algorithm lms: modelled as one extra vote (ffsplit); lms can keep a single node quorate",
                    q.file
                ));
            }
        }
        qdev = Some((e, q));
    }
    // VMs without HA stay on their node: plain `vms` elements.
    for r in &p.plain {
        let vm = unique(model_name(&r.name), used);
        let host = r.home.as_ref().and_then(|(h, _)| elem(h));
        let _ = writeln!(
            o,
            "# {} ({}:{}): not an HA resource (no hastate).",
            r.name, r.file, r.line
        );
        let _ = writeln!(o, "[vms.{vm}]");
        match (host, &r.home) {
            (Some(h), Some((_, l))) => {
                let _ = writeln!(o, "host = \"{h}\"  # {}:{l}", r.file);
            }
            _ => {
                let h = elems.first().map_or(String::new(), |(_, e)| e.clone());
                let _ = writeln!(
                    o,
                    "# ASSUMPTION: no target_node; on the first node.\nhost = \"{h}\""
                );
            }
        }
        let _ = writeln!(
            o,
            "# ASSUMPTION: the `vm` preset (a guest crash, restarted).\nfailures = [{{ preset = \"vm\" }}]\n"
        );
        known.push((r.name.clone(), vm.clone()));
        let s = unique(format!("{vm}-running"), used);
        let _ = writeln!(
            o,
            "[services.{s}]\ndescription = {}\nrequires = \"{vm}\"\n",
            super::toml_string(&format!("VM {vm} runs"))
        );
    }
    let cluster = unique("pve".into(), used);
    let _ = writeln!(o, "# Proxmox VE HA over {} node(s).", nodes.len());
    let _ = writeln!(o, "[clusters.{cluster}]\nkind = \"proxmox-ha\"");
    let members: Vec<String> = elems.iter().map(|(_, e)| super::toml_string(e)).collect();
    let _ = writeln!(o, "members = [{}]", members.join(", "));
    if let Some((e, q)) = &qdev {
        let _ = writeln!(o, "qdevice = \"{e}\"  # {}:{}", q.file, q.line);
    }
    let cor = p.corosync.as_deref().unwrap_or("");
    if let Some((t, l)) = p.token {
        let _ = writeln!(o, "token = \"{t}ms\"  # {cor}:{l}");
    }
    if let Some((t, l)) = p.token_coefficient {
        let _ = writeln!(o, "token_coefficient = \"{t}ms\"  # {cor}:{l}");
    }
    if let Some((true, l)) = p.two_node {
        summary.push(format!(
            "{cor}:{l}: two_node: 1 lets one node keep quorum after the other dies; the kind counts strict majorities, so set a qdevice or accept it"
        ));
    }
    // Per-resource restart and relocate limits: the kind has one each.
    for (key, get) in [
        (
            "max_restart",
            (|r: &Resource| r.max_restart) as fn(&Resource) -> Lined<u64>,
        ),
        ("max_relocate", |r: &Resource| r.max_relocate),
    ] {
        let set: Vec<(u64, &Resource)> = p
            .resources
            .iter()
            .filter_map(|r| get(r).map(|v| (v.0, r)))
            .collect();
        if let Some((v, r)) = set.first() {
            let l = get(r).expect("set").1;
            let _ = writeln!(o, "{key} = {v}  # {}:{l}", r.file);
            if set.iter().any(|(w, _)| w != v) {
                summary.push(format!(
                    "{cluster}: the HA resources disagree on `{key}`: the first one's is used"
                ));
            }
        }
    }
    // The HA resources that run.
    let running: Vec<&Resource> = p
        .resources
        .iter()
        .filter(|r| {
            !matches!(
                r.state.as_ref().map(|s| s.0.as_str()),
                Some("stopped" | "disabled" | "ignored")
            )
        })
        .collect();
    for r in p
        .resources
        .iter()
        .filter(|r| !running.iter().any(|x| std::ptr::eq(*x, *r)))
    {
        summary.push(format!(
            "{}:{}: {} is not started by the HA manager ({}): left out",
            r.file,
            r.line,
            r.name,
            r.state.as_ref().map_or("", |s| s.0.as_str())
        ));
    }
    let mut vm_names = Vec::new();
    let mut rows = Vec::new();
    let mut spread = 0;
    for r in &running {
        let vm = unique(model_name(&r.name), used);
        let group = r
            .group
            .as_ref()
            .and_then(|g| p.groups.iter().find(|x| x.name == *g));
        if let (Some(g), None) = (&r.group, group) {
            summary.push(format!(
                "{}:{}: {} names group {g}, which is in no groups.cfg here: the model lets it run on any node",
                r.file, r.line, r.name
            ));
        }
        let home = match (&r.home, group) {
            (Some((h, _)), _) => elem(h),
            (None, Some(g)) => {
                summary.push(format!(
                    "ASSUMPTION: {} runs on {}, the first node of group {} (no HA file says where a VM runs)",
                    r.name,
                    g.nodes.first().map_or("", |n| n.as_str()),
                    g.name
                ));
                g.nodes.first().and_then(|n| elem(n))
            }
            (None, None) => {
                let e = elems
                    .get(spread % elems.len().max(1))
                    .map(|(_, e)| e.clone());
                spread += 1;
                summary.push(format!(
                    "ASSUMPTION: {} runs on {} (no HA file says where a VM runs)",
                    r.name,
                    e.as_deref().unwrap_or("")
                ));
                e
            }
        };
        let mut fields = vec![format!("name = {}", super::toml_string(&vm))];
        if let Some(h) = home {
            fields.push(format!("home = {}", super::toml_string(&h)));
        }
        let mut cites = vec![format!("{}:{}", r.file, r.line)];
        if let Some((_, l)) = &r.home {
            cites.push(format!("target_node {}:{l}", r.file));
        }
        if let Some(g) = group {
            let list: Vec<String> = g
                .nodes
                .iter()
                .filter_map(|n| elem(n))
                .map(|e| super::toml_string(&e))
                .collect();
            fields.push(format!("group = [{}]", list.join(", ")));
            if let Some((true, _)) = g.restricted {
                fields.push("restricted = true".into());
            }
            if let Some((true, _)) = g.nofailback {
                fields.push("nofailback = true".into());
            }
            cites.push(format!("{}:{}", g.file, g.line));
        }
        if let Some((c, _)) = r.cores {
            fields.push(format!("cores = {c}"));
        }
        if let Some((m, _)) = r.memory {
            fields.push(format!("memory = {m}"));
        }
        rows.push((format!("  {{ {} }},", fields.join(", ")), cites.join(", ")));
        known.push((r.name.clone(), format!("{cluster}.{vm}")));
        vm_names.push(vm);
    }
    if !rows.is_empty() {
        let _ = writeln!(o, "vms = [");
        for (row, cite) in rows {
            let _ = writeln!(o, "  # {cite}\n{row}");
        }
        let _ = writeln!(o, "]");
    }
    let _ = writeln!(o);
    if vm_names.is_empty() {
        let s = unique(format!("{cluster}-quorum"), used);
        let _ = writeln!(o, "[services.{s}]\ndescription = \"The Proxmox cluster is quorate\"\nrequires = \"{cluster}.quorum\"\n");
    }
    for vm in &vm_names {
        let s = unique(format!("{vm}-running"), used);
        let _ = writeln!(
            o,
            "[services.{s}]\ndescription = {}\nrequires = \"{cluster}.{vm}\"\n",
            super::toml_string(&format!("HA resource {vm} runs"))
        );
    }
    summary.push(format!(
        "{cluster}: proxmox-ha, {} node(s){}, {} HA resource(s)",
        nodes.len(),
        if qdev.is_some() { " + QDevice" } else { "" },
        vm_names.len()
    ));
    known
}
