//! The Monte Carlo runner: many replications, merged in replication order,
//! summarised with confidence intervals.
//!
//! Replication `i` always uses random stream `i` of the seed, and every
//! accumulator is an exact integer sum, so the result is the same bits for
//! one thread or sixteen, and for one run or shards merged later.

use crate::model::compile::Model;
use crate::sim::{Causes, RepOptions, Replication};
pub use crate::sim::{Overrun, DEFAULT_MAX_EVENTS};
use crate::stats::{Estimate, Histogram, Moments};
use crate::time::{Nanos, NANOS_PER_MIN, NANOS_PER_SEC, NANOS_PER_YEAR};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Options of a Monte Carlo run. Together with the model text they determine
/// the result exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    pub seed: u64,
    /// How many replications (the maximum, when `target_ci` is set).
    pub replications: u64,
    /// Simulated time per replication.
    pub horizon: Nanos,
    /// Stop early once every service's downtime-per-year estimate has a 95%
    /// CI half-width below this fraction of its mean (0.05 = ±5%). Checked
    /// after each batch, so the answer does not depend on thread count.
    pub target_ci: Option<f64>,
    /// Replications per batch: the granularity of progress reports,
    /// cancellation and the `target_ci` check.
    pub batch: u64,
    /// The event budget of each replication ([`DEFAULT_MAX_EVENTS`]): a
    /// replication past it stops the run with an [`Overrun`] rather than
    /// run for hours. It is a guard, not a parameter of the result (a run
    /// that finishes gives the same bits under any budget), so it is not
    /// part of the options a shard records and merge compares.
    #[serde(skip, default = "default_max_events")]
    pub max_events: u64,
}

fn default_max_events() -> u64 {
    DEFAULT_MAX_EVENTS
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            seed: 1,
            replications: 1000,
            horizon: 10 * NANOS_PER_YEAR,
            target_ci: None,
            batch: 100,
            max_events: DEFAULT_MAX_EVENTS,
        }
    }
}

/// Exact sums over a range of replications. Two accumulators of adjacent
/// ranges merge into the accumulator of the union, bit for bit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accumulator {
    /// The replication indices covered: [first, first + count).
    pub first: u64,
    pub count: u64,
    pub services: Vec<ServiceAcc>,
    /// Down time per cluster output, flattened in cluster order.
    pub outputs: Vec<Moments>,
    pub events: Moments,
    /// Per cluster, what gray failures did (see [`GrayAcc`]).
    pub gray: Vec<GrayAcc>,
}

/// Per cluster, per replication: the gray-failure figures, kept apart from
/// those of real failures (see `cluster::GrayTally`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrayAcc {
    pub false_failovers: Moments,
    pub flaps: Moments,
    pub split_brain: Moments,
    pub downtime: Moments,
    pub data_loss: Moments,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAcc {
    pub downtime: Moments,
    pub outages: Moments,
    pub data_loss: Moments,
    pub recovery: Histogram,
    /// Time to the first outage, over replications that had one.
    pub first_outage: Moments,
    /// Total downtime in ns by cause index.
    pub causes: BTreeMap<u32, u128>,
    /// Request-weighted downtime while up (see `ServiceRep::error_weighted`).
    /// Required when deserializing, like every field: a shard written
    /// before it existed must be refused, not merged as if it were zero.
    pub error_weighted: Moments,
    /// Downtime plus request-weighted downtime, per replication: the
    /// share of requests lost, for the request availability and its interval.
    pub request_downtime: Moments,
}

impl Accumulator {
    pub fn new(model: &Model, first: u64) -> Self {
        Accumulator {
            first,
            count: 0,
            services: vec![ServiceAcc::default(); model.services.len()],
            outputs: vec![Moments::default(); model.clusters.iter().map(|c| c.outputs.len()).sum()],
            events: Moments::default(),
            gray: vec![GrayAcc::default(); model.clusters.len()],
        }
    }

