// The frame every demo page shares, built here once: the header (the lecture's order, the
// projector switch), the error banner, the control strip above the figure with the page's
// main controls, the side panel (a drawer in small frames and on a projector), the progress
// bar with Cancel, the state panel (link, files), and the address bar as the state. No math.
//
// A page's HTML holds only its own parts: <body data-page="NAME">, <main id="demo"> with a
// <section class="figure"> and a <section class="side">, and its <footer>.

import { listenForDeck, mergeQuery } from './slide-protocol.js';

/** @param {string} id */
export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** The demos in the lecture's order (the header's previous / next links, the index). */
export const DEMOS = [
  { page: 'toy', title: 'Decision boundaries and DeepFool in 2-D', short: 'DeepFool in 2-D' },
  { page: 'attacks', title: 'Adversarial examples on real images', short: 'Attacks on images' },
  { page: 'universal', title: 'One perturbation for all images', short: 'Universal perturbations' },
  { page: 'dimension', title: 'Why: the linear argument in high dimension', short: 'The dimension argument' },
  { page: 'mri', title: 'MRI: Fourier sampling and stable reconstruction', short: 'MRI reconstruction' },
  { page: 'unstable', title: 'The unstable network: accuracy against stability', short: 'The unstable network' },
  { page: 'inexact', title: 'The barrier: K digits from inexact input', short: 'The barrier' },
  { page: 'kernel1d', title: 'The troublesome kernel in 1-D', short: 'The troublesome kernel' },
  { page: 'stripes', title: 'False structures: what the network learned', short: 'False structures' },
];

/** Keys of the query string that set the frame, not the demo: `?embed=1`, `?projector=1`,
 *  `?paused=1` (in a slide deck: compute nothing until the slide is shown) and `?workers=N`
 *  (the size of a worker's pool, pool.js; for benchmarks and tests). */
export const FRAME_KEYS = ['embed', 'projector', 'paused', 'workers'];
const search = new URLSearchParams(location.search);
/** ?embed=1: no page chrome, sized to its frame (an iframe in a slide). */
export const embed = search.get('embed') === '1';
/** The page's slide deck, if it is embedded in one (see slide-protocol.js). */
const inDeck = window.parent !== window;
/** Below this width an embedded page keeps its controls in a drawer. */
const DRAWER_BELOW = 1100;

/** Where a refused value came from, in words for the banner. */
export const ERROR_PREFIX = {
  link: 'This link has values the lab cannot use; they were left out and the rest of the figure is shown. ',
  'link-edit': 'This link has values the lab cannot use; they were left out and the rest is shown. ',
  file: 'That file cannot be used: ',
  control: 'That value was refused: ',
  click: 'That point cannot be attacked: ',
  drawing: 'That drawing cannot be used: ',
  internal: 'The computation stopped: ',
  export: 'The export failed: ',
};

