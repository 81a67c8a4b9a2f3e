/// <reference types="node" />
// Classroom-ready: every demo in a slide-sized iframe (?embed=1 at 1200 x 600, 960 x 540 and
// 800 x 450) and as a page (1280 x 720, 1024 x 768) has every control at least as wide as its
// content, no blank canvas and no sideways scrolling; the controls in the drawer too. The
// projector mode's text sizes; keyboard routes; links with one bad key; state in the query
// string. Every test also fails on any console error (fixtures.js).
import { test, expect, waitDrawn, query, layoutProblems, fontProblems, recordCanvasText } from './fixtures.js';

const DEMOS = ['toy', 'attacks', 'universal', 'dimension', 'mri', 'unstable'];
const FRAMES = [
  { w: 1200, h: 600, embed: true },
  { w: 960, h: 540, embed: true },
  { w: 800, h: 450, embed: true },
  { w: 1280, h: 720, embed: false },
  { w: 1024, h: 768, embed: false },
];

/** Opens a demo at its defaults (fresh document) and waits for its complete figure. */
async function open(page, demo, search = '', hash = '') {
  await page.goto('about:blank');
  await page.goto(`www/${demo}.html${search}${hash ? `#${hash}` : ''}`);
  await waitDrawn(page);
}

for (const demo of DEMOS) {
  test(`${demo}: every frame size, controls at least as wide as their content, no blank canvas`, async ({ page }, testInfo) => {
    test.setTimeout(180_000);
    for (const f of FRAMES) {
      const where = `${f.embed ? 'embedded' : 'page'} at ${f.w} x ${f.h}`;
      await page.setViewportSize({ width: f.w, height: f.h });
      await open(page, demo, f.embed ? '?embed=1' : '');
      expect(await layoutProblems(page), where).toEqual([]);
      await page.screenshot({ path: testInfo.outputPath(`${demo}-${f.embed ? 'embed' : 'page'}-${f.w}x${f.h}.png`) });
      // In a drawer, the controls must fit there too; the strip's main controls stay in view.
      if (await page.locator('#drawer-toggle').isVisible()) {
        await expect(page.locator('#controls-main .ctl').first()).toBeVisible();
        await page.locator('#drawer-toggle').click();
        await expect(page.locator('#side')).toBeVisible();
        await page.waitForTimeout(250); // the drawer slides in
        expect(await layoutProblems(page), `${where}, drawer open`).toEqual([]);
        await page.keyboard.press('Escape');
        await expect(page.locator('#side')).toBeHidden();
      }
    }
  });
}

test('projector mode: text at least 18 px, plot labels at least 16 px; the default mode at least 14 px', async ({ page }) => {
  test.setTimeout(180_000);
  await page.addInitScript(recordCanvasText);
  for (const demo of DEMOS) {
    /** @type {[string, number, number][]} */
    const modes = [
      ['?projector=1', 18, 16],
      ['', 14, 14],
    ];
    for (const [search, minText, minCanvas] of modes) {
      const where = `${demo}${search || ' (default mode)'}`;
      await page.setViewportSize({ width: 1280, height: 720 });
      await open(page, demo, search);
      await expect(page.locator('body')).toHaveClass(search ? /projector/ : /^((?!projector).)*$/);
      expect(await fontProblems(page, minText, minCanvas), where).toEqual([]);
      // The controls, in the drawer (a projector's) or beside the figure.
      if (await page.locator('#drawer-toggle').isVisible()) {
        await page.locator('#drawer-toggle').click();
        await page.waitForTimeout(250);
        expect(await fontProblems(page, minText, minCanvas), `${where}, drawer open`).toEqual([]);
      }
    }
  }
});

test('keyboard: the toy point moves with the arrow keys, only once the map has the focus', async ({ page }) => {
  await open(page, 'toy', '', 'point=1.5,-0.2');
  // Keys pressed before the map is focused (a slide deck's arrows) leave the demo alone.
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(200);
  expect(await query(page)).toContain('&point=1.5,-0.2&');
  // Tab to the map: it shows its focus; then the arrows move the point by 2 % of the view
  // (Shift: 20 %), and the attack follows.
  for (let i = 0; i < 60 && (await page.evaluate(() => document.activeElement?.id)) !== 'map'; i++) await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('map');
  expect(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle)).not.toBe('none');
  const view = await page.evaluate(() => document.getElementById('demo').dataset.view.split(',').map(Number));
  await page.keyboard.press('ArrowRight');
  const x = Number((1.5 + 0.02 * (view[1] - view[0])).toFixed(4));
  await waitDrawn(page, new RegExp(`&point=${x},-0\\.2&`));
  await page.keyboard.press('Shift+ArrowUp');
  const y = Number((-0.2 + 0.2 * (view[3] - view[2])).toFixed(4));
  await waitDrawn(page, new RegExp(`&point=${x},${y}&`));
  await expect(page.getByTestId('deepfool-label')).toBeVisible();
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
});

