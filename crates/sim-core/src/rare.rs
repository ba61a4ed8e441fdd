//! Rare events: importance sampling by balanced failure biasing over
//! regenerative cycles, for designs whose unavailability is so small that
//! plain Monte Carlo would need millions of replications to see enough
//! outages for a usable interval.
//!
//! Why this method. Heidelberger's survey (ACM TOMACS 5(1), 1995) sets out
//! the two families: importance sampling, which changes the probability law
//! of the failure processes and weights each sample with its likelihood
//! ratio, and splitting (RESTART, Villén-Altamirano 1991), which restarts
//! promising paths at thresholds of an importance function. Splitting needs
//! the simulation's whole state to be cloned at each threshold, protocol
//! clusters included, and an importance function for every kind; balanced
//! failure biasing (Shahabuddin, Management Science 40(3), 1994) needs only
//! the failure processes, works for any structure without knowing its cut
//! sets, and has bounded relative error for highly reliable Markovian
//! systems as failure rates go to zero. The protocol models keep their real
//! timers: only the failure times are drawn from another law.
//!
//! How it runs. The all-up state, once the clusters have settled (nothing
//! left scheduled), is a regeneration point: exponential failure times
//! forget their past, so every visit to it starts an independent,
//! identically distributed cycle. A cycle is an all-up period, exponential
//! with the total failure rate `Λ` and not simulated (its mean `1/Λ` is
//! exact), then an excursion from the first failure back to the settled
//! all-up state. During the excursion, while anything is failed, every
//! mode that is up is made more likely to fail before the next repair ends
//! (failure forcing over that window, balanced over the modes up: see
//! `Replication::rebias` in `sim.rs`); each cycle carries its likelihood
//! ratio `L`. With `D` the cycle's downtime and `X`
//! its excursion length, the renewal-reward theorem gives
//!
//! ```text
//! unavailability = E[D] / E[cycle] = E*[D L] / (1/Λ + E*[X L])
//! ```
//!
//! where `E*` is under the biased law. The interval is the delta method's
//! for a ratio of means over independent cycles, so the spread of the
//! likelihood ratios is part of it; the mean of `L` itself, which must be 1,
//! is reported as a check.
//!
//! Determinism. Cycle `i` uses random stream `i` of the seed, and every sum
//! is exact (non-negative values in fixed point with 64 fractional bits, in
//! 256-bit integers), so the result is the same bits for any thread count
//! and any split of the cycles.

use crate::model::compile::Model;
use crate::sim::Replication;
pub use crate::sim::{Biasing, CycleOutcome};
use crate::stats::{student_t_quantile, Estimate, U256};
use crate::time::{Nanos, NANOS_PER_SEC, NANOS_PER_YEAR};
use serde::{Deserialize, Serialize};

/// Below this structural unavailability (from the exact analysis) of every
/// service, `--estimator auto` picks importance sampling: at 1e-4 a plain
/// run of 1,000 ten-year replications sees only a few dozen outages.
pub const AUTO_BELOW: f64 = 1e-4;

/// Balanced failure biasing's probability that a mode up fails within a
/// repair window of typical length (shared evenly by the modes up).
/// Shahabuddin (1994) uses 0.5 in his examples; here, with 40,000 cycles of
/// a 3-of-5 (MTTF 90 d, MTTR 10 h) and of a 4-of-6 (5000 h, 24 h), 0.3 gave
/// the narrowest intervals of 0.3, 0.5, 0.7 and 0.85 on both: more forcing
/// reaches the cut more often but spreads the likelihood ratios more.
pub const FAILURE_BIAS: f64 = 0.3;

/// How long a cycle may run before it is cut: ten years, far past any
/// repair in a design that needs this estimator.
pub const CYCLE_CAP: Nanos = 10 * NANOS_PER_YEAR;

/// Which estimator a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// Plain Monte Carlo over fixed-horizon replications.
    MonteCarlo,
    /// Importance sampling by balanced failure biasing over regenerative cycles.
    Importance,
}

impl Estimator {
    pub fn describe(self) -> &'static str {
        match self {
            Estimator::MonteCarlo => "plain Monte Carlo",
            Estimator::Importance => {
                "importance sampling (balanced failure biasing over regenerative cycles)"
            }
        }
    }
}

