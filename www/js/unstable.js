// The unstable-network page: keeps the address bar in step with the state, wires the tabs,
// the controls and the clicks (the detail's position, a trade-off point, a rate) to the
// worker, and draws what it computed: pictures as RGBA from Rust, plots by mapping values to
// pixels. No other math here.

import { buildControls, labelsOf } from './controls.js';
import { $, connect, blit, framed, onArrows } from './page.js';
import { setUpCanvas, axes as frameAxes, span } from './plot.js';

const GROUPS = {
  // The strip shows the current view's main slider (see MAIN_OF).
  'controls-main': ['budget', 'delta', 'detail_amp', 'show_rate'],
  'controls-image': ['image_seed', 'noise', 'net'],
  'controls-test': ['method', 'iters', 'lambda', 'eta', 'gamma', 'attack_seed'],
  'controls-transfer': ['transfer_to'],
  'controls-detail': ['detail_texture', 'detail_radius'],
  'controls-samples': ['samples_images'],
  'controls-tradeoff': ['tradeoff_iters', 'tradeoff_images'],
  'controls-methods': ['lambda_tv', 'lambda_w', 'wavelet', 'levels', 'cp_iters', 'restarts', 'inner', 'firenet_on'],
};
/** Which of the strip's sliders each view shows. */
const MAIN_OF = { test: ['budget'], kernel: ['delta', 'detail_amp'], structure: ['detail_amp'], samples: ['show_rate'], tradeoff: ['budget'] };
/** The methods, in the schema's order (the wasm's list). */
let METHODS = [];
/** Each method's short title: the menu's words without their parenthesis (from the schema). */
let TITLES = /** @type {Record<string, string>} */ ({});
/** Each shipped network's menu words (from the schema). */
let NETS = /** @type {Record<string, string>} */ ({});
const COLOURS = { net: '#c0392b', firenet: '#0877bd', tv: '#2e8b57', 'cs-wavelet': '#8e44ad', adjoint: '#777' };

/** @type {ReturnType<typeof buildControls>[]} */
const controls = [];
let info = null;
let state = null;
/** The last results, to redraw on a resize. */
const last = { test: null, transfer: null, equal: null, detail: null, samples: null, rate: null, tradeoff: null };
/** Where the trade-off plot drew its points (for clicks). */
let tradeoffHits = [];
let samplesHits = [];

const { send, change, link } = connect(
  new URL('./unstable-worker.js', import.meta.url),
  {
    ready: (msg) => setUp(msg.schema),
    info: (msg) => showInfo(msg.info),
    state: (msg) => showState(msg.state, msg.query),
    'test-progress': (msg) => {
      const text = `iteration ${msg.iteration} of ${msg.planned}, amplification ${fmt(msg.amplification)}`;
      $('busy-extra').textContent = text;
      $('t-status').textContent = `Running: ${text}.`;
    },
    // Results come after the state they belong to (the worker posts the state first).
    test: (msg) => {
      drawTest((last.test = msg));
      framedNow();
    },
    transfer: (msg) => drawTransfer((last.transfer = msg)),
    equal: (msg) => drawEqual((last.equal = msg)),
    detail: (msg) => {
      drawDetail((last.detail = msg));
      framedNow();
    },
    samples: (msg) => {
      plotSamples((last.samples = msg));
      framedNow();
    },
    rate: (msg) => {
      drawRate((last.rate = msg));
      framedNow();
    },
    tradeoff: (msg) => {
      drawTradeoff((last.tradeoff = msg));
      framedNow();
    },
    shown: (msg) => shownAs(msg.query, msg.finished),
    failed: (msg) => {
      const el = statusOf(msg.view);
      if (el) el.textContent = `Not shown: ${msg.message}`;
      shownAs(msg.query);
    },
  },
  'barriers-lab-unstable.json',
  () => state,
);

/** A number for reading: 3 significant digits; the worker's "inf" and "nan" as symbols. */
function fmt(v, digits = 3) {
  if (v === null || v === undefined) return '–';
  if (v === 'inf') return '∞';
  if (v === '-inf') return '−∞';
  if (v === 'nan' || Number.isNaN(v)) return '–';
  if (typeof v !== 'number') return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}
