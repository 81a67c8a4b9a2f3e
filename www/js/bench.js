// The benchmark page: runs the Rust kernels (src/bench.rs) in WebAssembly and shows their
// medians; `npm run bench` reads window.benchResults.
import init, { bench_run } from '../pkg/barriers_lab.js';
import { fetchBytes } from './worker-common.js';

const status = document.getElementById('status');
const params = new URLSearchParams(location.search);
const samples = Number(params.get('samples')) || 31;
/** Only the kernels whose name contains this (all by default). */
const only = params.get('only') || '';

async function main() {
  await init();
  status.textContent = `Measuring (${samples} samples per kernel)…`;
  // Let the message paint before the page is busy.
  await new Promise((r) => setTimeout(r, 50));
  const [pixels, labels, mlp, cnn, colin27, colin64, net] = await Promise.all([
    fetchBytes('../data/mnist10k_u8_28x28.bin.gz', true),
    fetchBytes('../data/mnist10k_labels_u8.bin.gz', true),
    fetchBytes('../models/mnist-mlp.blm', false),
    fetchBytes('../models/mnist-cnn.blm', false),
    fetchBytes('../data/colin27_axial_128_u8.bin.gz', true),
    fetchBytes('../data/colin27_axial_64_u8.bin.gz', true),
    fetchBytes('../models/recon-net.brn', false),
  ]);
  const results = JSON.parse(bench_run(samples, 20, pixels, labels, mlp, cnn, colin27, colin64, net, only));
  const rows = results.map(
    (m) => `<tr><td><code>${m.name}</code></td><td>${m.description}</td><td>${m.median_ms.toFixed(4)} ms</td><td>${m.min_ms.toFixed(4)} to ${m.max_ms.toFixed(4)} ms</td></tr>`,
  );
  document.getElementById('results').innerHTML = `<tr><th>kernel</th><th>what</th><th>median</th><th>range</th></tr>${rows.join('')}`;
  status.textContent = `Done: ${navigator.userAgent}`;
  /** @type {any} */ (window).benchResults = results;
}

main().catch((e) => {
  status.textContent = `Failed: ${e instanceof Error ? e.message : e}`;
  /** @type {any} */ (window).benchError = String(e);
});
