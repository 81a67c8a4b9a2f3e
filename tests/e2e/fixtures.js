/// <reference types="node" />
// Shared page-test helpers: every test fails on a console error or an uncaught exception
// (in the page or its worker), and leaves a screenshot in test-results/.
import { test as base, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';

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
 *  state matches `pattern`: after an action, the pattern says which state to wait for.
 *  `timeout` (ms) for a figure that takes longer than the configured wait (the barrier's
 *  page computes its nine-cell table as part of its figure). */
export async function waitDrawn(page, pattern = /./, timeout = undefined) {
  await expect
    .poll(
      async () =>
        page.evaluate((source) => {
          const d = document.getElementById('demo').dataset;
          return d.query !== undefined && d.drawn === d.query && d.busy !== 'true' && new RegExp(source).test(d.query);
        }, pattern.source),
      { timeout },
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
export async function openPage(page, path, hash = '', pattern = /./, timeout = undefined) {
  await page.goto('about:blank');
  await page.goto(`${path}${hash ? `#${hash}` : ''}`);
  await waitDrawn(page, pattern, timeout);
}

/** Saves a named screenshot next to the test's other outputs. */
export async function shot(page, testInfo, name) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
}

/**
 * What is wrong with the page's layout at its current size, in words (empty when nothing):
 * sideways scrolling, anything reaching outside the frame, any box narrower than its content
 * (text cut or spilling, a menu narrower than its choice, a number field narrower than its
 * number), sliders under 100 px, and blank canvases. Hidden things (a closed drawer, another
 * view) are not looked at.
 */
export function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const W = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > W + 1) problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px in ${W})`);
    const shown = (el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && el.checkVisibility({ visibilityProperty: true, opacityProperty: false });
    };
    const name = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.classList.length ? `.${[...el.classList].join('.')}` : ''} "${(el.textContent || /** @type {any} */ (el).value || '').trim().slice(0, 40)}"`;
    const measure = document.createElement('canvas').getContext('2d');
    const textWidth = (text, el) => {
      const s = getComputedStyle(el);
      measure.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      return measure.measureText(text).width;
    };
    const padX = (el) => {
      const s = getComputedStyle(el);
      return parseFloat(s.paddingLeft) + parseFloat(s.paddingRight) + parseFloat(s.borderLeftWidth) + parseFloat(s.borderRightWidth);
    };
    for (const el of document.querySelectorAll('body *')) {
      if (['SCRIPT', 'STYLE', 'OPTION', 'BR'].includes(el.tagName) || !shown(el)) continue;
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      if (r.right > W + 1 || r.left < -1) problems.push(`${name(el)} reaches outside the frame (${Math.round(r.left)} to ${Math.round(r.right)} of ${W} px)`);
      if (s.display !== 'inline' && !(el instanceof HTMLCanvasElement) && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`${name(el)}: content ${el.scrollWidth} px wide in a box of ${el.clientWidth} px`);
      }
      if (el instanceof HTMLInputElement && el.type === 'range' && r.width < 100) problems.push(`${name(el)}: a slider of ${Math.round(r.width)} px`);
      if (el instanceof HTMLSelectElement) {
        // The chosen option's words, the padding and the arrow.
        const need = textWidth(el.selectedOptions[0]?.text ?? '', el) + padX(el) + 16;
        if (r.width + 0.5 < need) problems.push(`${name(el)}: a menu of ${Math.round(r.width)} px for a choice that needs ${Math.round(need)} px`);
      }
      if (el instanceof HTMLInputElement && el.type === 'number') {
        const need = textWidth(el.value, el) + padX(el) + 14;
        if (r.width + 0.5 < need) problems.push(`${name(el)}: a number field of ${Math.round(r.width)} px for ${el.value}`);
      }
    }
    for (const c of document.querySelectorAll('canvas')) {
      if (!shown(c) || c.width < 2 || c.height < 2) continue;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let same = true;
      for (let i = 4; i < d.length && same; i += 4) same = d[i] === d[0] && d[i + 1] === d[1] && d[i + 2] === d[2] && d[i + 3] === d[3];
      if (same) problems.push(`${name(c)} is blank`);
    }
    return problems;
  });
}

