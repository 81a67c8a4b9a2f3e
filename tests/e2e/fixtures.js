/// <reference types="node" />
// Shared page-test helpers: every test fails on a console error or an uncaught exception
// (in the page or its worker), and leaves a screenshot in test-results/.
import { test as base, expect } from '@playwright/test';

export const test = base.extend({
  page: async ({ page }, use) => {
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && problems.push(`worker console.error: ${m.text()}`)));
    await use(page);
    expect(problems, 'console errors and uncaught exceptions').toEqual([]);
  },
});
export { expect };

/** Opens the toy demo at `hash` (fresh document) and waits until it has drawn that state. */
export async function openToy(page, hash = '', search = '') {
  await page.goto('about:blank');
  await page.goto(`www/toy.html${search}${hash ? `#${hash}` : ''}`);
  await waitDrawn(page);
}

/** Waits until the page has drawn the state it holds, is not training, and (if given) its
 *  state matches `pattern`: after an action, the pattern says which state to wait for. */
export async function waitDrawn(page, pattern = /./) {
  await expect
    .poll(async () =>
      page.evaluate((source) => {
        const d = document.getElementById('demo').dataset;
        return d.query !== undefined && d.drawn === d.query && d.busy !== 'true' && new RegExp(source).test(d.query);
      }, pattern.source),
    )
    .toBe(true);
}

/** The current state, as the page holds it (the canonical link). */
export function query(page) {
  return page.evaluate(() => document.getElementById('demo').dataset.query);
}

/** A fingerprint of a canvas's pixels (the toy demo's map by default). */
export function canvasHash(page, id = 'map') {
  return page.evaluate((canvasId) => {
    const c = /** @type {HTMLCanvasElement} */ (document.getElementById(canvasId));
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 16777619) >>> 0;
    return `${c.width}x${c.height}:${h}`;
  }, id);
}

/** Opens a demo page at `hash` (fresh document) and waits until it has shown that state. */
export async function openPage(page, path, hash = '', pattern = /./) {
  await page.goto('about:blank');
  await page.goto(`${path}${hash ? `#${hash}` : ''}`);
  await waitDrawn(page, pattern);
}

/** Saves a named screenshot next to the test's other outputs. */
export async function shot(page, testInfo, name) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
}
