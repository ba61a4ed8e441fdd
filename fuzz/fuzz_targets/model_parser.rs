//! Coverage-guided fuzzing of model loading: any text, as TOML and as JSON,
//! must load or return diagnostics; never panic, never hang.
//!
//! Run with `cargo fuzz run model_parser` (cargo-fuzz; it needs a nightly
//! toolchain, or `RUSTC_BOOTSTRAP=1` on stable). Seed the corpus with the
//! bundled models: `cargo fuzz run model_parser ../models`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for name in ["fuzz.toml", "fuzz.json"] {
            if let Err(e) = sim_core::load(name, text) {
                for d in &e.diagnostics {
                    assert!(d.line >= 1 && d.column >= 1);
                    let _ = d.to_string();
                }
            }
        }
    }
});
