// The dimension page: address bar, controls, and two plots of the worker's numbers. The
// plots map values to pixels (log axes); nothing else is computed here.

import { buildControls, formatValue } from './controls.js';
import { $, connect, shown } from './page.js';

let controls = null;
let last = null;
const ORANGE = '#f59322';
const BLUE = '#0877bd';

const { change, link } = connect(
  new URL('./dimension-worker.js', import.meta.url),
  {
    ready(msg) {
      controls = buildControls($('controls'), msg.schema, (c) => change(c));
    },
    result(msg) {
      last = msg;
      show(msg);
    },
  },
  'barriers-lab-dimension.json',
  () => last?.state,
);

function show(msg) {
  controls.update(msg.state);
  const rows = msg.result.rows;
  $('rows').innerHTML =
    '<tr><th>d</th><th>accuracy</th><th>ε*</th><th>FGSM ε</th><th>‖w′‖₁</th><th>ε‖w′‖₁</th><th>margin</th></tr>' +
    rows.map((r) => `<tr><td>${r.side}² = ${r.d}</td><td>${(100 * r.test_accuracy).toFixed(1)} %</td><td data-testid="eps-star-${r.side}">${formatValue(r.mean_eps_star)}</td><td>${formatValue(r.mean_fgsm_eps)}</td><td>${formatValue(r.mean_w_l1)}</td><td data-testid="score-${r.side}">${formatValue(r.score_change_at_eps)}</td><td>${formatValue(r.mean_margin)}</td></tr>`).join('');
  plotEps(rows);
  plotScore(rows, msg.result.eps);
  shown(link, msg.query);
}

function setUpCanvas(id) {
  const c = /** @type {HTMLCanvasElement} */ ($(id));
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.round(c.clientWidth * dpr);
  c.height = Math.round(c.clientHeight * dpr);
  const ctx = c.getContext('2d');
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  return { c, ctx, dpr };
}

/** Log-log plot of eps* and the FGSM step against d. */
function plotEps(rows) {
  const { c, ctx, dpr } = setUpCanvas('plot-eps');
  if (!rows.length) return;
  const pad = { l: 56 * dpr, r: 16 * dpr, t: 24 * dpr, b: 36 * dpr };
  const ys = rows.flatMap((r) => [r.mean_eps_star, r.mean_fgsm_eps]);
  const [y0, y1] = [Math.log10(Math.min(...ys) / 1.5), Math.log10(Math.max(...ys) * 1.5)];
  const [x0, x1] = [Math.log10(40), Math.log10(5000)];
  const X = (d) => pad.l + ((Math.log10(d) - x0) / (x1 - x0)) * (c.width - pad.l - pad.r);
  const Y = (v) => c.height - pad.b - ((Math.log10(v) - y0) / (y1 - y0)) * (c.height - pad.t - pad.b);
  axes(ctx, c, pad, dpr, 'pixels d (log)', 'smallest flipping ε (log)');
  ctx.fillStyle = '#444';
  ctx.textAlign = 'center';
  for (const r of rows) ctx.fillText(`${r.side}²`, X(r.d), c.height - pad.b + 14 * dpr);
  ctx.textAlign = 'right';
  for (const v of [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]) if (Math.log10(v) > y0 && Math.log10(v) < y1) ctx.fillText(String(v), pad.l - 4 * dpr, Y(v) + 4 * dpr);
  series(ctx, rows.map((r) => [X(r.d), Y(r.mean_eps_star)]), ORANGE, dpr);
  series(ctx, rows.map((r) => [X(r.d), Y(r.mean_fgsm_eps)]), BLUE, dpr);
  ctx.textAlign = 'left';
  ctx.fillStyle = ORANGE;
  ctx.fillText('ε* = |f| / ‖w′‖₁ (exact)', pad.l + 8 * dpr, pad.t - 8 * dpr);
  ctx.fillStyle = BLUE;
  ctx.fillText('smallest flipping FGSM step', pad.l + 190 * dpr, pad.t - 8 * dpr);
}

/** Bars of eps ||w'||_1 (how far a step of eps can move the score) next to the margin. */
function plotScore(rows, eps) {
  const { c, ctx, dpr } = setUpCanvas('plot-score');
  if (!rows.length) return;
  const pad = { l: 56 * dpr, r: 16 * dpr, t: 24 * dpr, b: 36 * dpr };
  const top = Math.max(...rows.flatMap((r) => [r.score_change_at_eps, r.mean_margin])) * 1.1 || 1;
  const Y = (v) => c.height - pad.b - (v / top) * (c.height - pad.t - pad.b);
  const slot = (c.width - pad.l - pad.r) / rows.length;
  axes(ctx, c, pad, dpr, 'pixels d', 'score');
  rows.forEach((r, i) => {
    const x = pad.l + i * slot + slot * 0.2;
    const w = slot * 0.28;
    ctx.fillStyle = ORANGE;
    ctx.fillRect(x, Y(r.score_change_at_eps), w, c.height - pad.b - Y(r.score_change_at_eps));
    ctx.fillStyle = '#999';
    ctx.fillRect(x + w + 2 * dpr, Y(r.mean_margin), w, c.height - pad.b - Y(r.mean_margin));
    ctx.fillStyle = '#444';
    ctx.textAlign = 'center';
    ctx.fillText(`${r.side}²`, x + w, c.height - pad.b + 14 * dpr);
  });
  ctx.textAlign = 'left';
  ctx.fillStyle = ORANGE;
  ctx.fillText(`ε‖w′‖₁ at ε = ${eps}: the most a step of ε moves the score`, pad.l + 8 * dpr, pad.t - 8 * dpr);
  ctx.fillStyle = '#777';
  ctx.fillText('mean margin |f|', pad.l + 8 * dpr, pad.t + 8 * dpr);
}

function axes(ctx, c, pad, dpr, xlabel, ylabel) {
  ctx.strokeStyle = '#bbb';
  ctx.lineWidth = dpr;
  ctx.strokeRect(pad.l, pad.t, c.width - pad.l - pad.r, c.height - pad.t - pad.b);
  ctx.fillStyle = '#666';
  ctx.textAlign = 'center';
  ctx.fillText(xlabel, (pad.l + c.width - pad.r) / 2, c.height - 6 * dpr);
  ctx.save();
  ctx.translate(14 * dpr, (pad.t + c.height - pad.b) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(ylabel, 0, 0);
  ctx.restore();
}

function series(ctx, pts, colour, dpr) {
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineWidth = 2 * dpr;
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.stroke();
  for (const [x, y] of pts) {
    ctx.beginPath();
    ctx.arc(x, y, 3.5 * dpr, 0, 2 * Math.PI);
    ctx.fill();
  }
}

window.addEventListener('resize', () => last && show(last));
