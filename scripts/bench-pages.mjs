/// <reference types="node" />
// The pages in headless Chromium, as a student meets them: for every demo, the time from
// navigation to its complete default figure, the response to its main control (to the first
// frame of the new figure, and to the complete one), and the peak WebAssembly memory of its
// worker (memory only grows, so its size at the end is its peak). Part of `npm run bench`;
// alone: `node scripts/bench-pages.mjs [ROUNDS] [deck|pool]` (deck: the lecture deck only;
// pool: the jobs a pool of workers shares, with 1, 2 and 4 workers).
// The lecture deck: the time to its first slide, and from a key to each slide's figure.
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { cpus } from 'node:os';

/**
 * Each demo's main control, as the strip shows it: `step` moves a slider by that many of its
 * steps (log sliders step along their ladder of values); `set` sets a value. `limit` is the
 * response the issue allows (ms), null where the change is a full recomputation shown with
 * progress.
 */
export const MAIN_CONTROLS = {
  toy: { id: 'ctl-eps', set: '0.3', limit: 200, what: 'FGSM ε 0.1 → 0.3' },
  attacks: { id: 'ctl-eps', set: '0.05', limit: 200, what: 'FGSM ε 0.1 → 0.05 (DeepFool → FGSM)' },
  universal: { id: 'ctl-xi', step: -1, limit: null, what: 'ξ 0.25 → 0.2 (a new perturbation, with progress)' },
  dimension: { id: 'ctl-eps', set: '0.05', limit: 200, what: 'ε 0.02 → 0.05' },
  mri: { id: 'ctl-rate', set: '0.3', limit: 200, what: 'samples 25 % → 30 %' },
  unstable: { id: 'ctl-budget', step: -1, limit: 200, what: 'budget 5 % → 4 % (a new instability test)' },
  inexact: { id: 'ctl-k', set: '6', limit: null, what: 'K 3 → 6 (a new cell, with progress)' },
  kernel1d: { id: 'ctl-pairs', set: 'off', limit: null, what: 'pairs on → off (two networks retrained, with progress)' },
  stripes: { id: 'ctl-background', set: 'random', limit: null, what: 'backgrounds label → random (a new network, with progress)' },
};

/** Waits in the page for a condition on #demo's data, checked every frame; resolves to the
 *  page's clock then (ms since navigation). */
const WAIT_SOURCE = `(cond) => new Promise((resolve) => {
  const d = document.getElementById('demo');
  const tick = () => (d && cond(d.dataset) ? resolve(performance.now()) : requestAnimationFrame(tick));
  tick();
})`;

/** One demo, once: navigation to the figure, the main control, memory. */
async function once(browser, base, demo) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  await page.goto(`${base}/www/${demo}.html`);
  // The first drawing of the default figure (for most pages the complete one; the barrier's
  // page draws its picture before LISTA trains and the table is computed).
  const firstFrame = await page.evaluate(`(${WAIT_SOURCE})((d) => d.query !== undefined && (d.frame === d.query || d.drawn === d.query))`);
  const first = await page.evaluate(`(${WAIT_SOURCE})((d) => d.query !== undefined && d.drawn === d.query && d.busy !== 'true')`);
  const memFirst = await memory(page);
  const c = MAIN_CONTROLS[demo];
  const r = await page.evaluate(
    async ([c, wait]) => {
      const waitFor = eval(wait);
      const el = /** @type {HTMLInputElement} */ (document.getElementById(c.id));
      const before = document.getElementById('demo').dataset.query;
      const t0 = performance.now();
      el.value = c.set ?? String(Number(el.value) + c.step);
      // A slider reports on input, a menu on change.
      el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
      const frame = await waitFor((d) => d.query !== before && d.frame === d.query);
      const done = await waitFor((d) => d.query !== before && d.drawn === d.query && d.busy !== 'true');
      return { frame: frame - t0, done: done - t0, query: document.getElementById('demo').dataset.query };
    },
    [c, WAIT_SOURCE],
  );
  const memPeak = await memory(page);
  await context.close();
  return { firstFrame, first, memFirst, memPeak, response: r.frame, complete: r.done };
}

