//! The determinism contract: the same model, seed and options give the same
//! bits for any thread count and any split into shards.

use crate::k_of_n_model;
use sim_core::model::load;
use sim_core::runner::{run, run_range, summarize, Accumulator, RunOptions};

const MODEL: &str = r#"
[crews.ops]
size = 1
[power.feed]
failures = [{ preset = "utility-power" }]
[hosts.h1]
requires = "feed"
failures = [{ preset = "server", crew = "ops" }]
maintenance = [{ every = "90d", duration = "1h" }]
[hosts.h2]
requires = "feed"
failures = [{ every = "weibull(1.5, 2y)", repair = "lognormal(6h, 1.2)", crew = "ops" }]
[hosts.h3]
failures = [{ every = "exp(1y)", repair = "empirical(1h, 4h, 2d)" }]
[vms.a]
host = "h1"
[vms.b]
host = "h2"
[vms.c]
host = "h3"
[clusters.q]
kind = "quorum"
members = ["a", "b", "c"]
[clusters.db]
kind = "failover"
members = ["a", "b"]
detection = "uniform(20s, 30s)"
switchover = "5s"
[services.api]
requires = "q.quorum & any(a, b, c)"
[services.database]
requires = "db.up & q"
"#;

fn json_with_threads(threads: usize, opts: &RunOptions) -> String {
    let model = load("det.toml", MODEL).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let acc = pool.install(|| run(&model, opts).unwrap());
    serde_json::to_string(&summarize(&model, &acc, opts.horizon)).unwrap()
}

#[test]
fn identical_bits_for_1_2_and_4_threads() {
    let opts = RunOptions {
        seed: 42,
        replications: 300,
        batch: 64,
        ..Default::default()
    };
    let one = json_with_threads(1, &opts);
    assert_eq!(
        one,
        json_with_threads(2, &opts),
        "1 vs 2 threads differ (seed 42)"
    );
    assert_eq!(
        one,
        json_with_threads(4, &opts),
        "1 vs 4 threads differ (seed 42)"
    );
    // And a different seed really gives different numbers.
    let other = json_with_threads(
        1,
        &RunOptions {
            seed: 43,
            ..opts.clone()
        },
    );
    assert_ne!(one, other);
}

#[test]
fn shards_merge_to_the_unsharded_bits() {
    let model = load("det.toml", MODEL).unwrap();
    let opts = RunOptions {
        seed: 5,
        replications: 250,
        ..Default::default()
    };
    let whole = run(&model, &opts).unwrap();
    for cuts in [vec![100], vec![1, 2, 249], vec![17, 120, 200]] {
        let mut bounds = vec![0];
        bounds.extend(cuts.iter().copied());
        bounds.push(250);
        let mut merged = Accumulator::new(&model, 0);
        for w in bounds.windows(2) {
            let part = RunOptions {
                replications: w[1] - w[0],
                ..opts.clone()
            };
            let shard = run_range(&model, &part, w[0], &mut |_| true).unwrap();
            // Shards survive a round trip through their JSON file format.
            let shard: Accumulator =
                serde_json::from_str(&serde_json::to_string(&shard).unwrap()).unwrap();
            merged.merge(&shard).unwrap();
        }
        assert_eq!(
            merged, whole,
            "shards {bounds:?} do not merge to the whole run (seed 5)"
        );
    }
}

#[test]
fn merging_refuses_gaps() {
    let model = load("k.toml", &k_of_n_model(1, 2, 100.0, 1.0, false)).unwrap();
    let opts = RunOptions {
        replications: 10,
        ..Default::default()
    };
    let mut a = run_range(&model, &opts, 0, &mut |_| true).unwrap();
    let b = run_range(&model, &opts, 20, &mut |_| true).unwrap();
    assert!(a.merge(&b).is_err());
}

#[test]
fn target_ci_stops_early_at_the_same_place_for_any_thread_count() {
    let opts = RunOptions {
        seed: 3,
        replications: 100_000,
        batch: 50,
        target_ci: Some(0.10),
        ..Default::default()
    };
    let model = load("det.toml", MODEL).unwrap();
    let counts: Vec<u64> = [1, 2]
        .iter()
        .map(|t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(*t)
                .build()
                .unwrap()
                .install(|| run(&model, &opts).unwrap().count)
        })
        .collect();
    assert_eq!(counts[0], counts[1]);
    assert!(
        counts[0] < 100_000 && counts[0].is_multiple_of(50),
        "stopped after {}",
        counts[0]
    );
}

#[test]
fn a_replication_year_costs_hundreds_of_events_not_billions() {
    let model = load("det.toml", MODEL).unwrap();
    let opts = RunOptions {
        seed: 1,
        replications: 50,
        ..Default::default()
    };
    let r = summarize(&model, &run(&model, &opts).unwrap(), opts.horizon);
    let per_year = r.events_per_year.mean;
    assert!(
        (1.0..5000.0).contains(&per_year),
        "{per_year} events per replication-year"
    );
}

/// The same contract on a model with degradations (gray failures): the
/// delay spikes draw from the replication's stream and the kinds' gray
/// figures are exact integer sums, so threads and shards keep every bit.
#[test]
fn degradations_keep_identical_bits_for_threads_and_shards() {
    let text = include_str!("../../../../models/patroni-delay-spikes.toml");
    let model = load("patroni-delay-spikes.toml", text).unwrap();
    let opts = RunOptions {
        seed: 9,
        replications: 60,
        batch: 16,
        ..Default::default()
    };
    let with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| run(&model, &opts).unwrap())
    };
    let one = with(1);
    assert!(
        one.gray
            .iter()
            .any(|g| g.false_failovers.n > 0 && g.false_failovers != Default::default()),
        "the model's spikes cause gray figures (seed 9)"
    );
    let json =
        |a: &Accumulator| serde_json::to_string(&summarize(&model, a, opts.horizon)).unwrap();
    assert_eq!(json(&one), json(&with(3)), "1 vs 3 threads differ (seed 9)");
    let mut merged = Accumulator::new(&model, 0);
    for (from, to) in [(0, 7), (7, 41), (41, 60)] {
        let part = RunOptions {
            replications: to - from,
            ..opts.clone()
        };
        let shard = run_range(&model, &part, from, &mut |_| true).unwrap();
        let shard: Accumulator =
            serde_json::from_str(&serde_json::to_string(&shard).unwrap()).unwrap();
        merged.merge(&shard).unwrap();
    }
    assert_eq!(merged, one, "shards do not merge to the whole run (seed 9)");
}
