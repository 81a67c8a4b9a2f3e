/// <reference types="node" />
// The image pages in headless Chromium, for every data set and model: the WebAssembly memory
// of every worker (memory only grows, so its size at the end is the peak) after the first
// figure, the full ratio table and one epoch of retraining (attack page), each model's figure,
// the transfer table and searches (universal page), both data sets and retraining (dimension
// page); and how long the attack page takes to redraw after a move of the FGSM slider on the
// CNN. Takes about six minutes (the CNN's full ratio table, 2,000 digits, is most of it).
//
//   node scripts/bench-images.mjs [attacks|slider|universal|dimension]
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';

const PORT = 8095;
const ONLY = process.argv[2] || '';
const server = spawn(process.execPath, ['scripts/serve.mjs', '--root', '.', '--port', String(PORT)], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 400));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
const drawn = (pattern = '') =>
  `(() => { const d = document.getElementById('demo').dataset; return d.query !== undefined && d.drawn === d.query && d.busy !== 'true' && d.query.includes(${JSON.stringify(pattern)}); })()`;
async function open(path, hash) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const t0 = Date.now();
  await page.goto(`http://127.0.0.1:${PORT}/${path}#${hash}`);
  await page.waitForFunction(drawn(), null, { timeout: 300_000, polling: 20 });
  return { context, page, errors, ms: Date.now() - t0 };
}
async function memory(page) {
  const mbs = [];
  for (const w of page.workers()) mbs.push(await w.evaluate(() => { const m = /** @type {any} */ (self).wasmMemory; return m ? m.buffer.byteLength / 2 ** 20 : 0; }));
  return mbs.map((m) => m.toFixed(1)).join(' + ') + ' MB';
}
const log = (...a) => console.log(...a);
const want = (name) => !ONLY || name.includes(ONLY);

async function main() {
  if (want('attacks')) {
    for (const data of ['mnist', 'fashion', 'digits']) {
      for (const model of ['linear', 'mlp', 'cnn']) {
        const { context, page, errors, ms } = await open('www/attacks.html', `data=${data}&model=${model}&n=2000`);
        let line = `attacks ${data} ${model}: first figure ${ms} ms, ${await memory(page)}`;
        // The ratio table over every correctly classified test image (n = 2000, the most).
        const t = Date.now();
        await page.locator('#ratios').click();
        await page.waitForFunction(() => document.getElementById('ratio-table').textContent.includes('correctly classified'), null, { timeout: 900_000, polling: 200 });
        await page.waitForFunction(drawn(), null, { timeout: 900_000, polling: 200 });
        line += `; ratio table ${((Date.now() - t) / 1000).toFixed(1)} s, ${await memory(page)}`;
        // Retraining: one epoch, then the model is installed and the figure recomputed.
        await page.locator('#train-epochs').fill('1');
        await page.locator('#train').click();
        await page.waitForFunction(() => document.getElementById('model-info').textContent.includes('retrained here'), null, { timeout: 900_000, polling: 200 });
        await page.waitForFunction(drawn(), null, { timeout: 300_000, polling: 50 });
        line += `; retrained 1 epoch, ${await memory(page)}`;
        log(line, errors.length ? `ERRORS ${errors}` : '');
        await context.close();
      }
    }
  }

  if (want('slider')) {
    const { context, page, ms } = await open('www/attacks.html', 'data=mnist&model=cnn&attack=fgsm&eps=0.1&index=17');
    const times = [];
    for (const eps of ['0.11', '0.05', '0.2', '0.123', '0.3', '0.07', '0.15', '0.01']) {
      const t = Date.now();
      await page.locator('#ctl-eps').fill(eps);
      await page.waitForFunction(drawn(`&eps=${eps}&`), null, { timeout: 30_000, polling: 5 });
      times.push(Date.now() - t);
    }
    const sorted = [...times].sort((a, b) => a - b);
    log(`slider (CNN, MNIST digit 17; first figure ${ms} ms): eps change to redrawn figure ${times.join(', ')} ms; median ${sorted[Math.floor(sorted.length / 2)]}, max ${sorted[sorted.length - 1]}`);
    await context.close();
  }

  if (want('universal')) {
    for (const [data, n] of [['mnist', 1000], ['fashion', 800], ['digits', 1000]]) {
      for (const model of ['linear', 'mlp', 'cnn']) {
        const { context, page, errors, ms } = await open('www/universal.html', `data=${data}&model=${model}&n=${n}`);
        let line = `universal ${data} ${model} (n ${n}): figure ${ms} ms, ${await memory(page)}`;
        if (model === 'mlp') {
          const t = Date.now();
          await page.locator('#table').click();
          await page.waitForFunction(() => document.querySelector('[data-testid=transfer-cnn-cnn]'), null, { timeout: 900_000, polling: 200 });
          line += `; transfer table ${((Date.now() - t) / 1000).toFixed(1)} s, ${await memory(page)}`;
        }
        log(line, errors.length ? `ERRORS ${errors}` : '');
        await context.close();
      }
    }
    for (const hash of ['data=mnist&model=mlp&xi=0.3', 'data=mnist&model=cnn&xi=0.3&max_passes=1', 'data=mnist&model=mlp&n=8000&max_passes=1']) {
      const { context, page, errors, ms } = await open('www/universal.html', hash);
      log(`universal search ${hash}: ${(ms / 1000).toFixed(1)} s, ${await memory(page)}`, errors.length ? `ERRORS ${errors}` : '');
      await context.close();
    }
  }

  if (want('dimension')) {
    for (const hash of ['data=mnist', 'data=fashion&train=800', 'data=mnist&seed=2', 'data=fashion&train=800&seed=2', 'data=mnist&train=8000&n=2000&epochs=10&seed=3']) {
      const { context, page, errors, ms } = await open('www/dimension.html', hash);
      log(`dimension ${hash}: ${(ms / 1000).toFixed(1)} s, ${await memory(page)}`, errors.length ? `ERRORS ${errors}` : '');
      await context.close();
    }
  }
}

try {
  await main();
} finally {
  await browser.close();
  server.kill();
}
