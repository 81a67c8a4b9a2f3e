// The universal-perturbation page's worker: computes v on the chosen model whenever the
// state changes (in short steps, with progress and cancel), then its transfer row; on
// request, the whole transfer table (v computed on each model in turn).

import init, { UniversalDemo, perturbation_rgba, image_rgba } from '../pkg/barriers_lab.js';
import { post, message, ensureLoaded, runJob, cancelJob, refresher } from './worker-common.js';

/** @type {UniversalDemo} */
let demo;
const MODELS = ['linear', 'mlp', 'cnn'];
const EXAMPLES = 8;

/** Computes v on `source`; resolves to the result, or null if cancelled. */
async function search(source) {
  demo.start(source);
  const finished = await runJob(`Universal perturbation on the ${source} model: image`, () => {
    const [d, t, fin] = demo.step(20);
    return [d, t, fin === 1];
  });
  const r = JSON.parse(demo.result());
  r.finished = finished;
  r.source = source;
  return r;
}

async function compute() {
  await ensureLoaded(demo);
  const state = JSON.parse(demo.state_json());
  const r = await search(state.model);
  const scale = state.norm === 'linf' ? state.xi : 0;
  const vImage = perturbation_rgba(new Float64Array(r.v), r.side, scale);
  const examples = [];
  for (let i = 0; i < EXAMPLES; i++) {
    const e = JSON.parse(demo.example(i));
    examples.push({ label: e.label, adv_label: e.adv_label, name: e.class_names[e.label], adv_name: e.class_names[e.adv_label], image: image_rgba(new Float64Array(e.image), r.side), perturbed: image_rgba(new Float64Array(e.perturbed), r.side) });
  }
  delete r.v;
  post({ type: 'result', query: demo.query(), state, result: r, vImage, examples });
}

const refresh = refresher(compute, (e) => post({ type: 'error', source: 'internal', message: message(e) }));

async function table() {
  try {
    await ensureLoaded(demo);
    const rows = [];
    for (const m of MODELS) {
      const r = await search(m);
      if (!r.finished) break;
      rows.push({ source: m, rates: r.rates, reached_target: r.reached_target, test_fooling: r.test_fooling, noise_test_fooling: r.noise_test_fooling });
    }
    post({ type: 'table', rows, query: demo.query() });
    refresh();
  } catch (e) {
    post({ type: 'error', source: 'internal', message: message(e) });
  }
}

function apply(source, fn) {
  try {
    fn();
  } catch (e) {
    post({ type: 'error', source, message: message(e) });
  }
  cancelJob();
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
    case 'table':
      table();
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
    demo = new UniversalDemo();
    post({ type: 'ready', schema: JSON.parse(UniversalDemo.schema()) });
  })
  .catch((e) => post({ type: 'error', source: 'internal', message: `could not start WebAssembly: ${message(e)}` }));