/** The WebAssembly memory of the page's workers (the universal page has a helper), in MB. */
async function memory(page) {
  let mb = 0;
  for (const w of page.workers()) mb += await w.evaluate(() => (/** @type {any} */ (self).wasmMemory?.buffer.byteLength ?? 0) / 2 ** 20);
  return mb;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs every demo `rounds` times, the demos interleaved (so a noisy minute hits them all), and
 * returns medians and ranges per demo.
 */
export async function benchPages(browser, base, rounds = 3, log = console.log) {
  const runs = {};
  for (let i = 0; i < rounds; i++) {
    for (const demo of Object.keys(MAIN_CONTROLS)) {
      (runs[demo] ??= []).push(await once(browser, base, demo));
    }
  }
  const out = [];
  for (const [demo, rs] of Object.entries(runs)) {
    const pick = (k) => rs.map((r) => r[k]);
    const row = {
      demo,
      control: MAIN_CONTROLS[demo].what,
      first_frame_ms: median(pick('firstFrame')),
      first_frame_range_ms: [Math.min(...pick('firstFrame')), Math.max(...pick('firstFrame'))],
      first_figure_ms: median(pick('first')),
      first_figure_range_ms: [Math.min(...pick('first')), Math.max(...pick('first'))],
      response_ms: median(pick('response')),
      response_range_ms: [Math.min(...pick('response')), Math.max(...pick('response'))],
      response_limit_ms: MAIN_CONTROLS[demo].limit,
      complete_ms: median(pick('complete')),
      memory_first_mb: median(pick('memFirst')),
      memory_peak_mb: Math.max(...pick('memPeak')),
    };
    out.push(row);
    log(
      `${demo.padEnd(10)} first drawn ${row.first_frame_ms.toFixed(0)} ms, first figure ${row.first_figure_ms.toFixed(0)} ms (${row.first_figure_range_ms.map((v) => v.toFixed(0)).join('-')}); ` +
        `${row.control}: first frame ${row.response_ms.toFixed(0)} ms, complete ${row.complete_ms.toFixed(0)} ms; ` +
        `wasm memory ${row.memory_first_mb.toFixed(0)} MB, peak ${row.memory_peak_mb.toFixed(0)} MB`,
    );
  }
  return out;
}

/**
 * The jobs a pool of workers shares (pool.js): each opened at a state whose result is not
 * shipped, then changed by an edit of the link to another such state. `first`: navigation to
 * the complete figure (the helpers start and load their files); `change`: the edit to the
 * complete new figure (the helpers are warm).
 */
export const POOLED = {
  tradeoff: { page: 'unstable', what: 'trade-off plot (16 variants, 15 test iterations)', first: 'view=tradeoff&budget=0.04', change: 'view=tradeoff&budget=0.03' },
  samples: { page: 'unstable', what: 'more-samples curve (12 rates × 3 methods, 8 images)', first: 'view=samples&samples_images=8', change: 'view=samples&samples_images=8&noise=0.02' },
  // The ratio table runs on a button: "first" is the first table (helpers start and load the
  // data and model), "change" the same table asked for again (helpers warm).
  ratios: { page: 'attacks', what: 'ratio table (3 attacks on 100 MNIST digits, CNN)', first: 'data=mnist&model=cnn&n=100' },
};

/** One pooled job at one pool size: the two timings. */
async function pooledOnce(browser, base, job, workers) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const drawn = `(${WAIT_SOURCE})((d) => d.query !== undefined && d.drawn === d.query && d.busy !== 'true')`;
  const j = POOLED[job];
  const t0 = Date.now();
  await page.goto(`${base}/www/${j.page}.html?workers=${workers}#${j.first}`);
  await page.evaluate(drawn);
  let first;
  let change;
  if (j.page === 'attacks') {
    // From the click to the finished table, twice.
    const table = async () => {
      const t = Date.now();
      await page.locator('#ratios').click();
      await page.locator('#ratio-table caption').filter({ hasText: '100 correctly classified' }).waitFor({ timeout: 300_000 });
      return Date.now() - t;
    };
    first = await table();
    await page.locator('#ratio-table').evaluate((t) => (t.innerHTML = ''));
    change = await table();
  } else {
    first = Date.now() - t0;
    change = await page.evaluate(
      async ([hash, wait]) => {
        const waitFor = eval(wait);
        const before = document.getElementById('demo').dataset.query;
        const t = performance.now();
        location.hash = hash;
        const end = await waitFor((d) => d.query !== before && d.drawn === d.query && d.busy !== 'true');
        return end - t;
      },
      [j.change, WAIT_SOURCE],
    );
    const finished = await page.evaluate(() => document.querySelector('[data-testid$="-note"][data-done="true"]') !== null);
    if (!finished) throw new Error(`${job}: the figure did not finish`);
  }
  // The page's worker and its helpers: the pool had the size asked for.
  if (page.workers().length !== workers) throw new Error(`${job}: ${page.workers().length} workers, not ${workers}`);
  const mb = await memory(page);
  await context.close();
  return { first, change, mb };
}