/**
 * Records the size of every label drawn on a canvas (in CSS pixels), for `fontProblems`. Add it
 * with `page.addInitScript(recordCanvasText)` before the page loads.
 */
export function recordCanvasText() {
  const seen = new WeakMap();
  /** @type {any} */ (window).canvasTextSizes = (canvas) => [...(seen.get(canvas)?.entries() ?? [])];
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, x, y, maxWidth) {
    const c = this.canvas;
    const px = parseFloat(/(\d+(\.\d+)?)px/.exec(this.font)?.[1] ?? '0');
    const css = (px * c.clientWidth) / Math.max(1, c.width);
    if (!seen.has(c)) seen.set(c, new Map());
    seen.get(c).set(String(text), css);
    return maxWidth === undefined ? fillText.call(this, text, x, y) : fillText.call(this, text, x, y, maxWidth);
  };
}

/** Visible text under `minText` px, and canvas labels under `minCanvas` px, in words. */
export function fontProblems(page, minText, minCanvas) {
  return page.evaluate(
    ([minText, minCanvas]) => {
      const problems = [];
      const shown = (el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
      };
      const small = (el, what) => {
        const fs = parseFloat(getComputedStyle(el).fontSize);
        if (fs < minText - 0.01) problems.push(`${what} at ${fs.toFixed(1)} px`);
      };
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!n.textContent.trim() || !el || ['SCRIPT', 'STYLE', 'OPTION'].includes(el.tagName) || !shown(el)) continue;
        small(el, `"${n.textContent.trim().slice(0, 40)}" (${el.tagName.toLowerCase()})`);
      }
      for (const el of document.querySelectorAll('select, input, output, button')) if (shown(el)) small(el, `${el.tagName.toLowerCase()}#${el.id}`);
      for (const c of document.querySelectorAll('canvas')) {
        if (!shown(c)) continue;
        for (const [text, css] of /** @type {any} */ (window).canvasTextSizes(c)) {
          if (css < minCanvas - 0.01) problems.push(`canvas #${c.id}: "${text}" at ${css.toFixed(1)} px`);
        }
      }
      return problems;
    },
    [minText, minCanvas],
  );
}

/** The lecture's sizes: pages at 1024x768 and 1280x720, embedded in slide frames of 1200x600,
 *  960x540 and 800x450. */
export const LECTURE_SIZES = [
  { w: 1024, h: 768, embed: false },
  { w: 1280, h: 720, embed: false },
  { w: 1200, h: 600, embed: true },
  { w: 960, h: 540, embed: true },
  { w: 800, h: 450, embed: true },
];

/**
 * Opens the page `path` at `hash` at each of the lecture's sizes and checks its layout: nothing
 * sideways or clipped, text at least 14 px, the keyboard left alone, the drawer (where there is
 * one) opening and closing cleanly; then in projector mode at 1280x720, text at least 18 px and
 * canvas labels at least 16 px. Screenshots are named `name`-page|embed-WxH. `timeout` (ms) is
 * the wait for each figure. Call `page.addInitScript(recordCanvasText)` is done here.
 */
export async function checkLectureLayouts(page, testInfo, { path, hash, name, timeout = undefined }) {
  await page.addInitScript(recordCanvasText);
  for (const f of LECTURE_SIZES) {
    const where = `${f.embed ? 'embedded' : 'page'} at ${f.w} x ${f.h}`;
    await page.setViewportSize({ width: f.w, height: f.h });
    await page.goto('about:blank');
    await page.goto(`${path}${f.embed ? '?embed=1' : ''}#${hash}`);
    await waitDrawn(page, /./, timeout);
    expect(await layoutProblems(page), where).toEqual([]);
    expect(await fontProblems(page, 14, 14), where).toEqual([]);
    expect(await page.evaluate(() => document.activeElement.tagName), where).toBe('BODY');
    await shot(page, testInfo, `${name}-${f.embed ? 'embed' : 'page'}-${f.w}x${f.h}`);
    if (await page.locator('#drawer-toggle').isVisible()) {
      await expect(page.locator('#controls-main .ctl').first()).toBeVisible();
      await page.locator('#drawer-toggle').click();
      await page.waitForTimeout(250);
      expect(await layoutProblems(page), `${where}, drawer open`).toEqual([]);
      await page.keyboard.press('Escape');
      await expect(page.locator('#side')).toBeHidden();
    }
  }
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('about:blank');
  await page.goto(`${path}?projector=1#${hash}`);
  await waitDrawn(page, /./, timeout);
  expect(await fontProblems(page, 18, 16), 'projector').toEqual([]);
  expect(await layoutProblems(page), 'projector').toEqual([]);
}

