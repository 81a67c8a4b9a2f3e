// The lecture deck (slides/index.html: reveal.js and the slide protocol), driven by keys
// only, as a lecturer presents it: every demo loads when its slide is shown and draws, only
// the shown slide's demo computes, the arrow keys still move the deck after a click in a
// demo, a fragment moves a slider, and the printed deck shows a poster on every slide.
import { test, expect } from './fixtures.js';

const DECK = 'slides/index.html';

/** Opens the deck at its first slide, with the keyboard on the deck. */
async function openDeck(page, search = '') {
  await page.goto('about:blank');
  await page.goto(`${DECK}${search}`);
  await expect(page.locator('html')).toHaveAttribute('data-deck-ready', 'true');
}

/** The index of the slide shown. */
const slideIndex = (page) => page.evaluate(() => /** @type {any} */ (window).deck.getIndices().h);

/** The demo (frame) of the slide shown, or null. */
async function shownDemo(page) {
  const el = page.locator('.reveal .slides > section.present iframe.lab-demo');
  if (!(await el.count())) return null;
  return el.elementHandle().then((h) => h.contentFrame());
}

/** Waits until a demo has drawn a complete figure (of a state matching `pattern`). */
async function waitFrameDrawn(frame, pattern = /./, message = 'the demo draws its figure') {
  await expect
    .poll(
      async () =>
        frame
          .evaluate((source) => {
            const d = document.getElementById('demo')?.dataset;
            return !!d && d.query !== undefined && d.drawn === d.query && d.busy !== 'true' && new RegExp(source).test(d.query);
          }, pattern.source)
          .catch(() => false),
      { timeout: 60_000, message },
    )
    .toBe(true);
}

/** How many of a demo's visible canvases show a picture (more than a few colours). */
function drawnCanvases(frame) {
  return frame.evaluate(() => {
    let drawn = 0;
    let visible = 0;
    for (const c of /** @type {NodeListOf<HTMLCanvasElement>} */ (document.querySelectorAll('canvas'))) {
      const r = c.getBoundingClientRect();
      if (r.width < 20 || r.height < 20 || c.width === 0 || c.height === 0 || !c.checkVisibility()) continue;
      visible++;
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const colours = new Set();
      for (let i = 0; i < px.length && colours.size < 8; i += 4 * 7) colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
      // Two colours at least: a blank canvas has one; an image of two values (a stripe on
      // its background) has two.
      if (colours.size >= 2) drawn++;
    }
    return { drawn, visible };
  });
}

/** The state of every loaded demo that is not on the slide shown: paused, and not busy. */
function otherDemos(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.reveal .slides > section:not(.present) iframe.lab-demo[src]')].map((f) => {
      const doc = /** @type {HTMLIFrameElement} */ (f).contentDocument;
      const d = doc?.getElementById('demo')?.dataset;
      return { src: f.getAttribute('src'), loaded: !!d, paused: d?.paused, busy: doc?.getElementById('demo')?.getAttribute('aria-busy') };
    }),
  );
}

