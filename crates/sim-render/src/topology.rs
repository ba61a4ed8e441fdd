//! The design as a picture, as data: one node per element, cluster and
//! service, the edges of the dependency graph between them, and which
//! elements are single points of failure. The playground lays it out
//! (layered, dependencies below what depends on them) and draws it; any
//! other front end can do the same from the JSON.
//!
//! A single point of failure is found two ways, and both are given:
//! - by replay ([`sim_core::analysis::single_failures`], the check behind
//!   `hasim validate`'s `single-point-of-failure` warning): the element is
//!   failed alone and a service is still down an hour later. This works for
//!   every model, failover machinery included;
//! - by the exact analysis ([`sim_core::exact::analyse`]): one of the
//!   element's failure modes is a minimal cut set of order 1 of a service.
//!   It exists only for the services the analysis solves (a non-monotone
//!   cluster output, such as a VRRP router with tracked processes, is not).

use serde::Serialize;
use sim_core::analysis;
use sim_core::exact::Analysis;
use sim_core::model::compile::{Model, NodeKind};
use sim_core::model::element::ElementKind;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topology {
    pub model: String,
    pub nodes: Vec<TopoNode>,
    /// `(from, to)` as indices into `nodes`: `to` depends on `from`.
    pub edges: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopoNode {
    /// The name in the model (a cluster's or service's name may repeat an
    /// element's, so the page keys nodes by `layer` and `name`).
    pub name: String,
    /// `element`, `cluster` or `service`.
    pub layer: &'static str,
    /// For an element the section's word ("power feed", "host", "vm"); for
    /// a cluster its kind ("etcd"); for a service "service".
    pub kind: String,
    /// Layer of the drawing, 0 at the bottom: sites and power, switches,
    /// failure domains, hosts, disks, VMs and components, clusters, services.
    pub rank: u32,
    /// Whether it can be failed by hand (`hasim scenario --fail NAME@T`):
    /// elements only.
    pub failable: bool,
    /// Services still down an hour after this element fails alone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spof_services: Vec<String>,
    /// Services of which one of this element's failure modes is a minimal
    /// cut set of order 1 in the exact analysis.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cut_set_of_one: Vec<String>,
    /// Clusters whose quorum this element's failure alone loses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quorum_lost: Vec<String>,
}

fn rank(kind: ElementKind) -> u32 {
    match kind {
        ElementKind::Site | ElementKind::PowerFeed => 0,
        ElementKind::Switch => 1,
        ElementKind::FailureDomain => 2,
        ElementKind::Host => 3,
        ElementKind::Disk => 4,
        ElementKind::Vm | ElementKind::Component => 5,
    }
}

/// The drawing's nodes and edges for `model`, with the single points of
/// failure from the replay and from `exact` (the model's exact analysis).
pub fn topology(model: &Model, exact: &Analysis) -> Topology {
    let mut nodes: Vec<TopoNode> = Vec::new();
    let node = |name: &str, layer, kind: String, rank, failable| TopoNode {
        name: name.to_string(),
        layer,
        kind,
        rank,
        failable,
        spof_services: Vec::new(),
        cut_set_of_one: Vec::new(),
        quorum_lost: Vec::new(),
    };
    for e in &model.elements {
        nodes.push(node(
            &e.name,
            "element",
            e.kind.label().to_string(),
            rank(e.kind),
            true,
        ));
    }
    let clusters = nodes.len();
    for c in &model.clusters {
        nodes.push(node(
            &c.name,
            "cluster",
            c.kind.kind().to_string(),
            6,
            false,
        ));
    }
    let services = nodes.len();
    for s in &model.services {
        nodes.push(node(&s.name, "service", "service".to_string(), 7, false));
    }
    // Each graph node belongs to one drawn node: an element's, a cluster's
    // (its evaluation and its outputs), or a service's.
    let owner = |g: usize| match &model.nodes[g].kind {
        NodeKind::Element { element, .. } => *element,
        NodeKind::Cluster { cluster } | NodeKind::Output { cluster, .. } => clusters + cluster,
        NodeKind::Service { service, .. } => services + service,
    };
    let mut edges = BTreeSet::new();
    for (g, n) in model.nodes.iter().enumerate() {
        let from = owner(g);
        for &d in &n.dependents {
            let to = owner(d);
            if from != to {
                edges.insert((from, to));
            }
        }
    }
    // A cluster reads its members (and any further inputs) directly.
    for (c, cl) in model.clusters.iter().enumerate() {
        for &g in &cl.inputs {
            let from = owner(g);
            if from != clusters + c {
                edges.insert((from, clusters + c));
            }
        }
    }
    for f in analysis::single_failures(model) {
        let n = &mut nodes[f.element];
        n.spof_services = f
            .services_down
            .iter()
            .map(|s| model.services[*s].name.clone())
            .collect();
        n.quorum_lost = f
            .quorum_lost
            .iter()
            .map(|(c, _)| model.clusters[*c].name.clone())
            .collect();
    }
    for report in &exact.services {
        let Ok(e) = &report.result else { continue };
        for cut in e.cut_sets.iter().filter(|c| c.parts.len() == 1) {
            let Some(cause) = model.causes.iter().find(|c| c.label == cut.parts[0]) else {
                continue;
            };
            let list = &mut nodes[cause.element].cut_set_of_one;
            if !list.contains(&report.name) {
                list.push(report.name.clone());
            }
        }
    }
    Topology {
        model: model.name.clone(),
        nodes,
        edges: edges.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::model::compile::load;

    const TEXT: &str = r#"
[model]
name = "t"
[power.utility]
failures = [{ every = "exp(1y)", repair = "exp(1h)" }]
[hosts.a]
requires = "utility"
failures = [{ every = "exp(1y)", repair = "exp(1h)" }]
[hosts.b]
requires = "utility"
failures = [{ every = "exp(1y)", repair = "exp(1h)" }]
[services.s]
requires = "a | b"
"#;

    #[test]
    fn one_node_per_element_and_the_shared_feed_is_the_single_point_of_failure() {
        let m = load("t.toml", TEXT).unwrap();
        let t = topology(&m, &sim_core::exact::analyse(&m, Default::default()));
        let names: Vec<(&str, &str)> = t.nodes.iter().map(|n| (n.layer, n.name.as_str())).collect();
        assert_eq!(
            names,
            [
                ("element", "utility"),
                ("element", "a"),
                ("element", "b"),
                ("service", "s")
            ]
        );
        // utility -> a, utility -> b, a -> s, b -> s.
        assert_eq!(t.edges, [(0, 1), (0, 2), (1, 3), (2, 3)]);
        assert_eq!(t.nodes[0].spof_services, ["s"]);
        assert_eq!(t.nodes[0].cut_set_of_one, ["s"]);
        for n in &t.nodes[1..] {
            assert!(
                n.spof_services.is_empty() && n.cut_set_of_one.is_empty(),
                "{}",
                n.name
            );
        }
    }
}
