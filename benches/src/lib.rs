//! The workloads the criterion benchmarks time, shared with the `profile`
//! example, which runs a fixed amount of the same work so that
//! `valgrind --tool=callgrind` reports instruction counts that repeat exactly
//! from run to run (wall-clock timings on a shared machine do not).

use sim_core::engine::Engine;
use sim_core::rng::SimRng;

/// Random delays for [`hold_model`]: `live` initial event times, then one
/// delay per step. Drawn up front so the benchmark times the event list, not
/// the random number generator.
pub fn hold_delays(live: usize, steps: usize) -> Vec<u64> {
    let mut rng = SimRng::for_replication(1, 0);
    (0..steps + live)
        .map(|_| 1 + rng.below(1_000_000))
        .collect()
}

/// A steady-state queue of `live` pending events; each step pops the earliest
/// and schedules a replacement at a random later time, and every fourth step
/// also schedules and cancels a timer (the pattern of protocol timeouts).
/// Returns how many events fired.
pub fn hold_model(live: usize, delays: &[u64]) -> u64 {
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

/// Every model in `models/`, by file stem, in name order.
pub fn bundled_models() -> Vec<(String, sim_core::Model)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../models");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("models/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("model file is readable");
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let model = sim_core::load(&p.display().to_string(), &text)
                .unwrap_or_else(|d| panic!("bundled model {name} loads: {d}"));
            (name, model)
        })
        .collect()
}
