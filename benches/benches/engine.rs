//! Event-queue throughput: schedule, cancel and pop, the engine's whole job.
//!
//! Events per second = elements / time as criterion reports it
//! ("thrpt ... Melem/s"). Target (issue 8): at least 20 million per second
//! per core.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sim_core::engine::Engine;
use sim_core::rng::SimRng;

/// A steady-state queue of `live` pending events; each step pops the earliest
/// and schedules a replacement at a random later time, and every fourth step
/// also schedules and cancels a timer (the pattern of protocol timeouts).
/// The random delays are drawn before timing starts, so the benchmark
/// measures the event list, not the random number generator.
fn hold_model(live: usize, delays: &[u64]) -> u64 {
    let mut e: Engine<u32> = Engine::new();
    for (i, d) in delays.iter().take(live).enumerate() {
        e.schedule_at(*d, i as u32);
    }
    let mut fired = 0;
    for (step, delay) in delays[live..].iter().enumerate() {
        let Some((_, p)) = e.pop_until(u64::MAX) else {
            break;
        };
        fired += 1;
        e.schedule_in(*delay, p);
        if step % 4 == 0 {
            let t = e.schedule_in(delays[step], u32::MAX);
            e.cancel(t);
        }
    }
    fired
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    let steps = 100_000;
    for live in [64usize, 1024] {
        let mut rng = SimRng::for_replication(1, 0);
        let delays: Vec<u64> = (0..steps + live)
            .map(|_| 1 + rng.below(1_000_000))
            .collect();
        g.throughput(Throughput::Elements(steps as u64));
        g.bench_function(format!("hold_{live}_pending"), |b| {
            b.iter_batched(|| (), |_| hold_model(live, &delays), BatchSize::SmallInput)
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