/** @param {string} tag @param {Record<string, string>} [attrs] @param {(Node|string)[]} [children] */
function el(tag, attrs = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** A visually plain button that opens a file chooser: a label around a focusable file input. */
export function fileButton(id, text, accept) {
  const input = el('input', { type: 'file', id, accept, class: 'file-input' });
  return el('label', { class: 'button file-button' }, [text, input]);
}

// ------------------------------------------------------------------------- the frame

function buildFrame() {
  const body = document.body;
  const page = body.dataset.page || '';
  if (embed) body.classList.add('embed');
  setProjector(search.get('projector') === '1', false);
  const main = $('demo');
  const figure = main.querySelector('section.figure');
  const side = /** @type {HTMLElement} */ (main.querySelector('section.side'));

  // The header: home, title, the lecture's previous and next demos, the projector switch.
  const i = DEMOS.findIndex((d) => d.page === page);
  const title = DEMOS[i]?.title ?? document.title.split(' · ')[0];
  const links = [];
  const to = (d, text) => el('a', { href: `${d.page}.html`, title: d.title }, [text]);
  if (i > 0) links.push(to(DEMOS[i - 1], `← ${DEMOS[i - 1].short}`));
  if (i >= 0 && i + 1 < DEMOS.length) links.push(to(DEMOS[i + 1], `${DEMOS[i + 1].short} →`));
  const header = el('header', { class: 'chrome' }, [
    el('a', { class: 'home', href: '../index.html' }, ['Barriers Lab']),
    el('h1', {}, [title]),
    el('nav', { class: 'lecture', 'aria-label': 'The lecture' }, links),
    projectorButton('projector-toggle'),
  ]);
  body.prepend(header);

  // The error banner, above the figure and the controls.
  const error = el('div', { id: 'error', class: 'error', role: 'alert' }, [
    el('span', { id: 'error-text' }),
    el('button', { type: 'button', id: 'error-close', 'aria-label': 'Dismiss' }, ['×']),
  ]);
  error.hidden = true;
  main.prepend(error);

  // The strip above the figure: the page's main controls (always visible), the button that
  // opens the drawer. Elements marked data-strip="before" or "after" move into it.
  const strip = el('div', { class: 'strip', id: 'strip' });
  const parts = (where) => [...document.querySelectorAll(`[data-strip=${where}]`)];
  strip.append(
    ...parts('before'),
    el('div', { class: 'controls inline', id: 'controls-main' }),
    ...parts('after'),
    el('button', { type: 'button', id: 'drawer-toggle', 'aria-controls': 'side', 'aria-expanded': 'false' }, ['Controls ☰']),
  );
  // The figure's own content scrolls beneath the strip in a frame of fixed height.
  const content = el('div', { class: 'figure-body', id: 'figure-body' });
  content.append(...figure.childNodes);
  // The progress bar, kept in view at the bottom of the figure while something runs.
  const busy = el('div', { id: 'busy', class: 'busy', role: 'status' }, [
    el('span', { id: 'busy-text' }, ['Working…']),
    el('progress', { id: 'busy-progress', max: '1', value: '0' }),
    el('span', { id: 'busy-extra', class: 'small', 'data-testid': 'busy-extra' }),
    el('button', { type: 'button', id: 'cancel' }, ['Cancel']),
  ]);
  busy.hidden = true;
  figure.append(strip, content, busy);

  // The side panel: a column beside the figure, or a drawer; the state panel at its end.
  side.id = 'side';
  side.setAttribute('aria-label', 'Controls');
  side.prepend(
    el('div', { class: 'drawer-head' }, [
      el('b', {}, ['Controls']),
      el('button', { type: 'button', id: 'drawer-close', 'aria-label': 'Close the controls' }, ['Close ×']),
    ]),
  );
  // The export panel, unless the page has no poster yet (<section class="side"
  // data-exports="none">).
  if (side.dataset.exports !== 'none') {
    side.append(
      el('div', { class: 'panel state' }, [
        el('h2', {}, ['Export']),
        el('p', { class: 'small' }, ['The figure as a picture at twice its size, its numbers as a table (CSV) or as JSON.']),
        el('div', { class: 'buttons' }, [
          el('button', { type: 'button', id: 'export-png', 'data-export': 'png' }, ['Figure (PNG)']),
          el('button', { type: 'button', id: 'export-csv', 'data-export': 'csv' }, ['Numbers (CSV)']),
          el('button', { type: 'button', id: 'export-json', 'data-export': 'json' }, ['Numbers (JSON)']),
        ]),
      ]),
    );
  }
  side.append(
    el('div', { class: 'panel state' }, [
      el('h2', {}, ['State']),
      el('p', { class: 'small' }, [side.dataset.stateNote || 'The link in the address bar holds the whole figure.']),
      el('div', { class: 'buttons' }, [
        el('button', { type: 'button', id: 'copy-link', title: 'Copy the link to this figure' }, ['Copy link']),
        el('button', { type: 'button', id: 'save' }, ['Save state…']),
        fileButton('load', 'Load state…', 'application/json,.json'),
        projectorButton('projector-toggle-side'),
      ]),
    ]),
  );

  $('error-close').addEventListener('click', hideError);
  $('drawer-toggle').addEventListener('click', () => openDrawer(!body.classList.contains('drawer-open')));
  $('drawer-close').addEventListener('click', () => openDrawer(false));
  // Escape closes an open drawer (opened by a click, so no key is taken from a slide deck
  // before the demo is used).
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && body.classList.contains('drawer-open')) {
      ev.preventDefault();
      openDrawer(false);
      $('drawer-toggle').focus();
    }
  });
  $('copy-link').addEventListener('click', () => {
    navigator.clipboard?.writeText(location.href).then(
      () => ($('copy-link').textContent = 'Copied'),
      () => showError('internal', 'the browser did not allow copying; copy the address bar instead'),
    );
  });
  layout();
  window.addEventListener('resize', layout);
  // After the drawer's Escape, so that the first Escape closes an open drawer.
  listenToDeck();
}

