/// <reference types="node" />
// The unstable-network page, driven from the page: the instability test with its progress,
// snapshots and Gaussian control, the transfer, the kernel and structural views, the two
// plots, links, bad input, projector sizes and embedding. Every link here asks for few
// iterations and short stable methods (the defaults are exercised by the command line).
import { test, expect, openPage, waitDrawn, query, canvasHash, shot, layoutProblems, exported } from './fixtures.js';

const PAGE = 'www/unstable.html';
/** Short stable methods: 30 Chambolle-Pock steps, FIRENET 2 x 15. */
const FAST = 'cp_iters=30&restarts=2&inner=15';
const METHODS = ['net', 'firenet', 'tv', 'cs-wavelet', 'adjoint'];

/** The full-precision number a readout carries. */
async function value(page, testId) {
  const v = await page.getByTestId(testId).getAttribute('data-value');
  return v === 'inf' ? Infinity : Number(v);
}

/** How many different pixel values a canvas holds (1: blank). */
function colours(page, id) {
  return page.evaluate((canvasId) => {
    const c = /** @type {HTMLCanvasElement} */ (document.getElementById(canvasId));
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  }, id);
}

async function expectDrawn(page, ids) {
  for (const id of ids) expect(await colours(page, id), id).toBeGreaterThan(2);
}

test('the instability test runs with progress and shows three snapshots and the Gaussian control', async ({ page }, testInfo) => {
  await openPage(page, PAGE, `iters=24&${FAST}`, /iters=24&/);
  // The progress line said which iteration it was at and the current amplification.
  await expect(page.getByTestId('busy-extra')).toHaveText(/^iteration \d+ of 24, amplification [\d.e+-]+$/);
  await expect(page.getByTestId('test-status')).toContainText('24 iterations done');
  const budget = 0.05;
  let previous = 0;
  for (const j of [0, 1, 2]) {
    const r = await value(page, `snap-r-${j}`);
    expect(r, `||r_${j + 1}|| / ||x||`).toBeGreaterThan(0);
    // The allowed norm ramps up over 18 of the 24 iterations: r_1 (after 6) is within 1/3 of
    // the budget, r_2 (after 12) within 2/3, r_3 on the sphere.
    expect(r).toBeGreaterThan(previous);
    expect(r).toBeLessThanOrEqual(budget * [1 / 3, 2 / 3, 1][j] * (1 + 1e-9));
    if (j === 2) expect(r).toBeGreaterThan(0.99 * budget);
    previous = r;
    for (const id of [`snap-amp-${j}`, `snap-error-${j}`, `snap-gauss-amp-${j}`, `snap-gauss-error-${j}`]) expect(Number.isFinite(await value(page, id)), id).toBe(true);
    await expectDrawn(page, [`t-xr-${j}`, `t-out-${j}`]);
  }
  await expectDrawn(page, ['t-truth', 't-clean', 't-diff-2', 't-r-2']);
  // The summary: the worst case found is at least the last snapshot's, and beats Gaussian
  // noise of the same norm.
  const worst = await value(page, 'sum-amplification');
  expect(worst).toBeGreaterThanOrEqual((await value(page, 'snap-amp-2')) * (1 - 1e-12));
  expect(worst).toBeGreaterThan(await value(page, 'sum-amp-gaussian'));
  for (const id of ['sum-psnr', 'sum-err-clean', 'sum-err-perturbed', 'sum-err-gaussian']) expect(Number.isFinite(await value(page, id)), id).toBe(true);
  await shot(page, testInfo, 'instability-test');
});

test('the found perturbation transfers to another method', async ({ page }) => {
  await openPage(page, PAGE, `iters=24&${FAST}&transfer_to=adjoint`, /transfer_to=adjoint/);
  await expect(page.getByTestId('transfer')).toContainText('Adjoint');
  // The adjoint is an orthogonal projection: it never amplifies.
  const adjoint = await value(page, 'transfer-amp');
  expect(adjoint).toBeGreaterThan(0);
  expect(adjoint).toBeLessThanOrEqual(1 + 1e-9);
  await expectDrawn(page, ['tr-clean', 'tr-out']);
  await page.locator('#ctl-transfer_to').selectOption('tv');
  await waitDrawn(page, /transfer_to=tv/);
  await expect(page.getByTestId('transfer')).toContainText('TV');
  expect(await value(page, 'transfer-amp')).not.toBe(adjoint);
  // Fed back to the method that found it, it gives the test's own amplification.
  await page.locator('#ctl-transfer_to').selectOption('net');
  await waitDrawn(page, /transfer_to=net/);
  const own = await value(page, 'snap-amp-2');
  expect(Math.abs((await value(page, 'transfer-amp')) - own)).toBeLessThan(1e-9 * own);
});

