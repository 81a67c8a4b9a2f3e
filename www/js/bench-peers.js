// The benchmark peers page (www/bench-peers.html): times other libraries on the work of some
// of the lab's kernels, for the lab / peer ratios of `npm run bench`. Sets window.peerResults
// (the same shape as the lab's measurements) or window.peerError.
import init, { bench_toy_forward_problem } from '../pkg/barriers_lab.js';

const status = document.getElementById('status');
const params = new URLSearchParams(location.search);
const samples = Number(params.get('samples')) || 31;
/** Only the peers whose name contains this, or one of these comma-separated parts (all by default). */
const only = params.get('only') || '';
const MIN_SAMPLE_MS = 20;
/** @type {any} */
const w = window;

/**
 * The lab's harness (src/bench.rs `measure`), in JavaScript: warm up while finding how many
 * calls make a sample of at least MIN_SAMPLE_MS, then the median per call over the samples
 * (fewer samples, at least 5, when they would take more than 10 s).
 * @param {string} name @param {string} description @param {() => void} run
 */
function measure(name, description, run) {
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) run();
    const dt = performance.now() - t0;
    if (dt >= MIN_SAMPLE_MS || calls >= 1 << 20) break;
    const factor = dt > 0 ? Math.ceil((MIN_SAMPLE_MS / dt) * 1.2) : 10;
    calls = Math.min(calls * Math.min(Math.max(factor, 2), 100), 1 << 20);
  }
  const t1 = performance.now();
  run();
  const first = performance.now() - t1;
  let n = samples;
  if (first * calls * samples > 10_000) n = Math.min(Math.max(Math.floor(10_000 / (first * calls)), 5), Math.max(samples, 5));
  const per = [];
  for (let s = 0; s < Math.max(n, 1); s++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) run();
    per.push((performance.now() - t0) / calls);
  }
  per.sort((a, b) => a - b);
  const m = per.length;
  const median = m % 2 ? per[(m - 1) / 2] : 0.5 * (per[m / 2 - 1] + per[m / 2]);
  return { name, description, median_ms: median, min_ms: per[0], max_ms: per[m - 1], samples: m, calls_per_sample: calls };
}

/**
 * The unitary 2-D FFT of an n x n complex image (interleaved re, im; row-major) with fft.js:
 * every row, then every column through a gathered copy, then 1/n. Buffers made once.
 * @param {number} n
 */
function fftjs2(n) {
  const fft = new w.FFTJS(n);
  const line = new Float64Array(2 * n);
  const out = new Float64Array(2 * n);
  const rowOut = new Float64Array(2 * n);
  const s = 1 / n;
  /** @param {Float64Array} data */
  return (data) => {
    for (let r = 0; r < n; r++) {
      const row = data.subarray(2 * n * r, 2 * n * (r + 1));
      fft.transform(rowOut, row);
      row.set(rowOut);
    }
    for (let c = 0; c < n; c++) {
      for (let r = 0; r < n; r++) {
        line[2 * r] = data[2 * (r * n + c)];
        line[2 * r + 1] = data[2 * (r * n + c) + 1];
      }
      fft.transform(out, line);
      for (let r = 0; r < n; r++) {
        data[2 * (r * n + c)] = out[2 * r] * s;
        data[2 * (r * n + c) + 1] = out[2 * r + 1] * s;
      }
    }
  };
}

/** fft.js's 2-D transform must be the lab's: a plane wave exp(2 pi i (2 r + 3 c) / n) is n at (2, 3). */
function checkFftjs() {
  const n = 16;
  const data = new Float64Array(2 * n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const a = (2 * Math.PI * (2 * r + 3 * c)) / n;
      data[2 * (r * n + c)] = Math.cos(a);
      data[2 * (r * n + c) + 1] = Math.sin(a);
    }
  }
  fftjs2(n)(data);
  for (let i = 0; i < n * n; i++) {
    const want = i === 2 * n + 3 ? n : 0;
    if (Math.hypot(data[2 * i] - want, data[2 * i + 1]) > 1e-10) throw new Error(`fft.js 2-D check failed at ${i}`);
  }
}

