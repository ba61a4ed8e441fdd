//! The exact steady-state analysis (`sim_core::exact`) against closed forms
//! (shared/HA-FACTS.md section 9), a hand computation, every bundled model
//! and the simulation.

mod shared;

use sim_core::exact::{analyse, Analysis, Options, ServiceExact};
use sim_core::model::load;
use sim_core::runner::{run, summarize, RunOptions};
use sim_core::time::NANOS_PER_YEAR;

fn models_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// `n` identical components failing every `exp(mtbf_h)` hours and repaired
/// in `exp(mttr_h)`, a service needing `k`; with `crew`, one repairer for all.
fn k_of_n_model(k: u32, n: u32, mtbf_h: f64, mttr_h: f64, crew: bool) -> String {
    k_of_n_with_crew(k, n, mtbf_h, mttr_h, u32::from(crew))
}

/// The k-of-n system of the core tests, with a crew of `repairers` shared
/// by all (0: none).
fn k_of_n_with_crew(k: u32, n: u32, mtbf_h: f64, mttr_h: f64, repairers: u32) -> String {
    shared::k_of_n(k, n, mtbf_h, mttr_h, repairers)
}

fn binomial(n: u32, k: u32) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
}

/// Independent repair: P(exactly j up) = C(n,j) a^j (1-a)^(n-j), a = mu/(lambda+mu).
fn p_up_independent(j: u32, n: u32, lambda: f64, mu: f64) -> f64 {
    let a = mu / (lambda + mu);
    binomial(n, j) * a.powi(j as i32) * (1.0 - a).powi((n - j) as i32)
}

/// One repairer for all: the birth-death chain over the number failed, with
/// P(j failed) proportional to n!/(n-j)! (lambda/mu)^j.
fn p_up_one_crew(up: u32, n: u32, lambda: f64, mu: f64) -> f64 {
    let rho = lambda / mu;
    let term = |j: u32| (0..j).map(|i| f64::from(n - i)).product::<f64>() * rho.powi(j as i32);
    let all: f64 = (0..=n).map(term).sum();
    term(n - up) / all
}

/// `c` repairers for all: the birth-death chain with repair rate
/// min(j, c) mu in state j failed, P(j) proportional to
/// prod_{i<j} (n-i) lambda / (min(i+1, c) mu).
fn p_up_crew_of(c: u32, up: u32, n: u32, lambda: f64, mu: f64) -> f64 {
    let term = |j: u32| {
        (0..j)
            .map(|i| f64::from(n - i) * lambda / (f64::from((i + 1).min(c)) * mu))
            .product::<f64>()
    };
    let all: f64 = (0..=n).map(term).sum();
    term(n - up) / all
}

fn solved<'a>(a: &'a Analysis, service: &str) -> &'a ServiceExact {
    let s = a.services.iter().find(|s| s.name == service).unwrap();
    match &s.result {
        Ok(r) => r,
        Err(e) => panic!("{service} not solved: {e}"),
    }
}

const K_OF_N: &[(u32, u32, f64, f64)] = &[
    (1, 1, 1000.0, 100.0),
    (1, 2, 500.0, 100.0),
    (2, 3, 1000.0, 100.0),
    (3, 5, 2000.0, 300.0),
    (2, 4, 300.0, 150.0),
    (4, 6, 1000.0, 200.0),
    (5, 5, 8760.0, 8.0),
];

#[test]
fn k_of_n_unavailability_and_frequency_match_the_closed_forms() {
    for &(k, n, mtbf, mttr) in K_OF_N {
        for crew in [false, true] {
            let model = load("k-of-n.toml", &k_of_n_model(k, n, mtbf, mttr, crew)).unwrap();
            let a = analyse(&model, Options::default());
            let r = solved(&a, "system");
            let (lambda, mu) = (1.0 / mtbf, 1.0 / mttr);
            let p = |j| {
                if crew {
                    p_up_one_crew(j, n, lambda, mu)
                } else {
                    p_up_independent(j, n, lambda, mu)
                }
            };
            let q: f64 = (0..k).map(p).sum();
            assert!(
                (r.unavailability - q).abs() < 1e-9 && (r.availability - (1.0 - q)).abs() < 1e-9,
                "{k} of {n} (crew {crew}): exact Q {} against closed form {q}",
                r.unavailability
            );
            // The system fails when exactly k are up and one of them fails.
            let per_year = p(k) * f64::from(k) * lambda * 8766.0;
            assert!(
                (r.outages_per_year - per_year).abs() < 1e-9 * per_year.max(1.0),
                "{k} of {n} (crew {crew}): exact {} outages a year against {per_year}",
                r.outages_per_year
            );
            // Minimal cut sets of a k-of-n: every n-k+1 components.
            if n - k < 3 {
                assert_eq!(
                    r.n_cut_sets,
                    binomial(n, n - k + 1).round() as usize,
                    "{k} of {n}"
                );
            }
        }
    }
}

