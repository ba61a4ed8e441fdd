//! Sweeping a parameter and reading the results as data: the keepalived
//! track-script weight of the home-lab write-up, which decides whether the
//! virtual IP leaves a node whose HAProxy died (the write-up's weight of 2
//! cannot beat the priority gap of 50; -60 can).
//!
//! Run it with `cargo run -p sim-core --example sweep`; the test suite runs
//! it too (tests/examples.rs).

use sim_core::model::tree::{parse, Format};
use sim_core::model::Source;
use sim_core::runner::{run, summarize, RunOptions};
use sim_core::study::compile_point;

/// Availability of the `k3s-api` service for each track weight, in order.
pub fn availability_by_weight(weights: &[&str], replications: u64) -> Vec<(String, f64)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/homelab-k3s-as-written.toml"
    );
    let text = std::fs::read_to_string(path).expect("the bundled model");
    let src = Source {
        name: path,
        text: &text,
    };
    let tree = parse(&src, Format::Toml).unwrap_or_else(|d| panic!("{d}"));
    let opts = RunOptions {
        replications,
        ..Default::default()
    };
    weights
        .iter()
        .map(|w| {
            let point = [("clusters.vip.track_weight".to_string(), w.to_string())];
            let model = compile_point(&src, &tree, &point).unwrap_or_else(|e| panic!("{e}"));
            let acc = run(&model, &opts).expect("within the event budget");
            let r = summarize(&model, &acc, opts.horizon);
            let api = r
                .services
                .iter()
                .find(|s| s.name == "k3s-api")
                .expect("k3s-api");
            (w.to_string(), api.availability.mean)
        })
        .collect()
}

#[allow(dead_code)]
fn main() {
    for (w, a) in availability_by_weight(&["2", "-60"], 200) {
        println!(
            "track_weight {w:>4}: k3s-api availability {:.4}%",
            a * 100.0
        );
    }
}