test('every slide, by the arrow key only: its demo loads when shown and draws, and the others are paused', async ({ page }) => {
  test.setTimeout(300_000);
  await openDeck(page);
  const slides = await page.locator('.reveal .slides > section').count();
  // Nothing is loaded far ahead: demos load when their slide comes near (data-preload and a
  // view distance of 2), not all at once.
  expect(await page.locator('.reveal iframe.lab-demo[src]').count()).toBeLessThanOrEqual(2);
  let demos = 0;
  for (let i = 0; i < slides; i++) {
    expect(await slideIndex(page)).toBe(i);
    const frame = await shownDemo(page);
    if (frame) {
      demos++;
      await waitFrameDrawn(frame, /./, `slide ${i}: the demo draws its figure`);
      const { drawn, visible } = await drawnCanvases(frame);
      expect(visible, `slide ${i}: the demo shows canvases`).toBeGreaterThan(0);
      // Most canvases show a picture (not all need to: FGSM's perturbation at ε = 0 is flat).
      expect(drawn, `slide ${i}: the demo's canvases have pictures`).toBeGreaterThanOrEqual(Math.max(1, Math.ceil(visible / 2)));
      expect(await frame.evaluate(() => document.getElementById('demo').dataset.paused)).toBe('false');
      // The embed layout fits the slide's frame: nothing sideways.
      expect(await frame.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
      for (const other of await otherDemos(page)) {
        if (!other.loaded) continue;
        // Paused ('true'), or still loading its scripts (no data-paused yet): not computing.
        expect(other.paused, `slide ${i}: ${other.src} is paused`).not.toBe('false');
        expect(other.busy, `slide ${i}: ${other.src} computes nothing`).not.toBe('true');
      }
    }
    // Past the fragments too: the arrow key shows them one by one, then the next slide.
    if (i + 1 < slides) {
      while ((await slideIndex(page)) === i) await page.keyboard.press('ArrowRight');
    }
  }
  expect(demos).toBeGreaterThanOrEqual(10);
});

test('a demo whose slide is left stops computing, and goes on when its slide is back', async ({ page }) => {
  test.setTimeout(180_000);
  // The instability test (slide of the unstable network), made long (2000 steps of gradient
  // ascent) by the protocol's 'set', as a deck would: it runs with a progress bar.
  await openDeck(page, '#/7');
  const frame = await shownDemo(page);
  await waitFrameDrawn(frame, /view=test/);
  await page.evaluate(() => /** @type {HTMLIFrameElement} */ (document.querySelector('.reveal .slides > section.present iframe')).contentWindow.postMessage({ lab: 'set', query: 'iters=2000' }, '*'));
  await expect.poll(() => frame.evaluate(() => !document.getElementById('busy').hidden), { timeout: 60_000 }).toBe(true);
  await expect.poll(() => frame.evaluate(() => /** @type {HTMLProgressElement} */ (document.getElementById('busy-progress')).value)).toBeGreaterThan(0);
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => frame.evaluate(() => document.getElementById('demo').dataset.paused)).toBe('true');
  const progress = () => frame.evaluate(() => /** @type {HTMLProgressElement} */ (document.getElementById('busy-progress')).value);
  await page.waitForTimeout(300);
  const before = await progress();
  await page.waitForTimeout(1500);
  expect(await progress(), 'no progress while the slide is not shown').toBe(before);
  expect(before).toBeLessThan(1);
  await page.keyboard.press('ArrowLeft');
  await waitFrameDrawn(frame, /iters=2000&.*view=test/);
});

test('after a click in a demo, Escape gives the arrow keys back to the deck, and keys the demo does not use move the deck', async ({ page }) => {
  test.setTimeout(120_000);
  await openDeck(page, '#/1');
  const frame = await shownDemo(page);
  await waitFrameDrawn(frame);
  // A click on the demo's slider gives it the keys: an arrow moves the slider, not the deck.
  const slider = frame.locator('#controls-main input[type=range]').first();
  await slider.click();
  const value = await slider.inputValue();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => slider.inputValue()).not.toBe(value);
  expect(await slideIndex(page)).toBe(1);
  // Escape: the deck has the keys again.
  await page.keyboard.press('Escape');
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => slideIndex(page)).toBe(2);
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => slideIndex(page)).toBe(1);
  // A click on the demo's text (no control there): the arrow keys still move the deck.
  const again = await shownDemo(page);
  await waitFrameDrawn(again);
  await again.locator('#metrics').click();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => slideIndex(page)).toBe(2);
});