#[test]
fn k_of_n_with_two_repairers_matches_its_birth_death_chain() {
    for &(k, n, mtbf, mttr) in &[
        (2, 4, 300.0, 150.0),
        (3, 5, 1000.0, 400.0),
        (1, 3, 100.0, 100.0),
    ] {
        let model = load("k-of-n.toml", &k_of_n_with_crew(k, n, mtbf, mttr, 2)).unwrap();
        let a = analyse(&model, Options::default());
        let r = solved(&a, "system");
        let q: f64 = (0..k)
            .map(|j| p_up_crew_of(2, j, n, 1.0 / mtbf, 1.0 / mttr))
            .sum();
        assert!(
            (r.unavailability - q).abs() < 1e-9,
            "{k} of {n}, 2 repairers: exact Q {} against {q}",
            r.unavailability
        );
        assert!(r.approximations.is_empty());
    }
    // A crew with non-exponential repairs is solved as if exponential, and says so.
    let text = k_of_n_model(2, 3, 1000.0, 100.0, true)
        .replace("repair = \"exp(100h)\"", "repair = \"fixed(100h)\"");
    let a = analyse(&load("k-of-n.toml", &text).unwrap(), Options::default());
    let r = solved(&a, "system");
    assert_eq!(r.approximations.len(), 1, "{:?}", r.approximations);
    assert!(
        r.approximations[0].starts_with("crew ops: "),
        "{:?}",
        r.approximations
    );
}

/// 35 of 40 has C(40, 6) = 3.8 million minimal cut sets of order 6: the
/// listing falls back to the order that fits, and says so.
#[test]
fn too_many_cut_sets_lower_the_order_listed() {
    let text = k_of_n_model(35, 40, 8766.0, 24.0, false);
    let model = load("35-of-40.toml", &text).unwrap();
    let started = std::time::Instant::now();
    let a = analyse(
        &model,
        Options {
            max_cut_order: 6,
            ..Default::default()
        },
    );
    assert!(started.elapsed().as_secs_f64() < 5.0);
    let r = solved(&a, "system");
    assert_eq!((r.cut_order, r.n_cut_sets), (5, 0));
    let q: f64 = (0..35)
        .map(|j| p_up_independent(j, 40, 1.0 / 8766.0, 1.0 / 24.0))
        .sum();
    assert!(
        (r.unavailability - q).abs() < 1e-12 * q.max(1e-300) + 1e-18,
        "{} {q}",
        r.unavailability
    );
}

