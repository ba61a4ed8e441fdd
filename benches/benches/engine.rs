//! Event-queue throughput: schedule, cancel and pop, the engine's whole job.
//!
//! Events per second = elements / time as criterion reports it
//! ("thrpt ... Melem/s"). Target (issue 8): at least 20 million per second
//! per core.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use hasim_benches::{hold_delays, hold_model};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    let steps = 100_000;
    for live in [64usize, 1024] {
        let delays = hold_delays(live, steps);
        g.throughput(Throughput::Elements(steps as u64));
        g.bench_function(format!("hold_{live}_pending"), |b| {
            b.iter_batched(|| (), |_| hold_model(live, &delays), BatchSize::SmallInput)
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