function projectorButton(id) {
  const on = document.body.classList.contains('projector');
  const b = el('button', { type: 'button', id, class: 'projector-toggle', 'aria-pressed': String(on), title: 'Larger text and lines for a projector (?projector=1 in the link)' }, [
    'Projector',
  ]);
  b.addEventListener('click', () => setProjector(!document.body.classList.contains('projector'), true));
  return b;
}

/** Switches projector mode (larger text, labels, lines and images); the link records it. */
function setProjector(on, record) {
  document.body.classList.toggle('projector', on);
  for (const b of document.querySelectorAll('.projector-toggle')) b.setAttribute('aria-pressed', String(on));
  if (record) {
    const s = new URLSearchParams(location.search);
    if (on) s.set('projector', '1');
    else s.delete('projector');
    history.replaceState(null, '', `${location.pathname}${s.size ? `?${s}` : ''}${location.hash}`);
    layout();
    window.dispatchEvent(new Event('resize'));
  }
}

/** The drawer holds the controls when the frame is small, and on a projector. */
function layout() {
  const body = document.body;
  const drawer = body.classList.contains('projector') || (embed && window.innerWidth < DRAWER_BELOW) || window.innerWidth < 760;
  body.classList.toggle('drawer', drawer);
  if (!drawer) openDrawer(false);
}

/** Opens or closes the drawer (focus goes into it when it opens). */
export function openDrawer(open) {
  const body = document.body;
  body.classList.toggle('drawer-open', open);
  $('drawer-toggle')?.setAttribute('aria-expanded', String(open));
  if (open) $('drawer-close')?.focus();
}

// ------------------------------------------------------------------------- errors

export function showError(source, text) {
  $('error-text').textContent = (ERROR_PREFIX[source] || '') + text;
  $('error').hidden = false;
}

export function hideError() {
  $('error').hidden = true;
}

// ------------------------------------------------------------------------- the link

/**
 * The address bar holds the state: the hash, or (read once, then moved into the hash) keys in
 * the query string. A bad link stays there untouched (nothing the student typed is lost) until
 * they change something.
 */
export class Link {
  constructor() {
    /** The hash this page last wrote, so that our own writes are not read back as edits. */
    this.written = null;
    this.keep = false;
    this.last = 0;
    this.timer = 0;
  }

  /** The state as the address bar has it now: the query string's state keys, then the hash's
   *  (a key in both is taken from the hash). */
  current() {
    const hash = location.hash.slice(1);
    const inHash = new Set(hash.split('&').map((p) => p.split('=')[0]));
    const fromSearch = location.search
      .slice(1)
      .split('&')
      .filter((p) => p && !FRAME_KEYS.includes(p.split('=')[0]) && !inHash.has(p.split('=')[0]));
    return [...fromSearch, ...(hash ? [hash] : [])].join('&');
  }