test('at equal size: the stable method under its own worst perturbation, scaled up, and under the network’s r', async ({ page }) => {
  await openPage(page, PAGE, `iters=24&${FAST}&transfer_to=tv`, /transfer_to=tv/);
  const box = page.getByTestId('equal');
  await expect(box).toBeVisible();
  await expect(box).toHaveAttribute('data-done', 'true');
  await expect(box).toContainText('TV');
  // The network's r fed to TV is the transfer above; the network's own number is its test's.
  expect(Math.abs((await value(page, 'equal-r-amp')) - (await value(page, 'transfer-amp')))).toBeLessThan(1e-9);
  expect(Math.abs((await value(page, 'equal-net-amp')) - (await value(page, 'snap-amp-2')))).toBeLessThan(1e-9);
  // TV moves less under either perturbation than the network under its own.
  const own = await value(page, 'equal-own-amp');
  expect(own).toBeGreaterThan(0);
  expect(own).toBeLessThan(await value(page, 'equal-net-amp'));
  await expectDrawn(page, ['eq-own-out', 'eq-own-diff', 'eq-r-out', 'eq-r-diff']);
  // Not the network's test, or fed back to the network: no comparison.
  await page.locator('#ctl-transfer_to').selectOption('net');
  await waitDrawn(page, /transfer_to=net/);
  await expect(box).toBeHidden();
});

test('kernel awareness: at delta = 0 the same measurements and the same outputs; delta moves them', async ({ page }, testInfo) => {
  await openPage(page, PAGE, `view=kernel&${FAST}`, /view=kernel/);
  const z = await value(page, 'z-norm');
  expect(z).toBeGreaterThan(0);
  expect(await value(page, 'az-norm')).toBeLessThan(1e-12 * Math.max(1, z));
  for (const m of METHODS) expect(await value(page, `gap-${m}`), m).toBeLessThan(1e-9);
  await expectDrawn(page, ['k-x', 'k-x2', 'k-w', 'k-methods-a-net', 'k-methods-b-tv']);
  await expect(page.getByTestId('kernel-facts')).toContainText('network, instability test');
  await shot(page, testInfo, 'kernel-0');
  await page.locator('#ctl-delta').fill('0.5');
  await waitDrawn(page, /&delta=0\.5&/);
  expect(await value(page, 'az-norm')).toBeGreaterThan(1e-6);
  for (const m of METHODS) expect(await value(page, `gap-${m}`), m).toBeGreaterThan(1e-9);
  // Clicking the image moves the detail (the link says where).
  const box = await page.locator('#k-x').boundingBox();
  await page.mouse.click(box.x + box.width * 0.66, box.y + box.height * 0.5);
  await waitDrawn(page, /&detail=0\.6\d*,0\.[45]\d*&/);
  await shot(page, testInfo, 'kernel-0.5');
});

test('structural change: every method reconstructs the image with a detail, and says how much it kept', async ({ page }, testInfo) => {
  await openPage(page, PAGE, `view=structure&detail_texture=plain&detail_amp=0.4&${FAST}`, /view=structure/);
  const visible = await value(page, 'visible');
  expect(visible).toBeGreaterThan(0);
  expect(visible).toBeLessThanOrEqual(1 + 1e-12);
  for (const m of METHODS) expect(Number.isFinite(await value(page, `kept-${m}`)), m).toBe(true);
  // The adjoint keeps exactly the part of the detail the scanner sees.
  expect(Math.abs((await value(page, 'kept-adjoint')) - visible ** 2)).toBeLessThan(1e-9);
  await expectDrawn(page, ['s-x', 's-x2', 's-methods-a-net', 's-methods-b-net', 's-methods-a-firenet']);
  const plain = await value(page, 'kept-adjoint');
  await page.locator('#ctl-detail_texture').selectOption('textured');
  await waitDrawn(page, /detail_texture=textured/);
  // A textured lesion is barely seen.
  expect(await value(page, 'visible')).toBeLessThan(visible);
  expect(await value(page, 'kept-adjoint')).toBeLessThan(plain);
  await shot(page, testInfo, 'structure');
});

