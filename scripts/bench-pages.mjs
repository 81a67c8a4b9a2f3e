/// <reference types="node" />
// Page timings in headless Chromium: for every demo, the time from navigation to its complete
// default figure, and the peak WebAssembly memory of its worker (memory only grows, so its
// size at the end is its peak).
//
//   node scripts/bench-pages.mjs [ROUNDS]
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';

const PORT = 8094;
const ROUNDS = Number(process.argv[2] || 3);
const DEMOS = ['toy', 'attacks', 'universal', 'dimension', 'mri', 'unstable'];

const server = spawn(process.execPath, ['scripts/serve.mjs', '--root', '.', '--port', String(PORT)], { stdio: 'ignore' });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

/** Navigation to a drawn, idle figure, in ms, and the worker's memory in MB. */
async function once(demo) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(`http://127.0.0.1:${PORT}/www/${demo}.html`);
  await page.waitForFunction(
    () => {
      const d = document.getElementById('demo')?.dataset;
      return d && d.query !== undefined && d.drawn === d.query && d.busy !== 'true';
    },
    null,
    { timeout: 120_000, polling: 10 },
  );
  const ms = Date.now() - t0;
  const mb = await page.workers()[0].evaluate(() => /** @type {any} */ (self).wasmMemory.buffer.byteLength / 2 ** 20);
  await context.close();
  return { ms, mb };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const demo of DEMOS) {
    const runs = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await once(demo));
    console.log(`${demo.padEnd(10)} first figure ${median(runs.map((r) => r.ms))} ms (${runs.map((r) => r.ms).join(', ')}), wasm memory ${median(runs.map((r) => r.mb))} MB`);
  }
} finally {
  await browser.close();
  server.kill();
}