test('keyboard: every file chooser and button is reached by Tab, labelled, and shows its focus', async ({ page }) => {
  test.setTimeout(180_000);
  const FILES = { toy: ['load'], attacks: ['load-model', 'load'], universal: ['load'], dimension: ['load'], mri: ['upload', 'load-mask', 'load'], unstable: ['load'] };
  for (const [demo, inputs] of Object.entries(FILES)) {
    await open(page, demo);
    const reached = new Set();
    let first = null;
    for (let i = 0; i < 150; i++) {
      await page.keyboard.press('Tab');
      const focus = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        // The outline shows on the element, or on the label of a file chooser.
        const ring = el.matches('.file-input') ? el.closest('label') : el;
        const s = getComputedStyle(ring);
        return { id: el.id, tag: el.tagName, name: /** @type {any} */ (el).labels?.[0]?.textContent.trim() || el.getAttribute('aria-label') || el.textContent.trim(), outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
      });
      if (!focus) continue;
      // Once round the page.
      const key = `${focus.tag}#${focus.id}:${focus.name}`;
      if (key === first) break;
      first ??= key;
      if (focus.id) reached.add(focus.id);
      expect(focus.outline, `${demo}: the focus on ${focus.tag}#${focus.id} is visible`).not.toBe('none');
      expect(focus.width).toBeGreaterThanOrEqual(2);
      expect(focus.name, `${demo}: ${focus.tag}#${focus.id} has a name`).not.toBe('');
    }
    for (const id of inputs) expect(reached, `${demo}: Tab reaches the file chooser #${id}`).toContain(id);
    // The space bar on a focused file chooser activates it (the browser then opens its
    // dialog; whether a headless browser shows one is not the page's business, so the test
    // watches for the activation itself).
    const input = page.locator(`#${inputs[0]}`);
    await input.evaluate((el) => el.addEventListener('click', (ev) => { ev.preventDefault(); el.dataset.activated = '1'; }, { once: true }));
    await input.focus();
    await page.keyboard.press('Space');
    await expect(input, `${demo}: Space activates #${inputs[0]}`).toHaveAttribute('data-activated', '1');
  }
});

test('a link with one bad key keeps every other key and names the one it left out', async ({ page }) => {
  /** @type {[string, string, RegExp, RegExp, string][]} */
  const cases = [
    ['attacks', 'attack=fgsm&eps=NaN&index=17', /attack=fgsm&eps=0\.1&/, /index=17&/, "eps: expected a finite number, got 'NaN'"],
    ['universal', 'model=linear&xi=99&n=300', /model=linear&/, /&n=300&/, 'xi: expected a number from 0 to 10, got 99'],
    ['mri', 'size=64&rate=5&noise=0.02', /size=64&/, /&noise=0\.02&/, 'rate: expected a number from 0.01 to 1, got 5'],
    ['toy', 'data=circles&colour=red&eps=0.3', /data=circles&/, /&eps=0\.3$/, 'colour: unknown parameter'],
  ];
  for (const [demo, hash, keep1, keep2, message] of cases) {
    await page.goto('about:blank');
    await page.goto(`www/${demo}.html#${hash}`);
    await waitDrawn(page, keep1);
    expect(await query(page)).toMatch(keep2);
    await expect(page.locator('#error-text')).toContainText(message);
    await expect(page.locator('#error-text')).toContainText('left out');
    // The address bar keeps what was typed until the student changes something.
    expect(new URL(page.url()).hash).toBe(`#${hash}`);
  }
});

test('state in the query string is read like the hash, then moved into the hash', async ({ page }) => {
  await page.goto('about:blank');
  await page.goto('www/attacks.html?embed=1&attack=fgsm&eps=0.05&index=17');
  await waitDrawn(page, /attack=fgsm&eps=0\.05&/);
  expect(await query(page)).toContain('index=17&');
  await expect(page.locator('body')).toHaveClass(/embed/);
  const url = new URL(page.url());
  expect(url.search).toBe('?embed=1');
  expect(url.hash).toContain('attack=fgsm&eps=0.05&');
  // A key in both: the hash wins.
  await page.goto('about:blank');
  await page.goto('www/dimension.html?eps=0.05#eps=0.03');
  await waitDrawn(page, /&eps=0\.03&/);
  expect(new URL(page.url()).search).toBe('');
});

test('keyboard: the detail of the kernel views moves with the arrow keys once its picture has the focus', async ({ page }) => {
  await open(page, 'mri', '', 'size=64&iters=20&restarts=2&inner=10&detail=0.5,0.5');
  await page.locator('#img-truth').focus();
  await page.keyboard.press('ArrowRight');
  await waitDrawn(page, /&detail=0\.5156,0\.5&/);
  await page.keyboard.press('Shift+ArrowUp');
  await waitDrawn(page, /&detail=0\.5156,0\.375&/);
  await open(page, 'unstable', '', 'view=kernel&cp_iters=30&restarts=2&inner=15&detail=0.3125,0.3125');
  await page.locator('#k-x').focus();
  await page.keyboard.press('ArrowDown');
  await waitDrawn(page, /&detail=0\.3125,0\.34375&/);
});
