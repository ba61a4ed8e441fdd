//! The rare-event estimator: regenerative cycles of importance sampling on
//! the bundled six-nines design (`models/five-nines-3-of-5.toml`), against
//! plain Monte Carlo replications of the same model, so the cost of one
//! cycle and of one ten-year replication read side by side. How many of
//! each a given interval needs is what `hasim run` prints (the "plain Monte
//! Carlo would need" line); the two together give the speed-up.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sim_core::rare::{qualify, run_cycle, RareOptions};
use sim_core::runner::{run_replication, DEFAULT_MAX_EVENTS};
use sim_core::NANOS_PER_YEAR;

fn five_nines() -> sim_core::Model {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../models/five-nines-3-of-5.toml"
    );
    let text = std::fs::read_to_string(path).expect("the bundled model");
    sim_core::load("five-nines-3-of-5.toml", &text).expect("it loads")
}

fn cycles(c: &mut Criterion) {
    let model = five_nines();
    let bias = qualify(&model).expect("the model qualifies");
    let opts = RareOptions {
        seed: 1,
        cycles: 1,
        target_ci: None,
        batch: 1,
        max_events: DEFAULT_MAX_EVENTS,
    };
    let mut g = c.benchmark_group("five_nines_3_of_5");
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("importance_cycle", |b| {
        b.iter(|| {
            i += 1;
            run_cycle(&model, &bias, &opts, i).expect("a cycle runs")
        })
    });
    let mut j = 0;
    g.bench_function("plain_replication_10y", |b| {
        b.iter(|| {
            j += 1;
            run_replication(&model, 1, j, 10 * NANOS_PER_YEAR)
        })
    });
    g.finish();
}

criterion_group!(benches, cycles);
criterion_main!(benches);
