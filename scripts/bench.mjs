/// <reference types="node" />
// npm run bench: the same kernels natively (target/release/bench) and in headless
// Chromium (www/bench.html), written to bench/results.json and bench/results.md.
import { chromium } from '@playwright/test';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchDeck, benchPages, benchPool, deckTable, pagesTable, poolTable } from './bench-pages.mjs';

const PORT = 8093;
const SAMPLES = 31;
/** Rounds of the page timings (each demo loaded and its main control moved once per round). */
const PAGE_ROUNDS = 5;
/** Runs through the lecture deck. */
const DECK_ROUNDS = 3;
/** Rounds of the pooled jobs (each with 1, 2 and 4 workers). */
const POOL_ROUNDS = 3;
/** `npm run bench -- NAME` times only the kernels (and peers) whose name contains NAME, or one of
 * NAME's comma-separated parts (and writes no files). */
const ONLY = process.argv[2] || '';

console.log('bench: native…');
const native = JSON.parse(execFileSync('target/release/bench', [String(SAMPLES), ONLY], { encoding: 'utf8' }));

console.log('bench: headless Chromium…');
const server = spawn(process.execPath, ['scripts/serve.mjs', '--root', '.', '--port', String(PORT)], { stdio: 'ignore' });
let browser;
let chromiumResults;
/** @type {any[]} */
let peerResults = [];
/** @type {any} */
let peerInfo = {};
let version;
let pages = [];
/** @type {any} */
let deck = null;
let pool = [];
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
  console.log('bench: the peers in headless Chromium (TF.js, fft.js)…');
  const peerPage = await browser.newPage();
  peerPage.on('pageerror', (e) => console.error(`bench peers page: ${e.message}`));
  await peerPage.goto(`http://127.0.0.1:${PORT}/www/bench-peers.html?samples=${SAMPLES}&only=${encodeURIComponent(ONLY)}`);
  await peerPage.waitForFunction(() => /** @type {any} */ (window).peerResults || /** @type {any} */ (window).peerError, null, { timeout: 300_000 });
  const peerErr = await peerPage.evaluate(() => /** @type {any} */ (window).peerError);
  if (peerErr) throw new Error(`peers: ${peerErr}`);
  peerResults = await peerPage.evaluate(() => /** @type {any} */ (window).peerResults);
  peerInfo = await peerPage.evaluate(() => /** @type {any} */ (window).peerInfo);
  await peerPage.close();
  if (!ONLY) {
    console.log('bench: the pages (first figure, main control, memory)…');
    pages = await benchPages(browser, `http://127.0.0.1:${PORT}`, PAGE_ROUNDS);
    console.log('bench: the lecture deck (first slide, each slide to its figure)…');
    deck = await benchDeck(browser, `http://127.0.0.1:${PORT}`, DECK_ROUNDS);
    console.log('bench: the jobs a pool of workers shares (1, 2 and 4 workers)…');
    pool = await benchPool(browser, `http://127.0.0.1:${PORT}`, POOL_ROUNDS);
  }
} finally {
  if (browser) await browser.close();
  server.kill();
}

const byName = Object.fromEntries(chromiumResults.map((m) => [m.name, m]));
// A kernel the WebAssembly module leaves out (rustfft's scalar planner) has no Chromium column.
const rows = native.map((n) => {
  const c = byName[n.name];
  return { name: n.name, description: n.description, native_ms: n.median_ms, chromium_ms: c?.median_ms ?? null, ratio: c ? c.median_ms / n.median_ms : null };
});
const fmt = (ms) => (ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(4) : ms.toExponential(2));
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const table = [
  `Medians of ${SAMPLES} samples (each at least 20 ms of repeated calls); ${cpu}, ${cpus().length} cores; Chromium ${version}.`,
  '',
  '| kernel | what | native (ms) | Chromium wasm (ms) | wasm / native |',
  '|---|---|---:|---:|---:|',
  ...rows.map((r) => `| \`${r.name}\` | ${r.description} | ${fmt(r.native_ms)} | ${r.chromium_ms === null ? '—' : fmt(r.chromium_ms)} | ${r.ratio === null ? '—' : r.ratio.toFixed(2)} |`),
].join('\n');
// The lab against its peers on the same work, in one run: lab / peer in Chromium (below 1: the
// lab is faster), and the lab's own wasm / native. Peers named peer_* in the lab's kernels run
// in the lab's build (rustfft used plainly); the others run on bench-peers.html.
const PEERS = [
  { work: '2-D FFT 128², complex f64', lab: 'fft2_128', peers: ['peer_rustfft2_128', 'peer_fftjs2_128'] },
  { work: '2-D FFT 256², complex f64', lab: 'fft2_256', peers: ['peer_rustfft2_256', 'peer_fftjs2_256'] },
  { work: 'heat map 200², MLP 2-16-16-2: the logits', lab: 'toy_logits_200', peers: ['peer_tfjs_logits_200'] },
];
const inBrowser = Object.fromEntries([...chromiumResults, ...peerResults].map((m) => [m.name, m]));
const nativeByName = Object.fromEntries(native.map((m) => [m.name, m]));
const peerRows = PEERS.filter((p) => inBrowser[p.lab])
  .flatMap((p) =>
    p.peers
      .filter((q) => inBrowser[q])
      .map((q) => ({
        work: p.work,
        lab: p.lab,
        peer: q,
        peer_description: inBrowser[q].description,
        lab_chromium_ms: inBrowser[p.lab].median_ms,
        peer_chromium_ms: inBrowser[q].median_ms,
        lab_over_peer: inBrowser[p.lab].median_ms / inBrowser[q].median_ms,
        lab_native_ms: nativeByName[p.lab]?.median_ms,
        wasm_over_native: inBrowser[p.lab].median_ms / nativeByName[p.lab]?.median_ms,
      })),
  );
const peerTable = [
  'The lab against its peers on the same work (Chromium, medians of the same run; lab / peer below 1: the lab is faster).',
  '',
  '| work | lab kernel | lab, Chromium (ms) | peer | peer, Chromium (ms) | lab / peer | lab wasm / native |',
  '|---|---|---:|---|---:|---:|---:|',
  ...peerRows.map((r) => `| ${r.work} | \`${r.lab}\` | ${fmt(r.lab_chromium_ms)} | ${r.peer_description} | ${fmt(r.peer_chromium_ms)} | ${r.lab_over_peer.toFixed(2)} | ${r.wasm_over_native.toFixed(2)} |`),
].join('\n');
if (ONLY) {
  console.log(`\n${table}\n\n${peerTable}\n\nbench: only kernels matching "${ONLY}"; bench/results.* left as they were`);
  process.exit(0);
}
mkdirSync('bench', { recursive: true });
const rustc = execFileSync('rustc', ['--version'], { encoding: 'utf8' }).trim();
writeFileSync(
  'bench/results.json',
  JSON.stringify({ date: new Date().toISOString(), cpu, cores: cpus().length, rustc, chromium: version, samples: SAMPLES, native, chromium_wasm: chromiumResults, summary: rows, peer_kernels: peerResults, peer_info: peerInfo, peers: peerRows, pages, deck, pool }, null, 2) + '\n',
);
const both = `${table}\n\n${peerTable}\n\n${pagesTable(pages, PAGE_ROUNDS)}\n\n${deckTable(deck, DECK_ROUNDS)}\n\n${poolTable(pool, POOL_ROUNDS, cpus().length)}`;
writeFileSync('bench/results.md', both + '\n');
console.log(`\n${both}\n\nbench: wrote bench/results.json and bench/results.md`);