/// What the user asked for: one estimator, or the choice left to hasim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    MonteCarlo,
    Importance,
    Auto,
}

impl std::str::FromStr for Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Choice, String> {
        match s {
            "mc" | "monte-carlo" => Ok(Choice::MonteCarlo),
            "is" | "importance" => Ok(Choice::Importance),
            "auto" => Ok(Choice::Auto),
            _ => Err(format!(
                "`{s}` is not an estimator: use `mc` (plain Monte Carlo), `is` (importance \
                 sampling) or `auto`"
            )),
        }
    }
}

/// Checks that importance sampling applies to `model` and returns its
/// change of measure, or says why it does not apply.
pub fn qualify(model: &Model) -> Result<Biasing, String> {
    let mut rates = Vec::with_capacity(model.elements.len());
    let mut repair_rates = Vec::with_capacity(model.elements.len());
    for el in &model.elements {
        let why = |what: &str| {
            format!("element `{}` {what}; importance sampling needs only exponential failures with repair", el.name)
        };
        if !el.degradations.is_empty() {
            return Err(why("has degradations"));
        }
        if el.battery.is_some() || el.generator.is_some() {
            return Err(why("has a battery or a generator"));
        }
        let mut r = Vec::with_capacity(el.modes.len());
        let mut q = Vec::with_capacity(el.modes.len());
        for fm in &el.modes {
            if fm.planned {
                return Err(why(&format!("has planned maintenance (`{}`)", fm.name)));
            }
            if fm.latent.is_some() {
                return Err(why(&format!("has a latent failure mode (`{}`)", fm.name)));
            }
            let crate::dist::Dist::Exponential { mean } = fm.every else {
                return Err(why(&format!(
                    "fails (`{}`) at times that are not exponential, which have a memory a \
                     regenerative cycle cannot forget",
                    fm.name
                )));
            };
            let repair = fm.repair.mean();
            if mean <= 0.0 || repair <= 0.0 {
                return Err(why(&format!(
                    "has a failure mode (`{}`) with a zero time",
                    fm.name
                )));
            }
            r.push(1.0 / mean);
            q.push(1.0 / repair);
        }
        rates.push(r);
        repair_rates.push(q);
    }
    let total: f64 = rates.iter().flatten().sum();
    if total == 0.0 {
        return Err("nothing in the model can fail".to_string());
    }
    Ok(Biasing {
        rates,
        repair_rates,
        p: FAILURE_BIAS,
        total,
    })
}

/// An exact sum of non-negative `f64` values: each is truncated to a
/// multiple of 2^-64 and added as an integer, so sums merge associatively.
/// Values up to 2^191 fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedSum(pub U256);

impl FixedSum {
    pub fn add(&mut self, x: f64) {
        if x.is_nan() || x <= 0.0 || x.is_infinite() {
            return;
        }
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let (mant, exp) = if exp == 0 {
            (bits & ((1 << 52) - 1), -1074)
        } else {
            ((bits & ((1 << 52) - 1)) | (1 << 52), exp - 1075)
        };
        // x = mant * 2^exp; in units of 2^-64 it is mant * 2^(exp + 64).
        let shift = exp + 64;
        let m = u128::from(mant);
        let mut v = U256::default();
        if shift < 0 {
            if shift > -128 {
                v.lo = m >> (-shift);
            }
        } else if shift < 128 {
            v.lo = m << shift;
            if shift > 75 {
                v.hi = m >> (128 - shift);
            }
        } else {
            v.hi = m << (shift - 128).min(127);
        }
        self.0.add(&v);
    }

    pub fn merge(&mut self, other: &FixedSum) {
        self.0.add(&other.0);
    }

    pub fn value(&self) -> f64 {
        self.0.to_f64() * libm::pow(2.0, -64.0)
    }
}

