//! Each distribution's samples against its theory: mean and variance within
//! CLT bounds, and a Kolmogorov-Smirnov goodness-of-fit test.

use sim_core::dist::Dist;
use sim_core::rng::SimRng;

const N: usize = 100_000;

fn check(text: &str, seed: u64) {
    let d = Dist::parse(text).unwrap();
    let mut rng = SimRng::for_replication(seed, 0);
    let mut xs: Vec<f64> = (0..N).map(|_| d.sample(&mut rng) as f64).collect();
    let n = N as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let (m, v) = (d.mean(), d.variance());
    // The sample mean has standard error sqrt(v/n); allow 4.5 of them, which
    // a correct sampler misses about once in 150,000 checks.
    let tol_mean = 4.5 * (v / n).sqrt() + 1.0;
    assert!(
        (mean - m).abs() <= tol_mean,
        "{text}: sample mean {mean} vs {m} (tolerance {tol_mean}, seed {seed})"
    );
    if v > 0.0 {
        // The sample variance is noisier, more so for heavy tails: allow 10%
        // (lognormal with sigma 1 has a kurtosis near 114).
        assert!(
            (var - v).abs() <= 0.10 * v,
            "{text}: sample variance {var} vs {v} (seed {seed})"
        );
    }
    // Kolmogorov-Smirnov: D_n below the 0.1% critical value 1.95/sqrt(n).
    // Samples are rounded to whole nanoseconds, far below any scale here.
    xs.sort_by(f64::total_cmp);
    let mut dmax: f64 = 0.0;
    for (i, x) in xs.iter().enumerate() {
        let f = d.cdf(*x);
        dmax = dmax
            .max((f - i as f64 / n).abs())
            .max(((i + 1) as f64 / n - f).abs());
    }
    let crit = 1.95 / n.sqrt();
    assert!(
        dmax < crit,
        "{text}: KS statistic {dmax} >= {crit} (seed {seed})"
    );
}

#[test]
fn exponential() {
    check("exp(2y)", 1);
    check("exp(rate=4/h)", 2);
}

#[test]
fn weibull() {
    check("weibull(shape=0.7, scale=3y)", 3);
    check("weibull(1.5, 8h)", 4);
    check("weibull(3.0, 1h)", 5);
}

#[test]
fn lognormal() {
    check("lognormal(median=8h, sigma=1.0)", 6);
    check("lognormal(30s, 0.3)", 7);
}

#[test]
fn uniform() {
    check("uniform(1s, 5s)", 8);
}

#[test]
fn fixed_and_empirical() {
    let mut rng = SimRng::for_replication(9, 0);
    assert_eq!(Dist::parse("150ms").unwrap().sample(&mut rng), 150_000_000);
    let d = Dist::parse("empirical(1h, 2h, 8h)").unwrap();
    let mut counts = [0usize; 3];
    for _ in 0..30_000 {
        let x = d.sample(&mut rng) / 3_600_000_000_000;
        counts[match x {
            1 => 0,
            2 => 1,
            8 => 2,
            other => panic!("empirical drew {other}h, not a listed value"),
        }] += 1;
    }
    // Each value has probability 1/3: 10,000 expected, sd about 82.
    assert!(
        counts.iter().all(|c| (9_600..=10_400).contains(c)),
        "{counts:?} (seed 9)"
    );
}

#[test]
fn same_stream_same_samples() {
    let d = Dist::parse("lognormal(8h, 1.2)").unwrap();
    let a: Vec<u64> = {
        let mut r = SimRng::for_replication(11, 5);
        (0..100).map(|_| d.sample(&mut r)).collect()
    };
    let b: Vec<u64> = {
        let mut r = SimRng::for_replication(11, 5);
        (0..100).map(|_| d.sample(&mut r)).collect()
    };
    assert_eq!(a, b);
}