/// feed & (h1 | h2), where each host has two failure modes and h1 a
/// monthly maintenance window: shared by both hosts, the feed must be
/// counted once.
#[test]
fn a_shared_power_feed_matches_the_hand_computation() {
    let text = r#"
        [power.feed]
        failures = [{ every = "exp(0.5y)", repair = "exp(4h)" }]
        [hosts.h1]
        requires = "feed"
        failures = [{ mode = "crash", every = "weibull(shape=1.5, scale=2y)", repair = "lognormal(median=8h, sigma=1)" },
                    { mode = "disk", every = "exp(5y)", repair = "fixed(24h)" }]
        maintenance = [{ every = "30d", duration = "1h" }]
        [hosts.h2]
        requires = "feed"
        failures = [{ mode = "crash", every = "weibull(shape=1.5, scale=2y)", repair = "lognormal(median=8h, sigma=1)" },
                    { mode = "disk", every = "exp(5y)", repair = "fixed(24h)" }]
        [services.web]
        requires = "h1 | h2"
    "#;
    let model = load("feed.toml", text).unwrap();
    let a = analyse(&model, Options::default());
    let r = solved(&a, "web");
    let h = 1.0 / 8766.0; // hours in years
    let renew = |mttf: f64, mttr: f64| mttf / (mttf + mttr);
    let feed = renew(0.5, 4.0 * h);
    // Weibull mean: scale * Gamma(1 + 1/shape); lognormal mean: median e^(sigma^2/2).
    let crash = renew(
        2.0 * libm::tgamma(1.0 + 1.0 / 1.5),
        8.0 * h * libm::exp(0.5),
    );
    let disk = renew(5.0, 24.0 * h);
    let window = 1.0 - 1.0 / (30.0 * 24.0);
    let h1 = crash * disk * window;
    let h2 = crash * disk;
    let truth = feed * (1.0 - (1.0 - h1) * (1.0 - h2));
    assert!(
        (r.availability - truth).abs() < 1e-12,
        "exact {} against the hand computation {truth}",
        r.availability
    );
    assert!(r.approximations.is_empty(), "{:?}", r.approximations);
    assert!(r.transients_excluded.is_empty());
    // The feed alone is the first cut set and the most important part.
    assert_eq!(r.cut_sets[0].parts, vec!["feed failure".to_string()]);
    assert_eq!(r.n_cut_sets, 1 + 3 * 2);
    assert_eq!(r.importance[0].part, "feed failure");
    let b = &r.importance[0];
    assert!((b.birnbaum - (1.0 - (1.0 - h1) * (1.0 - h2))).abs() < 1e-12);
    assert!((b.raw - 1.0 / r.unavailability).abs() < 1e-6 * b.raw);
}

#[test]
fn every_bundled_model_answers_or_says_what_it_could_not_solve() {
    let mut paths: Vec<_> = std::fs::read_dir(models_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 8);
    let mut solved = 0;
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let model = load(&p.display().to_string(), &text).unwrap();
        let started = std::time::Instant::now();
        let a = analyse(&model, Options::default());
        let took = started.elapsed();
        assert_eq!(a.services.len(), model.services.len());
        for s in &a.services {
            match &s.result {
                Ok(r) => {
                    solved += 1;
                    assert!(
                        (0.0..=1.0).contains(&r.availability)
                            && (r.availability + r.unavailability - 1.0).abs() < 1e-9,
                        "{}: {} has A {} and Q {}",
                        p.display(),
                        s.name,
                        r.availability,
                        r.unavailability
                    );
                    assert!(r.outages_per_year >= 0.0 && r.outages_per_year.is_finite());
                }
                Err(e) => {
                    // Precisely: which part, and a reason in words.
                    assert!(
                        !e.part.is_empty() && e.reason.len() > 20,
                        "{}: {}: {e:?}",
                        p.display(),
                        s.name
                    );
                    println!("{}: {} not solved: {e}", p.display(), s.name);
                }
            }
        }
        println!("{}: analysed in {took:?}", p.display());
    }
    assert!(solved >= 10, "only {solved} services solved");
}

/// keepalived's `serving` with tracked HAProxy processes: the corrected
/// weight (-60) moves the VIP, so the rule is monotone and the API is
/// solved; the as-written weight (2) leaves the VIP on a router whose
/// HAProxy died, which is refused with the reason (the same flaw
/// `hasim validate` reports).
#[test]
fn vrrp_serving_is_solved_when_the_track_weight_moves_the_vip() {
    let read = |f: &str| {
        let text = std::fs::read_to_string(models_dir().join(f)).unwrap();
        analyse(&load(f, &text).unwrap(), Options::default())
    };
    let spread = read("homelab-k3s-spread.toml");
    let api = solved(&spread, "k3s-api");
    assert!(api.transients_excluded.contains(&"vip".to_string()));
    let written = read("homelab-k3s-as-written.toml");
    let e = written.services[0].result.as_ref().unwrap_err();
    assert_eq!(e.part, "cluster vip (vrrp), output serving");
    assert!(e.reason.contains("track_weight 2"), "{e}");
}

