//! Latent (hidden) failures and UPS batteries against closed forms and
//! documented timelines.

use crate::scenario_runs;
use sim_core::exact::{analyse, Options};
use sim_core::model::load;
use sim_core::sim::{RepOptions, Replication, TraceEvent};
use sim_core::time::{NANOS_PER_HOUR, NANOS_PER_MIN, NANOS_PER_YEAR};

const HOUR: f64 = NANOS_PER_HOUR as f64;
const YEAR: f64 = NANOS_PER_YEAR as f64;

/// Mean and 95% half-width over replications.
fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, 1.96 * (var / n).sqrt())
}

/// A VIP on two routers: the primary fails 4 times a year, the standby's
/// check script breaks once a year without a sign (latent), and each is
/// repaired in exactly 4 h once someone knows. `detected` is the
/// standby's `detected_by`.
fn vip_model(detected: &str) -> String {
    format!(
        r#"
[hosts.lb-1]
failures = [{{ every = "exp(rate=4/y)", repair = "4h" }}]

[hosts.lb-2]
failures = [{{ mode = "check-script failure", every = "exp(rate=1/y)", repair = "4h", latent = true, detected_by = {detected} }}]

[clusters.vip]
kind = "vrrp"
members = ["lb-1", "lb-2"]
priority = [100, 50]

[services.web]
requires = "vip.serving"
"#
    )
}

