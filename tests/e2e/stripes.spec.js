/// <reference types="node" />
// The stripes page (false structures, Thesing, Antun and Hansen), driven from the page: the
// network trains in the worker with its curve, the background switch changes the scores and
// the pictures, the drawing pad, links, embedding in a slide, bad links, and the layout at
// the lecture's sizes.
import { test, expect, openPage, waitDrawn, query, canvasHash, shot, checkLectureLayouts, checkEmbedded } from './fixtures.js';

const PAGE = 'www/stripes.html';
/** Training and DeepFool take a few seconds; more while other tests run beside them. */
const DRAWN = 60_000;

/** The full-precision number a readout carries. */
async function value(page, testId) {
  return Number(await page.getByTestId(testId).getAttribute('data-value'));
}

/** The scores as the page shows them. */
async function scores(page) {
  return {
    train: await value(page, 'train-accuracy'),
    test: await value(page, 'test-accuracy'),
    false: await value(page, 'false-accuracy'),
    deepfool: await value(page, 'deepfool'),
  };
}

const PICTURES = ['img-train', 'img-test', 'img-false', 'mag-test', 'mag-false', 'img-r', 'img-adv', 'plot-curve'];

test('the network trains with its curve; the background switch changes the scores and the pictures', async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  // The default: a = 0.2, backgrounds tied to the label. The network reads the background's
  // sign: right on fresh images, wrong on most of their false twins (natively, seed 1: 99 %
  // and 7 %).
  await openPage(page, PAGE, '', /^a=0\.2&background=label&/, DRAWN);
  const label = await scores(page);
  for (const v of Object.values(label)) expect(Number.isFinite(v)).toBe(true);
  expect(label.train).toBe(1);
  expect(label.test).toBeGreaterThanOrEqual(0.95);
  expect(label.false).toBeLessThanOrEqual(0.1);
  expect(Number(await page.locator('#plot-curve').getAttribute('data-points'))).toBe(30);
  // Every picture is drawn.
  const before = {};
  for (const id of PICTURES) before[id] = await canvasHash(page, id);
  await shot(page, testInfo, 'stripes-default');
  // The control: random backgrounds.
  await page.locator('#ctl-background').selectOption('random');
  await waitDrawn(page, /background=random/, DRAWN);
  // Random backgrounds: only the stripe tells the classes apart, and the false set is right.
  const random = await scores(page);
  expect(random.train).toBe(1);
  expect(random.test).toBeGreaterThanOrEqual(0.95);
  expect(random.false).toBeGreaterThanOrEqual(0.9);
  for (const id of ['img-r', 'plot-curve']) expect(await canvasHash(page, id), id).not.toBe(before[id]);
  expect(await query(page)).toMatch(/background=random/);
  await shot(page, testInfo, 'stripes-random');
});

test("the authors' training set: only the background tells the classes apart, and the network reads it", async ({ page }) => {
  test.setTimeout(150_000);
  // Every training stripe along rows, as the authors' code builds the set, at the paper's
  // a = 0.01, seed 3 (natively: 100 %, 97.5 %, false set 7 %, its horizontal stripes 4.9 %).
  await openPage(page, PAGE, 'training=rows&a=0.01&seed=3', /training=rows/, DRAWN);
  await expect(page.locator('#ctl-training')).toHaveValue('rows');
  await expect(page.locator('#cap-train')).toContainText('labelled vertical, drawn horizontal');
  const rows = await scores(page);
  expect(rows.train).toBe(1);
  expect(rows.test).toBeGreaterThanOrEqual(0.95);
  expect(rows.false).toBeLessThanOrEqual(0.1);
  await expect(page.getByTestId('false-by-class')).toContainText('horizontal 4.85\u00a0%');
  const train = await canvasHash(page, 'img-train');
  // Horizontal and vertical training stripes: the network learns the stripe at a = 0.01.
  await page.locator('#ctl-training').selectOption('oriented');
  await waitDrawn(page, /training=oriented/, DRAWN);
  await expect(page.locator('#cap-train')).toContainText('vertical stripe');
  const oriented = await scores(page);
  expect(oriented.false).toBeGreaterThanOrEqual(0.9);
  // DeepFool needs a far larger perturbation of a network that reads the stripe.
  expect(oriented.deepfool).toBeGreaterThanOrEqual(5 * rows.deepfool);
  expect(await canvasHash(page, 'img-train')).not.toBe(train);
});

