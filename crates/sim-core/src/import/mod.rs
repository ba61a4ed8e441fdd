//! `hasim import`: the operator's real configuration files become a model.
//!
//! Each file's format is recognised by its content. What a file says (every
//! protocol parameter) goes into the model with a comment naming the file
//! and line it came from; what no config can say (how often a host dies,
//! who repairs it) is filled with the cited presets and marked as an
//! ASSUMPTION, so `hasim validate` and the user can see what to check.
//!
//! Formats read today, each recognised by its content
//! ([`ConfigFormat::detect`]) and read by a small span-keeping parser, so
//! a broken file is a located `file:line:column` error:
//!
//! - keepalived.conf (`vrrp_instance`, `vrrp_script`, `track_script`);
//!   several files, one per router, merge into one `vrrp` cluster per
//!   `virtual_router_id`;
//! - haproxy.cfg (`server` health-check options, `default-server`,
//!   `balance`, `timeout check`/`connect`, the check type): each backend or
//!   listen section with servers becomes a `haproxy` cluster, its servers
//!   hosts, and each frontend a service needing the backends it routes to;
//! - patroni.yml (`bootstrap.dcs` ttl, loop_wait, retry_timeout,
//!   maximum_lag_on_failover, synchronous_mode(_strict), failsafe_mode; the
//!   DCS hosts; `tags.nofailover`): one file per member, the members of a
//!   `scope` merge into one `patroni` cluster over the etcd (or other DCS)
//!   the files list. YAML is read with `saphyr`, which keeps positions;
//! - Kubernetes manifests (multi-document YAML): Deployments and
//!   StatefulSets (replicas, strategy, pod anti-affinity on the hostname,
//!   the unreachable/not-ready tolerationSeconds, summed requests, the
//!   Longhorn volume of their claims) become `deployment`/`statefulset`
//!   clusters, a Longhorn StorageClass (`numberOfReplicas`; the stale
//!   timeout and data locality cited) a `longhorn` cluster; the nodes,
//!   which no manifest lists, are an ASSUMPTION;
//! - corosync.conf (the nodelist, quorum_votes, the QDevice's model, votes
//!   and algorithm, the token) and the Proxmox HA manager's resources.cfg
//!   and groups.cfg (state, group, max_restart, max_relocate; group nodes
//!   by priority, restricted, nofailback) become one `proxmox-ha` cluster;
//! - Terraform's `proxmox_vm_qemu` (read with hcl-rs: target_node, hastate,
//!   hagroup, cores times sockets, memory; `for_each` over a map variable
//!   expanded with its default) adds that cluster's VMs: HA resources with
//!   `hastate`, plain VMs on their node without;
//! - K3s's config.yaml (`etcd-arg` heartbeat-interval and election-timeout)
//!   becomes the servers' embedded `etcd` cluster with the K3s profile.
//!
//! Templated values (`{{ ... }}`, `${...}`) that the model needs are listed
//! in the summary as "templated: set it in the model"; directives hasim
//! does not model are listed as ignored, never an error.

mod haproxy;
mod k3s;
mod keepalived;
mod kubernetes;
mod patroni;
mod proxmox;
mod terraform;
mod yaml;

use crate::model::diag::{Diagnostic, Source};
use std::fmt::Write;

/// One configuration file: the name to report it by and its text.
#[derive(Debug, Clone, Copy)]
pub struct ConfigFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl ConfigFile<'_> {
    fn source(&self) -> Source<'_> {
        Source {
            name: self.name,
            text: self.text,
        }
    }

    /// The 1-based line of byte `at`.
    fn line_of(&self, at: usize) -> usize {
        self.text[..at.min(self.text.len())].matches('\n').count() + 1
    }

    /// An error at byte `at` marking the rest of its line: a parser that
    /// knows only where it stopped (HCL's, YAML's) still shows the text.
    fn error_from(&self, at: usize, message: String) -> Diagnostic {
        let at = at.min(self.text.len());
        let end = self.text[at..]
            .find('\n')
            .map_or(self.text.len(), |k| at + k);
        self.source()
            .error(at..end.max(at + 1).min(self.text.len()), message)
    }

    /// `file:line`, as the model's comments cite it.
    fn at(&self, line: usize) -> String {
        format!("{}:{line}", self.name)
    }
}

