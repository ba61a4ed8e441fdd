#!/usr/bin/env bash
# The browser playground: installs what it needs on a fresh Debian/Ubuntu
# machine (only a Rust toolchain is assumed), builds web/dist and runs its
# tests: the wasm API from node, and the page end to end in headless
# Chromium, both checked against the real `hasim` binary; and the HTML that
# `hasim report` writes (with that binary), opened in the same Chromium.
#
# Installs, each only when missing: the wasm32-unknown-unknown target,
# wasm-bindgen-cli of the exact version in Cargo.lock (about 3 minutes),
# Node.js, binaryen's wasm-opt (optional) and Debian's chromium. It never
# downloads a browser through Playwright.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
apt_updated=""
apt_install() {
  # apt_install PACKAGE...: returns non-zero if it cannot.
  if [ "$SUDO" = none ] || ! command -v apt-get >/dev/null 2>&1; then return 1; fi
  if [ -z "$apt_updated" ]; then
    $SUDO apt-get update -qq || return 1
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

echo "== web: toolchain"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  echo "   installing wasm-bindgen-cli $want (have: ${have:-none}); this takes a few minutes"
  cargo install wasm-bindgen-cli --version "$want" --locked ||
    cargo install wasm-bindgen-cli --version "$want"
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "   installing Node.js"
  apt_install nodejs npm || { echo "error: Node.js (20 or newer) and npm are needed" >&2; exit 1; }
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js $(node --version) is too old: playwright-core needs Node.js 20 or newer" >&2
  exit 1
fi
if ! command -v wasm-opt >/dev/null 2>&1; then
  apt_install binaryen || echo "   (binaryen's wasm-opt is unavailable: the wasm stays unoptimised, which is fine)"
fi
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  echo "   installing chromium (Debian package)"
  if ! apt_install chromium; then
    if [ "${CI:-}" = true ]; then
      echo "error: CI=true and /usr/bin/chromium is missing and could not be installed: apt-get install -y chromium" >&2
      exit 1
    fi
    echo "   could not install chromium: the browser test will say what to install"
  fi
fi

# poppler's pdftoppm rasterises the printed review, page by page.
if ! command -v pdftoppm >/dev/null 2>&1; then
  echo "   installing poppler-utils (pdftoppm)"
  if ! apt_install poppler-utils && [ "${CI:-}" = true ]; then
    echo "error: CI=true and pdftoppm is missing and could not be installed: apt-get install -y poppler-utils" >&2
    exit 1
  fi
fi

echo "== web: npm ci"
(cd web && npm ci --no-audit --no-fund --loglevel=error)

echo "== web: build"
bash web/build.sh

echo "== web: hasim binary for the comparisons and the report"
cargo build -p sim-cli --locked

echo "== web: tests (node API against the CLI; Chromium end to end; the hasim report in Chromium)"
started=$(date +%s)
(cd web && node --test test/api.test.mjs && node --test test/e2e.test.mjs && node --test test/report.e2e.test.mjs)
echo "== web: tests passed in $(($(date +%s) - started)) s; screenshots in web/test-results/"
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "WARNING: the browser test was SKIPPED: Chromium is missing. Install it with: sudo apt-get install -y chromium" >&2
fi
