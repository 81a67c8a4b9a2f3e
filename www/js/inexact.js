// The inexact-input page: keeps the address bar in step with the state, wires the controls to
// the worker, and draws what it computed: the picture of the barrier (the first two
// coordinates in the units of 10^-K the worker gives), the readouts, the unrolling curves
// (log axes) and the nine-cell table. Values are only mapped to pixels and put into words
// here; every number comes from Rust.

import { formatValue, stripAndPanel } from './controls.js';
import { $, connect, framed, shown } from './page.js';
import { setUpCanvas, axes, padding, series, placeholder } from './plot.js';

/** The strip's keys; the others go in the settings panel. */
const MAIN = ['k', 'n'];
const COLOURS = { firenet: '#c0392b', cp: '#2e8b57', lista: '#8e44ad' };
/** The methods' marks in words (the picture draws the same shapes). */
const SYMBOLS = { firenet: '□', cp: '◆', lista: '✕' };
const EXACT = '#0867a8';
const GIVEN = '#e8710a';
const FLOOR = '#a4001d';
const LOSS = '#777';

/** @type {ReturnType<typeof stripAndPanel>} */
let controls = [];
let state = null;
/** The last results, to redraw on a resize. */
const last = { cell: null, table: null };

const { send, change, link } = connect(
  new URL('./inexact-worker.js', import.meta.url),
  {
    ready(msg) {
      controls = stripAndPanel(msg.schema, MAIN, change);
      $('run').addEventListener('click', () => send({ type: 'run' }));
    },
    state: (msg) => showState(msg.state, msg.query),
    // Results come after the state they belong to (the worker posts the state first).
    cell(msg) {
      last.cell = msg.result;
      drawCell(msg.result);
      if (msg.result.firenet) framed(msg.query);
    },
    table(msg) {
      last.table = msg.result;
      drawTable(msg.result);
    },
    shown(msg) {
      $('run').hidden = msg.finished;
      shown(link, msg.query);
    },
  },
  'barriers-lab-inexact.json',
  () => state,
);

// ------------------------------------------------------------------ numbers in words

const SUPERSCRIPT = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
/** An integer as superscript characters (a minus as ⁻). */
const sup = (n) => [...String(n)].map((ch) => SUPERSCRIPT[ch] ?? ch).join('');
/** 10^e as text: 1, 10, 10⁻³. */
const pow10 = (e) => (e === 0 ? '1' : e === 1 ? '10' : `10${sup(e)}`);

/** A number for reading: three significant digits, as m·10ⁿ when it is small or large; the
 *  worker's "inf" and "nan" as symbols, a missing number as a dash. */
function sci(v, digits = 3) {
  if (v === null || v === undefined) return '–';
  if (v === 'inf') return '∞';
  if (v === 'nan' || Number.isNaN(v)) return '–';
  if (typeof v !== 'number') return String(v);
  if (v === 0) return '0';
  if (Math.abs(v) >= 1e-2 && Math.abs(v) < 1e4) return String(Number(v.toPrecision(digits)));
  const [m, e] = v.toExponential(digits - 1).split('e');
  return `${m}·10${sup(Number(e))}`;
}

/** A number with its full value for tests and tooltips. */
const val = (v, id = '') => `<span ${id ? `data-testid="${id}" ` : ''}data-value="${v}" title="${v}">${sci(v)}</span>`;
const yesNo = (b, id) => `<span class="${b ? 'yes' : 'no'}" data-testid="${id}">${b ? 'yes' : 'no'}</span>`;

// ------------------------------------------------------------------ the state

function showState(s, query) {
  state = s;
  for (const c of controls) c.update(s);
  const words = { 'v-k': s.k, 'v-k1': s.k - 1, 'v-k2': s.k - 2, 'v-n': s.n };
  for (const [cls, v] of Object.entries(words)) for (const el of document.querySelectorAll(`.${cls}`)) el.textContent = String(v).replace('-', '−');
  $('theorem-note').hidden = s.k >= 3;
  $('run').hidden = true;
  link.write(query, true);
  $('demo').dataset.query = query;
}

// ------------------------------------------------------------------ the cell

function drawCell(r) {
  drawPicture(r);
  showReadouts(r);
  plotSolvers(r);
  plotLista(r);
}

