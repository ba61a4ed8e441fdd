//! Sampling and `requires` evaluation, the two inner loops the simple
//! models spend their time in besides the event list.
//!
//! `sampling`: durations per second from `Dist::sample` (the ziggurat for
//! the exponential and, through the normal, the lognormal; Weibull as a
//! power of a ziggurat exponential), beside the inversion the sampler used
//! before (one `libm::log` per draw) for comparison.
//!
//! `expression`: changes per second of one input of a `k of (...)`
//! expression, evaluated from scratch (`CExpr::eval`, what the sweep did)
//! and incrementally (`Counters::changed` and `Counters::value`, what it
//! does now), at 5 and at 40 inputs.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sim_core::dist::Dist;
use sim_core::model::expr::{CExpr, CounterPlan, Counters};
use sim_core::rng::SimRng;
use std::hint::black_box;

const DRAWS: u64 = 10_000;

fn sampling(c: &mut Criterion) {
    let mut g = c.benchmark_group("sampling");
    g.throughput(Throughput::Elements(DRAWS));
    for text in ["exp(1000h)", "lognormal(8h, 1.0)", "weibull(1.2, 3y)"] {
        let dist = Dist::parse(text).expect("a valid distribution");
        let mut rng = SimRng::for_replication(1, 0);
        g.bench_function(text, |b| {
            b.iter(|| {
                (0..DRAWS)
                    .map(|_| dist.sample(&mut rng))
                    .fold(0u64, u64::wrapping_add)
            })
        });
    }
    let mean = 1000.0 * 3.6e12;
    let mut rng = SimRng::for_replication(1, 0);
    g.bench_function("exp(1000h) by inversion", |b| {
        b.iter(|| {
            (0..DRAWS)
                .map(|_| libm::round(-mean * libm::log(rng.unit_open0())) as u64)
                .fold(0u64, u64::wrapping_add)
        })
    });
    g.finish();
}

fn expression(c: &mut Criterion) {
    let mut g = c.benchmark_group("expression");
    g.throughput(Throughput::Elements(DRAWS));
    for n in [5usize, 40] {
        let k = (n / 2 + 1) as u32;
        let expr = CExpr::AtLeast(k, (0..n).map(CExpr::Ref).collect());
        let deps: Vec<Vec<usize>> = (0..=n)
            .map(|i| if i < n { vec![n] } else { vec![] })
            .collect();
        let plan = CounterPlan::new(n + 1, [(n, &expr)].into_iter(), |i| &deps[i], |_| false);
        // The same sequence of flips for both: input i changes at step i mod n.
        let mut up = vec![true; n + 1];
        g.bench_function(format!("{k}_of_{n}/from_scratch"), |b| {
            b.iter(|| {
                let mut holds = 0u32;
                for step in 0..DRAWS as usize {
                    let i = step % n;
                    up[i] = !up[i];
                    holds += u32::from(black_box(&expr).eval(&up));
                }
                holds
            })
        });
        let mut up = vec![true; n + 1];
        let mut counters = Counters::new(&plan, &up);
        g.bench_function(format!("{k}_of_{n}/incremental"), |b| {
            b.iter(|| {
                let mut holds = 0u32;
                for step in 0..DRAWS as usize {
                    let i = step % n;
                    up[i] = !up[i];
                    counters.changed(&plan, i, up[i], |_| {});
                    holds += u32::from(counters.value(&plan, n));
                }
                holds
            })
        });
    }
    g.finish();
}

criterion_group!(benches, sampling, expression);
criterion_main!(benches);
