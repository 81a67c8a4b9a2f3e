// The universal-perturbation page's worker: computes v on the chosen model whenever the
// state changes (in short steps, with progress and cancel; v is shipped for the default state
// of each MNIST model), then its fooling rates on the test images of every model. The figure
// is posted as soon as v is known (with the example images), then again as each model's rates
// come in; until v is known the previous figure stays. On request, the whole transfer table
// (v computed on each model in turn).
//
// The CNN's rates are most of the work (6,000 forward passes on MNIST): a helper worker (this
// file with ?helper, on the same compiled module) measures most of its test images while this
// one measures the other models and the rest, so both cores work. The counts are whole numbers
// of images, so the rates are the same either way; if the helper fails, its part is measured
// here.

import init, { UniversalDemo, perturbation_rgba, image_rgba } from '../pkg/barriers_lab.js';
import { post, message, ensureLoaded, exposeMemory, fetchBytes, runJob, serve } from './worker-common.js';
import { compileModule } from './pool.js';

/** The models, in the schema's order (filled when the wasm is up). */
let MODELS = [];
const EXAMPLES = 8;
/** The share of the CNN's test images measured here (the helper measures the rest). */
const OWN_SHARE = 0.35;
/** A helper that has not answered after this long has its part measured here. */
const HELPER_TIMEOUT_MS = 30_000;

/** The compiled module, shared with the helper (it instantiates it without compiling again). */
let compiled = null;

// ---------------------------------------------------------------------------------------
// The helper: takes the data and model files the page's worker hands over ({type: 'data' |
// 'model', ...}), and answers {type: 'part', id, query, model, v, from, to} with {type: 'part',
// id, fooled: [by v, by noise]} (or {error}). Every message carries the compiled module.

function helperWorker() {
  /** @type {UniversalDemo | null} */
  let demo = null;
  let queue = Promise.resolve();
  const handle = async (msg) => {
    if (!demo) {
      exposeMemory(await init({ module_or_path: msg.module }));
      demo = new UniversalDemo();
    }
    if (msg.type === 'data') demo.load_data(msg.name, msg.pixels, msg.labels);
    if (msg.type === 'model') demo.load_model(msg.data, msg.model, msg.bytes);
    if (msg.type !== 'part') return;
    if (demo.query() !== msg.query) demo.set_query(msg.query);
    // (Whatever was not handed over, say after a failed transfer, is fetched here.)
    await ensureLoaded(demo);
    self.postMessage({ type: 'part', id: msg.id, fooled: Array.from(demo.fooled_part(msg.model, msg.v, msg.from, msg.to)) });
  };
  self.onmessage = (ev) => {
    const msg = ev.data;
    queue = queue.then(() => handle(msg)).catch((e) => self.postMessage({ type: 'part', id: msg.id, error: message(e) }));
  };
}

// ---------------------------------------------------------------------------------------
// The page's worker.

/** @type {Worker | null} */
let helper = null;
let asked = 0;
/** Requests to the helper still unanswered: id -> {resolve, reject}. */
const waiting = new Map();
/** Bumped by every start: a helper's answer for an older job is dropped. */
let jobs = 0;

function startHelper() {
  try {
    helper = new Worker(new URL('./universal-worker.js?helper', import.meta.url), { type: 'module' });
  } catch {
    helper = null;
    return;
  }
  helper.onmessage = (ev) => {
    const m = ev.data;
    const w = m.type === 'part' && waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(m.error));
    else w.resolve(m.fooled);
  };
  helper.onerror = (ev) => {
    ev.preventDefault();
    helper = null;
    for (const w of waiting.values()) w.reject(new Error('the helper worker failed'));
    waiting.clear();
  };
}

/** Sends the helper a message; resolves to its answer. */
function ask(msg) {
  return new Promise((resolve, reject) => {
    if (!helper) return reject(new Error('no helper worker'));
    const id = ++asked;
    waiting.set(id, { resolve, reject });
    helper.postMessage({ ...msg, id, module: compiled });
    setTimeout(() => {
      if (waiting.delete(id)) reject(new Error('the helper worker did not answer'));
    }, HELPER_TIMEOUT_MS);
  });
}

/** Hands most of the CNN's test images of the current job to the helper. */
function delegate(demo) {
  if (!helper) return;
  const part = demo.delegate('cnn', OWN_SHARE);
  if (part.length === 0) return;
  const job = jobs;
  ask({ type: 'part', query: demo.query(), model: 'cnn', v: demo.v(), from: part[0], to: part[1] })
    .then(([byV, byNoise]) => job === jobs && demo.add_delegated('cnn', byV, byNoise))
    .catch(() => job === jobs && demo.take_back('cnn'));
}

/**
 * The files of the default state (MNIST, its three models, the shipped perturbations), fetched
 * as soon as the worker starts, while the WebAssembly compiles and the page sends its link:
 * path -> Promise of the (gunzipped) bytes. A link to another data set leaves them unused.
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
/** The bytes of a file, prefetched or fetched now (a prefetched copy is used once). */
async function bytesOf(path, gz) {
  const p = prefetch(path, gz);
  prefetched.delete(path);
  return p;
}

