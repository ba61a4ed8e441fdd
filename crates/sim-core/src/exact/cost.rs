//! What failover costs: a service's simulated downtime set beside its
//! structural downtime. The structure says how long the service is down
//! because what it needs has failed and not yet been repaired; the
//! simulation also plays the failover machinery (elections, VIP takeovers,
//! fencing, eviction). Their difference is the downtime the machinery adds
//! (or, negative, removes where a protocol masks a structural failure).
//!
//! Where no cluster on a service's path has timers, the simulation and the
//! structure describe the same process, so the simulation's 95% interval
//! should hold the exact value: [`FailoverCost::disagrees`] is the
//! always-on cross-check of the simulator against mathematics.

use super::{Analysis, ServiceExact};
use crate::runner::RunResult;
use crate::stats::Estimate;

/// One service's structural and simulated downtime.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FailoverCost {
    pub service: String,
    /// Minutes a year from the structure alone (the exact analysis).
    pub structural_minutes_per_year: f64,
    /// Minutes a year the simulation measured.
    pub simulated_minutes_per_year: Estimate,
    /// Simulated minus structural: what the failover machinery adds.
    pub failover_minutes_per_year: f64,
    /// The clusters whose transients make up the difference (none: the
    /// two must agree).
    pub transients: Vec<String>,
    /// Where the exact figure is itself an approximation.
    pub approximations: Vec<String>,
}

impl FailoverCost {
    /// True when the service has no transients, its exact figure is exact,
    /// and the simulation's 95% interval of availability does not hold the
    /// exact availability. About one run in twenty disagrees by chance.
    pub fn disagrees(&self, simulated_availability: &Estimate, exact: &ServiceExact) -> bool {
        self.transients.is_empty()
            && self.approximations.is_empty()
            && simulated_availability
                .ci95
                .is_some_and(|[lo, hi]| exact.availability < lo || exact.availability > hi)
    }
}

/// What a run can say about the failover machinery's cost, from the
/// structural figure and the simulation's interval. The exact figure has no
/// error, so the difference is as uncertain as the simulated mean: while the
/// exact value lies inside the simulation's 95% interval, the run cannot
/// tell the machinery's cost from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machinery {
    /// No cluster on the service's path has failover timers.
    NoTimers,
    /// Neither the structure nor the run has any downtime.
    NoDowntime,
    /// The cost is within the simulation's interval.
    Within,
    /// The machinery adds downtime beyond the interval.
    Adds,
    /// The machinery removes downtime (a protocol masks a structural
    /// failure) beyond the interval.
    Removes,
}

impl FailoverCost {
    pub fn machinery(&self) -> Machinery {
        let sim = &self.simulated_minutes_per_year;
        let within = sim
            .ci95
            .is_some_and(|[lo, hi]| (lo..=hi).contains(&self.structural_minutes_per_year));
        if self.transients.is_empty() {
            Machinery::NoTimers
        } else if sim.mean == 0.0 && self.structural_minutes_per_year == 0.0 {
            Machinery::NoDowntime
        } else if within {
            Machinery::Within
        } else if self.failover_minutes_per_year >= 0.0 {
            Machinery::Adds
        } else {
            Machinery::Removes
        }
    }
}

/// The cost per service solved exactly, in the order of `result`; a service
/// the analysis could not solve is left out (its report says why).
pub fn failover_costs(analysis: &Analysis, result: &RunResult) -> Vec<(FailoverCost, bool)> {
    result
        .services
        .iter()
        .filter_map(|s| {
            let report = analysis.services.iter().find(|r| r.name == s.name)?;
            let exact = report.result.as_ref().ok()?;
            let structural = exact.downtime_seconds_per_year / 60.0;
            let cost = FailoverCost {
                service: s.name.clone(),
                structural_minutes_per_year: structural,
                simulated_minutes_per_year: s.downtime_minutes_per_year,
                failover_minutes_per_year: s.downtime_minutes_per_year.mean - structural,
                transients: exact.transients_excluded.clone(),
                approximations: exact.approximations.clone(),
            };
            let disagrees = cost.disagrees(&s.availability, exact);
            Some((cost, disagrees))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{run, summarize, RunOptions};
    use crate::time::NANOS_PER_YEAR;

    /// Two components in parallel, no cluster: the exact availability is
    /// 1 - (1/101)^2 and a run's interval should hold it; the cross-check
    /// fires only when the exact value lies outside the interval.
    #[test]
    fn the_cross_check_fires_only_outside_the_interval() {
        let m = crate::model::load(
            "m.toml",
            r#"
[components.a]
failures = [{ every = "exp(100h)", repair = "exp(1h)" }]
[components.b]
failures = [{ every = "exp(100h)", repair = "exp(1h)" }]
[services.s]
requires = "a | b"
"#,
        )
        .unwrap();
        let opts = RunOptions {
            seed: 7,
            replications: 200,
            horizon: NANOS_PER_YEAR,
            ..RunOptions::default()
        };
        let acc = run(&m, &opts).unwrap();
        let result = summarize(&m, &acc, opts.horizon);
        let analysis = crate::exact::analyse(&m, crate::exact::Options::default());
        let costs = failover_costs(&analysis, &result);
        assert_eq!(costs.len(), 1);
        let (cost, disagrees) = &costs[0];
        assert!(cost.transients.is_empty());
        assert!(
            !disagrees,
            "seed 7: {cost:?} against {:?}",
            result.services[0].availability
        );
        let exact = analysis.services[0].result.as_ref().unwrap();
        let q = 1.0 / 101.0;
        assert!((exact.availability - (1.0 - q * q)).abs() < 1e-12);
        // The same check against an interval that misses the exact value.
        let off = Estimate {
            mean: 0.5,
            ci95: Some([0.4, 0.6]),
            n: 200,
        };
        assert!(cost.disagrees(&off, exact));
    }
}