const pct = (v) => (typeof v === 'number' ? `${(100 * v).toFixed(1)} %` : fmt(v));
const db = (v) => `${fmt(v, 4)} dB`;
/** A number shown with its full value for tests and tooltips. */
const val = (v, text, id = '') => `<span ${id ? `data-testid="${id}"` : ''} data-value="${v}" title="${v}">${text}</span>`;

function setUp(schema) {
  const byKey = Object.fromEntries(schema.map((f) => [f.key, f]));
  METHODS = byKey.method.options;
  const labels = labelsOf(schema, 'method');
  TITLES = Object.fromEntries(METHODS.map((/** @type {string} */ m) => [m, labels[m].replace(/ \(.*\)$/, '')]));
  NETS = labelsOf(schema, 'net');
  for (const [id, keys] of Object.entries(GROUPS)) controls.push(buildControls($(id), keys.map((k) => byKey[k]), change));
  for (const b of document.querySelectorAll('.tabs button')) {
    b.addEventListener('click', () => change({ view: /** @type {HTMLElement} */ (b).dataset.view }));
  }
  $('run').addEventListener('click', () => send({ type: 'run' }));
  for (const id of ['k-x', 's-x']) {
    $(id).addEventListener('click', (ev) => {
      const c = /** @type {HTMLCanvasElement} */ (ev.currentTarget);
      const r = c.getBoundingClientRect();
      const n = info?.side;
      if (!n) return;
      // The pixel clicked, as a fraction of the side (the lesion centres on that pixel).
      const at = [(ev.clientX - r.left) / r.width, (ev.clientY - r.top) / r.height].map((f) => Math.min(n - 1, Math.max(0, Math.floor(f * n))) / n);
      change({ detail: at });
    });
    // The keys move the detail a pixel at a time (Shift: four), from the middle if there is none.
    onArrows($(id), (dx, dy, big) => {
      const n = info?.side;
      if (!n || !state) return;
      const [cx, cy] = state.detail ?? [Math.floor(n / 2) / n, Math.floor(n / 2) / n];
      const k = big ? 4 : 1;
      const at = [cx, cy].map((f, i) => Math.min(n - 1, Math.max(0, Math.round(f * n) + k * [dx, dy][i])) / n);
      change({ detail: at });
    });
  }
  $('plot-tradeoff').addEventListener('mousemove', (ev) => {
    const hit = nearest(tradeoffHits, ev);
    /** @type {HTMLElement} */ (ev.currentTarget).title = hit ? `${hit.label}: amplification ${fmt(hit.amplification)} (click to open its test)` : '';
  });
  $('plot-tradeoff').addEventListener('click', (ev) => {
    const hit = nearest(tradeoffHits, ev);
    if (hit) send({ type: 'pick', query: hit.query });
  });
  $('plot-samples').addEventListener('click', (ev) => {
    const hit = nearest(samplesHits, ev, 1e9, true);
    if (hit) change({ show_rate: hit.rate });
  });
}

/** The drawn item nearest a click (within `reach` CSS pixels; only along x if `xOnly`). */
function nearest(items, ev, reach = 14, xOnly = false) {
  const c = /** @type {HTMLCanvasElement} */ (ev.currentTarget);
  const r = c.getBoundingClientRect();
  const dpr = c.width / Math.max(1, r.width);
  const [px, py] = [(ev.clientX - r.left) * dpr, (ev.clientY - r.top) * dpr];
  let best = null;
  let bestD = reach * dpr;
  for (const it of items) {
    const d = xOnly ? Math.abs(it.x - px) : Math.hypot(it.x - px, it.y - py);
    if (d < bestD) [best, bestD] = [it, d];
  }
  return best;
}

function showInfo(i) {
  info = i;
  const arch = i.architecture === 'dense' ? 'dense (AUTOMAP-like)' : i.architecture;
  $('net-facts').textContent =
    `The network: ${arch}, ${i.n_params.toLocaleString('en')} weights, ${i.side} × ${i.side}, trained on the “${i.family}” family ` +
    `at ${i.mask} ${pct(i.rate)} (${i.samples} samples) with ${pct(i.noise)} noise, validation ${i.validation_psnr === null ? '–' : db(i.validation_psnr)}.`;
  const box = $('site-buttons');
  box.replaceChildren();
  i.sites.forEach((at, k) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = `Site ${k + 1}`;
    b.title = 'One of the four places where the network was trained to expect a lesion';
    b.addEventListener('click', () => change({ detail: at }));
    box.append(b);
  });
  if (!i.sites.length) box.hidden = true;
}