  /** Writes `query` into the address bar (at most four times a second if `often`); the query
   *  string keeps only the frame's keys. */
  write(query, often = false) {
    if (this.keep) return;
    window.clearTimeout(this.timer);
    const go = () => {
      this.written = query;
      this.last = performance.now();
      const s = new URLSearchParams(location.search);
      for (const k of [...s.keys()]) if (!FRAME_KEYS.includes(k)) s.delete(k);
      const url = `${location.pathname}${s.size ? `?${s}` : ''}#${query}`;
      if (`${location.pathname}${location.search}${location.hash}` !== url) history.replaceState(null, '', url);
    };
    if (!often || performance.now() - this.last > 250) go();
    else this.timer = window.setTimeout(go, 250);
  }

  /** Calls `onEdit(query)` when the student edits the hash by hand. */
  onEdit(onEdit) {
    window.addEventListener('hashchange', () => {
      const q = location.hash.slice(1);
      if (q !== this.written) onEdit(q);
    });
  }
}

// ------------------------------------------------------------------------- progress, files

/** Shows (total > 0 and done < total) or hides the progress bar. */
export function showProgress(done, total, what = 'Working') {
  const busy = total > 0 && done < total;
  $('busy').hidden = !busy;
  const demo = document.getElementById('demo');
  if (demo) demo.dataset.busy = String(busy);
  if (busy) {
    /** @type {HTMLProgressElement} */ ($('busy-progress')).value = done / total;
    $('busy-text').textContent = `${what}… ${done} of ${total}`;
  }
}

/** Offers `obj` as a JSON file download. */
export function saveJson(obj, name) {
  saveBytes(new Blob([JSON.stringify(obj, null, 2)], { type: 'application/json' }), name);
}

/** Offers a Blob as a file download. */
export function saveBytes(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/**
 * Reads the file chosen in a file input (at most `maxBytes`), as text or bytes.
 * @param {Event} ev @param {number} maxBytes @param {'text'|'bytes'} as
 * @returns {Promise<string|Uint8Array|null>}
 */
export async function readChosenFile(ev, maxBytes, as) {
  const input = /** @type {HTMLInputElement} */ (ev.target);
  const file = input.files && input.files[0];
  input.value = '';
  if (!file) return null;
  if (file.size > maxBytes) throw new Error(`${file.name} is ${file.size} bytes; the lab takes files up to ${maxBytes} bytes here.`);
  return as === 'text' ? file.text() : new Uint8Array(await file.arrayBuffer());
}

/** Draws RGBA pixels (side x side) onto a canvas, enlarged without smoothing. */
export function blit(canvas, rgba, side) {
  const c = /** @type {HTMLCanvasElement} */ (canvas);
  const src = document.createElement('canvas');
  src.width = side;
  src.height = side;
  src.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength), side, side), 0, 0);
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(side, Math.round(c.clientWidth * dpr));
  if (c.width !== w || c.height !== w) {
    c.width = w;
    c.height = w;
  }
  const ctx = c.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(src, 0, 0, c.width, c.height);
}

/**
 * A drawing pad: dark ink on white, drawn with the pointer in strokes `brush` canvas pixels
 * wide; it shows a hint until the first stroke, which is not part of the drawing. Returns
 * `clear()`, `inked()` (whether anything is drawn) and `pixels()` (its RGBA pixels and size,
 * for the worker, which makes them into an image).
 * @param {HTMLCanvasElement} pad @param {number} brush
 */
export function drawingPad(pad, brush) {
  const ctx = pad.getContext('2d', { willReadFrequently: true });
  let inked = false;
  const clear = () => {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, pad.width, pad.height);
    ctx.fillStyle = '#999';
    ctx.font = '28px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText('draw here', pad.width / 2, pad.height / 2 + 10);
    inked = false;
  };
  clear();
  let drawing = false;
  /** @returns {[number, number]} */
  const at = (ev) => {
    const r = pad.getBoundingClientRect();
    return [((ev.clientX - r.left) / r.width) * pad.width, ((ev.clientY - r.top) / r.height) * pad.height];
  };
  pad.addEventListener('pointerdown', (ev) => {
    if (!inked) {
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, pad.width, pad.height);
      inked = true;
    }
    drawing = true;
    pad.setPointerCapture(ev.pointerId);
    ctx.beginPath();
    ctx.moveTo(...at(ev));
  });
  pad.addEventListener('pointermove', (ev) => {
    if (!drawing) return;
    ctx.lineWidth = brush;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#111';
    ctx.lineTo(...at(ev));
    ctx.stroke();
  });
  pad.addEventListener('pointerup', () => (drawing = false));
  const pixels = () => {
    const { data } = ctx.getImageData(0, 0, pad.width, pad.height);
    return { rgba: new Uint8Array(data.buffer), width: pad.width, height: pad.height };
  };
  return { clear, inked: () => inked, pixels };
}