/**
 * The pooled jobs with pools of 1, 2 and 4 workers, `rounds` interleaved rounds: medians, and
 * the ratio to one worker. (The numbers are the same whatever the pool: page tests compare them.)
 */
export async function benchPool(browser, base, rounds = 3, log = console.log) {
  const sizes = [1, 2, 4];
  const runs = {};
  for (let i = 0; i < rounds; i++) {
    for (const job of Object.keys(POOLED)) {
      for (const w of sizes) (runs[`${job}:${w}`] ??= []).push(await pooledOnce(browser, base, job, w));
    }
  }
  const out = [];
  for (const job of Object.keys(POOLED)) {
    const one = median(runs[`${job}:1`].map((r) => r.change));
    for (const w of sizes) {
      const rs = runs[`${job}:${w}`];
      const change = median(rs.map((r) => r.change));
      const row = {
        job,
        what: POOLED[job].what,
        workers: w,
        first_ms: median(rs.map((r) => r.first)),
        change_ms: change,
        change_range_ms: [Math.min(...rs.map((r) => r.change)), Math.max(...rs.map((r) => r.change))],
        over_one: change / one,
        memory_mb: Math.max(...rs.map((r) => r.mb)),
      };
      out.push(row);
      log(`${job.padEnd(9)} ${w} worker(s): first ${row.first_ms.toFixed(0)} ms, change ${row.change_ms.toFixed(0)} ms (${row.over_one.toFixed(2)} of one worker), memory ${row.memory_mb.toFixed(0)} MB`);
    }
  }
  return out;
}

/** Markdown table of the pooled jobs. */
export function poolTable(rows, rounds, cores) {
  const ms = (v) => v.toFixed(0);
  return [
    `The jobs a pool of workers shares (the page's worker and helpers, \`?workers=N\`), in headless Chromium on ${cores} cores, medians of ${rounds} interleaved rounds (range in brackets). "First": navigation to the complete figure (helpers start and load their files), for the ratio table the click to the first table; "change": an edit of the link to the complete new figure, for the ratio table the click that asks for it again; "of one": change / change with one worker; memory: the WebAssembly memory of all the page's workers at the end (the largest of the rounds).`,
    '',
    '| job | workers | first (ms) | change (ms) | of one | memory (MB) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.what} | ${r.workers} | ${ms(r.first_ms)} | ${ms(r.change_ms)} (${r.change_range_ms.map(ms).join('-')}) | ${r.over_one.toFixed(2)} | ${r.memory_mb.toFixed(0)} |`),
  ].join('\n');
}

/**
 * The lecture deck, once: navigation to its first slide shown, then the arrow key pressed
 * until each demo slide is shown (past its fragments), timed from the key that shows the
 * slide to its demo's complete figure.
 */
async function deckOnce(browser, base) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(`${base}/slides/index.html`);
  await page.waitForFunction(() => document.documentElement.dataset.deckReady === 'true' && document.querySelector('.reveal .slides > section.present'));
  const open = Date.now() - t0;
  const slides = await page.locator('.reveal .slides > section').count();
  const shown = [];
  for (let i = 1; i < slides; i++) {
    // Past the fragments of slide i - 1, to slide i.
    let t = 0;
    while ((await page.evaluate(() => /** @type {any} */ (window).deck.getIndices().h)) < i) {
      t = Date.now();
      await page.keyboard.press('ArrowRight');
    }
    const frame = await page.locator('.reveal .slides > section.present iframe.lab-demo').elementHandle().then((h) => h?.contentFrame()).catch(() => null);
    if (!frame) continue;
    await frame.waitForFunction(
      () => {
        const d = document.getElementById('demo')?.dataset;
        return !!d && d.query !== undefined && d.drawn === d.query && d.busy !== 'true';
      },
      null,
      { timeout: 120_000, polling: 16 },
    );
    shown.push({ slide: i, page: await frame.evaluate(() => document.body.dataset.page), ms: Date.now() - t });
  }
  await context.close();
  return { open, shown };
}