/// The format of a configuration file, recognised by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFormat {
    Keepalived,
    Haproxy,
    Patroni,
    Kubernetes,
    /// corosync.conf.
    Corosync,
    /// Proxmox HA's resources.cfg, groups.cfg (section config).
    ProxmoxHa,
    Terraform,
    /// K3s's config.yaml.
    K3s,
}

impl ConfigFormat {
    /// The format of `file`, or `None` when hasim cannot read it yet. The
    /// content decides; the file name only breaks a tie, so a renamed file
    /// is still read right.
    pub fn detect(file: &ConfigFile<'_>) -> Option<ConfigFormat> {
        let t = file.text;
        let name = file.name.to_lowercase();
        if patroni::looks_like(t) || (name.contains("patroni") && t.contains("scope:")) {
            return Some(ConfigFormat::Patroni);
        }
        if kubernetes::looks_like(t) {
            return Some(ConfigFormat::Kubernetes);
        }
        if k3s::looks_like(t) {
            return Some(ConfigFormat::K3s);
        }
        if proxmox::is_corosync(t) {
            return Some(ConfigFormat::Corosync);
        }
        if proxmox::is_ha_config(t) {
            return Some(ConfigFormat::ProxmoxHa);
        }
        if terraform::looks_like(t) || name.ends_with(".tf") {
            return Some(ConfigFormat::Terraform);
        }
        let keepalived = t.contains("vrrp_instance") || t.contains("vrrp_script");
        let haproxy = haproxy::looks_like(t);
        match (keepalived, haproxy) {
            (true, true) if name.contains("haproxy") => Some(ConfigFormat::Haproxy),
            (true, _) => Some(ConfigFormat::Keepalived),
            (false, true) => Some(ConfigFormat::Haproxy),
            (false, false) => None,
        }
    }
}

/// A value and the line it was read from.
type Lined<T> = Option<(T, usize)>;

/// One keepalived `vrrp_instance`: a router of a VRRP group.
#[derive(Debug, Clone, Default)]
struct Router {
    file: String,
    instance: String,
    virtual_router_id: Lined<u8>,
    priority: Lined<u8>,
    advert_int_ms: Lined<u64>,
    state: Lined<String>,
    nopreempt: Option<usize>,
    preempt_delay_ms: Lined<u64>,
    track_scripts: Vec<String>,
    vips: Vec<String>,
}

/// One keepalived `vrrp_script`.
#[derive(Debug, Clone)]
struct Script {
    name: String,
    file: String,
    interval_ms: Lined<u64>,
    weight: Lined<i64>,
    fall: Lined<i64>,
    rise: Lined<i64>,
}

/// Everything read from the files, before it becomes a model.
#[derive(Debug, Default)]
struct Found {
    routers: Vec<Router>,
    scripts: Vec<Script>,
    backends: Vec<haproxy::Backend>,
    frontends: Vec<haproxy::Frontend>,
    patroni: Vec<patroni::Member>,
    kube: kubernetes::Kube,
    pve: proxmox::Pve,
    k3s: Vec<k3s::Server>,
    ignored: Vec<String>,
}

impl Found {
    /// Whether the files describe anything to simulate.
    fn is_empty(&self) -> bool {
        self.routers.is_empty()
            && self.backends.is_empty()
            && self.patroni.is_empty()
            && self.kube.is_empty()
            && self.pve.is_empty()
            && self.k3s.iter().all(|s| s.external())
    }
}

impl Found {
    fn ignored(&mut self, file: &ConfigFile<'_>, line: usize, what: &str, why: &str) {
        self.ignored
            .push(format!("{}: `{what}` ignored: {why}", file.at(line)));
    }
}

/// The imported model and what the user should know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The model, in the usual TOML format, with a comment on each value
    /// naming where it came from.
    pub model: String,
    /// What was read, what was ignored and why, and what is assumed.
    pub summary: Vec<String>,
}

