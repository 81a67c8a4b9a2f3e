// The toy demo's page: keeps the URL in step with the state, wires the controls to the
// worker, and draws what the worker computed. No math happens here beyond placing data
// coordinates on the canvas.

import { buildControls, formatValue } from './controls.js';
import { $, connect, hideError, onArrows } from './page.js';
import { setUpCanvas } from './plot.js';

/** Which keys go in which panel (the point is set by clicking the map or with the keys). */
const GROUPS = {
  'controls-main': ['eps', 'norm'],
  'controls-data': ['data', 'n', 'noise', 'classes', 'seed'],
  'controls-model': ['model', 'hidden', 'activation'],
  'controls-training': ['optimizer', 'lr', 'batch', 'epochs'],
  'controls-attack': ['overshoot', 'max_iter'],
};
/** Arrow keys on the map move the point by this fraction of the view (Shift: by ten times). */
const KEY_STEP = 0.02;

const FGSM_COLOUR = '#c01c8b';
/** A click within this many CSS pixels of a training point attacks that point. */
const SNAP_PX = 8;

/** The last frame from the worker (its map is kept until a new one arrives). */
let frame = null;
let map = null;
/** @type {string[]} */
let colours = [];
let controls = [];
let drawPending = false;

const mapCanvas = document.createElement('canvas');

const { send, change, link } = connect(
  new URL('./toy-worker.js', import.meta.url),
  {
    ready(msg) {
      colours = msg.colours;
      setUp(msg.schema);
    },
    frame(msg) {
      frame = msg;
      // For tests and for anyone inspecting the page: what the page currently shows.
      $('demo').dataset.query = msg.query;
      $('demo').dataset.epochs = String(msg.metrics.epochs);
      $('demo').dataset.playing = String(msg.playing);
      if (msg.map) setMap(msg.map);
      link.write(msg.query, msg.playing);
      for (const c of controls) c.update(msg.state);
      updatePanels();
      scheduleDraw();
    },
  },
  'barriers-lab-toy.json',
  () => frame?.state,
);

/** A student's action on the training buttons also releases a kept bad link. */
function act(msg) {
  link.keep = false;
  send(msg);
}

function setUp(schema) {
  const byKey = Object.fromEntries(schema.map((f) => [f.key, f]));
  for (const [id, keys] of Object.entries(GROUPS)) {
    controls.push(buildControls($(id), keys.map((k) => byKey[k]), change));
  }
  $('play').addEventListener('click', () => act({ type: frame && frame.playing ? 'pause' : 'play' }));
  $('step').addEventListener('click', () => act({ type: 'step' }));
  $('reset').addEventListener('click', () => {
    send({ type: 'pause' });
    change({ epochs: 0 });
  });
  $('map').addEventListener('click', onMapClick);
  onArrows($('map'), onMapKey);
  new ResizeObserver(scheduleDraw).observe($('map'));
}

function setMap(m) {
  map = m;
  // The data window the map shows (for tests and anyone reading the page).
  $('demo').dataset.view = m.view.join(',');
  mapCanvas.width = m.size;
  mapCanvas.height = m.size;
  const img = new ImageData(new Uint8ClampedArray(m.rgba.buffer, m.rgba.byteOffset, m.rgba.byteLength), m.size, m.size);
  mapCanvas.getContext('2d').putImageData(img, 0, 0);
}

// ---------------------------------------------------------------------------------------
// Drawing

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawMap();
    drawCurve();
    if (frame) $('demo').dataset.drawn = $('demo').dataset.frame = frame.query;
  });
}

/** Maps data coordinates to canvas pixels for the current view.
 *  @returns {[number, number]} */
function toCanvas(canvas, x, y) {
  const [x0, x1, y0, y1] = map.view;
  return [((x - x0) / (x1 - x0)) * canvas.width, ((y1 - y) / (y1 - y0)) * canvas.height];
}

