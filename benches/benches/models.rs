//! Whole-model speed: one replication-year of each bundled model (events per
//! second through the full simulation), and a sweep-sized run at 1 thread and
//! at every thread.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hasim_benches::bundled_models;
use sim_core::runner::{run, run_replication, RunOptions};
use sim_core::NANOS_PER_YEAR;

fn replication_year(c: &mut Criterion) {
    let mut g = c.benchmark_group("replication_year");
    for (name, model) in bundled_models() {
        // Events in 100 replication-years, so throughput reads as events/s.
        let events: u64 = (0..100)
            .map(|i| run_replication(&model, 1, i, NANOS_PER_YEAR).events)
            .sum();
        g.throughput(Throughput::Elements(events / 100));
        let mut i = 0;
        g.bench_function(&name, |b| {
            b.iter(|| {
                i += 1;
                run_replication(&model, 1, i, NANOS_PER_YEAR)
            })
        });
    }
    g.finish();
}

fn sweep_threads(c: &mut Criterion) {
    let models = bundled_models();
    let (name, model) = models
        .iter()
        .max_by_key(|(_, m)| m.nodes.len())
        .expect("at least one model");
    let opts = RunOptions {
        replications: 200,
        horizon: 10 * NANOS_PER_YEAR,
        ..Default::default()
    };
    let mut g = c.benchmark_group(format!("run_200x10y_{name}"));
    g.sample_size(10);
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [1, all] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        g.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| pool.install(|| run(model, &opts)))
        });
    }
    g.finish();
}

criterion_group!(benches, replication_year, sweep_threads);
criterion_main!(benches);
