//! Kubernetes manifests (multi-document YAML): Deployments and StatefulSets
//! become `deployment` / `statefulset` clusters, Longhorn StorageClasses
//! `longhorn` clusters; PodDisruptionBudgets and PersistentVolumeClaims are
//! read for what they say about those.
//!
//! Read: `spec.replicas`; a Deployment's `strategy` (`Recreate` or
//! `RollingUpdate` with `maxUnavailable` / `maxSurge`); the pod template's
//! `podAntiAffinity` (required or preferred, with its `topologyKey`), the
//! NoExecute tolerations of `node.kubernetes.io/unreachable` and
//! `not-ready` with their `tolerationSeconds`, the containers' resource
//! requests (summed, as the scheduler does); a StatefulSet's
//! `volumeClaimTemplates` and a Deployment's claims, to find the Longhorn
//! volume a workload needs; a Longhorn StorageClass's `numberOfReplicas`,
//! `staleReplicaTimeout` and `dataLocality` (longhorn docs, "Storage Class
//! Parameters"). Manifests do not say how many nodes there are: the nodes
//! are an ASSUMPTION the summary names.

use super::yaml::{self, Reader, Yaml};
use super::{model_name, unique, ConfigFile, Found, Lined};
use crate::model::diag::Diagnostic;
use saphyr::MarkedYamlOwned;
use std::fmt::Write;

/// Whether `text` looks like Kubernetes manifests: `apiVersion:` and
/// `kind:` at the start of lines.
pub(super) fn looks_like(text: &str) -> bool {
    let top = |k: &str| text.lines().any(|l| l.starts_with(k));
    top("apiVersion:") && top("kind:")
}

/// A Deployment or StatefulSet.
#[derive(Debug, Clone, Default)]
pub(super) struct Workload {
    file: String,
    stateful: bool,
    name: String,
    line: usize,
    replicas: Lined<u64>,
    strategy: Lined<String>,
    max_unavailable: Lined<String>,
    max_surge: Lined<String>,
    /// `required` or `preferred`, for a hostname topology.
    anti_affinity: Lined<&'static str>,
    /// Seconds, and which taint.
    toleration: Lined<(u64, String)>,
    /// Millicores and bytes, summed over the containers.
    cpu: Lined<u64>,
    memory: Lined<u64>,
    /// Storage classes of its claims (templates or resolved claims), with
    /// whether they are ReadWriteOnce.
    claims: Vec<(String, bool, usize)>,
    /// Claim names of a Deployment's volumes, resolved against the files'
    /// PersistentVolumeClaims when the model is written.
    claim_names: Vec<(String, usize)>,
    labels: Vec<(String, String)>,
    notes: Vec<String>,
}

/// A Longhorn StorageClass.
#[derive(Debug, Clone)]
pub(super) struct StorageClass {
    file: String,
    name: String,
    line: usize,
    replicas: Lined<u64>,
    /// Minutes.
    stale: Lined<u64>,
    locality: Lined<String>,
}

/// A PodDisruptionBudget.
#[derive(Debug, Clone)]
struct Pdb {
    file: String,
    name: String,
    line: usize,
    rule: String,
    selector: Vec<(String, String)>,
}

/// Everything read from the manifests.
#[derive(Debug, Default)]
pub(super) struct Kube {
    workloads: Vec<Workload>,
    classes: Vec<StorageClass>,
    pdbs: Vec<Pdb>,
    /// PersistentVolumeClaims: name, storage class, ReadWriteOnce.
    pvcs: Vec<(String, Option<String>, bool)>,
}

impl Kube {
    pub(super) fn is_empty(&self) -> bool {
        self.workloads.is_empty() && self.classes.is_empty()
    }
}