function drawMap() {
  const canvas = /** @type {HTMLCanvasElement} */ ($('map'));
  const { ctx, lw } = setUpCanvas(canvas);
  // Marks grow with the line width (thicker on a projector).
  const dpr = lw;
  if (!map || !frame) return;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(mapCanvas, 0, 0, canvas.width, canvas.height);
  /** @type {(x: number, y: number) => [number, number]} */
  const P = (x, y) => toCanvas(canvas, x, y);

  // Decision boundary.
  ctx.strokeStyle = 'rgba(34,34,34,0.85)';
  ctx.lineWidth = 2 * dpr;
  ctx.beginPath();
  const b = map.boundary;
  for (let i = 0; i + 3 < b.length; i += 4) {
    ctx.moveTo(...P(b[i], b[i + 1]));
    ctx.lineTo(...P(b[i + 2], b[i + 3]));
  }
  ctx.stroke();

  // Training points.
  const pts = frame.points;
  ctx.lineWidth = 1 * dpr;
  ctx.strokeStyle = '#fff';
  for (let i = 0; i < frame.labels.length; i++) {
    const [px, py] = P(pts[2 * i], pts[2 * i + 1]);
    ctx.beginPath();
    ctx.arc(px, py, 3.5 * dpr, 0, 2 * Math.PI);
    ctx.fillStyle = colours[frame.labels[i] % colours.length];
    ctx.fill();
    ctx.stroke();
  }

  const a = frame.attack;
  if (!a) return;
  // Each DeepFool step's linearised boundary.
  ctx.setLineDash([6 * dpr, 4 * dpr]);
  ctx.strokeStyle = 'rgba(70,70,70,0.9)';
  ctx.lineWidth = 1.2 * dpr;
  for (const h of a.hyperplanes) {
    if (h.length !== 4) continue;
    ctx.beginPath();
    ctx.moveTo(...P(h[0], h[1]));
    ctx.lineTo(...P(h[2], h[3]));
    ctx.stroke();
  }
  ctx.setLineDash([]);
  // FGSM step.
  const x = P(a.point[0], a.point[1]);
  const f = P(a.fgsm_point[0], a.fgsm_point[1]);
  ctx.strokeStyle = FGSM_COLOUR;
  ctx.lineWidth = 2 * dpr;
  ctx.beginPath();
  ctx.moveTo(...x);
  ctx.lineTo(...f);
  ctx.stroke();
  disc(ctx, f, 5 * dpr, FGSM_COLOUR);
  // DeepFool's path: the iterates, then the overshoot.
  ctx.strokeStyle = '#222';
  ctx.lineWidth = 2 * dpr;
  ctx.beginPath();
  ctx.moveTo(...x);
  for (const it of a.iterates.slice(1)) ctx.lineTo(...P(it[0], it[1]));
  ctx.lineTo(...P(a.adversarial[0], a.adversarial[1]));
  ctx.stroke();
  for (const it of a.iterates.slice(1)) disc(ctx, P(it[0], it[1]), 2.5 * dpr, '#222');
  disc(ctx, P(a.adversarial[0], a.adversarial[1]), 6 * dpr, '#222');
  disc(ctx, P(a.adversarial[0], a.adversarial[1]), 4 * dpr, '#fff');
  disc(ctx, x, 5.5 * dpr, '#222');
}

/** @param {CanvasRenderingContext2D} ctx @param {number[]} centre */
function disc(ctx, [x, y], r, fill) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = fill;
  ctx.fill();
}

/** Loss (left axis, from 0 to its largest value) and accuracy (right axis, 0 to 1). */
function drawCurve() {
  const canvas = /** @type {HTMLCanvasElement} */ ($('curve'));
  const { ctx, u: dpr, fs, lw } = setUpCanvas(canvas);
  const W = canvas.width;
  const H = canvas.height;
  if (!frame) return;
  ctx.textBaseline = 'middle';
  const pad = { l: 2.6 * fs, r: 2.6 * fs, t: 0.8 * fs, b: 1.5 * fs };
  const loss = frame.loss;
  const acc = frame.accuracy;
  const n = loss.length;
  const maxLoss = Math.max(1e-12, ...loss);
  const X = (i) => pad.l + ((W - pad.l - pad.r) * i) / Math.max(1, n - 1);
  const Y = (v) => H - pad.b - (H - pad.t - pad.b) * v;
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(pad.l, pad.t, W - pad.l - pad.r, H - pad.t - pad.b);
  ctx.fillStyle = colours[0];
  ctx.textAlign = 'right';
  ctx.fillText(formatValue(maxLoss), pad.l - 3 * dpr, pad.t);
  ctx.fillText('loss', pad.l - 3 * dpr, (H - pad.b + pad.t) / 2);
  ctx.fillText('0', pad.l - 3 * dpr, H - pad.b);
  ctx.fillStyle = colours[1];
  ctx.textAlign = 'left';
  ctx.fillText('1', W - pad.r + 3 * dpr, pad.t);
  ctx.fillText('acc.', W - pad.r + 3 * dpr, (H - pad.b + pad.t) / 2);
  ctx.fillText('0', W - pad.r + 3 * dpr, H - pad.b);
  ctx.fillStyle = '#444';
  ctx.textAlign = 'center';
  ctx.fillText(`epoch (${n} in all)`, W / 2, H - 0.6 * fs);
  if (n === 0) return;
  for (const [values, colour, scale] of [
    [loss, colours[0], maxLoss],
    [acc, colours[1], 1],
  ]) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5 * lw;
    ctx.beginPath();
    values.forEach((v, i) => (i === 0 ? ctx.moveTo(X(i), Y(v / scale)) : ctx.lineTo(X(i), Y(v / scale))));
    ctx.stroke();
  }
}

