// The MRI page: keeps the address bar in step with the state, wires the controls, the
// picture upload, the mask painting and the kernel view's clicks to the worker, and shows
// what the worker computed. Plots map values to pixels (log axes); no other math here.

import { buildControls, formatValue, labelsOf } from './controls.js';
import { $, connect, showError, hideError, readChosenFile, blit, saveBytes, onArrows } from './page.js';
import { setUpCanvas, placeholder } from './plot.js';

const GROUPS = {
  'controls-main': ['rate', 'mask'],
  'controls-image': ['image', 'slice', 'size'],
  'controls-sampling': ['density', 'seed', 'noise'],
  'controls-methods': ['wavelet', 'levels', 'lambda_w', 'lambda_tv', 'iters', 'restarts', 'inner', 'firenet_on'],
  'controls-kernel': ['method', 'detail_radius', 'detail_amp'],
};
/** The reconstruction methods and their short titles (the menu's words without their
 *  parenthesis), from the schema the wasm exports. */
let METHODS = [];
/** @type {Record<string, string>} */
let TITLES = {};
const BLUE = '#0877bd';
const ORANGE = '#e8710a';
const GREY = '#888';
/** Pictures are first scaled by the browser to at most this many pixels on their long side. */
const MAX_UPLOAD_SIDE = 1024;

let controls = [];
let last = null;
let lastConvergence = null;
/** The menu's words for the sampling patterns (from the schema). */
let PATTERN_NAMES = {};
const CONVERGENCE_HINT = 'Click “Compare restarts” to run FIRENET with and without restarts and plain Chambolle–Pock on this figure (a few seconds).';

const { send, change, link } = connect(
  new URL('./mri-worker.js', import.meta.url),
  {
    ready: (msg) => setUp(msg.schema),
    frame: (msg) => showFrame(msg),
    convergence: (msg) => {
      lastConvergence = msg;
      plotConvergence(msg);
    },
    'mask-picture': (msg) => saveMask(msg.rgba, msg.side),
  },
  'barriers-lab-mri.json',
  () => last?.state,
);