/// One service's sums over cycles: `y = D L` (downtime, seconds), `o = O L`
/// (outages), `z = X L` (excursion length, seconds), and `D^2 L`, which
/// estimates the second moment of the downtime under the true law (what
/// plain Monte Carlo's variance would be).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RareServiceAcc {
    pub y: FixedSum,
    pub yy: FixedSum,
    pub yz: FixedSum,
    pub o: FixedSum,
    pub oo: FixedSum,
    pub oz: FixedSum,
    pub dd_l: FixedSum,
    /// Cycles in which the service went down at all.
    pub hits: u64,
}

/// Exact sums over a range of cycles; adjacent ranges merge bit for bit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RareAcc {
    pub first: u64,
    pub count: u64,
    pub cut: u64,
    pub events: u64,
    pub z: FixedSum,
    pub zz: FixedSum,
    pub l: FixedSum,
    pub ll: FixedSum,
    pub services: Vec<RareServiceAcc>,
}

impl RareAcc {
    pub fn new(model: &Model, first: u64) -> RareAcc {
        RareAcc {
            first,
            services: vec![RareServiceAcc::default(); model.services.len()],
            ..RareAcc::default()
        }
    }

    pub fn push(&mut self, c: &CycleOutcome) {
        let l = libm::exp(c.log_lr);
        let z = c.length as f64 / NANOS_PER_SEC as f64 * l;
        self.count += 1;
        self.cut += u64::from(c.cut);
        self.events += c.events;
        self.z.add(z);
        self.zz.add(z * z);
        self.l.add(l);
        self.ll.add(l * l);
        for (s, acc) in self.services.iter_mut().enumerate() {
            let d = c.downtime[s] as f64 / NANOS_PER_SEC as f64;
            let y = d * l;
            let o = c.outages[s] as f64 * l;
            acc.y.add(y);
            acc.yy.add(y * y);
            acc.yz.add(y * z);
            acc.o.add(o);
            acc.oo.add(o * o);
            acc.oz.add(o * z);
            acc.dd_l.add(d * d * l);
            acc.hits += u64::from(c.downtime[s] > 0);
        }
    }

    /// Appends the accumulator of the cycles right after this one's.
    pub fn merge(&mut self, other: &RareAcc) -> Result<(), String> {
        if other.first != self.first + self.count || other.services.len() != self.services.len() {
            return Err(format!(
                "cycles {}..{} do not follow cycles {}..{}",
                other.first,
                other.first + other.count,
                self.first,
                self.first + self.count
            ));
        }
        self.count += other.count;
        self.cut += other.cut;
        self.events += other.events;
        self.z.merge(&other.z);
        self.zz.merge(&other.zz);
        self.l.merge(&other.l);
        self.ll.merge(&other.ll);
        for (a, b) in self.services.iter_mut().zip(&other.services) {
            a.y.merge(&b.y);
            a.yy.merge(&b.yy);
            a.yz.merge(&b.yz);
            a.o.merge(&b.o);
            a.oo.merge(&b.oo);
            a.oz.merge(&b.oz);
            a.dd_l.merge(&b.dd_l);
            a.hits += b.hits;
        }
        Ok(())
    }
}

/// Options of an importance-sampling run; with the model text they decide
/// the result exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct RareOptions {
    pub seed: u64,
    /// How many cycles (the most, with `target_ci`).
    pub cycles: u64,
    /// Stop once every service's unavailability has a 95% half-width below
    /// this fraction of its value, checked after each batch.
    pub target_ci: Option<f64>,
    pub batch: u64,
    pub max_events: u64,
}

/// Runs cycle `index`.
pub fn run_cycle(
    model: &Model,
    bias: &Biasing,
    opts: &RareOptions,
    index: u64,
) -> Result<CycleOutcome, String> {
    Replication::new(model, opts.seed, index)
        .with_max_events(opts.max_events)
        .run_cycle(bias, CYCLE_CAP)
        .map_err(|e| format!("cycle {index}: {e}"))
}

