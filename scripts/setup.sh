#!/usr/bin/env bash
# Installs whatever the lab needs and is missing; does nothing (quickly) when all is there.
#
#   scripts/setup.sh            for building and serving (npm start, npm run build):
#                               the wasm32 target, wasm-bindgen-cli at the exact version in
#                               Cargo.lock, the npm packages
#   scripts/setup.sh --browser  also Debian's Chromium and ChromeDriver (page tests, bench)
#   scripts/setup.sh --test     also rustfmt, clippy and wasm-pack (npm test)
#
# Every step checks first, so running it again is cheap. Nothing here downloads a browser
# through npm: Playwright drives Debian's /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
want_test=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --test) want_browser=1; want_test=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

export PATH="$HOME/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
WASM_PACK_VERSION=0.15.1

say() { echo "setup: $*"; }

if ! command -v cargo >/dev/null || ! command -v rustup >/dev/null; then
  echo "setup: cargo and rustup are needed (https://rustup.rs); install Rust first." >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "setup: Node.js 20 or newer with npm is needed; install it first." >&2
  exit 1
fi

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root (or sudo) to run: $*" >&2; exit 1
  fi
}

# 1. The WebAssembly target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen-cli, at exactly the wasm-bindgen version in Cargo.lock (the generated
#    JavaScript and the library must match). Its own lock file pins a crate the registry
#    no longer serves, so a locked install can fail: then install unlocked.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$bindgen_version" ]; then
  echo "setup: no wasm-bindgen version in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (about 2 minutes)"
  cargo install wasm-bindgen-cli --version "$bindgen_version" --locked --force \
    || cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# 3. npm packages (Playwright, TypeScript for checking the JavaScript, binaryen's wasm-opt),
#    installed again whenever package-lock.json changes.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.setup-stamp; then
  say "installing npm packages"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.setup-stamp
fi

# 4. Chromium and ChromeDriver from Debian, for the browser tests and benchmarks.
if [ "$want_browser" = 1 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  say "installing chromium and chromium-driver from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# 5. The test tools: rustfmt and clippy (rustup components), wasm-pack.
if [ "$want_test" = 1 ]; then
  for component in rustfmt clippy; do
    if ! rustup component list --installed | grep -q "^$component"; then
      say "adding the Rust component $component"
      rustup component add "$component"
    fi
  done
  if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "$WASM_PACK_VERSION" ]; then
    say "installing wasm-pack $WASM_PACK_VERSION (about 1.5 minutes)"
    cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --force
  fi
fi