function setUp(schema) {
  const byKey = Object.fromEntries(schema.map((f) => [f.key, f]));
  PATTERN_NAMES = labelsOf(schema, 'mask');
  const methods = labelsOf(schema, 'method');
  METHODS = Object.keys(methods);
  TITLES = Object.fromEntries(METHODS.map((m) => [m, methods[m].replace(/ \(.*\)$/, '')]));
  // The progress bar's button pauses the iterations (they can go on with step or run).
  $('cancel').textContent = 'Pause';
  placeholder(/** @type {HTMLCanvasElement} */ ($('plot-conv')), CONVERGENCE_HINT);
  // A new size adapts what depends on it (wavelet levels, a painted mask): the worker does it.
  const onChange = (c) => {
    if ('size' in c) {
      link.keep = false;
      hideError();
      send({ type: 'size', size: c.size });
    } else change(c);
  };
  for (const [id, keys] of Object.entries(GROUPS)) controls.push(buildControls($(id), keys.map((k) => byKey[k]), onChange));
  const box = $('recons');
  for (const m of METHODS) {
    const fig = document.createElement('figure');
    fig.innerHTML = `<figcaption><b>${TITLES[m]}</b> <span class="small" id="iters-${m}"></span><br>
      <span class="metrics" data-testid="psnr-${m}" id="psnr-${m}"></span></figcaption>
      <canvas id="img-recon-${m}" class="img" aria-label="${TITLES[m]} reconstruction"></canvas>
      <canvas id="img-error-${m}" class="img err" aria-label="${TITLES[m]} error map"></canvas>`;
    box.append(fig);
  }
  $('restart').addEventListener('click', () => send({ type: 'restart' }));
  $('step').addEventListener('click', () => send({ type: 'step' }));
  $('play').addEventListener('click', () => send({ type: 'play' }));
  $('no-detail').addEventListener('click', () => change({ detail: null }));
  $('centre-detail').addEventListener('click', () => change({ detail: [0.5, 0.5] }));
  $('convergence').addEventListener('click', () => send({ type: 'convergence' }));
  $('save-mask').addEventListener('click', () => send({ type: 'mask-picture' }));
  // The keys move the detail a pixel at a time (Shift: eight), from the centre if there is none.
  onArrows($('img-truth'), (dx, dy, big) => {
    if (!last) return;
    const n = last.report.side;
    const [cx, cy] = last.state.detail ?? [0.5, 0.5];
    const k = (big ? 8 : 1) / n;
    change({ detail: [cx + dx * k, cy + dy * k].map((v) => Number(Math.min(1, Math.max(0, v)).toFixed(4))) });
  });
  $('img-truth').addEventListener('click', (ev) => {
    const c = /** @type {HTMLCanvasElement} */ (ev.currentTarget);
    const r = c.getBoundingClientRect();
    const at = [(ev.clientX - r.left) / r.width, (ev.clientY - r.top) / r.height].map((v) => Number(Math.min(1, Math.max(0, v)).toFixed(4)));
    change({ detail: at });
  });
  $('upload').addEventListener('change', async (ev) => {
    try {
      const bytes = /** @type {Uint8Array | null} */ (await readChosenFile(ev, 30_000_000, 'bytes'));
      if (!bytes) return;
      const { rgba, width, height } = await decodePicture(bytes, MAX_UPLOAD_SIDE);
      link.keep = false;
      hideError();
      send({ type: 'upload', rgba, width, height });
    } catch (e) {
      showError('file', e.message);
    }
  });
  $('load-mask').addEventListener('change', async (ev) => {
    try {
      const bytes = /** @type {Uint8Array | null} */ (await readChosenFile(ev, 5_000_000, 'bytes'));
      if (!bytes) return;
      const { rgba, width, height } = await decodePicture(bytes, 0);
      link.keep = false;
      hideError();
      send({ type: 'load-mask', rgba, width, height });
    } catch (e) {
      showError('file', e.message);
    }
  });
  setUpPainting();
}

/**
 * The browser decodes a PNG or JPEG into RGBA (shrunk to `maxSide` on its long side if
 * larger, unless maxSide is 0).
 * @param {Uint8Array} bytes @param {number} maxSide
 */
async function decodePicture(bytes, maxSide) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([/** @type {BlobPart} */ (bytes)]));
  } catch {
    throw new Error('the browser cannot read that file as a picture (PNG or JPEG)');
  }
  if (maxSide === 0 && Math.max(bitmap.width, bitmap.height) > 1024) {
    throw new Error(`a mask picture must be n x n pixels at the image size (at most 256), got ${bitmap.width} x ${bitmap.height}`);
  }
  const s = maxSide > 0 ? Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height)) : 1;
  const width = Math.max(1, Math.round(bitmap.width * s));
  const height = Math.max(1, Math.round(bitmap.height * s));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  return { rgba: new Uint8Array(data.buffer), width, height };
}