test('more samples: the PSNR curve over 12 nested rates, and the images at the rate shown', async ({ page }, testInfo) => {
  await openPage(page, PAGE, `view=samples&samples_images=1&${FAST}`, /view=samples/);
  await expect(page.getByTestId('samples-note')).toHaveAttribute('data-done', 'true');
  await expect(page.getByTestId('samples-note')).toHaveAttribute('data-points', '36');
  await expectDrawn(page, ['plot-samples', 'r-x', 'r-net', 'r-firenet', 'r-tv']);
  await expect(page.getByTestId('rate-facts')).toContainText('15.0 %');
  const before = { psnr: await value(page, 'rate-psnr-net'), pic: await canvasHash(page, 'r-tv') };
  await shot(page, testInfo, 'samples');
  await page.locator('#ctl-show_rate').fill('0.4');
  await waitDrawn(page, /show_rate=0\.4&/);
  await expect(page.getByTestId('rate-facts')).toContainText('40.0 %');
  expect(await value(page, 'rate-psnr-net')).not.toBe(before.psnr);
  expect(await canvasHash(page, 'r-tv')).not.toBe(before.pic);
  // The curve was not recomputed for a new rate shown.
  await expect(page.getByTestId('samples-note')).toHaveAttribute('data-points', '36');
  // The dense network reads only its own samples: no decline, said so, and the cascade
  // offered; the cascade (handed every sample) loses accuracy above its rate (measured:
  // 35.1 dB at 15 %, 23.6 at 25 % on family:9001).
  const finding = page.getByTestId('samples-finding');
  await expect(finding).toHaveAttribute('data-verdict', 'none');
  await expect(finding).toContainText('No decline observed');
  await page.locator('#samples-cascade').click();
  await waitDrawn(page, /net=cascade&.*view=samples/);
  await expect(page.getByTestId('samples-note')).toHaveAttribute('data-done', 'true');
  await expect(finding).toHaveAttribute('data-verdict', 'decline');
  await expect(finding).toContainText('more samples hurt this network (cascade with data consistency)');
  await expect(page.locator('#ctl-net')).toHaveValue('cascade');
  // The facts are the cascade's now.
  await expect(page.locator('#net-facts')).toContainText('The network: cascade, 26,170 weights');
});

test('the trade-off plot: a point per variant, and a click opens its instability test', async ({ page }, testInfo) => {
  await openPage(page, PAGE, `view=tradeoff&tradeoff_iters=3&tradeoff_images=1&${FAST}`, /view=tradeoff/);
  await expect(page.getByTestId('tradeoff-note')).toHaveAttribute('data-done', 'true');
  // Not the default state: computed here, not taken from the shipped plot.
  await expect(page.getByTestId('tradeoff-note')).toHaveAttribute('data-shipped', 'false');
  const hits = JSON.parse(await page.locator('#plot-tradeoff').getAttribute('data-hits'));
  // 13 stable variants and the network trained at 0, 1 and 3 % noise (two more files loaded).
  expect(hits.length).toBe(16);
  await expectDrawn(page, ['plot-tradeoff']);
  await expect(page.getByTestId('tradeoff-table')).toContainText('network, 3 % training noise');
  await expect(page.getByTestId('tradeoff-note')).toContainText('trained with 0, 1 (shipped) and 3 % noise');
  await shot(page, testInfo, 'tradeoff');
  const net = hits.find((h) => h.label === 'network, 0 % training noise');
  const box = await page.locator('#plot-tradeoff').boundingBox();
  await page.mouse.click(box.x + net.x, box.y + net.y);
  await waitDrawn(page, /^method=net&net=noise-0&.*&iters=3&.*view=test&/);
  await expect(page.locator('#ctl-net')).toHaveValue('noise-0');
  // The point's amplification is its test's worst case: the same computation, the same number.
  expect(await value(page, 'sum-amplification')).toBe(net.amplification);
  await expect(page.locator('.tabs [data-view=test]')).toHaveAttribute('aria-selected', 'true');
});

for (const [view, hash] of [
  ['tradeoff', `view=tradeoff&tradeoff_iters=3&tradeoff_images=1&${FAST}`],
  ['samples', `view=samples&samples_images=2&${FAST}`],
]) {
  test(`${view}: a pool of workers gives the numbers of one worker, bit for bit`, async ({ page }) => {
    test.setTimeout(120_000);
    const texts = [];
    for (const workers of [1, 3]) {
      await page.goto('about:blank');
      await page.goto(`${PAGE}?workers=${workers}#${hash}`);
      await waitDrawn(page, new RegExp(`view=${view}`), 60_000);
      await expect(page.getByTestId(`${view}-note`)).toHaveAttribute('data-done', 'true');
      // ?workers is the frame's, not a state key: no banner, and it stays in the address.
      await expect(page.locator('#error-text')).toHaveText('');
      expect(new URL(page.url()).searchParams.get('workers')).toBe(String(workers));
      // The page's worker and its helpers (started for the job's parts), which computed some.
      expect(page.workers().length).toBe(workers);
      let helped = 0;
      for (const w of page.workers()) helped += await w.evaluate(() => /** @type {any} */ (self).partsDone ?? 0);
      if (workers > 1) expect(helped).toBeGreaterThan(0);
      texts.push((await exported(page, 'json')).bytes.toString('utf8'));
    }
    const [one, pool] = texts.map((t) => JSON.parse(t));
    expect(one.tables.length).toBeGreaterThan(0);
    expect(one.tables[0].rows.length).toBeGreaterThan(10);
    // The whole file: the same link, metrics and every number's text.
    expect(texts[1]).toBe(texts[0]);
    expect(pool.link).toBe(one.link);
  });
}