    fn push(&mut self, o: &crate::sim::RepOutcome) {
        self.count += 1;
        for (acc, s) in self.services.iter_mut().zip(&o.services) {
            acc.downtime.push(s.downtime);
            acc.outages.push(s.outages);
            acc.data_loss.push(s.data_loss);
            acc.error_weighted.push(s.error_weighted);
            acc.request_downtime.push(s.downtime + s.error_weighted);
            if let Some(t) = s.first_outage {
                acc.first_outage.push(t);
            }
            for r in &s.recoveries {
                acc.recovery.record(*r);
            }
            for (c, d) in &s.causes {
                *acc.causes.entry(*c).or_insert(0) += u128::from(*d);
            }
        }
        for (acc, d) in self.outputs.iter_mut().zip(&o.outputs_down) {
            acc.push(*d);
        }
        for (acc, g) in self.gray.iter_mut().zip(&o.gray) {
            acc.false_failovers.push(g.false_failovers);
            acc.flaps.push(g.flaps);
            acc.split_brain.push(g.split_brain);
            acc.downtime.push(g.downtime);
            acc.data_loss.push(g.data_loss);
        }
        self.events.push(o.events);
    }

    /// Merges the accumulator of the replications right after this one's.
    pub fn merge(&mut self, other: &Accumulator) -> Result<(), String> {
        if other.count > 0 && self.count > 0 && other.first != self.first + self.count {
            return Err(format!(
                "replications {}..{} do not follow {}..{}",
                other.first,
                other.first + other.count,
                self.first,
                self.first + self.count
            ));
        }
        if self.services.len() != other.services.len()
            || self.outputs.len() != other.outputs.len()
            || self.gray.len() != other.gray.len()
        {
            return Err("the accumulators come from different models".into());
        }
        if self.count == 0 {
            self.first = other.first;
        }
        self.count += other.count;
        for (a, b) in self.services.iter_mut().zip(&other.services) {
            a.downtime.merge(&b.downtime);
            a.outages.merge(&b.outages);
            a.data_loss.merge(&b.data_loss);
            a.error_weighted.merge(&b.error_weighted);
            a.request_downtime.merge(&b.request_downtime);
            a.recovery.merge(&b.recovery);
            a.first_outage.merge(&b.first_outage);
            for (c, d) in &b.causes {
                *a.causes.entry(*c).or_insert(0) += d;
            }
        }
        for (a, b) in self.outputs.iter_mut().zip(&other.outputs) {
            a.merge(b);
        }
        for (a, b) in self.gray.iter_mut().zip(&other.gray) {
            a.false_failovers.merge(&b.false_failovers);
            a.flaps.merge(&b.flaps);
            a.split_brain.merge(&b.split_brain);
            a.downtime.merge(&b.downtime);
            a.data_loss.merge(&b.data_loss);
        }
        self.events.merge(&other.events);
        Ok(())
    }
}

/// Runs one replication.
pub fn run_replication(
    model: &Model,
    seed: u64,
    index: u64,
    horizon: Nanos,
) -> crate::sim::RepOutcome {
    run_replication_within(model, seed, index, horizon, DEFAULT_MAX_EVENTS)
}

/// Runs replication `index` like [`run_replication`] with an event budget
/// of `max_events`; the outcome's `overrun` says when it ran out.
pub fn run_replication_within(
    model: &Model,
    seed: u64,
    index: u64,
    horizon: Nanos,
    max_events: u64,
) -> crate::sim::RepOutcome {
    let opts = RepOptions {
        horizon,
        random_faults: true,
        injections: Vec::new(),
        trace: false,
    };
    Replication::new(model, seed, index)
        .with_max_events(max_events)
        .run(&opts)
        .0
}

/// Progress of a run: replications done and the most that will run.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// Why a run stopped before its last replication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The progress callback asked to stop.
    Cancelled,
    /// A replication used up its event budget (the lowest such index).
    Overrun(Box<Overrun>),
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::Cancelled => write!(f, "cancelled"),
            Stopped::Overrun(o) => o.fmt(f),
        }
    }
}

impl std::error::Error for Stopped {}