function showReadouts(r) {
  const dl = (rows) => rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
  $('cell-facts').innerHTML = dl([
    [`‖A<sub>n</sub> − A‖₂, the input’s error`, `${val(r.a_dist, 'a-dist')} (≤ 2${sup(-r.n)})`],
    ['‖y<sub>n</sub> − y‖₂', val(r.y_dist, 'y-dist')],
    ['the minimisers’ gap', val(r.minimiser_gap, 'gap')],
    [`the barrier 1.5·10${sup(-r.k)}`, val(r.barrier, 'barrier')],
  ]);
  const head =
    '<tr><th>method</th><th>error (exact problem)</th><th>error (given problem)</th><th>the worse of the two</th>' +
    `<th>correct digits</th><th>K − 1 = ${r.k - 1} digits</th><th>K = ${r.k} digits</th></tr>`;
  const rows = r.methods.map(([m, label]) => {
    const s = r[m];
    const cells = s
      ? [val(s.error, `m-${m}-error`), val(s.error_given, `m-${m}-given`), val(s.worst, `m-${m}-worst`), `<span data-testid="m-${m}-digits">${s.digits}</span>`, yesNo(s.k_minus_1_digits, `m-${m}-k1`), yesNo(s.k_digits, `m-${m}-k`)]
      : Array(6).fill('<span class="pending">…</span>');
    return `<tr><td><i class="ix-key" style="color:${COLOURS[m]}">${SYMBOLS[m]}</i>${label}</td>${cells.map((x) => `<td>${x}</td>`).join('')}</tr>`;
  });
  $('methods').innerHTML = head + rows.join('');
}

/** A method's mark: FIRENET a hollow square, Chambolle-Pock a diamond, LISTA a cross. */
function mark(ctx, p, method, x, y) {
  const s = 6 * p.u;
  ctx.strokeStyle = COLOURS[method];
  ctx.fillStyle = COLOURS[method];
  ctx.lineWidth = 2 * p.lw;
  ctx.beginPath();
  if (method === 'firenet') {
    ctx.strokeRect(x - s, y - s, 2 * s, 2 * s);
    return;
  }
  if (method === 'cp') {
    const d = 0.8 * s;
    ctx.moveTo(x, y - d);
    ctx.lineTo(x + d, y);
    ctx.lineTo(x, y + d);
    ctx.lineTo(x - d, y);
    ctx.closePath();
    ctx.fill();
    return;
  }
  ctx.moveTo(x - s, y - s);
  ctx.lineTo(x + s, y + s);
  ctx.moveTo(x + s, y - s);
  ctx.lineTo(x - s, y + s);
  ctx.stroke();
}

/** The picture of the barrier: the first two coordinates in units of 10^-K, equal scales. */
function drawPicture(r) {
  const c = /** @type {HTMLCanvasElement} */ ($('picture'));
  const p = setUpCanvas(c);
  const { ctx, fs, u, lw } = p;
  const pic = r.picture;
  const R = pic.radius;
  const unit = pow10(-r.k);
  // The window (the demo's, as on the poster), widened to the canvas's shape.
  const { centre: mid, half } = pic.view;
  const pad = padding(fs, u);
  const fw = c.width - pad.l - pad.r;
  const fh = c.height - pad.t - pad.b;
  const [hx, hy] = fw > fh ? [(half * fw) / fh, half] : [half, (half * fh) / fw];
  const { X, Y, left, right, top, bottom } = axes(ctx, p, c, [mid[0] - hx, mid[0] + hx], [mid[1] - hy, mid[1] + hy], `z₁ (${unit})`, `z₂ (${unit})`, { pad });
  const scale = X(1) - X(0);
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, right - left, bottom - top);
  ctx.clip();
  // The segment between the minimisers, then the circles of radius 1.5 around each.
  series(ctx, p, [[X(pic.exact[0]), Y(pic.exact[1])], [X(pic.given[0]), Y(pic.given[1])]], '#999', { dash: [4, 4], dots: 0, width: 1 });
  for (const [pt, colour] of [
    [pic.exact, EXACT],
    [pic.given, GIVEN],
  ]) {
    ctx.beginPath();
    ctx.arc(X(pt[0]), Y(pt[1]), R * scale, 0, 2 * Math.PI);
    ctx.globalAlpha = 0.1;
    ctx.fillStyle = colour;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5 * lw;
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(X(pt[0]), Y(pt[1]), 4.5 * u, 0, 2 * Math.PI);
    ctx.fill();
  }
  // The radius, drawn from the exact minimiser to the right; the minimisers' names.
  const [ex, ey] = [X(pic.exact[0]), Y(pic.exact[1])];
  series(ctx, p, [[ex, ey], [ex + R * scale, ey]], EXACT, { dots: 0, width: 1 });
  ctx.fillStyle = EXACT;
  ctx.textAlign = 'center';
  ctx.fillText(`r = ${R}`, ex + (R * scale) / 2, ey - 5 * u);
  ctx.fillText('exact (j = 1)', ex, ey + 1.4 * fs);
  ctx.textAlign = 'left';
  ctx.fillStyle = GIVEN;
  ctx.fillText('given (j = 2)', X(pic.given[0]) + 9 * u, Y(pic.given[1]) - 8 * u);
  // Where each method landed (at the edge, with its name, if far outside).
  const drawn = [];
  for (const m of pic.marks) {
    const inset = 10 * u;
    const x = Math.min(right - inset, Math.max(left + inset, X(m.at[0])));
    const y = Math.min(bottom - inset, Math.max(top + inset, Y(m.at[1])));
    mark(ctx, p, m.method, x, y);
    if (m.far || x !== X(m.at[0]) || y !== Y(m.at[1])) {
      ctx.fillStyle = COLOURS[m.method];
      ctx.textAlign = x > (left + right) / 2 ? 'right' : 'left';
      ctx.fillText(`${m.label}: off the picture`, x + (x > (left + right) / 2 ? -10 : 10) * u, y + 0.35 * fs);
    }
    drawn.push(m.method);
  }
  ctx.restore();
  c.dataset.marks = drawn.join(',');
}

