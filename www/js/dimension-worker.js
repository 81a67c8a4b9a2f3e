// The dimension page's worker: trains the four linear classifiers and measures them when the
// state changes (everything but eps); eps only rescales the readout.

import init, { DimensionDemo } from '../pkg/barriers_lab.js';
import { post, ensureLoaded, runJob, serve } from './worker-common.js';

/** The state (without eps) the last complete experiment ran with. */
let measured = null;

function withoutEps(state) {
  const { eps: _eps, ...rest } = state;
  return JSON.stringify(rest);
}

/** @param {DimensionDemo} demo */
async function compute(demo) {
  await ensureLoaded(demo);
  const state = JSON.parse(demo.state_json());
  let finished = true;
  if (withoutEps(state) !== measured) {
    demo.start();
    finished = await runJob('Training and measuring the linear classifiers, step', () => {
      const [d, t] = demo.step();
      return [d, t, d >= t];
    });
    measured = finished ? withoutEps(state) : null;
  }
  post({ type: 'result', query: demo.query(), state, result: JSON.parse(demo.result()), finished });
}

serve({ init, make: () => new DimensionDemo(), schema: () => DimensionDemo.schema(), compute, cancelOnChange: true });