test('a drawn stripe is classified and attacked; an empty pad says so', async ({ page }) => {
  test.setTimeout(90_000);
  await openPage(page, PAGE, 'epochs=20', /./, DRAWN);
  await page.locator('#pad-use').click();
  await expect(page.locator('#error-text')).toContainText('the pad is empty');
  // A horizontal stripe across the pad, on the background +a.
  const box = await page.locator('#pad').boundingBox();
  const y = box.y + box.height * 0.4;
  await page.mouse.move(box.x + 2, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + 2 + ((box.width - 4) * i) / 10, y);
  await page.mouse.up();
  await page.locator('input[name="pad-bg"][value="1"]').check();
  await page.locator('#pad-use').click();
  await expect(page.getByTestId('drawn')).toContainText('The network says');
  await expect(page.getByTestId('drawn')).toContainText('‖r‖₂/‖x‖₂');
  await expect(page.locator('#error')).toBeHidden();
  // Clearing hides the drawing's result.
  await page.locator('#pad-clear').click();
  await expect(page.locator('#drawn')).toBeHidden();
});

test('a link restores the figure', async ({ page }) => {
  const hash = 'a=0.02&background=random&seed=3&epochs=20';
  await openPage(page, PAGE, hash, /^a=0\.02&background=random&training=oriented&seed=3&epochs=20&/, DRAWN);
  const link = await query(page);
  await expect(page.locator('#ctl-background')).toHaveValue('random');
  const numbers = await scores(page);
  const pictures = [];
  for (const id of PICTURES) pictures.push(await canvasHash(page, id));
  await page.reload();
  await waitDrawn(page, /^a=0\.02&background=random&training=oriented&seed=3&/, DRAWN);
  expect(await query(page)).toBe(link);
  expect(await scores(page)).toEqual(numbers);
  const again = [];
  for (const id of PICTURES) again.push(await canvasHash(page, id));
  expect(again).toEqual(pictures);
});

test('embedded in a slide: no chrome, fits its frame, waits while paused, leaves the keyboard to the deck', async ({ page }, testInfo) => {
  await checkEmbedded(page, testInfo, { path: PAGE, hash: 'epochs=20', figure: 'img-r', set: 'background=random', expected: /background=random/, name: 'stripes', timeout: DRAWN });
});

test('bad links give the banner, keep the rest, and the page still works', async ({ page }) => {
  const cases = {
    'a=99': 'a: ',
    'a=abc': 'a: ',
    'background=sideways': 'background: ',
    'training=columns': 'training: ',
    'bogus=1': 'bogus: unknown parameter',
  };
  for (const [bad, message] of Object.entries(cases)) {
    const hash = `${bad}&epochs=20`;
    await openPage(page, PAGE, hash, /epochs=20/, DRAWN);
    await expect(page.locator('#error')).toBeVisible();
    await expect(page.locator('#error-text')).toContainText(message);
    await expect(page.locator('#error-text')).toContainText('left out');
    expect(new URL(page.url()).hash).toBe(`#${hash}`);
    expect(Number.isFinite(await value(page, 'test-accuracy'))).toBe(true);
  }
  await page.locator('#ctl-background').selectOption('random');
  await expect(page.locator('#error')).toBeHidden();
  await waitDrawn(page, /background=random/, DRAWN);
});

test('fits 1024x768, 1280x720 and slide frames without sideways scrolling; projector text sizes', async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  await checkLectureLayouts(page, testInfo, { path: PAGE, hash: 'epochs=20', name: 'stripes', timeout: DRAWN });
});
