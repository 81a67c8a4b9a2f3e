/// <reference types="node" />
// The MRI page, driven from the page: the sample-count slider, an uploaded picture, the
// kernel view, links, stepping, painting, the convergence plot, bad input, projector sizes.
import { test, expect, openPage, waitDrawn, query, canvasHash, shot } from './fixtures.js';
import { deflateSync } from 'node:zlib';

const MRI = 'www/mri.html';
/** A quick figure: 64 x 64, fewer iterations (the defaults are tested natively). */
const QUICK = 'size=64&iters=60&restarts=3&inner=20';

/** The PSNR (full precision) each method's caption carries. */
async function psnrs(page) {
  const out = {};
  for (const m of ['adjoint', 'cs-wavelet', 'tv', 'firenet']) out[m] = await page.getByTestId(`psnr-${m}`).getAttribute('data-value');
  return out;
}

/** A w x h greyscale PNG of `grey(x, y)` (0..255), encoded here so the test needs no file. */
function pngOf(w, h, grey) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = grey(x, y);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

test('the sample-count slider changes the mask and the reconstructions', async ({ page }, testInfo) => {
  await openPage(page, MRI, `${QUICK}&rate=0.1`);
  const before = { kspace: await canvasHash(page, 'img-kspace'), tv: await canvasHash(page, 'img-recon-tv'), psnr: await psnrs(page) };
  await expect(page.getByTestId('samples')).toHaveText('410');
  await shot(page, testInfo, 'rate-0.1');
  await page.locator('#ctl-rate').fill('0.4');
  await waitDrawn(page, /&rate=0\.4&/);
  await expect(page.getByTestId('samples')).toHaveText('1638');
  expect(await canvasHash(page, 'img-kspace')).not.toBe(before.kspace);
  expect(await canvasHash(page, 'img-recon-tv')).not.toBe(before.tv);
  const after = await psnrs(page);
  for (const m of ['adjoint', 'cs-wavelet', 'tv', 'firenet']) expect(Number(after[m]), m).toBeGreaterThan(Number(before.psnr[m]));
  // The stable methods beat the zero-filled adjoint.
  expect(Number(after.tv)).toBeGreaterThan(Number(after.adjoint) + 3);
  await shot(page, testInfo, 'rate-0.4');
});

test('a link restores the exact figure', async ({ page }) => {
  const hash = 'image=shepp-logan&slice=75&size=64&mask=radial&density=0.5&rate=0.2&seed=3&painted=&noise=0.02&wavelet=haar&levels=3&lambda_w=0.003&lambda_tv=0.003&iters=50&restarts=2&inner=20&firenet_on=wavelet&method=tv&detail_radius=0.01&detail_amp=0.6';
  await openPage(page, MRI, hash);
  expect(await query(page)).toBe(hash);
  const numbers = await psnrs(page);
  const pictures = [await canvasHash(page, 'img-truth'), await canvasHash(page, 'img-kspace'), await canvasHash(page, 'img-recon-firenet'), await canvasHash(page, 'img-error-tv')];
  await page.reload();
  await waitDrawn(page, /shepp-logan/);
  expect(await psnrs(page)).toEqual(numbers);
  expect([await canvasHash(page, 'img-truth'), await canvasHash(page, 'img-kspace'), await canvasHash(page, 'img-recon-firenet'), await canvasHash(page, 'img-error-tv')]).toEqual(pictures);
});