/// Reads the files and writes the model they describe.
pub fn import(files: &[ConfigFile<'_>]) -> Result<Imported, Diagnostic> {
    let mut found = Found::default();
    let mut summary = Vec::new();
    for f in files {
        match ConfigFormat::detect(f) {
            Some(ConfigFormat::Keepalived) => {
                let before = found.routers.len();
                keepalived::read(f, &mut found)?;
                summary.push(format!(
                    "{}: keepalived.conf, {} vrrp_instance",
                    f.name,
                    found.routers.len() - before
                ));
            }
            Some(ConfigFormat::Haproxy) => {
                let before = found.backends.len();
                haproxy::read(f, &mut found)?;
                summary.push(format!(
                    "{}: haproxy.cfg, {} backend(s) with servers",
                    f.name,
                    found.backends.len() - before
                ));
            }
            Some(ConfigFormat::Patroni) => {
                patroni::read(f, &mut found)?;
                let m = found.patroni.last().expect("read one");
                summary.push(format!(
                    "{}: patroni.yml, member of scope {}",
                    f.name,
                    m.scope()
                ));
            }
            Some(ConfigFormat::Kubernetes) => {
                kubernetes::read(f, &mut found)?;
                summary.push(format!("{}: Kubernetes manifests", f.name));
            }
            Some(ConfigFormat::Corosync) => {
                proxmox::read_corosync(f, &mut found)?;
                summary.push(format!("{}: corosync.conf", f.name));
            }
            Some(ConfigFormat::ProxmoxHa) => {
                proxmox::read_ha(f, &mut found)?;
                summary.push(format!("{}: Proxmox HA configuration", f.name));
            }
            Some(ConfigFormat::Terraform) => {
                terraform::read(f, &mut found)?;
                summary.push(format!("{}: Terraform", f.name));
            }
            Some(ConfigFormat::K3s) => {
                k3s::read(f, &mut found)?;
                summary.push(format!("{}: K3s config.yaml", f.name));
            }
            None => {
                return Err(f
                    .source()
                    .error(0..f.text.find('\n').unwrap_or(f.text.len()), "hasim cannot tell what this file is")
                    .with_help("hasim import reads keepalived.conf (a file with a `vrrp_instance` block) haproxy.cfg (`frontend`, `backend`, `listen` sections) , patroni.yml (`scope` with `bootstrap` or a DCS section), Kubernetes manifests (`apiVersion` and `kind`), corosync.conf, the Proxmox HA resources.cfg / groups.cfg, Terraform's proxmox_vm_qemu and K3s's config.yaml"));
            }
        }
    }
    if found.is_empty() {
        return Err(Diagnostic {
            severity: crate::model::diag::Severity::Error,
            message: "the files describe no cluster (no vrrp_instance, no backend with servers, no Patroni member, no workload or Longhorn StorageClass, no Proxmox node): nothing to model".into(),
            file: files.first().map_or(String::new(), |f| f.name.to_string()),
            line: 1,
            column: 1,
            span: 0..0,
            snippet: String::new(),
            source_line: String::new(),
            help: None,
            rule: None,
            id: None,
        });
    }
    let model = write_model(files, &found, &mut summary);
    summary.extend(found.ignored.iter().cloned());
    Ok(Imported { model, summary })
}

/// A TOML key or element name from a file name: `keepalived-lb1.conf`
/// gives `lb1`.
fn element_name(file: &str, used: &[String]) -> String {
    let stem = std::path::Path::new(file)
        .file_stem()
        .map_or(String::new(), |s| s.to_string_lossy().to_lowercase());
    let mut name: String = stem
        .replace("keepalived", "")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name = name.trim_matches('-').to_string();
    if name.is_empty() {
        name = "router".into();
    }
    let mut candidate = name.clone();
    let mut k = 2;
    while used.contains(&candidate) {
        candidate = format!("{name}-{k}");
        k += 1;
    }
    candidate
}

/// A model name from a name in a config: lower case, `-` for anything but
/// letters and digits.
pub(super) fn model_name(name: &str) -> String {
    let n: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let n = n.trim_matches('-').to_string();
    if n.is_empty() {
        "imported".into()
    } else {
        n
    }
}

/// A name not in `used`, recorded there.
fn unique(base: String, used: &mut Vec<String>) -> String {
    let mut candidate = base.clone();
    let mut k = 2;
    while used.contains(&candidate) {
        candidate = format!("{base}-{k}");
        k += 1;
    }
    used.push(candidate.clone());
    candidate
}

fn duration(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn write_model(files: &[ConfigFile<'_>], found: &Found, summary: &mut Vec<String>) -> String {
    let mut o = String::new();
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    let _ = writeln!(o, "# Imported by hasim import from {}.", names.join(", "));
    let _ = writeln!(
        o,
        "# Values from the files cite their line; ASSUMPTION marks what no config says.\n"
    );
    let _ = writeln!(o, "[model]\nname = \"imported\"\n");
    let mut used = write_vrrp(found, &mut o, summary);
    // The Proxmox VMs first: HAProxy servers and Patroni members of the
    // same name are those VMs (seed 000's backends are its Terraform VMs).
    let vms = proxmox::write(found, &mut used, &mut o, summary);
    let by_addr = haproxy::write(found, &mut used, &vms, &mut o, summary);
    patroni::write(found, &mut used, &vms, &by_addr, &mut o, summary);
    kubernetes::write(found, &mut used, &mut o, summary);
    k3s::write(found, &mut used, &mut o, summary);
    o
}

/// Writes keepalived's routers and their VRRP groups; returns the element
/// names it used.
fn write_vrrp(found: &Found, o: &mut String, summary: &mut Vec<String>) -> Vec<String> {
    if found.routers.is_empty() {
        return Vec::new();
    }
    let at = |file: &str, line: usize| format!("{file}:{line}");
    // One element per router file.
    let mut routers: Vec<String> = Vec::new();
    for r in &found.routers {
        let name = element_name(&r.file, &routers);
        routers.push(name);
    }
    for (r, name) in found.routers.iter().zip(&routers) {
        let _ = writeln!(
            o,
            "# The machine running {} (vrrp_instance {}).",
            r.file, r.instance
        );
        let _ = writeln!(o, "[hosts.{name}]");
        let _ = writeln!(
            o,
            "# ASSUMPTION: a server's crash and repair rates; the config cannot say them.\nfailures = [{{ preset = \"server\" }}]\n"
        );
        for s in &r.track_scripts {
            let _ = writeln!(o, "# What vrrp_script `{s}` checks on {name}.");
            let _ = writeln!(o, "[components.{name}-{s}]\nrequires = \"{name}\"");
            let _ = writeln!(
                o,
                "# ASSUMPTION: the `software` preset (a daemon crash twice a year, restarted by systemd).\nfailures = [{{ preset = \"software\" }}]\n"
            );
        }
    }
    summary.push(format!(
        "ASSUMPTION: {} router host(s) fail as the `server` preset, tracked processes as `software`",
        routers.len()
    ));
    // One VRRP group per virtual_router_id, routers in file order.
    let mut ids: Vec<u8> = Vec::new();
    for r in &found.routers {
        let id = r
            .virtual_router_id
            .as_ref()
            .map(|v| v.0)
            .expect("checked on read");
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut used = routers.clone();
    for id in ids {
        let group: Vec<(usize, &Router)> = found
            .routers
            .iter()
            .enumerate()
            .filter(|(_, r)| r.virtual_router_id.as_ref().map(|v| v.0) == Some(id))
            .collect();
        let cluster = format!("vrrp-{id}");
        let members: Vec<String> = group
            .iter()
            .map(|(i, _)| toml_string(&routers[*i]))
            .collect();
        let cites = |f: &dyn Fn(&Router) -> Option<usize>| -> String {
            group
                .iter()
                .filter_map(|(_, r)| f(r).map(|l| at(&r.file, l)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(o, "# keepalived virtual_router_id {id}.");
        let _ = writeln!(o, "[clusters.{cluster}]\nkind = \"vrrp\"");
        let _ = writeln!(o, "members = [{}]", members.join(", "));
        // keepalived's default priority is 100 (keepalived.conf(5)).
        let prio: Vec<String> = group
            .iter()
            .map(|(_, r)| r.priority.as_ref().map_or(100, |p| p.0).to_string())
            .collect();
        let _ = writeln!(
            o,
            "priority = [{}]  # {}",
            prio.join(", "),
            cites(&|r| r.priority.as_ref().map(|p| p.1))
        );
        if let Some((_, r)) = group.iter().find(|(_, r)| r.advert_int_ms.is_some()) {
            let (ms, _) = r.advert_int_ms.as_ref().expect("found");
            let _ = writeln!(
                o,
                "advert_int = \"{}\"  # {}",
                duration(*ms),
                cites(&|r| r.advert_int_ms.as_ref().map(|p| p.1))
            );
        }
        if group.iter().any(|(_, r)| r.nopreempt.is_some()) {
            let _ = writeln!(o, "nopreempt = true  # {}", cites(&|r| r.nopreempt));
        }
        if let Some((_, r)) = group.iter().find(|(_, r)| r.preempt_delay_ms.is_some()) {
            let (ms, _) = r.preempt_delay_ms.as_ref().expect("found");
            let _ = writeln!(
                o,
                "preempt_delay = \"{}\"  # {}",
                duration(*ms),
                cites(&|r| r.preempt_delay_ms.as_ref().map(|p| p.1))
            );
        }
        // The vrrp kind tracks one element per router with one script's
        // timing: the first tracked script of each router.
        let tracked: Vec<String> = group
            .iter()
            .map(|(i, r)| {
                r.track_scripts.first().map_or("\"\"".into(), |s| {
                    toml_string(&format!("{}-{s}", routers[*i]))
                })
            })
            .collect();
        let script = group
            .iter()
            .filter_map(|(_, r)| r.track_scripts.first())
            .find_map(|s| found.scripts.iter().find(|x| x.name == *s));
        if let Some(s) = script {
            let _ = writeln!(o, "track = [{}]", tracked.join(", "));
            if let Some((ms, l)) = &s.interval_ms {
                let _ = writeln!(
                    o,
                    "track_interval = \"{}\"  # {}",
                    duration(*ms),
                    at(&s.file, *l)
                );
            }
            if let Some((w, l)) = &s.weight {
                let _ = writeln!(o, "track_weight = {w}  # {}", at(&s.file, *l));
            }
            if let Some((v, l)) = &s.fall {
                let _ = writeln!(o, "track_fall = {v}  # {}", at(&s.file, *l));
            }
            if let Some((v, l)) = &s.rise {
                let _ = writeln!(o, "track_rise = {v}  # {}", at(&s.file, *l));
            }
        }
        let vips: Vec<&str> = group
            .iter()
            .flat_map(|(_, r)| r.vips.iter().map(String::as_str))
            .collect();
        let mut unique: Vec<&str> = Vec::new();
        for v in vips {
            if !unique.contains(&v) {
                unique.push(v);
            }
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "[services.vip-{id}]");
        let _ = writeln!(
            o,
            "description = {}",
            toml_string(&format!("the virtual IP {}", unique.join(", ")))
        );
        let _ = writeln!(
            o,
            "# ASSUMPTION: users need only the address; add what sits behind it.\nrequires = \"{cluster}.serving\"\n"
        );
        summary.push(format!(
            "vrrp-{id}: {} router(s) from {}",
            group.len(),
            group
                .iter()
                .map(|(_, r)| r.file.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        used.push(cluster);
        used.push(format!("vip-{id}"));
    }
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_become_element_names() {
        assert_eq!(element_name("conf/keepalived-lb1.conf", &[]), "lb1");
        assert_eq!(element_name("keepalived.conf", &[]), "router");
        assert_eq!(
            element_name("keepalived.conf", &["router".into()]),
            "router-2"
        );
    }
}
