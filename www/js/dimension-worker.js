// The dimension page's worker: measures the four linear classifiers when the state changes
// (everything but eps), training them first unless the shipped ones are for the state's
// training setting; posts the rows as each size is measured. eps only rescales the readout.

import init, { DimensionDemo } from '../pkg/barriers_lab.js';
import { post, ensureLoaded, fetchBytes, runJob, serve } from './worker-common.js';

/** The state (without eps) the last complete experiment ran with. */
let measured = null;

function withoutEps(state) {
  const { eps: _eps, ...rest } = state;
  return JSON.stringify(rest);
}

/** Fetches the shipped classifiers of the state's data set, if not loaded yet. */
async function ensureShipped(demo) {
  const file = demo.shipped_file();
  if (file) demo.load_shipped(await fetchBytes(`../models/${file}`, false));
}

/** @param {DimensionDemo} demo */
async function compute(demo) {
  await Promise.all([ensureLoaded(demo), ensureShipped(demo)]);
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