// ------------------------------------------------------------------ the unrolling curves

/** The numbers of a curve that a log axis can show. */
const positive = (v) => typeof v === 'number' && v > 0;

/**
 * A log-log plot of curves against steps, with the barrier as a horizontal line and the
 * error of K - 1 digits as a dotted one. `lines`: [{pts: [[at, value]], colour, dash}].
 */
function logPlot(c, r, xRange, lines, xLabel, title) {
  const p = setUpCanvas(c);
  const { ctx, fs, u } = p;
  const values = lines.flatMap((l) => l.pts.map((pt) => pt[1])).filter(positive);
  const ys = [...values, r.barrier, r.k_minus_1].map(Math.log10);
  const yr = [Math.max(-17, Math.floor(Math.min(...ys) - 0.2)), Math.ceil(Math.max(...ys) + 0.2)];
  const xr = [Math.log10(xRange[0]), Math.log10(xRange[1])];
  const { X, Y, left, right } = axes(ctx, p, c, xr, yr, xLabel, 'error (log)', {
    pad: { ...padding(fs, u), t: 1.6 * fs },
    xLog: true,
    yLog: true,
    xText: pow10,
    yText: pow10,
  });
  ctx.fillStyle = '#333';
  ctx.textAlign = 'left';
  ctx.fillText(title, left, 1.1 * fs);
  // The barrier and K - 1 digits.
  const labels = [];
  for (const [v, colour, dash, text] of [
    [r.barrier, FLOOR, [6, 4], `the barrier 1.5·${pow10(-r.k)}`],
    [r.k_minus_1, '#888', [2, 3], `K − 1 digits: ${pow10(-(r.k - 1))}`],
  ]) {
    const y = Y(Math.log10(v));
    series(ctx, p, [[left, y], [right, y]], colour, { dash, dots: 0, width: 1 });
    labels.push([text, colour, y]);
  }
  for (const l of lines) {
    const pts = l.pts.filter((pt) => pt[0] > 0 && positive(pt[1])).map(([x, y]) => [X(Math.log10(x)), Y(Math.log10(y))]);
    if (pts.length) series(ctx, p, pts, l.colour, { dash: l.dash ?? [], dots: 0, width: 1.6 });
  }
  // The lines' labels over the curves, on a light ground.
  ctx.textAlign = 'right';
  for (const [text, colour, y] of labels) {
    const w = ctx.measureText(text).width;
    ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
    ctx.fillRect(right - 6 * u - w, y - 3 * u - fs, w + 4 * u, 1.15 * fs);
    ctx.fillStyle = colour;
    ctx.fillText(text, right - 4 * u, y - 4 * u);
  }
}

