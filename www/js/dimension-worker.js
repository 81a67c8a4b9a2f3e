// The dimension page's worker: measures the four linear classifiers when the state changes
// (everything but eps), training them first unless the shipped ones are for the state's
// training setting; posts the rows as each size is measured. eps only rescales the readout.

import init, { DimensionDemo } from '../pkg/barriers_lab.js';
import { post, fetchBytes, runJob, serve } from './worker-common.js';

/** The state (without eps) the last complete experiment ran with. */
let measured = null;

function withoutEps(state) {
  const { eps: _eps, ...rest } = state;
  return JSON.stringify(rest);
}

/**
 * The files of the default state (MNIST and its shipped classifiers), fetched as soon as the
 * worker starts, while the WebAssembly compiles and the page sends its link: path -> Promise
 * of the (gunzipped) bytes. A link to Fashion-MNIST leaves them unused.
 */
const prefetched = new Map();
function prefetch(path, gz) {
  if (!prefetched.has(path)) {
    const p = fetchBytes(path, gz);
    p.catch(() => {}); // a failure is reported where the file is used, if it is
    prefetched.set(path, p);
  }
  return prefetched.get(path);
}
for (const f of ['mnist10k_u8_28x28.bin.gz', 'mnist10k_labels_u8.bin.gz']) prefetch(`../data/${f}`, true);
prefetch('../models/dimension-mnist.bld', false);

/** Loads what `demo.needs()` lists and the shipped classifiers, from the prefetched files. */
async function ensureAll(demo) {
  const needs = JSON.parse(demo.needs());
  const file = demo.shipped_file();
  const shipped = file ? prefetch(`../models/${file}`, false) : null;
  for (const [i, n] of needs.entries()) {
    post({ type: 'progress', done: i, total: needs.length, what: `Loading the ${n.data} images` });
    const [pixels, labels] = await Promise.all([prefetch(`../data/${n.files[0]}`, true), prefetch(`../data/${n.files[1]}`, true)]);
    demo.load_data(n.data, pixels, labels);
  }
  if (shipped) demo.load_shipped(await shipped);
  if (needs.length) post({ type: 'progress', done: 0, total: 0 });
  prefetched.clear();
}

/** @param {DimensionDemo} demo */
async function compute(demo) {
  await ensureAll(demo);
  const state = JSON.parse(demo.state_json());
  const result = (finished) => ({ type: 'result', query: demo.query(), state, result: JSON.parse(demo.result()), finished });
  let finished = true;
  if (withoutEps(state) !== measured) {
    demo.start();
    const what = 'Measuring the linear classifiers, step';
    let rows = 0;
    finished = await runJob(what, () => {
      const [d, t, r] = demo.step();
      if (r !== rows && d < t) {
        // Another size measured: show its row (the page stays busy until the last one).
        rows = r;
        post({ type: 'progress', done: d, total: t, what });
        post(result(false));
      }
      return [d, t, d >= t];
    });
    measured = finished ? withoutEps(state) : null;
  }
  post(result(finished));
}

serve({ init, make: () => new DimensionDemo(), schema: () => DimensionDemo.schema(), compute, cancelOnChange: true });