/// Runs replications `first..first + opts.replications` (a shard, or the whole
/// run with `first = 0`). `progress` is called after every batch; returning
/// `false` cancels the run.
pub fn run_range(
    model: &Model,
    opts: &RunOptions,
    first: u64,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Accumulator, Stopped> {
    let mut acc = Accumulator::new(model, first);
    let end = first + opts.replications;
    let batch = opts.batch.max(1);
    let mut next = first;
    while next < end {
        let stop = (next + batch).min(end);
        let outcomes = run_batch(model, opts, next, stop).map_err(Stopped::Overrun)?;
        for o in &outcomes {
            acc.push(o);
        }
        next = stop;
        if !progress(Progress {
            done: next - first,
            total: opts.replications,
        }) {
            return Err(Stopped::Cancelled);
        }
        if let Some(target) = opts.target_ci {
            if target_met(&acc, opts.horizon, target) {
                break;
            }
        }
    }
    Ok(acc)
}

/// Runs a whole Monte Carlo study.
pub fn run(model: &Model, opts: &RunOptions) -> Result<Accumulator, Box<Overrun>> {
    run_range(model, opts, 0, &mut |_| true).map_err(|e| match e {
        Stopped::Overrun(o) => o,
        Stopped::Cancelled => unreachable!("the progress callback never cancels"),
    })
}

/// Runs replications `from..to` in replication order, or returns the
/// lowest-indexed overrun among them. Once a replication has overrun, those
/// after it are skipped (their outcome cannot matter), while every one
/// before it still runs, so the overrun returned is the same for any thread
/// count.
#[cfg(feature = "parallel")]
fn run_batch(
    model: &Model,
    opts: &RunOptions,
    from: u64,
    to: u64,
) -> Result<Vec<crate::sim::RepOutcome>, Box<Overrun>> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    let first_overrun = AtomicU64::new(u64::MAX);
    // `collect` on an indexed parallel iterator keeps replication order.
    let outcomes: Vec<Option<crate::sim::RepOutcome>> = (from..to)
        .into_par_iter()
        .map(|i| {
            if i > first_overrun.load(Ordering::Relaxed) {
                return None;
            }
            let o = run_replication_within(model, opts.seed, i, opts.horizon, opts.max_events);
            if o.overrun.is_some() {
                first_overrun.fetch_min(i, Ordering::Relaxed);
            }
            Some(o)
        })
        .collect();
    collect_batch(outcomes)
}

#[cfg(not(feature = "parallel"))]
fn run_batch(
    model: &Model,
    opts: &RunOptions,
    from: u64,
    to: u64,
) -> Result<Vec<crate::sim::RepOutcome>, Box<Overrun>> {
    let mut out = Vec::new();
    for i in from..to {
        let o = run_replication_within(model, opts.seed, i, opts.horizon, opts.max_events);
        if let Some(over) = o.overrun {
            return Err(over);
        }
        out.push(o);
    }
    Ok(out)
}

/// The batch's outcomes, or its first overrun in replication order.
#[cfg(feature = "parallel")]
fn collect_batch(
    outcomes: Vec<Option<crate::sim::RepOutcome>>,
) -> Result<Vec<crate::sim::RepOutcome>, Box<Overrun>> {
    let mut out = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        // A skipped replication only follows an overrun, which returns first.
        let o = o.expect("only replications after an overrun are skipped");
        if let Some(over) = o.overrun {
            return Err(over);
        }
        out.push(o);
    }
    Ok(out)
}

fn target_met(acc: &Accumulator, horizon: Nanos, target: f64) -> bool {
    acc.count >= 2
        && acc.services.iter().all(|s| {
            let e = s.downtime.estimate(1.0 / horizon as f64, 0.0);
            e.mean == 0.0 || e.half_width() <= target * e.mean
        })
}