/// Runs cycles `first..first + opts.cycles` in order (in parallel with the
/// `parallel` feature; the sums are exact, so the bits do not depend on
/// it). `progress` gets the cycles done after each batch; returning false
/// cancels.
pub fn run_range(
    model: &Model,
    bias: &Biasing,
    opts: &RareOptions,
    first: u64,
    progress: &mut dyn FnMut(u64) -> bool,
) -> Result<RareAcc, String> {
    let mut acc = RareAcc::new(model, first);
    let end = first + opts.cycles;
    let batch = opts.batch.max(1);
    let mut next = first;
    while next < end {
        let stop = (next + batch).min(end);
        for c in run_batch(model, bias, opts, next, stop)? {
            acc.push(&c);
        }
        next = stop;
        if !progress(next - first) {
            return Err("cancelled".to_string());
        }
        if let Some(target) = opts.target_ci {
            let r = summarize(model, bias, &acc);
            if acc.count >= 2
                && r.services.iter().all(|s| {
                    s.unavailability.mean == 0.0
                        || s.unavailability.half_width() <= target * s.unavailability.mean
                })
            {
                break;
            }
        }
    }
    Ok(acc)
}

#[cfg(feature = "parallel")]
fn run_batch(
    model: &Model,
    bias: &Biasing,
    opts: &RareOptions,
    from: u64,
    to: u64,
) -> Result<Vec<CycleOutcome>, String> {
    use rayon::prelude::*;
    // `collect` on an indexed parallel iterator keeps cycle order, so the
    // first error is the lowest-indexed one whatever the thread count.
    (from..to)
        .into_par_iter()
        .map(|i| run_cycle(model, bias, opts, i))
        .collect()
}

#[cfg(not(feature = "parallel"))]
fn run_batch(
    model: &Model,
    bias: &Biasing,
    opts: &RareOptions,
    from: u64,
    to: u64,
) -> Result<Vec<CycleOutcome>, String> {
    (from..to)
        .map(|i| run_cycle(model, bias, opts, i))
        .collect()
}

/// One service's estimates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RareService {
    pub name: String,
    pub unavailability: Estimate,
    pub availability: Estimate,
    pub downtime_hours_per_year: Estimate,
    pub outages_per_year: Estimate,
    /// Cycles in which the service went down.
    pub hits: u64,
    /// How many times more cycles plain Monte Carlo would need for the same
    /// interval (the ratio of the per-cycle variances, the true law's
    /// estimated from the same biased cycles), `None` when the service
    /// never went down.
    pub plain_mc_factor: Option<f64>,
}

/// The result of an importance-sampling run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RareResult {
    pub estimator: Estimator,
    pub failure_bias: f64,
    pub cycles: u64,
    /// Cycles cut at [`CYCLE_CAP`] before they regenerated.
    pub cut: u64,
    pub events: u64,
    /// The mean cycle length in hours (the all-up period's exact mean plus
    /// the excursion's estimate).
    pub mean_cycle_hours: f64,
    /// The likelihood ratio's mean, which is 1 in expectation.
    pub likelihood_ratio: Estimate,
    pub services: Vec<RareService>,
}

fn sample_var(n: f64, sum: f64, sum_sq: f64) -> f64 {
    ((sum_sq - sum * sum / n) / (n - 1.0)).max(0.0)
}

fn sample_cov(n: f64, sa: f64, sb: f64, sab: f64) -> f64 {
    (sab - sa * sb / n) / (n - 1.0)
}

/// Mean `m` with the 95% interval of half-width `t * se`.
fn estimate(mean: f64, se: f64, n: u64, t: f64) -> Estimate {
    Estimate {
        mean,
        ci95: (n >= 2).then_some([mean - t * se, mean + t * se]),
        n,
    }
}

