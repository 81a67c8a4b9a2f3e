// The 1-D troublesome-kernel page: keeps the address bar in step with the state, wires the
// controls to the worker, and draws what it computed: the signals at a held-out signal (and
// the network's output on the instability test's perturbation), the trade-off traced as the
// networks with and without kernel-aware pairs train, and the amplification against δ with
// the bound. Values are only mapped to pixels and put into words here; every number, and
// every curve's points, come from Rust.

import { formatValue, stripAndPanel } from './controls.js';
import { $, connect, framed, shown } from './page.js';
import { setUpCanvas, axes, padding, series, placeholder, span } from './plot.js';

/** The strip's keys; the others go in the settings panel. */
const MAIN = ['pairs', 'delta'];
/** The colours of the poster (src/posters/kernel1d.rs). */
const NET = { on: '#c0272d', off: '#0867a8' };
const TV = '#2e8b3e';
const TRUTH = '#222';
const WITH_Z = '#a0a0a0';
const MEASURED = '#8e6cc0';
const PERTURBED = '#e8710a';
const TV_R = '#8fc96e';
const GREY = '#8a8a8a';
const MUTED = '#555';

/** @type {ReturnType<typeof stripAndPanel>} */
let controls = [];
let state = null;
/** The last results for the current state, to redraw on a resize. */
const last = { query: '', train: null, contrast: null, signals: null, eval: null, perturbed: null, sweep: null, curve: null, deltas: null, sweepOffered: false };

const { send, change, link } = connect(
  new URL('./kernel1d-worker.js', import.meta.url),
  {
    ready(msg) {
      controls = stripAndPanel(msg.schema, MAIN, change);
      $('run').addEventListener('click', () => send({ type: 'run' }));
      $('sweep').addEventListener('click', () => {
        $('sweep').hidden = true;
        send({ type: 'sweep' });
      });
    },
    state(msg) {
      showState(msg.state, msg.query);
      last.curve = msg.curve;
      last.deltas = msg.deltas;
    },
    // Results come after the state they belong to (the worker posts the state first).
    train(msg) {
      if (msg.query !== last.query) return;
      if (msg.contrast) last.contrast = msg.result;
      else {
        last.train = msg.result;
        last.signals = msg.signals;
        drawSignals();
        framed(msg.query);
      }
      drawTradeoff();
      showReadouts();
    },
    eval(msg) {
      if (msg.query !== last.query) return;
      last.eval = msg.result;
      last.perturbed = msg.perturbed;
      drawAll();
    },
    sweep(msg) {
      if (msg.query !== last.query) return;
      last.sweep = msg.result && msg.result.current ? msg.result : null;
      last.sweepOffered = msg.offered;
      last.trainSeconds = msg.trainSeconds;
      drawDelta();
      showSweepNote();
    },
    shown(msg) {
      $('run').hidden = msg.finished;
      shown(link, msg.query);
    },
  },
  'barriers-lab-kernel1d.json',
  () => state,
);

// ------------------------------------------------------------------ numbers in words

/** A number for reading: `digits` significant digits; the worker's "inf" and "nan" as
 *  symbols, a missing number as a dash. */
function sig(v, digits = 3) {
  if (v === null || v === undefined) return '–';
  if (v === 'inf') return '∞';
  if (v === 'nan' || Number.isNaN(v)) return '–';
  if (typeof v !== 'number') return String(v);
  return String(Number(v.toPrecision(digits)));
}

/** A readout with its full value for tests and tooltips. */
const val = (v, id, digits = 3, unit = '') =>
  v === null || v === undefined
    ? `<span class="pending" data-testid="${id}">…</span>`
    : `<span data-testid="${id}" data-value="${v}" title="${v}">${sig(v, digits)}${unit}</span>`;

const pairsWords = (p) => (p === 'on' ? 'with kernel-aware pairs' : 'without pairs');

// ------------------------------------------------------------------ the state

function showState(s, query) {
  const fresh = query !== last.query;
  state = s;
  for (const c of controls) c.update(s);
  $('run').hidden = true;
  link.write(query, true);
  $('demo').dataset.query = query;
  $('demo').dataset.pairs = s.pairs;
  if (fresh) {
    // Nothing computed for this state yet: the plots wait for the worker.
    Object.assign(last, { query, train: null, contrast: null, signals: null, eval: null, perturbed: null, sweep: null });
  }
  $('key-net').style.borderColor = NET[s.pairs];
  $('key-net-text').textContent = `the network ${pairsWords(s.pairs)}, from A x`;
}

function drawAll() {
  drawSignals();
  drawTradeoff();
  drawDelta();
  showReadouts();
}

