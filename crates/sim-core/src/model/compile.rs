//! From the spanned tree to a validated, compiled [`Model`].
//!
//! The compiler resolves every name, builds the dependency graph with petgraph
//! (an edge from what is required to what requires it), rejects unknown
//! references and cycles with located errors, and numbers the graph's nodes in
//! topological order so the simulation can re-evaluate a changed node's
//! dependents in one forward sweep.

use super::diag::{did_you_mean, Diagnostic, ModelError, Source};
use super::expr::{self, Expr};
use super::fields::{inline_error, Fields};
use super::presets;
use super::tree::{self, Format, Kind, Span, Value};
use crate::cluster::{self, ClusterKind, Registry};
use crate::dist::Dist;
use crate::time::Nanos;
use indexmap::IndexMap;
use petgraph::graph::{DiGraph, NodeIndex};
use std::sync::Arc;

pub use super::element::ElementKind;
pub use super::expr::{CExpr, CounterPlan};

/// The element kinds a VM's `host` may name.
const VM_HOSTS: &[ElementKind] = &[ElementKind::Host, ElementKind::Vm];
pub const TOP_SECTIONS: &[&str] = &[
    "model",
    "crews",
    "sites",
    "power",
    "switches",
    "domains",
    "hosts",
    "disks",
    "vms",
    "components",
    "networks",
    "clusters",
    "services",
    "design",
];
pub const SERVICE_KEYS: &[&str] = &["requires", "description", "target"];
pub const ELEMENT_KEYS: &[&str] = &[
    "description",
    "requires",
    "failures",
    "maintenance",
    "host",
    "battery",
    "generator",
    "degradations",
];
pub const FAILURE_KEYS: &[&str] = &[
    "preset",
    "mode",
    "every",
    "repair",
    "crew",
    "latent",
    "detected_by",
    "check_every",
    "description",
];
/// The keys of a power element's `battery = { ... }`.
pub const BATTERY_KEYS: &[&str] = &[
    "runtime",
    "recharge",
    "replace_every",
    "end_of_life",
    "shutdown_at",
];
/// The keys of a power element's `generator = { ... }`.
pub const GENERATOR_KEYS: &[&str] = &["start_delay", "start_failure", "run_failure_every", "fuel"];
pub const MAINTENANCE_KEYS: &[&str] = &["mode", "every", "duration", "offset", "description"];

/// A compiled model, ready to simulate. Immutable and shareable across threads.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub description: Option<String>,
    /// FNV-1a 64-bit hash of the model text (hex). It identifies the model in
    /// results so `hasim merge` can refuse shards of different models; it is a
    /// fingerprint, not a security measure.
    pub text_hash: String,
    pub elements: Vec<Element>,
    pub clusters: Vec<Cluster>,
    pub services: Vec<Service>,
    pub crews: Vec<Crew>,
    /// Graph nodes in topological order: every node comes after all it depends on.
    pub nodes: Vec<Node>,
    /// Every failure mode in the model, numbered; downtime is attributed to these.
    pub causes: Vec<CauseInfo>,
    /// Notes on presets that are assumptions, to show the user.
    pub assumptions: Vec<String>,
    pub networks: Vec<super::network::Network>,
    /// The `[design]` space, when the model declares one (the planner's).
    pub design: Option<super::design::DesignSpace>,
    /// Every node's `requires` as counters, for incremental evaluation.
    pub counters: CounterPlan,
    /// Where degradations reach (empty vectors without any).
    pub gray: super::gray::GrayMap,
}

#[derive(Debug, Clone)]
pub struct Element {
    pub name: String,
    /// Where the element is defined in the source (its key).
    pub span: Span,
    /// What the section says it is.
    pub kind: ElementKind,
    pub node: usize,
    pub modes: Vec<FailureMode>,
    /// For a VM, the host it runs on.
    pub host: Option<usize>,
    /// Gray failures: episodes that leave it up but slow (see
    /// [`super::gray`]).
    pub degradations: Vec<super::gray::Degradation>,
    /// For a power element with a battery (a UPS): what carries its loads
    /// through an outage of what it `requires`.
    pub battery: Option<Battery>,
    /// For a power element with a standby generator: what takes over from
    /// its `requires` after an outage begins.
    pub generator: Option<Generator>,
}

/// A UPS battery (`battery = { runtime = "30m" }` on a `[power.X]`). While
/// the element's `requires` holds, the battery charges; when it stops
/// holding, the element stays up on the battery for the charge it has,
/// then goes down (or, with `shutdown_at`, stops its loads as planned
/// maintenance at that much remaining runtime, as NUT's upsmon does on the
/// UPS's low-battery signal).
#[derive(Debug, Clone, PartialEq)]
pub struct Battery {
    /// Runtime of a new, full battery at the element's load.
    pub runtime: Nanos,
    /// Time to recharge from empty to full; charging is taken as linear.
    pub recharge: Nanos,
    /// Battery replacement interval: the runtime fades linearly from
    /// `runtime` to `end_of_life * runtime` over it and is new again after.
    pub replace_every: Option<Nanos>,
    /// The share of the new runtime left when the battery is replaced.
    pub end_of_life: f64,
    /// Remaining runtime at which the loads are shut down gracefully, if
    /// they are.
    pub shutdown_at: Option<Nanos>,
}

/// A standby generator (`generator = { start_failure = 0.02 }` on a
/// `[power.X]`). When the element's `requires` stops holding, the
/// generator is asked to start: it fails to start with probability
/// `start_failure`, else it carries the element's loads from
/// `start_delay` later until the `requires` holds again, its fuel runs
/// out, or it fails while running. The battery, if the element has one,
/// bridges the start delay and takes over when the generator stops; an
/// element without a battery is down for the start delay.
#[derive(Debug, Clone, PartialEq)]
pub struct Generator {
    /// From the outage to the transfer switch putting the generator on the
    /// load.
    pub start_delay: Nanos,
    /// Probability that a start fails (the generator then stays off for
    /// the rest of that outage).
    pub start_failure: f64,
    /// Time to a failure while running, counted from the start; the
    /// generator stays off for the rest of that outage.
    pub run_failure_every: Dist,
    /// Running time on a full tank; the tank is refilled between outages.
    pub fuel: Option<Nanos>,
    /// The causes its start failures and running failures are charged to.
    pub start_cause: u32,
    pub run_cause: u32,
}

/// How a latent failure mode is found (`latent = true` in a failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latent {
    /// The interval of the periodic check that finds it (`"check every 7d"`
    /// or `check_every = "7d"`); the checks' phase is drawn per replication.
    pub check_every: Option<Nanos>,
    /// Found the moment a service that depends on the element goes down
    /// while the failure is hidden (the failover that needed it failed).
    pub on_failover: bool,
    /// The `latent` key's value, for errors about the mode.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct FailureMode {
    pub name: String,
    /// Time to failure (or, for maintenance, time between window starts).
    pub every: Dist,
    /// Time to repair (or the window's duration).
    pub repair: Dist,
    /// Planned maintenance rather than a failure.
    pub planned: bool,
    /// For maintenance: when the first window starts. `None` draws a uniform
    /// phase in [0, mean interval) per replication, so windows do not line up
    /// across elements by accident.
    pub offset: Option<Nanos>,
    pub crew: Option<usize>,
    /// Index into [`Model::causes`].
    pub cause: u32,
    /// Set for a latent (hidden) failure: the element is down from the
    /// failure on, but its repair starts only when the failure is found.
    pub latent: Option<Latent>,
}

