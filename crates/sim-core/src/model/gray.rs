//! Gray failures: degradations that leave an element up but slow.
//!
//! An element's `degradations = [ { kind, every, duration, delay | loss } ]`
//! declares episodes that start every `every` (the mean time between
//! onsets, exponential unless a distribution is written) and last
//! `duration`. While one lasts the element stays up, so nothing that reads
//! up/down state changes; what changes is what the cluster kinds read
//! through [`crate::cluster::ClusterCx`]: the extra delay on a member's
//! messages (`delay`), the share of them lost (`loss`), whether its
//! processes are frozen (`pause`: a GC pause, a stalled VM, a host under
//! memory pressure) and its storage latency (`slow-disk`: etcd's WAL fsync,
//! PostgreSQL's commit flush).
//!
//! A degradation reaches down what `requires` expresses, as a failure
//! does: a degraded host degrades its VMs, a degraded switch delays the
//! messages of every element that requires it. Effects along a path add up
//! (a slow switch behind a slow host adds both delays), losses combine as
//! independent drops, and a pause anywhere on the path freezes the member.
//!
//! No preset is offered: HA-FACTS.md section 10 and the upstream documents
//! it points to describe how each protocol reacts to delay, loss, pauses
//! and slow disks, but none gives how often such episodes start or how
//! long they last, so every figure is the model's own (an operator reads
//! them off their monitoring: latency spikes, fsync histograms, GC logs).

use super::diag::{Diagnostic, Source};
use super::element::ElementKind;
use super::fields::Fields;
use super::tree::Value;
use crate::dist::Dist;

/// Keys of one `degradations` entry.
pub const DEGRADATION_KEYS: &[&str] =
    &["kind", "every", "duration", "delay", "loss", "description"];

/// The element kinds that may carry degradations: the machines and the
/// network elements whose slowness a protocol can feel.
pub const DEGRADABLE: &[ElementKind] = &[
    ElementKind::Host,
    ElementKind::Vm,
    ElementKind::Switch,
    ElementKind::Component,
];

/// What a degradation does while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrayKind {
    /// Messages to and from the element take `delay` longer.
    Delay,
    /// A share `loss` of its messages is dropped.
    Loss,
    /// Its processes are frozen: they send, answer and time out nothing.
    Pause,
    /// Its storage takes `delay` longer per synchronous write.
    SlowDisk,
}

impl GrayKind {
    pub const NAMES: &'static [&'static str] = &["delay", "loss", "pause", "slow-disk"];

    fn parse(s: &str) -> Option<GrayKind> {
        Some(match s {
            "delay" => GrayKind::Delay,
            "loss" => GrayKind::Loss,
            "pause" => GrayKind::Pause,
            "slow-disk" => GrayKind::SlowDisk,
            _ => return None,
        })
    }

    /// The name in the model and in timelines.
    pub fn name(self) -> &'static str {
        match self {
            GrayKind::Delay => "delay",
            GrayKind::Loss => "loss",
            GrayKind::Pause => "pause",
            GrayKind::SlowDisk => "slow-disk",
        }
    }
}

/// One declared degradation of an element.
#[derive(Debug, Clone)]
pub struct Degradation {
    pub kind: GrayKind,
    /// Time from the end of one episode to the start of the next.
    pub every: Dist,
    /// How long an episode lasts.
    pub duration: Dist,
    /// The added latency, drawn per episode (`delay` and `slow-disk`).
    pub delay: Option<Dist>,
    /// The share of messages lost (`loss`), in [0, 1].
    pub loss: f64,
    /// Index into `Model::causes`: downtime an episode causes is attributed
    /// to it, and the reports keep it apart from real failures.
    pub cause: u32,
}

/// What the compiler derives from the degradations: which elements carry
/// them, and for every element and cluster input which of them reach it.
#[derive(Debug, Clone, Default)]
pub struct GrayMap {
    /// Per element: the elements with degradations that reach it (itself
    /// and everything it requires, directly or not), in element order.
    pub sources: Vec<Vec<usize>>,
    /// Per cluster, per input: where its degradation comes from.
    pub inputs: Vec<Vec<InputGray>>,
    /// Per element with degradations: the clusters whose inputs it reaches,
    /// notified when one of its episodes starts or ends.
    pub notify: Vec<Vec<usize>>,
    /// Per cluster: whether any degradation reaches its inputs, so its
    /// gray-failure figures are reported.
    pub exposed: Vec<bool>,
}