/** Painting on k-space: a stroke of points (row, column in k-space pixels) sent on release. */
function setUpPainting() {
  const c = /** @type {HTMLCanvasElement} */ ($('img-kspace'));
  let stroke = null;
  const at = (ev) => {
    const r = c.getBoundingClientRect();
    const n = last?.report.side ?? 128;
    return [((ev.clientY - r.top) / r.height) * n - 0.5, ((ev.clientX - r.left) / r.width) * n - 0.5];
  };
  const painting = () => /** @type {HTMLInputElement} */ ($('paint')).checked;
  $('paint').addEventListener('change', () => c.classList.toggle('clickable', painting()));
  c.addEventListener('pointerdown', (ev) => {
    if (!painting() || !last) return;
    c.setPointerCapture(ev.pointerId);
    stroke = [at(ev)];
    mark(ev);
  });
  c.addEventListener('pointermove', (ev) => {
    if (!stroke) return;
    stroke.push(at(ev));
    mark(ev);
  });
  c.addEventListener('pointercancel', () => (stroke = null));
  c.addEventListener('pointerup', () => {
    if (!stroke) return;
    const add = /** @type {HTMLSelectElement} */ ($('paint-mode')).value === 'add';
    link.keep = false;
    hideError();
    send({ type: 'paint', points: stroke.flat(), radius: 1.5, add });
    stroke = null;
  });
  // Immediate feedback while the worker repaints the mask.
  function mark(ev) {
    const r = c.getBoundingClientRect();
    const ctx = c.getContext('2d');
    ctx.fillStyle = /** @type {HTMLSelectElement} */ ($('paint-mode')).value === 'add' ? 'rgba(255,200,0,0.8)' : 'rgba(0,0,0,0.8)';
    ctx.beginPath();
    ctx.arc(((ev.clientX - r.left) / r.width) * c.width, ((ev.clientY - r.top) / r.height) * c.height, (c.width / (last?.report.side ?? 128)) * 1.5, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function saveMask(rgba, side) {
  const c = document.createElement('canvas');
  c.width = side;
  c.height = side;
  c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer), side, side), 0, 0);
  c.toBlob((blob) => blob && saveBytes(blob, `mask-${side}.png`), 'image/png');
}

const dbText = (v) => (v === null || v === undefined ? '∞' : v.toFixed(2));

function showFrame(msg) {
  // A frame of the same figure adds to its pictures; a first frame starts them afresh.
  const same = last && !msg.first && last.key === msg.key;
  last = { ...msg, pictures: { ...(same ? last.pictures : {}), ...msg.pictures } };
  draw(last, msg.first);
}

/** Draws a frame; the controls follow the state on a new figure only (not while dragging). */
function draw(msg, newFigure) {
  const { state: s, report: r, pictures: pics } = msg;
  const n = r.side;
  if (newFigure) for (const c of controls) c.update(s);
  for (const c of controls) {
    c.setEnabled('slice', s.image === 'colin27');
    c.setEnabled('density', s.mask === 'variable-density' || s.mask === 'cartesian');
    c.setEnabled('seed', !['radial', 'painted'].includes(s.mask));
    c.setEnabled('rate', s.mask !== 'painted');
  }
  if (pics.truth) blit($('img-truth'), pics.truth, n);
  if (pics.kspace) blit($('img-kspace'), pics.kspace, n);
  const source = s.image === 'colin27' ? `Colin27 slice ${s.slice} (z = ${r.z_mm} mm)` : s.image === 'upload' ? 'your picture' : 'Shepp–Logan';
  $('cap-truth').textContent = `${source}, ${n} × ${n}`;
  $('cap-kspace').textContent = `log |F x|, ${PATTERN_NAMES[s.mask] ?? s.mask} (yellow: sampled)`;
  const facts = [
    ['Samples', `<span data-testid="samples">${r.samples}</span> of ${n * n} (<span data-testid="rate">${(100 * r.rate).toFixed(2)}</span> %)`],
    ['Noise ‖e‖', `${formatValue(r.noise_norm)} (${(100 * s.noise).toFixed(1)} % of ‖Ax‖)`],
  ];
  $('facts').innerHTML = facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
  for (const q of r.quality) {
    const m = q.method;
    if (pics[`recon:${m}`]) blit($(`img-recon-${m}`), pics[`recon:${m}`], n);
    if (pics[`error:${m}`]) blit($(`img-error-${m}`), pics[`error:${m}`], n);
    $(`iters-${m}`).textContent = m === 'adjoint' ? 'direct' : `${q.iterations}/${q.planned} it.`;
    const el = $(`psnr-${m}`);
    el.textContent = `${dbText(q.psnr)} dB · SSIM ${q.ssim.toFixed(3)} · ${(100 * q.rel_error).toFixed(1)} %`;
    el.title = `PSNR ${q.psnr} dB, SSIM ${q.ssim}, relative error ${q.rel_error}`;
    el.dataset.value = String(q.psnr);
  }
  const it = r.quality.reduce((a, q) => a + q.iterations, 0);
  const total = r.quality.reduce((a, q) => a + q.planned, 0);
  $('status').textContent = msg.finished ? `Done: ${it} iterations in all.` : msg.playing ? `Iterating: ${it} of ${total}.` : `Paused at ${it} of ${total} iterations: step or run.`;
  drawKernel(msg);
  if (lastConvergence && lastConvergence.key !== msg.key) {
    lastConvergence = null;
    plotConvergence(null);
  }
  const demo = $('demo');
  // Frames while iterating update the address bar at most four times a second; the last one
  // at once, so that a reload (or a copied link) right after it has the figure shown.
  const complete = msg.finished || !msg.playing;
  link.write(msg.query, !complete);
  demo.dataset.query = msg.query;
  demo.dataset.frame = msg.query;
  if (complete) demo.dataset.drawn = msg.query;
}

