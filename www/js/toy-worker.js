// The toy demo's worker: owns the experiment (Rust, through wasm), trains it in short
// chunks so that messages (pause, cancel, a moved slider) are answered between chunks, and
// posts frames for the page to draw. It does no math itself.

import init, { ToyDemo } from '../pkg/barriers_lab.js';
import { awake, exportFigure, exposeMemory, suspend } from './worker-common.js';

/** Side of the decision map in pixels (the benchmark's size). */
const MAP_SIZE = 200;
/** Longest stretch of training between two looks at the message queue, in ms. */
const CHUNK_MS = 30;
/** While playing: epochs per frame at most, so that training can be watched. */
const PLAY_EPOCHS_PER_FRAME = 2;

/** @type {ToyDemo | null} */
let demo = null;
let playing = false;
let pumping = false;
let mapDirty = true;
/** Epochs done when the current train-to-target run started (for the progress bar). */
let runStart = 0;
let runTotal = 0;

/** @param {any} msg @param {Transferable[]} [transfer] */
function post(msg, transfer = []) {
  self.postMessage(msg, transfer);
}

/** @param {unknown} e */
function message(e) {
  return e instanceof Error ? e.message : String(e);
}

function startRun() {
  runStart = demo.epochs_done();
  runTotal = demo.epochs_to_target();
  mapDirty = true;
}

function sendFrame() {
  if (!demo) return;
  const frame = {
    type: 'frame',
    query: demo.query(),
    state: JSON.parse(demo.state_json()),
    metrics: JSON.parse(demo.metrics_json()),
    attack: JSON.parse(demo.attack_json()),
    points: demo.points(),
    labels: demo.labels(),
    loss: demo.history_loss(),
    accuracy: demo.history_accuracy(),
    playing,
    map: null,
  };
  const transfer = [];
  if (mapDirty) {
    const f = demo.decision_frame(MAP_SIZE);
    const rgba = f.rgba();
    frame.map = { rgba, boundary: f.boundary(), view: f.view(), size: f.size() };
    f.free();
    transfer.push(rgba.buffer);
    mapDirty = false;
  }
  post(frame, transfer);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Trains towards the state's epoch count, or on and on while playing; posts progress and
 *  frames; yields to the message queue between chunks. Only one pump runs at a time. */
async function pump() {
  if (pumping || !demo) return;
  pumping = true;
  try {
    while (demo && (demo.epochs_to_target() > 0 || playing)) {
      if (demo.epochs_to_target() > 0) {
        const t0 = performance.now();
        while (demo.epochs_to_target() > 0 && performance.now() - t0 < CHUNK_MS) {
          demo.train_to_target(1);
        }
        mapDirty = true;
        post({ type: 'progress', done: demo.epochs_done() - runStart, total: runTotal, what: 'Training, epoch' });
        await sleep(0);
        await awake();
      } else {
        const t0 = performance.now();
        let n = 0;
        while (n < PLAY_EPOCHS_PER_FRAME && performance.now() - t0 < CHUNK_MS) {
          demo.step_epoch();
          n += 1;
        }
        mapDirty = true;
        sendFrame();
        await sleep(16);
        await awake();
      }
    }
  } catch (e) {
    playing = false;
    post({ type: 'error', source: 'internal', message: message(e) });
  } finally {
    pumping = false;
  }
  post({ type: 'progress', done: 0, total: 0 });
  sendFrame();
}

/** Applies a new state; `source` names where it came from, for the error message. */
function applyState(source, fn) {
  try {
    const restarted = fn();
    if (restarted) mapDirty = true;
    if (demo.epochs_to_target() > 0) {
      // A new run (or more epochs asked for): the progress bar counts from here.
      if (restarted || !pumping) startRun();
      pump();
    } else {
      sendFrame();
    }
  } catch (e) {
    post({ type: 'error', source, message: message(e) });
    sendFrame();
  }
}

/** Whether the WebAssembly is ready; messages before then wait in `early`. */
let started = false;
const early = [];

self.onmessage = (ev) => (started ? handle(ev.data) : early.push(ev.data));

function handle(msg) {
  // The slide protocol: while the page's slide is not shown, training waits.
  if (msg.type === 'suspend' || msg.type === 'resume') return suspend(msg.type === 'suspend');
  if (!demo && msg.type !== 'load') return;
  switch (msg.type) {
    case 'load': // a link: every key it can read is kept, what it drops is named
      if (!demo) {
        demo = new ToyDemo('');
        const { dropped } = JSON.parse(demo.set_link(msg.query));
        if (dropped.length) post({ type: 'error', source: 'link', message: dropped.join('; ') });
        startRun();
        pump(); // trains up to the link's epochs, then sends the first frame
      } else {
        applyState('link-edit', () => {
          const { restart, dropped } = JSON.parse(demo.set_link(msg.query));
          if (dropped.length) post({ type: 'error', source: 'link-edit', message: dropped.join('; ') });
          return restart;
        });
      }
      break;
    case 'set': {
      // A loaded file replaces the whole state (msg.json); a control changes some keys of
      // the current one (msg.changes), so that training in progress is not undone.
      const json = msg.json ?? JSON.stringify({ ...JSON.parse(demo.state_json()), ...msg.changes });
      applyState(msg.source || 'control', () => demo.set_state_json(json));
      break;
    }
    case 'click': // clicking near a training point attacks that point exactly
      applyState('click', () => demo.click(msg.x, msg.y, msg.radius));
      break;
    case 'play':
      playing = true;
      pump();
      break;
    case 'pause':
      playing = false;
      sendFrame();
      break;
    case 'step':
      if (!pumping) {
        demo.step_epoch();
        mapDirty = true;
        sendFrame();
      }
      break;
    case 'cancel':
      playing = false;
      demo.settle();
      break;
    case 'export': // the figure as PNG, the numbers as CSV or JSON
      exportFigure(demo, msg);
      break;
    default:
      post({ type: 'error', source: 'internal', message: `unknown message ${msg.type}` });
  }
}

init()
  .then((wasm) => {
    exposeMemory(wasm);
    started = true;
    post({ type: 'ready', schema: JSON.parse(ToyDemo.schema()), colours: JSON.parse(ToyDemo.class_colours_json()) });
    for (const msg of early.splice(0)) handle(msg);
  })
  .catch((e) => post({ type: 'error', source: 'internal', message: `could not start WebAssembly: ${message(e)}` }));
