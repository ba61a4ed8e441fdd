//! Coverage-guided fuzzing of everything a model file goes through: any
//! bytes must decode, load (as TOML and as JSON) or return located
//! diagnostics; a model that loads gets its design warnings and a short
//! simulation, as in the browser and on a first `hasim run`. Nothing may
//! panic or hang: the simulation has a small event budget, so a model that
//! would run for hours ends with an overrun error, and a loop the budget
//! does not count is caught by libFuzzer's `-timeout`.
//!
//! Run with `cargo fuzz run model_parser -- -timeout=10` (cargo-fuzz; it
//! needs a nightly toolchain, or `RUSTC_BOOTSTRAP=1` on stable). Seed the
//! corpus with the bundled models: `cargo fuzz run model_parser ../models`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim_core::model::{decode, load, Source};
use sim_core::runner::{run, RunOptions};

fuzz_target!(|data: &[u8]| {
    for name in ["fuzz.toml", "fuzz.json"] {
        let text = match decode(name, data) {
            Ok(t) => t,
            Err(e) => {
                check(&e);
                return;
            }
        };
        match load(name, text) {
            Err(e) => check(&e),
            Ok(model) => {
                let _ = sim_core::analysis::lint(&model, &Source { name, text });
                let opts = RunOptions {
                    replications: 2,
                    horizon: 30 * 24 * 3600 * 1_000_000_000,
                    batch: 2,
                    max_events: 200_000,
                    ..Default::default()
                };
                if let Ok(acc) = run(&model, &opts) {
                    assert_eq!(acc.count, 2);
                }
            }
        }
    }
});

fn check(e: &sim_core::model::ModelError) {
    assert!(!e.diagnostics.is_empty());
    for d in &e.diagnostics {
        assert!(d.line >= 1 && d.column >= 1);
    }
    let _ = e.to_string();
}
