//! `failover`: active/passive with detection and switchover delays.

use crate::cluster::{
    ClusterCx, ClusterKind, ClusterState, Inputs, KindSpec, Members, Timer, TimerTag, Timers,
};
use crate::cluster::{KeyDefault as D, KeySpec, KeyType as T};
use crate::dist::Dist;
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::time::Human;
use std::sync::Arc;

pub const SPEC: KindSpec = KindSpec {
    name: "failover",
    summary: "An active/passive group: the first member up serves, after detection and switchover delays.",
    keys: &[
        KeySpec::new("detection", T::Dist, D::Is("0s"), "Time to notice the active member is gone (skipped for a planned stop)."),
        KeySpec::new("switchover", T::Dist, D::Is("0s"), "Time for the next member to take over."),
        KeySpec::new("failback", T::Bool, D::Is("false"), "Hand back to a preferred (earlier) member when it returns, at one switchover of downtime."),
    ],
    lints: &[],
    build,
};

fn build<'t>(
    f: &mut Fields<'t, '_>,
    _inputs: &mut Inputs<'t>,
) -> Result<Arc<dyn ClusterKind>, Diagnostic> {
    Ok(Arc::new(Failover::from_fields(f)?))
}

/// An active/passive group: the first member in `members` order that is up
/// serves. When the active member fails, the service is down for a detection
/// delay plus a switchover delay, then the next member up takes over. A
/// planned stop skips detection (the member hands over on its way down).
/// With `failback = true` a recovered higher-priority member takes over
/// again, costing one more switchover.
#[derive(Debug)]
pub struct Failover {
    detection: Dist,
    switchover: Dist,
    failback: bool,
}

impl Failover {
    fn from_fields(f: &mut Fields<'_, '_>) -> Result<Self, Diagnostic> {
        Ok(Failover {
            detection: f.dist("detection")?.unwrap_or(Dist::Fixed { value: 0 }),
            switchover: f.dist("switchover")?.unwrap_or(Dist::Fixed { value: 0 }),
            failback: f.bool("failback")?.unwrap_or(false),
        })
    }
}

impl ClusterKind for Failover {
    /// Once a takeover is over, some member serves while any member is up
    /// (the detection and switchover delays are the transient).
    fn structure(&self, _output: usize) -> Result<crate::cluster::Structure, String> {
        Ok(crate::cluster::Structure::MembersUp(1))
    }
    fn members(&self) -> Members {
        Members::Any
    }
    fn kind(&self) -> &'static str {
        "failover"
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["up"]
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        Box::new(FailoverState {
            detection: self.detection.clone(),
            switchover: self.switchover.clone(),
            failback: self.failback,
            active: None,
            lost: None,
            pending: None,
            timers: Timers::new(),
            started: false,
        })
    }
}

struct FailoverState {
    detection: Dist,
    switchover: Dist,
    failback: bool,
    active: Option<usize>,
    /// The member that was active when it failed, while a takeover is pending.
    lost: Option<usize>,
    pending: Option<Timer>,
    timers: Timers<Takeover>,
    started: bool,
}

/// The one timer of a failover group: the takeover (or failback) completes.
#[derive(Debug, Clone, Copy)]
struct Takeover;

impl ClusterState for FailoverState {
    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>) {
        if !self.started {
            // Time 0: the first member up is active with no transient.
            self.started = true;
            self.active = (0..cx.n_members()).find(|i| cx.member_up(*i));
            cx.set_output(0, self.active.is_some());
            return;
        }
        // The failed member came back before anyone took over (a process
        // restart, a short reboot): it simply resumes, no takeover needed.
        if let (Some(l), Some(p)) = (self.lost, self.pending) {
            if cx.member_up(l) {
                self.timers.cancel(cx, p);
                self.pending = None;
                self.lost = None;
                self.active = Some(l);
                let name = cx.member_name(l).to_string();
                cx.trace(|| format!("{name} is back before the takeover: it resumes"));
                cx.set_output(0, true);
                return;
            }
        }
        match self.active {
            Some(a) if !cx.member_up(a) => {
                self.lost = Some(a);
                self.active = None;
                cx.set_output(0, false);
                let delay = if cx.planned() {
                    0
                } else {
                    cx.sample(&self.detection)
                } + cx.sample(&self.switchover);
                let name = cx.member_name(a).to_string();
                cx.trace(|| format!("active member {name} lost; takeover in {}", Human(delay)));
                self.pending = Some(self.timers.schedule(cx, delay, Takeover));
            }
            Some(a)
                if self.failback && self.pending.is_none() && (0..a).any(|i| cx.member_up(i)) =>
            {
                // A preferred member is back: hand over, with one switchover of downtime.
                self.active = None;
                cx.set_output(0, false);
                let delay = cx.sample(&self.switchover);
                cx.trace(|| format!("preferred member back; failing back in {}", Human(delay)));
                self.pending = Some(self.timers.schedule(cx, delay, Takeover));
            }
            None if self.pending.is_none() && (0..cx.n_members()).any(|i| cx.member_up(i)) => {
                let delay = cx.sample(&self.switchover);
                self.pending = Some(self.timers.schedule(cx, delay, Takeover));
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: TimerTag) {
        let Takeover = self.timers.fired(tag);
        self.pending = None;
        self.lost = None;
        self.active = (0..cx.n_members()).find(|i| cx.member_up(*i));
        if let Some(a) = self.active {
            let name = cx.member_name(a).to_string();
            cx.trace(|| format!("{name} took over"));
        }
        cx.set_output(0, self.active.is_some());
    }
}
