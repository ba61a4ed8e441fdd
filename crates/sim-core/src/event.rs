//! The kernel's event types: what the engine schedules, what a chain of
//! effects is attributed to, and the timeline a traced replication records.
//! They sit apart from the replication (`sim.rs`) so the cluster interface
//! (`cluster.rs`) can schedule timers without importing the simulation
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
        /// The slot of the cluster's [`crate::cluster::Timers`] holding
        /// what the timer means.
        tag: u32,
        cause: Cause,
        planned: bool,
    },
    /// A fault injected by hand (`hasim scenario`).
    Inject { element: u32, down: bool },
    /// The periodic check of latent failure mode `mode` of `element` runs.
    Check { element: u32, mode: u32 },
    /// The battery of power element `element` reaches the end of the
    /// runtime it had (or its `shutdown_at` level).
    BatteryLow { element: u32 },
    /// The standby generator of power element `element` takes the load
    /// (`runs`) or stops (fuel out or a failure while running).
    Generator { element: u32, runs: bool },
    /// Degradation `index` of `element` (a gray failure) starts or ends.
    Degrade {
        element: u32,
        index: u32,
        begins: bool,
    },
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
    /// What happened, as data: the timeline chart and any tool reading the
    /// JSON match on this, never on the wording of `what`.
    pub event: TraceEvent,
    /// The same, in words (rendered from `event`).
    pub what: String,
}

/// What one timeline entry records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TraceEvent {
    /// An element's failure mode (or maintenance window) begins or ends.
    Fault { mode: String, begins: bool },
    /// An element or a cluster output goes down or comes back.
    State { up: bool },
    /// A service goes down; `cause` is the fault that started it.
    ServiceDown { cause: String },
    /// A service is back after `after_ns` of downtime.
    ServiceUp { after_ns: Nanos },
    /// A cluster model's own account of what it does (an election, a VIP
    /// takeover), in its words.
    Note { text: String },
}

impl TraceEvent {
    /// The words of the timeline.
    pub fn text(&self) -> String {
        match self {
            TraceEvent::Fault { mode, begins: true } => format!("{mode} begins"),
            TraceEvent::Fault {
                mode,
                begins: false,
            } => format!("{mode} ends"),
            TraceEvent::State { up: true } => "up".into(),
            TraceEvent::State { up: false } => "down".into(),
            TraceEvent::ServiceDown { cause } => format!("DOWN (cause: {cause})"),
            TraceEvent::ServiceUp { after_ns } => {
                format!("UP again after {}", crate::time::Human(*after_ns))
            }
            TraceEvent::Note { text } => text.clone(),
        }
    }

    /// Whether the subject goes down (`Some(false)`) or comes back
    /// (`Some(true)`) with this entry.
    pub fn up(&self) -> Option<bool> {
        match self {
            TraceEvent::State { up } => Some(*up),
            TraceEvent::ServiceDown { .. } => Some(false),
            TraceEvent::ServiceUp { .. } => Some(true),
            _ => None,
        }
    }
}

impl Trace {
    pub(crate) fn push(&mut self, time_ns: Nanos, subject: &str, what: String) {
        self.push_layer(time_ns, "cluster", subject, TraceEvent::Note { text: what });
    }
    pub(crate) fn push_layer(
        &mut self,
        time_ns: Nanos,
        layer: &'static str,
        subject: &str,
        event: TraceEvent,
    ) {
        self.entries.push(TraceEntry {
            time_ns,
            layer,
            subject: subject.to_string(),
            what: event.text(),
            event,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_events_are_data_with_their_words() {
        let mut t = Trace::default();
        t.push_layer(
            5,
            "service",
            "api",
            TraceEvent::ServiceDown {
                cause: "pve-1 crash".into(),
            },
        );
        t.push_layer(
            9,
            "service",
            "api",
            TraceEvent::ServiceUp {
                after_ns: 4_000_000_000,
            },
        );
        t.push(7, "etcd", "election started".into());
        let e = &t.entries;
        assert_eq!(e[0].what, "DOWN (cause: pve-1 crash)");
        assert_eq!(e[1].what, "UP again after 4s");
        assert_eq!(
            (e[0].event.up(), e[1].event.up(), e[2].event.up()),
            (Some(false), Some(true), None)
        );
        let json = serde_json::to_string(&e[0]).unwrap();
        assert!(
            json.contains(r#""event":{"type":"service_down","cause":"pve-1 crash"}"#),
            "{json}"
        );
    }
}