function showState(s, query) {
  state = s;
  $('run').hidden = true;
  for (const c of controls) c.update(s);
  for (const b of document.querySelectorAll('.tabs button')) {
    b.setAttribute('aria-selected', String(/** @type {HTMLElement} */ (b).dataset.view === s.view));
  }
  for (const v of document.querySelectorAll('.view')) /** @type {HTMLElement} */ (v).hidden = /** @type {HTMLElement} */ (v).dataset.view !== s.view;
  for (const p of document.querySelectorAll('[data-views]')) /** @type {HTMLElement} */ (p).hidden = !(/** @type {HTMLElement} */ (p).dataset.views.split(' ').includes(s.view));
  for (const c of controls) {
    c.setEnabled('method', s.view === 'test');
    c.setEnabled('iters', s.view === 'test');
    for (const key of GROUPS['controls-main']) c.setShown(key, MAIN_OF[s.view].includes(key));
  }
  $('image-note').textContent =
    s.view === 'samples' || s.view === 'tradeoff'
      ? `The ${s.view === 'samples' ? 'curve averages over' : 'PSNR averages over'} held-out images family:9001 and on; the image below is family:${s.image_seed}.`
      : s.image_seed > 9000
        ? `family:${s.image_seed}, held out of training and tuning.`
        : `family:${s.image_seed} is not held out (seeds up to 9000 are for training and validation).`;
  link.write(query, true);
  $('demo').dataset.query = query;
}

/** Marks the state's first frame as drawn (after a drawing function has run). */
function framedNow() {
  framed($('demo').dataset.query);
}

function shownAs(query, finished = true) {
  $('run').hidden = finished;
  link.write(query);
  const d = $('demo');
  d.dataset.query = query;
  d.dataset.drawn = query;
  d.dataset.frame = query;
}

function statusOf(view) {
  return { test: $('t-status'), kernel: $('k-note'), structure: $('s-facts'), samples: $('samples-note'), tradeoff: $('tradeoff-note') }[view];
}

const side = () => info?.side ?? 32;

function put(id, pics, name) {
  if (pics[name]) blit($(id), pics[name], side());
}

const dl = (rows) => rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');

// ------------------------------------------------------------------ the instability test

