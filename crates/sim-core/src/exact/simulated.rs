//! Importance measures from the simulation, with common random numbers.
//!
//! The exact importance measures read the structure only. These read the
//! whole simulation, failover timers included: for each element with
//! failure modes, every replication runs three times with the same seed and
//! index (the same random streams): as modelled, with the element made
//! perfect (its failure modes and maintenance removed) and with it always
//! failed (down from the first nanosecond to past the horizon). The
//! per-replication differences are paired, so their intervals are much
//! narrower than those of independent runs.
//!
//! With Q the service's unavailability as modelled, Q1 with the element
//! failed and Q0 with it perfect (the definitions of Rausand and Høyland,
//! "System Reliability Theory", 2nd ed., section 5.3, with the element's
//! state forced instead of a probability set):
//! - Birnbaum = Q1 - Q0, the unavailability the element's state decides;
//! - Fussell-Vesely = (Q - Q0) / Q, the share of the unavailability that
//!   involves the element;
//! - RAW = Q1 / Q and RRW = Q / Q0.

use crate::dist::Dist;
use crate::model::compile::{CauseInfo, FailureMode, Model};
use crate::runner::{run_replication_within, RunOptions};
use crate::sim::Overrun;
use crate::stats::{student_t_quantile, Estimate};
use crate::time::Nanos;

/// One element's importance for one service.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ElementImportance {
    pub element: String,
    pub service: String,
    /// The service's unavailability as modelled, with the element perfect,
    /// and with it always failed.
    pub unavailability: Estimate,
    pub perfect: Estimate,
    pub failed: Estimate,
    /// Q1 - Q0, paired over replications.
    pub birnbaum: Estimate,
    /// (Q - Q0) / Q: the paired difference's interval over the mean Q.
    pub fussell_vesely: Estimate,
    /// Q1 / Q, or infinity when Q is zero.
    pub raw: f64,
    /// Q / Q0, or infinity when Q0 is zero.
    pub rrw: f64,
}

/// The model with element `e` made perfect: no failure modes, no
/// maintenance. Its gray failures (`degradations`) stay: they are not
/// failures of the element, and the map of where they reach is built from
/// them.
fn perfect(model: &Model, e: usize) -> Model {
    let mut m = model.clone();
    m.elements[e].modes.clear();
    forget_latent(&mut m, e);
    m
}

/// The model with element `e` down from the start to past the horizon: one
/// failure one nanosecond in, repaired after twice the horizon, with its
/// own cause so the downtime it causes is attributed to it.
fn failed(model: &Model, e: usize, horizon: Nanos) -> Model {
    let mut m = model.clone();
    let cause = m.causes.len() as u32;
    m.causes.push(CauseInfo {
        element: e,
        mode: "always failed".into(),
        planned: false,
        gray: false,
        label: format!("{} always failed", m.elements[e].name),
    });
    m.elements[e].modes = vec![FailureMode {
        name: "always failed".into(),
        every: Dist::Fixed { value: 1 },
        repair: Dist::Fixed {
            value: horizon.saturating_mul(2),
        },
        planned: false,
        offset: None,
        crew: None,
        cause,
        latent: None,
    }];
    forget_latent(&mut m, e);
    m
}

/// The services no longer look for latent modes of element `e`, whose
/// modes were replaced.
fn forget_latent(m: &mut Model, e: usize) {
    for s in &mut m.services {
        s.latent_modes.retain(|(el, _)| *el != e);
    }
}

/// Each service's downtime (ns) in replication `i` of `model`.
fn downtimes(model: &Model, opts: &RunOptions, i: u64) -> Result<Vec<u64>, Box<Overrun>> {
    let o = run_replication_within(model, opts.seed, i, opts.horizon, opts.max_events);
    if let Some(over) = o.overrun {
        return Err(over);
    }
    Ok(o.services.iter().map(|s| s.downtime).collect())
}