/// The standby's latent failure with a monthly check, against the closed
/// form of its renewal cycle. A latent failure hides for D, uniform on
/// [0, tau) against the check grid (mean tau/2), unless the primary fails
/// first: then the failover needs the standby, the VIP is down, the
/// standby is found, and both repairs (exactly R each) end together, so
/// that outage lasts R. With the primary failing at rate lp:
///   P(primary fails while hidden) = 1 - (1 - e^(-lp tau)) / (lp tau),
///   E[hidden] = that / lp, cycle = 1/ls + E[hidden] + R,
/// and when the primary is already down as the standby fails (probability
/// q = lp R / (1 + lp R)) the outage is the primary's remaining repair,
/// R/2 on average. The downtime charged to the latent mode is
///   ((1 - q) P R + q R/2) / cycle
/// of the time; for lp tau << 1 it is the textbook lp ls R tau/2. The
/// check grid's phase against an exponential failure is uniform only to
/// first order in ls tau (0.08 here, a bias of about ls tau / 6 = 1.4%),
/// and VRRP's re-election after the repairs adds seconds to hours: 3% of
/// slack covers both.
#[test]
fn latent_standby_with_monthly_check_matches_its_closed_form() {
    let seed = 17_003;
    let text = vip_model(r#"["check every 30d", "failover"]"#);
    let model = load("latent-vip.toml", &text).unwrap();
    let latent = model
        .causes
        .iter()
        .position(|c| c.label == "lb-2 latent check-script failure")
        .expect("the latent mode has its own cause label") as u32;
    let horizon = 10 * NANOS_PER_YEAR;
    let opts = RepOptions {
        horizon,
        random_faults: true,
        injections: vec![],
        trace: false,
    };
    let shares: Vec<f64> = (0..300)
        .map(|i| {
            let (out, _) = Replication::new(&model, seed, i).run(&opts);
            let d = out.services[0]
                .causes
                .iter()
                .filter(|(c, _)| *c == latent)
                .map(|(_, d)| *d)
                .sum::<u64>();
            d as f64 / horizon as f64
        })
        .collect();
    let (mean, half) = mean_ci(&shares);
    let (lp, ls, r, tau) = (4.0 / YEAR, 1.0 / YEAR, 4.0 * HOUR, 30.0 * 24.0 * HOUR);
    let p_cut = 1.0 - (1.0 - (-lp * tau).exp()) / (lp * tau);
    let q = lp * r / (1.0 + lp * r);
    let cycle = 1.0 / ls + (1.0 - q) * p_cut / lp + r;
    let truth = ((1.0 - q) * p_cut * r + q * r / 2.0) / cycle;
    let slack = 0.03 * truth;
    assert!(
        (mean - truth).abs() <= half + slack,
        "latent downtime share {mean:.3e} ± {half:.3e} against the closed form {truth:.3e} (± {slack:.1e} bias) (seed {seed})"
    );
    // The textbook first-order figure is within 15% of it here.
    let textbook = lp * ls * r * tau / 2.0;
    assert!((truth - textbook).abs() < 0.15 * textbook);

    // A check every day instead hides the failure for half a day: the same
    // formula with tau = 1 d, and far less downtime.
    let daily = load(
        "latent-vip-daily.toml",
        &vip_model(r#"["check every 1d", "failover"]"#),
    )
    .unwrap();
    let shares: Vec<f64> = (0..300)
        .map(|i| {
            let (out, _) = Replication::new(&daily, seed, i).run(&opts);
            let d: u64 = out.services[0]
                .causes
                .iter()
                .filter(|(c, _)| *c == latent)
                .map(|(_, d)| *d)
                .sum();
            d as f64 / horizon as f64
        })
        .collect();
    let (daily_mean, daily_half) = mean_ci(&shares);
    let tau = 24.0 * HOUR;
    let p_cut = 1.0 - (1.0 - (-lp * tau).exp()) / (lp * tau);
    let cycle = 1.0 / ls + (1.0 - q) * p_cut / lp + r;
    let daily_truth = ((1.0 - q) * p_cut * r + q * r / 2.0) / cycle;
    assert!(
        (daily_mean - daily_truth).abs() <= daily_half + 0.03 * daily_truth,
        "daily check: latent downtime share {daily_mean:.3e} ± {daily_half:.3e} against {daily_truth:.3e} (seed {seed})"
    );
    assert!(daily_mean + daily_half < mean - half);
}

/// A latent failure found only by a periodic check has the steady-state
/// rule of a periodically tested component: down for tau/2 + R per
/// failure, so its unavailability is about lambda (tau/2 + R). The exact
/// analysis applies it, and the simulation agrees.
#[test]
fn exact_analysis_of_a_checked_latent_failure_is_tau_over_two() {
    let seed = 4_242;
    let text = r#"
[hosts.standby]
failures = [{ mode = "stale replica", every = "exp(rate=2/y)", repair = "6h", latent = true, detected_by = "check every 7d" }]

[services.s]
requires = "standby"
"#;
    let model = load("checked.toml", text).unwrap();
    let (lambda, tau, r) = (2.0 / YEAR, 7.0 * 24.0 * HOUR, 6.0 * HOUR);
    let down = tau / 2.0 + r;
    let truth = 1.0 - lambda * down / (1.0 + lambda * down);
    let a = analyse(&model, Options::default());
    let got = a.services[0].result.as_ref().unwrap().availability;
    assert!(
        (got - truth).abs() < 1e-9,
        "exact {got} against the closed form {truth}"
    );
    // lambda tau << 1 here, so the simulation's interval holds it.
    let opts = sim_core::runner::RunOptions {
        seed,
        replications: 400,
        horizon: 10 * NANOS_PER_YEAR,
        ..Default::default()
    };
    let r = sim_core::runner::summarize(
        &model,
        &sim_core::runner::run(&model, &opts).unwrap(),
        opts.horizon,
    );
    let [lo, hi] = r.services[0].availability.ci95.unwrap();
    assert!(
        lo <= truth && truth <= hi,
        "closed form {truth} outside the simulated 95% CI [{lo}, {hi}] (seed {seed})"
    );

    // Found at a failover, the hidden time depends on other failures: the
    // exact analysis says so instead of guessing.
    let failover = text.replace(r#""check every 7d""#, r#"["check every 7d", "failover"]"#);
    let model = load("failover.toml", &failover).unwrap();
    let err = analyse(&model, Options::default()).services[0]
        .result
        .clone()
        .unwrap_err();
    assert!(
        err.reason.contains("found at the outage that needs it"),
        "{err}"
    );
}

/// The seed 000 design behind a UPS: utility outages (the preset's
/// durations are exponential with a 4 h mean, EIA-861) shorter than what
/// the battery gives never reach the hosts. The battery gives its runtime,
/// faded linearly to 80% by its replacement every 3 years (age uniform per
/// replication, so the factor a is uniform on [0.8, 1]), less the 3 minutes
/// upsmon keeps for the shutdown. The share of outages that get through is
///   E[exp(-max(0, a r - s) / 4h)],
/// and the count of k3s-api outages charged to the utility is that share
/// of the utility outages the run drew (about 1.4 a year). Outages that start while the
/// service is already down for another reason are not the utility's, and
/// a second outage within the recharge gets less runtime: the tolerance
/// allows 2% for both besides the binomial interval.
#[test]
fn ups_runtime_sweep_cuts_utility_outages_as_the_closed_form_says() {
    let seed = 2_026;
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/homelab-k3s-ups.toml"
    ))
    .unwrap();
    assert!(base.contains(r#"runtime = "30m""#));
    let (reps, years) = (60u64, 10u64);
    let horizon = years * NANOS_PER_YEAR;
    let mut shares = Vec::new();
    for (runtime, r_min) in [("0m", 0.0), ("10m", 10.0), ("30m", 30.0), ("2h", 120.0)] {
        let text = base.replace(r#"runtime = "30m""#, &format!(r#"runtime = "{runtime}""#));
        let model = load("homelab-k3s-ups.toml", &text).unwrap();
        let utility = model
            .causes
            .iter()
            .position(|c| c.label == "utility power outage")
            .unwrap() as u32;
        let label = "utility power outage".to_string();
        let opts = RepOptions {
            horizon,
            random_faults: true,
            injections: vec![],
            trace: true,
        };
        let (mut count, mut outages, mut utility_down, mut all_down) = (0u64, 0u64, 0u64, 0u64);
        for i in 0..reps {
            let (out, trace) = Replication::new(&model, seed, i).run(&opts);
            let trace = trace.unwrap();
            outages += trace
                .entries
                .iter()
                .filter(|e| {
                    e.subject == "utility"
                        && matches!(&e.event, TraceEvent::Fault { begins: true, .. })
                })
                .count() as u64;
            count += trace
                .entries
                .iter()
                .filter(|e| {
                    e.subject == "k3s-api"
                        && matches!(&e.event, TraceEvent::ServiceDown { cause } if *cause == label)
                })
                .count() as u64;
            let s = &out.services[0];
            all_down += s.downtime;
            utility_down += s
                .causes
                .iter()
                .filter(|(c, _)| *c == utility)
                .map(|(_, d)| d)
                .sum::<u64>();
        }
        // E over a uniform on [0.8, 1] by the midpoint rule (fine enough:
        // the integrand is smooth and 1,000 points leave 1e-7).
        let (mean_h, s_min) = (240.0, 3.0);
        let through: f64 = (0..1000)
            .map(|k| {
                let a = 0.8 + 0.2 * (k as f64 + 0.5) / 1000.0;
                (-(a * r_min - s_min).max(0.0) / mean_h).exp()
            })
            .sum::<f64>()
            / 1000.0;
        // Given the utility outages this run drew, each gets through
        // independently with probability `through`: a binomial count.
        let expected = outages as f64 * through;
        let sd = (outages as f64 * through * (1.0 - through)).sqrt();
        let tol = 1.96 * sd + 0.02 * expected;
        assert!(
            (count as f64 - expected).abs() <= tol,
            "runtime {runtime}: {count} of {outages} utility outages reached k3s-api, closed form {expected:.1} ± {tol:.1} (seed {seed})"
        );
        shares.push((runtime, utility_down as f64 / all_down as f64));
    }
    for w in shares.windows(2) {
        assert!(
            w[1].1 < w[0].1,
            "the utility share of downtime must fall as the runtime grows: {shares:?} (seed {seed})"
        );
    }
}

const UPS: &str = r#"
[power.utility]
failures = [{ preset = "utility-power" }]

[power.ups]
requires = "utility"
battery = { runtime = "30m", recharge = "5h" }

[hosts.h]
requires = "ups"

[services.s]
requires = "h"
"#;

/// The battery's timeline, by injected outages: an outage shorter than the
/// runtime never reaches the host; a longer one does at the runtime; a
/// second outage before the recharge finishes gets only the charge put
/// back; and with `shutdown_at` the host stops that much earlier.
#[test]
fn battery_carries_drains_and_recharges_on_its_timeline() {
    let model = load("ups.toml", UPS).unwrap();
    let m = NANOS_PER_MIN;
    let h = NANOS_PER_HOUR;
    // 20 minutes off: carried.
    let out = scenario_runs(
        &model,
        1,
        1,
        10 * h,
        &[("utility", h, true), ("utility", h + 20 * m, false)],
    );
    assert_eq!(out[0].services[0].downtime, 0);
    // 50 minutes off: down from minute 30 to minute 50.
    let out = scenario_runs(
        &model,
        1,
        1,
        10 * h,
        &[("utility", h, true), ("utility", h + 50 * m, false)],
    );
    assert_eq!(out[0].services[0].downtime, 20 * m);
    // Drained to empty at 2 h, back at 3 h; 1 h of a 5 h recharge puts back
    // 20% (6 minutes of runtime), so a second outage at 4 h of 10 minutes
    // leaves the host down for its last 4 minutes.
    let out = scenario_runs(
        &model,
        1,
        1,
        10 * h,
        &[
            ("utility", h, true),
            ("utility", 2 * h, false),
            ("utility", 3 * h, true),
            ("utility", 3 * h + 10 * m, false),
        ],
    );
    assert_eq!(out[0].services[0].downtime, 30 * m + 4 * m);
    assert_eq!(out[0].services[0].outages, 2);
    // upsmon's shutdown at 3 minutes left stops the host at minute 27.
    let shut = UPS.replace(
        r#"recharge = "5h""#,
        r#"recharge = "5h", shutdown_at = "3m""#,
    );
    let model = load("ups-shutdown.toml", &shut).unwrap();
    let out = scenario_runs(
        &model,
        1,
        1,
        10 * h,
        &[("utility", h, true), ("utility", h + 50 * m, false)],
    );
    assert_eq!(out[0].services[0].downtime, 23 * m);
    // The exact analysis refuses the battery and says why.
    let err = analyse(&model, Options::default()).services[0]
        .result
        .clone()
        .unwrap_err();
    assert!(err.reason.contains("battery"), "{err}");
}

/// Bad input about batteries and latent failures is a located error.
#[test]
fn bad_batteries_and_latent_modes_are_located_errors() {
    let cases: &[(&str, &str, &str, (usize, usize))] = &[
        (
            r#"runtime = "30m""#,
            r#"runtime = "soon""#,
            "expected a number",
            (7, 24),
        ),
        (
            r#"requires = "h""#,
            "requires = \"h\"\n\n[hosts.k]\nfailures = [{ every = \"1y\", repair = \"1h\", latent = true, detected_by = \"sometimes\" }]",
            "does not know `sometimes`",
            (16, 73),
        ),
        (
            r#"requires = "h""#,
            "requires = \"h\"\n\n[hosts.k]\nfailures = [{ every = \"1y\", repair = \"1h\", latent = true }]",
            "never needed: no service depends on `k`",
            (16, 53),
        ),
        (
            r#"requires = "h""#,
            "requires = \"h\"\n\n[hosts.k]\nfailures = [{ every = \"1y\", repair = \"1h\", detected_by = \"failover\" }]",
            "only a latent failure mode",
            (16, 58),
        ),
        (
            "[hosts.h]",
            "[hosts.h]\nbattery = { runtime = \"1h\" }",
            "only power elements",
            (10, 11),
        ),
    ];
    for (from, to, message, (line, column)) in cases {
        let text = UPS.replace(from, to);
        let err = load("bad.toml", &text).unwrap_err();
        let d = &err.diagnostics[0];
        assert!(d.message.contains(message), "{text}\ngave: {err}");
        assert_eq!((d.line, d.column), (*line, *column), "{text}\ngave: {err}");
    }
}

/// A UPS with a standby generator, against the closed form of an outage
/// reaching the hosts. Utility outages are exponential with mean D; the
/// battery (recharged at once) carries B; the generator starts after S < B
/// unless it fails to start (probability p), and then fails while running
/// at rate r. With memoryless outages an outage reaches the hosts when
///   the start fails and it lasts longer than B: p e^(-B/D), or
///   the generator starts, the outage outlasts S, the generator fails
///   before the outage ends (r / (r + 1/D)) and what is left of the outage
///   outlasts the full battery: (1-p) e^(-S/D) r/(r + 1/D) e^(-B/D).
/// A service that requires the utility directly counts the outages; one
/// that requires the UPS counts those that reach the hosts.
#[test]
fn generator_outages_reaching_the_hosts_match_their_closed_form() {
    let seed = 17_031;
    let text = r#"
[power.utility]
failures = [{ every = "exp(5d)", repair = "exp(1h)" }]

[power.ups]
requires = "utility"
battery = { runtime = "30m", recharge = "1ms" }
generator = { start_delay = "20s", start_failure = 0.2, run_failure_every = "exp(2h)" }

[services.raw]
requires = "utility"

[services.protected]
requires = "ups"
"#;
    let model = load("generator.toml", text).unwrap();
    let opts = RepOptions {
        horizon: 10 * NANOS_PER_YEAR,
        random_faults: true,
        injections: vec![],
        trace: false,
    };
    let (mut outages, mut reached) = (0u64, 0u64);
    for i in 0..40 {
        let (out, _) = Replication::new(&model, seed, i).run(&opts);
        outages += out.services[0].outages;
        reached += out.services[1].outages;
    }
    let (d, b, s, p, r) = (HOUR, 0.5 * HOUR, 20.0e9, 0.2, 1.0 / (2.0 * HOUR));
    let truth =
        p * (-b / d).exp() + (1.0 - p) * (-s / d).exp() * r / (r + 1.0 / d) * (-b / d).exp();
    let share = reached as f64 / outages as f64;
    let half = 4.0 * (truth * (1.0 - truth) / outages as f64).sqrt();
    assert!(
        (share - truth).abs() <= half,
        "{reached} of {outages} outages reached the hosts ({share:.4}), closed form {truth:.4} ± {half:.4} (seed {seed})"
    );
    // Without the generator's help the battery alone lets e^(-B/D) through.
    assert!(share < 0.8 * (-b / d).exp());
    // The exact analysis refuses the generator with its reason.
    let err = analyse(&model, Options::default()).services[1]
        .result
        .clone()
        .unwrap_err();
    assert!(err.reason.contains("standby generator"), "{err}");
}

/// A generator on anything but a power element, or one whose start
/// failure probability is missing, is a located error.
#[test]
fn bad_generators_are_located_errors() {
    let on_host = "[hosts.h]\ngenerator = { start_failure = 0.1 }\n";
    let err = load("gen-host.toml", on_host).unwrap_err().to_string();
    assert!(
        err.contains("only power elements") && err.contains("gen-host.toml:2:"),
        "{err}"
    );
    let missing = "[power.ups]\ngenerator = { start_delay = \"10s\" }\n";
    let err = load("gen-missing.toml", missing).unwrap_err().to_string();
    assert!(
        err.contains("start_failure") && err.contains("gen-missing.toml:2:"),
        "{err}"
    );
}
