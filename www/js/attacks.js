// The attack page: keeps the address bar in step with the state, wires the controls and the
// drawing pad to the worker, and shows what the worker computed. No math here.

import { buildControls, formatValue, labelsOf } from './controls.js';
import { $, connect, shown, showError, hideError, saveBytes, readChosenFile, blit, drawingPad } from './page.js';

const GROUPS = {
  'controls-main': ['attack', 'eps', 'bounds'],
  'controls-image': ['data', 'model', 'index'],
  'controls-attack': ['seed', 'overshoot', 'max_iter'],
  'controls-ratios': ['n'],
};
/** The menus' words for attacks, data sets and models (from the schema). */
let ATTACK_NAMES = {};
let DATA_NAMES = {};
let MODEL_NAMES = {};
/** Test images per data set under the fixed split (one in five). */
const TEST_COUNT = { mnist: 2000, fashion: 200, digits: 359 };

let controls = [];
let last = null;

const { send, change, link } = connect(
  new URL('./attack-worker.js', import.meta.url),
  {
    ready: (msg) => setUp(msg.schema),
    result(msg) {
      last = msg;
      show(msg);
    },
    ratios: (msg) => showRatios(msg),
    trained: (msg) => ($('model-info').textContent = modelText(msg.info)),
    'model-file': (msg) => last && saveBytes(new Blob([msg.bytes]), `${last.state.data}-${last.state.model}.blm`),
  },
  'barriers-lab-attack.json',
  () => last?.state,
);

function setUp(schema) {
  const byKey = Object.fromEntries(schema.map((f) => [f.key, f]));
  ATTACK_NAMES = labelsOf(schema, 'attack');
  DATA_NAMES = labelsOf(schema, 'data');
  MODEL_NAMES = labelsOf(schema, 'model');
  // Moving FGSM's epsilon shows FGSM, whatever attack was shown before.
  const onChange = (c) => change('eps' in c && last?.state.attack !== 'fgsm' ? { ...c, attack: 'fgsm' } : c);
  for (const [id, keys] of Object.entries(GROUPS)) controls.push(buildControls($(id), keys.map((k) => byKey[k]), onChange));
  $('prev').addEventListener('click', () => last && change({ index: Math.max(0, last.state.index - 1), drawing: '' }));
  $('next').addEventListener('click', () => last && change({ index: Math.min(TEST_COUNT[last.state.data] - 1, last.state.index + 1), drawing: '' }));
  $('ratios').addEventListener('click', () => send({ type: 'ratios' }));
  $('train').addEventListener('click', () => send({ type: 'train', seed: 1, epochs: Number(/** @type {HTMLInputElement} */ ($('train-epochs')).value) || 0 }));
  $('shipped').addEventListener('click', () => send({ type: 'shipped-model' }));
  $('save-model').addEventListener('click', () => send({ type: 'save-model' }));
  $('load-model').addEventListener('change', async (ev) => {
    try {
      const bytes = await readChosenFile(ev, 20_000_000, 'bytes');
      if (bytes) send({ type: 'load-model', bytes });
    } catch (e) {
      showError('file', e.message);
    }
  });
  setUpPad();
}

function modelText(info) {
  if (!info) return '';
  const acc = info.measured_test_accuracy ?? info.test_accuracy;
  const how = info.retrained_in_browser ? `retrained here for ${info.epochs} epochs` : `shipped, trained with seed ${info.seed} for ${info.epochs} epochs`;
  return `${info.n_params} parameters · test accuracy ${(100 * acc).toFixed(2)} % · ${how}`;
}

function topList(el, top, names) {
  el.innerHTML = top.map(([k, p]) => `<li>${names[k]} <span class="small">${(100 * p).toFixed(1)} %</span></li>`).join('');
}