/** The deck `rounds` times: medians of the time to open it and to show each slide's figure. */
export async function benchDeck(browser, base, rounds = 3, log = console.log) {
  const runs = [];
  for (let i = 0; i < rounds; i++) runs.push(await deckOnce(browser, base));
  const slides = runs[0].shown.map((s, j) => {
    const ms = runs.map((r) => r.shown[j].ms);
    return { slide: s.slide, page: s.page, figure_ms: median(ms), range_ms: [Math.min(...ms), Math.max(...ms)] };
  });
  const opens = runs.map((r) => r.open);
  const out = { open_ms: median(opens), open_range_ms: [Math.min(...opens), Math.max(...opens)], slides };
  log(`deck: first slide ${out.open_ms} ms; slide to figure ${slides.map((s) => `${s.slide} ${s.page} ${s.figure_ms} ms`).join(', ')}`);
  return out;
}

/** Markdown table of the deck timings. */
export function deckTable(deck, rounds) {
  return [
    `The lecture deck (slides/index.html) at 1280 x 720, medians of ${rounds} runs (range in brackets): navigation to its first slide ${deck.open_ms} ms (${deck.open_range_ms.join('-')}); for each demo slide, the arrow key that shows it to its demo's complete figure (the next slide's demo is loaded ahead and waits, suspended).`,
    '',
    '| slide | demo | figure (ms) |',
    '|---:|---|---:|',
    ...deck.slides.map((s) => `| ${s.slide} | ${s.page} | ${s.figure_ms} (${s.range_ms.join('-')}) |`),
  ].join('\n');
}

/** Markdown table of the page timings. */
export function pagesTable(rows, rounds) {
  const ms = (v) => v.toFixed(0);
  return [
    `Pages in headless Chromium at 1280 x 720, medians of ${rounds} interleaved rounds (range in brackets). "First drawn": navigation to the first drawing of the default figure; "first figure": to the complete default figure (for the barrier's page, after LISTA's training and the nine-cell table). "Control": the strip's main control moved once; "first frame" is the first drawing of the new figure, "complete" the end of its computation. Memory: the WebAssembly memory of the page's workers (summed; the universal page runs two) after the first figure, and its peak.`,
    '',
    '| demo | first drawn (ms) | first figure (ms) | control | first frame (ms) | complete (ms) | memory, peak (MB) |',
    '|---|---:|---:|---|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.demo} | ${ms(r.first_frame_ms)} (${r.first_frame_range_ms.map(ms).join('-')}) | ${ms(r.first_figure_ms)} (${r.first_figure_range_ms.map(ms).join('-')}) | ${r.control} | ${ms(r.response_ms)} (${r.response_range_ms.map(ms).join('-')}) | ${ms(r.complete_ms)} | ${r.memory_first_mb.toFixed(0)}, ${r.memory_peak_mb.toFixed(0)} |`,
    ),
  ].join('\n');
}

// Standalone: node scripts/bench-pages.mjs [ROUNDS]
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const PORT = 8094;
  const rounds = Number(process.argv[2] || 3);
  const server = spawn(process.execPath, ['scripts/serve.mjs', '--root', '.', '--port', String(PORT)], { stdio: 'ignore' });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    await new Promise((r) => setTimeout(r, 400));
    const base = `http://127.0.0.1:${PORT}`;
    if (process.argv[3] === 'pool') console.log(`\n${poolTable(await benchPool(browser, base, rounds), rounds, cpus().length)}`);
    else {
      if (process.argv[3] !== 'deck') console.log(`\n${pagesTable(await benchPages(browser, base, rounds), rounds)}`);
      console.log(`\n${deckTable(await benchDeck(browser, base, rounds), rounds)}`);
    }
  } finally {
    await browser.close();
    server.kill();
  }
}