/** The readouts: the evaluation's numbers, and the lead sentence in words. */
function showReadouts() {
  const e = last.eval && last.eval.done ? last.eval : null;
  const t = last.train;
  const trace = t?.trace ?? [];
  const now = trace.length ? trace[trace.length - 1] : null;
  const tv = e?.tv ?? null;
  const q = e ? last.perturbed : null;
  const rows = [
    ['δ = ‖Az‖ / ‖z‖', val(state?.delta, 'delta', 3)],
    ['accuracy on held-out x + z (PSNR)', `${val(e ? e.net.pair_accuracy : null, 'pair_accuracy', 4, ' dB')}; TV ${val(tv ? tv.pair_accuracy : null, 'pair_accuracy_tv', 4, ' dB')}`],
    ['accuracy on held-out x (PSNR)', `${val(e ? e.net.psnr_test : null, 'psnr_test', 4, ' dB')}; TV ${val(tv ? tv.psnr_test : null, 'psnr_test_tv', 4, ' dB')}`],
    ['worst amplification found, network', val(e ? e.amplification : null, 'amplification', 4)],
    ['worst amplification found, TV', val(e ? e.amplification_tv : null, 'amplification_tv', 4)],
    // No search: the test can stall on the flat side of a network that switches the tumour on
    // sharply (seed 3), and this one perturbation still shows the amplification.
    ['network’s amplification along the tumour’s visible part (r = δ‖z‖ v, signal 0, no search)', val(e ? e.amplification_v : null, 'amplification_v', 4)],
    ['η, the network’s worst error on the pair', val(e ? e.eta : null, 'eta', 3)],
    ['the bound (‖z‖ − 2η)/(δ‖z‖)', e && e.bound === null ? '<span data-testid="bound" data-value="">none: not accurate on both (‖z‖ ≤ 2η)</span>' : val(e ? e.bound : null, 'bound', 4)],
    ['the worst r (‖r‖ = δ‖z‖) moves the network by', `${val(q ? q.net_change : null, 'net_change', 3)}; TV by ${val(q ? q.tv_change : null, 'tv_change', 3)} (‖z‖ = ${val(e ? e.z_norm : null, 'z_norm', 3)})`],
  ];
  $('readouts').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
  const lead = $('lead');
  if (e) {
    const invented = state.pairs === 'on';
    lead.textContent = invented
      ? `Trained with the pairs, the network reconstructs the tumour (PSNR ${sig(e.net.pair_accuracy, 3)} dB on held-out x + z, TV ${sig(tv?.pair_accuracy, 3)} dB), and the instability test finds a perturbation of size δ‖z‖ that it amplifies ${sig(e.amplification, 3)} times: TV ${sig(e.amplification_tv, 3)}.`
      : `Without the pairs, the network misses the tumour (PSNR ${sig(e.net.pair_accuracy, 3)} dB on held-out x + z, TV ${sig(tv?.pair_accuracy, 3)} dB) and amplifies the worst perturbation the test finds ${sig(e.amplification, 3)} times: TV ${sig(e.amplification_tv, 3)}. Switch the pairs on.`;
  } else if (now && t) {
    lead.textContent = `Training the network ${pairsWords(t.pairs)}: epoch ${t.epochs_done} of ${t.epochs}, PSNR ${sig(now.pair_accuracy, 3)} dB on held-out x + z, amplification ${sig(now.amplification, 3)}.`;
  }
}

// ------------------------------------------------------------------ the signals

/** The signals: held-out signal 0 as the network trains; once the evaluation is done, the
 *  held-out signal where the instability test found its worst, with both methods' outputs
 *  from A x and from A(x + r). */
