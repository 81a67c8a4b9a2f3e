/// <reference types="node" />
// The image demos, driven from the page: attacks, the epsilon slider, the drawing pad,
// links, the ratio table, retraining, universal perturbations and the dimension argument.
import { test, expect, openPage, waitDrawn, query, canvasHash, shot } from './fixtures.js';

const ATTACKS = 'www/attacks.html';

test('every attack runs from the page and reports its numbers', async ({ page }, testInfo) => {
  await openPage(page, ATTACKS, 'data=mnist&model=mlp&index=17');
  for (const attack of ['random', 'fastgrad', 'fgsm', 'deepfool', 'deepfool-linf']) {
    await page.locator('#ctl-attack').selectOption(attack);
    await waitDrawn(page, new RegExp(`&attack=${attack}&`));
    await expect(page.getByTestId('adv-label')).toBeVisible();
    const ratio = Number(await page.getByTestId('r-over-x').getAttribute('title'));
    expect(ratio).toBeGreaterThan(0);
    await shot(page, testInfo, `attack-${attack}`);
  }
  // DeepFool flips this digit with a perturbation far smaller than random noise needs.
  const rows = await page.locator('#all-attacks tr').allTextContents();
  expect(rows).toHaveLength(6);
  await expect(page.locator('#steps-box')).toBeVisible();
});

test('the FGSM slider changes the step and the label at the right epsilon', async ({ page }) => {
  await openPage(page, ATTACKS, 'data=mnist&model=mlp&index=17&attack=fgsm&eps=0');
  const flip = Number(await page.getByTestId('flip-eps').getAttribute('data-value'));
  expect(flip).toBeGreaterThan(0);
  const label = await page.getByTestId('label').textContent();
  // The slider moves in steps of 0.001: the step just below the flip keeps the label, the
  // one just above changes it.
  const below = Math.floor(flip * 1000) / 1000;
  const above = Math.ceil(flip * 1000) / 1000;
  await page.locator('#ctl-eps').fill(String(below));
  await waitDrawn(page, new RegExp(`&eps=${below}&`));
  await expect(page.getByTestId('adv-label')).toHaveText(label);
  // ‖r‖∞ is the step (the input moved), though at 8-bit grey the pictures of two steps
  // 0.001 apart can be the same.
  const stepBelow = Number(await page.getByTestId('r-linf').getAttribute('title'));
  await page.locator('#ctl-eps').fill(String(above));
  await waitDrawn(page, new RegExp(`&eps=${above}&`));
  await expect(page.getByTestId('adv-label')).not.toHaveText(label);
  await expect(page.getByTestId('adv-label')).toHaveClass(/flipped/);
  const stepAbove = Number(await page.getByTestId('r-linf').getAttribute('title'));
  expect(stepBelow).toBeCloseTo(below, 12);
  expect(stepAbove).toBeCloseTo(above, 12);
});

test('the drawing pad: draw, attack it, and the link restores the drawing', async ({ page }, testInfo) => {
  await openPage(page, ATTACKS, 'data=mnist&model=cnn');
  const pad = page.locator('#pad');
  const box = await pad.boundingBox();
  // A "1": one stroke down the middle.
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width * (0.5 - 0.01 * i), box.y + box.height * (0.15 + 0.07 * i));
  await page.mouse.up();
  await page.locator('#pad-use').click();
  await waitDrawn(page, /&drawing=[A-Za-z0-9_-]{100,}&/);
  await expect(page.locator('#cap-x')).toHaveText('Your drawing');
  await expect(page.getByTestId('adv-label')).toBeVisible();
  const link = await query(page);
  const ratio = await page.getByTestId('r-over-x').getAttribute('title');
  const pixels = await canvasHash(page, 'img-x');
  await shot(page, testInfo, 'drawing');
  await page.reload();
  await waitDrawn(page, /&drawing=[A-Za-z0-9_-]{100,}&/);
  expect(await query(page)).toBe(link);
  await expect(page.getByTestId('r-over-x')).toHaveAttribute('title', ratio);
  expect(await canvasHash(page, 'img-x')).toBe(pixels);
  await page.locator('#pad-back').click();
  await waitDrawn(page, /&drawing=&/);
});

