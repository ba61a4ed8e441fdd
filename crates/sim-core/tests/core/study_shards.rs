//! Sharded sweeps and design searches: the work list of (item, replication)
//! pairs is cut into slices that cover it exactly once, and the merged
//! shards give the unsharded study's accumulators and search bit for bit.

use sim_core::model::Loaded;
use sim_core::plan::design;
use sim_core::runner::{run_range, Accumulator};
use sim_core::study::shard::{self, AnyShard, Study, StudyShard};
use sim_core::{RunOptions, NANOS_PER_YEAR};

/// Every pair of the item-major list, in order, as the shards' slices give
/// them.
fn pairs_of_slices(items: usize, reps: u64, n: usize) -> Vec<Vec<(usize, u64)>> {
    (0..n)
        .map(|i| {
            shard::slices(items, reps, i, n)
                .into_iter()
                .flat_map(|(item, lo, hi)| (lo..hi).map(move |r| (item, r)))
                .collect()
        })
        .collect()
}

#[test]
fn slices_cover_every_pair_once_in_order_and_evenly() {
    for items in 0..5 {
        for reps in [0u64, 1, 3, 7, 100] {
            for n in 1..=7 {
                let per_shard = pairs_of_slices(items, reps, n);
                let all: Vec<(usize, u64)> = per_shard.iter().flatten().copied().collect();
                let want: Vec<(usize, u64)> = (0..items)
                    .flat_map(|it| (0..reps).map(move |r| (it, r)))
                    .collect();
                assert_eq!(all, want, "items {items}, replications {reps}, {n} shards");
                let sizes: Vec<usize> = per_shard.iter().map(Vec::len).collect();
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(hi - lo <= 1, "uneven shards {sizes:?}");
                // No empty range is listed, and each shard's slices are in
                // work-list order.
                for i in 0..n {
                    let s = shard::slices(items, reps, i, n);
                    assert!(s.iter().all(|(_, lo, hi)| lo < hi), "{s:?}");
                    assert!(s.windows(2).all(|w| w[0].0 < w[1].0), "{s:?}");
                }
            }
        }
    }
}

fn opts(replications: u64) -> RunOptions {
    RunOptions {
        seed: 20261205,
        replications,
        horizon: NANOS_PER_YEAR,
        target_ci: None,
        batch: 16,
        ..RunOptions::default()
    }
}

/// Writes the `n` shards of a study to JSON and reads them back, as the CLI
/// does, so the format's round trip is part of what is checked.
fn shards_of(
    loaded: &Loaded,
    items: &[(String, &sim_core::Model)],
    options: &RunOptions,
    study: &Study,
    n: usize,
) -> Vec<(String, StudyShard)> {
    (0..n)
        .map(|i| {
            let parts = shard::run_slice(items, options, (i, n), |_, m, part, first| {
                run_range(m, part, first, &mut |_| true)
            })
            .unwrap();
            let file = StudyShard::new(
                &loaded.model,
                &loaded.name,
                &loaded.text,
                options.clone(),
                study.clone(),
                items.len(),
                (i, n),
                parts,
            );
            let name = format!("shard-{i}.json");
            match shard::parse_any(&name, &file.to_json()).unwrap() {
                AnyShard::Study(s) => (name, s),
                AnyShard::Run(_) => panic!("{name} read back as a run shard"),
            }
        })
        .collect()
}

