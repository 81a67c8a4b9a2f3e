// What every demo page shares: the embed mode, the error banner, the address bar as the
// state, the progress bar with Cancel, and state files. No math here.

/** @param {string} id */
export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** ?embed=1: no page chrome, sized to its frame (see lab.css). */
export const embed = new URLSearchParams(location.search).get('embed') === '1';
if (embed) document.body.classList.add('embed');

/** Where a refused value came from, in words for the banner. */
export const ERROR_PREFIX = {
  link: 'This link has a value the lab cannot use, so it shows the defaults instead: ',
  'link-edit': 'This link has a value the lab cannot use, so the demo stays as it was: ',
  file: 'That file cannot be used: ',
  control: 'That value was refused: ',
  click: 'That point cannot be attacked: ',
  drawing: 'That drawing cannot be used: ',
  internal: 'The computation stopped: ',
};

export function showError(source, text) {
  $('error-text').textContent = (ERROR_PREFIX[source] || '') + text;
  $('error').hidden = false;
}

export function hideError() {
  $('error').hidden = true;
}

$('error-close')?.addEventListener('click', hideError);

/**
 * The address bar holds the state (the hash). A bad link stays there untouched (nothing the
 * student typed is lost) until they change something.
 */
export class Link {
  constructor() {
    /** The hash this page last wrote, so that our own writes are not read back as edits. */
    this.written = null;
    this.keep = false;
    this.last = 0;
    this.timer = 0;
  }

  /** The state as the address bar has it now. */
  current() {
    return location.hash.slice(1);
  }

  /** Writes `query` into the address bar (at most four times a second if `often`). */
  write(query, often = false) {
    if (this.keep) return;
    window.clearTimeout(this.timer);
    const go = () => {
      this.written = query;
      this.last = performance.now();
      if (location.hash.slice(1) !== query) {
        history.replaceState(null, '', `${location.pathname}${location.search}#${query}`);
      }
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
  const w = Math.max(1, Math.round(c.clientWidth * dpr));
  if (c.width !== w || c.height !== w) {
    c.width = w;
    c.height = w;
  }
  const ctx = c.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(src, 0, 0, c.width, c.height);
}

/**
 * Connects a page to its worker: the address bar (a link on load, edits by hand), progress
 * with Cancel, errors, and saving and loading the state as a file. `handlers.ready(msg)` builds
 * the page once the worker is up; every other message goes to `handlers[msg.type](msg)`.
 * `fileName` names saved state files; `state()` gives the state to save.
 */
export function connect(workerUrl, handlers, fileName, state) {
  const worker = new Worker(workerUrl, { type: 'module' });
  const link = new Link();
  const send = (msg) => worker.postMessage(msg);
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
        send({ type: 'load', query: link.current(), first: true });
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
      default:
        handlers[msg.type]?.(msg);
    }
  };
  worker.onerror = (ev) => showError('internal', ev.message || 'the worker failed to start');
  document.getElementById('cancel')?.addEventListener('click', () => send({ type: 'cancel' }));
  document.getElementById('save')?.addEventListener('click', () => state() && saveJson(state(), fileName));
  document.getElementById('load')?.addEventListener('change', async (ev) => {
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

/** Marks the page as showing `query` (the address bar follows; tests wait on this). */
export function shown(link, query) {
  link.write(query);
  const demo = document.getElementById('demo');
  demo.dataset.query = query;
  demo.dataset.drawn = query;
}

/** A plot canvas sized to its CSS box at the device pixel ratio, cleared, with the plots' font. */
export function setUpCanvas(c) {
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.max(1, Math.round(c.clientWidth * dpr));
  c.height = Math.max(1, Math.round(c.clientHeight * dpr));
  const ctx = c.getContext('2d');
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  return { ctx, dpr };
}
