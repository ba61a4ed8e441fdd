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
mod rare;
mod study_shards;
mod ups_latent;
mod warnings;

/// A model with `n` identical components, each failing with rate `lambda`
/// and repaired with rate `mu` (both per hour), and one service that needs
/// `k` of them. With `crew`, all repairs share one repair crew.
pub fn k_of_n_model(k: u32, n: u32, mtbf_h: f64, mttr_h: f64, crew: bool) -> String {
    shared::k_of_n(k, n, mtbf_h, mttr_h, u32::from(crew))
}

pub use shared::scenario_runs;
