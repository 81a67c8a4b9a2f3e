// The dimension page's worker: trains the four linear classifiers and measures them when the
// state changes (everything but eps); eps only rescales the readout.

import init, { DimensionDemo } from '../pkg/barriers_lab.js';
import { post, message, ensureLoaded, runJob, cancelJob, refresher } from './worker-common.js';

/** @type {DimensionDemo} */
let demo;
/** The state (without eps) the last experiment ran with. */
let measured = null;

function withoutEps(state) {
  const { eps: _eps, ...rest } = state;
  return JSON.stringify(rest);
}

async function compute() {
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

const refresh = refresher(compute, (e) => post({ type: 'error', source: 'internal', message: message(e) }));

function apply(source, fn) {
  try {
    fn();
  } catch (e) {
    post({ type: 'error', source, message: message(e) });
  }
  refresh();
}

self.onmessage = (ev) => {
  const msg = ev.data;
  if (!demo) return;
  switch (msg.type) {
    case 'load':
      apply(msg.first ? 'link' : 'link-edit', () => demo.set_query(msg.query));
      break;
    case 'set':
      apply(msg.source || 'control', () => demo.set_state_json(msg.json ?? JSON.stringify({ ...JSON.parse(demo.state_json()), ...msg.changes })));
      break;
    case 'cancel':
      cancelJob();
      break;
    default:
      post({ type: 'error', source: 'internal', message: `unknown message ${msg.type}` });
  }
};

init()
  .then(() => {
    demo = new DimensionDemo();
    post({ type: 'ready', schema: JSON.parse(DimensionDemo.schema()) });
  })
  .catch((e) => post({ type: 'error', source: 'internal', message: `could not start WebAssembly: ${message(e)}` }));
