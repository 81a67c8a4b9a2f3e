// The universal-perturbation page: address bar, controls, and the worker's results. No math.

import { buildControls, formatValue } from './controls.js';
import { $, Link, showError, hideError, showProgress, saveJson, readChosenFile, blit } from './page.js';

const worker = new Worker(new URL('./universal-worker.js', import.meta.url), { type: 'module' });
const link = new Link();
let controls = null;
let last = null;
const pct = (x) => `${(100 * x).toFixed(1)} %`;

function send(msg) {
  worker.postMessage(msg);
}

function change(changes) {
  link.keep = false;
  hideError();
  send({ type: 'set', changes });
}

worker.onmessage = (ev) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'ready':
      controls = buildControls($('controls'), msg.schema, change);
      $('cancel').addEventListener('click', () => send({ type: 'cancel' }));
      $('table').addEventListener('click', () => send({ type: 'table' }));
      $('save').addEventListener('click', () => last && saveJson(last.state, 'barriers-lab-universal.json'));
      $('load').addEventListener('change', async (e) => {
        try {
          const text = await readChosenFile(e, 100_000, 'text');
          if (text !== null) send({ type: 'set', json: text, source: 'file' });
        } catch (err) {
          showError('file', err.message);
        }
      });
      link.onEdit((q) => {
        hideError();
        send({ type: 'load', query: q });
      });
      send({ type: 'load', query: link.current(), first: true });
      break;
    case 'result':
      last = msg;
      show(msg);
      break;
    case 'table':
      showTable(msg.rows);
      break;
    case 'progress':
      showProgress(msg.done, msg.total, msg.what);
      break;
    case 'error':
      if (msg.source === 'link' || msg.source === 'link-edit') link.keep = true;
      showError(msg.source, msg.message);
      break;
  }
};

worker.onerror = (ev) => showError('internal', ev.message || 'the worker failed to start');

function show(msg) {
  const { state: s, result: r } = msg;
  link.write(msg.query);
  controls.update(s);
  blit($('img-v'), msg.vImage, r.side);
  $('cap-v').textContent = `‖v‖∞ = ${formatValue(r.v_linf)}, ‖v‖₂ = ${formatValue(r.v_l2)}; full colour = ±${formatValue(s.norm === 'linf' ? s.xi : r.v_linf)}`;
  const rows = [
    ['Computed on', `${s.model}, ${s.n} training images`],
    ['Training images fooled', `<span data-testid="train-rate">${pct(r.rates[r.rates.length - 1] ?? 0)}</span> after ${r.rates.length} pass${r.rates.length === 1 ? '' : 'es'} (target ${pct(r.target)}: ${r.reached_target ? 'reached' : 'not reached'})${r.finished ? '' : ', cancelled'}`],
    ...['linear', 'mlp', 'cnn'].map((m) => [`Test images fooled, ${m}`, `<span data-testid="test-${m}">${pct(r.test_fooling[m])}</span> <span class="small">(random noise of the same size: ${pct(r.noise_test_fooling[m])})</span>`]),
  ];
  $('readout-list').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
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
  const demo = $('demo');
  demo.dataset.query = msg.query;
  demo.dataset.drawn = msg.query;
}

function showTable(rows) {
  $('transfer').innerHTML =
    '<tr><th>computed on</th><th>training</th><th>linear</th><th>mlp</th><th>cnn</th></tr>' +
    rows.map((r) => `<tr><td>${r.source}</td><td>${pct(r.rates[r.rates.length - 1])}</td>${['linear', 'mlp', 'cnn'].map((m) => `<td data-testid="transfer-${r.source}-${m}">${pct(r.test_fooling[m])}</td>`).join('')}</tr>`).join('');
}

window.addEventListener('resize', () => last && show(last));