test('the trade-off plot left half-way for another view and resumed with a pool gives the numbers of one worker', async ({ page }) => {
  test.setTimeout(120_000);
  const hash = `view=tradeoff&tradeoff_iters=12&tradeoff_images=1&${FAST}`;
  await openPage(page, `${PAGE}?workers=1`, hash, /view=tradeoff/, 60_000);
  const one = (await exported(page, 'json')).bytes.toString('utf8');
  await page.goto('about:blank');
  await page.goto(`${PAGE}?workers=3#${hash}`);
  // Some variants in, not all: the job is left for the test view (its parts still out with the
  // helpers come back meanwhile), then resumed.
  const note = page.getByTestId('tradeoff-note');
  await expect.poll(async () => Number(await note.getAttribute('data-points')), { timeout: 60_000, intervals: [50] }).toBeGreaterThan(0);
  expect(await note.getAttribute('data-done')).toBe('false');
  await page.evaluate((h) => (location.hash = h), hash.replace('view=tradeoff', 'view=test'));
  await waitDrawn(page, /view=test/, 60_000);
  await page.evaluate((h) => (location.hash = h), hash);
  await waitDrawn(page, /view=tradeoff/, 60_000);
  await expect(page.getByTestId('tradeoff-note')).toHaveAttribute('data-done', 'true');
  expect((await exported(page, 'json')).bytes.toString('utf8')).toBe(one);
});

test('a link restores the same view and numbers', async ({ page }) => {
  const hash = `method=tv&iters=40&${FAST}&transfer_to=firenet&image_seed=9004`;
  await openPage(page, PAGE, hash, /method=tv/);
  const link = await query(page);
  expect(link).toContain('image_seed=9004');
  const ids = ['sum-amplification', 'sum-err-perturbed', 'snap-r-1', 'snap-gauss-amp-2', 'transfer-amp'];
  const numbers = [];
  for (const id of ids) numbers.push(await value(page, id));
  const pics = [await canvasHash(page, 't-out-2'), await canvasHash(page, 'tr-out')];
  await page.reload();
  await waitDrawn(page, /method=tv/);
  expect(await query(page)).toBe(link);
  for (const [i, id] of ids.entries()) expect(await value(page, id), id).toBe(numbers[i]);
  expect([await canvasHash(page, 't-out-2'), await canvasHash(page, 'tr-out')]).toEqual(pics);
  // The kernel view at a site, from a link.
  await openPage(page, PAGE, `view=kernel&detail=0.65625,0.3125&delta=0.3&${FAST}`, /view=kernel/);
  const az = await value(page, 'az-norm');
  await page.reload();
  await waitDrawn(page, /view=kernel/);
  expect(await value(page, 'az-norm')).toBe(az);
});

test('bad links and a bad network file give messages, not a blank page', async ({ page }) => {
  const bad = [
    ['budget=5', 'budget: expected a number from 0.001 to 0.2, got 5'],
    ['view=slides', 'view: expected one of test, kernel, structure, samples, tradeoff'],
    ['detail=2,0.5', 'detail: expected a point x,y'],
    ['show_rate=NaN', 'show_rate: expected a finite number'],
    ['restarts=50&inner=100', 'FIRENET may have at most 2000 layers'],
    ['bogus=1', 'unknown parameter'],
  ];
  for (const [hash, text] of bad) {
    await page.goto('about:blank');
    await page.goto(`${PAGE}#${hash}`);
    await expect(page.locator('#error-text')).toContainText(text);
    await expect(page.locator('#error-text')).toContainText('they were left out and the rest of the figure is shown');
    expect(new URL(page.url()).hash).toBe(`#${hash}`);
  }
  // A network file that is not one: the message says so and the view says it is not shown.
  await page.goto('about:blank');
  await page.route('**/models/recon-net.brn', (route) => route.fulfill({ status: 200, body: 'not a network' }));
  await page.goto(`${PAGE}#iters=5`);
  await expect(page.locator('#error-text')).toContainText('recon-net.brn');
  await expect(page.getByTestId('test-status')).toContainText('Not shown');
});

