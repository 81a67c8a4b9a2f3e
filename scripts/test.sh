#!/usr/bin/env bash
# npm test: installs what is missing, then runs every check, stopping at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMEDRIVER=/usr/bin/chromedriver

step() { printf '\n=== %s\n' "$*"; }
mkdir -p target/test-logs

step "set-up (installs only what is missing)"
bash scripts/setup.sh --test

step "cargo fmt --check"
cargo fmt --check

step "clippy, warnings as errors (native, and the wasm32 binding)"
cargo clippy --all-targets --locked -- -D warnings
cargo clippy --lib --tests --locked --target wasm32-unknown-unknown -- -D warnings

step "native tests (unit, integration, doc)"
cargo test --locked

# wasm-pack runs each suite where it is configured to run and silently skips the others,
# so the logs are checked: the named suite must have run and passed at least one test.
step "wasm tests in Node (the numerics' unit tests, compiled to WebAssembly)"
wasm-pack test --node 2>&1 | tee target/test-logs/wasm-node.log
node scripts/check-wasm-log.mjs target/test-logs/wasm-node.log node "src/lib.rs"

step "wasm tests in headless Chromium (the binding)"
wasm-pack test --headless --chrome 2>&1 | tee target/test-logs/wasm-chrome.log
node scripts/check-wasm-log.mjs target/test-logs/wasm-chrome.log chrome "tests/browser.rs"

step "build: wasm in release, and dist/"
bash scripts/build.sh dist

step "JavaScript type check (tsc --checkJs, with the generated bindings' types)"
node_modules/.bin/tsc -p jsconfig.json
echo "tsc: no errors"

step "page tests in headless Chromium (development tree, and dist/ under a sub-path)"
node_modules/.bin/playwright test

printf '\nAll checks passed.\n'