/**
 * Loads what `demo.needs()` lists (as worker-common's ensureLoaded does, with the prefetched
 * files) and the shipped perturbations, and hands every file to the helper too (transferred,
 * not copied: this worker has its copy in WebAssembly memory by then).
 */
async function ensureAll(demo) {
  const needs = JSON.parse(demo.needs());
  const file = demo.shipped_file();
  const shipped = file ? bytesOf(`../models/${file}`, false) : null;
  for (const [i, n] of needs.entries()) {
    if (n.files) {
      post({ type: 'progress', done: i, total: needs.length, what: `Loading the ${n.data} images` });
      const [pixels, labels] = await Promise.all([bytesOf(`../data/${n.files[0]}`, true), bytesOf(`../data/${n.files[1]}`, true)]);
      demo.load_data(n.data, pixels, labels);
      helper?.postMessage({ type: 'data', name: n.data, pixels, labels, module: compiled }, [pixels.buffer, labels.buffer]);
    } else {
      post({ type: 'progress', done: i, total: needs.length, what: `Loading the ${n.model} model` });
      const bytes = await bytesOf(`../models/${n.file}`, false);
      demo.load_model(n.data, n.model, bytes);
      helper?.postMessage({ type: 'model', data: n.data, model: n.model, bytes, module: compiled }, [bytes.buffer]);
    }
  }
  if (shipped) demo.load_shipped(await shipped);
  if (needs.length) post({ type: 'progress', done: 0, total: 0 });
  // Prefetched files a link to another data set did not use are dropped.
  prefetched.clear();
}

/**
 * Runs the job on `source` to the end; `onUpdate()` is called when v becomes known and when
 * another model's rates come in (after a progress report, so the page is still marked busy
 * until the last rates are shown). Resolves to true if it finished, false if cancelled or
 * stopped. A cancel during the search keeps the v found so far and still measures it if
 * `keepPartial()` (the Cancel button, not a newer state).
 */
async function search(demo, source, onUpdate, keepPartial = () => false) {
  demo.start(source);
  jobs++;
  const what = `Universal perturbation on the ${source} model`;
  let seen = '';
  let vReady = false;
  let delegated = false;
  const step = () => {
    const [done, total, finished, ready, measured] = demo.step(20);
    vReady = ready === 1;
    if (vReady && !delegated) {
      delegated = true;
      delegate(demo);
    }
    const key = `${ready}/${measured}`;
    if (vReady && key !== seen) {
      seen = key;
      if (finished !== 1) post({ type: 'progress', done, total, what });
      onUpdate();
    }
    return [done, total, finished === 1];
  };
  // Short chunks: the helper's answer is read at most 20 ms after it comes.
  const finished = await runJob(what, step, { chunkMs: 20 });
  if (!finished && !vReady && keepPartial()) {
    demo.stop_search();
    await runJob(`Measuring the ${source} model's v`, step);
  }
  return finished;
}

/** The figure as the page shows it: v, the examples and the rates measured so far. */
/** The pictures of the last figure, with the job they show (they change only with v). */
let pictures = { job: -1, vImage: null, examples: [] };

function figure(demo, state, finished) {
  const r = { ...JSON.parse(demo.result()), finished, source: state.model };
  // A cancelled search's v is final only once the job stopped searching: redraw then too.
  const key = finished && r.v_ready ? jobs : -1;
  if (pictures.job !== key || key === -1) {
    const examples = [];
    for (let i = 0; i < EXAMPLES; i++) {
      const e = JSON.parse(demo.example(i));
      examples.push({ label: e.label, adv_label: e.adv_label, name: e.class_names[e.label], adv_name: e.class_names[e.adv_label], image: image_rgba(new Float64Array(e.image), r.side), perturbed: image_rgba(new Float64Array(e.perturbed), r.side) });
    }
    pictures = { job: key, vImage: perturbation_rgba(new Float64Array(r.v), r.side, state.norm === 'linf' ? state.xi : 0), examples };
  }
  delete r.v;
  return { type: 'result', query: demo.query(), state, result: r, vImage: pictures.vImage, examples: pictures.examples };
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

function mainWorker() {
  startHelper();
  for (const f of ['mnist10k_u8_28x28.bin.gz', 'mnist10k_labels_u8.bin.gz']) prefetch(`../data/${f}`, true);
  for (const f of ['mnist-linear.blm', 'mnist-mlp.blm', 'mnist-cnn.blm', 'universal-mnist.buv']) prefetch(`../models/${f}`, false);
  serve({
    init: async () => {
      compiled = await compileModule();
      return init({ module_or_path: compiled });
    },
    make: () => {
      MODELS = JSON.parse(UniversalDemo.schema()).find((f) => f.key === 'model').options;
      return new UniversalDemo();
    },
    schema: () => UniversalDemo.schema(),
    compute,
    cancelOnChange: true,
    handlers: { table: (_msg, demo, { refresh }) => table(demo, refresh) },
  });
}

// (At the end, once every binding above is initialised.)
if (new URL(location.href).searchParams.has('helper')) helperWorker();
else mainWorker();