// ------------------------------------------------------------------------- the worker

/**
 * Connects a page to its worker: the address bar (a link on load, edits by hand), progress
 * with Cancel, errors, and saving and loading the state as a file. `handlers.ready(msg)` builds
 * the page once the worker is up; every other message goes to `handlers[msg.type](msg)`.
 * `fileName` names saved state files; `state()` gives the state to save. The worker gets the
 * page's `?workers=N`, if any.
 */
export function connect(workerUrl, handlers, fileName, state) {
  // `?workers=N` on the page's address sets the size of a worker's pool (pool.js).
  const workers = new URL(location.href).searchParams.get('workers');
  const url = new URL(workerUrl);
  if (workers) url.searchParams.set('workers', workers);
  const worker = new Worker(url, { type: 'module' });
  const link = new Link();
  /** Messages held back while the demo's slide is not shown (see slide-protocol.js). */
  const held = [];
  const send = (msg) => (deck.suspended && msg.type !== 'cancel' ? held.push(msg) : worker.postMessage(msg));
  /** A change made by the student: it also releases a kept bad link. */
  const change = (changes) => {
    link.keep = false;
    hideError();
    send({ type: 'set', changes });
  };
  worker.onmessage = (ev) => {
    const msg = ev.data;
    switch (msg.type) {
      case 'ready':
        handlers.ready(msg);
        link.onEdit((q) => {
          hideError();
          send({ type: 'load', query: q });
        });
        deck.attach({
          suspend() {
            worker.postMessage({ type: 'suspend' });
          },
          resume() {
            worker.postMessage({ type: 'resume' });
            for (const m of held.splice(0)) worker.postMessage(m);
          },
          link(q) {
            link.keep = false;
            hideError();
            history.replaceState(null, '', `${location.pathname}${location.search}#${q}`);
            send({ type: 'load', query: q });
          },
        });
        break;
      case 'progress':
        showProgress(msg.done, msg.total, msg.what);
        break;
      case 'computing':
        document.getElementById('demo')?.setAttribute('aria-busy', String(msg.on));
        break;
      case 'error':
        if (msg.source === 'link' || msg.source === 'link-edit') link.keep = true;
        showError(msg.source, msg.message);
        break;
      case 'exported': {
        const page = document.body.dataset.page || 'figure';
        if (msg.what === 'png') saveBytes(new Blob([msg.bytes], { type: 'image/png' }), `${page}-figure.png`);
        else saveBytes(new Blob([msg.text], { type: msg.what === 'csv' ? 'text/csv' : 'application/json' }), `${page}-numbers.${msg.what}`);
        break;
      }
      default:
        handlers[msg.type]?.(msg);
    }
  };
  worker.onerror = (ev) => showError('internal', ev.message || 'the worker failed to start');
  // The link goes at once: the worker starts on it as soon as its WebAssembly is ready, while
  // the page builds its controls.
  send({ type: 'load', query: link.current(), first: true });
  $('cancel').addEventListener('click', () => send({ type: 'cancel' }));
  for (const b of document.querySelectorAll('[data-export]')) {
    b.addEventListener('click', () => send({ type: 'export', what: /** @type {HTMLElement} */ (b).dataset.export }));
  }
  $('save').addEventListener('click', () => state() && saveJson(state(), fileName));
  $('load').addEventListener('change', async (ev) => {
    try {
      const text = await readChosenFile(ev, 100_000, 'text');
      if (text !== null) {
        link.keep = false;
        hideError();
        send({ type: 'set', json: text, source: 'file' });
      }
    } catch (e) {
      showError('file', e.message);
    }
  });
  return { send, change, link };
}

