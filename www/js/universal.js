// The universal-perturbation page: address bar, controls, and the worker's results. No math.

import { buildControls, formatValue, labelsOf } from './controls.js';
import { $, connect, shown, blit } from './page.js';

/** The strip's keys; the others go in the settings panel. */
const MAIN = ['model', 'xi', 'bounds'];
let controls = [];
let last = null;
/** The menu's words for the models (from the schema). */
let MODEL_NAMES = {};
// A rate still being measured (the worker posts v first, then each model's rates) shows as '…'.
const pct = (x) => (x === undefined ? '…' : `${(100 * x).toFixed(1)} %`);

const { send, change, link } = connect(
  new URL('./universal-worker.js', import.meta.url),
  {
    ready(msg) {
      MODEL_NAMES = labelsOf(msg.schema, 'model');
      const byKey = Object.fromEntries(msg.schema.map((f) => [f.key, f]));
      controls = [
        buildControls($('controls-main'), MAIN.map((k) => byKey[k]), change),
        buildControls($('controls'), msg.schema.filter((f) => !MAIN.includes(f.key)), change),
      ];
      $('table').addEventListener('click', () => send({ type: 'table' }));
    },
    result(msg) {
      last = msg;
      show(msg);
    },
    table: (msg) => showTable(msg.rows),
  },
  'barriers-lab-universal.json',
  () => last?.state,
);

function show(msg) {
  const { state: s, result: r } = msg;
  for (const c of controls) c.update(s);
  blit($('img-v'), msg.vImage, r.side);
  $('cap-v').textContent = `‖v‖∞ = ${formatValue(r.v_linf)}, ‖v‖₂ = ${formatValue(r.v_l2)}; full colour = ±${formatValue(s.norm === 'linf' ? s.xi : r.v_linf)}`;
  const rows = [
    ['Computed on', `${MODEL_NAMES[s.model]}, ${s.n} training images`],
    ['Training images fooled', `<span data-testid="train-rate">${pct(r.rates[r.rates.length - 1] ?? 0)}</span> after ${r.rates.length} pass${r.rates.length === 1 ? '' : 'es'} (target ${pct(r.target)}: ${r.reached_target ? 'reached' : 'not reached'})${r.finished ? '' : ', cancelled'}`],
    ...Object.keys(MODEL_NAMES).map((m) => [`Test images fooled, ${MODEL_NAMES[m]}`, `<span data-testid="test-${m}">${pct(r.test_fooling[m])}</span> <span class="small">(random noise of the same size: ${pct(r.noise_test_fooling[m])})</span>`]),
  ];
  $('readout-list').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
  $('examples-note').innerHTML =
    `v fools <b>${pct(r.test_fooling[s.model])}</b> of the ${MODEL_NAMES[s.model]}'s held-out test images (random noise of the same size: ${pct(r.noise_test_fooling[s.model])}). ` +
    (s.bounds === 'pixels' ? 'Some of them without and with v (x + v clipped to [0, 1]: the valid image classified), and the labels the model gives them:' : 'Some of them without and with v (no pixel range: x + v may leave [0, 1], shown clipped), and the labels the model gives them:');
  const box = $('examples');
  box.replaceChildren();
  for (const e of msg.examples) {
    const fig = document.createElement('figure');
    const pair = document.createElement('div');
    pair.className = 'pair';
    const a = document.createElement('canvas');
    const b = document.createElement('canvas');
    a.className = b.className = 'img';
    pair.append(a, b);
    const cap = document.createElement('figcaption');
    cap.innerHTML = `${e.name} → <span class="${e.label !== e.adv_label ? 'flipped' : ''}">${e.adv_name}</span>`;
    fig.append(pair, cap);
    box.append(fig);
    blit(a, e.image, msg.result.side);
    blit(b, e.perturbed, msg.result.side);
  }
  shown(link, msg.query);
}

function showTable(rows) {
  $('transfer').innerHTML =
    '<tr><th>computed on</th><th>training</th><th>linear</th><th>MLP</th><th>CNN</th></tr>' +
    rows.map((r) => `<tr><td>${MODEL_NAMES[r.source].split(' ')[0]}</td><td>${pct(r.rates[r.rates.length - 1])}</td>${Object.keys(MODEL_NAMES).map((m) => `<td data-testid="transfer-${r.source}-${m}">${pct(r.test_fooling[m])}</td>`).join('')}</tr>`).join('');
}

window.addEventListener('resize', () => last && show(last));