#[derive(Debug, Clone)]
pub struct CauseInfo {
    pub element: usize,
    pub mode: String,
    pub planned: bool,
    /// A degradation (gray failure) rather than a failure mode: what it
    /// causes is reported apart from what real failures cause.
    pub gray: bool,
    /// `element mode`, as shown to users.
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Crew {
    pub name: String,
    pub size: u32,
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    pub span: Span,
    pub kind: Arc<dyn ClusterKind>,
    /// Graph nodes the cluster reads: its members in the order written,
    /// then any further references its kind added (see [`cluster::Inputs`]).
    pub inputs: Vec<usize>,
    /// How many of `inputs` are members.
    pub n_members: usize,
    pub member_names: Vec<String>,
    /// The cluster's own node (evaluated after its members).
    pub node: usize,
    /// One node per output, in the order of `kind.output_names()`.
    pub outputs: Vec<usize>,
    /// The network whose partitions the cluster sees (`network = "..."`).
    pub net: Option<super::network::ClusterNet>,
    /// Graph nodes of the services that depend on this cluster's failing
    /// share (see [`ClusterKind::share_output`]), re-evaluated when it changes.
    pub share_services: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub span: Span,
    pub description: Option<String>,
    pub node: usize,
    /// The data-loss counts of the clusters this service depends on,
    /// directly or not, as (cluster, index into its counts): the whole
    /// cluster's count, and for a cluster with data sets (Longhorn volumes)
    /// only the sets whose outputs the service reads.
    pub data_loss_counts: Vec<(usize, usize)>,
    /// (cluster, output index) of the outputs with a failing share (see
    /// [`ClusterKind::share_output`]) that this service depends on, directly
    /// or not: while the service is up, that share of its requests fails.
    pub share_sources: Vec<(usize, usize)>,
    /// (element, mode) of the latent failure modes on elements this
    /// service depends on, directly or not, in element order: an outage of
    /// the service finds those of them that are hidden at that moment.
    pub latent_modes: Vec<(usize, usize)>,
    /// The availability the service must reach (`target = "99.9%"`), which
    /// `hasim check` gates on.
    pub target: Option<f64>,
}

/// A node of the dependency graph.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub kind: NodeKind,
    /// Nodes that read this one, as indices (all larger than this node's).
    pub dependents: Vec<usize>,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    /// Up while none of its failure modes is active and `requires` holds.
    Element {
        element: usize,
        requires: Option<CExpr>,
    },
    /// Evaluating it runs the cluster model's `on_inputs`.
    Cluster {
        cluster: usize,
    },
    /// Set by the cluster model.
    Output {
        cluster: usize,
        index: usize,
    },
    Service {
        service: usize,
        requires: CExpr,
    },
}

/// Loads a model from text. `name` is used in error messages (a file path).
/// Checks that a model file's bytes are UTF-8 text; otherwise a located
/// error with the line, the column and the byte offset of the first invalid
/// byte (an editor that saved Latin-1, a binary file given by mistake).
pub fn decode<'b>(name: &str, bytes: &'b [u8]) -> Result<&'b str, ModelError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let text = std::str::from_utf8(&bytes[..at]).expect("valid up to here");
        let bad: Vec<String> = bytes[at..]
            .iter()
            .take(e.error_len().unwrap_or(bytes.len() - at).clamp(1, 4))
            .map(|b| format!("0x{b:02x}"))
            .collect();
        let src = Source { name, text };
        let d = src.error(
            at..at,
            format!(
                "the file is not UTF-8 text: invalid byte {} at byte offset {at}",
                bad.join(" ")
            ),
        );
        d.with_help("model files are UTF-8: re-save it as UTF-8 in your editor")
            .into()
    })
}

/// A loaded model file: its name and text, the spanned tree it parsed to
/// (what sweeps, design searches and placements edit) and the compiled
/// model, together, so no caller parses the text twice.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The name diagnostics use (the path as given).
    pub name: String,
    pub text: String,
    pub tree: Value,
    pub model: Model,
}

impl Loaded {
    /// Loads with the kinds hasim ships.
    pub fn new(name: &str, text: &str) -> Result<Loaded, ModelError> {
        Loaded::with(crate::protocols::builtin(), name, text)
    }

    /// Loads with the kinds of `registry`.
    pub fn with(registry: &Registry, name: &str, text: &str) -> Result<Loaded, ModelError> {
        let src = Source { name, text };
        let tree = tree::parse(&src, Format::detect(name, text))?;
        let model = compile_with(registry, &src, &tree)?;
        Ok(Loaded {
            name: name.to_string(),
            text: text.to_string(),
            tree,
            model,
        })
    }

    /// The source, for diagnostics and edits.
    pub fn source(&self) -> Source<'_> {
        Source {
            name: &self.name,
            text: &self.text,
        }
    }
}

/// Loads a model with the kinds hasim ships.
pub fn load(name: &str, text: &str) -> Result<Model, ModelError> {
    load_with(crate::protocols::builtin(), name, text)
}

/// Loads a model with the kinds of `registry` (the built-in ones plus a
/// library user's own).
pub fn load_with(registry: &Registry, name: &str, text: &str) -> Result<Model, ModelError> {
    let format = Format::detect(name, text);
    let src = Source { name, text };
    let tree = tree::parse(&src, format)?;
    compile_with(registry, &src, &tree)
}

/// Compiles an already parsed (and possibly edited) tree.
pub fn compile(src: &Source<'_>, root: &Value) -> Result<Model, ModelError> {
    compile_with(crate::protocols::builtin(), src, root)
}

/// [`compile`] with the kinds of `registry`.
pub fn compile_with(
    registry: &Registry,
    src: &Source<'_>,
    root: &Value,
) -> Result<Model, ModelError> {
    let model = compile_one(registry, src, root)?;
    if let Some(space) = &model.design {
        super::design::check(src, root, space, |t| {
            compile_one(registry, src, t).map(drop)
        })?;
    }
    Ok(model)
}

/// Compiles one design without checking the `[design]` options: the
/// planner uses it for each combination, after [`compile`] has checked them.
pub fn compile_one(
    registry: &Registry,
    src: &Source<'_>,
    root: &Value,
) -> Result<Model, ModelError> {
    Compiler::new(registry, src).run(root)
}

#[derive(Clone, Copy)]
enum Entity {
    Element(usize),
    Cluster(usize),
    Service(usize),
}

struct Compiler<'s> {
    registry: &'s Registry,
    src: &'s Source<'s>,
    names: IndexMap<String, (Entity, Span)>,
    /// Graph nodes before topological sorting.
    nodes: Vec<Node>,
    node_spans: Vec<Span>,
    edges: Vec<(usize, usize, Span)>,
    elements: Vec<Element>,
    clusters: Vec<Cluster>,
    services: Vec<Service>,
    crews: Vec<Crew>,
    causes: Vec<CauseInfo>,
    assumptions: Vec<String>,
    networks: Vec<super::network::Network>,
    design: Option<super::design::DesignSpace>,
}

/// Ends a phase of the compiler: the errors collected so far, if any.
fn phase_done(errors: &mut Vec<Diagnostic>) -> Result<(), ModelError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ModelError {
            diagnostics: std::mem::take(errors),
        })
    }
}

