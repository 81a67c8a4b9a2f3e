/// <reference types="node" />
// npm run bench: the same kernels natively (target/release/bench) and in headless
// Chromium (www/bench.html), written to bench/results.json and bench/results.md.
import { chromium } from '@playwright/test';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchDeck, benchPages, deckTable, pagesTable } from './bench-pages.mjs';

const PORT = 8093;
const SAMPLES = 31;
/** Rounds of the page timings (each demo loaded and its main control moved once per round). */
const PAGE_ROUNDS = 5;
/** Runs through the lecture deck. */
const DECK_ROUNDS = 3;
/** `npm run bench -- NAME` times only the kernels whose name contains NAME (and writes no files). */
const ONLY = process.argv[2] || '';

console.log('bench: native…');
const native = JSON.parse(execFileSync('target/release/bench', [String(SAMPLES), ONLY], { encoding: 'utf8' }));

console.log('bench: headless Chromium…');
const server = spawn(process.execPath, ['scripts/serve.mjs', '--root', '.', '--port', String(PORT)], { stdio: 'ignore' });
let browser;
let chromiumResults;
let version;
let pages = [];
/** @type {any} */
let deck = null;
try {
  await new Promise((r) => setTimeout(r, 500));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  version = browser.version();
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`bench page: ${e.message}`));
  await page.goto(`http://127.0.0.1:${PORT}/www/bench.html?samples=${SAMPLES}&only=${encodeURIComponent(ONLY)}`);
  await page.waitForFunction(() => /** @type {any} */ (window).benchResults || /** @type {any} */ (window).benchError, null, { timeout: 300_000 });
  const err = await page.evaluate(() => /** @type {any} */ (window).benchError);
  if (err) throw new Error(err);
  chromiumResults = await page.evaluate(() => /** @type {any} */ (window).benchResults);
  await page.close();
  if (!ONLY) {
    console.log('bench: the pages (first figure, main control, memory)…');
    pages = await benchPages(browser, `http://127.0.0.1:${PORT}`, PAGE_ROUNDS);
    console.log('bench: the lecture deck (first slide, each slide to its figure)…');
    deck = await benchDeck(browser, `http://127.0.0.1:${PORT}`, DECK_ROUNDS);
  }
} finally {
  if (browser) await browser.close();
  server.kill();
}

const byName = Object.fromEntries(chromiumResults.map((m) => [m.name, m]));
const rows = native.map((n) => {
  const c = byName[n.name];
  return { name: n.name, description: n.description, native_ms: n.median_ms, chromium_ms: c.median_ms, ratio: c.median_ms / n.median_ms };
});
const fmt = (ms) => (ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(4) : ms.toExponential(2));
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const table = [
  `Medians of ${SAMPLES} samples (each at least 20 ms of repeated calls); ${cpu}, ${cpus().length} cores; Chromium ${version}.`,
  '',
  '| kernel | what | native (ms) | Chromium wasm (ms) | wasm / native |',
  '|---|---|---:|---:|---:|',
  ...rows.map((r) => `| \`${r.name}\` | ${r.description} | ${fmt(r.native_ms)} | ${fmt(r.chromium_ms)} | ${r.ratio.toFixed(2)} |`),
].join('\n');
if (ONLY) {
  console.log(`\n${table}\n\nbench: only kernels matching "${ONLY}"; bench/results.* left as they were`);
  process.exit(0);
}
mkdirSync('bench', { recursive: true });
const rustc = execFileSync('rustc', ['--version'], { encoding: 'utf8' }).trim();
writeFileSync(
  'bench/results.json',
  JSON.stringify({ date: new Date().toISOString(), cpu, cores: cpus().length, rustc, chromium: version, samples: SAMPLES, native, chromium_wasm: chromiumResults, summary: rows, pages, deck }, null, 2) + '\n',
);
const both = `${table}\n\n${pagesTable(pages, PAGE_ROUNDS)}\n\n${deckTable(deck, DECK_ROUNDS)}`;
writeFileSync('bench/results.md', both + '\n');
console.log(`\n${both}\n\nbench: wrote bench/results.json and bench/results.md`);