test('uploading a picture reconstructs it', async ({ page }, testInfo) => {
  await openPage(page, MRI, QUICK);
  // A bright disc on black, 90 x 70 pixels (not square: the lab crops the centre).
  const png = pngOf(90, 70, (x, y) => ((x - 45) ** 2 + (y - 35) ** 2 < 400 ? 230 : 15));
  await page.locator('#upload').setInputFiles({ name: 'disc.png', mimeType: 'image/png', buffer: png });
  await waitDrawn(page, /image=upload/);
  await expect(page.locator('#cap-truth')).toContainText('your picture, 64 × 64');
  const p = await psnrs(page);
  expect(Number(p.tv)).toBeGreaterThan(Number(p.adjoint));
  await shot(page, testInfo, 'upload');
  // A file that is not a picture is refused with a message, and the figure stays.
  await page.locator('#upload').setInputFiles({ name: 'x.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
  await expect(page.locator('#error-text')).toContainText('cannot read that file as a picture');
  await expect(page.locator('#cap-truth')).toContainText('your picture');
});

test('the kernel view: identical measurements, identical reconstructions', async ({ page }, testInfo) => {
  await openPage(page, MRI, QUICK);
  const box = await page.locator('#img-truth').boundingBox();
  await page.mouse.click(box.x + box.width * 0.6, box.y + box.height * 0.4);
  await waitDrawn(page, /&detail=0\.[56]\d*,0\.[34]\d*&/);
  await expect(page.locator('#kernel-figs')).toBeVisible();
  const az = Number(await page.getByTestId('az-norm').getAttribute('title'));
  expect(az).toBeLessThan(1e-13);
  expect(Number(await page.getByTestId('y-change').textContent())).toBeLessThan(1e-13);
  const changes = (await page.getByTestId('recon-change').textContent()).split(', ').map(Number);
  expect(changes).toHaveLength(4);
  for (const c of changes) expect(c).toBeLessThan(1e-10);
  // The two reconstructions look the same; x and x + z do not.
  expect(await canvasHash(page, 'img-kr1')).toBe(await canvasHash(page, 'img-kr2'));
  expect(await canvasHash(page, 'img-kx2')).not.toBe(await canvasHash(page, 'img-truth'));
  await shot(page, testInfo, 'kernel');
  await page.locator('#no-detail').click();
  await waitDrawn(page, /^((?!detail=0).)*$/);
  await expect(page.locator('#kernel-figs')).toBeHidden();
});

test('step by step: restart, step, run', async ({ page }) => {
  await openPage(page, MRI, QUICK);
  await page.locator('#restart').click();
  await expect(page.getByTestId('status')).toContainText('Paused at 0 of');
  await expect(page.locator('#iters-tv')).toHaveText('0/60 it.');
  await page.locator('#step').click();
  await expect(page.locator('#iters-tv')).toHaveText('1/60 it.');
  await page.locator('#step').click();
  await expect(page.locator('#iters-firenet')).toHaveText('2/60 it.');
  await page.locator('#play').click();
  await expect(page.getByTestId('status')).toContainText('Done');
  await expect(page.locator('#iters-tv')).toHaveText('60/60 it.');
  // After a restart, the next change of state iterates by itself again.
  await page.locator('#restart').click();
  await expect(page.getByTestId('status')).toContainText('Paused at 0 of');
  await page.locator('#ctl-rate').fill('0.3');
  await waitDrawn(page, /&rate=0\.3&/);
  await expect(page.getByTestId('status')).toContainText('Done');
  // The kernel view's method only changes what is shown: nothing is recomputed.
  await page.locator('#ctl-method').selectOption('tv');
  await waitDrawn(page, /&method=tv&/);
  await expect(page.getByTestId('status')).toContainText('Done');
});

test('painting on k-space makes a painted mask that the link keeps', async ({ page }) => {
  await openPage(page, MRI, `${QUICK}&rate=0.05`);
  const samples = Number(await page.getByTestId('samples').textContent());
  await page.locator('#paint').check();
  const box = await page.locator('#img-kspace').boundingBox();
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.5);
  await page.mouse.down();
  for (let i = 1; i <= 20; i++) await page.mouse.move(box.x + box.width * (0.1 + 0.04 * i), box.y + box.height * 0.5);
  await page.mouse.up();
  await waitDrawn(page, /&mask=painted&/);
  expect(Number(await page.getByTestId('samples').textContent())).toBeGreaterThan(samples + 20);
  const link = await query(page);
  // The address bar has the figure shown as soon as it is drawn (a reload at once keeps it).
  expect(decodeURIComponent(new URL(page.url()).hash.slice(1))).toBe(decodeURIComponent(link));
  await page.reload();
  await waitDrawn(page, /&mask=painted&/);
  expect(await query(page)).toBe(link);
  // A new size carries the painted mask over (and is not refused).
  const painted = Number(await page.getByTestId('samples').textContent());
  await page.locator('#ctl-size').selectOption('128');
  await waitDrawn(page, /&size=128&mask=painted&/);
  expect(Number(await page.getByTestId('samples').textContent())).toBe(painted);
});

test('the convergence plot: FIRENET with restarts falls geometrically', async ({ page }, testInfo) => {
  await openPage(page, MRI, 'size=64&iters=60&restarts=4&inner=40');
  await page.locator('#convergence').click();
  await expect(page.getByTestId('slope')).toContainText('fitted slope', { timeout: 60_000 });
  await expect(page.locator('#conv-note')).not.toContainText('…');
  // The schedule aims at -1 per restart; measured here -0.91.
  const slope = Number(await page.getByTestId('slope').getAttribute('data-value'));
  expect(slope).toBeLessThan(-0.6);
  await shot(page, testInfo, 'convergence');
});

test('bad links and files on the MRI page give messages', async ({ page }) => {
  await openPage(page, MRI, 'rate=5');
  await expect(page.locator('#error-text')).toContainText('rate: expected a number from 0.01 to 1, got 5');
  expect(new URL(page.url()).hash).toBe('#rate=5');
  await openPage(page, MRI, 'size=64&levels=7');
  await expect(page.locator('#error-text')).toContainText('levels: a 64 x 64 image allows at most');
  await openPage(page, MRI, `${QUICK}&mask=painted&painted=AAAA`);
  await expect(page.locator('#error-text')).toContainText('painted: mask token');
  await openPage(page, MRI, 'size=64&restarts=50&inner=100');
  await expect(page.locator('#error-text')).toContainText('FIRENET may have at most 2000 layers');
  // A link to an uploaded picture cannot carry it: a message, not a blank page.
  await page.goto('about:blank');
  await page.goto(`${MRI}#${QUICK}&image=upload`);
  await expect(page.locator('#error-text')).toContainText('no picture has been uploaded');
  // A mask file of the wrong size.
  await openPage(page, MRI, QUICK);
  await page.locator('#load-mask').setInputFiles({ name: 'm.png', mimeType: 'image/png', buffer: pngOf(10, 10, () => 255) });
  await expect(page.locator('#error-text')).toContainText('a mask picture must be 64 x 64 pixels');
});

test('the MRI page fits 1024x768 and 1280x720, and embeds without taking the keyboard', async ({ page }) => {
  for (const [width, height] of [
    [1024, 768],
    [1280, 720],
  ]) {
    await page.setViewportSize({ width, height });
    await openPage(page, MRI, QUICK);
    const { scrollW, clientW } = await page.evaluate(() => ({ scrollW: document.documentElement.scrollWidth, clientW: document.documentElement.clientWidth }));
    expect(scrollW, `${width}x${height}`).toBeLessThanOrEqual(clientW);
    expect(await page.evaluate(() => document.activeElement.tagName)).toBe('BODY');
  }
  await page.setViewportSize({ width: 800, height: 450 });
  await page.goto('about:blank');
  await page.goto(`${MRI}?embed=1#${QUICK}`);
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
});
