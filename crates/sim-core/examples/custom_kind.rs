//! A cluster kind defined outside the library, registered and used by a
//! model: Redis Sentinel (`kind = "redis-sentinel"`), in about a hundred
//! lines. Nothing in sim-core names it; it plugs in through the same
//! `KindSpec` and `Registry` the built-in kinds use, so the compiler, the
//! unknown-key help and the JSON Schema treat it like one of them.
//!
//! The model: the members are the Redis servers, the first one the master.
//! When the master stops, the sentinels notice after `down_after` (Redis's
//! `sentinel down-after-milliseconds`, 30 s by default: the comment on that
//! setting in the sentinel.conf shipped with Redis), elect a leader and
//! promote the first live replica, which takes `promotion` (5 s here, an
//! assumption: a sentinel election plus `REPLICAOF NO ONE`). The output
//! `master` is up while a live server holds the master role.
//!
//! Run it with `cargo run -p sim-core --example custom_kind`; the test suite
//! runs it too (tests/examples.rs).

// A `Diagnostic` carries its source line for rendering, which makes the
// error large; the library allows this lint for the same reason.
#![allow(clippy::result_large_err)]

use sim_core::cluster::{
    ClusterCx, ClusterKind, ClusterState, Inputs, KeyDefault, KeySpec, KeyType, KindSpec, Timer,
    TimerTag, Timers,
};
use sim_core::model::diag::Diagnostic;
use sim_core::model::fields::Fields;
use sim_core::runner::{run, summarize, RunOptions};
use sim_core::time::{Nanos, NANOS_PER_SEC};
use std::sync::Arc;

pub const SENTINEL: KindSpec = KindSpec {
    name: "redis-sentinel",
    summary: "Redis servers watched by Sentinel: a replica is promoted when the master is down.",
    keys: &[
        KeySpec::new(
            "down_after",
            KeyType::Duration,
            KeyDefault::Is("30s"),
            "`sentinel down-after-milliseconds` (30 s in the sentinel.conf shipped with Redis).",
        ),
        KeySpec::new(
            "promotion",
            KeyType::Duration,
            KeyDefault::Is("5s"),
            "A sentinel election plus `REPLICAOF NO ONE` (ASSUMPTION).",
        ),
    ],
    lints: &[],
    build,
};

fn build<'t>(
    f: &mut Fields<'t, '_>,
    _inputs: &mut Inputs<'t>,
) -> Result<Arc<dyn ClusterKind>, Diagnostic> {
    Ok(Arc::new(Sentinel {
        down_after: f.duration("down_after")?.unwrap_or(30 * NANOS_PER_SEC),
        promotion: f.duration("promotion")?.unwrap_or(5 * NANOS_PER_SEC),
    }))
}

#[derive(Debug)]
struct Sentinel {
    down_after: Nanos,
    promotion: Nanos,
}

impl ClusterKind for Sentinel {
    fn kind(&self) -> &'static str {
        "redis-sentinel"
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["master"]
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        Box::new(SentinelState {
            delay: self.down_after + self.promotion,
            master: None,
            failover: None,
            timers: Timers::new(),
        })
    }
}

struct SentinelState {
    delay: Nanos,
    master: Option<usize>,
    failover: Option<Timer>,
    timers: Timers<Promote>,
}

/// The one timer this kind sets: the end of a failover. A kind with several
/// timers makes this an enum; `Timers` hands each back as it was scheduled.
#[derive(Debug, Clone, Copy)]
struct Promote;

impl ClusterState for SentinelState {
    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>) {
        match self.master {
            // At the start, or after every server was down: the first live
            // one is master (as the operator configured it).
            None if self.failover.is_none() => {
                self.master = (0..cx.n_members()).find(|i| cx.member_up(*i));
                cx.set_output(0, self.master.is_some());
            }
            Some(m) if !cx.member_up(m) => {
                cx.set_output(0, false);
                self.master = None;
                let delay = self.delay;
                cx.trace(|| format!("master down; failover in {} s", delay / NANOS_PER_SEC));
                self.failover = Some(self.timers.schedule(cx, delay, Promote));
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: TimerTag) {
        let Promote = self.timers.fired(tag);
        self.failover = None;
        self.master = (0..cx.n_members()).find(|i| cx.member_up(*i));
        cx.set_output(0, self.master.is_some());
    }
}

pub const MODEL: &str = r#"
[hosts.redis-1]
failures = [{ every = "exp(1y)", repair = "exp(1h)" }]
[hosts.redis-2]
failures = [{ every = "exp(1y)", repair = "exp(1h)" }]
[hosts.redis-3]
failures = [{ every = "exp(1y)", repair = "exp(1h)" }]
[clusters.cache]
kind = "redis-sentinel"
members = ["redis-1", "redis-2", "redis-3"]
down_after = "30s"
[services.sessions]
requires = "cache.master"
"#;

/// Loads the model with the extra kind and returns its downtime in seconds
/// per year (mean and 95% interval) over `replications` ten-year runs.
pub fn downtime_seconds_per_year(replications: u64) -> (f64, [f64; 2]) {
    let mut registry = sim_core::protocols::builtin().clone();
    registry.register(SENTINEL);
    let model = sim_core::model::load_with(&registry, "sentinel.toml", MODEL)
        .unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions {
        replications,
        ..Default::default()
    };
    let acc = run(&model, &opts).expect("within the event budget");
    let r = summarize(&model, &acc, opts.horizon);
    let d = &r.services[0].downtime_minutes_per_year;
    (
        d.mean * 60.0,
        d.ci95
            .map_or([d.mean * 60.0; 2], |[a, b]| [a * 60.0, b * 60.0]),
    )
}

#[allow(dead_code)]
fn main() {
    let (mean, ci) = downtime_seconds_per_year(1000);
    // The master fails about once a year and each failure costs
    // down_after + promotion = 35 s, so about 35 s/yr.
    println!(
        "sessions: {mean:.1} s/yr of downtime (95% CI {:.1} to {:.1}); expected about 35 s/yr",
        ci[0], ci[1]
    );
}
