#!/usr/bin/env bash
# The peer benchmark: builds hasim (release), installs SimPy 4.1 from PyPI
# into a virtual environment of its own (under target/, nothing global),
# and runs benches/peers/peers.py. Arguments go to peers.py
# (--replications N, --years Y).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p sim-cli --locked
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
venv="$target/peers-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet simpy==4.1.1
fi
"$venv/bin/python" benches/peers/peers.py "$target/release/hasim" "$@"
