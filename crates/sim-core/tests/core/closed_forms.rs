//! The engine against closed forms (shared/HA-FACTS.md section 9).

use crate::k_of_n_model;
use sim_core::model::load;
use sim_core::runner::{run, run_range, summarize, RunOptions};
use sim_core::time::NANOS_PER_YEAR;

fn binomial(n: u32, k: u32) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
}

/// A = sum_{i=k..n} C(n,i) a^i (1-a)^(n-i), a = mu / (lambda + mu).
fn independent_repair(k: u32, n: u32, lambda: f64, mu: f64) -> f64 {
    let a = mu / (lambda + mu);
    (k..=n)
        .map(|i| binomial(n, i) * a.powi(i as i32) * (1.0 - a).powi((n - i) as i32))
        .sum()
}

/// One shared crew: birth-death chain over j failed components.
fn shared_crew(k: u32, n: u32, lambda: f64, mu: f64) -> f64 {
    let rho = lambda / mu;
    let term = |j: u32| (0..j).map(|i| f64::from(n - i)).product::<f64>() * rho.powi(j as i32);
    let up: f64 = (0..=n - k).map(term).sum();
    let all: f64 = (0..=n).map(term).sum();
    up / all
}

struct Case {
    k: u32,
    n: u32,
    mtbf_h: f64,
    mttr_h: f64,
    crew: bool,
}

const CASES: &[Case] = &[
    Case {
        k: 2,
        n: 3,
        mtbf_h: 1000.0,
        mttr_h: 100.0,
        crew: false,
    },
    Case {
        k: 1,
        n: 2,
        mtbf_h: 500.0,
        mttr_h: 100.0,
        crew: false,
    },
    Case {
        k: 3,
        n: 5,
        mtbf_h: 2000.0,
        mttr_h: 300.0,
        crew: false,
    },
    Case {
        k: 2,
        n: 3,
        mtbf_h: 1000.0,
        mttr_h: 100.0,
        crew: true,
    },
    Case {
        k: 3,
        n: 5,
        mtbf_h: 1000.0,
        mttr_h: 200.0,
        crew: true,
    },
    Case {
        k: 1,
        n: 3,
        mtbf_h: 300.0,
        mttr_h: 150.0,
        crew: true,
    },
];

#[test]
fn k_of_n_availability_matches_closed_forms() {
    let seed = 20_261_121;
    for c in CASES {
        let (lambda, mu) = (1.0 / c.mtbf_h, 1.0 / c.mttr_h);
        let truth = if c.crew {
            shared_crew(c.k, c.n, lambda, mu)
        } else {
            independent_repair(c.k, c.n, lambda, mu)
        };
        let model = load(
            "k-of-n.toml",
            &k_of_n_model(c.k, c.n, c.mtbf_h, c.mttr_h, c.crew),
        )
        .unwrap();
        let opts = RunOptions {
            seed,
            replications: 1000,
            horizon: 10 * NANOS_PER_YEAR,
            ..Default::default()
        };
        let r = summarize(&model, &run(&model, &opts).unwrap(), opts.horizon);
        let a = r.services[0].availability;
        let [lo, hi] = a.ci95.unwrap();
        assert!(
            lo <= truth && truth <= hi,
            "{} of {} (MTBF {}h, MTTR {}h, shared crew {}): closed form {truth:.6} outside 95% CI [{lo:.6}, {hi:.6}] (seed {seed})",
            c.k, c.n, c.mtbf_h, c.mttr_h, c.crew
        );
    }
}

/// The 95% interval must cover the truth about 95% of the time. Over 60
/// disjoint blocks of replications the count of covering intervals is
/// Binomial(60, 0.95): at least 52 with probability 99.6%.
#[test]
fn confidence_intervals_have_their_nominal_coverage() {
    let seed = 7;
    let (lambda, mu) = (1.0 / 1000.0, 1.0 / 100.0);
    let truth = independent_repair(2, 3, lambda, mu);
    let model = load("k-of-n.toml", &k_of_n_model(2, 3, 1000.0, 100.0, false)).unwrap();
    let opts = RunOptions {
        seed,
        replications: 60,
        horizon: 10 * NANOS_PER_YEAR,
        ..Default::default()
    };
    let blocks = 60;
    let covered = (0..blocks)
        .filter(|b| {
            let acc = run_range(&model, &opts, b * opts.replications, &mut |_| true).unwrap();
            let [lo, hi] = summarize(&model, &acc, opts.horizon).services[0]
                .availability
                .ci95
                .unwrap();
            lo <= truth && truth <= hi
        })
        .count();
    assert!(
        covered >= 52,
        "only {covered} of {blocks} 95% intervals covered the closed form {truth} (seed {seed})"
    );
}

/// Mean time to first failure of 2-of-3: 5/(6 lambda) without repair,
/// (5 lambda + mu)/(6 lambda^2) with repair rate mu.
#[test]
fn two_of_three_mean_time_to_first_failure() {
    let seed = 99;
    for (mttr, label) in [("fixed(150y)", "no repair"), ("exp(0.1y)", "repair")] {
        let lambda = 1.0; // per year
        let mu = if label == "repair" { 10.0 } else { 0.0 };
        let truth = if mu == 0.0 {
            5.0 / (6.0 * lambda)
        } else {
            (5.0 * lambda + mu) / (6.0 * lambda * lambda)
        };
        let text = k_of_n_model(2, 3, 1.0, 1.0, false)
            .replace("exp(1h)\" }", &format!("{mttr}\" }}"))
            .replace("exp(1h)", "exp(1y)");
        let model = load("mttf.toml", &text).unwrap();
        let opts = RunOptions {
            seed,
            replications: 2000,
            horizon: 100 * NANOS_PER_YEAR,
            ..Default::default()
        };
        let r = summarize(&model, &run(&model, &opts).unwrap(), opts.horizon);
        let s = &r.services[0];
        assert_eq!(
            s.first_outage_replications, 2000,
            "every replication must see a first failure"
        );
        let [lo, hi] = s.first_outage_years.ci95.unwrap();
        assert!(
            lo <= truth && truth <= hi,
            "2-of-3 MTTF ({label}): truth {truth} outside [{lo}, {hi}] (seed {seed})"
        );
    }
}

/// Recovery-time percentiles and their intervals: with one component, every
/// outage lasts exactly one exponential repair, so the true p50 is
/// mean * ln 2 and the true p90 is mean * ln 10.
#[test]
fn recovery_percentile_intervals_cover_the_exponential_quantiles() {
    let seed = 11;
    let model = load("one.toml", &k_of_n_model(1, 1, 1000.0, 100.0, false)).unwrap();
    let opts = RunOptions {
        seed,
        replications: 400,
        horizon: 10 * NANOS_PER_YEAR,
        ..Default::default()
    };
    let r = summarize(&model, &run(&model, &opts).unwrap(), opts.horizon);
    let rec = &r.services[0].recovery_seconds;
    let mean = 100.0 * 3600.0;
    for (q, ci, truth) in [
        (0.5, rec.p50_ci95, mean * std::f64::consts::LN_2),
        (0.9, rec.p90_ci95, mean * std::f64::consts::LN_10),
    ] {
        let [lo, hi] = ci.unwrap();
        assert!(
            lo <= truth && truth <= hi,
            "p{}: truth {truth} s outside [{lo}, {hi}] (seed {seed}, {} outages)",
            q * 100.0,
            rec.count
        );
        // And the interval is informative: a few percent wide with thousands of outages.
        assert!(
            (hi - lo) / truth < 0.15,
            "p{} interval too wide: [{lo}, {hi}]",
            q * 100.0
        );
    }
}
