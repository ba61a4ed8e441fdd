//! Importance sampling (`sim_core::rare`) against closed forms: k-of-n
//! systems with independent exponential failures and repairs, whose
//! unavailability is the binomial tail P(fewer than k up) with each
//! component down with probability MTTR / (MTTF + MTTR) (shared/HA-FACTS.md
//! section 9).

use sim_core::model::load;
use sim_core::rare::{qualify, run_range, summarize, RareOptions};

/// P(fewer than `k` of `n` up), each up with probability `a`.
fn k_of_n_unavailability(k: u32, n: u32, mtbf_h: f64, mttr_h: f64) -> f64 {
    let a = mtbf_h / (mtbf_h + mttr_h);
    let binomial =
        |n: u32, j: u32| (0..j).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1));
    (0..k)
        .map(|j| binomial(n, j) * a.powi(j as i32) * (1.0 - a).powi((n - j) as i32))
        .sum()
}

fn opts(seed: u64, cycles: u64) -> RareOptions {
    RareOptions {
        seed,
        cycles,
        target_ci: None,
        batch: 1000,
        max_events: sim_core::runner::DEFAULT_MAX_EVENTS,
    }
}

/// A 3-of-5 with MTTF 90 days and MTTR 10 hours has unavailability
/// 9.7e-7: the interval from 200,000 cycles holds it, is within 10% of it,
/// and the likelihood ratios average 1.
#[test]
fn a_five_nines_three_of_five_matches_its_closed_form() {
    let (mtbf, mttr) = (2160.0, 10.0);
    let exact = k_of_n_unavailability(3, 5, mtbf, mttr);
    let model = load("k-of-n.toml", &crate::k_of_n_model(3, 5, mtbf, mttr, false)).unwrap();
    let bias = qualify(&model).unwrap();
    let seed = 7;
    let acc = run_range(&model, &bias, &opts(seed, 200_000), 0, &mut |_| true).unwrap();
    let r = summarize(&model, &bias, &acc);
    let u = r.services[0].unavailability;
    let [lo, hi] = u.ci95.unwrap();
    assert!(
        lo <= exact && exact <= hi,
        "seed {seed}: exact {exact:e} outside [{lo:e}, {hi:e}]"
    );
    assert!(
        u.half_width() < 0.1 * exact,
        "seed {seed}: half-width {:e} is not within 10% of {exact:e}",
        u.half_width()
    );
    let [llo, lhi] = r.likelihood_ratio.ci95.unwrap();
    assert!(
        llo <= 1.0 && 1.0 <= lhi,
        "seed {seed}: mean likelihood ratio [{llo}, {lhi}] excludes 1"
    );
    assert_eq!(r.cut, 0);
    // Plain Monte Carlo would need many times the cycles for this interval
    // (88 times with this seed, when this test was written).
    let factor = r.services[0].plain_mc_factor.unwrap();
    assert!(factor > 20.0, "seed {seed}: plain MC factor only {factor}");
}

/// Over 40 seeds of 10,000 cycles each, on three systems, the 95% intervals
/// hold the exact value about 95% of the time: at least 34 of 40 each
/// (the chance of fewer with true 95% coverage is below 1%).
#[test]
fn the_intervals_cover_the_exact_value_as_often_as_they_claim() {
    for &(k, n, mtbf, mttr) in &[
        (2u32, 3u32, 1000.0, 10.0),
        (3, 5, 2160.0, 10.0),
        (4, 6, 5000.0, 24.0),
    ] {
        let exact = k_of_n_unavailability(k, n, mtbf, mttr);
        let model = load("k-of-n.toml", &crate::k_of_n_model(k, n, mtbf, mttr, false)).unwrap();
        let bias = qualify(&model).unwrap();
        let mut covered = 0;
        let mut misses = Vec::new();
        for seed in 1..=40 {
            let acc = run_range(&model, &bias, &opts(seed, 10_000), 0, &mut |_| true).unwrap();
            let u = summarize(&model, &bias, &acc).services[0].unavailability;
            let [lo, hi] = u.ci95.unwrap();
            if lo <= exact && exact <= hi {
                covered += 1;
            } else {
                misses.push((seed, lo, hi));
            }
        }
        assert!(
            covered >= 34,
            "{k}-of-{n}: only {covered}/40 intervals hold {exact:e}; misses (seed, lo, hi): {misses:?}"
        );
    }
}

/// The sums are exact: cycles cut into ranges and merged give the bits of
/// one range, and one thread gives the bits of two.
#[test]
fn cycles_merge_and_thread_counts_keep_the_bits() {
    let model = load(
        "k-of-n.toml",
        &crate::k_of_n_model(3, 5, 2160.0, 10.0, false),
    )
    .unwrap();
    let bias = qualify(&model).unwrap();
    let whole = run_range(&model, &bias, &opts(3, 3000), 0, &mut |_| true).unwrap();
    let mut parts = run_range(&model, &bias, &opts(3, 1100), 0, &mut |_| true).unwrap();
    let rest = run_range(&model, &bias, &opts(3, 1900), 1100, &mut |_| true).unwrap();
    parts.merge(&rest).unwrap();
    assert_eq!(whole, parts);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| run_range(&model, &bias, &opts(3, 3000), 0, &mut |_| true).unwrap());
    assert_eq!(whole, one);
    let a = serde_json::to_string(&summarize(&model, &bias, &whole)).unwrap();
    let b = serde_json::to_string(&summarize(&model, &bias, &one)).unwrap();
    assert_eq!(a, b);
}

/// Models the estimator cannot serve are refused with the reason.
#[test]
fn models_it_cannot_serve_are_refused_with_the_reason() {
    let text = "[model]\nname = \"w\"\n[components.a]\nfailures = [{ every = \"weibull(2, 1000h)\", repair = \"exp(10h)\" }]\n[services.s]\nrequires = \"a\"\n";
    let model = load("w.toml", text).unwrap();
    let e = qualify(&model).unwrap_err();
    assert!(e.contains("`a`") && e.contains("not exponential"), "{e}");
}
