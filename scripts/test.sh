#!/usr/bin/env bash
# The whole test suite, as the README gives it and CI runs it. It installs
# what it needs on a brand-new machine (only the Rust toolchain is assumed).
# On a fresh 2-core machine it takes about 15 minutes, most of it compiling
# and (in web-test.sh) installing wasm-bindgen-cli, Node.js, binaryen and
# Chromium; later runs reuse the builds and the tools.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== formatting and lints"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# Among them crates/sim-cli/tests/docs.rs: every ```console block of README.md
# and models/README.md runs with the real binary and its output is checked.
echo "== unit, integration, CLI and doc tests"
cargo test --workspace --locked

echo "== benchmarks compile (run them with: cargo bench -p hasim-benches)"
cargo bench -p hasim-benches --locked --no-run
./scripts/web-test.sh  # browser playground: wasm build, node API tests, headless Chromium end to end
