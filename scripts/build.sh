#!/usr/bin/env bash
# Builds the lab.
#
#   scripts/build.sh wasm   the WebAssembly module in release, its JavaScript glue
#                           (wasm-bindgen --target web) and wasm-opt -O, into www/pkg/;
#                           reveal.js for the deck, from node_modules into slides/vendor/;
#                           the posters (barriers-lab figures) into www/posters/
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

# reveal.js from npm, next to the deck (no CDN): the ES module, its styles and the white
# theme (its fonts are inside the CSS), with its licence.
build_vendor() {
  local from=node_modules/reveal.js
  mkdir -p slides/vendor/reveal/theme
  cp "$from/dist/reveal.mjs" "$from/dist/reveal.css" "$from/dist/reset.css" "$from/LICENSE" slides/vendor/reveal/
  cp "$from/dist/theme/white.css" slides/vendor/reveal/theme/
}

# Every demo's default figure as a PNG at 2x, with its numbers (JSON, CSV), made by the lab
# itself: the index's thumbnails, and the deck's slides when printed or without WebAssembly.
build_posters() {
  local lab=(cargo run --quiet --locked --bin barriers-lab --)
  "${lab[@]}" figures --out www/posters
  # The index's thumbnails: the same posters at a quarter of the width (500 px).
  "${lab[@]}" figures --out www/posters/thumbs --scale 0.5
  # Deck slides that show a demo in another state have posters of that state (the slide's
  # link with its last fragment shown).
  "${lab[@]}" figures --out www/posters/slides/attacks-fgsm --link 'attacks=attack=fgsm&eps=0.12'
  for view in kernel tradeoff; do
    "${lab[@]}" figures --out "www/posters/slides/unstable-$view" --link "unstable=view=$view"
  done
  # More samples: the cascade, which is handed the extra samples (the dense network ignores them).
  "${lab[@]}" figures --out www/posters/slides/unstable-samples --link 'unstable=net=cascade&view=samples'
  "${lab[@]}" figures --out www/posters/slides/inexact-k6 --link 'inexact=k=6&n=30'
  # The kernel1d slide on delta: with the sweep over delta (the page's "Sweep δ" button).
  "${lab[@]}" figures --out www/posters/slides/kernel1d-delta --link 'kernel1d=pairs=on&delta=0.1&sweep'
}

build_dist() {
  rm -rf dist
  mkdir -p dist/www/pkg
  cp index.html dist/
  cp -r www/css www/js www/data www/models www/fonts www/posters dist/www/
  cp www/*.html dist/www/
  mkdir -p dist/slides
  cp -r slides/index.html slides/deck.js slides/deck.css slides/vendor dist/slides/
  cp www/pkg/barriers_lab.js www/pkg/barriers_lab_bg.wasm dist/www/pkg/
  # The benchmark page is for developers, not for lecture websites.
  rm -f dist/www/bench.html dist/www/js/bench.js dist/www/bench-peers.html dist/www/js/bench-peers.js
  node scripts/check-dist.mjs dist
  echo "build: dist/ ready ($(du -sh dist | cut -f1)); serve it from any static host or sub-path"
}

case "${1:-}" in
  wasm) build_wasm; build_vendor; build_posters ;;
  dist) build_wasm; build_vendor; build_posters; build_dist ;;
  *) echo "usage: scripts/build.sh wasm|dist" >&2; exit 2 ;;
esac
