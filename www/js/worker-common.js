// What the image demos' workers share: posting, fetching the shipped data and model files
// (gzip undone by the browser's DecompressionStream), and running long jobs in short steps
// with progress and cancel. No math here.

/**
 * Keeps the module's memory where tests and benchmarks can read its size from the worker
 * (`self.wasmMemory.buffer.byteLength`: WebAssembly memory only grows, so this is the peak).
 * @param {{memory: WebAssembly.Memory}} wasm the exports `init()` resolves to
 */
export function exposeMemory(wasm) {
  /** @type {any} */ (self).wasmMemory = wasm.memory;
}

/** @param {any} msg @param {Transferable[]} [transfer] */
export function post(msg, transfer = []) {
  self.postMessage(msg, transfer);
}

/** @param {unknown} e */
export function message(e) {
  return e instanceof Error ? e.message : String(e);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Downloads of files next to the pages, by path: each file is fetched once per worker. */
const downloads = new Map();

/** The bytes of a file next to the pages, gunzipped if `gz` (fetched once; a failed fetch is
 *  tried again next time). */
export function fetchBytes(path, gz) {
  const key = `${gz ? 'gunzip:' : ''}${path}`;
  if (!downloads.has(key)) {
    const p = download(path, gz);
    downloads.set(key, p);
    p.catch(() => downloads.delete(key));
  }
  return downloads.get(key);
}

/**
 * Starts fetching the files a page's default figure needs while its WebAssembly starts (the
 * demo's `needs()` still says what to load; this only starts the downloads early).
 * @param {[string, boolean][]} files paths and whether each is gzipped
 */
export function prefetch(files) {
  for (const [path, gz] of files) fetchBytes(path, gz).catch(() => {});
}

async function download(path, gz) {
  const url = new URL(path, import.meta.url);
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot load ${path} (HTTP ${r.status})`);
  if (!gz) return new Uint8Array(await r.arrayBuffer());
  const stream = r.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Fetches whatever `demo.needs()` lists (data sets and model files) and hands it over. */
export async function ensureLoaded(demo) {
  const needs = JSON.parse(demo.needs());
  for (const [i, n] of needs.entries()) {
    if (n.files) {
      post({ type: 'progress', done: i, total: needs.length, what: `Loading the ${n.data} images` });
      const [pixels, labels] = await Promise.all([fetchBytes(`../data/${n.files[0]}`, true), fetchBytes(`../data/${n.files[1]}`, true)]);
      demo.load_data(n.data, pixels, labels);
    } else {
      post({ type: 'progress', done: i, total: needs.length, what: `Loading the ${n.model} model` });
      demo.load_model(n.data, n.model, await fetchBytes(`../models/${n.file}`, false));
    }
  }
  if (needs.length) post({ type: 'progress', done: 0, total: 0 });
}

/** While the page's slide is not shown (the slide protocol), jobs and recomputations wait. */
let suspended = false;
/** @type {(() => void)[]} */
const waiting = [];

/** Suspends (true) or resumes (false) every job of this worker at its next step. */
export function suspend(on) {
  suspended = on;
  if (!on) for (const go of waiting.splice(0)) go();
}

/** Resolves at once, or when the worker is resumed if it is suspended. */
export function awake() {
  return suspended ? new Promise((resolve) => waiting.push(() => resolve(undefined))) : Promise.resolve();
}

/** Bumped by a cancel: every job started before it stops at its next step. */
let cancels = 0;
/** Jobs running now (the progress bar hides only when the last one ends). */
let running = 0;

/** Asks the running jobs to stop at their next step. */
export function cancelJob() {
  cancels++;
}

/** How often a job run by `runPosting` posts its partial result (ms). */
const POST_EVERY = 200;

/**
 * Runs a prepared job to its end as `runJob` does (progress, Cancel, `stale` stops it), and
 * calls `postResult` at most every POST_EVERY ms between chunks, so that the page draws the
 * result as it grows. Resolves to whether the job finished.
 */
export function runPosting(what, step, postResult, stale) {
  let last = performance.now();
  return runJob(what, step, {
    onChunk: () => {
      if (performance.now() - last > POST_EVERY) {
        last = performance.now();
        postResult();
      }
    },
    stop: stale,
  });
}

/**
 * Runs a job: `step()` does a little work and returns [done, total, finished]; between
 * steps of about `chunkMs` (40) ms the worker reports progress (`what`, or what `what()` says
 * then, names the work), calls `onChunk()` (to post a frame) and reads its messages (a cancel,
 * or whatever makes `stop()` true). Resolves to true if the job finished, false if it was
 * cancelled or stopped. Several jobs may run at once. With `pool` (a `Pool`'s runner, for a
 * job of parts), helpers compute the parts this worker has not started, and this worker waits
 * for their answers once only theirs are left.
 * @param {string | (() => string)} what
 * @param {() => any[]} step
 * @param {{onChunk?: () => void, stop?: () => boolean, chunkMs?: number,
 *   pool?: {feed: () => void, waiting: () => boolean, answer: () => Promise<void>}}} [options]
 */
export async function runJob(what, step, { onChunk, stop, chunkMs = 40, pool } = {}) {
  const started = cancels;
  running++;
  try {
    for (;;) {
      // A suspended worker (its slide not shown) does no step, not even a job's first.
      await awake();
      if (cancels !== started || stop?.()) return false;
      pool?.feed();
      const t0 = performance.now();
      let done, total, finished;
      let waited = false;
      do {
        if (pool?.waiting()) {
          // The next helper's answer, or a quarter of a second: Cancel and a newer state are
          // read between waits even if a helper is slow.
          await Promise.race([pool.answer(), sleep(250)]);
          waited = true;
        }
        [done, total, finished] = step();
      } while (!finished && !waited && performance.now() - t0 < chunkMs);
      post({ type: 'progress', done, total, what: typeof what === 'function' ? what() : what });
      onChunk?.();
      if (finished) return true;
      await sleep(0);
      if (cancels !== started || stop?.()) return false;
    }
  } finally {
    running--;
    if (running === 0) post({ type: 'progress', done: 0, total: 0 });
  }
}

/**
 * A loop that recomputes whenever the state changed: `mark()` after every change; changes
 * that arrive while it computes are folded into the next round, so a dragged slider never
 * queues up stale work. `compute(stale)` may return early once `stale()` is true (a newer
 * change is waiting).
 */
export function refresher(compute, onError) {
  let dirty = false;
  let running = false;
  const stale = () => dirty;
  return async function mark() {
    dirty = true;
    if (running) return;
    running = true;
    try {
      while (dirty) {
        await awake();
        dirty = false;
        await compute(stale);
        await sleep(0);
      }
    } catch (e) {
      onError(e);
    } finally {
      running = false;
    }
  };
}

/**
 * Answers the page's 'export' message: the figure of the demo's current state as a PNG at
 * twice its size (drawn by the same Rust code as `barriers-lab figures`, with the font the
 * lab ships, fetched on the first export), or its numbers as CSV or JSON.
 * @param {any} demo a demo object of the wasm module
 * @param {{what: 'png'|'csv'|'json'}} msg
 */
export async function exportFigure(demo, msg) {
  try {
    if (msg.what === 'png') {
      const font = await fetchBytes('../fonts/DejaVuSans.ttf', false);
      const bytes = demo.poster_png(font, 2);
      post({ type: 'exported', what: 'png', bytes }, [bytes.buffer]);
    } else if (msg.what === 'csv') {
      post({ type: 'exported', what: 'csv', text: demo.numbers_csv() });
    } else {
      post({ type: 'exported', what: 'json', text: demo.numbers_json() });
    }
  } catch (e) {
    post({ type: 'error', source: 'export', message: message(e) });
  }
}

/**
 * Runs a demo's worker: starts the wasm module, makes the demo, and answers the messages
 * every page sends ('load' a link, 'set' some keys or a whole state file, 'cancel'), plus
 * the page's own `handlers[type](msg, demo, { apply, refresh })`. `compute(demo, stale)` runs
 * after every change of state (folded, see refresher) and posts the result; it may stop early
 * once `stale()` says a newer change is waiting. With `cancelOnChange`,
 * a change of state also cancels the running job (when the job is the computation itself).
 */
export function serve({ init, make, schema, compute, handlers = {}, cancelOnChange = false }) {
  let demo = null;
  // The page shows "computing" while a result is on its way.
  const computeShown = async (stale) => {
    post({ type: 'computing', on: true });
    try {
      await compute(demo, stale);
    } finally {
      post({ type: 'computing', on: false });
    }
  };
  const refresh = refresher(computeShown, (e) => post({ type: 'error', source: 'internal', message: message(e) }));
  /** Applies a change of state; a refused one is reported and changes nothing. */
  const apply = (source, fn) => {
    try {
      fn();
    } catch (e) {
      post({ type: 'error', source, message: message(e) });
    }
    if (cancelOnChange) cancelJob();
    refresh();
  };
  /** Messages that arrive while the WebAssembly starts (the page's link comes at once). */
  const early = [];
  const handle = (msg) => {
    switch (msg.type) {
      case 'load':
        // A link keeps every key it can; what it drops is named in the banner.
        apply(msg.first ? 'link' : 'link-edit', () => {
          const dropped = JSON.parse(demo.set_link(msg.query));
          if (dropped.length) throw new Error(dropped.join('; '));
        });
        break;
      case 'set':
        apply(msg.source || 'control', () => demo.set_state_json(msg.json ?? JSON.stringify({ ...JSON.parse(demo.state_json()), ...msg.changes })));
        break;
      case 'cancel':
        cancelJob();
        break;
      case 'suspend':
      case 'resume':
        suspend(msg.type === 'suspend');
        break;
      case 'export':
        exportFigure(demo, msg);
        break;
      default:
        if (handlers[msg.type]) handlers[msg.type](msg, demo, { apply, refresh });
        else post({ type: 'error', source: 'internal', message: `unknown message ${msg.type}` });
    }
  };
  self.onmessage = (ev) => (demo ? handle(ev.data) : early.push(ev.data));
  init()
    .then((wasm) => {
      exposeMemory(wasm);
      demo = make();
      post({ type: 'ready', schema: JSON.parse(schema()) });
      for (const msg of early.splice(0)) handle(msg);
    })
    .catch((e) => post({ type: 'error', source: 'internal', message: `could not start WebAssembly: ${message(e)}` }));
}
