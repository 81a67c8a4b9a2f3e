// The MRI page's worker: owns the images and the state (Rust, through wasm), rebuilds the
// figure when the state changes, and iterates the reconstructions a chunk at a time, posting
// a frame (pictures as RGBA, numbers as JSON) after each chunk. No math here.

import init, { MriDemo } from '../pkg/barriers_lab.js';
import { post, message, fetchBytes, prefetch, runJob, serve } from './worker-common.js';

// The default figure's slices, downloaded while the WebAssembly starts.
prefetch([['../data/colin27_axial_128_u8.bin.gz', true]]);

/** The reconstruction methods, from the schema (filled when the wasm is up). */
let METHODS = [];

/** The build key (the state minus view-only keys) of the figure the experiment holds. */
let builtKey = null;
/** Whether the figure iterates by itself; a new figure does, unless ⟲ restart asked. */
let playing = true;
let pauseNext = false;
let finished = false;

/** Whether the experiment is the one the current state asks for (not an older one). */
const current = (demo) => builtKey !== null && builtKey === demo.build_key();

/** @param {MriDemo} demo */
async function ensureSlices(demo) {
  const needs = JSON.parse(demo.needs());
  for (const [i, n] of needs.entries()) {
    post({ type: 'progress', done: i, total: needs.length, what: `Loading the ${n.side} x ${n.side} MRI slices` });
    demo.load_slices(n.side, await fetchBytes(`../data/${n.file}`, true));
  }
  if (needs.length) post({ type: 'progress', done: 0, total: 0 });
}

/** Posts the current iterates (`first`: also the image, k-space and the kernel view's). */
function frame(demo, first) {
  const report = JSON.parse(demo.report());
  const state = JSON.parse(demo.state_json());
  /** @type {Record<string, Uint8Array>} */
  const pictures = {};
  const want = [...METHODS.flatMap((m) => [`recon:${m}`, `error:${m}`])];
  if (first) want.push('truth', 'kspace');
  if (report.kernel) {
    want.push(`kernel-recon:${state.method}`);
    if (first) want.push('kernel-z', 'kernel-x2');
  }
  for (const w of want) pictures[w] = demo.picture(w);
  const extra = report.kernel ? { kernelScale: demo.kernel_scale() } : {};
  post(
    { type: 'frame', first, finished, playing, report, pictures, query: demo.query(), key: builtKey, state, ...extra },
    Object.values(pictures).map((p) => p.buffer),
  );
}

/** Iterates until the end, a pause, or a newer state. */
async function iterate(demo, stale) {
  if (finished) return;
  const ran = await runJob(
    'Iterating',
    () => {
      const [d, t, f] = demo.step();
      finished = f === 1;
      return [d, t, finished];
    },
    // A frame costs a few milliseconds (metrics and eight pictures): about ten a second.
    { onChunk: () => frame(demo, false), stop: () => !playing || stale(), chunkMs: 90 },
  );
  // Cancelled (the Pause button): stay paused where it is, and say so.
  if (!ran && !stale() && playing) {
    playing = false;
    frame(demo, false);
  }
}

/** @param {MriDemo} demo */
async function compute(demo, stale) {
  await ensureSlices(demo);
  if (current(demo)) {
    // Only what is shown changed (the kernel view's method): show it, keep iterating.
    frame(demo, true);
  } else {
    builtKey = null;
    finished = false;
    playing = !pauseNext;
    pauseNext = false;
    demo.start();
    builtKey = demo.build_key();
    frame(demo, true);
  }
  if (playing) await iterate(demo, stale);
}

/** Runs `work`, reporting a failure as the page's error. */
function guarded(source, work) {
  Promise.resolve()
    .then(work)
    .catch((e) => post({ type: 'error', source, message: message(e) }));
}

serve({
  init,
  make: () => {
    METHODS = JSON.parse(MriDemo.schema()).find((f) => f.key === 'method').options;
    return new MriDemo();
  },
  schema: () => MriDemo.schema(),
  compute,
  handlers: {
    upload: (msg, demo, { apply }) =>
      apply('file', () => {
        demo.set_upload(msg.rgba, msg.width, msg.height);
        builtKey = null;
      }),
    size: (msg, demo, { apply }) => apply('control', () => demo.set_size(msg.size)),
    paint: (msg, demo, { apply }) => apply('control', () => demo.paint(new Float64Array(msg.points), msg.radius, msg.add)),
    'load-mask': (msg, demo, { apply }) => apply('file', () => demo.load_mask_rgba(msg.rgba, msg.width, msg.height)),
    'mask-picture': (_msg, demo) =>
      guarded('internal', () => {
        if (!current(demo)) throw new Error('the figure is still being computed; try again in a moment');
        const rgba = demo.picture('mask');
        post({ type: 'mask-picture', rgba, side: JSON.parse(demo.report()).side }, [rgba.buffer]);
      }),
    restart: (_msg, _demo, { refresh }) => {
      pauseNext = true;
      builtKey = null;
      refresh();
    },
    step: (_msg, demo) =>
      guarded('internal', () => {
        playing = false;
        if (!current(demo) || finished) return;
        const [, , f] = demo.step();
        finished = f === 1;
        frame(demo, false);
      }),
    play: (_msg, _demo, { refresh }) => {
      playing = true;
      refresh();
    },
    convergence: (_msg, demo) =>
      guarded('internal', async () => {
        if (!current(demo)) throw new Error('the figure is still being computed; try again in a moment');
        demo.start_convergence();
        const key = builtKey;
        const query = demo.query();
        let last = 0;
        const send = (extra = {}) => post({ type: 'convergence', result: JSON.parse(demo.convergence_result()), query, key, ...extra });
        const done = await runJob('Comparing restarts', () => demo.convergence_step(), {
          // The curves grow long: send them four times a second, and at the end.
          onChunk: () => {
            if (performance.now() - last > 250 && builtKey === key) {
              last = performance.now();
              send();
            }
          },
          stop: () => builtKey !== key,
        });
        if (builtKey === key) send(done ? {} : { cancelled: true });
      }),
  },
});
