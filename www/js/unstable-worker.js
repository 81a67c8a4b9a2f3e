// The unstable-network page's worker: owns the network, the slices and the state (Rust,
// through wasm), runs the current view's job a step at a time (the instability test, the
// kernel and structural views, the more-samples curve, the trade-off plot) with progress and
// Cancel, and posts its numbers (JSON) and pictures (RGBA). No math here.
//
// The more-samples curve and the trade-off plot are jobs of independent parts (a rate and a
// method, a variant): a pool of helpers (this file with ?helper, one per core; pool.js)
// computes the parts this worker has not started, with the same numbers.

import init, { UnstableDemo } from '../pkg/barriers_lab.js';
import { post, message, fetchBytes, prefetch, runJob, serve, exposeMemory } from './worker-common.js';
import { Pool, compileModule, isHelper, serveHelper } from './pool.js';

/** The compiled module, shared with the helpers. */
let compiled = null;
const pool = new Pool(new URL(import.meta.url), () => compiled);

/** The pool's runner for the state's job `kind` ("samples" or "tradeoff"): the parts carry
 *  the state's link, and numbers or failures for another state are dropped. */
function parts(demo, kind) {
  const query = demo.query();
  return pool.runner({
    handOut: () => demo.part_hand_out(kind),
    message: (part) => ({ kind, part, query }),
    put: (part, numbers) => demo.part_put(kind, query, part, numbers),
    takeBack: (part) => demo.part_take_back(kind, query, part),
    waiting: () => demo.part_waiting(kind),
  });
}

/** The network whose facts the page shows. */
let infoNet = null;

/** Fetches the network, then the slices at its side, then the networks of other training
 *  noises the state or the trade-off plot uses (the demo says which), each once. */
async function ensureLoaded(demo) {
  for (let i = 0; ; i++) {
    const needs = JSON.parse(demo.needs());
    if (!needs.length) break;
    if (i > 5) throw new Error('the networks and the slices could not be loaded');
    const n = needs[0];
    if (n.kind === 'network') {
      post({ type: 'progress', done: 0, total: 2, what: 'Loading the network' });
      demo.load_network(await fetchBytes(`../models/${n.file}`, false));
    } else if (n.kind === 'trained') {
      post({ type: 'progress', done: 0, total: needs.length, what: `Loading the network ${n.file}` });
      demo.load_trained(n.net, await fetchBytes(`../models/${n.file}`, false));
    } else {
      post({ type: 'progress', done: 1, total: 2, what: `Loading the ${n.side} x ${n.side} MRI slices` });
      demo.load_slices(n.side, await fetchBytes(`../data/${n.file}`, true));
    }
    post({ type: 'progress', done: 0, total: 0 });
  }
  const net = JSON.parse(demo.state_json()).net;
  if (infoNet !== net) {
    post({ type: 'info', info: JSON.parse(demo.info()) });
    infoNet = net;
  }
}

/** Posts a result with its pictures (RGBA by name, their buffers transferred). */
function send(type, result, names, get, extra = {}) {
  /** @type {Record<string, Uint8Array>} */
  const pics = {};
  for (const n of names) pics[n] = get(n);
  post({ type, result, pictures: pics, ...extra }, Object.values(pics).map((p) => /** @type {ArrayBuffer} */ (p.buffer)));
}

/** Posts the test's numbers and pictures (`running`: it goes on after this). */
function postTest(demo, running) {
  const r = JSON.parse(demo.test_result());
  const names = ['truth', 'clean', ...r.snapshots.flatMap((_, j) => [`r:${j}`, `xr:${j}`, `out:${j}`, `diff:${j}`])];
  send('test', r, names, (n) => demo.test_picture(n), { running });
}

/** The instability test: runs (or resumes) it, then the transfer. */
async function showTest(demo, stale) {
  let finished = demo.test_prepare();
  postTest(demo, !finished);
  if (!finished) {
    let last = [0, 0, 0, NaN];
    finished = await runJob(
      'Instability test',
      () => {
        last = Array.from(demo.test_step());
        return last;
      },
      { onChunk: () => post({ type: 'test-progress', iteration: last[0], planned: last[1], amplification: last[3] }), stop: stale },
    );
    if (stale()) return false;
    postTest(demo, false);
    if (!finished) return false;
  }
  send('transfer', JSON.parse(demo.transfer()), ['clean', 'out', 'diff'], (n) => demo.transfer_picture(n));
  const state = JSON.parse(demo.state_json());
  if (state.method !== 'net' || state.transfer_to === 'net') {
    post({ type: 'equal', result: null });
    return true;
  }
  // At equal size: the transfer method's own test, then its worst perturbation scaled up to
  // the network's size and the network's r, both fed to it.
  let equal = demo.equal_prepare();
  const postEqual = () => {
    const r = JSON.parse(demo.equal_result());
    if (r.equal) send('equal', r, ['own:out', 'own:diff', 'r:out', 'r:diff'], (n) => demo.equal_picture(n));
    else post({ type: 'equal', result: r, pictures: {} });
  };
  postEqual();
  if (!equal) {
    equal = await runJob('At equal size: the stable method’s own test', () => Array.from(demo.equal_step()), { onChunk: postEqual, stop: stale });
    if (stale()) return false;
    postEqual();
  }
  return equal;
}