/// The summary of a run, per service and per cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub replications: u64,
    pub horizon_years: f64,
    pub services: Vec<ServiceResult>,
    pub clusters: Vec<ClusterResult>,
    /// Events processed per simulated year (cost of the model).
    pub events_per_year: Estimate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceResult {
    pub name: String,
    /// Time-weighted fraction of the horizon the service was up.
    pub availability: Estimate,
    /// -log10(1 - availability): 3.0 means "three nines" (99.9%).
    pub nines: Option<f64>,
    pub downtime_minutes_per_year: Estimate,
    pub outages_per_year: Estimate,
    pub recovery_seconds: Percentiles,
    pub data_loss_events_per_year: Estimate,
    /// Mean time from the start to the first outage, in years, over the
    /// replications that had one (`first_outage_replications` of them): the
    /// MTTF of the service when that is every replication.
    pub first_outage_years: Estimate,
    pub first_outage_replications: u64,
    /// Downtime by initiating fault, largest first.
    pub downtime_causes: Vec<CauseShare>,
    /// The share of requests served: like `availability`, but while the
    /// service is up, the share of requests a load balancer still sends to
    /// dead servers counts as lost too. Equals `availability` for a service
    /// that depends on no such share.
    pub request_availability: Estimate,
    /// The integral of that failing share over the time the service was
    /// up, in minutes per year: one minute is a minute of every request
    /// failing, or three minutes of a third failing.
    pub error_weighted_downtime_minutes_per_year: Estimate,
}

/// Recovery-time percentiles over all completed outages, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
    /// 95% intervals of p50, p90 and p99 from order statistics (see
    /// [`Histogram::quantile_ci`]); `None` with fewer than two outages.
    pub p50_ci95: Option<[f64; 2]>,
    pub p90_ci95: Option<[f64; 2]>,
    pub p99_ci95: Option<[f64; 2]>,
    /// The recovery-time CDF as `[seconds, fraction]` points at every
    /// percentile (1%, 2%, ... 100%), for plotting; empty without outages.
    pub cdf: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CauseShare {
    pub cause: String,
    pub minutes_per_year: f64,
    /// Fraction of this service's downtime.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterResult {
    pub name: String,
    pub kind: String,
    pub outputs: Vec<OutputResult>,
    /// What gray failures (degradations) did to the cluster, apart from
    /// real failures; present only when a degradation reaches its inputs,
    /// so documents of models without degradations keep their shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gray: Option<GrayResult>,
}

/// A cluster's gray-failure figures, per year, with 95% intervals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrayResult {
    /// Failovers a degradation caused while the old leader still ran.
    pub false_failovers_per_year: Estimate,
    /// Healthy members marked down, or roles moved and back.
    pub flaps_per_year: Estimate,
    /// Minutes per year with two leaders or masters at once.
    pub split_brain_minutes_per_year: Estimate,
    /// Minutes per year the cluster's first output was down because of a
    /// degradation.
    pub downtime_minutes_per_year: Estimate,
    /// Data-loss events per year a degradation started.
    pub data_loss_events_per_year: Estimate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputResult {
    pub name: String,
    /// Minutes per year this output was down (for a quorum output: the time
    /// without quorum).
    pub down_minutes_per_year: Estimate,
    pub is_quorum: bool,
}

/// The recovery CDF at every percentile, dropping points that repeat the
/// previous time (many outages of one fixed length make a step).
fn recovery_cdf(h: &Histogram) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = Vec::new();
    for p in 1..=100u32 {
        let q = f64::from(p) / 100.0;
        if let Some(v) = h.quantile(q) {
            let x = v as f64 / NANOS_PER_SEC as f64;
            match out.last_mut() {
                Some(last) if last[0] == x => last[1] = q,
                _ => out.push([x, q]),
            }
        }
    }
    out
}