test('the pixel range: by default x + r is a valid image and the picture is the input; without it the page says it clips', async ({ page }) => {
  await openPage(page, ATTACKS, 'attack=deepfool');
  await expect(page.locator('#ctl-bounds')).toHaveValue('pixels');
  const range = async () => ({
    min: Number(await page.getByTestId('adv-range').getAttribute('data-min')),
    max: Number(await page.getByTestId('adv-range').getAttribute('data-max')),
  });
  const inside = await range();
  expect(inside.min).toBeGreaterThanOrEqual(0);
  expect(inside.max).toBeLessThanOrEqual(1);
  await expect(page.locator('#cap-adv')).not.toContainText('clipped');
  await expect(page.getByTestId('adv-label')).toHaveClass(/flipped/);
  await page.locator('#ctl-bounds').selectOption('none');
  await waitDrawn(page, /bounds=none/);
  // Unbounded DeepFool leaves [0, 1] on this digit (natively: -0.19 to 1.09).
  const outside = await range();
  expect(outside.min < 0 || outside.max > 1).toBe(true);
  await expect(page.locator('#cap-adv')).toContainText('shown clipped to [0, 1]');
});

test('a link restores the exact figure', async ({ page }) => {
  const hash = 'data=fashion&model=cnn&index=42&drawing=&attack=deepfool-linf&eps=0.1&seed=3&overshoot=0.05&max_iter=50&n=100&bounds=pixels';
  await openPage(page, ATTACKS, hash);
  expect(await query(page)).toBe(hash);
  const r = await page.getByTestId('r-linf').getAttribute('title');
  const pictures = [await canvasHash(page, 'img-r'), await canvasHash(page, 'img-adv')];
  await page.reload();
  await waitDrawn(page, /fashion/);
  await expect(page.getByTestId('r-linf')).toHaveAttribute('title', r);
  expect([await canvasHash(page, 'img-r'), await canvasHash(page, 'img-adv')]).toEqual(pictures);
});

test('bad links and files on the attack page give messages', async ({ page }) => {
  await openPage(page, ATTACKS, 'data=digits&index=400');
  await expect(page.locator('#error-text')).toContainText('index: digits has 359 test images (0 to 358), got 400');
  expect(new URL(page.url()).hash).toBe('#data=digits&index=400');
  await page.locator('#load-model').setInputFiles({ name: 'x.blm', mimeType: 'application/octet-stream', buffer: Buffer.from('garbage') });
  await expect(page.locator('#error-text')).toContainText('not a Barriers Lab model file');
});

test('the ratio table: random needs more than the fast gradient, which needs more than DeepFool', async ({ page }) => {
  await openPage(page, ATTACKS, 'data=mnist&model=mlp&n=30');
  await page.locator('#ratios').click();
  await expect(page.getByTestId('ratio-deepfool')).toBeVisible({ timeout: 60_000 });
  const v = async (a) => Number(await page.getByTestId(`ratio-${a}`).textContent());
  const [random, fastgrad, deepfool] = [await v('random'), await v('fastgrad'), await v('deepfool')];
  expect(random).toBeGreaterThan(fastgrad);
  expect(fastgrad).toBeGreaterThan(deepfool);
});

test('the ratio table: a pool of workers gives the numbers of one worker, bit for bit', async ({ page }) => {
  test.setTimeout(120_000);
  const tables = [];
  for (const workers of [1, 3]) {
    await page.goto('about:blank');
    await page.goto(`${ATTACKS}?workers=${workers}#data=mnist&model=cnn&n=12`);
    await waitDrawn(page);
    await page.locator('#ratios').click();
    await expect(page.locator('#ratio-table caption')).toContainText('12 correctly classified test images', { timeout: 60_000 });
    // The page's worker and its helpers, which attacked some of the images.
    expect(page.workers().length).toBe(workers);
    let helped = 0;
    for (const w of page.workers()) helped += await w.evaluate(() => /** @type {any} */ (self).partsDone ?? 0);
    if (workers > 1) expect(helped).toBeGreaterThan(0);
    tables.push(
      await page.locator('#ratio-table td').evaluateAll((tds) => tds.map((td) => /** @type {HTMLElement} */ (td).dataset.value ?? td.textContent)),
    );
  }
  expect(tables[0].length).toBe(12);
  expect(tables[1]).toEqual(tables[0]);
});