function drawKernel(msg) {
  const { state: s, report: r, pictures: pics } = msg;
  const k = r.kernel;
  $('kernel-figs').hidden = !k;
  $('kernel-hint').hidden = !!k;
  if (!k) {
    $('kernel-facts').innerHTML = '';
    return;
  }
  const n = r.side;
  if (pics['kernel-z']) blit($('img-kz'), pics['kernel-z'], n);
  if (pics['kernel-x2']) blit($('img-kx2'), pics['kernel-x2'], n);
  if (pics[`recon:${s.method}`]) blit($('img-kr1'), pics[`recon:${s.method}`], n);
  if (pics[`kernel-recon:${s.method}`]) blit($('img-kr2'), pics[`kernel-recon:${s.method}`], n);
  $('cap-kz').textContent = `full colour = ±${formatValue(msg.kernelScale ?? 0)}`;
  $('cap-kr1').textContent = `${TITLES[s.method]} from y`;
  $('cap-kr2').textContent = `${TITLES[s.method]} from y′`;
  const i = METHODS.indexOf(s.method);
  const diff = k.differences[i];
  const rows = [
    ['‖A z‖ (what the scanner sees of z)', `<span data-testid="az-norm" title="${k.az_norm}">${k.az_norm.toExponential(2)}</span>`],
    ['‖z‖, ‖detail‖', `${formatValue(k.z_norm)}, ${formatValue(k.detail_norm)}${k.unseen === null ? '' : ` (${(100 * k.unseen).toFixed(0)} % unseen)`}`],
    ["‖y′ − y‖ / ‖y‖", `<span data-testid="y-change">${k.y_change.toExponential(2)}</span>`],
    ["‖Ψ(y′) − Ψ(y)‖ / ‖Ψ(y)‖, every method", `<span data-testid="recon-change">${k.differences.map((d) => d.toExponential(1)).join(', ')}</span>`],
    [`Error on x′ (${TITLES[s.method]})`, `${(100 * k.quality_x2[i].rel_error).toFixed(1)} % against ${(100 * r.quality[i].rel_error).toFixed(1)} % on x: one image of the two is reconstructed wrongly by at least ‖z‖ / 2`],
  ];
  $('kernel-facts').innerHTML = rows.map(([a, b]) => `<dt>${a}</dt><dd>${b}</dd>`).join('');
  $('kernel-facts').dataset.diff = String(diff);
}

