//! sim-core's integration tests: one test binary, one module per concern.
//! Statistical tests use fixed seeds and print the seed and interval on failure.

#[path = "../shared/mod.rs"]
mod shared;

mod bad_input;
mod closed_forms;
mod determinism;
mod distributions;
mod etcd_vrrp_haproxy;
mod generic_kinds;
mod gray;
mod key_defaults;
mod network;
mod place;
mod plan;
mod proxmox_patroni_longhorn_kubernetes;
mod ups_latent;
mod warnings;

/// A model with `n` identical components, each failing with rate `lambda`
/// and repaired with rate `mu` (both per hour), and one service that needs
/// `k` of them. With `crew`, all repairs share one repair crew.
pub fn k_of_n_model(k: u32, n: u32, mtbf_h: f64, mttr_h: f64, crew: bool) -> String {
    shared::k_of_n(k, n, mtbf_h, mttr_h, u32::from(crew))
}

/// Runs replications `0..reps` of `model` with random failures off and the
/// given faults injected, each `(element name, time, down)`, and returns
/// what each replication measured.
pub fn scenario_runs(
    model: &sim_core::Model,
    seed: u64,
    reps: u64,
    horizon: sim_core::time::Nanos,
    faults: &[(&str, sim_core::time::Nanos, bool)],
) -> Vec<sim_core::sim::RepOutcome> {
    use sim_core::sim::{Injection, RepOptions, Replication};
    let injections: Vec<Injection> = faults
        .iter()
        .map(|(name, at, down)| Injection {
            element: model
                .elements
                .iter()
                .position(|e| e.name == *name)
                .unwrap_or_else(|| panic!("no element {name}")),
            at: *at,
            down: *down,
        })
        .collect();
    (0..reps)
        .map(|i| {
            let opts = RepOptions {
                horizon,
                random_faults: false,
                injections: injections.clone(),
                trace: false,
            };
            Replication::new(model, seed, i).run(&opts).0
        })
        .collect()
}
