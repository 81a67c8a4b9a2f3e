#!/usr/bin/env bash
# npm run bench: builds in release, then times the kernels natively and in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/build.sh wasm
cargo build --release --locked --bin bench
node scripts/bench.mjs "$@"