/** Two log-scale panels against inner iterations: the objective gap f - f*, and the error. */
function plotConvergence(msg) {
  const c = /** @type {HTMLCanvasElement} */ ($('plot-conv'));
  if (!msg) {
    placeholder(c, CONVERGENCE_HINT);
    $('conv-note').textContent = '';
    return;
  }
  const p = setUpCanvas(c);
  const { ctx, u: dpr } = p;
  const r = msg.result;
  const panels = [
    { title: 'f(ψ) − f*  (objective gap, log)', key: 'gap' },
    { title: '‖|ψ| − x‖ / ‖x‖  (error, log)', key: 'error' },
  ];
  const w = c.width / 2;
  panels.forEach((panel, i) => {
    const series = [
      { v: r[`restarted_${panel.key}`], colour: BLUE, dash: [] },
      { v: r[`flat_${panel.key}`], colour: ORANGE, dash: [] },
      { v: r[`plain_${panel.key}`], colour: GREY, dash: [4 * dpr, 3 * dpr] },
    ];
    logPanel(ctx, p, i * w, 0, w, c.height, panel.title, series, r.inner, i === 0 ? r.restart_gaps : null);
  });
  const slope = r.slope === null ? 'not enough restarts to fit' : `fitted slope of ln(gap) against restarts ${r.slope.toFixed(2)} (gap × ${r.ratio.toFixed(2)} per restart; the schedule aims at × 0.37)`;
  $('conv-note').innerHTML =
    `<span style="color:${BLUE}">■</span> with restarts, <span style="color:${ORANGE}">■</span> without (FIRENET with one restart of all the steps, rescaled for it), ` +
    `<span style="color:${GREY}">■</span> plain Chambolle–Pock, last iterate. <span data-testid="slope" data-value="${r.slope}">${slope}</span>${msg.cancelled ? ' (cancelled)' : r.done ? '' : ' …'}`;
}

function logPanel(ctx, p, x0, y0, w, h, title, series, inner, marks) {
  const { u: dpr, fs, lw } = p;
  const pad = { l: 3.4 * fs, r: 0.8 * fs, t: 1.5 * fs, b: 2.2 * fs };
  const values = series.flatMap((s) => s.v).filter((v) => v > 0 && Number.isFinite(v));
  if (!values.length) return;
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const top = hi > lo ? hi : lo + 1;
  const count = Math.max(...series.map((s) => s.v.length), 1);
  const X = (k) => x0 + pad.l + (k / count) * (w - pad.l - pad.r);
  const Y = (v) => y0 + h - pad.b - ((Math.log10(v) - lo) / (top - lo)) * (h - pad.t - pad.b);
  ctx.strokeStyle = '#aaa';
  ctx.lineWidth = lw;
  ctx.strokeRect(x0 + pad.l, y0 + pad.t, w - pad.l - pad.r, h - pad.t - pad.b);
  ctx.fillStyle = '#333';
  ctx.textAlign = 'left';
  ctx.fillText(title, x0 + pad.l, y0 + 1.05 * fs);
  ctx.textAlign = 'right';
  const every = top - lo > 6 ? 2 : 1;
  for (let e = lo; e <= top; e += every) ctx.fillText(`1e${e}`, x0 + pad.l - 4 * dpr, Y(10 ** e) + 0.35 * fs);
  ctx.textAlign = 'center';
  for (let k = 0; k <= count; k += inner * Math.max(1, Math.ceil(count / inner / 6))) ctx.fillText(String(k), X(k), y0 + h - pad.b + fs + 2 * dpr);
  ctx.fillText('inner iterations (primal-dual steps)', x0 + w / 2, y0 + h - 4 * dpr);
  // Restart boundaries.
  ctx.strokeStyle = '#eee';
  for (let k = inner; k < count; k += inner) {
    ctx.beginPath();
    ctx.moveTo(X(k), y0 + pad.t);
    ctx.lineTo(X(k), y0 + h - pad.b);
    ctx.stroke();
  }
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = 1.5 * lw;
    ctx.setLineDash(s.dash);
    ctx.beginPath();
    let pen = false;
    s.v.forEach((v, k) => {
      if (!(v > 0 && Number.isFinite(v))) {
        pen = false;
        return;
      }
      if (pen) ctx.lineTo(X(k + 1), Y(v));
      else ctx.moveTo(X(k + 1), Y(v));
      pen = true;
    });
    ctx.stroke();
    ctx.setLineDash([]);
  }
  if (marks) {
    ctx.fillStyle = BLUE;
    marks.forEach((v, k) => {
      if (!(v > 0)) return;
      ctx.beginPath();
      ctx.arc(X((k + 1) * inner), Y(v), 3 * lw, 0, 2 * Math.PI);
      ctx.fill();
    });
  }
}

window.addEventListener('resize', () => {
  if (last) draw(last, false);
  if (lastConvergence) plotConvergence(lastConvergence);
});