test('retraining in the browser reports progress and installs the new model', async ({ page }) => {
  await openPage(page, ATTACKS, 'data=digits&model=mlp');
  await page.locator('#train-epochs').fill('3');
  await page.locator('#train').click();
  await expect(page.locator('#model-info')).toContainText('retrained here for 3 epochs', { timeout: 60_000 });
  await waitDrawn(page);
  await page.locator('#shipped').click();
  await expect(page.locator('#model-info')).toContainText('shipped, trained with seed 1');
});

test('universal perturbation: fooling rates, transfer, and the link', async ({ page }, testInfo) => {
  const hash = 'data=digits&model=mlp&norm=linf&xi=0.3&delta=0.2&n=300&max_passes=3&seed=1';
  await openPage(page, 'www/universal.html', hash);
  for (const m of ['linear', 'mlp', 'cnn']) await expect(page.getByTestId(`test-${m}`)).toContainText('%');
  const rate = await page.getByTestId('test-mlp').textContent();
  await page.locator('#table').click();
  await expect(page.getByTestId('transfer-cnn-mlp')).toContainText('%', { timeout: 90_000 });
  await shot(page, testInfo, 'universal');
  await page.reload();
  await waitDrawn(page, /digits/);
  await expect(page.getByTestId('test-mlp')).toHaveText(rate);
  // The pixel box is on by default (the examples are the clipped, classified images); off,
  // the search and the rates are another computation.
  await expect(page.locator('#ctl-bounds')).toHaveValue('pixels');
  await expect(page.locator('#examples-note')).toContainText('clipped to [0, 1]: the valid image classified');
  await page.locator('#ctl-bounds').selectOption('none');
  await waitDrawn(page, /bounds=none/);
  await expect(page.locator('#examples-note')).toContainText('may leave [0, 1]');
  await expect(page.getByTestId('test-mlp')).not.toHaveText(rate);
});

test('dimension: epsilon rescales the score without retraining', async ({ page }, testInfo) => {
  await openPage(page, 'www/dimension.html', 'data=mnist&train=1000&n=50&epochs=3&eps=0.02');
  const epsStar = await page.getByTestId('eps-star-28').textContent();
  const score = Number(await page.getByTestId('score-28').textContent());
  await page.locator('#ctl-eps').fill('0.04');
  await waitDrawn(page, /&eps=0\.04&/);
  expect(Number(await page.getByTestId('score-28').textContent())).toBeCloseTo(2 * score, 2);
  await expect(page.getByTestId('eps-star-28')).toHaveText(epsStar);
  await shot(page, testInfo, 'dimension');
});

test('the image pages fit 1024x768 and 1280x720, and embed without taking the keyboard', async ({ page }) => {
  for (const [width, height] of [
    [1024, 768],
    [1280, 720],
  ]) {
    await page.setViewportSize({ width, height });
    for (const path of ['www/attacks.html', 'www/universal.html#data=digits&n=100', 'www/dimension.html#train=500&n=20&epochs=1']) {
      await page.goto('about:blank');
      await page.goto(path);
      await waitDrawn(page);
      const { scrollW, clientW } = await page.evaluate(() => ({ scrollW: document.documentElement.scrollWidth, clientW: document.documentElement.clientWidth }));
      expect(scrollW, `${path} at ${width}x${height}`).toBeLessThanOrEqual(clientW);
      expect(await page.evaluate(() => document.activeElement.tagName)).toBe('BODY');
    }
  }
  await page.setViewportSize({ width: 800, height: 450 });
  await page.goto('about:blank');
  await page.goto('www/attacks.html?embed=1#data=digits');
  await waitDrawn(page);
  const layout = await page.evaluate(() => ({
    chrome: [...document.querySelectorAll('.chrome')].every((e) => getComputedStyle(e).display === 'none'),
    scrollW: document.documentElement.scrollWidth,
    clientW: document.documentElement.clientWidth,
    bottom: document.getElementById('img-adv').getBoundingClientRect().bottom,
  }));
  expect(layout.chrome).toBe(true);
  expect(layout.scrollW).toBeLessThanOrEqual(layout.clientW);
  expect(layout.bottom).toBeLessThanOrEqual(450);
});