/// The mean and 95% interval of `xs`, summed in order (so the bits do not
/// depend on how replications were spread over threads), the variance in
/// two passes.
fn estimate(xs: impl Iterator<Item = f64>) -> Estimate {
    let xs: Vec<f64> = xs.collect();
    let n = xs.len() as u64;
    let mean = if n > 0 {
        xs.iter().sum::<f64>() / n as f64
    } else {
        0.0
    };
    if n < 2 {
        return Estimate {
            mean,
            ci95: None,
            n,
        };
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let h = student_t_quantile(0.975, (n - 1) as f64) * libm::sqrt(var / n as f64);
    Estimate {
        mean,
        ci95: Some([mean - h, mean + h]),
        n,
    }
}

/// The simulated importance of every element with failure modes, for every
/// service, most important (Birnbaum) first per service. Runs
/// `opts.replications` replications of 1 + 2 x (elements) models.
pub fn simulated_importance(
    model: &Model,
    opts: &RunOptions,
) -> Result<Vec<ElementImportance>, Box<Overrun>> {
    let elements: Vec<usize> = (0..model.elements.len())
        .filter(|e| !model.elements[*e].modes.is_empty())
        .collect();
    let mut variants = vec![model.clone()];
    for &e in &elements {
        variants.push(perfect(model, e));
        variants.push(failed(model, e, opts.horizon));
    }
    // Per replication, per variant, per service: downtime in ns.
    let one = |i: u64| -> Result<Vec<Vec<u64>>, Box<Overrun>> {
        variants.iter().map(|m| downtimes(m, opts, i)).collect()
    };
    #[cfg(feature = "parallel")]
    let reps: Vec<Result<Vec<Vec<u64>>, Box<Overrun>>> = {
        use rayon::prelude::*;
        // An indexed parallel iterator collects in replication order.
        (0..opts.replications).into_par_iter().map(one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let reps: Vec<Result<Vec<Vec<u64>>, Box<Overrun>>> = (0..opts.replications).map(one).collect();
    let reps: Vec<Vec<Vec<u64>>> = reps.into_iter().collect::<Result<_, _>>()?;
    let h = opts.horizon as f64;
    let q = |v: usize, s: usize| estimate(reps.iter().map(|r| r[v][s] as f64 / h));
    let mut out = Vec::new();
    for (s, svc) in model.services.iter().enumerate() {
        let base = q(0, s);
        let mut rows: Vec<ElementImportance> = elements
            .iter()
            .enumerate()
            .map(|(k, &e)| {
                let (pv, fv) = (1 + 2 * k, 2 + 2 * k);
                let perfect = q(pv, s);
                let failed = q(fv, s);
                let birnbaum =
                    estimate(reps.iter().map(|r| (r[fv][s] as f64 - r[pv][s] as f64) / h));
                let gain = estimate(reps.iter().map(|r| (r[0][s] as f64 - r[pv][s] as f64) / h));
                let ratio = |x: f64| if base.mean > 0.0 { x / base.mean } else { 0.0 };
                let fussell_vesely = Estimate {
                    mean: ratio(gain.mean),
                    ci95: gain.ci95.map(|[lo, hi]| [ratio(lo), ratio(hi)]),
                    n: gain.n,
                };
                ElementImportance {
                    element: model.elements[e].name.clone(),
                    service: svc.name.clone(),
                    unavailability: base,
                    perfect,
                    failed,
                    birnbaum,
                    fussell_vesely,
                    raw: if base.mean > 0.0 {
                        failed.mean / base.mean
                    } else {
                        f64::INFINITY
                    },
                    rrw: if perfect.mean > 0.0 {
                        base.mean / perfect.mean
                    } else {
                        f64::INFINITY
                    },
                }
            })
            .collect();
        // Most important first; ties keep the model's order (a stable sort).
        rows.sort_by(|a, b| b.birnbaum.mean.total_cmp(&a.birnbaum.mean));
        out.extend(rows);
    }
    Ok(out)
}
