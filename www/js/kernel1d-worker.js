// The 1-D troublesome-kernel page's worker: holds the state and the jobs (Rust, through wasm)
// and runs them a step at a time with progress and Cancel: the state's network trains first
// (its trace and the signals posted as it goes), then the network of the other switch (so
// that the trade-off is traced for pairs on and off), then the evaluation (the instability
// test on held-out signals, and TV), and, when asked for, the sweep over delta. Jobs already
// done for the state are kept. Posts their numbers as JSON. No math here.

import init, { Kernel1dDemo } from '../pkg/barriers_lab.js';
import { post, runPosting, serve } from './worker-common.js';

/** The curve 1/δ and the sweep's values of δ (from Rust; set once the module is up). */
let curve = null;
let deltas = null;

/** How long the state's training took in this worker (s), or null. */
let trainSeconds = null;

/** Whether the student asked for the sweep over delta (it retrains five networks). */
let sweepWanted = false;

/** @param {Kernel1dDemo} demo */
async function compute(demo, stale) {
  const state = JSON.parse(demo.state_json());
  const query = demo.query();
  post({ type: 'state', state, query, curve, deltas });
  const other = state.pairs === 'on' ? 'off' : 'on';

  // The state's network, then the other switch's, each drawn as it trains.
  for (const contrast of [false, true]) {
    const postTrain = () => {
      const msg = { type: 'train', query, contrast, result: JSON.parse(demo.train_result(contrast)) };
      if (!contrast) msg.signals = JSON.parse(demo.signals());
      post(msg);
    };
    let finished = demo.train_prepare(contrast);
    postTrain();
    if (!finished) {
      const pairs = contrast ? other : state.pairs;
      let epochs = [0, 0];
      const t0 = performance.now();
      const what = () => `Training the network with pairs ${pairs}: epoch ${epochs[0]} of ${epochs[1]}`;
      finished = await runPosting(what, () => (epochs = Array.from(demo.train_step(contrast))), postTrain, stale);
      if (stale()) return;
      // What a training costs here, for the sweep's note (the clock, not a result).
      if (finished && !contrast) trainSeconds = (performance.now() - t0) / 1000;
      postTrain();
    }
    if (!finished) {
      post({ type: 'shown', query, finished: false });
      return;
    }
  }

  // The evaluation of the state's network (and TV) on held-out signals.
  const postEval = () => post({ type: 'eval', query, result: JSON.parse(demo.eval_result()), perturbed: JSON.parse(demo.perturbed()) });
  let finished = demo.eval_prepare();
  if (!finished) {
    postEval();
    finished = await runPosting('The instability test on held-out signals, the network and TV', () => Array.from(demo.eval_step()), postEval, stale);
    if (stale()) return;
  }
  postEval();
  if (!finished) {
    post({ type: 'shown', query, finished: false });
    return;
  }

  // The sweep over delta: kept if done for these settings; computed when asked for.
  const postSweep = (offered) => {
    let result = null;
    try {
      result = JSON.parse(demo.sweep_result());
    } catch {
      // Not made yet.
    }
    post({ type: 'sweep', query, result, offered, trainSeconds });
  };
  if (sweepWanted) {
    finished = demo.sweep_prepare();
    if (!finished) {
      postSweep(false);
      let done = [0, 0];
      const what = () => `The sweep over δ: retraining with pairs, epoch ${done[0]} of ${done[1]}`;
      finished = await runPosting(what, () => (done = Array.from(demo.sweep_step())), () => postSweep(false), stale);
      if (stale()) return;
    }
  }
  postSweep(!sweepWanted);
  post({ type: 'shown', query, finished });
}

serve({
  init,
  make: () => {
    curve = JSON.parse(Kernel1dDemo.inverse_delta_curve());
    deltas = JSON.parse(Kernel1dDemo.sweep_deltas());
    return new Kernel1dDemo('');
  },
  schema: () => Kernel1dDemo.schema(),
  compute,
  handlers: {
    // Continue after a Cancel: the jobs resume where they stopped.
    run: (_msg, _demo, { refresh }) => refresh(),
    // The sweep over delta, asked for by its button (kept on for later states).
    sweep: (_msg, _demo, { refresh }) => {
      sweepWanted = true;
      refresh();
    },
  },
});
