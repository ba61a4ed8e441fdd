//! Networks as graphs: which members of a cluster can talk to each other.
//!
//! ```toml
//! [networks.service]          # one L2 segment or VLAN
//! links = ["pve-1 -- sw-a", "pve-2 -- sw-a", "pve-3 -- sw-b", "sw-a -- sw-b via uplink"]
//! ```
//!
//! A link is usable while both of its ends (and its `via` element, a cable or
//! NIC with failures of its own) are up. A cluster with `network = "service"`
//! sees, at every callback, which connected component each member is in:
//! a failed switch or link partitions the members, and each protocol decides
//! what a partition means for it (etcd: only a side with a majority can
//! elect; VRRP: both sides hold the VIP). A member attaches to the network
//! through itself or, for a VM, through its host.

use super::diag::{did_you_mean, Diagnostic, Source};
use super::tree::{Kind, Span, Value};

/// A network: endpoints (elements) joined by links.
#[derive(Debug, Clone)]
pub struct Network {
    pub name: String,
    pub span: Span,
    /// Element indices that appear as link ends.
    pub endpoints: Vec<usize>,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Copy)]
pub struct Link {
    /// Indices into `endpoints`.
    pub a: usize,
    pub b: usize,
    /// An element the link itself depends on (a cable, a NIC).
    pub via: Option<usize>,
}

/// A cluster's view of its network, as input indices.
#[derive(Debug, Clone)]
pub struct ClusterNet {
    pub network: usize,
    /// Per endpoint of the network, the cluster input that says it is up.
    pub endpoint_inputs: Vec<usize>,
    /// Per link: endpoint indices and the input of its `via`, if any.
    pub links: Vec<(usize, usize, Option<usize>)>,
    /// Per member, the endpoint it attaches through.
    pub member_endpoint: Vec<usize>,
}

/// "Not connected": a member that is down or whose attachment is down.
pub const NO_COMPONENT: u32 = u32::MAX;

impl ClusterNet {
    /// Fills `out` with each member's connected component, or
    /// [`NO_COMPONENT`]. Connected components come from petgraph's
    /// union-find over the links that are up; networks are small and this
    /// runs only when an input of the cluster changed.
    pub fn components(&self, inputs: &[bool], n_members: usize, out: &mut Vec<u32>) {
        let n = self.endpoint_inputs.len();
        let mut uf = petgraph::unionfind::UnionFind::<usize>::new(n);
        let up = |e: usize| inputs[self.endpoint_inputs[e]];
        for &(a, b, via) in &self.links {
            if up(a) && up(b) && via.is_none_or(|v| inputs[v]) {
                uf.union(a, b);
            }
        }
        out.clear();
        for (m, member_up) in inputs.iter().enumerate().take(n_members) {
            let e = self.member_endpoint[m];
            out.push(if *member_up && up(e) {
                uf.find_mut(e) as u32
            } else {
                NO_COMPONENT
            });
        }
    }
}

/// Parses the `[networks]` section. `element` resolves a name to an element
/// index, with a located error when it is not one.
pub fn parse(
    src: &Source<'_>,
    section: &Value,
    element: &dyn Fn(&str, Span) -> Result<usize, Diagnostic>,
) -> Result<Vec<Network>, Diagnostic> {
    let Kind::Table(t) = &section.kind else {
        return Err(src.error(
            section.span.clone(),
            "`networks` should be a table of named networks",
        ));
    };
    let mut out = Vec::new();
    for (k, v) in &t.entries {
        let mut f = super::fields::Fields::new(src, v, format!("networks.{}", k.name))?;
        let links = f
            .strings("links")?
            .ok_or_else(|| f.missing("links", "[\"pve-1 -- switch\", \"pve-2 -- switch\"]"))?;
        f.string("description")?;
        f.finish(&["links", "description"])?;
        let mut net = Network {
            name: k.name.clone(),
            span: k.span.clone(),
            endpoints: Vec::new(),
            links: Vec::new(),
        };
        for (text, value) in links {
            let quote =
                usize::from(src.text.get(value.span.start..value.span.start + 1) == Some("\""));
            let base = value.span.start + quote;
            let (ends, via) = match text.split_once(" via ") {
                Some((e, v)) => (e, Some(v)),
                None => (text, None),
            };
            let Some((a, b)) = ends.split_once("--") else {
                return Err(src
                    .error(value.span.clone(), format!("`{text}` is not a link"))
                    .with_help("write links as \"a -- b\" or \"a -- b via cable\""));
            };
            // Locate each name in the string for errors.
            let locate = |name: &str| {
                let name = name.trim();
                let at = text.find(name).unwrap_or(0);
                (name.to_string(), base + at..base + at + name.len())
            };
            let endpoint = |name: &str, net: &mut Network| -> Result<usize, Diagnostic> {
                let (name, span) = locate(name);
                let e = element(&name, span)?;
                Ok(match net.endpoints.iter().position(|x| *x == e) {
                    Some(i) => i,
                    None => {
                        net.endpoints.push(e);
                        net.endpoints.len() - 1
                    }
                })
            };
            let a = endpoint(a, &mut net)?;
            let b = endpoint(b, &mut net)?;
            if a == b {
                return Err(src
                    .error(
                        value.span.clone(),
                        format!("`{text}` links an element to itself"),
                    )
                    .with_help(
                        "a link joins two different elements, such as a host and its switch",
                    ));
            }
            let via = match via {
                Some(v) => {
                    let (name, span) = locate(v);
                    Some(element(&name, span)?)
                }
                None => None,
            };
            net.links.push(Link { a, b, via });
        }
        out.push(net);
    }
    Ok(out)
}

/// The "no such network" error, with a hint.
pub fn unknown(src: &Source<'_>, name: &str, span: Span, known: &[Network]) -> Diagnostic {
    let d = src.error(span, format!("unknown network `{name}`"));
    match did_you_mean(name, known.iter().map(|n| n.name.as_str())) {
        Some(h) => d.with_help(h),
        None => d.with_help("define it as `[networks.NAME]` with `links = [\"a -- b\", ...]`"),
    }
}