function drawTest(msg) {
  const { result: r, pictures: pics } = msg;
  put('t-truth', pics, 'truth');
  put('t-clean', pics, 'clean');
  $('t-cap-truth').textContent = `family:${r.image_seed}${r.held_out ? ' (held out)' : ''}`;
  $('t-cap-clean').textContent = `${TITLES[r.method]}, ${db(r.psnr_clean)}`;
  const box = $('t-snaps');
  if (box.children.length !== r.snapshots.length) {
    box.replaceChildren(
      ...r.snapshots.map((_, j) => {
        const row = document.createElement('div');
        row.className = 'un-row snap';
        row.innerHTML = ['r', 'xr', 'out', 'diff'].map((k) => `<figure><canvas id="t-${k}-${j}" class="img" aria-label="${k} ${j + 1}"></canvas></figure>`).join('') + `<div class="un-numbers"><dl class="facts" id="t-snap-${j}" data-testid="snapshot-${j}"></dl></div>`;
        return row;
      }),
    );
  }
  r.snapshots.forEach((s, j) => {
    for (const k of ['r', 'xr', 'out', 'diff']) put(`t-${k}-${j}`, pics, `${k}:${j}`);
    $(`t-snap-${j}`).innerHTML = dl([
      [`r<sub>${j + 1}</sub>, iteration`, `${s.iteration}`],
      ['‖r‖ / ‖x‖', val(s.r_rel, fmt(s.r_rel), `snap-r-${j}`)],
      ['error ‖Ψ − x‖ / ‖x‖', `${val(s.error, pct(s.error), `snap-error-${j}`)} (clean ${pct(s.clean_error)})`],
      ['amplification ‖ΔΨ‖ / ‖r‖', val(s.amplification, fmt(s.amplification), `snap-amp-${j}`)],
      ['‖ΔΨ‖ / ‖A r‖', fmt(s.lipschitz)],
      ['Gaussian control', `amplification ${val(s.noise_amplification, fmt(s.noise_amplification), `snap-gauss-amp-${j}`)}, error ${val(s.noise_error, pct(s.noise_error), `snap-gauss-error-${j}`)}`],
    ]);
  });
  const s = r.summary;
  const heads = document.querySelector('.un-heads');
  /** @type {HTMLElement} */ (heads).hidden = !r.snapshots.length;
  heads.lastElementChild.textContent = r.snapshots.length ? `|difference| at ${fmt(r.diff_scale)} = white; r at ±${fmt(r.r_scale)}` : '';
  $('t-summary').innerHTML = s
    ? dl([
        ['PSNR of Ψ(Ax + e)', val(s.psnr_clean, db(s.psnr_clean), 'sum-psnr')],
        ['error, clean', val(s.err_clean, pct(s.err_clean), 'sum-err-clean')],
        ['error, perturbed (r₃)', val(s.err_perturbed, pct(s.err_perturbed), 'sum-err-perturbed')],
        ['error, Gaussian', val(s.err_gaussian, pct(s.err_gaussian), 'sum-err-gaussian')],
        [
          'worst amplification',
          `<b>${val(s.amplification, fmt(s.amplification), 'sum-amplification')}</b> <span title="The largest amplification over the ascent’s iterates with ‖r‖ at least half the final ‖r‖; a smaller snapshot such as r₁ may read higher.">(largest over iterates with ‖r‖ ≥ ½ the final ‖r‖, ‖r‖ ≤ ${fmt(r.budget)} ‖x‖)</span>`,
        ],
        ['Gaussian amplification', val(s.amplification_gaussian, fmt(s.amplification_gaussian), 'sum-amp-gaussian')],
        ['‖ΔΨ‖ / ‖A r‖ (r₃)', fmt(s.lipschitz)],
      ])
    : dl([['PSNR of Ψ(Ax + e)', db(r.psnr_clean)], ['error, clean', pct(r.clean_error)]]);
  const paused = !r.done && r.current && !msg.running;
  $('t-status').textContent = r.done
    ? `${TITLES[r.method]}: ${r.iterations} iterations done.`
    : paused
      ? `Paused at iteration ${r.iterations} of ${r.planned}: Continue goes on.`
      : `Running: iteration ${r.iterations} of ${r.planned}.`;
  if (!r.done) {
    $('tr-facts').innerHTML = '';
    $('tr-name').textContent = 'another method';
  }
}

function drawTransfer(msg) {
  const { result: t, pictures: pics } = msg;
  put('tr-clean', pics, 'clean');
  put('tr-out', pics, 'out');
  put('tr-diff', pics, 'diff');
  $('tr-name').textContent = TITLES[t.method];
  $('tr-cap-diff').textContent = `(white = ${fmt(t.diff_scale)})`;
  $('tr-facts').innerHTML = dl([
    ['‖r‖ / ‖x‖', fmt(t.r_rel)],
    [`amplification, ${TITLES[t.method]}`, `<b>${val(t.amplification, fmt(t.amplification), 'transfer-amp')}</b> (${TITLES[t.from]}: ${fmt(t.from_amplification)})`],
    ['error, clean → perturbed', `${pct(t.err_clean)} → ${val(t.err_perturbed, pct(t.err_perturbed), 'transfer-error')}`],
  ]);
}

/** The comparison at equal size (the network's test against the transfer method): hidden
 *  when the state does not test the network. */
