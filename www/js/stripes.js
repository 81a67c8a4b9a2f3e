// The stripes page (false structures): keeps the address bar in step with the state, wires the
// controls and the drawing pad to the worker, and shows what the worker computed: the images
// (grey, and on the magnified colour scale), the scores on the training, test and false sets,
// DeepFool's perturbation and the training curve. Values are only mapped to pixels and put
// into words here; every number comes from Rust.

import { formatValue, stripAndPanel } from './controls.js';
import { $, connect, framed, shown, showError, hideError, blit, drawingPad } from './page.js';
import { setUpCanvas, axes, series, placeholder, padding } from './plot.js';

/** The strip's keys; the others go in the settings panel. */
const MAIN = ['training', 'background', 'a'];
const LOSS = '#c0392b';
const ACCURACY = '#0867a8';
/** The pad's brush, in canvas pixels: 3 of the 32 image pixels on a 256-pixel pad. */
const BRUSH = 24;

/** @type {ReturnType<typeof stripAndPanel>} */
let controls = [];
let state = null;
/** The last results, to redraw on a resize. */
const last = { result: null, pictures: null, drawn: null };

const { send, change, link } = connect(
  new URL('./stripes-worker.js', import.meta.url),
  {
    ready(msg) {
      controls = stripAndPanel(msg.schema, MAIN, change);
      $('run').addEventListener('click', () => send({ type: 'run' }));
      setUpPad();
    },
    state: (msg) => showState(msg.state, msg.query),
    // Results come after the state they belong to (the worker posts the state first).
    result(msg) {
      last.result = msg.result;
      showScores(msg.result);
      plotCurve(msg.result);
    },
    pictures(msg) {
      last.pictures = msg.pictures;
      drawPictures(msg.pictures);
      framed(msg.query);
    },
    drawn(msg) {
      last.drawn = msg.drawn;
      drawDrawn(msg.drawn);
    },
    shown(msg) {
      $('run').hidden = msg.finished;
      shown(link, msg.query);
    },
  },
  'barriers-lab-stripes.json',
  () => state,
);

// ------------------------------------------------------------------ the state

function showState(s, query) {
  state = s;
  for (const c of controls) c.update(s);
  $('run').hidden = true;
  link.write(query, true);
  $('demo').dataset.query = query;
}

// ------------------------------------------------------------------ numbers in words

const percent = (v) => (v === null || v === undefined ? '–' : `${formatValue(100 * v)} %`);
const cell = (text, id, value) => `<td data-testid="${id}" data-value="${value ?? ''}">${text}</td>`;

/** The false set's accuracy, and on its horizontal and its vertical stripes apart. */
function falseCell(s) {
  if (!s) return cell('<span class="pending">…</span>', 'false-accuracy', '');
  // A number and its '%' stay on one line.
  const [h, v] = s.false_set_by_class.map((x) => percent(x).replace(' ', '\u00a0'));
  return cell(`${percent(s.false_set_accuracy)}<br><span class="small" data-testid="false-by-class">horizontal ${h}, vertical ${v}</span>`, 'false-accuracy', s.false_set_accuracy);
}

/** The scores table: accuracy on the three sets, and DeepFool's mean ‖r‖/‖x‖. */
function showScores(r) {
  const s = r.scores;
  const f = r.deepfool;
  const pending = '<span class="pending">…</span>';
  const acc = (v, id) => (s ? cell(percent(v), id, v) : cell(pending, id, ''));
  const fool = f && f.done ? cell(`${formatValue(f.mean_r_over_x)} (${f.flipped_count} of ${f.attacked.length} flipped)`, 'deepfool', f.mean_r_over_x) : cell(pending, 'deepfool', '');
  $('scores').innerHTML =
    '<tr><th>training set (60)</th><th>fresh test set</th><th>false set (signs swapped)</th><th>DeepFool: mean ‖r‖₂/‖x‖₂</th></tr>' +
    `<tr>${acc(s?.train_accuracy, 'train-accuracy')}${acc(s?.test_accuracy, 'test-accuracy')}${falseCell(s)}${fool}</tr>`;
  $('scores').dataset.done = String(r.done);
}

// ------------------------------------------------------------------ the pictures

/** A caption: the true class, the background, and what the network says. */
function caption(p, classes) {
  const said = p.predicted;
  const right = said.class === p.class;
  // A training image of the authors' set: labelled vertical, its stripe drawn along rows.
  const what = p.drawn === classes[p.class] ? `${classes[p.class]} stripe` : `labelled ${classes[p.class]}, drawn ${p.drawn}`;
  return (
    `${what}, background ${formatValue(p.background)}; the network: ` +
    `<span class="${right ? '' : 'flipped'}" data-testid="said">${said.name}</span> (${percent(said.probabilities[said.class])})`
  );
}

