// The dimension page: address bar, controls, and two plots of the worker's numbers. The
// plots map values to pixels (log axes); nothing else is computed here.

import { formatValue, stripAndPanel } from './controls.js';
import { $, connect, shown } from './page.js';
import { setUpCanvas, axes, padding, series, placeholder } from './plot.js';

/** The strip's keys; the others go in the settings panel. */
const MAIN = ['eps'];
const SIDES = [8, 14, 28, 56];
let controls = [];
let last = null;
const ORANGE = '#e8710a';
const BLUE = '#0867a8';
const GREY = '#8a8a8a';

const { change, link } = connect(
  new URL('./dimension-worker.js', import.meta.url),
  {
    ready(msg) {
      controls = stripAndPanel(msg.schema, MAIN, change);
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
  for (const c of controls) c.update(msg.state);
  const rows = msg.result.rows;
  // One column per image size, one row per quantity.
  const line = (head, cell) => `<tr><th>${head}</th>${rows.map((r) => `<td>${cell(r)}</td>`).join('')}</tr>`;
  $('rows').innerHTML = [
    line('pixels d', (r) => `<span title="d = ${r.d}">${r.side}²</span>`),
    line('accuracy', (r) => `${(100 * r.test_accuracy).toFixed(1)} %`),
    line('ε*', (r) => `<span data-testid="eps-star-${r.side}">${formatValue(r.mean_eps_star)}</span>`),
    line('FGSM ε', (r) => formatValue(r.mean_fgsm_eps)),
    line('FGSM ε, pixels kept in [0, 1]', (r) => `<span data-testid="fgsm-box-${r.side}">${formatValue(r.mean_fgsm_eps_box)}</span>`),
    line('‖w′‖₁', (r) => formatValue(r.mean_w_l1)),
    line(`ε‖w′‖₁`, (r) => `<span data-testid="score-${r.side}">${formatValue(r.score_change_at_eps)}</span>`),
    line('margin |f|', (r) => formatValue(r.mean_margin)),
  ].join('');
  plotEps(rows);
  plotScore(rows, msg.result.eps);
  shown(link, msg.query);
}

/** Log-log plot of eps* and the FGSM step against d. */
function plotEps(rows) {
  const c = /** @type {HTMLCanvasElement} */ ($('plot-eps'));
  const p = setUpCanvas(c);
  if (!rows.length) {
    placeholder(c, 'Measuring the classifiers: the points appear as each image size is done.');
    return;
  }
  const { ctx, fs, u } = p;
  const items = [
    ['ε* = |f| / ‖w′‖₁, the exact smallest flipping step', ORANGE],
    ['the smallest flipping FGSM step', BLUE],
  ];
  const ys = rows.flatMap((r) => [r.mean_eps_star, r.mean_fgsm_eps]);
  const yr = [Math.log10(Math.min(...ys) / 1.5), Math.log10(Math.max(...ys) * 1.5)];
  const xr = [Math.log10(40), Math.log10(5000)];
  const yTicks = [0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5].map(Math.log10).filter((v) => v > yr[0] && v < yr[1]);
  const xTicks = SIDES.map((side) => Math.log10(side * side));
  const { X, Y } = axes(ctx, p, c, xr, yr, 'pixels d (log scale)', 'smallest flipping ε (log)', {
    pad: { ...padding(fs, u), t: legend(ctx, p, items, false) + 0.2 * fs },
    xTicks,
    xText: (v) => `${Math.round(Math.sqrt(10 ** v))}²`,
    yTicks,
    yText: (v) => String(Number((10 ** v).toPrecision(2))),
  });
  series(ctx, p, rows.map((r) => [X(Math.log10(r.d)), Y(Math.log10(r.mean_eps_star))]), ORANGE);
  series(ctx, p, rows.map((r) => [X(Math.log10(r.d)), Y(Math.log10(r.mean_fgsm_eps))]), BLUE);
  legend(ctx, p, items);
}

/** Bars of eps ||w'||_1 (how far a step of eps can move the score) next to the margin. */
function plotScore(rows, eps) {
  const c = /** @type {HTMLCanvasElement} */ ($('plot-score'));
  const p = setUpCanvas(c);
  if (!rows.length) {
    placeholder(c, 'The score change ε‖w′‖₁ against the margin appears here, size by size.');
    return;
  }
  const { ctx, fs, u } = p;
  const items = [
    [`ε‖w′‖₁ at ε = ${eps}: the most a step of ε can move the score`, ORANGE],
    ['the mean margin |f|: how far the score must move to flip', GREY],
  ];
  const top = Math.max(...rows.flatMap((r) => [r.score_change_at_eps, r.mean_margin])) * 1.15 || 1;
  const { Y, left, right, bottom } = axes(ctx, p, c, [0, 1], [0, top], 'pixels d', 'score change', {
    pad: { ...padding(fs, u), t: legend(ctx, p, items, false) + 0.2 * fs },
    xTicks: [],
  });
  const slot = (right - left) / SIDES.length;
  rows.forEach((r, i) => {
    const x = left + i * slot + slot * 0.2;
    const w = slot * 0.28;
    ctx.fillStyle = ORANGE;
    ctx.fillRect(x, Y(r.score_change_at_eps), w, bottom - Y(r.score_change_at_eps));
    ctx.fillStyle = GREY;
    ctx.fillRect(x + w + 2 * u, Y(r.mean_margin), w, bottom - Y(r.mean_margin));
    ctx.fillStyle = '#333';
    ctx.textAlign = 'center';
    ctx.fillText(`${r.side}²`, x + w, bottom + fs + 3 * u);
  });
  legend(ctx, p, items);
}

/**
 * A legend above the plot's frame: a coloured square and its words per item, each item on its
 * own lines, wrapped at spaces to the canvas width. Returns the height it takes (drawn only if
 * `draw`).
 */
function legend(ctx, p, items, draw = true) {
  const { fs } = p;
  const x0 = 0.6 * fs;
  const room = ctx.canvas.width - x0 - 1.6 * fs;
  let y = 1.1 * fs;
  ctx.textAlign = 'left';
  for (const [text, colour] of items) {
    const lines = [];
    let line = '';
    for (const word of text.split(' ')) {
      const next = line ? `${line} ${word}` : word;
      if (line && ctx.measureText(next).width > room) {
        lines.push(line);
        line = word;
      } else line = next;
    }
    lines.push(line);
    if (draw) {
      ctx.fillStyle = colour;
      ctx.fillRect(x0, y - 0.75 * fs, 0.8 * fs, 0.8 * fs);
      ctx.fillStyle = '#333';
      lines.forEach((l, i) => ctx.fillText(l, x0 + 1.2 * fs, y + i * 1.2 * fs));
    }
    y += lines.length * 1.2 * fs;
  }
  return y;
}

window.addEventListener('resize', () => last && show(last));