/** A seeded complex image, interleaved (the values do not change the FFT's time). @param {number} n */
function image(n) {
  const d = new Float64Array(2 * n * n);
  let state = 12345;
  for (let i = 0; i < d.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    d[i] = state / 2 ** 32 - 0.5;
  }
  return d;
}

/**
 * TF.js (wasm backend, float32) on the heat map's forward pass: the lab's trained toy MLP at
 * its 200 x 200 grid. Each call computes the logits and reads them back, as a page would to
 * colour the pixels. The result is checked against the lab's f64 logits first.
 */
async function tfjsLogits() {
  const tf = w.tf;
  w.tf.wasm.setWasmPaths(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url).href);
  await tf.setBackend('wasm');
  await tf.ready();
  const p = JSON.parse(bench_toy_forward_problem());
  const rows = p.points.length / 2;
  const x = tf.tensor2d(p.points, [rows, 2]);
  const layers = p.layers.map((/** @type {any} */ l) => ({ w: tf.tensor2d(l.w, [l.outputs, l.inputs]), b: tf.tensor1d(l.b) }));
  const act = { relu: tf.relu, tanh: tf.tanh, sigmoid: tf.sigmoid }[p.activation];
  const forward = () =>
    tf.tidy(() => {
      let a = x;
      layers.forEach((/** @type {any} */ l, /** @type {number} */ i) => {
        a = tf.add(tf.matMul(a, l.w, false, true), l.b);
        if (i < layers.length - 1) a = act(a);
      });
      return a;
    });
  const check = forward();
  const got = check.dataSync();
  check.dispose();
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < got.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - p.logits[i]));
    scale = Math.max(scale, Math.abs(p.logits[i]));
  }
  // float32 against float64: a few ulps of float32 (6e-8) times the layers' sums.
  if (!(worst <= 1e-4 * scale)) throw new Error(`TF.js logits differ from the lab's by ${worst} (largest logit ${scale})`);
  return {
    run: () => {
      const y = forward();
      y.dataSync();
      y.dispose();
    },
    agreement: worst / scale,
    backend: tf.getBackend(),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

async function main() {
  await init();
  status.textContent = `Measuring (${samples} samples per peer)…`;
  await new Promise((r) => setTimeout(r, 50));
  const results = [];
  const info = {};
  const want = (/** @type {string} */ name) => only.split(',').some((part) => name.includes(part));
  if (want('peer_tfjs_logits_200')) {
    const t = await tfjsLogits();
    Object.assign(info, { tfjs_backend: t.backend, tfjs_simd: t.simd, tfjs_threads: t.threads, tfjs_relative_difference: t.agreement });
    results.push(measure('peer_tfjs_logits_200', `peer: TF.js ${w.tf.version_core} (${t.backend} backend, float32, SIMD ${t.simd}, threads ${t.threads}), the heat map's logits at 200 x 200 points, read back`, t.run));
  }
  checkFftjs();
  for (const n of [128, 256]) {
    const name = `peer_fftjs2_${n}`;
    if (!want(name)) continue;
    const f = fftjs2(n);
    const d = image(n);
    results.push(measure(name, `peer: fft.js 4.0.4, unitary 2-D FFT of a ${n} x ${n} complex image (rows, columns, 1/n; float64)`, () => f(d)));
  }
  const rows = results.map(
    (m) => `<tr><td><code>${m.name}</code></td><td>${m.description}</td><td>${m.median_ms.toFixed(4)} ms</td><td>${m.min_ms.toFixed(4)} to ${m.max_ms.toFixed(4)} ms</td></tr>`,
  );
  document.getElementById('results').innerHTML = `<tr><th>peer</th><th>what</th><th>median</th><th>range</th></tr>${rows.join('')}`;
  status.textContent = `Done: ${navigator.userAgent}`;
  w.peerInfo = info;
  w.peerResults = results;
}

main().catch((e) => {
  status.textContent = `Failed: ${e instanceof Error ? e.message : e}`;
  w.peerError = String(e);
});