/** FIRENET's error against its layers and Chambolle-Pock's against its steps. */
function plotSolvers(r) {
  const c = /** @type {HTMLCanvasElement} */ ($('plot-solvers'));
  const curves = { firenet: r.firenet_curve, cp: r.cp_curve };
  if (!r.firenet_curve.length) {
    placeholder(c, 'FIRENET and Chambolle-Pock run first: their errors, layer by layer, appear here.');
    return;
  }
  const lines = Object.entries(curves).flatMap(([m, pts]) => [
    { pts: pts.map((q) => [q.at, q.error]), colour: COLOURS[m] },
    { pts: pts.map((q) => [q.at, q.error_given]), colour: COLOURS[m], dash: [5, 4] },
  ]);
  const most = Math.max(r.firenet_layers, r.cp_iters, 10);
  logPlot(c, r, [1, most], lines, 'layers, steps (log)', 'FIRENET and Chambolle-Pock');
  c.dataset.points = String(r.firenet_curve.length + r.cp_curve.length);
}

/** LISTA's error and relative training loss against its training steps, as it trains. */
function plotLista(r) {
  const c = /** @type {HTMLCanvasElement} */ ($('plot-lista'));
  const pts = r.lista_curve;
  c.dataset.points = String(pts.length);
  if (!r.lista_steps) {
    placeholder(c, 'LISTA is not trained here (0 training steps): set its steps in the settings.');
    return;
  }
  if (!pts.length) {
    placeholder(c, 'LISTA trains after FIRENET and Chambolle-Pock: its error appears here as it learns.');
    return;
  }
  const lines = [
    { pts: pts.map((q) => [q.at, q.loss]), colour: LOSS, dash: [2, 3] },
    { pts: pts.map((q) => [q.at, q.error]), colour: COLOURS.lista },
    { pts: pts.map((q) => [q.at, q.error_given]), colour: COLOURS.lista, dash: [5, 4] },
  ];
  const first = Math.max(1, pts[0].at);
  const now = pts[pts.length - 1].at;
  const title = now < r.lista_steps ? `LISTA training: step ${now} of ${r.lista_steps}` : 'LISTA, trained';
  logPlot(c, r, [first, Math.max(first * 10, r.lista_steps)], lines, 'training steps (log)', title);
}

// ------------------------------------------------------------------ the table

function drawTable(t) {
  const table = $('table');
  const note = $('table-note');
  if (!t) {
    table.innerHTML = '';
    note.textContent = 'The nine cells of the paper’s table are computed after the cell above.';
    return;
  }
  const methods = t.methods;
  const head =
    '<tr><th>K</th><th>n</th><th>‖A<sub>n</sub> − A‖₂</th><th>‖y<sub>n</sub> − y‖₂</th><th>gap</th>' +
    `${methods.map(([, label]) => `<th>${label}</th>`).join('')}</tr>`;
  const rows = t.rows.map((row, i) => {
    const cells = methods.map(([m]) => {
      const e = row[`${m}_error`];
      const digits = row[`digits_${m}`];
      if (e === null || digits === null) return `<td class="pending">…</td>`;
      // Digits against the exact problem: K - 1 (✓) or K (✓✓), or fewer (✗).
      const k1 = digits >= row.k - 1;
      const k = digits >= row.k;
      const sign = k ? '✓✓' : k1 ? '✓' : '✗';
      const id = `${m}-${row.k}-${row.n}`;
      return (
        `<td>${val(e, `t-${id}`)} <span title="correct digits">${digits}</span>` +
        `<span class="mark ${k1 ? 'yes' : 'no'}" data-testid="k1-${id}" data-k1="${k1}" data-k="${k}">${sign}</span></td>`
      );
    });
    const current = i === t.highlight ? ' class="current" aria-current="true"' : '';
    return (
      `<tr data-testid="row-${row.k}-${row.n}"${current}><td>${row.k}</td><td>${row.n}</td>` +
      `<td>${val(row.a_dist)}</td><td>${val(row.y_dist)}</td><td>${val(row.minimiser_gap)}</td>${cells.join('')}</tr>`
    );
  });
  table.innerHTML = head + rows.join('');
  table.dataset.done = String(t.done);
  const s = state;
  const settings = s
    ? ` FIRENET ${s.restarts}·${s.inner} layers, Chambolle-Pock ${formatValue(s.cp_iters)} steps, LISTA ${formatValue(s.lista_steps)} Adam steps (seed ${s.seed}).`
    : '';
  note.textContent =
    (t.done ? 'All nine cells.' : `${t.cells_done} of 9 cells done…`) +
    (t.current ? settings : ' (for other settings: recomputed after the cell above.)') +
    ' Each method’s error against the exact problem and its correct digits: ✓ K − 1 digits, ✓✓ K digits, ✗ fewer.' +
    (t.highlight === null || t.highlight === undefined ? '' : ' The highlighted row is the cell above.');
}

window.addEventListener('resize', () => {
  if (last.cell) drawCell(last.cell);
});