test('the page fits 1024x768 and 1280x720 in every view, and embeds without taking the keyboard', async ({ page }) => {
  const views = {
    test: `iters=4&${FAST}`,
    kernel: `view=kernel&${FAST}`,
    structure: `view=structure&${FAST}`,
    samples: `view=samples&samples_images=1&cp_iters=10&restarts=1&inner=10`,
    tradeoff: `view=tradeoff&tradeoff_iters=1&tradeoff_images=1&cp_iters=10&restarts=1&inner=10`,
  };
  for (const [width, height, search] of /** @type {[number, number, string][]} */ ([
    [1024, 768, ''],
    [1280, 720, ''],
    [800, 450, '?embed=1'],
  ])) {
    await page.setViewportSize({ width, height });
    for (const [view, hash] of Object.entries(views)) {
      await openPage(page, `${PAGE}${search}`, hash, new RegExp(`view=${view}&`));
      expect(await layoutProblems(page), `${view} at ${width}x${height}${search}`).toEqual([]);
      expect(await page.evaluate(() => document.activeElement.tagName)).toBe('BODY');
    }
  }
  await page.setViewportSize({ width: 800, height: 450 });
  await page.goto('about:blank');
  await page.goto(`${PAGE}?embed=1#iters=4&${FAST}`);
  await waitDrawn(page);
  const layout = await page.evaluate(() => ({
    chrome: [...document.querySelectorAll('.chrome')].every((e) => getComputedStyle(e).display === 'none'),
    scrollW: document.documentElement.scrollWidth,
    clientW: document.documentElement.clientWidth,
    bodyScroll: document.documentElement.scrollHeight <= window.innerHeight,
  }));
  expect(layout.chrome).toBe(true);
  expect(layout.scrollW).toBeLessThanOrEqual(layout.clientW);
  expect(layout.bodyScroll).toBe(true);
  // Keys belong to the slides until the student clicks inside.
  const before = await query(page);
  for (const key of ['ArrowRight', 'ArrowDown', 'Space', 'PageDown']) await page.keyboard.press(key);
  expect(await query(page)).toBe(before);
  expect(await page.evaluate(() => document.activeElement.tagName)).toBe('BODY');
  // In an iframe, too.
  await page.setViewportSize({ width: 1280, height: 720 });
  const src = new URL(`unstable.html?embed=1#view=structure&${FAST}`, page.url()).href;
  await page.setContent(`<iframe src="${src}" style="width:900px;height:500px;border:0"></iframe>`);
  const frame = page.frameLocator('iframe');
  await expect(frame.getByTestId('structure-facts')).toContainText('seen', { timeout: 30_000 });
});

test('the default trade-off plot is the shipped one, and a point’s test recomputes its amplification', async ({ page }) => {
  test.setTimeout(120_000);
  await openPage(page, PAGE, 'view=tradeoff', /view=tradeoff/);
  const note = page.getByTestId('tradeoff-note');
  await expect(note).toHaveAttribute('data-done', 'true');
  await expect(note).toHaveAttribute('data-shipped', 'true');
  await expect(note).toContainText('computed them ahead');
  const hits = JSON.parse(await page.locator('#plot-tradeoff').getAttribute('data-hits'));
  expect(hits.length).toBe(16);
  // The points are the shipped file's.
  const shipped = await (await page.request.get('www/models/tradeoff-default.json')).json();
  const rows = shipped.tables.find((t) => t.name === 'variants').rows;
  for (const h of hits) expect(h.amplification).toBe(rows.find((r) => r.label === h.label).values[1]);
  // The point of the network trained at 3 % noise, clicked: its instability test, computed
  // here with that network's file, finds the same worst amplification to 1e-6 (gradient
  // ascent in WebAssembly against native code: 3e-8 seen).
  const net = hits.find((h) => h.label === 'network, 3 % training noise');
  const box = await page.locator('#plot-tradeoff').boundingBox();
  await page.mouse.click(box.x + net.x, box.y + net.y);
  await waitDrawn(page, /^method=net&net=noise-3&.*&iters=15&.*view=test&/);
  const live = await value(page, 'sum-amplification');
  expect(Math.abs(live - net.amplification)).toBeLessThanOrEqual(1e-6 * net.amplification);
});