#[test]
fn what_cannot_be_solved_is_named_with_its_reason() {
    let text = r#"
        [hosts.a]
        failures = [{ every = "exp(1y)", repair = "exp(8h)" }]
        [hosts.b]
        failures = [{ every = "exp(1y)", repair = "exp(8h)" }]
        [switches.sw]
        failures = [{ every = "exp(5y)", repair = "exp(8h)" }]
        [networks.lan]
        links = ["a -- sw", "b -- sw"]
        [clusters.q]
        kind = "quorum"
        members = ["a", "b"]
        network = "lan"
        [services.s]
        requires = "q"
        [services.t]
        requires = "a | b"
    "#;
    let model = load("net.toml", text).unwrap();
    let a = analyse(&model, Options::default());
    let e = a.services[0].result.as_ref().unwrap_err();
    assert_eq!(e.part, "cluster q (quorum), output quorum");
    assert!(e.reason.contains("network"), "{e}");
    assert!(a.services[1].result.is_ok());
}

/// Independent parts with non-exponential times, a quorum (no timers) and
/// a shared crew with exponential times: the exact value has no
/// approximation, and the simulation's interval must contain it.
#[test]
fn a_model_without_cluster_timers_agrees_with_the_simulation() {
    let text = r#"
        [crews.ops]
        size = 1
        [power.feed]
        failures = [{ every = "exp(0.5y)", repair = "exp(12h)" }]
        [switches.sw]
        requires = "feed"
        failures = [{ every = "exp(3y)", repair = "exp(12h)", crew = "ops" }]
        [hosts.n1]
        requires = "sw"
        failures = [{ every = "exp(1y)", repair = "exp(2d)", crew = "ops" }]
        [hosts.n2]
        requires = "sw"
        failures = [{ every = "exp(1y)", repair = "exp(2d)", crew = "ops" }]
        [hosts.n3]
        requires = "feed"
        failures = [{ every = "weibull(shape=2, scale=1y)", repair = "lognormal(median=1d, sigma=1)" }]
        maintenance = [{ every = "60d", duration = "6h" }]
        [clusters.q]
        kind = "quorum"
        members = ["n1", "n2", "n3"]
        [services.db]
        requires = "q"
    "#;
    let model = load("no-timers.toml", text).unwrap();
    let a = analyse(&model, Options::default());
    let r = solved(&a, "db");
    assert!(r.approximations.is_empty(), "{:?}", r.approximations);
    assert!(r.transients_excluded.is_empty());
    let seed = 20_261_203;
    let opts = RunOptions {
        seed,
        replications: 400,
        horizon: 20 * NANOS_PER_YEAR,
        ..Default::default()
    };
    let sim = summarize(&model, &run(&model, &opts).unwrap(), opts.horizon);
    let s = &sim.services[0];
    let [lo, hi] = s.availability.ci95.unwrap();
    assert!(
        lo <= r.availability && r.availability <= hi,
        "exact {} outside the simulation's 95% interval [{lo}, {hi}] (seed {seed})",
        r.availability
    );
    let [lo, hi] = s.outages_per_year.ci95.unwrap();
    assert!(
        lo <= r.outages_per_year && r.outages_per_year <= hi,
        "exact {} outages a year outside the simulation's 95% interval [{lo}, {hi}] (seed {seed})",
        r.outages_per_year
    );
}

/// The bundled forty-host model: 86 failure modes behind shared feeds and
/// switches, solved exactly in well under a second, within the
/// simulation's intervals.
#[test]
fn forty_hosts_is_solved_fast_and_agrees_with_the_simulation() {
    let text = std::fs::read_to_string(models_dir().join("forty-hosts.toml")).unwrap();
    let model = load("forty-hosts.toml", &text).unwrap();
    let started = std::time::Instant::now();
    let a = analyse(&model, Options::default());
    let took = started.elapsed();
    assert!(took.as_secs_f64() < 0.5, "exact took {took:?}");
    assert_eq!(a.parts.len(), 2 + 4 + 40 * 2);
    let seed = 40;
    let opts = RunOptions {
        seed,
        replications: 1000,
        horizon: 10 * NANOS_PER_YEAR,
        ..Default::default()
    };
    let sim = summarize(&model, &run(&model, &opts).unwrap(), opts.horizon);
    for (i, name) in ["web", "metadata"].into_iter().enumerate() {
        let r = solved(&a, name);
        assert!(r.approximations.is_empty() && r.transients_excluded.is_empty());
        let s = &sim.services[i];
        assert_eq!(s.name, name);
        for (what, exact, est) in [
            ("availability", r.availability, &s.availability),
            ("outages/yr", r.outages_per_year, &s.outages_per_year),
        ] {
            let [lo, hi] = est.ci95.unwrap();
            assert!(
                lo <= exact && exact <= hi,
                "{name}: exact {what} {exact} outside the simulation's 95% interval [{lo}, {hi}] (seed {seed})"
            );
        }
    }
    // The feeds dominate the web tier: each takes two single-supply switches.
    let web = solved(&a, "web");
    assert_eq!(web.cut_sets[0].parts.len(), 1);
    assert!(web.cut_sets[0].parts[0].starts_with("feed-"));
}

