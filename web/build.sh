#!/usr/bin/env bash
# Builds the playground into web/dist: the engine compiled to wasm32 and
# bound with wasm-bindgen (--target web, loaded by a module worker), the
# static page, and the bundled models/*.toml as examples (copied, not kept
# twice in git). Serve web/dist with any static file server.
#
# Needs: the wasm32-unknown-unknown target and wasm-bindgen-cli of the
# version in Cargo.lock (scripts/web-test.sh installs both); wasm-opt from
# binaryen is used when present.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=$root/web/dist

# Wherever cargo puts its output (CARGO_TARGET_DIR, a config file, or ./target).
target_dir=$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null ||
  cargo metadata --format-version 1 --no-deps)
target_dir=$(node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))' <<<"$target_dir")

# A size-optimised profile for the wasm only, defined here so the workspace's
# release profile (the CLI's) stays as it is.
echo "== building sim-wasm for wasm32 (opt-level z, LTO)"
cargo build -p sim-wasm --locked --target wasm32-unknown-unknown --profile wasm-release \
  --config 'profile.wasm-release.inherits="release"' \
  --config 'profile.wasm-release.opt-level="z"' \
  --config 'profile.wasm-release.lto=true' \
  --config 'profile.wasm-release.codegen-units=1' \
  --config 'profile.wasm-release.panic="abort"'
wasm=$target_dir/wasm32-unknown-unknown/wasm-release/sim_wasm.wasm

rm -rf "$dist"
mkdir -p "$dist/pkg" "$dist/models"

bind() {
  rm -f "$dist/pkg/"*
  wasm-bindgen --target web --no-typescript --out-name sim_wasm --out-dir "$dist/pkg" "$1"
}

# Does the bound package load and answer? (An old wasm-opt can break the
# externref table when run after wasm-bindgen, so it runs before, and this
# check guards against any other surprise.)
smoke() {
  node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    const m = await import('$dist/pkg/sim_wasm.js');
    m.initSync({ module: readFileSync('$dist/pkg/sim_wasm_bg.wasm') });
    if (!JSON.parse(m.validate('m.toml', '[hosts.a]\\n[services.s]\\nrequires = \\\"a\\\"\\n')).ok) process.exit(1);
  "
}

optimised=""
if command -v wasm-opt >/dev/null 2>&1; then
  echo "== wasm-opt -Oz ($(wasm-opt --version))"
  if wasm-opt -Oz --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$wasm" -o "$dist/opt.wasm" 2>"$dist/wasm-opt.log"; then
    optimised=$dist/opt.wasm
  else
    echo "   wasm-opt failed (see web/dist/wasm-opt.log); keeping the unoptimised wasm"
  fi
else
  echo "   wasm-opt not found (Debian package binaryen): skipping that pass"
fi
if [ -n "$optimised" ] && bind "$optimised" && smoke; then
  :
else
  [ -n "$optimised" ] && echo "   the wasm-opt output does not load: keeping the unoptimised wasm"
  bind "$wasm"
  smoke
fi
rm -f "$dist/opt.wasm" "$dist/wasm-opt.log"
bg=$dist/pkg/sim_wasm_bg.wasm

cp "$root"/web/src/*.html "$root"/web/src/*.css "$root"/web/src/*.js "$dist/"
cp "$root"/models/*.toml "$dist/models/"
# The JSON Schema beside the models, where their `#:schema ./hasim.schema.json`
# line points (editors that read it then complete and check the keys).
cp "$root"/models/hasim.schema.json "$dist/models/"
# The topology's layout library, dagre (an ES module with graphlib inside,
# no bundler needed), served from the page's own origin with its licence.
dagre=$root/web/node_modules/@dagrejs/dagre/dist
if [ ! -f "$dagre/dagre.esm.js" ]; then
  echo "error: $dagre/dagre.esm.js is missing: run \`npm ci\` in web/ first (scripts/web-test.sh does)" >&2
  exit 1
fi
mkdir -p "$dist/vendor"
cp "$dagre/dagre.esm.js" "$dagre/dagre.esm.js.map" "$dagre/dagre.esm.js.LEGAL.txt" "$dist/vendor/"
cp "$root/web/node_modules/@dagrejs/dagre/LICENSE" "$dist/vendor/dagre.LICENSE"
(cd "$dist/models" && ls -1 -- *.toml) |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(s.split("\n").filter(Boolean))))' \
    >"$dist/models/index.json"

raw=$(wc -c <"$bg")
gz=$(gzip -9 -c "$bg" | wc -c)
echo "== web/dist built: sim_wasm_bg.wasm $((raw / 1024)) KiB, $((gz / 1024)) KiB gzipped"