#[test]
fn sweep_shards_merge_to_the_unsharded_accumulators() {
    let text = crate::k_of_n_model(2, 3, 2000.0, 24.0, false);
    let loaded = Loaded::new("k.toml", &text).unwrap();
    let axes = vec![(
        "components.c1.failures.0.repair".to_string(),
        vec!["exp(4h)".into(), "exp(8h)".into(), "exp(400h)".into()],
    )];
    let points = sim_core::study::sweep_points(
        sim_core::protocols::builtin(),
        &loaded.source(),
        &loaded.tree,
        &axes,
    )
    .unwrap();
    let o = opts(41);
    let whole: Vec<Accumulator> = points
        .iter()
        .map(|(_, m)| run_range(m, &o, 0, &mut |_| true).unwrap())
        .collect();
    let items: Vec<(String, &sim_core::Model)> = points
        .iter()
        .map(|(p, m)| (shard::point_label(p), m))
        .collect();
    let study = Study::Sweep { axes: axes.clone() };
    // 1 shard, an even and an uneven split, and more shards than points.
    for n in [1, 3, 4, 7] {
        let shards = shards_of(&loaded, &items, &o, &study, n);
        let merged = shard::merge_study(&shards).unwrap();
        let (_, rebuilt) = shard::sweep_points(&merged).unwrap();
        assert_eq!(rebuilt.len(), whole.len());
        for (k, ((p, _), acc)) in rebuilt.iter().enumerate() {
            assert_eq!(*acc, whole[k], "{n} shards, point {p:?}, seed {}", o.seed);
        }
        // Every refusal names what is wrong.
        if n >= 3 {
            let missing = shard::merge_study(&shards[..n - 1]).err().unwrap();
            assert!(
                missing.contains(&format!("missing shards: {}/{n}", n - 1)),
                "{missing}"
            );
            let mut twice = shards.clone();
            twice[1] = (String::from("again.json"), shards[0].1.clone());
            let e = shard::merge_study(&twice).err().unwrap();
            assert!(e.contains("shard 0 is given twice"), "{e}");
        }
    }
    let other_opts = shards_of(
        &loaded,
        &items,
        &RunOptions {
            seed: 7,
            ..o.clone()
        },
        &study,
        2,
    );
    let mine = shards_of(&loaded, &items, &o, &study, 2);
    let e = shard::merge_study(&[mine[0].clone(), other_opts[1].clone()])
        .err()
        .unwrap();
    assert!(e.contains("different options") && e.contains("seed"), "{e}");
    let other_axes = Study::Sweep {
        axes: vec![(
            axes[0].0.clone(),
            vec!["exp(4h)".into(), "exp(8h)".into(), "exp(9h)".into()],
        )],
    };
    let e = shard::merge_study(&[
        mine[0].clone(),
        shards_of(&loaded, &items, &o, &other_axes, 2)[1].clone(),
    ])
    .err()
    .unwrap();
    assert!(e.contains("different sweep"), "{e}");
}

#[test]
fn a_plan_shard_reads_back_its_target_to_the_bit() {
    // 99.9% is 0.9990000000000001, a float serde_json's default parser
    // reads back one unit in the last place off; the shard must keep it
    // (and so pass its digest) for every target a user can type.
    let loaded = Loaded::new("servers.toml", crate::plan::SPACE).unwrap();
    for text in ["99.9%", "99.95%", "0.9995", "99.99%", "99.999%", "90%"] {
        let target = design::parse_target(text).unwrap();
        let study = Study::Plan {
            target,
            service: "app".into(),
            failures: 1,
            place: false,
            skip_invalid: false,
        };
        let file = StudyShard::new(
            &loaded.model,
            &loaded.name,
            &loaded.text,
            opts(1),
            study.clone(),
            0,
            (0, 1),
            Vec::new(),
        );
        match shard::parse_any("s.json", &file.to_json()) {
            Ok(AnyShard::Study(s)) => assert_eq!(s.study, study, "{text}"),
            Ok(AnyShard::Run(_)) => panic!("{text}: read back as a run shard"),
            Err(e) => panic!("{text}: {e}"),
        }
    }
}

#[test]
fn design_search_shards_rank_like_the_unsharded_search() {
    let loaded = Loaded::new("servers.toml", crate::plan::SPACE).unwrap();
    let o = opts(30);
    let target = 0.999;
    let whole = design::search(
        &loaded.source(),
        &loaded.tree,
        &loaded.model,
        "app",
        target,
        &o,
        &mut |_, _| true,
    )
    .unwrap();
    let prepared = design::prepare(
        sim_core::protocols::builtin(),
        &loaded.source(),
        &loaded.tree,
        &loaded.model,
        "app",
        target,
    )
    .unwrap();
    let items: Vec<(String, &sim_core::Model)> = prepared
        .todo
        .iter()
        .map(|i| prepared.designs[*i].label.clone())
        .zip(prepared.models())
        .collect();
    let study = Study::Plan {
        target,
        service: "app".into(),
        failures: 1,
        place: false,
        skip_invalid: false,
    };
    for n in [1, 2, 4, 5] {
        let shards = shards_of(&loaded, &items, &o, &study, n);
        let merged = shard::merge_study(&shards).unwrap();
        let (_, s) = shard::plan_search(&merged).unwrap();
        assert_eq!(s.status, whole.status, "{n} shards, seed {}", o.seed);
        assert_eq!(s.designs, whole.designs);
        assert_eq!(s.cheapest, whole.cheapest);
        assert_eq!(s.pareto, whole.pareto);
        assert_eq!(s.replications, whole.replications);
    }
    let other = Study::Plan {
        target: 0.99,
        service: "app".into(),
        failures: 1,
        place: false,
        skip_invalid: false,
    };
    let a = shards_of(&loaded, &items, &o, &study, 2);
    let b = shards_of(&loaded, &items, &o, &other, 2);
    let e = shard::merge_study(&[a[0].clone(), b[1].clone()])
        .err()
        .unwrap();
    assert!(
        e.contains("different design search") && e.contains("target"),
        "{e}"
    );
}