/// The analysis never panics on a model that loads: a deterministic
/// mutation fuzzer (byte flips, deletions, duplications, truncations) over
/// the bundled models; every mutant that loads is analysed, and every
/// figure it gives is a probability or a finite rate.
#[test]
fn mutated_models_never_make_the_analysis_panic() {
    let mut paths: Vec<_> = std::fs::read_dir(models_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut mutator = shared::Mutator::new(0x5EED_E8AC);
    let mut analysed = 0;
    for p in &paths {
        let base = std::fs::read_to_string(p).unwrap();
        for _ in 0..60 {
            let text = mutator.mutant(&base, 2);
            let Ok(model) = load("fuzz.toml", &text) else {
                continue;
            };
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                analyse(&model, Options::default())
            }));
            let a = result.unwrap_or_else(|_| {
                panic!("exact panicked on a mutant of {}:\n{text}", p.display())
            });
            for s in &a.services {
                if let Ok(r) = &s.result {
                    assert!(
                        (0.0..=1.0).contains(&r.availability)
                            && r.outages_per_year.is_finite()
                            && r.outages_per_year >= 0.0,
                        "{}: {r:?}\n{text}",
                        s.name
                    );
                }
            }
            analysed += 1;
        }
    }
    println!("{analysed} mutants analysed");
    assert!(analysed >= 100, "only {analysed} mutants loaded");
}

/// The mean time to absorption of the birth-death chain over the number of
/// failed components, from none failed, absorbing at `a` failed: with
/// failure rate (n-j) lambda and repair rate r(j) in state j, the mean time
/// to go from i to i+1 is T_i = (1 + r(i) T_{i-1}) / ((n-i) lambda), and the
/// answer is the sum of T_0 .. T_{a-1} (a textbook recursion, derived here
/// independently of the library's state-space chain).
fn mean_time_to_absorption(n: u32, a: u32, lambda: f64, repair: impl Fn(u32) -> f64) -> f64 {
    let mut total = 0.0;
    let mut prev = 0.0;
    for i in 0..a {
        let t = (1.0 + repair(i) * prev) / (f64::from(n - i) * lambda);
        total += t;
        prev = t;
    }
    total
}

#[test]
fn k_of_n_mean_time_to_first_outage_matches_the_birth_death_chain() {
    use sim_core::exact::first::FirstOutageMethod;
    for &(k, n, mtbf, mttr) in K_OF_N {
        for crew in [false, true] {
            let model = load("k-of-n.toml", &k_of_n_model(k, n, mtbf, mttr, crew)).unwrap();
            let a = analyse(&model, Options::default());
            let r = solved(&a, "system");
            let (lambda, mu) = (1.0 / mtbf, 1.0 / mttr);
            // Hours, from everything up to n-k+1 failed.
            let expected = mean_time_to_absorption(n, n - k + 1, lambda, |j| {
                if crew {
                    if j > 0 {
                        mu
                    } else {
                        0.0
                    }
                } else {
                    f64::from(j) * mu
                }
            });
            let first = r.first_outage.as_ref().expect("a k-of-n can fail");
            let got = first.mean_seconds / 3600.0;
            assert!(
                (got - expected).abs() < 1e-9 * expected,
                "{k} of {n} (crew {crew}): mean time to first outage {got} h against {expected} h"
            );
            // Identical components: the one repairer's queue order does not
            // change the count of failed ones, but the method says the
            // crew's repairs are approximated.
            assert_eq!(
                first.method,
                FirstOutageMethod::AbsorbingChain {
                    parts: n as usize,
                    // The states with at most n-k of n failed.
                    up_states: (0..=n - k).map(|d| binomial(n, d).round() as usize).sum(),
                    // A crew of one for one component never queues.
                    exact: !crew || n == 1,
                },
                "{k} of {n} (crew {crew})"
            );
        }
    }
}