/**
 * Marks the page as showing the complete figure of `query` (the address bar follows; tests
 * wait on `data-drawn`).
 */
export function shown(link, query) {
  link.write(query);
  const demo = document.getElementById('demo');
  demo.dataset.query = query;
  demo.dataset.drawn = query;
  demo.dataset.frame = query;
  deck.tell?.drawn(document.body.dataset.page, query);
}

// ------------------------------------------------------------------------- the slide deck

/**
 * The page's end of the slide protocol (slide-protocol.js): a deck suspends and resumes the
 * demo, gives it a link, changes some keys, resets it, and presses its main buttons (those
 * marked data-deck="run" and "step"). Messages that come before the worker is up take effect
 * once it is (a suspension at once: nothing is sent to a suspended worker).
 */
const deck = {
  /** Nothing goes to the worker while suspended; with ?paused=1 a demo in a deck starts so. */
  suspended: inDeck && search.get('paused') === '1',
  /** @type {{suspend(): void, resume(): void, link(q: string): void} | null} */
  to: null,
  /** A link that came before the worker was up. */
  pendingLink: /** @type {string|null} */ (null),
  /** @type {{ready(page: string): void, drawn(page: string, query: string): void} | null} */
  tell: null,
  /** Connects the protocol to the page's worker (once it is up). */
  attach(to) {
    this.to = to;
    // Resumed before the worker was up: what was held back goes now.
    if (!this.suspended) to.resume();
    if (this.pendingLink !== null) to.link(this.pendingLink);
    this.pendingLink = null;
    this.mark();
    this.tell?.ready(document.body.dataset.page);
  },
  mark() {
    const demo = document.getElementById('demo');
    if (demo) demo.dataset.paused = String(this.suspended);
  },
  suspend() {
    if (this.suspended) return;
    this.suspended = true;
    this.mark();
    this.to?.suspend();
  },
  resume() {
    if (!this.suspended) return;
    this.suspended = false;
    this.mark();
    this.to?.resume();
  },
  link(q) {
    if (this.to) this.to.link(q);
    else this.pendingLink = q;
  },
  current() {
    return this.pendingLink ?? document.getElementById('demo')?.dataset.query ?? location.hash.slice(1);
  },
};

function listenToDeck() {
  deck.mark();
  deck.tell = listenForDeck({
    suspend: () => deck.suspend(),
    resume: () => deck.resume(),
    link: (q) => deck.link(q),
    set: (q) => deck.link(mergeQuery(deck.current(), q)),
    reset: () => deck.link(''),
    run: () => /** @type {HTMLElement|null} */ (document.querySelector('[data-deck=run]'))?.click(),
    step: () => /** @type {HTMLElement|null} */ (document.querySelector('[data-deck=step]'))?.click(),
  });
}

/**
 * The arrow keys on a focused element (a picture where a click places something) call
 * `move(dx, dy, big)` with dx, dy in {-1, 0, 1} on the screen (down is +1) and `big` with
 * Shift; other keys, and keys while the element has no focus, are left to the page (and to
 * the slide deck around it).
 * @param {HTMLElement} el @param {(dx: number, dy: number, big: boolean) => void} move
 */
export function onArrows(el, move) {
  el.tabIndex = 0;
  el.addEventListener('keydown', (ev) => {
    const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[ev.key];
    if (!d) return;
    ev.preventDefault();
    move(d[0], d[1], ev.shiftKey);
  });
}

/** Marks the page as showing a first, partial frame of `query`'s figure (`data-frame`: the
 *  benchmarks time a control's response by it). */
export function framed(query) {
  document.getElementById('demo').dataset.frame = query;
}

buildFrame();