/**
 * Puts the page `path` (with `hash`) in an 800x450 iframe, paused, on an otherwise empty slide
 * with a key counter, and checks what a deck needs of it: nothing computed while paused;
 * once resumed, the figure drawn, no chrome, no sideways scrolling, nothing below the frame,
 * the element `figure` inside the frame; the focus and the keys left to the deck; and, when
 * the deck sets `set`, the demo redrawn at a link matching `expected`. `timeout` (ms) is the
 * wait for each figure. Returns the frame, for a page's own checks.
 */
export async function checkEmbedded(page, testInfo, { path, hash, figure, set, expected, name, timeout = 30_000 }) {
  await page.goto('index.html');
  await page.evaluate(([src]) => {
    const w = /** @type {any} */ (window);
    w.keys = 0;
    document.addEventListener('keydown', () => (w.keys += 1));
    document.body.innerHTML = `<h1>A slide</h1><iframe id="demo-frame" width="800" height="450" src="${src}"></iframe>`;
  }, [`${path}?embed=1&paused=1#${hash}`]);
  const file = new RegExp(path.split('/').pop().replace('.', '\\.'));
  await expect.poll(() => page.frame({ url: file })?.evaluate(() => document.getElementById('demo')?.dataset.paused)).toBe('true');
  const f = page.frame({ url: file });
  // Paused: nothing is computed until the slide is shown.
  await page.waitForTimeout(800);
  expect(await f.evaluate(() => document.getElementById('demo').dataset.drawn)).toBeUndefined();
  expect(await f.evaluate(() => document.getElementById('demo').dataset.frame)).toBeUndefined();
  const post = (msg) => page.evaluate((m) => /** @type {HTMLIFrameElement} */ (document.getElementById('demo-frame')).contentWindow.postMessage(m, '*'), msg);
  await post({ lab: 'resume' });
  await expect.poll(() => f.evaluate(() => { const d = document.getElementById('demo').dataset; return d.drawn !== undefined && d.drawn === d.query; }), { timeout }).toBe(true);
  const layout = await f.evaluate((id) => ({
    chrome: [...document.querySelectorAll('.chrome')].every((e) => getComputedStyle(e).display === 'none'),
    scrollW: document.documentElement.scrollWidth,
    clientW: document.documentElement.clientWidth,
    scrollH: document.documentElement.scrollHeight,
    figure: document.getElementById(id).getBoundingClientRect().toJSON(),
    innerW: window.innerWidth,
    innerH: window.innerHeight,
  }), figure);
  expect(layout.chrome).toBe(true);
  expect(layout.scrollW).toBeLessThanOrEqual(layout.clientW);
  expect(layout.scrollH).toBeLessThanOrEqual(layout.innerH);
  expect(layout.figure.right).toBeLessThanOrEqual(layout.innerW);
  expect(layout.figure.bottom).toBeLessThanOrEqual(layout.innerH);
  // Nothing in the demo took the focus: the deck still gets its keys.
  expect(await page.evaluate(() => document.activeElement.tagName)).toBe('BODY');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Space');
  expect(await page.evaluate(() => /** @type {any} */ (window).keys)).toBe(2);
  // The deck changes a key, as a slide's fragment does: the demo follows.
  await post({ lab: 'set', query: set });
  await expect.poll(() => f.evaluate(() => document.getElementById('demo').dataset.drawn), { timeout }).toMatch(expected);
  await shot(page, testInfo, `${name}-embedded`);
  return f;
}

/** Clicks an export button and returns the downloaded file's name and bytes. */
export async function exported(page, what) {
  const download = page.waitForEvent('download');
  await page.locator(`#export-${what}`).click();
  const d = await download;
  return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
}