/// `matchLabels` of a selector.
fn labels(node: Option<&MarkedYamlOwned>) -> Vec<(String, String)> {
    node.and_then(|s| yaml::get(s, "matchLabels"))
        .map(|m| {
            yaml::entries(m)
                .into_iter()
                .filter_map(|(k, v)| Some((yaml::scalar(k)?, yaml::scalar(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a claim spec asks for ReadWriteOnce (or ReadWriteOncePod).
fn rwo(spec: Option<&MarkedYamlOwned>) -> bool {
    spec.and_then(|s| yaml::get(s, "accessModes"))
        .is_some_and(|m| {
            yaml::items(m)
                .iter()
                .filter_map(yaml::scalar)
                .any(|a| a.starts_with("ReadWriteOnce"))
        })
}

/// What one manifest file holds.
pub(super) fn read(file: &ConfigFile<'_>, found: &mut Found) -> Result<(), Diagnostic> {
    let y = Yaml::parse(file)?;
    let mut r = Reader {
        file,
        y: &y,
        notes: Vec::new(),
    };
    for doc in &y.docs {
        if !yaml::is_mapping(doc) {
            continue;
        }
        let Some(kind_node) = yaml::get(doc, "kind") else {
            return Err(r
                .err(doc, "a manifest without `kind`")
                .with_help("every Kubernetes object names its kind"));
        };
        let kind = yaml::scalar(kind_node).unwrap_or_default();
        let line = y.line(kind_node);
        let name = yaml::path(doc, &["metadata", "name"])
            .and_then(yaml::scalar)
            .unwrap_or_else(|| kind.to_lowercase());
        let spec = yaml::get(doc, "spec");
        let at = |k: &[&str]| spec.and_then(|s| yaml::path(s, k));
        match kind.as_str() {
            "Deployment" | "StatefulSet" => {
                let mut w = Workload {
                    file: file.name.to_string(),
                    stateful: kind == "StatefulSet",
                    name: name.clone(),
                    line,
                    ..Workload::default()
                };
                w.replicas = r.uint(at(&["replicas"]), "replicas", 1000)?;
                if w.stateful {
                    if let Some((s, l)) =
                        r.string(at(&["updateStrategy", "type"]), "updateStrategy.type")
                    {
                        w.notes.push(format!(
                            "{}:{l}: StatefulSet updateStrategy {s}: the statefulset kind rolls pods like RollingUpdate",
                            file.name
                        ));
                    }
                } else {
                    w.strategy = r.string(at(&["strategy", "type"]), "strategy.type");
                    if let Some((s, _)) = &w.strategy {
                        if s != "Recreate" && s != "RollingUpdate" {
                            let n = at(&["strategy", "type"]).expect("read");
                            return Err(r
                                .err(n, format!("unknown Deployment strategy `{s}`"))
                                .with_help("Kubernetes accepts Recreate or RollingUpdate"));
                        }
                    }
                    w.max_unavailable = r.string(
                        at(&["strategy", "rollingUpdate", "maxUnavailable"]),
                        "maxUnavailable",
                    );
                    w.max_surge =
                        r.string(at(&["strategy", "rollingUpdate", "maxSurge"]), "maxSurge");
                }
                w.labels = labels(at(&["selector"]));
                let pod = at(&["template", "spec"]);
                let pat = |k: &[&str]| pod.and_then(|p| yaml::path(p, k));
                // Pod anti-affinity: hostname topology only, as the kinds
                // spread replicas over nodes.
                for (rule, key) in [
                    ("required", "requiredDuringSchedulingIgnoredDuringExecution"),
                    (
                        "preferred",
                        "preferredDuringSchedulingIgnoredDuringExecution",
                    ),
                ] {
                    if w.anti_affinity.is_some() {
                        break;
                    }
                    let Some(terms) = pat(&["affinity", "podAntiAffinity", key]) else {
                        continue;
                    };
                    for t in yaml::items(terms) {
                        let term = if rule == "preferred" {
                            yaml::get(t, "podAffinityTerm")
                        } else {
                            Some(t)
                        };
                        let Some(tk) = term.and_then(|t| yaml::get(t, "topologyKey")) else {
                            continue;
                        };
                        let topo = yaml::scalar(tk).unwrap_or_default();
                        if topo == "kubernetes.io/hostname" {
                            w.anti_affinity = Some((rule, y.line(tk)));
                            break;
                        }
                        w.notes.push(format!(
                            "{}: {rule} anti-affinity over `{topo}`: the {} kind spreads over nodes only, so it is left out",
                            file.at(y.line(tk)),
                            kind.to_lowercase()
                        ));
                    }
                }
                // Tolerations of the node controller's NoExecute taints: the
                // unreachable one decides when a dead node's pods go (a node
                // that stops reporting is Unknown, tainted unreachable).
                if let Some(ts) = pat(&["tolerations"]) {
                    for t in yaml::items(ts) {
                        let key = yaml::get(t, "key")
                            .and_then(yaml::scalar)
                            .unwrap_or_default();
                        let taint = match key.as_str() {
                            "node.kubernetes.io/unreachable" => "unreachable",
                            "node.kubernetes.io/not-ready" => "not-ready",
                            _ => continue,
                        };
                        let Some(secs) = r.uint(
                            yaml::get(t, "tolerationSeconds"),
                            "tolerationSeconds",
                            1 << 40,
                        )?
                        else {
                            continue;
                        };
                        let keep = match &w.toleration {
                            None => true,
                            Some(((_, old), _)) => old != "unreachable" && taint == "unreachable",
                        };
                        if keep {
                            w.toleration = Some(((secs.0, taint.to_string()), secs.1));
                        }
                    }
                }
                // Requests: the sum over the containers.
                let mut cpu: Option<(u64, usize)> = None;
                let mut mem: Option<(u64, usize)> = None;
                for c in pat(&["containers"]).map(yaml::items).unwrap_or(&[]) {
                    let req = yaml::path(c, &["resources", "requests"]);
                    for (key, slot, parse) in [
                        (
                            "cpu",
                            &mut cpu,
                            crate::units::parse_millicores as fn(&str) -> Option<u64>,
                        ),
                        (
                            "memory",
                            &mut mem,
                            crate::units::parse_bytes as fn(&str) -> Option<u64>,
                        ),
                    ] {
                        let Some(n) = req.and_then(|q| yaml::get(q, key)) else {
                            continue;
                        };
                        if r.templated(&format!("requests.{key}"), n) {
                            continue;
                        }
                        let Some(v) = yaml::scalar(n).and_then(|s| parse(&s)) else {
                            return Err(r.err(
                                n,
                                format!("`{key}` is not a Kubernetes quantity: `{}`", r.text(n)),
                            ));
                        };
                        let l = slot.map_or(y.line(n), |(_, l)| l);
                        *slot = Some((slot.map_or(0, |(s, _)| s) + v, l));
                    }
                }
                w.cpu = cpu;
                w.memory = mem;
                for t in at(&["volumeClaimTemplates"])
                    .map(yaml::items)
                    .unwrap_or(&[])
                {
                    let s = yaml::get(t, "spec");
                    if let Some(sc) = s
                        .and_then(|s| yaml::get(s, "storageClassName"))
                        .and_then(yaml::scalar)
                    {
                        w.claims.push((sc, rwo(s), y.line(t)));
                    }
                }
                for v in pat(&["volumes"]).map(yaml::items).unwrap_or(&[]) {
                    if let Some(c) = yaml::path(v, &["persistentVolumeClaim", "claimName"]) {
                        if let Some(n) = yaml::scalar(c) {
                            w.claim_names.push((n, y.line(c)));
                        }
                    }
                }
                found.kube.workloads.push(w);
            }
            "StorageClass" => {
                let prov = yaml::get(doc, "provisioner")
                    .and_then(yaml::scalar)
                    .unwrap_or_default();
                if prov != "driver.longhorn.io" && prov != "rancher.io/longhorn" {
                    found.ignored(
                        file,
                        line,
                        &format!("StorageClass {name}"),
                        &format!("provisioner {prov} is not Longhorn"),
                    );
                    continue;
                }
                let p = |k: &str| yaml::path(doc, &["parameters", k]);
                let replicas = r.uint(p("numberOfReplicas"), "numberOfReplicas", 20)?;
                if let Some((0, _)) = replicas {
                    return Err(r.err(
                        p("numberOfReplicas").expect("read"),
                        "`numberOfReplicas` must be at least 1",
                    ));
                }
                let stale = r.uint(p("staleReplicaTimeout"), "staleReplicaTimeout", 1 << 40)?;
                let locality = r.string(p("dataLocality"), "dataLocality");
                if let Some((l, _)) = &locality {
                    if !matches!(l.as_str(), "disabled" | "best-effort" | "strict-local") {
                        let n = p("dataLocality").expect("read");
                        return Err(r
                            .err(n, format!("unknown dataLocality `{l}`"))
                            .with_help("Longhorn accepts disabled, best-effort or strict-local"));
                    }
                }
                found.kube.classes.push(StorageClass {
                    file: file.name.to_string(),
                    name,
                    line,
                    replicas,
                    stale,
                    locality,
                });
            }
            "PodDisruptionBudget" => {
                let rule = ["minAvailable", "maxUnavailable"]
                    .iter()
                    .find_map(|k| at(&[k]).and_then(yaml::scalar).map(|v| format!("{k} {v}")))
                    .unwrap_or_default();
                found.kube.pdbs.push(Pdb {
                    file: file.name.to_string(),
                    name,
                    line,
                    rule,
                    selector: labels(at(&["selector"])),
                });
            }
            "PersistentVolumeClaim" => {
                let sc = at(&["storageClassName"]).and_then(yaml::scalar);
                found.kube.pvcs.push((name, sc, rwo(spec)));
            }
            other => found.ignored(file, line, &format!("{other} {name}"), "not modelled"),
        }
    }
    for s in &y.statements {
        r.notes.push(format!(
            "{}: a template statement, read as if it were not there",
            file.at(file.line_of(s.start))
        ));
    }
    found.ignored.extend(r.notes);
    Ok(())
}

/// A byte count as a Kubernetes quantity the model reads.
fn bytes(b: u64) -> String {
    const MI: u64 = 1 << 20;
    if b.is_multiple_of(1 << 30) {
        format!("{}Gi", b >> 30)
    } else if b.is_multiple_of(MI) {
        format!("{}Mi", b / MI)
    } else {
        b.to_string()
    }
}

/// Writes the nodes, the Longhorn volumes and the workloads.
pub(super) fn write(
    found: &Found,
    used: &mut Vec<String>,
    o: &mut String,
    summary: &mut Vec<String>,
) {
    let k = &found.kube;
    if k.is_empty() {
        return;
    }
    // The nodes: at least three (a small HA cluster, as in the seed write-ups),
    // and enough for every replica and Longhorn replica to have its own node.
    let need = k
        .workloads
        .iter()
        .filter_map(|w| w.replicas.map(|r| r.0))
        .chain(k.classes.iter().filter_map(|c| c.replicas.map(|r| r.0)))
        .max()
        .unwrap_or(0)
        .max(3);
    let mut nodes = Vec::new();
    for i in 1..=need {
        let n = unique(format!("node-{i}"), used);
        let _ = writeln!(
            o,
            "# A Kubernetes node: the manifests do not say which nodes exist."
        );
        let _ = writeln!(o, "[hosts.{n}]");
        let _ = writeln!(
            o,
            "# ASSUMPTION: a server's crash and repair rates; the config cannot say them.\nfailures = [{{ preset = \"server\" }}]\n"
        );
        nodes.push(super::toml_string(&n));
    }
    summary.push(format!(
        "ASSUMPTION: {need} Kubernetes node(s) `node-1`..`node-{need}` (the manifests do not say which nodes run them), failing as the `server` preset"
    ));
    let members = nodes.join(", ");
    // Longhorn: one volume per StorageClass.
    let mut classes: Vec<(String, String)> = Vec::new();
    for c in &k.classes {
        let cluster = unique(model_name(&c.name), used);
        let _ = writeln!(
            o,
            "# Longhorn StorageClass {} ({}:{}): one volume of it.",
            c.name, c.file, c.line
        );
        if let Some((m, l)) = &c.stale {
            let _ = writeln!(
                o,
                "# staleReplicaTimeout {m} min ({}:{l}): when a failed replica is deleted; the kind rebuilds after replica-replenishment-wait-interval instead.",
                c.file
            );
        }
        if let Some((d, l)) = &c.locality {
            let _ = writeln!(
                o,
                "# dataLocality {d} ({}:{l}): where the engine's replica sits; not modelled.",
                c.file
            );
        }
        let _ = writeln!(
            o,
            "[clusters.{cluster}]\nkind = \"longhorn\"\nmembers = [{members}]"
        );
        if let Some((n, l)) = &c.replicas {
            let _ = writeln!(o, "numberOfReplicas = {n}  # {}:{l}", c.file);
        }
        let _ = writeln!(o);
        summary.push(format!(
            "{cluster}: Longhorn StorageClass {} from {}; ASSUMPTION: one volume of the kind's default size",
            c.name, c.file
        ));
        if c.stale.is_some() || c.locality.is_some() {
            summary.push(format!("{cluster}: staleReplicaTimeout and dataLocality are read but not modelled by the longhorn kind"));
        }
        classes.push((c.name.clone(), cluster));
    }
    let mut used_classes: Vec<String> = Vec::new();
    for w in &k.workloads {
        let kind = if w.stateful {
            "statefulset"
        } else {
            "deployment"
        };
        let cluster = unique(model_name(&w.name), used);
        let _ = writeln!(
            o,
            "# {} {} ({}:{}).",
            if w.stateful {
                "StatefulSet"
            } else {
                "Deployment"
            },
            w.name,
            w.file,
            w.line
        );
        for p in k
            .pdbs
            .iter()
            .filter(|p| !p.selector.is_empty() && p.selector.iter().all(|l| w.labels.contains(l)))
        {
            let _ = writeln!(
                o,
                "# PodDisruptionBudget {} ({}:{}): {}; the kind drains a node's pods at once, without budgets.",
                p.name, p.file, p.line, p.rule
            );
            summary.push(format!(
                "{cluster}: PodDisruptionBudget {} ({}) is read but not modelled: drains evict at once",
                p.name, p.rule
            ));
        }
        let _ = writeln!(
            o,
            "[clusters.{cluster}]\nkind = \"{kind}\"\nmembers = [{members}]"
        );
        if let Some((n, l)) = &w.replicas {
            let _ = writeln!(o, "replicas = {n}  # {}:{l}", w.file);
        }
        if let Some((a, l)) = &w.anti_affinity {
            let _ = writeln!(o, "anti_affinity = \"{a}\"  # {}:{l}", w.file);
        }
        if let Some((s, l)) = &w.strategy {
            let _ = writeln!(o, "strategy = \"{s}\"  # {}:{l}", w.file);
        }
        if let Some(((secs, taint), l)) = &w.toleration {
            let _ = writeln!(
                o,
                "tolerationSeconds = \"{secs}s\"  # {}:{l} ({taint})",
                w.file
            );
        }
        if let Some((m, l)) = &w.cpu {
            let _ = writeln!(o, "cpu = \"{m}m\"  # {}:{l}", w.file);
        }
        if let Some((b, l)) = &w.memory {
            let _ = writeln!(o, "memory = \"{}\"  # {}:{l}", bytes(*b), w.file);
        }
        // The volume: a claim template's class, or a claim's.
        let mut claims = w.claims.clone();
        for (n, l) in &w.claim_names {
            match k.pvcs.iter().find(|(p, _, _)| p == n) {
                Some((_, Some(sc), rwo)) => claims.push((sc.clone(), *rwo, *l)),
                _ => summary.push(format!(
                    "{}:{l}: claim {n} of {} is not in the files (or names no storage class): its volume is left out",
                    w.file, w.name
                )),
            }
        }
        if let Some((sc, rwo, l)) = claims.first() {
            match classes.iter().find(|(n, _)| n == sc) {
                Some((_, c)) => {
                    let _ = writeln!(o, "volume = \"{c}.up\"  # {}:{l}", w.file);
                    if *rwo {
                        let _ = writeln!(o, "rwo = true  # {}:{l}", w.file);
                    }
                    used_classes.push(c.clone());
                }
                None => summary.push(format!(
                    "{}:{l}: storage class {sc} of {} is not a Longhorn StorageClass in the files: its volume is left out",
                    w.file, w.name
                )),
            }
            if claims.len() > 1 {
                summary.push(format!(
                    "{cluster}: only the first of {} volumes is modelled",
                    claims.len()
                ));
            }
        }
        let _ = writeln!(o);
        if let (Some((u, l)), Some((s, _))) = (&w.max_unavailable, &w.strategy) {
            if s == "RollingUpdate" {
                summary.push(format!(
                    "{}:{l}: maxUnavailable {u}{}: the deployment kind rolls with the defaults (maxSurge 25%, maxUnavailable 25%)",
                    w.file,
                    w.max_surge.as_ref().map_or(String::new(), |(s, _)| format!(", maxSurge {s}"))
                ));
            }
        } else if let Some((u, l)) = &w.max_unavailable {
            summary.push(format!(
                "{}:{l}: maxUnavailable {u}: the deployment kind rolls with the defaults (maxSurge 25%, maxUnavailable 25%)",
                w.file
            ));
        }
        summary.extend(w.notes.iter().cloned());
        let service = unique(format!("{cluster}-service"), used);
        let _ = writeln!(
            o,
            "[services.{service}]\ndescription = {}\nrequires = \"{cluster}.up\"\n",
            super::toml_string(&format!("{} answers (a ready pod)", w.name))
        );
        summary.push(format!("{cluster}: {kind} {} from {}", w.name, w.file));
    }
    for (name, c) in &classes {
        if used_classes.contains(c) {
            continue;
        }
        let service = unique(format!("{c}-service"), used);
        let _ = writeln!(
            o,
            "[services.{service}]\ndescription = {}\nrequires = \"{c}.up\"\n",
            super::toml_string(&format!("a volume of StorageClass {name} serves I/O"))
        );
    }
}