function drawEqual(msg) {
  const box = $('equal');
  const r = msg.result;
  box.hidden = !r;
  if (!r) return;
  for (const el of box.querySelectorAll('.eq-name')) el.textContent = TITLES[r.stable];
  const e = r.equal;
  box.dataset.done = String(!!e);
  // Until it finishes, nothing of an earlier state's comparison stays on show.
  /** @type {HTMLElement} */ (box.querySelector('.un-row')).style.visibility = e ? '' : 'hidden';
  if (!e) $('eq-facts').innerHTML = '';
  if (!e) {
    $('eq-status').textContent = `${TITLES[r.stable]}’s own instability test: ${r.iterations} of ${r.planned} iterations…`;
    return;
  }
  put('eq-own-out', msg.pictures, 'own:out');
  put('eq-own-diff', msg.pictures, 'own:diff');
  put('eq-r-out', msg.pictures, 'r:out');
  put('eq-r-diff', msg.pictures, 'r:diff');
  $('eq-cap-own').textContent = `(white = ${fmt(r.own_diff_scale)})`;
  $('eq-cap-r').textContent = `(white = ${fmt(r.r_diff_scale)})`;
  const t = TITLES[r.stable];
  $('eq-facts').innerHTML = dl([
    ['‖v‖ / ‖r‖ found', `${fmt(e.own_over_network)}, scaled by ${fmt(e.scale)} to ‖r‖ / ‖x‖ = ${pct(e.network_r_rel)}`],
    [`${t}, its own v: amplification`, `<b>${val(e.own.amplification, fmt(e.own.amplification), 'equal-own-amp')}</b>, error ${pct(e.own.err_clean)} → ${pct(e.own.err_perturbed)}`],
    [`${t}, the network’s r`, `<b>${val(e.network_r.amplification, fmt(e.network_r.amplification), 'equal-r-amp')}</b>, error ${pct(e.network_r.err_clean)} → ${pct(e.network_r.err_perturbed)}`],
    ['the network, its r', `<b>${val(e.network_amplification, fmt(e.network_amplification), 'equal-net-amp')}</b>, error → ${pct(e.network_err_perturbed)}`],
  ]);
  $('eq-status').textContent = `At the same size the network’s output moves ${fmt(e.network_amplification / Math.max(e.own.amplification, e.network_r.amplification))} times more than ${t}’s.`;
}

// ------------------------------------------------------- kernel awareness, structural change

function methodCells(boxId, rows, cell) {
  const box = $(boxId);
  if (box.children.length !== METHODS.length) {
    box.replaceChildren(
      ...METHODS.map((m) => {
        const f = document.createElement('figure');
        f.innerHTML = `<figcaption><b>${TITLES[m]}</b></figcaption><canvas id="${boxId}-a-${m}" class="img"></canvas>
          <canvas id="${boxId}-b-${m}" class="img"></canvas><dl class="facts" id="${boxId}-n-${m}" data-testid="${boxId}-${m}"></dl>`;
        return f;
      }),
    );
  }
  for (const m of METHODS) {
    const row = rows.find((x) => x.method === m);
    $(`${boxId}-n-${m}`).innerHTML = row ? cell(row) : '<dt>…</dt><dd></dd>';
  }
}

function drawDetail(msg) {
  const { result: r, pictures: pics } = msg;
  const kernel = r.view === 'kernel';
  const p = kernel ? 'k' : 's';
  put(`${p}-x`, pics, 'x');
  put(`${p}-w`, pics, 'w');
  if (kernel) put('k-z', pics, 'z');
  put(`${p}-x2`, pics, 'x2');
  const box = `${p}-methods`;
  methodCells(box, r.rows, (row) =>
    kernel
      ? dl([
          ['error x, x′', `${pct(row.rel_error)}, ${pct(row.rel_error_detail)}`],
          ['η (the larger, ‖·‖)', fmt(row.eta)],
          ['‖Ψ(y′) − Ψ(y)‖', val(row.gap, fmt(row.gap), `gap-${row.method}`)],
          ['bound (‖z‖ − 2η)/δ', val(row.bound, row.bound === null ? 'none (‖z‖ ≤ 2η)' : fmt(row.bound), `bound-${row.method}`)],
          ['gap / δ', fmt(row.ratio)],
        ])
      : dl([
          ['kept', `<b>${val(row.kept, pct(row.kept), `kept-${row.method}`)}</b>`],
          ['error (x)', pct(row.rel_error)],
        ]),
  );
  for (const m of METHODS) {
    put(`${box}-a-${m}`, pics, kernel ? `out:${m}` : `out2:${m}`);
    put(`${box}-b-${m}`, pics, kernel ? `out2:${m}` : `change:${m}`);
    $(`${box}-a-${m}`).setAttribute('aria-label', kernel ? `${TITLES[m]} from y` : `${TITLES[m]} reconstruction of x + w`);
    $(`${box}-b-${m}`).setAttribute('aria-label', kernel ? `${TITLES[m]} from y′` : `${TITLES[m]}: what changed`);
  }
  const facts = $(`${p}-facts`);
  if (!r.detail) {
    facts.innerHTML = dl([['detail', 'none: click the image to place one']]);
    return;
  }
  if (kernel) {
    const net = r.net_test;
    facts.innerHTML = dl([
      ['δ = ‖A z‖ = ‖y′ − y‖', val(r.az_norm, fmt(r.az_norm), 'az-norm')],
      ['‖z‖, ‖w‖', `${val(r.z_norm, fmt(r.z_norm), 'z-norm')}, ${fmt(r.w_norm)}`],
      ['‖A w‖ / ‖w‖ (seen)', pct(r.visible)],
      ['‖x‖', fmt(r.x_norm)],
      [
        'network, instability test',
        net
          ? `${val(net.amplification, `amplification ${fmt(net.amplification)}`, 'net-test-amp')}, ‖ΔΨ‖/‖A r‖ ${fmt(net.lipschitz)} (‖r‖ ≤ ${fmt(net.budget)} ‖x‖)`
          : 'not run on this image yet',
      ],
    ]);
    $('k-note').textContent =
      'Top: Ψ(y) from x, bottom: Ψ(y′) from x′ = x + z (same noise). The bound says how unstable a method that is accurate on both must be; gap / δ is what it does along this pair.';
  } else {
    facts.innerHTML = dl([
      ['‖w‖', fmt(r.w_norm)],
      ['‖A w‖ / ‖w‖ (seen)', val(r.visible, pct(r.visible), 'visible')],
      ['rows', 'top: Ψ(A(x + w) + e); bottom: Re(Ψ(A(x + w) + e) − Ψ(Ax + e)), w’s scale'],
    ]);
  }
}