test('a fragment moves a slider of the demo, and the figure changes; going back undoes it', async ({ page }) => {
  test.setTimeout(120_000);
  await openDeck(page, '#/2');
  const frame = await shownDemo(page);
  await waitFrameDrawn(frame, /eps=0(&|$)/);
  const sets = await page.locator('.reveal .slides > section.present .fragment[data-lab-set]').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-lab-set')));
  expect(sets.length).toBe(3);
  const eps = frame.locator('#ctl-eps');
  const labels = async () => [await frame.getByTestId('label').textContent(), await frame.getByTestId('adv-label').textContent()];
  const [clean, atZero] = await labels();
  expect(atZero, 'at ε = 0 the label is the clean one').toBe(clean);
  // The caption says the label flips between the second and the third click (ε ≈ 0.11,
  // pixels kept in [0, 1]).
  const flip = Number(await frame.getByTestId('flip-eps').getAttribute('data-value'));
  expect(flip).toBeGreaterThan(0.08);
  expect(flip).toBeLessThanOrEqual(0.12);
  for (const set of sets) {
    await page.keyboard.press('ArrowRight');
    const v = set.split('=')[1];
    await waitFrameDrawn(frame, new RegExp(`eps=${v.replace('.', '\\.')}(&|$)`));
    expect(await slideIndex(page)).toBe(2);
    expect(Number(await eps.inputValue())).toBeCloseTo(Number(v), 6);
  }
  // The third click flips the label, as the slide says.
  const [, last] = await labels();
  expect(last).not.toBe(clean);
  await page.keyboard.press('ArrowLeft');
  await waitFrameDrawn(frame, new RegExp(`eps=${sets[1].split('=')[1].replace('.', '\\.')}(&|$)`));
});

test('printed (?print-pdf), every demo slide shows its poster and no demo is loaded', async ({ page }) => {
  await openDeck(page, '?print-pdf');
  const posters = page.locator('.reveal img.lab-poster');
  // reveal.js lays the print view out after it starts: count and check in one look, until
  // every poster (at least ten) is there and loaded.
  await expect
    .poll(
      () =>
        posters.evaluateAll((imgs) => {
          const loaded = imgs.filter((i) => /** @type {HTMLImageElement} */ (i).complete && /** @type {HTMLImageElement} */ (i).naturalWidth > 0).length;
          return imgs.length >= 10 && loaded === imgs.length;
        }),
      { timeout: 30_000 },
    )
    .toBe(true);
  expect(await page.locator('.reveal iframe').count()).toBe(0);
  const n = await posters.count();
  for (let i = 0; i < n; i++) {
    const box = await posters.nth(i).boundingBox();
    expect(box && box.width > 200 && box.height > 100, `poster ${i} is shown`).toBe(true);
  }
});

test('without WebAssembly, the deck shows the posters instead of the demos', async ({ page }) => {
  await page.addInitScript(() => {
    // A browser without WebAssembly (some locked-down machines): the frames see none either.
    delete (/** @type {any} */ (window)).WebAssembly;
  });
  await openDeck(page, '#/1');
  await expect(page.locator('html')).toHaveClass(/lab-posters/);
  expect(await page.locator('.reveal iframe').count()).toBe(0);
  const poster = page.locator('.reveal .slides > section.present img.lab-poster');
  await expect.poll(() => poster.evaluate((i) => /** @type {HTMLImageElement} */ (i).naturalWidth)).toBeGreaterThan(0);
  expect((await poster.boundingBox()).width).toBeGreaterThan(200);
});

test('the protocol: a deck sets keys of a demo, steps it, runs it and resets it', async ({ page }) => {
  test.setTimeout(120_000);
  await openDeck(page, '#/1');
  const frame = await shownDemo(page);
  await waitFrameDrawn(frame, /epochs=300&/);
  const tell = (msg) => page.evaluate((m) => /** @type {HTMLIFrameElement} */ (document.querySelector('.reveal .slides > section.present iframe')).contentWindow.postMessage(m, '*'), msg);
  // set: some keys; a bad one is left out and named, the others kept.
  await tell({ lab: 'set', query: 'eps=0.3&seed=NaN' });
  await waitFrameDrawn(frame, /seed=7&.*eps=0\.3$/);
  await expect(frame.locator('#error')).toBeVisible();
  await expect(frame.locator('#error-text')).toContainText('seed');
  // step: the Step button, one more epoch.
  await tell({ lab: 'step' });
  await waitFrameDrawn(frame, /epochs=301&/);
  // run: Play trains on until paused (by the page's own button here).
  await tell({ lab: 'run' });
  await expect(frame.locator('#demo')).toHaveAttribute('data-playing', 'true');
  await frame.locator('#play').click();
  await expect(frame.locator('#demo')).toHaveAttribute('data-playing', 'false');
  // reset: the default state.
  await tell({ lab: 'reset' });
  await waitFrameDrawn(frame, /epochs=300&.*eps=0\.1$/);
  // The slide still has the keys.
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => slideIndex(page)).toBe(2);
});