/// Turns exact sums into estimates with confidence intervals.
pub fn summarize(model: &Model, acc: &Accumulator, horizon: Nanos) -> RunResult {
    let years = horizon as f64 / NANOS_PER_YEAR as f64;
    let per_year_minutes = 1.0 / (NANOS_PER_MIN as f64 * years);
    let causes = Causes::of(model);
    let services = model
        .services
        .iter()
        .zip(&acc.services)
        .map(|(s, a)| {
            let availability = a.downtime.estimate(-1.0 / horizon as f64, 1.0);
            let unavailability = 1.0 - availability.mean;
            let total: u128 = a.causes.values().sum();
            let mut downtime_causes: Vec<CauseShare> = a
                .causes
                .iter()
                .map(|(c, d)| CauseShare {
                    cause: causes.label(model, *c),
                    minutes_per_year: *d as f64 / acc.count.max(1) as f64 * per_year_minutes,
                    share: if total == 0 {
                        0.0
                    } else {
                        *d as f64 / total as f64
                    },
                })
                .collect();
            // Largest first; ties broken by name so the order is total.
            downtime_causes.sort_by(|x, y| {
                y.minutes_per_year
                    .total_cmp(&x.minutes_per_year)
                    .then_with(|| x.cause.cmp(&y.cause))
            });
            let secs = |v: Option<u64>| v.map(|n| n as f64 / NANOS_PER_SEC as f64);
            let ci_secs = |v: Option<[u64; 2]>| {
                v.map(|[lo, hi]| {
                    [
                        lo as f64 / NANOS_PER_SEC as f64,
                        hi as f64 / NANOS_PER_SEC as f64,
                    ]
                })
            };
            ServiceResult {
                name: s.name.clone(),
                nines: (unavailability > 0.0).then(|| -libm::log10(unavailability)),
                availability,
                downtime_minutes_per_year: a.downtime.estimate(per_year_minutes, 0.0),
                outages_per_year: a.outages.estimate(1.0 / years, 0.0),
                recovery_seconds: Percentiles {
                    count: a.recovery.count,
                    mean: a.recovery.mean().map(|m| m / NANOS_PER_SEC as f64),
                    p50: secs(a.recovery.quantile(0.5)),
                    p90: secs(a.recovery.quantile(0.9)),
                    p99: secs(a.recovery.quantile(0.99)),
                    max: secs(a.recovery.max),
                    p50_ci95: ci_secs(a.recovery.quantile_ci(0.5)),
                    p90_ci95: ci_secs(a.recovery.quantile_ci(0.9)),
                    p99_ci95: ci_secs(a.recovery.quantile_ci(0.99)),
                    cdf: recovery_cdf(&a.recovery),
                },
                data_loss_events_per_year: a.data_loss.estimate(1.0 / years, 0.0),
                first_outage_years: a.first_outage.estimate(1.0 / NANOS_PER_YEAR as f64, 0.0),
                first_outage_replications: a.first_outage.n,
                downtime_causes,
                request_availability: a.request_downtime.estimate(-1.0 / horizon as f64, 1.0),
                error_weighted_downtime_minutes_per_year: a
                    .error_weighted
                    .estimate(per_year_minutes, 0.0),
            }
        })
        .collect();
    let mut k = 0;
    let clusters = model
        .clusters
        .iter()
        .enumerate()
        .map(|(ci, c)| ClusterResult {
            gray: (model.gray.exposed[ci] && c.kind.reacts_to_degradation()).then(|| {
                let g = &acc.gray[ci];
                GrayResult {
                    false_failovers_per_year: g.false_failovers.estimate(1.0 / years, 0.0),
                    flaps_per_year: g.flaps.estimate(1.0 / years, 0.0),
                    split_brain_minutes_per_year: g.split_brain.estimate(per_year_minutes, 0.0),
                    downtime_minutes_per_year: g.downtime.estimate(per_year_minutes, 0.0),
                    data_loss_events_per_year: g.data_loss.estimate(1.0 / years, 0.0),
                }
            }),
            name: c.name.clone(),
            kind: c.kind.kind().to_string(),
            outputs: c
                .kind
                .output_names()
                .into_iter()
                .enumerate()
                .map(|(i, o)| {
                    let r = OutputResult {
                        name: o,
                        down_minutes_per_year: acc.outputs[k].estimate(per_year_minutes, 0.0),
                        is_quorum: c.kind.quorum_output() == Some(i),
                    };
                    k += 1;
                    r
                })
                .collect(),
        })
        .collect();
    RunResult {
        replications: acc.count,
        horizon_years: years,
        services,
        clusters,
        events_per_year: acc.events.estimate(1.0 / years, 0.0),
    }
}
