#!/usr/bin/env bash
# Retrains every shipped image classifier from its recipe and seed (www/models/*.blm) and
# prints their accuracies; then remakes the shipped results the image pages start from: the
# dimension page's four linear classifiers for MNIST and Fashion-MNIST (dimension-*.bld, f64)
# and the universal page's default perturbation on each MNIST model (universal-mnist.buv, f64;
# after the classifiers, since it is computed on them). Takes about two minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked --bin barriers-lab
for data in mnist fashion digits; do
  for model in linear mlp cnn; do
    target/release/barriers-lab train --data "$data" --model "$model" --seed 1 --quiet --json
  done
done
target/release/barriers-lab dimension --data mnist --save www/models/dimension-mnist.bld
# Fashion-MNIST has 800 training images: all of them (the default, 4,000, is MNIST's).
target/release/barriers-lab dimension --data fashion --train 800 --save www/models/dimension-fashion.bld
target/release/barriers-lab universal --data mnist --table --save www/models/universal-mnist.buv
# The unstable page's default trade-off plot (its numbers as `figures` writes them): 14
# variants' PSNR and worst amplification, 3.5 s in a browser, so the page and the deck show it
# at once for the default state (any other state computes it live).
out=$(mktemp -d)
target/release/barriers-lab figures --out "$out" --link 'unstable=view=tradeoff'
cp "$out/unstable.json" www/models/tradeoff-default.json
rm -r "$out"
