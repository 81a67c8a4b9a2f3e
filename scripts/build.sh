#!/usr/bin/env bash
# Builds the lab.
#
#   scripts/build.sh wasm   the WebAssembly module in release, its JavaScript glue
#                           (wasm-bindgen --target web) and wasm-opt -O, into www/pkg/
#   scripts/build.sh dist   the above, then a self-contained static folder dist/ that
#                           works from any static host under any sub-path
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

build_wasm() {
  cargo build --lib --release --target wasm32-unknown-unknown
  wasm-bindgen --target web --out-dir www/pkg target/wasm32-unknown-unknown/release/barriers_lab.wasm
  # binaryen from npm (never Debian's older wasm-opt, whose output breaks in Chromium).
  node_modules/.bin/wasm-opt -O www/pkg/barriers_lab_bg.wasm -o www/pkg/barriers_lab_bg.wasm
  echo "build: www/pkg/barriers_lab_bg.wasm $(wc -c < www/pkg/barriers_lab_bg.wasm) bytes"
}

build_dist() {
  rm -rf dist
  mkdir -p dist/www/pkg
  cp index.html dist/
  cp -r www/css www/js www/data www/models dist/www/
  cp www/*.html dist/www/
  cp www/pkg/barriers_lab.js www/pkg/barriers_lab_bg.wasm dist/www/pkg/
  # The benchmark page is for developers, not for lecture websites.
  rm -f dist/www/bench.html dist/www/js/bench.js
  node scripts/check-dist.mjs dist
  echo "build: dist/ ready ($(du -sh dist | cut -f1)); serve it from any static host or sub-path"
}

case "${1:-}" in
  wasm) build_wasm ;;
  dist) build_wasm; build_dist ;;
  *) echo "usage: scripts/build.sh wasm|dist" >&2; exit 2 ;;
esac
