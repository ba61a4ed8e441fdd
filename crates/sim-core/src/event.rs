//! The kernel's event types: what the engine schedules, what a chain of
//! effects is attributed to, and the timeline a traced replication records.
//! They sit apart from the replication (`sim.rs`) so the cluster interface
//! (`component.rs`) can schedule timers without importing the simulation
//! that drives it: the arrows point one way, sim -> component -> event.

use crate::time::Nanos;

/// What started a chain of effects, for attributing downtime: an index into
/// `Model::causes` for failure modes, then one "injected" cause per element
/// (scenarios), then `Causes::other` for anything else.
pub type Cause = u32;

/// Events of the simulation.
#[derive(Debug, Clone, Copy)]
pub enum Ev {
    /// Failure mode `mode` of `element` strikes (or a maintenance window opens).
    Fail { element: u32, mode: u32 },
    /// The failure is repaired (or the window closes).
    Repaired { element: u32, mode: u32 },
    /// A cluster model's timer.
    Timer {
        cluster: u32,
        tag: u64,
        cause: Cause,
        planned: bool,
    },
    /// A fault injected by hand (`hasim scenario`).
    Inject { element: u32, down: bool },
}

/// A readable timeline of one replication.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Trace {
    pub entries: Vec<TraceEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TraceEntry {
    pub time_ns: Nanos,
    /// `element`, `cluster`, `service`: which layer spoke.
    pub layer: &'static str,
    pub subject: String,
    pub what: String,
}

impl Trace {
    pub(crate) fn push(&mut self, time_ns: Nanos, subject: &str, what: String) {
        self.entries.push(TraceEntry {
            time_ns,
            layer: "cluster",
            subject: subject.to_string(),
            what,
        });
    }
    pub(crate) fn push_layer(
        &mut self,
        time_ns: Nanos,
        layer: &'static str,
        subject: &str,
        what: String,
    ) {
        self.entries.push(TraceEntry {
            time_ns,
            layer,
            subject: subject.to_string(),
            what,
        });
    }
}