function drawSignals() {
  const c = /** @type {HTMLCanvasElement} */ ($('plot-signals'));
  const q = last.perturbed;
  const s = q ?? last.signals;
  if (!s) {
    placeholder(c, 'The network trains in this page: a held-out signal and its reconstructions appear here.');
    return;
  }
  const pairs = last.train?.pairs ?? state?.pairs ?? 'on';
  const lines = [
    { v: s.measured, colour: MEASURED, width: 1.2 },
    { v: s.x_z, colour: WITH_Z, width: 2.2 },
    { v: s.x, colour: TRUTH, width: 2 },
    { v: s.tv, colour: TV, width: 1.6 },
    { v: s.net, colour: NET[pairs], width: 2 },
  ];
  if (q) {
    lines.push({ v: q.tv_r, colour: TV_R, width: 1.8, dash: [6, 3] });
    lines.push({ v: q.net_r, colour: PERTURBED, width: 2.2, dash: [6, 3] });
  }
  const p = setUpCanvas(c);
  const { ctx, fs, u } = p;
  const yr = span(lines.flatMap((l) => l.v), 0.06);
  const n = s.t.length;
  const { X, Y } = axes(ctx, p, c, [s.t[0], s.t[n - 1]], yr, 't (sample of the signal)', 'value', { pad: padding(fs, u), xCount: 8 });
  for (const l of lines) series(ctx, p, l.v.map((v, i) => [X(s.t[i]), Y(v)]), l.colour, { dots: 0, width: l.width, dash: l.dash ?? [] });
  c.dataset.lines = String(lines.length);
  c.dataset.signal = q ? String(q.index) : '0';
  $('key-perturbed').hidden = !q;
  $('key-tv-r').hidden = !q;
  const t = last.train;
  $('signals-title').textContent = q
    ? `Held-out signal ${q.index}, where the instability test found its worst: a perturbation r of ‖r‖ = ${sig(q.r_norm, 2)} (= δ‖z‖) moves the network’s output by ${sig(q.net_change, 3)} (‖z‖ = ${sig(last.eval?.z_norm, 2)}), TV’s by ${sig(q.tv_change, 2)}.`
    : `Held-out signal 0, a signal the network never saw${t ? `, after ${t.epochs_done} of ${t.epochs} epochs` : ''}.`;
}

// ------------------------------------------------------------------ the trade-off

/** Accuracy on the pairs against the amplification, as each network trains; the evaluated
 *  network and TV as points once the evaluation is done. */
function drawTradeoff() {
  const c = /** @type {HTMLCanvasElement} */ ($('plot-tradeoff'));
  const traces = [last.train, last.contrast].filter((t) => t && t.trace.length);
  if (!traces.length) {
    placeholder(c, 'The trade-off, traced as the networks train: accuracy on x + z against amplification.');
    return;
  }
  const e = last.eval && last.eval.done ? last.eval : null;
  const pts = traces.flatMap((t) => t.trace.map((q) => [q.amplification, q.pair_accuracy]));
  const marks = [];
  if (e) {
    // The evaluated network: named by the legend (its ringed dot), beside its trace's label.
    marks.push({ at: [e.amplification, e.net.pair_accuracy], colour: NET[e.pairs], ring: true, label: '' });
    if (e.tv) marks.push({ at: [e.amplification_tv, e.tv.pair_accuracy], colour: TV, ring: false, label: 'TV' });
  }
  const all = [...pts, ...marks.map((m) => m.at)].filter(([x, y]) => typeof x === 'number' && typeof y === 'number');
  const p = setUpCanvas(c);
  const { ctx, fs, u } = p;
  const xr = span([0, ...all.map((a) => a[0])], 0.06, 0);
  const yr = span(all.map((a) => a[1]), 0.1);
  const { X, Y, right, top } = axes(ctx, p, c, xr, yr, 'amplification ‖ΔΨ‖/‖r‖ (ratio)', 'PSNR on x + z (dB)', { pad: padding(fs, u) });
  for (const t of traces) {
    const line = t.trace.map((q) => [X(q.amplification), Y(q.pair_accuracy)]);
    series(ctx, p, line, NET[t.pairs], { dots: 2.5, width: 1.8 });
    const end = line[line.length - 1];
    ctx.fillStyle = NET[t.pairs];
    ctx.textAlign = end[0] > (X(xr[0]) + right) / 2 ? 'right' : 'left';
    const dx = ctx.textAlign === 'right' ? -8 * u : 8 * u;
    ctx.fillText(`pairs ${t.pairs}, epoch ${t.trace[t.trace.length - 1].epoch}`, end[0] + dx, Math.max(top + fs, end[1] - 6 * u));
  }
  for (const m of marks) {
    if (typeof m.at[0] !== 'number' || typeof m.at[1] !== 'number') continue;
    const [x, y] = [X(m.at[0]), Y(m.at[1])];
    ctx.beginPath();
    ctx.arc(x, y, 7 * u, 0, 2 * Math.PI);
    ctx.fillStyle = m.colour;
    ctx.fill();
    if (m.ring) {
      ctx.lineWidth = 2.5 * p.lw;
      ctx.strokeStyle = TRUTH;
      ctx.stroke();
    }
    // The label on the side with room.
    const leftward = x > (X(xr[0]) + right) / 2;
    ctx.fillStyle = m.colour;
    ctx.textAlign = leftward ? 'right' : 'left';
    if (m.label) ctx.fillText(m.label, x + (leftward ? -11 : 11) * u, y + 0.35 * fs);
  }
  c.dataset.points = traces.map((t) => `${t.pairs}:${t.trace.length}`).join(',');
}