/// Turns the sums into estimates with 95% intervals.
pub fn summarize(model: &Model, bias: &Biasing, acc: &RareAcc) -> RareResult {
    let n = acc.count.max(1) as f64;
    let t = if acc.count >= 2 {
        student_t_quantile(0.975, n - 1.0)
    } else {
        f64::INFINITY
    };
    // Seconds: the all-up period's exact mean and the excursion's estimate.
    let up = 1.0 / bias.total / NANOS_PER_SEC as f64;
    let (sz, szz) = (acc.z.value(), acc.zz.value());
    let zbar = sz / n;
    let cycle = up + zbar;
    let var_z = sample_var(n, sz, szz);
    let (sl, sll) = (acc.l.value(), acc.ll.value());
    let year_s = NANOS_PER_YEAR as f64 / NANOS_PER_SEC as f64;
    let ratio = |sa: f64, saa: f64, saz: f64| {
        // The delta method for r = a / (c + z): its variance is
        // (var a - 2 r cov(a, z) + r^2 var z) / (n (c + z)^2).
        let r = sa / n / cycle;
        let v = sample_var(n, sa, saa) - 2.0 * r * sample_cov(n, sa, sz, saz) + r * r * var_z;
        (r, libm::sqrt(v.max(0.0) / n) / cycle)
    };
    let services = model
        .services
        .iter()
        .zip(&acc.services)
        .map(|(s, a)| {
            let (u, se) = ratio(a.y.value(), a.yy.value(), a.yz.value());
            let (f, fse) = ratio(a.o.value(), a.oo.value(), a.oz.value());
            let var_is = sample_var(n, a.y.value(), a.yy.value());
            let mean_d = a.y.value() / n;
            let var_mc = a.dd_l.value() / n - mean_d * mean_d;
            RareService {
                name: s.name.clone(),
                unavailability: estimate(u, se, acc.count, t),
                availability: estimate(1.0 - u, se, acc.count, t),
                downtime_hours_per_year: estimate(
                    u * year_s / 3600.0,
                    se * year_s / 3600.0,
                    acc.count,
                    t,
                ),
                outages_per_year: estimate(f * year_s, fse * year_s, acc.count, t),
                hits: a.hits,
                plain_mc_factor: (a.hits > 0 && var_is > 0.0).then(|| var_mc.max(0.0) / var_is),
            }
        })
        .collect();
    RareResult {
        estimator: Estimator::Importance,
        failure_bias: bias.p,
        cycles: acc.count,
        cut: acc.cut,
        events: acc.events,
        mean_cycle_hours: cycle / 3600.0,
        likelihood_ratio: estimate(sl / n, libm::sqrt(sample_var(n, sl, sll) / n), acc.count, t),
        services,
    }
}

/// Decides which estimator runs: `Ok(Some(bias))` for importance sampling,
/// `Ok(None)` for plain Monte Carlo. `Auto` picks importance sampling when
/// the model qualifies and the exact analysis solves every service with an
/// unavailability below [`AUTO_BELOW`]; `Importance` on a model that does
/// not qualify is an error saying why.
pub fn choose(model: &Model, choice: Choice) -> Result<Option<Biasing>, String> {
    match choice {
        Choice::MonteCarlo => Ok(None),
        Choice::Importance => qualify(model).map(Some),
        Choice::Auto => {
            let Ok(bias) = qualify(model) else {
                return Ok(None);
            };
            let a = crate::exact::analyse(
                model,
                crate::exact::Options {
                    max_cut_order: 1,
                    max_rows: 0,
                },
            );
            let rare = !a.services.is_empty()
                && a.services.iter().all(|s| {
                    s.result
                        .as_ref()
                        .is_ok_and(|r| r.unavailability > 0.0 && r.unavailability < AUTO_BELOW)
                });
            Ok(rare.then_some(bias))
        }
    }
}

/// The JSON of an importance-sampling run, the bytes of `hasim run
/// --estimator is --export-json` and of the browser's: its own kind, since
/// plain Monte Carlo's document has recovery percentiles and causes that
/// these cycles do not measure.
pub fn document_json(model: &Model, seed: u64, result: &RareResult) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        kind: &'static str,
        schema_version: u32,
        model: &'a str,
        hash: &'a str,
        seed: u64,
        result: &'a RareResult,
    }
    let mut json = serde_json::to_string_pretty(&Doc {
        kind: "hasim-rare-run",
        schema_version: 1,
        model: &model.name,
        hash: &model.text_hash,
        seed,
        result,
    })
    .expect("serializes");
    json.push('\n');
    json
}

/// The options of an importance-sampling run from a plain run's: its seed,
/// target and event budget, with `cycles` cycles in batches of at least
/// 1,000 (cycles are short; smaller batches only add overhead).
pub fn options_from(run: &crate::runner::RunOptions, cycles: u64) -> RareOptions {
    RareOptions {
        seed: run.seed,
        cycles,
        target_ci: run.target_ci,
        batch: run.batch.max(1000),
        max_events: run.max_events,
    }
}