// ---------------------------------------------------------------------------------------
// Panels

function classLabel(k, p) {
  const sw = `<span class="swatch" style="background:${colours[k % colours.length]}"></span>`;
  return `${sw}class ${k}${p === undefined ? '' : ` (p = ${formatValue(p)})`}`;
}

/** A number shown to three digits, with every digit in its tooltip. */
function num(v, testid) {
  return `<span data-testid="${testid}" title="${v}">${formatValue(v)}</span>`;
}

function updatePanels() {
  const s = frame.state;
  const m = frame.metrics;
  $('play').textContent = frame.playing ? 'Pause' : 'Play';
  /** @type {HTMLButtonElement} */ ($('step')).disabled = frame.playing;
  $('metrics').textContent = `epoch ${m.epochs} · training loss ${formatValue(m.train_loss)} · accuracy ${(100 * m.train_accuracy).toFixed(1)} % · ${m.n_params} parameters`;
  for (const c of controls) {
    c.setEnabled('classes', s.data === 'blobs' || s.data === 'spiral');
    c.setEnabled('hidden', s.model === 'mlp');
    c.setEnabled('activation', s.model === 'mlp');
  }
  const a = frame.attack;
  const list = $('readout-list');
  if (!a) {
    list.innerHTML = '<dt>Point</dt><dd data-testid="no-point">none: click the map</dd>';
    return;
  }
  const d = a.deepfool;
  const fg = a.fgsm;
  const norm = s.norm === 'l2' ? 'ℓ2' : 'ℓ∞';
  const stop = { flipped: 'flipped', max_iterations: 'not flipped: iteration limit', vanishing_gradient: 'not flipped: zero gradient' }[d.stop];
  const rows = [
    ['Point x', `(${formatValue(a.point[0])}, ${formatValue(a.point[1])}) <button type="button" id="clear-point">clear</button>`],
    ['Label', `<span data-testid="label">${classLabel(a.label, a.probabilities[a.label])}</span>`],
    [`DeepFool (${norm})`, `<span class="${d.adv_label !== a.label ? 'flipped' : ''}" data-testid="deepfool-label">${classLabel(d.adv_label, a.deepfool_probabilities[d.adv_label])}</span> · ${stop}`],
    ['‖r‖₂', num(d.size.r_l2, 'r-l2')],
    ['‖r‖₂ / ‖x‖₂', num(d.size.r_over_x, 'r-over-x')],
    ['‖r‖∞', num(d.size.r_linf, 'r-linf')],
    ['Iterations', `<span data-testid="iterations">${d.iterations}</span>`],
    [`FGSM ε = ${formatValue(fg.eps)}`, `<span class="${fg.flipped ? 'flipped' : ''}" data-testid="fgsm-label">${classLabel(fg.adv_label)}</span> · ${fg.flipped ? 'flipped' : 'not flipped'}`],
  ];
  list.innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
  $('clear-point').addEventListener('click', () => change({ point: null }));
}

/** The arrow keys move the attacked point (from the centre of the view if there is none). */
function onMapKey(dx, dy, big) {
  if (!map || !frame) return;
  const [x0, x1, y0, y1] = map.view;
  const k = big ? 10 * KEY_STEP : KEY_STEP;
  const [px, py] = frame.state.point ?? [(x0 + x1) / 2, (y0 + y1) / 2];
  const clamp = (v, lo, hi) => Number(Math.min(hi, Math.max(lo, v)).toFixed(4));
  // Up on the screen is up in the data.
  change({ point: [clamp(px + dx * k * (x1 - x0), x0, x1), clamp(py - dy * k * (y1 - y0), y0, y1)] });
}

function onMapClick(ev) {
  if (!map) return;
  const canvas = /** @type {HTMLCanvasElement} */ ($('map'));
  const rect = canvas.getBoundingClientRect();
  const [x0, x1, y0, y1] = map.view;
  const u = (ev.clientX - rect.left) / rect.width;
  const v = (ev.clientY - rect.top) / rect.height;
  link.keep = false;
  hideError();
  send({ type: 'click', x: x0 + u * (x1 - x0), y: y1 - v * (y1 - y0), radius: (SNAP_PX / rect.width) * (x1 - x0) });
}
