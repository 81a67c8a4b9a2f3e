#!/usr/bin/env bash
# Retrains every shipped image classifier from its recipe and seed (www/models/*.blm) and
# prints their accuracies. Takes about a minute and a half on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked --bin barriers-lab
for data in mnist fashion digits; do
  for model in linear mlp cnn; do
    target/release/barriers-lab train --data "$data" --model "$model" --seed 1 --quiet --json
  done
done