// ------------------------------------------------------------------ plots

/** Linear axes in a canvas (the shared frame, with this page's number format). */
function axes(ctx, p, c, xRange, yRange, xLabel, yLabel, xText = (v) => fmt(v), xCount = 5) {
  return frameAxes(ctx, p, c, xRange, yRange, xLabel, yLabel, { xText, xCount, yText: (v) => fmt(v) });
}

function plotSamples(msg) {
  const r = msg.result;
  const c = /** @type {HTMLCanvasElement} */ ($('plot-samples'));
  const p = setUpCanvas(c);
  const { ctx, u: dpr, fs, lw } = p;
  samplesHits = [];
  const pts = r.points.filter((p) => typeof p.psnr === 'number');
  const rates = r.rates;
  const note = $('samples-note');
  note.dataset.points = String(r.points.length);
  note.dataset.done = String(r.done);
  const psnrs = pts.map((p) => p.psnr);
  const { X, Y, pad } = axes(ctx, p, c, [0, Math.max(...rates) + 0.02], psnrs.length ? span(psnrs) : [10, 40], 'sampling rate |Ω| / n² (%)', 'PSNR (dB)', (v) => `${Math.round(100 * v)}`, 8);
  // The network's own rate and the rate shown.
  const vline = (x, colour, dash, text, low) => {
    ctx.strokeStyle = colour;
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(X(x), pad.t);
    ctx.lineTo(X(x), c.height - pad.b);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = colour;
    ctx.textAlign = 'left';
    ctx.fillText(text, X(x) + 3 * dpr, low ? c.height - pad.b - 5 * dpr : pad.t + fs);
  };
  if (r.trained_rate) vline(r.trained_rate, '#999', [4 * dpr, 3 * dpr], 'trained', true);
  if (state) vline(state.show_rate, '#e8710a', [], 'shown', false);
  for (const m of r.methods) {
    const line = pts.filter((p) => p.method === m);
    ctx.strokeStyle = COLOURS[m];
    ctx.fillStyle = COLOURS[m];
    ctx.lineWidth = 1.8 * lw;
    ctx.beginPath();
    line.forEach((p, i) => (i ? ctx.lineTo(X(p.rate), Y(p.psnr)) : ctx.moveTo(X(p.rate), Y(p.psnr))));
    ctx.stroke();
    for (const p of line) {
      ctx.beginPath();
      ctx.arc(X(p.rate), Y(p.psnr), 2.5 * lw, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  for (const rate of rates) samplesHits.push({ x: X(rate), y: 0, rate: Number(rate.toFixed(2)) });
  // Legend, bottom right (the curves rise to the right).
  ctx.textAlign = 'left';
  const lx = c.width - pad.r - Math.max(...r.methods.map((m) => ctx.measureText(TITLES[m]).width)) - 1.6 * fs;
  r.methods.forEach((m, i) => {
    const ly = c.height - pad.b - (0.8 + 1.2 * (r.methods.length - 1 - i)) * fs;
    ctx.fillStyle = COLOURS[m];
    ctx.fillRect(lx, ly - 0.35 * fs, 0.9 * fs, 0.25 * fs);
    ctx.fillText(TITLES[m], lx + 1.2 * fs, ly);
  });
  note.textContent = `Mean PSNR of |Ψ(y)| over held-out images family:${r.seeds[0]} to ${r.seeds[r.seeds.length - 1]}, nested masks of the network's pattern at 5 % to 60 %` +
    `${r.done ? '' : ` (${r.points.length} of ${rates.length * r.methods.length} computed…)`}. Click the plot or move the slider to see the reconstructions at a rate.`;
  showSamplesFinding(r);
}

/** What the finished curve measured for the network, in words (the numbers are Rust's). */
function showSamplesFinding(r) {
  const box = $('samples-finding');
  const n = r.network;
  box.dataset.verdict = n ? n.verdict : '';
  if (!n) {
    box.textContent = '';
    return;
  }
  const name = NETS[r.net] ?? r.net;
  const at = `${db(n.at_trained)} at its own ${pct(r.trained_rate)}`;
  if (n.verdict === 'decline') {
    box.textContent = `Measured: more samples hurt this network (${name}). It scores ${at}, but ${db(n.worst_above)} at ${pct(n.worst_above_rate)}, and at no larger rate up to ${pct(Math.max(...r.rates))} does it come back (best ${db(n.best_above)} at ${pct(n.best_above_rate)}), while the stable methods gain with every sample.`;
  } else if (r.net !== 'cascade') {
    box.innerHTML =
      `No decline observed for this network (${name}): it reads only the samples of its own mask, so the extra ones can neither help nor hurt it (${at}, ${db(n.best_above)} at ${pct(n.best_above_rate)}; ` +
      `the small changes come from the noise, set relative to all measurements). <button type="button" id="samples-cascade">Show the cascade</button>, a network that is handed every extra sample.`;
    $('samples-cascade').addEventListener('click', () => change({ net: 'cascade' }));
  } else {
    box.textContent = `No decline observed here (${name}): ${at}, ${db(n.best_above)} at ${pct(n.best_above_rate)}.`;
  }
}

function drawRate(msg) {
  const { result: r, pictures: pics } = msg;
  put('r-x', pics, 'x');
  for (const m of r.methods) {
    put(`r-${m}`, pics, `out:${m}`);
    const q = r.psnr.find((p) => p.method === m);
    const el = $(`r-psnr-${m}`);
    el.textContent = q ? db(q.psnr) : '';
    el.dataset.value = String(q?.psnr);
  }
  $('rate-facts').innerHTML = `family:${r.image_seed} at ${pct(r.sampled)} (${r.samples} samples)`;
  if (last.samples) plotSamples(last.samples);
}

function drawTradeoff(msg) {
  const r = msg.result;
  const c = /** @type {HTMLCanvasElement} */ ($('plot-tradeoff'));
  const p = setUpCanvas(c);
  const { ctx, u, fs } = p;
  // Offsets of the point labels, in units that grow with the label size.
  const dpr = fs / 12;
  tradeoffHits = [];
  const pts = r.points.filter((p) => typeof p.psnr === 'number' && typeof p.amplification === 'number');
  const note = $('tradeoff-note');
  note.dataset.points = String(r.points.length);
  note.dataset.done = String(r.done);
  note.textContent =
    `${r.points.length} of ${r.variants} variants: PSNR over held-out images family:${r.clean[0]} to ${r.clean[r.clean.length - 1]}, worst amplification on family:${r.attack} ` +
    `(${r.iters} iterations, ‖r‖ ≤ ${fmt(r.budget)} ‖x‖). TV and wavelet λ and FIRENET's restarts vary around the defaults` +
    (r.points.filter((p) => p.method === 'net').length > 1 ? '; the network is the same recipe trained with 0, 1 (shipped) and 3 % noise in its measurements.' : '.') +
    (r.shipped ? ' These are the default settings’ points as the lab computed them ahead (the tests recompute them); change a setting to compute them here.' : '') +
    (r.done ? '' : r.running ? ` Now: ${r.running}…` : '');
  note.dataset.shipped = String(!!r.shipped);
  const { X, Y } = axes(ctx, p, c, pts.length ? span(pts.map((p) => p.psnr)) : [20, 40], pts.length ? span(pts.map((p) => p.amplification), 0.1, 0) : [0, 3], 'accuracy: mean PSNR on clean images (dB)', 'worst-case amplification');
  ctx.textAlign = 'left';
  // Each point carries its number (the table's first column), and its name where that does
  // not cover another label.
  const taken = [];
  const free = (x0, y0, w, h) => !taken.some((b) => x0 < b[0] + b[2] && b[0] < x0 + w && y0 < b[1] + b[3] && b[1] < y0 + h) && x0 >= 0 && x0 + w <= c.width && y0 >= 0;
  r.points.forEach((p) => {
    if (typeof p.psnr !== 'number' || typeof p.amplification !== 'number') return;
    const [x, y] = [X(p.psnr), Y(p.amplification)];
    ctx.fillStyle = COLOURS[p.method];
    ctx.beginPath();
    ctx.arc(x, y, (p.method === 'net' ? 5 : 3.5) * dpr, 0, 2 * Math.PI);
    ctx.fill();
    tradeoffHits.push({ x, y, query: p.query, label: p.label, amplification: p.amplification });
  });
  const h = 1.05 * fs;
  for (const hit of tradeoffHits) {
    const number = String(r.points.findIndex((p) => p.label === hit.label) + 1);
    ctx.fillStyle = '#333';
    let placed = false;
    for (const text of [`${number} ${hit.label}`, number]) {
      const w = ctx.measureText(text).width;
      const spots = [[6, -4], [6, 12], [-6 - w / dpr, -4], [-6 - w / dpr, 12], [-w / dpr / 2, -9], [-w / dpr / 2, 20]];
      if (text === number) spots.push([14, -16], [14, 26], [-14 - w / dpr, -16], [-14 - w / dpr, 26], [-w / dpr / 2, -22], [-w / dpr / 2, 34]);
      for (const [dx, dy] of spots) {
        const [lx, ly] = [hit.x + dx * dpr, hit.y + dy * dpr];
        if (free(lx, ly - h + 2 * dpr, w, h)) {
          ctx.fillText(text, lx, ly);
          taken.push([lx, ly - h + 2 * dpr, w, h]);
          placed = true;
          break;
        }
      }
      if (placed) break;
    }
    if (!placed) ctx.fillText(number, hit.x + 6 * dpr, hit.y - 4 * dpr);
  }
  // Where the points are, in CSS pixels (for tests and for reading the plot).
  c.dataset.hits = JSON.stringify(tradeoffHits.map((h) => ({ x: h.x / u, y: h.y / u, label: h.label, amplification: h.amplification })));
  $('tradeoff-table').innerHTML =
    '<tr><th>variant</th><th>PSNR (dB)</th><th>worst amplification</th><th></th></tr>' +
    r.points
      .map((p, i) => `<tr><td><span class="swatch" style="background:${COLOURS[p.method]}"></span>${i + 1} ${p.label}</td><td>${fmt(p.psnr, 4)}</td><td data-value="${p.amplification}">${fmt(p.amplification)}</td><td><button type="button" data-i="${i}">open test</button></td></tr>`)
      .join('');
  for (const b of $('tradeoff-table').querySelectorAll('button')) {
    b.addEventListener('click', () => send({ type: 'pick', query: r.points[Number(/** @type {HTMLElement} */ (b).dataset.i)].query }));
  }
}

window.addEventListener('resize', () => {
  if (!state) return;
  const redraw = { test: () => last.test && drawTest(last.test), kernel: () => last.detail && drawDetail(last.detail), structure: () => last.detail && drawDetail(last.detail), samples: () => last.rate && drawRate(last.rate), tradeoff: () => last.tradeoff && drawTradeoff(last.tradeoff) };
  redraw[state.view]?.();
  if (state.view === 'test' && last.transfer) drawTransfer(last.transfer);
  if (state.view === 'test' && last.equal) drawEqual(last.equal);
});