/// Where a cluster input's degradation comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputGray {
    /// Nothing reaches it.
    None,
    /// An element input: the degradations of its `sources`.
    Element(usize),
    /// Another cluster's output (Patroni's `dcs = "etcd.quorum"`): a request
    /// to that cluster is answered once a majority of its members has it (a
    /// Raft write commits on a majority), so its delay is the majority-th
    /// smallest delay among that cluster's members.
    Cluster(usize),
}

/// Reads `degradations` of element `element_kind` at `path`. `add_cause`
/// numbers each entry's cause.
pub fn read(
    src: &Source<'_>,
    f: &mut Fields<'_, '_>,
    path: &str,
    element_kind: ElementKind,
    mut add_cause: impl FnMut(&str) -> u32,
) -> Result<Vec<Degradation>, Diagnostic> {
    let Some(tables) = f.tables("degradations")? else {
        return Ok(Vec::new());
    };
    if !DEGRADABLE.contains(&element_kind) && !tables.is_empty() {
        let at = f
            .raw("degradations")
            .map(|v| v.span.clone())
            .unwrap_or_default();
        return Err(src
            .error(
                at,
                format!("a {element_kind} cannot be degraded: `degradations` are for hosts, VMs, switches and components"),
            )
            .with_help("put the degradation on the host, VM or switch whose slowness the protocols feel"));
    }
    let mut out = Vec::new();
    for (i, t) in tables.into_iter().enumerate() {
        out.push(read_one(
            src,
            t,
            &format!("{path}.degradations[{i}]"),
            element_kind,
            &mut add_cause,
        )?);
    }
    Ok(out)
}

fn read_one(
    src: &Source<'_>,
    t: &Value,
    path: &str,
    element_kind: ElementKind,
    add_cause: &mut impl FnMut(&str) -> u32,
) -> Result<Degradation, Diagnostic> {
    let mut ff = Fields::new(src, t, path.to_string())?;
    let kind = match ff.string("kind")? {
        None => return Err(ff.missing("kind", "\"delay\"")),
        Some((k, kv)) => GrayKind::parse(k).ok_or_else(|| {
            src.error(kv.span.clone(), format!("unknown degradation kind `{k}`"))
                .with_help(format!("one of: {}", GrayKind::NAMES.join(", ")))
        })?,
    };
    if kind == GrayKind::SlowDisk && element_kind == ElementKind::Switch {
        return Err(src
            .error(
                t.span.clone(),
                format!("`{path}`: a switch has no disk to be slow"),
            )
            .with_help("put `slow-disk` on the host or VM whose storage is slow"));
    }
    let every = ff
        .dist("every")?
        .ok_or_else(|| ff.missing("every", "\"30d\""))?;
    if every.mean() <= 0.0 {
        return Err(src.error(
            t.span.clone(),
            format!("`{path}.every` must be longer than zero"),
        ));
    }
    let duration = ff
        .dist("duration")?
        .ok_or_else(|| ff.missing("duration", "\"exp(20s)\""))?;
    let delay = ff.dist("delay")?;
    let loss = ff.number("loss", 0.0, 1.0)?;
    let needs_delay = matches!(kind, GrayKind::Delay | GrayKind::SlowDisk);
    match (needs_delay, &delay, kind == GrayKind::Loss, loss) {
        (true, None, _, _) => return Err(ff.missing("delay", "\"uniform(5s, 30s)\"")),
        (false, Some(_), _, _) => {
            let at = ff.raw("delay").map_or(t.span.clone(), |v| v.span.clone());
            return Err(src
                .error(
                    at,
                    format!("`{path}.delay` only applies to `delay` and `slow-disk`"),
                )
                .with_help(format!(
                    "a `{}` degradation has no added latency",
                    kind.name()
                )));
        }
        (_, _, true, None) => return Err(ff.missing("loss", "0.3")),
        (_, _, false, Some(_)) => {
            let at = ff.raw("loss").map_or(t.span.clone(), |v| v.span.clone());
            return Err(src
                .error(
                    at,
                    format!("`{path}.loss` only applies to `kind = \"loss\"`"),
                )
                .with_help("remove it, or make the degradation a `loss`"));
        }
        _ => {}
    }
    ff.string("description")?;
    ff.finish(DEGRADATION_KEYS)?;
    let cause = add_cause(kind.name());
    Ok(Degradation {
        kind,
        every,
        duration,
        delay,
        loss: loss.unwrap_or(0.0),
        cause,
    })
}
