// The universal-perturbation page's worker: computes v on the chosen model whenever the
// state changes (in short steps, with progress and cancel; v is shipped for the default state
// of each MNIST model), then its fooling rates on the test images of every model. The figure
// is posted as soon as v is known (with the example images), then again as each model's rates
// come in; until v is known the previous figure stays. On request, the whole transfer table
// (v computed on each model in turn).

import init, { UniversalDemo, perturbation_rgba, image_rgba } from '../pkg/barriers_lab.js';
import { post, message, ensureLoaded, fetchBytes, runJob, serve } from './worker-common.js';

const MODELS = ['linear', 'mlp', 'cnn'];
const EXAMPLES = 8;

/** Fetches the shipped perturbations of the state's data set, if it has some not yet loaded. */
async function ensureShipped(demo) {
  const file = demo.shipped_file();
  if (file) demo.load_shipped(await fetchBytes(`../models/${file}`, false));
}

/** The data, the models and the shipped perturbations, fetched at the same time. */
const ensureAll = (demo) => Promise.all([ensureLoaded(demo), ensureShipped(demo)]);

/**
 * Runs the job on `source` to the end; `onUpdate()` is called when v becomes known and when
 * another model's rates come in (after a progress report, so the page is still marked busy
 * until the last rates are shown). Resolves to true if it finished, false if cancelled or
 * stopped. A cancel during the search keeps the v found so far and still measures it if
 * `keepPartial()` (the Cancel button, not a newer state).
 */
async function search(demo, source, onUpdate, keepPartial = () => false) {
  demo.start(source);
  const what = `Universal perturbation on the ${source} model`;
  let seen = '';
  let vReady = false;
  const step = () => {
    const [done, total, finished, ready, measured] = demo.step(20);
    vReady = ready === 1;
    const key = `${ready}/${measured}`;
    if (vReady && key !== seen) {
      seen = key;
      if (finished !== 1) post({ type: 'progress', done, total, what });
      onUpdate();
    }
    return [done, total, finished === 1];
  };
  const finished = await runJob(what, step);
  if (!finished && !vReady && keepPartial()) {
    demo.stop_search();
    await runJob(`Measuring the ${source} model's v`, step);
  }
  return finished;
}

/** The figure as the page shows it: v, the examples and the rates measured so far. */
function figure(demo, state, finished) {
  const r = { ...JSON.parse(demo.result()), finished, source: state.model };
  const vImage = perturbation_rgba(new Float64Array(r.v), r.side, state.norm === 'linf' ? state.xi : 0);
  const examples = [];
  for (let i = 0; i < EXAMPLES; i++) {
    const e = JSON.parse(demo.example(i));
    examples.push({ label: e.label, adv_label: e.adv_label, name: e.class_names[e.label], adv_name: e.class_names[e.adv_label], image: image_rgba(new Float64Array(e.image), r.side), perturbed: image_rgba(new Float64Array(e.perturbed), r.side) });
  }
  delete r.v;
  return { type: 'result', query: demo.query(), state, result: r, vImage, examples };
}

/** @param {UniversalDemo} demo */
async function compute(demo, stale) {
  await ensureAll(demo);
  const state = JSON.parse(demo.state_json());
  const query = demo.query();
  const finished = await search(demo, state.model, () => post(figure(demo, state, true)), () => !stale());
  // A newer state is waiting: its own round posts the figure.
  if (stale() && demo.query() !== query) return;
  post(figure(demo, state, finished));
}

/** @param {UniversalDemo} demo */
async function table(demo, refresh) {
  try {
    await ensureAll(demo);
    const rows = [];
    for (const m of MODELS) {
      const finished = await search(demo, m, () => {});
      if (!finished) break;
      const r = JSON.parse(demo.result());
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
