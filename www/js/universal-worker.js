// The universal-perturbation page's worker: computes v on the chosen model whenever the
// state changes (in short steps, with progress and cancel), then its transfer row; on
// request, the whole transfer table (v computed on each model in turn).

import init, { UniversalDemo, perturbation_rgba, image_rgba } from '../pkg/barriers_lab.js';
import { post, message, ensureLoaded, runJob, serve } from './worker-common.js';

const MODELS = ['linear', 'mlp', 'cnn'];
const EXAMPLES = 8;

/** Computes v on `source`; resolves to the result (finished false if cancelled). */
async function search(demo, source) {
  demo.start(source);
  const finished = await runJob(`Universal perturbation on the ${source} model: image`, () => {
    const [d, t, fin] = demo.step(20);
    return [d, t, fin === 1];
  });
  return { ...JSON.parse(demo.result()), finished, source };
}

/** @param {UniversalDemo} demo */
async function compute(demo) {
  await ensureLoaded(demo);
  const state = JSON.parse(demo.state_json());
  const r = await search(demo, state.model);
  const vImage = perturbation_rgba(new Float64Array(r.v), r.side, state.norm === 'linf' ? state.xi : 0);
  const examples = [];
  for (let i = 0; i < EXAMPLES; i++) {
    const e = JSON.parse(demo.example(i));
    examples.push({ label: e.label, adv_label: e.adv_label, name: e.class_names[e.label], adv_name: e.class_names[e.adv_label], image: image_rgba(new Float64Array(e.image), r.side), perturbed: image_rgba(new Float64Array(e.perturbed), r.side) });
  }
  delete r.v;
  post({ type: 'result', query: demo.query(), state, result: r, vImage, examples });
}

/** @param {UniversalDemo} demo */
async function table(demo, refresh) {
  try {
    await ensureLoaded(demo);
    const rows = [];
    for (const m of MODELS) {
      const r = await search(demo, m);
      if (!r.finished) break;
      rows.push({ source: m, rates: r.rates, reached_target: r.reached_target, test_fooling: r.test_fooling, noise_test_fooling: r.noise_test_fooling });
    }
    post({ type: 'table', rows, query: demo.query() });
    refresh();
  } catch (e) {
    post({ type: 'error', source: 'internal', message: message(e) });
  }
}

serve({
  init,
  make: () => new UniversalDemo(),
  schema: () => UniversalDemo.schema(),
  compute,
  cancelOnChange: true,
  handlers: { table: (_msg, demo, { refresh }) => table(demo, refresh) },
});