fn fnv1a(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl<'s> Compiler<'s> {
    fn new(registry: &'s Registry, src: &'s Source<'s>) -> Self {
        Compiler {
            registry,
            src,
            names: IndexMap::new(),
            nodes: Vec::new(),
            node_spans: Vec::new(),
            edges: Vec::new(),
            elements: Vec::new(),
            clusters: Vec::new(),
            services: Vec::new(),
            crews: Vec::new(),
            causes: Vec::new(),
            assumptions: Vec::new(),
            networks: Vec::new(),
            design: None,
        }
    }

    fn add_node(&mut self, name: String, kind: NodeKind, span: Span) -> usize {
        self.nodes.push(Node {
            name,
            kind,
            dependents: Vec::new(),
        });
        self.node_spans.push(span);
        self.nodes.len() - 1
    }

    fn register(&mut self, name: &str, span: Span, entity: Entity) -> Result<(), Diagnostic> {
        if let Some((_, first)) = self.names.get(name) {
            let first = self.src.error(first.clone(), "");
            return Err(self
                .src
                .error(span, format!("`{name}` is defined twice"))
                .with_help(format!(
                    "names are shared by all sections; the first `{name}` is at line {}",
                    first.line
                )));
        }
        if !name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            || name.is_empty()
        {
            return Err(self
                .src
                .error(span, format!("`{name}` is not a valid name"))
                .with_help("names use letters, digits, `-` and `_`, so they can be referenced in `requires`"));
        }
        self.names.insert(name.to_string(), (entity, span));
        Ok(())
    }

    fn run(mut self, root: &Value) -> Result<Model, ModelError> {
        let mut top = Fields::new(self.src, root, "the model")?;
        let (mut name, mut description) = (None, None);
        if let Some(m) = top.raw("model") {
            let mut f = Fields::new(self.src, m, "model")?;
            name = f.string("name")?.map(|(s, _)| s.to_string());
            description = f.string("description")?.map(|(s, _)| s.to_string());
            f.finish(&["name", "description"])?;
        }
        let name = name.unwrap_or_else(|| {
            let base = self
                .src
                .name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(self.src.name);
            base.trim_end_matches(".toml")
                .trim_end_matches(".json")
                .to_string()
        });

        if let Some(crews) = top.raw("crews") {
            let crews = section_table(self.src, crews, "crews")?;
            for (k, v) in &crews.entries {
                let mut f = Fields::new(self.src, v, format!("crews.{}", k.name))?;
                let size = f.int("size", 1, 1000)?.unwrap_or(1) as u32;
                f.finish(&["size", "description"])?;
                self.crews.push(Crew {
                    name: k.name.clone(),
                    size,
                });
            }
        }

        // Errors are collected phase by phase, rustc style: every mistake in
        // independent parts (two elements, two clusters) is reported at once,
        // but a phase that failed stops the load, so a broken cluster does
        // not also produce an "unknown state" error at every reference.
        let mut errors: Vec<Diagnostic> = Vec::new();
        // Pass 1: register every name so references can point forward.
        let mut element_tables = Vec::new();
        for kind in ElementKind::ALL {
            let section = kind.section();
            if let Some(sec) = top.raw(section) {
                for (k, v) in &section_table(self.src, sec, section)?.entries {
                    let id = self.elements.len();
                    errors.extend(
                        self.register(&k.name, k.span.clone(), Entity::Element(id))
                            .err(),
                    );
                    let node = self.add_node(
                        k.name.clone(),
                        NodeKind::Element {
                            element: id,
                            requires: None,
                        },
                        k.span.clone(),
                    );
                    self.elements.push(Element {
                        name: k.name.clone(),
                        span: k.span.clone(),
                        kind,
                        node,
                        modes: Vec::new(),
                        host: None,
                        battery: None,
                        generator: None,
                        degradations: Vec::new(),
                    });
                    element_tables.push((id, format!("{section}.{}", k.name), v));
                }
            }
        }
        let mut cluster_tables = Vec::new();
        if let Some(sec) = top.raw("clusters") {
            for (k, v) in &section_table(self.src, sec, "clusters")?.entries {
                let id = self.clusters.len();
                errors.extend(
                    self.register(&k.name, k.span.clone(), Entity::Cluster(id))
                        .err(),
                );
                cluster_tables.push((id, k, v));
                // Placeholder until the kind (and so the outputs) is known.
                self.clusters.push(Cluster {
                    name: k.name.clone(),
                    span: k.span.clone(),
                    kind: Arc::new(PendingKind),
                    inputs: Vec::new(),
                    n_members: 0,
                    member_names: Vec::new(),
                    node: usize::MAX,
                    outputs: Vec::new(),
                    net: None,
                    share_services: Vec::new(),
                });
            }
        }
        let mut service_tables = Vec::new();
        if let Some(sec) = top.raw("services") {
            for (k, v) in &section_table(self.src, sec, "services")?.entries {
                let id = self.services.len();
                errors.extend(
                    self.register(&k.name, k.span.clone(), Entity::Service(id))
                        .err(),
                );
                let node = self.add_node(
                    k.name.clone(),
                    NodeKind::Service {
                        service: id,
                        requires: CExpr::All(vec![]),
                    },
                    k.span.clone(),
                );
                self.services.push(Service {
                    name: k.name.clone(),
                    span: k.span.clone(),
                    description: None,
                    node,
                    data_loss_counts: Vec::new(),
                    share_sources: Vec::new(),
                    latent_modes: Vec::new(),
                    target: None,
                });
                service_tables.push((id, k, v));
            }
        }
        phase_done(&mut errors)?;
        if let Some(v) = top.raw("networks") {
            let elements = |name: &str, span: Span| match self.names.get(name) {
                Some((Entity::Element(e), _)) => Ok(*e),
                Some(_) => Err(self.src.error(
                    span,
                    format!(
                        "`{name}` is not an element: links join hosts, switches and other elements"
                    ),
                )),
                None => Err(self
                    .resolve(name, None, span.start, span.end)
                    .err()
                    .unwrap_or_else(|| self.src.error(span, format!("unknown element `{name}`")))),
            };
            let nets = super::network::parse(self.src, v, &elements)?;
            for n in &nets {
                if let Some((_, first)) = self.names.get(&n.name) {
                    let line = self.src.error(first.clone(), "").line;
                    return Err(self
                        .src
                        .error(
                            n.span.clone(),
                            format!(
                                "network `{}` has the name of an element or cluster (line {line})",
                                n.name
                            ),
                        )
                        .into());
                }
            }
            self.networks = nets;
        }
        // The design space is checked here, so every command reports its
        // mistakes, but only the planner uses it.
        self.design = match top.raw("design") {
            Some(v) => Some(super::design::read(self.src, v)?),
            None => None,
        };
        top.finish(TOP_SECTIONS)?;

        // Cluster kinds first: element and service expressions may reference
        // their outputs.
        let mut cluster_inputs = Vec::new();
        let mut cluster_nets = Vec::new();
        for (id, key, v) in &cluster_tables {
            let r = (|| -> Result<(), Diagnostic> {
                let mut f = Fields::new(self.src, v, format!("clusters.{}", key.name))?;
                let (kind_name, kind_value) = f
                    .string("kind")?
                    .ok_or_else(|| f.missing("kind", "\"quorum\""))?;
                let members = f
                    .strings("members")?
                    .ok_or_else(|| f.missing("members", "[\"a\", \"b\", \"c\"]"))?;
                if members.is_empty() {
                    return Err(self.src.error(
                        f.raw("members").expect("read above").span.clone(),
                        "a cluster needs at least one member",
                    ));
                }
                for (i, (m, v)) in members.iter().enumerate() {
                    if let Some((_, first)) =
                        members[..i].iter().find(|(o, _)| o.trim() == m.trim())
                    {
                        let col = self.src.error(first.span.clone(), "").column;
                        return Err(self
                        .src
                        .error(v.span.clone(), format!("`{}` is listed twice in `members`", m.trim()))
                        .with_help(format!(
                            "each member is one machine and one vote; the first `{}` is at column {col}",
                            m.trim()
                        )));
                    }
                }
                f.string("description")?;
                // Members are the first inputs; a kind may add more (a tracked
                // process, the DCS it depends on) while reading its parameters.
                let mut inputs = cluster::Inputs {
                    refs: members.clone(),
                    n_members: members.len(),
                };
                let registry = self.registry;
                let spec = registry.get(kind_name).ok_or_else(|| {
                    let d = self.src.error(
                        kind_value.span.clone(),
                        format!("unknown cluster kind `{kind_name}`"),
                    );
                    match did_you_mean(kind_name, registry.names()) {
                        Some(h) => d.with_help(h),
                        None => d.with_help(format!(
                            "known kinds: {}",
                            registry.names().collect::<Vec<_>>().join(", ")
                        )),
                    }
                })?;
                let kind = (spec.build)(&mut f, &mut inputs)?;
                let net = f
                    .string("network")?
                    .map(|(n, v)| (n.to_string(), v.span.clone()));
                cluster_nets.push((*id, net));
                let known: Vec<&str> = cluster::COMMON_KEYS
                    .iter()
                    .copied()
                    .chain(spec.key_names())
                    .collect();
                // A kind that reads a key its spec does not declare would
                // accept a key the schema and the docs do not know: refuse
                // it here, where every model using the kind hits it at once.
                if let Some(k) = f.asked().find(|k| !known.contains(k)) {
                    return Err(f.src.error(
                        key.span.clone(),
                        format!("kind `{}` reads key `{k}`, which its KeySpec list does not declare (a bug in the kind)", spec.name),
                    ));
                }
                f.finish(&known)?;
                let node = self.add_node(
                    key.name.clone(),
                    NodeKind::Cluster { cluster: *id },
                    key.span.clone(),
                );
                let names = kind.output_names();
                let outputs = (0..names.len())
                    .map(|i| {
                        let label = format!("{}.{}", key.name, names[i]);
                        self.add_node(
                            label,
                            NodeKind::Output {
                                cluster: *id,
                                index: i,
                            },
                            key.span.clone(),
                        )
                    })
                    .collect::<Vec<_>>();
                for o in &outputs {
                    self.edges.push((node, *o, key.span.clone()));
                }
                let c = &mut self.clusters[*id];
                c.kind = kind;
                c.node = node;
                c.outputs = outputs;
                c.n_members = members.len();
                c.member_names = members.iter().map(|(m, _)| m.to_string()).collect();
                cluster_inputs.push((*id, inputs.refs));
                Ok(())
            })();
            errors.extend(r.err());
        }
        phase_done(&mut errors)?;
        for (id, refs) in cluster_inputs {
            let r = (|| -> Result<(), Diagnostic> {
                let node = self.clusters[id].node;
                let mut resolved = Vec::new();
                for (i, (m, v)) in refs.into_iter().enumerate() {
                    let quote = usize::from(
                        self.src.text.get(v.span.start..v.span.start + 1) == Some("\""),
                    );
                    let e = expr::parse(m).map_err(|e| inline_error(self.src, v, e))?;
                    let Expr::Ref { name, state, .. } = &e else {
                        return Err(self.src.error(
                            v.span.clone(),
                            "expected one name (or `cluster.state`), not an expression",
                        ));
                    };
                    let n = self.resolve(
                        name,
                        state.as_deref(),
                        v.span.start + quote,
                        v.span.end - quote,
                    )?;
                    if i < self.clusters[id].n_members {
                        self.check_member(id, name, state.is_some(), v)?;
                    }
                    self.edges.push((n, node, v.span.clone()));
                    resolved.push(n);
                }
                self.clusters[id].inputs = resolved;
                Ok(())
            })();
            errors.extend(r.err());
        }
        phase_done(&mut errors)?;

        for (id, path, v) in element_tables {
            errors.extend(self.element(id, &path, v).err());
        }
        phase_done(&mut errors)?;
        // Networks need every VM's host, so they attach after the elements.
        for (id, net) in cluster_nets {
            if let Some((name, span)) = net {
                errors.extend(self.attach_network(id, &name, span).err());
            }
        }
        phase_done(&mut errors)?;
        for (id, key, v) in service_tables {
            let r = (|| -> Result<(), Diagnostic> {
                let mut f = Fields::new(self.src, v, format!("services.{}", key.name))?;
                let (text, value) = f
                    .string("requires")?
                    .ok_or_else(|| f.missing("requires", "\"etcd.quorum & vip.up\""))?;
                let node = self.services[id].node;
                let requires = self.expression(text, value, node)?;
                self.services[id].description =
                    f.string("description")?.map(|(s, _)| s.to_string());
                self.services[id].target = match f.raw("target") {
                    None => None,
                    Some(v) => {
                        let text = match &v.kind {
                            Kind::Str(s) => s.clone(),
                            Kind::Float(x) => x.to_string(),
                            Kind::Int(x) => x.to_string(),
                            other => {
                                return Err(self.src.error(
                                    v.span.clone(),
                                    format!("`target` should be an availability such as \"99.9%\", found {}", other.type_name()),
                                ))
                            }
                        };
                        Some(
                            crate::stats::parse_availability(&text).map_err(|m| {
                                self.src.error(v.span.clone(), format!("target {m}"))
                            })?,
                        )
                    }
                };
                f.finish(SERVICE_KEYS)?;
                self.nodes[node].kind = NodeKind::Service {
                    service: id,
                    requires,
                };
                Ok(())
            })();
            errors.extend(r.err());
        }
        phase_done(&mut errors)?;
        if self.services.is_empty() {
            return Err(self
                .src
                .error(0..0, "the model defines no services")
                .with_help("add a `[services.NAME]` table with `requires = \"...\"`: services are what hasim reports on")
                .into());
        }

        Ok(self.finish(name, description)?)
    }

    /// Refuses a member of the wrong kind (a power feed as a Proxmox node, a
    /// whole cluster as an etcd member, a service as a vote), naming the kind
    /// found and the kinds allowed.
    fn check_member(
        &self,
        cluster: usize,
        name: &str,
        has_state: bool,
        v: &Value,
    ) -> Result<(), Diagnostic> {
        let c = &self.clusters[cluster];
        let kind = c.kind.kind();
        let rule = c.kind.members();
        let allowed = match rule {
            cluster::Members::Any => {
                "elements (hosts, VMs, components, ...) and cluster states".to_string()
            }
            cluster::Members::Machines(kinds) => format!(
                "{} (or a cluster state standing for one, such as `pve.vm-1`)",
                kinds
                    .iter()
                    .map(|k| format!("{k}s"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let found = match (self.names.get(name).map(|(e, _)| *e), rule) {
            (Some(Entity::Service(_)), _) => "a service".to_string(),
            (Some(Entity::Element(e)), cluster::Members::Machines(kinds))
                if !kinds.contains(&self.elements[e].kind) =>
            {
                format!("a {}", self.elements[e].kind)
            }
            (Some(Entity::Cluster(o)), cluster::Members::Machines(_)) if !has_state => {
                format!("a whole cluster ({})", self.clusters[o].kind.kind())
            }
            _ => return Ok(()),
        };
        Err(self
            .src
            .error(
                v.span.clone(),
                format!("`{name}` is {found}, not a member a `{kind}` cluster can have"),
            )
            .with_help(format!("members of a `{kind}` cluster are {allowed}")))
    }

    fn element(&mut self, id: usize, path: &str, v: &Value) -> Result<(), Diagnostic> {
        let mut f = Fields::new(self.src, v, path.to_string())?;
        f.string("description")?;
        let node = self.elements[id].node;
        let mut parts = Vec::new();
        if let Some((host, hv)) = f.string("host")? {
            if self.elements[id].kind != ElementKind::Vm {
                return Err(self.src.error(
                    hv.span.clone(),
                    "only `vms` have a `host`; other elements use `requires`",
                ));
            }
            let quote = 1;
            let n = self.resolve(host, None, hv.span.start + quote, hv.span.end - quote)?;
            match self.names.get(host) {
                Some((Entity::Element(h), _)) if VM_HOSTS.contains(&self.elements[*h].kind) => {
                    self.elements[id].host = Some(*h)
                }
                found => {
                    let found = match found {
                        Some((Entity::Element(h), _)) => format!("a {}", self.elements[*h].kind),
                        Some((Entity::Cluster(c), _)) => {
                            format!("a cluster ({})", self.clusters[*c].kind.kind())
                        }
                        _ => "a service".to_string(),
                    };
                    return Err(self
                        .src
                        .error(
                            hv.span.clone(),
                            format!("`{host}` is {found}, not something a VM can run on"),
                        )
                        .with_help(
                            "a VM's `host` is a host (or a VM, for nested virtualisation)",
                        ));
                }
            }
            self.edges.push((n, node, hv.span.clone()));
            parts.push(CExpr::Ref(n));
        } else if self.elements[id].kind == ElementKind::Vm {
            return Err(f.missing("host", "\"proxmox-1\""));
        }
        if let Some((text, value)) = f.string("requires")? {
            parts.push(self.expression(text, value, node)?);
        }
        let requires = match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(CExpr::All(parts)),
        };
        self.nodes[node].kind = NodeKind::Element {
            element: id,
            requires,
        };

        let element_name = self.elements[id].name.clone();
        for (i, t) in f
            .tables("failures")?
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let mut ff = Fields::new(self.src, t, format!("{path}.failures[{i}]"))?;
            let preset = match ff.string("preset")? {
                None => None,
                Some((p, pv)) => Some(presets::find(p).ok_or_else(|| {
                    let d = self
                        .src
                        .error(pv.span.clone(), format!("unknown preset `{p}`"));
                    let names: Vec<&str> = presets::PRESETS.iter().map(|p| p.name).collect();
                    match did_you_mean(p, names.iter().copied()) {
                        Some(h) => d.with_help(h),
                        None => d.with_help(format!("known presets: {}", names.join(", "))),
                    }
                })?),
            };
            let every = match (ff.dist("every")?, preset) {
                (Some(d), _) => d,
                (None, Some(p)) => Dist::parse(p.every).expect("presets are tested to parse"),
                (None, None) => {
                    return Err(ff.missing("every", "\"exp(2y)\" (or `preset = \"server\"`)"))
                }
            };
            let repair = match (ff.dist("repair")?, preset) {
                (Some(d), _) => d,
                (None, Some(p)) => Dist::parse(p.repair).expect("presets are tested to parse"),
                (None, None) => {
                    return Err(ff.missing("repair", "\"lognormal(median=4h, sigma=1)\""))
                }
            };
            if every.mean() <= 0.0 {
                return Err(self.src.error(
                    t.span.clone(),
                    format!("`{path}.failures[{i}].every` must be longer than zero"),
                ));
            }
            let mode = match (ff.string("mode")?, preset) {
                (Some((m, _)), _) => m.to_string(),
                (None, Some(p)) => p.mode.to_string(),
                (None, None) => "failure".to_string(),
            };
            if let Some(p) = preset.filter(|p| p.assumption) {
                let note = format!("{}: preset `{}`: {}", element_name, p.name, p.source);
                if !self.assumptions.iter().any(|a| a.ends_with(p.source)) {
                    self.assumptions.push(note);
                }
            }
            let crew = match ff.string("crew")? {
                None => None,
                Some((c, cv)) => {
                    Some(self.crews.iter().position(|k| k.name == c).ok_or_else(|| {
                        let d = self
                            .src
                            .error(cv.span.clone(), format!("unknown crew `{c}`"));
                        match did_you_mean(c, self.crews.iter().map(|k| k.name.as_str())) {
                            Some(h) => d.with_help(h),
                            None => d.with_help("define it as `[crews.NAME]` with `size = 1`"),
                        }
                    })?)
                }
            };
            let latent = self.latent(&mut ff, &format!("{path}.failures[{i}]"))?;
            ff.string("description")?;
            ff.finish(FAILURE_KEYS)?;
            // A latent mode has its own cause label, so the downtime it
            // causes shows apart from the element's ordinary failures.
            let label = if latent.is_some() {
                format!("latent {mode}")
            } else {
                mode.clone()
            };
            let cause = self.add_cause(id, &label, false);
            self.elements[id].modes.push(FailureMode {
                name: mode,
                every,
                repair,
                planned: false,
                offset: None,
                crew,
                cause,
                latent,
            });
        }
        for (i, t) in f
            .tables("maintenance")?
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let mut ff = Fields::new(self.src, t, format!("{path}.maintenance[{i}]"))?;
            let every = ff
                .dist("every")?
                .ok_or_else(|| ff.missing("every", "\"30d\""))?;
            let duration = ff
                .dist("duration")?
                .ok_or_else(|| ff.missing("duration", "\"1h\""))?;
            if every.mean() <= 0.0 {
                return Err(self.src.error(
                    t.span.clone(),
                    "a maintenance interval must be longer than zero",
                ));
            }
            if duration.mean() >= every.mean() {
                return Err(self
                    .src
                    .error(t.span.clone(), format!("`{path}.maintenance[{i}]`: windows last as long as the interval between them"))
                    .with_help("a maintenance window must be shorter than `every`"));
            }
            let offset = ff.duration("offset")?;
            let mode = ff
                .string("mode")?
                .map_or("maintenance".to_string(), |(m, _)| m.to_string());
            ff.string("description")?;
            ff.finish(MAINTENANCE_KEYS)?;
            let cause = self.add_cause(id, &mode, true);
            self.elements[id].modes.push(FailureMode {
                name: mode,
                every,
                repair: duration,
                planned: true,
                offset,
                crew: None,
                cause,
                latent: None,
            });
        }
        if let Some(b) = f.raw("battery") {
            if self.elements[id].kind != ElementKind::PowerFeed {
                return Err(self
                    .src
                    .error(
                        b.span.clone(),
                        format!(
                            "`{path}.battery`: only power elements (`[power.NAME]`) have a battery"
                        ),
                    )
                    .with_help("model the UPS as `[power.ups]` with `requires = \"utility\"` and `battery = { runtime = \"30m\" }`, and let the hosts require `ups`"));
            }
            let battery = self.battery(b, &format!("{path}.battery"))?;
            self.elements[id].battery = Some(battery);
        }
        if let Some(g) = f.raw("generator") {
            if self.elements[id].kind != ElementKind::PowerFeed {
                return Err(self
                    .src
                    .error(
                        g.span.clone(),
                        format!(
                            "`{path}.generator`: only power elements (`[power.NAME]`) have a generator"
                        ),
                    )
                    .with_help("model the backed-up supply as `[power.ups]` with `requires = \"utility\"`, `battery = { runtime = \"30m\" }` and `generator = { start_failure = 0.02 }`, and let the hosts require `ups`"));
            }
            let generator = self.generator(id, g, &format!("{path}.generator"))?;
            self.elements[id].generator = Some(generator);
        }
        let src = self.src;
        let kind = self.elements[id].kind;
        let degradations = super::gray::read(src, &mut f, path, kind, |what| {
            let c = self.add_cause(id, &format!("{what} degradation"), false);
            self.causes[c as usize].gray = true;
            c
        })?;
        self.elements[id].degradations = degradations;
        f.finish(ELEMENT_KEYS)
    }

    /// Reads a failure mode's `latent`, `detected_by` and `check_every`.
    fn latent(&self, ff: &mut Fields<'_, '_>, path: &str) -> Result<Option<Latent>, Diagnostic> {
        let latent = match ff.raw("latent") {
            None => None,
            Some(v) => match v.kind {
                Kind::Bool(b) => Some((b, v)),
                _ => {
                    return Err(self.src.error(
                        v.span.clone(),
                        format!(
                            "`{path}.latent` should be true or false, found {}",
                            v.kind.type_name()
                        ),
                    ))
                }
            },
        };
        let detected = ff.raw("detected_by");
        let check_key = ff.raw("check_every");
        let Some((true, latent_value)) = latent else {
            if let Some(v) = detected.or(check_key) {
                return Err(self
                    .src
                    .error(
                        v.span.clone(),
                        format!("`{path}`: only a latent failure mode is detected by a check or a failover"),
                    )
                    .with_help("add `latent = true` to the mode, or remove the key: an ordinary failure is seen at once"));
            }
            return Ok(None);
        };
        let mut check_every = None;
        let mut on_failover = false;
        let mut items: Vec<&Value> = Vec::new();
        match detected.map(|v| (&v.kind, v)) {
            None => {}
            Some((Kind::Str(_), v)) => items.push(v),
            Some((Kind::Array(list), _)) => items.extend(list.iter()),
            Some((_, v)) => {
                return Err(self.src.error(
                    v.span.clone(),
                    format!(
                        "`{path}.detected_by` should be a string or a list of strings, found {}",
                        v.kind.type_name()
                    ),
                ))
            }
        }
        let help = "write `detected_by = \"failover\"` (found when a failover needs it), `\"check every 7d\"` (a periodic check), or both as a list";
        for item in items {
            let Kind::Str(text) = &item.kind else {
                return Err(self
                    .src
                    .error(
                        item.span.clone(),
                        format!(
                            "`{path}.detected_by` should list strings, found {}",
                            item.kind.type_name()
                        ),
                    )
                    .with_help(help));
            };
            let t = text.trim();
            if t == "failover" {
                on_failover = true;
            } else if let Some(rest) = t.strip_prefix("check every ") {
                if check_every.is_some() {
                    return Err(self
                        .src
                        .error(
                            item.span.clone(),
                            format!("`{path}.detected_by` names a second check"),
                        )
                        .with_help(
                            "one periodic check per mode: keep the one that runs most often",
                        ));
                }
                let skip = text.len() - text.trim_start().len() + "check every ".len();
                let d = crate::time::parse_duration(rest.trim()).map_err(|mut e| {
                    e.start += skip;
                    e.end += skip;
                    inline_error(self.src, item, e)
                })?;
                if d == 0 {
                    return Err(self.src.error(
                        item.span.clone(),
                        format!("`{path}.detected_by`: a check interval must be longer than zero"),
                    ));
                }
                check_every = Some(d);
            } else {
                return Err(self
                    .src
                    .error(
                        item.span.clone(),
                        format!("`{path}.detected_by` does not know `{t}`"),
                    )
                    .with_help(help));
            }
        }
        if let Some(v) = check_key {
            if check_every.is_some() {
                return Err(self
                    .src
                    .error(v.span.clone(), format!("`{path}` gives its check interval twice (`check_every` and `detected_by`)"))
                    .with_help("keep one of them"));
            }
            let d = match &v.kind {
                Kind::Str(t) => {
                    crate::time::parse_duration(t).map_err(|e| inline_error(self.src, v, e))?
                }
                _ => {
                    return Err(self.src.error(
                        v.span.clone(),
                        format!(
                        "`{path}.check_every` should be a duration string such as \"7d\", found {}",
                        v.kind.type_name()
                    ),
                    ))
                }
            };
            if d == 0 {
                return Err(self.src.error(
                    v.span.clone(),
                    format!("`{path}.check_every` must be longer than zero"),
                ));
            }
            check_every = Some(d);
        }
        // Without `detected_by`, a hidden failure is found where it matters:
        // at the outage of a service that needed the element (besides any
        // `check_every`).
        if detected.is_none() {
            on_failover = true;
        }
        if !on_failover && check_every.is_none() {
            let at = detected.map_or(latent_value.span.clone(), |v| v.span.clone());
            return Err(self
                .src
                .error(
                    at,
                    format!("`{path}` is latent but nothing would ever find it"),
                )
                .with_help(help));
        }
        Ok(Some(Latent {
            check_every,
            on_failover,
            span: latent_value.span.clone(),
        }))
    }

    /// Reads a power element's `battery = { ... }`.
    fn battery(&self, v: &Value, path: &str) -> Result<Battery, Diagnostic> {
        let mut f = Fields::new(self.src, v, path.to_string())?;
        let runtime = f
            .duration("runtime")?
            .ok_or_else(|| f.missing("runtime", "\"30m\""))?;
        // Eaton: recharging takes about ten times the discharge time ("a
        // 30-minute battery discharge requires about 300 minutes to
        // recharge", Eaton power quality support, "How long does it take
        // for the UPS batteries to recharge?").
        let recharge = f
            .duration("recharge")?
            .unwrap_or(runtime.saturating_mul(10));
        let replace_every = f.duration("replace_every")?;
        if replace_every == Some(0) {
            return Err(self.src.error(
                v.span.clone(),
                format!("`{path}.replace_every` must be longer than zero"),
            ));
        }
        // ASSUMPTION: a battery is replaced at 80% of its rated capacity,
        // the end-of-life criterion of lead-acid maintenance practice, and
        // the runtime fades linearly with age until then.
        let end_of_life = f.number("end_of_life", 0.0, 1.0)?.unwrap_or(0.8);
        let shutdown_at = f.duration("shutdown_at")?;
        f.finish(BATTERY_KEYS)?;
        Ok(Battery {
            runtime,
            recharge,
            replace_every,
            end_of_life,
            shutdown_at,
        })
    }

    /// Reads a power element's `generator = { ... }`.
    fn generator(&mut self, id: usize, v: &Value, path: &str) -> Result<Generator, Diagnostic> {
        let src = self.src;
        let mut f = Fields::new(src, v, path.to_string())?;
        // NFPA 110 "Type 10": a Level 1 emergency supply must carry the
        // load within 10 s of the outage, which is what standby sets with
        // an automatic transfer switch are built to.
        let start_delay = f
            .duration("start_delay")?
            .unwrap_or(10 * crate::time::NANOS_PER_SEC);
        // No default: the probability that a standby set fails to start
        // depends on its maintenance by more than an order of magnitude
        // (Marqusee & Jenket, "Reliability of emergency and standby diesel
        // generators", Applied Energy 268, 2020), so the model must say it.
        let start_failure = f
            .number("start_failure", 0.0, 1.0)?
            .ok_or_else(|| f.missing("start_failure", "0.02"))?;
        // [derived] Marqusee & Jenket (2020) find a well-maintained set
        // 20% likely to fail within two weeks of running: an exponential
        // rate of -ln(0.8) / 336 h, a mean of about 1500 h.
        let run_failure_every = f.dist("run_failure_every")?.unwrap_or(Dist::Exponential {
            mean: 1500.0 * crate::time::NANOS_PER_HOUR as f64,
        });
        let fuel = f.duration("fuel")?;
        if fuel == Some(0) {
            return Err(src.error(
                v.span.clone(),
                format!("`{path}`: `fuel` must be longer than zero"),
            ));
        }
        f.finish(GENERATOR_KEYS)?;
        let start_cause = self.add_cause(id, "generator start failure", false);
        let run_cause = self.add_cause(id, "generator failure", false);
        Ok(Generator {
            start_delay,
            start_failure,
            run_failure_every,
            fuel,
            start_cause,
            run_cause,
        })
    }

    /// Gives cluster `c` a view of network `name`: each member's attachment
    /// (itself or its host chain), and every endpoint and link element as an
    /// input so a change re-evaluates the cluster.
    fn attach_network(&mut self, c: usize, name: &str, span: Span) -> Result<(), Diagnostic> {
        let Some(network) = self.networks.iter().position(|n| n.name == name) else {
            return Err(super::network::unknown(
                self.src,
                name,
                span,
                &self.networks,
            ));
        };
        let net = &self.networks[network];
        let mut member_endpoint = Vec::new();
        for m in 0..self.clusters[c].n_members {
            let member_node = self.clusters[c].inputs[m];
            let mut e = self.elements.iter().position(|el| el.node == member_node);
            let found = loop {
                match e {
                    Some(el) => match net.endpoints.iter().position(|x| *x == el) {
                        Some(i) => break Some(i),
                        None => e = self.elements[el].host,
                    },
                    None => break None,
                }
            };
            let Some(ep) = found else {
                let member = &self.clusters[c].member_names[m];
                return Err(self
                    .src
                    .error(span, format!("member `{member}` of `{}` is not attached to network `{name}`", self.clusters[c].name))
                    .with_help(format!("add a link from `{member}` (or, for a VM, its host) in `[networks.{name}]`")));
            };
            member_endpoint.push(ep);
        }
        let cl_node = self.clusters[c].node;
        let add_input = |this: &mut Self, element: usize| -> usize {
            let node = this.elements[element].node;
            this.edges.push((node, cl_node, span.clone()));
            this.clusters[c].inputs.push(node);
            this.clusters[c].inputs.len() - 1
        };
        let endpoints = self.networks[network].endpoints.clone();
        let links = self.networks[network].links.clone();
        let endpoint_inputs: Vec<usize> = endpoints.iter().map(|e| add_input(self, *e)).collect();
        let links = links
            .iter()
            .map(|l| (l.a, l.b, l.via.map(|v| add_input(self, v))))
            .collect();
        self.clusters[c].net = Some(super::network::ClusterNet {
            network,
            endpoint_inputs,
            links,
            member_endpoint,
        });
        Ok(())
    }

    fn add_cause(&mut self, element: usize, mode: &str, planned: bool) -> u32 {
        let label = format!("{} {}", self.elements[element].name, mode);
        self.causes.push(CauseInfo {
            element,
            mode: mode.to_string(),
            planned,
            gray: false,
            label,
        });
        (self.causes.len() - 1) as u32
    }

    /// Resolves `name` or `name.state` to a graph node. `start..end` is the
    /// reference's span in the source, for errors.
    fn resolve(
        &self,
        name: &str,
        state: Option<&str>,
        start: usize,
        end: usize,
    ) -> Result<usize, Diagnostic> {
        let Some((entity, _)) = self.names.get(name) else {
            // A crew or a network is a name of the model too, but not a part
            // that is up or down.
            if self.crews.iter().any(|c| c.name == name) {
                return Err(self
                    .src
                    .error(start..end, format!("`{name}` is a crew, not an element"))
                    .with_help(format!("crews repair failures (`crew = \"{name}\"` in a failure mode); a dependency names an element, cluster or service")));
            }
            if self.networks.iter().any(|n| n.name == name) {
                return Err(self
                    .src
                    .error(start..end, format!("`{name}` is a network, not an element"))
                    .with_help(format!("a cluster uses it with `network = \"{name}\"`; to depend on a switch or link, name that element")));
            }
            let d = self
                .src
                .error(start..end, format!("unknown reference `{name}`"));
            return Err(match did_you_mean(name, self.names.keys().map(String::as_str)) {
                Some(h) => d.with_help(h),
                None => d.with_help("define it in `hosts`, `vms`, `power`, `switches`, `clusters`, `services` or another section"),
            });
        };
        match (*entity, state) {
            (Entity::Element(e), None) => Ok(self.elements[e].node),
            (Entity::Service(s), None) => Ok(self.services[s].node),
            (Entity::Cluster(c), st) => {
                let cl = &self.clusters[c];
                let outs = cl.kind.output_names();
                let i = match st {
                    None => 0,
                    Some(st) => outs.iter().position(|o| o == st).ok_or_else(|| {
                        self.src
                            .error(
                                start..end,
                                format!(
                                    "cluster `{name}` ({}) has no state `{st}`",
                                    cl.kind.kind()
                                ),
                            )
                            .with_help(format!("its states are: {}", outs.join(", ")))
                    })?,
                };
                Ok(cl.outputs[i])
            }
            (_, Some(st)) => Err(self
                .src
                .error(
                    start..end,
                    format!("`{name}` is not a cluster, so it has no state `{st}`"),
                )
                .with_help(format!("reference it as plain `{name}`"))),
        }
    }

    fn expression(&mut self, text: &str, value: &Value, node: usize) -> Result<CExpr, Diagnostic> {
        let e = expr::parse(text).map_err(|e| inline_error(self.src, value, e))?;
        let quote =
            usize::from(self.src.text.get(value.span.start..value.span.start + 1) == Some("\""));
        let base = value.span.start + quote;
        self.lower(&e, base, node)
    }

    fn lower(&mut self, e: &Expr, base: usize, node: usize) -> Result<CExpr, Diagnostic> {
        Ok(match e {
            Expr::Ref {
                name,
                state,
                start,
                end,
            } => {
                let n = self.resolve(name, state.as_deref(), base + start, base + end)?;
                self.edges.push((n, node, base + start..base + end));
                CExpr::Ref(n)
            }
            Expr::All(v) => CExpr::All(
                v.iter()
                    .map(|x| self.lower(x, base, node))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Any(v) => CExpr::Any(
                v.iter()
                    .map(|x| self.lower(x, base, node))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::AtLeast { k, of, .. } => CExpr::AtLeast(
                *k,
                of.iter()
                    .map(|x| self.lower(x, base, node))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    fn finish(mut self, name: String, description: Option<String>) -> Result<Model, Diagnostic> {
        let mut graph: DiGraph<usize, Span> =
            DiGraph::with_capacity(self.nodes.len(), self.edges.len());
        for i in 0..self.nodes.len() {
            graph.add_node(i);
        }
        for (a, b, span) in &self.edges {
            if a == b {
                return Err(self.src.error(
                    span.clone(),
                    format!("`{}` requires itself", self.nodes[*a].name),
                ));
            }
            graph.add_edge(NodeIndex::new(*a), NodeIndex::new(*b), span.clone());
        }
        // Kahn's algorithm with a min-heap on the original index: a cycle-free
        // order that also keeps document order among independent nodes, so
        // the order is the same on every run.
        let order = match stable_toposort(&graph) {
            Some(o) => o,
            None => return Err(self.cycle_error(&graph)),
        };
        let mut position = vec![0usize; self.nodes.len()];
        for (pos, old) in order.iter().enumerate() {
            position[*old] = pos;
        }
        // Renumber nodes and every reference to them.
        let mut old_nodes: Vec<Option<Node>> = std::mem::take(&mut self.nodes)
            .into_iter()
            .map(Some)
            .collect();
        let mut nodes: Vec<Node> = order
            .iter()
            .map(|o| old_nodes[*o].take().expect("each node once"))
            .collect();
        for n in &mut nodes {
            match &mut n.kind {
                NodeKind::Element {
                    requires: Some(r), ..
                } => r.remap(&position),
                NodeKind::Service { requires, .. } => requires.remap(&position),
                _ => {}
            }
        }
        for e in &mut self.elements {
            e.node = position[e.node];
        }
        for c in &mut self.clusters {
            c.node = position[c.node];
            c.inputs.iter_mut().for_each(|m| *m = position[*m]);
            c.outputs.iter_mut().for_each(|m| *m = position[*m]);
        }
        for s in &mut self.services {
            s.node = position[s.node];
        }
        let mut edges: Vec<(usize, usize)> = self
            .edges
            .iter()
            .map(|(a, b, _)| (position[*a], position[*b]))
            .collect();
        edges.sort_unstable();
        edges.dedup();
        for (a, b) in edges {
            nodes[a].dependents.push(b);
        }
        // Which clusters each service depends on (walk dependencies backwards).
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            for d in &n.dependents {
                deps[*d].push(i);
            }
        }
        for s in &mut self.services {
            let mut seen = vec![false; nodes.len()];
            let mut stack = vec![s.node];
            let mut shares = Vec::new();
            let mut latent = Vec::new();
            // Per upstream cluster: whether every loss counts (a
            // cluster-wide output is read), and which data sets are read.
            let mut reached: Vec<(usize, bool, Vec<usize>)> = Vec::new();
            fn entry(reached: &mut Vec<(usize, bool, Vec<usize>)>, c: usize) -> usize {
                match reached.iter().position(|r| r.0 == c) {
                    Some(i) => i,
                    None => {
                        reached.push((c, false, Vec::new()));
                        reached.len() - 1
                    }
                }
            }
            while let Some(n) = stack.pop() {
                if std::mem::replace(&mut seen[n], true) {
                    continue;
                }
                match nodes[n].kind {
                    NodeKind::Output { cluster, index } => {
                        if self.clusters[cluster].kind.share_output() == Some(index) {
                            shares.push((cluster, index));
                        }
                        let i = entry(&mut reached, cluster);
                        match self.clusters[cluster].kind.output_data_set(index) {
                            Some(set) => reached[i].2.push(set),
                            None => reached[i].1 = true,
                        }
                    }
                    NodeKind::Cluster { cluster } => {
                        entry(&mut reached, cluster);
                    }
                    NodeKind::Element { element, .. } => {
                        for (m, fm) in self.elements[element].modes.iter().enumerate() {
                            if fm.latent.is_some() {
                                latent.push((element, m));
                            }
                        }
                    }
                    _ => {}
                }
                stack.extend(deps[n].iter().copied());
            }
            latent.sort_unstable();
            s.latent_modes = latent;
            shares.sort_unstable();
            for (c, _) in &shares {
                self.clusters[*c].share_services.push(s.node);
            }
            s.share_sources = shares;
            let mut counts = Vec::new();
            for (c, all, mut sets) in reached {
                let n_sets = self.clusters[c].kind.data_sets();
                if all || sets.is_empty() {
                    counts.extend((0..=n_sets).map(|k| (c, k)));
                } else {
                    sets.sort_unstable();
                    sets.dedup();
                    counts.push((c, 0));
                    counts.extend(sets.into_iter().map(|set| (c, 1 + set)));
                }
            }
            counts.sort_unstable();
            s.data_loss_counts = counts;
        }
        // A latent failure is one that shows only when something needs the
        // element; on an element no service depends on, nothing ever does.
        for (e, el) in self.elements.iter().enumerate() {
            for (m, fm) in el.modes.iter().enumerate() {
                let Some(l) = &fm.latent else { continue };
                if !self
                    .services
                    .iter()
                    .any(|s| s.latent_modes.contains(&(e, m)))
                {
                    return Err(self
                        .src
                        .error(
                            l.span.clone(),
                            format!(
                                "the latent failure `{}` of `{}` is never needed: no service depends on `{}`",
                                fm.name, el.name, el.name
                            ),
                        )
                        .with_help("a latent failure shows only when a service needs the element; make a service depend on it, or drop `latent`"));
                }
            }
        }
        let counters = CounterPlan::new(
            nodes.len(),
            nodes.iter().enumerate().filter_map(|(i, n)| match &n.kind {
                NodeKind::Element { requires, .. } => requires.as_ref().map(|r| (i, r)),
                NodeKind::Service { requires, .. } => Some((i, requires)),
                _ => None,
            }),
            |n| &nodes[n].dependents,
            |d| match nodes[d].kind {
                NodeKind::Service { service, .. } => {
                    !self.services[service].share_sources.is_empty()
                }
                _ => false,
            },
        );
        let gray = gray_map(&nodes, &self.elements, &self.clusters);
        Ok(Model {
            counters,
            gray,
            name,
            description,
            text_hash: fnv1a(self.src.text),
            elements: self.elements,
            clusters: self.clusters,
            services: self.services,
            crews: self.crews,
            nodes,
            causes: self.causes,
            assumptions: self.assumptions,
            networks: self.networks,
            design: self.design,
        })
    }

    fn cycle_error(&self, graph: &DiGraph<usize, Span>) -> Diagnostic {
        let sccs = petgraph::algo::kosaraju_scc(graph);
        let cyc = sccs
            .into_iter()
            .filter(|c| c.len() > 1)
            .min_by_key(|c| c.iter().map(|n| n.index()).min())
            .unwrap_or_default();
        let mut names: Vec<usize> = cyc.iter().map(|n| n.index()).collect();
        names.sort_unstable();
        // Point at a reference that closes the cycle: an edge inside the SCC.
        let span = graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = graph.edge_endpoints(e)?;
                (cyc.contains(&a) && cyc.contains(&b)).then(|| graph[e].clone())
            })
            .max_by_key(|s| s.start)
            .unwrap_or(0..0);
        let list: Vec<&str> = names.iter().map(|n| self.nodes[*n].name.as_str()).collect();
        self.src
            .error(
                span,
                format!("dependency cycle between {}", list.join(", ")),
            )
            .with_help("a service or element cannot (even indirectly) require itself")
    }
}

fn section_table<'v>(
    src: &Source<'_>,
    v: &'v Value,
    name: &str,
) -> Result<&'v tree::Table, Diagnostic> {
    match &v.kind {
        Kind::Table(t) => Ok(t),
        other => Err(src.error(
            v.span.clone(),
            format!(
                "`{name}` should be a table of named entries, found {}",
                other.type_name()
            ),
        )),
    }
}

fn stable_toposort(graph: &DiGraph<usize, Span>) -> Option<Vec<usize>> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n = graph.node_count();
    let mut indegree = vec![0usize; n];
    for e in graph.edge_indices() {
        let (_, b) = graph.edge_endpoints(e).expect("edge exists");
        indegree[b.index()] += 1;
    }
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|i| indegree[*i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for nb in graph.neighbors(NodeIndex::new(i)) {
            // petgraph lists parallel edges once each; count them down the same way.
            indegree[nb.index()] -= 1;
            if indegree[nb.index()] == 0 {
                ready.push(Reverse(nb.index()));
            }
        }
    }
    (order.len() == n).then_some(order)
}

/// Stands in for a cluster's kind while its table is being read.
#[derive(Debug)]
struct PendingKind;

impl ClusterKind for PendingKind {
    fn kind(&self) -> &'static str {
        "pending"
    }
    fn outputs(&self) -> &'static [&'static str] {
        &[]
    }
    fn new_state(&self) -> Box<dyn cluster::ClusterState> {
        unreachable!("replaced before compilation finishes")
    }
}