function drawPictures(p) {
  const classes = last.result?.classes ?? ['horizontal', 'vertical'];
  for (const [k, id] of [
    ['train', 'train'],
    ['test', 'test'],
    ['false_twin', 'false'],
  ]) {
    blit($(`img-${id}`), p[k].grey, p.side);
    blit($(`mag-${id}`), p[k].colour, p.side);
    $(`cap-${id}`).innerHTML = caption(p[k], classes);
  }
  $('mag-scale').textContent = formatValue(p.scale);
  const r = p.perturbation;
  const imgR = /** @type {HTMLCanvasElement} */ ($('img-r'));
  const adv = /** @type {HTMLCanvasElement} */ ($('img-adv'));
  if (!r) {
    placeholder(imgR, 'DeepFool runs after training.');
    placeholder(adv, '');
    $('cap-r').textContent = '';
    return;
  }
  blit(imgR, r.r, p.side);
  blit(adv, r.adv, p.side);
  $('cap-r').innerHTML =
    `‖r‖₂/‖x‖₂ = ${formatValue(r.r_over_x)}, max |r| = ${formatValue(r.r_linf)}; mean of r ${formatValue(r.mean)}, ` +
    `spread about it ${formatValue(r.spread)}; ${r.flipped ? `<span class="flipped">label flipped to ${classes[r.adv_label]}</span>` : 'not flipped'}`;
}

// ------------------------------------------------------------------ the training curve

/** The training loss (log) and accuracy (%) against the epoch, as training goes. */
function plotCurve(r) {
  const c = /** @type {HTMLCanvasElement} */ ($('plot-curve'));
  const pts = r.curve;
  c.dataset.points = String(pts.length);
  if (!pts.length) {
    placeholder(c, 'The network trains here: its loss and accuracy appear epoch by epoch.');
    return;
  }
  const p = setUpCanvas(c);
  const { ctx, fs, u } = p;
  const pad = { ...padding(fs, u), t: 2.7 * fs, r: 3.6 * fs };
  const { X, Y, left, right, top, bottom } = axes(ctx, p, c, [0, r.epochs], [0, 100], 'epoch', 'training accuracy (%)', { pad });
  series(
    ctx,
    p,
    pts.map((q) => [X(q.epoch), Y(100 * q.accuracy)]),
    ACCURACY,
    { dots: 0, width: 1.8 },
  );
  // The loss on its own log scale, right.
  const losses = pts.map((q) => q.loss).filter((v) => typeof v === 'number' && v > 0);
  if (losses.length) {
    const lo = Math.floor(Math.log10(Math.min(...losses)));
    const hi = Math.ceil(Math.log10(Math.max(...losses)));
    const span = Math.max(1, hi - lo);
    const YL = (v) => bottom - ((Math.log10(v) - lo) / span) * (bottom - top);
    series(
      ctx,
      p,
      pts.filter((q) => typeof q.loss === 'number' && q.loss > 0).map((q) => [X(q.epoch), YL(q.loss)]),
      LOSS,
      { dots: 0, width: 1.4, dash: [5, 3] },
    );
    ctx.fillStyle = LOSS;
    ctx.textAlign = 'left';
    for (let e = lo; e <= lo + span; e++) ctx.fillText(`1e${e}`, right + 4 * u, YL(10 ** e) + 0.35 * fs);
  }
  // The two curves' names, one line each.
  ctx.textAlign = 'left';
  ctx.fillStyle = ACCURACY;
  ctx.fillText('—— accuracy on the training set (%, left axis)', left, 1.1 * fs);
  ctx.fillStyle = LOSS;
  ctx.fillText('- - - training loss (log, right axis)', left, 2.2 * fs);
}

// ------------------------------------------------------------------ the drawing pad

function setUpPad() {
  const pad = drawingPad(/** @type {HTMLCanvasElement} */ ($('pad')), BRUSH);
  $('pad-clear').addEventListener('click', () => {
    pad.clear();
    $('drawn').hidden = true;
  });
  $('pad-use').addEventListener('click', () => {
    if (!pad.inked()) {
      showError('drawing', 'the pad is empty: draw a stripe on it first.');
      return;
    }
    hideError();
    const chosen = /** @type {HTMLInputElement} */ (document.querySelector('input[name="pad-bg"]:checked'));
    send({ type: 'draw', ...pad.pixels(), sign: Number(chosen?.value ?? 0) });
  });
}

function drawDrawn(d) {
  $('drawn').hidden = false;
  const classes = last.result?.classes ?? ['horizontal', 'vertical'];
  blit($('img-drawn'), d.image.colour, d.size);
  blit($('img-drawn-r'), d.r, d.size);
  const c = d.classification;
  const f = d.perturbation;
  $('cap-drawn').innerHTML =
    `Background ${formatValue(d.background)}. The network says <b>${c.name}</b> (${percent(c.probabilities[c.class])}). ` +
    `DeepFool (right, scaled): ‖r‖₂/‖x‖₂ = ${formatValue(f.r_over_x)}, mean of r ${formatValue(f.mean)}` +
    (f.flipped ? `, flips it to ${classes[f.adv_label]}.` : ', did not flip it.');
}

window.addEventListener('resize', () => {
  if (last.result) plotCurve(last.result);
  if (last.pictures) drawPictures(last.pictures);
});
