// A pool of helper workers for the jobs whose parts are independent (job::Parts in the Rust:
// the trade-off plot's variants, the more-samples curve's points). The page's worker steps the
// job as always; the pool hands the parts nobody has started to helpers (the page's worker file
// started again with ?helper, on the same compiled module), each computes its part alone in
// the WebAssembly, and the page's worker puts the numbers back (Float64Array: exact). The job
// gives the same numbers whichever worker computed a part (tested in the Rust). No shared
// memory, so any static host serves it. No math here.

/** The most workers a pool uses, the page's worker included. Each helper holds its own copy
 *  of the data and networks: the trade-off plot's four workers hold 160 MB of WebAssembly
 *  memory (`npm run bench`), so four keeps a page within the 200 MB the lab allows. */
const MOST = 4;

/**
 * How many workers compute a job of parts, the page's worker included: one per core the
 * browser reports, at most MOST; `?workers=N` on the page's address sets it (1: no helpers),
 * for benchmarks and tests.
 */
export function poolSize() {
  const asked = Number(new URL(self.location.href).searchParams.get('workers'));
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, MOST);
  return Math.max(1, Math.min(MOST, navigator.hardwareConcurrency || 1));
}

/** Whether this worker was started as a helper (its URL has ?helper). */
export function isHelper() {
  return new URL(self.location.href).searchParams.has('helper');
}

/** Compiles the lab's WebAssembly once (streamed where the server allows), so that helpers
 *  instantiate the same module without compiling it again. */
export async function compileModule() {
  const url = new URL('../pkg/barriers_lab_bg.wasm', import.meta.url);
  try {
    return await WebAssembly.compileStreaming(fetch(url));
  } catch {
    return WebAssembly.compile(await (await fetch(url)).arrayBuffer());
  }
}

/**
 * A helper's side: answers {type: 'part', id, module, ...} with {type: 'part', id, numbers}
 * (or {error}), one message at a time; `start(module)` instantiates the module on the first
 * message and resolves to what `compute(that, msg)` receives; `compute` resolves to a
 * Float64Array.
 * @param {(module: WebAssembly.Module) => Promise<any>} start
 * @param {(made: any, msg: any) => Promise<Float64Array>} compute
 */
export function serveHelper(start, compute) {
  let made = null;
  let queue = Promise.resolve();
  const handle = async (msg) => {
    if (!made) made = await start(msg.module);
    const numbers = await compute(made, msg);
    // Counted where tests and benchmarks can read it (`self.partsDone`).
    /** @type {any} */ (self).partsDone = (/** @type {any} */ (self).partsDone ?? 0) + 1;
    self.postMessage({ type: 'part', id: msg.id, numbers }, [numbers.buffer]);
  };
  self.onmessage = (ev) => {
    const msg = ev.data;
    if (msg?.type !== 'part') return;
    queue = queue
      .then(() => handle(msg))
      .catch((e) => self.postMessage({ type: 'part', id: msg.id, error: e instanceof Error ? e.message : String(e) }));
  };
}

/** The helpers of a page's worker, started on first use. */
export class Pool {
  /**
   * @param {URL} url the page's worker file (started with ?helper)
   * @param {() => WebAssembly.Module | null} module the compiled module the helpers share
   * @param {number} size workers in all, the page's worker included
   */
  constructor(url, module, size = poolSize()) {
    this.url = url;
    this.module = module;
    this.size = size;
    /** @type {{worker: Worker, busy: boolean, failed: boolean}[]} */
    this.helpers = [];
    this.asked = 0;
    /** Unanswered requests: id -> {resolve, reject, helper}. */
    this.pending = new Map();
    /** Who waits for the next answer. */
    this.listeners = [];
  }

  /** Starts the helpers (size - 1 of them) if they are not running; a helper that cannot
   *  start is left out. */
  start() {
    if (!this.module()) return;
    while (this.helpers.filter((h) => !h.failed).length < this.size - 1 && this.helpers.length < 4 * MOST) {
      const u = new URL(this.url);
      u.searchParams.set('helper', '');
      let worker;
      try {
        worker = new Worker(u, { type: 'module' });
      } catch {
        return;
      }
      const h = { worker, busy: false, failed: false };
      worker.onmessage = (ev) => this.answered(ev.data);
      worker.onerror = (ev) => {
        ev.preventDefault();
        h.failed = true;
        for (const [id, p] of this.pending) if (p.helper === h) this.settle(id, null, 'the helper worker failed');
      };
      this.helpers.push(h);
    }
  }

  answered(m) {
    if (m?.type !== 'part' || !this.pending.has(m.id)) return;
    this.settle(m.id, m.numbers, m.error);
  }

  settle(id, numbers, error) {
    const p = this.pending.get(id);
    this.pending.delete(id);
    p.helper.busy = false;
    if (error) p.reject(new Error(error));
    else p.resolve(numbers);
    for (const l of this.listeners.splice(0)) l();
  }

  /** A helper free to take a part, if any. */
  idle() {
    return this.helpers.find((h) => !h.busy && !h.failed) ?? null;
  }

  /** Resolves at the next answer (or failure) of any helper. */
  answer() {
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  /**
   * The runner `runJob` takes as its `pool` option for a job of parts: `feed()` hands parts to
   * idle helpers (the demo's `handOut()` returns the next part or undefined) and puts their
   * numbers back (`put(part, numbers)`), or gives the part back to this worker if its helper
   * fails (`takeBack(part)`); `waiting()` is the demo's (only parts handed out are left).
   * A part is whatever `handOut()` returns (a number, or the demo's array naming it); the
   * runner passes it back to `message`, `put` and `takeBack` unread.
   * @param {{handOut: () => any, message: (part: any) => object,
   *   put: (part: any, numbers: Float64Array) => void, takeBack: (part: any) => void,
   *   waiting: () => boolean}} job
   */
  runner(job) {
    const pool = this;
    return {
      feed() {
        if (pool.size <= 1) return;
        pool.start();
        for (let h = pool.idle(); h; h = pool.idle()) {
          const part = job.handOut();
          if (part === undefined) return;
          const id = ++pool.asked;
          h.busy = true;
          new Promise((resolve, reject) => {
            pool.pending.set(id, { resolve, reject, helper: h });
            h.worker.postMessage({ type: 'part', id, module: pool.module(), ...job.message(part) });
          })
            .then((numbers) => job.put(part, /** @type {Float64Array} */ (numbers)))
            // A failed helper (or numbers the job refuses): this worker computes the part.
            .catch(() => {
              try {
                job.takeBack(part);
              } catch {
                // The job is gone (a newer one replaced it): nothing to take back.
              }
            });
        }
      },
      waiting: () => job.waiting(),
      answer: () => pool.answer(),
    };
  }
}