/// Works out where the degradations reach, on the compiled graph (nodes in
/// topological order, `dependents` filled in).
pub(crate) fn gray_map(
    nodes: &[Node],
    elements: &[Element],
    clusters: &[Cluster],
) -> super::gray::GrayMap {
    use super::gray::{GrayMap, InputGray};
    use NodeKind;
    let mut sources: Vec<Vec<usize>> = vec![Vec::new(); elements.len()];
    if elements.iter().all(|e| e.degradations.is_empty()) {
        return GrayMap {
            sources,
            inputs: clusters
                .iter()
                .map(|c| vec![InputGray::None; c.inputs.len()])
                .collect(),
            notify: vec![Vec::new(); elements.len()],
            exposed: vec![false; clusters.len()],
        };
    }
    for (s, e) in elements.iter().enumerate() {
        if e.degradations.is_empty() {
            continue;
        }
        // Down the `requires` edges, through elements only: a degradation
        // slows what runs on or behind the element, not a cluster's
        // decision (which the cluster makes from what it reads).
        let mut seen = vec![false; nodes.len()];
        let mut stack = vec![e.node];
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            if let NodeKind::Element { element, .. } = nodes[n].kind {
                sources[element].push(s);
                stack.extend(nodes[n].dependents.iter().copied());
            }
        }
    }
    // Element order, whatever order the walk found them in.
    sources.iter_mut().for_each(|v| v.sort_unstable());
    let element_of = |n: usize| match nodes[n].kind {
        NodeKind::Element { element, .. } => Some(element),
        _ => None,
    };
    let reached = |c: usize| -> Vec<usize> {
        let mut v: Vec<usize> = clusters[c].inputs[..clusters[c].n_members]
            .iter()
            .filter_map(|n| element_of(*n))
            .flat_map(|e| sources[e].iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut inputs = Vec::new();
    let mut notify: Vec<Vec<usize>> = vec![Vec::new(); elements.len()];
    let mut exposed = Vec::new();
    for (c, cl) in clusters.iter().enumerate() {
        let mut row = Vec::new();
        let mut hit: Vec<usize> = Vec::new();
        for n in &cl.inputs {
            let g = match (element_of(*n), &nodes[*n].kind) {
                (Some(e), _) if !sources[e].is_empty() => {
                    hit.extend(sources[e].iter().copied());
                    InputGray::Element(e)
                }
                (None, NodeKind::Output { cluster, .. } | NodeKind::Cluster { cluster }) => {
                    let r = reached(*cluster);
                    if r.is_empty() {
                        InputGray::None
                    } else {
                        hit.extend(r);
                        InputGray::Cluster(*cluster)
                    }
                }
                _ => InputGray::None,
            };
            row.push(g);
        }
        hit.sort_unstable();
        hit.dedup();
        for s in &hit {
            notify[*s].push(c);
        }
        exposed.push(!hit.is_empty());
        inputs.push(row);
    }
    GrayMap {
        sources,
        inputs,
        notify,
        exposed,
    }
}