function show(msg) {
  const { outcome: o, state: s, pictures: pics, classNames: names } = msg;
  for (const c of controls) c.update(s);
  /** @type {HTMLInputElement} */ (document.getElementById('ctl-index')).max = String(TEST_COUNT[s.data] - 1);
  blit($('img-x'), pics.image, o.side);
  blit($('img-r'), pics.perturbation, o.side);
  blit($('img-adv'), pics.adversarial, o.side);
  const source = s.drawing ? 'Your drawing' : `Test image ${s.index}`;
  $('cap-x').textContent = `${source}${o.true_label === null ? '' : ` (true: ${names[o.true_label]})`}`;
  $('cap-r').textContent = `‖r‖₂ / ‖x‖₂ = ${formatValue(o.r_over_x)}, ‖r‖∞ = ${formatValue(o.r_linf)}; full colour = ±${formatValue(o.perturbation_scale)}`;
  // The picture is the classified input only where its pixels are in [0, 1]; say so when not.
  const valid = o.adv_min >= 0 && o.adv_max <= 1;
  $('cap-adv').textContent =
    (o.success ? 'x + r: the label changed' : 'x + r: the label held') +
    (valid ? '' : ` (shown clipped to [0, 1]; the classified input has pixels from ${formatValue(o.adv_min)} to ${formatValue(o.adv_max)})`);
  topList($('top-x'), o.top3_before, names);
  topList($('top-adv'), o.top3_after, names);

  const steps = $('steps');
  steps.replaceChildren();
  $('steps-box').hidden = pics.steps.length === 0;
  for (const rgba of [pics.image, ...pics.steps, pics.adversarial]) {
    const c = document.createElement('canvas');
    steps.append(c);
    blit(c, rgba, o.side);
  }

  const rows = [
    ['Attack', ATTACK_NAMES[o.attack]],
    ['Label', `<span data-testid="label">${names[o.label]}</span> (${(100 * o.confidence_before).toFixed(1)} %)`],
    ['New label', `<span data-testid="adv-label" class="${o.success ? 'flipped' : ''}">${names[o.adv_label]}</span> (${(100 * o.confidence_after).toFixed(1)} %)`],
    ['‖r‖₂ / ‖x‖₂', `<span data-testid="r-over-x" title="${o.r_over_x}">${formatValue(o.r_over_x)}</span>`],
    ['‖r‖₂', `<span title="${o.r_l2}">${formatValue(o.r_l2)}</span>`],
    ['‖r‖∞', `<span data-testid="r-linf" title="${o.r_linf}">${formatValue(o.r_linf)}</span>`],
    ['Pixels of x + r', `<span data-testid="adv-range" data-min="${o.adv_min}" data-max="${o.adv_max}" class="${valid ? '' : 'flipped'}">${formatValue(o.adv_min)} to ${formatValue(o.adv_max)}</span>`],
    [o.counts, `<span data-testid="iterations">${o.iterations}</span>`],
  ];
  if (o.attack === 'fgsm') {
    rows.push(['FGSM flips at', `<span data-testid="flip-eps" data-value="${o.flip_eps ?? ''}">${o.flip_eps === null ? 'no ε up to 1' : `ε ≥ ${formatValue(o.flip_eps)}`}</span>`]);
  }
  $('readout-list').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');

  $('all-attacks').innerHTML =
    '<tr><th>attack</th><th>‖r‖₂/‖x‖₂</th><th>‖r‖∞</th><th>new label</th></tr>' +
    msg.table.map((r) => `<tr><td>${ATTACK_NAMES[r.attack]}</td><td>${r.success ? formatValue(r.r_over_x) : '—'}</td><td>${r.success ? formatValue(r.r_linf) : '—'}</td><td class="${r.success ? 'flipped' : ''}">${names[r.adv_label]}</td></tr>`).join('');
  $('model-info').textContent = modelText(msg.model);
  shown(link, msg.query);
}

function showRatios(msg) {
  const r = msg.result;
  if (!r) return;
  const box = msg.state.bounds === 'pixels' ? 'adversarials kept in [0, 1]' : 'no pixel range (adversarials may leave [0, 1])';
  const head = `<caption class="small">${DATA_NAMES[msg.state.data]}, ${MODEL_NAMES[msg.state.model]}: ${r.done} correctly classified test images; ${box}${msg.finished ? '' : ' (cancelled)'}</caption>`;
  $('ratio-table').innerHTML =
    head +
    '<tr><th>attack</th><th>mean ‖r‖₂/‖x‖₂</th><th>mean ‖r‖∞</th><th>flipped</th></tr>' +
    // Each mean also carries its full value (data-value), as the other readouts do.
    r.rows
      .map(
        (x) =>
          `<tr><td>${ATTACK_NAMES[x.attack]}</td><td data-testid="ratio-${x.attack}" data-value="${x.mean_r_over_x}">${formatValue(x.mean_r_over_x)}</td><td data-testid="ratio-linf-${x.attack}" data-value="${x.mean_r_linf}">${formatValue(x.mean_r_linf)}</td><td>${x.successes}/${x.images}</td></tr>`,
      )
      .join('');
}

// The drawing pad: dark ink on white; the worker turns it into a data-set image.
function setUpPad() {
  const pad = drawingPad(/** @type {HTMLCanvasElement} */ ($('pad')), 30);
  $('pad-clear').addEventListener('click', pad.clear);
  $('pad-back').addEventListener('click', () => change({ drawing: '' }));
  $('pad-use').addEventListener('click', () => {
    if (!pad.inked()) {
      showError('drawing', 'the pad is empty: draw a digit on it first.');
      return;
    }
    link.keep = false;
    hideError();
    send({ type: 'draw', ...pad.pixels() });
  });
}

window.addEventListener('resize', () => last && show(last));