// ------------------------------------------------------------------ the amplification against δ

/** Log-log: 1/δ (the bound of a method exact on both), the state's δ (the test's worst and
 *  the bound), and the sweep, retrained per δ, if it was run. */
function drawDelta() {
  const c = /** @type {HTMLCanvasElement} */ ($('plot-delta'));
  const e = last.eval && last.eval.done ? last.eval : null;
  const curve = last.curve;
  if (!e || !curve) {
    placeholder(c, 'After the training: the amplification the test finds at this δ, beside the bound.');
    return;
  }
  const sweep = last.sweep?.points ?? [];
  const positive = (v) => typeof v === 'number' && v > 0;
  const ys = [...curve.map((q) => q[1]), e.amplification, e.bound, ...sweep.flatMap((q) => [q.amplification, q.bound])].filter(positive);
  const p = setUpCanvas(c);
  const { ctx, fs, u } = p;
  const log = Math.log10;
  const xr = [log(curve[0][0]), log(curve[curve.length - 1][0])];
  const yr = [Math.floor(log(Math.min(1, ...ys)) - 0.05), Math.ceil(log(Math.max(...ys)) + 0.05)];
  const tick = (v) => formatValue(10 ** v);
  const { X, Y, top, bottom } = axes(ctx, p, c, xr, yr, 'δ = ‖Az‖/‖z‖ (log)', 'amplification (log)', {
    pad: padding(fs, u),
    xLog: true,
    yLog: true,
    xTicks: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5].map(log).filter((v) => v >= xr[0] - 1e-9 && v <= xr[1] + 1e-9),
    xText: tick,
    yText: tick,
  });
  series(ctx, p, curve.map(([d, a]) => [X(log(d)), Y(log(a))]), GREY, { dots: 0, width: 1.6 });
  // This δ: a dotted line, the bound (hollow) and the test's worst (filled).
  const xd = X(log(e.delta));
  series(ctx, p, [[xd, top], [xd, bottom]], '#bbb', { dots: 0, width: 1, dash: [2, 3] });
  if (sweep.length) {
    series(ctx, p, sweep.map((q) => [X(log(q.delta)), Y(log(q.amplification))]), NET.on, { dots: 3, width: 1.8 });
    const bounds = sweep.filter((q) => positive(q.bound));
    if (bounds.length) series(ctx, p, bounds.map((q) => [X(log(q.delta)), Y(log(q.bound))]), MUTED, { dots: 3, width: 1.8 });
  }
  const colour = NET[e.pairs];
  if (positive(e.bound)) {
    ctx.beginPath();
    ctx.arc(xd, Y(log(e.bound)), 7 * u, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5 * p.lw;
    ctx.strokeStyle = colour;
    ctx.stroke();
  }
  if (positive(e.amplification)) {
    const y = Y(log(e.amplification));
    ctx.beginPath();
    ctx.arc(xd, y, 7 * u, 0, 2 * Math.PI);
    ctx.fillStyle = colour;
    ctx.fill();
    ctx.lineWidth = 2.5 * p.lw;
    ctx.strokeStyle = TRUTH;
    ctx.stroke();
    const leftward = xd > (X(xr[0]) + X(xr[1])) / 2;
    ctx.fillStyle = colour;
    ctx.textAlign = leftward ? 'right' : 'left';
    ctx.fillText(`pairs ${e.pairs}: ${sig(e.amplification, 3)}`, xd + (leftward ? -11 : 11) * u, y + 0.35 * fs);
  }
  $('key-sweep').hidden = !sweep.length;
  c.dataset.sweep = String(sweep.length);
}

/** The sweep's button and what it costs. */
function showSweepNote() {
  const note = $('sweep-note');
  const t = last.train;
  if (last.sweep?.done) {
    note.textContent = `Swept: a network trained with pairs at each δ of ${last.sweep.points.map((q) => q.delta).join(', ')}, attacked as above.`;
    $('sweep').hidden = true;
  } else if (last.sweepOffered) {
    $('sweep').hidden = false;
    const n = last.deltas?.length ?? 0;
    const took = typeof last.trainSeconds === 'number' ? ` (one training took ${sig(last.trainSeconds, 2)} s here)` : '';
    note.textContent = `Trains ${n} more networks${t ? ` of ${t.epochs} epochs` : ''} with pairs, one per δ (${(last.deltas ?? []).join(', ')}), and tests each${took}.`;
  } else {
    $('sweep').hidden = true;
    note.textContent = `Sweeping δ: ${last.sweep?.points.length ?? 0} of ${last.deltas?.length ?? '…'} done…`;
  }
}

window.addEventListener('resize', () => {
  if (last.signals) drawAll();
});