function postDetail(demo) {
  const r = JSON.parse(demo.detail_result());
  const names = ['x', 'x2'];
  if (r.detail) names.push('w', 'z');
  for (const row of r.rows) names.push(`out:${row.method}`, `out2:${row.method}`, `change:${row.method}`);
  send('detail', r, names, (n) => demo.detail_picture(n));
}

/** The kernel view or the structural change: one method at a time. */
async function showDetail(demo, stale) {
  let finished = demo.detail_prepare();
  postDetail(demo);
  if (!finished) {
    finished = await runJob('Reconstructing with every method', () => Array.from(demo.detail_step()), { onChunk: () => postDetail(demo), stop: stale });
  }
  return finished;
}

function postSamples(demo) {
  post({ type: 'samples', result: JSON.parse(demo.samples_result()) });
}

/** The more-samples view: the images at the rate shown first, then the curve. */
async function showSamples(demo, stale) {
  const rate = JSON.parse(demo.rate_images());
  send('rate', rate, ['x', ...rate.methods.map((m) => `out:${m}`)], (n) => demo.rate_picture(n));
  let finished = demo.samples_prepare();
  postSamples(demo);
  if (!finished) {
    finished = await runJob('More samples: reconstructing at 12 rates', () => Array.from(demo.samples_step()), {
      onChunk: () => postSamples(demo),
      stop: stale,
      pool: parts(demo, 'samples'),
    });
    postSamples(demo);
  }
  return finished;
}

/** The trade-off plot: every variant's PSNR and instability test. */
async function showTradeoff(demo, stale) {
  let finished = demo.tradeoff_prepare();
  if (!finished) {
    // The default state's plot is shipped (computed by `barriers-lab figures`, recomputed by
    // the tests); the job takes it only if it was made for this state.
    const shipped = await fetchBytes('../models/tradeoff-default.json', false).catch(() => null);
    if (shipped && !stale()) finished = demo.tradeoff_ship(new TextDecoder().decode(shipped));
    // Computed here: its variants' networks (other training noises) are loaded first.
    if (!finished && !stale()) await ensureLoaded(demo);
  }
  const postIt = () => post({ type: 'tradeoff', result: JSON.parse(demo.tradeoff_result()) });
  postIt();
  if (!finished) {
    let last = 0;
    finished = await runJob('Trade-off: testing every variant', () => Array.from(demo.tradeoff_step()), {
      onChunk: () => {
        if (performance.now() - last > 250) {
          last = performance.now();
          postIt();
        }
      },
      stop: stale,
      pool: parts(demo, 'tradeoff'),
    });
    postIt();
  }
  return finished;
}

const VIEWS = { test: showTest, kernel: showDetail, structure: showDetail, samples: showSamples, tradeoff: showTradeoff };

/** @param {UnstableDemo} demo */
async function compute(demo, stale) {
  const state = JSON.parse(demo.state_json());
  const query = demo.query();
  post({ type: 'state', state, query });
  try {
    await ensureLoaded(demo);
    const finished = await VIEWS[state.view](demo, stale);
    if (!stale()) post({ type: 'shown', query, view: state.view, finished });
  } catch (e) {
    // The view says what went wrong instead of staying blank.
    post({ type: 'error', source: 'internal', message: message(e) });
    post({ type: 'failed', query, view: state.view, message: message(e) });
  }
}

if (isHelper()) {
  // A helper: computes the parts it is sent for the state of their link, after loading what
  // that state and its job need (fetched once per helper, from the browser's cache).
  serveHelper(
    async (module) => {
      exposeMemory(await init({ module_or_path: module }));
      return new UnstableDemo();
    },
    async (demo, msg) => {
      if (demo.query() !== msg.query) demo.set_query(msg.query);
      await ensureLoaded(demo);
      if (msg.kind === 'tradeoff') demo.tradeoff_prepare();
      else demo.samples_prepare();
      await ensureLoaded(demo);
      return demo.part_compute(msg.kind, msg.part);
    },
  );
} else {
  // The network and its slices, downloaded while the WebAssembly starts.
  prefetch([
    ['../models/recon-net.brn', false],
    ['../data/colin27_axial_64_u8.bin.gz', true],
  ]);
  serve({
    init: async () => {
      compiled = await compileModule();
      return init({ module_or_path: compiled });
    },
    make: () => new UnstableDemo(),
    schema: () => UnstableDemo.schema(),
    compute,
    handlers: {
      run: (_msg, _demo, { refresh }) => refresh(),
      pick: (msg, demo, { apply }) => apply('control', () => demo.set_query(msg.query)),
    },
  });
}
