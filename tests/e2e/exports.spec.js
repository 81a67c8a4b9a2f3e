// Every page's exports (the side panel's Export buttons): the figure as a PNG at twice its
// size, its numbers as CSV and JSON. The CSV parses and holds the JSON's numbers exactly, the
// JSON's numbers are the page's readouts and its link the page's state, and they equal the
// numbers `barriers-lab figures` wrote for the same link (www/posters/NAME.json, made by the
// build from the pages' default state).
import { test, expect, waitDrawn, exported } from './fixtures.js';

/**
 * A readout of each page's default figure and the JSON metric it shows: `attr` reads the
 * full value from an attribute, otherwise the shown text is compared to the digits shown
 * (`scale` turns the metric into the readout's unit, e.g. percent).
 */
const READOUTS = {
  toy: [{ testid: 'r-l2', attr: 'title', metric: 'deepfool ||r||2' }],
  attacks: [{ testid: 'r-over-x', attr: 'title', metric: 'deepfool ||r||2/||x||2' }],
  universal: [{ testid: 'test-mlp', metric: 'test images fooled, mlp', scale: 100 }],
  dimension: [{ testid: 'eps-star-28', metric: 'eps* d=784' }],
  mri: [{ testid: 'psnr-tv', metric: 'tv psnr' }],
  unstable: [{ testid: 'sum-amplification', attr: 'data-value', metric: 'amplification' }],
  inexact: [
    { testid: 'm-firenet-error', attr: 'data-value', metric: 'firenet_error' },
    { testid: 'm-lista-error', attr: 'data-value', metric: 'lista_error' },
  ],
  kernel1d: [
    { testid: 'pair_accuracy', attr: 'data-value', metric: 'pair_accuracy' },
    { testid: 'psnr_test', attr: 'data-value', metric: 'psnr_test' },
    { testid: 'amplification', attr: 'data-value', metric: 'amplification' },
    { testid: 'amplification_tv', attr: 'data-value', metric: 'amplification_tv' },
    { testid: 'amplification_v', attr: 'data-value', metric: 'amplification_v' },
    { testid: 'bound', attr: 'data-value', metric: 'bound' },
    { testid: 'eta', attr: 'data-value', metric: 'eta' },
    { testid: 'delta', attr: 'data-value', metric: 'delta' },
  ],
  stripes: [
    { testid: 'false-accuracy', attr: 'data-value', metric: 'false_set_accuracy' },
    { testid: 'deepfool', attr: 'data-value', metric: 'deepfool_r_over_x' },
  ],
};

/**
 * Metrics that are compared more loosely than 1e-12, and why: LISTA's error is read off a
 * network trained by 1,000 Adam steps, each of which carries the last-bit differences of
 * native and WebAssembly matrix products into the next (seen: 1.7e-7 relative; the page
 * shows four digits).
 */
const LOOSER = {
  inexact: { lista_error: 1e-6 },
  // The troublesome kernel's instability tests are gradient ascents (60 steps with momentum),
  // and a last-bit difference of native code and WebAssembly sends an ascent along another
  // path. Through the network (which switches the tumour on sharply) the results move little
  // (seen: 1.4e-4 relative on the worst amplification, 7.8e-5 on its Lipschitz ratio);
  // through TV (300 unrolled Chambolle-Pock steps, not smooth) a single signal's test moved by
  // up to 13 % (held-out signal 5: 2.35 in Chromium, 2.08 natively), so TV's mean over the 8
  // signals and TV's change at the network's worst r move by 1.7e-2 and 1.1e-2 (TV's worst,
  // signal 7, by 4.3e-9). Trainings, scores, eta and the bound agree to 1e-12.
  kernel1d: {
    ...Object.fromEntries(['amplification', 'amplification_mean', 'lipschitz', 'worst_net_change', 'worst_amplification', 'amplification_tv'].map((k) => [k, 1e-3])),
    amplification_tv_mean: 0.05,
    worst_tv_change: 0.05,
  },
};

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, commas and line breaks in quotes). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Whether `shown` (a readout's text: its first number) is `value` to the digits it shows. */
function shownAs(shown, value) {
  const m = shown.replace(/−/g, '-').match(/-?\d+(?:\.(\d+))?(?:e([-+]?\d+))?/);
  if (!m) return false;
  const decimals = m[1]?.length ?? 0;
  const exp = Number(m[2] ?? 0);
  return Math.abs(Number(m[0]) - value) <= 0.5 * 10 ** (exp - decimals) * (1 + 1e-9);
}

for (const [demo, readouts] of Object.entries(READOUTS)) {
  test(`${demo}: the figure exports as PNG, its numbers as CSV and JSON, and they are the page's and the command line's`, async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(`www/${demo}.html`);
    // The barrier's figure includes its nine-cell table (about 10 s in the dev tree); the
    // troublesome kernel's trains two networks and tests one (about 10 s).
    await waitDrawn(page, /./, demo === 'inexact' || demo === 'kernel1d' ? 90_000 : undefined);
    const query = await page.evaluate(() => document.getElementById('demo').dataset.query);

    // JSON: the page's state and readouts.
    const json = await exported(page, 'json');
    expect(json.name).toBe(`${demo}-numbers.json`);
    const numbers = JSON.parse(json.bytes.toString('utf8'));
    expect(numbers.demo).toBe(demo);
    expect(numbers.link).toBe(query);
    for (const r of readouts) {
      const el = page.getByTestId(r.testid).first();
      const v = numbers.metrics[r.metric];
      expect(typeof v, `${demo}: the JSON has "${r.metric}"`).toBe('number');
      if (r.attr) expect(Number(await el.getAttribute(r.attr)), `${demo}: ${r.metric} is the readout ${r.testid}`).toBe(v);
      else expect(shownAs(await el.textContent(), v * (r.scale ?? 1)), `${demo}: ${r.metric} = ${v} is shown as "${await el.textContent()}"`).toBe(true);
    }

    // CSV: one long table, table,row,column,value, holding exactly the JSON's numbers.
    const csv = await exported(page, 'csv');
    expect(csv.name).toBe(`${demo}-numbers.csv`);
    const rows = parseCsv(csv.bytes.toString('utf8'));
    expect(rows[0]).toEqual(['table', 'row', 'column', 'value']);
    for (const r of rows.slice(1)) expect(r.length, `a CSV row of 4 fields: ${r.join(',')}`).toBe(4);
    const metrics = Object.fromEntries(rows.filter((r) => r[0] === 'metrics').map((r) => [r[2], r[3] === '' ? null : Number(r[3])]));
    expect(metrics).toEqual(numbers.metrics);
    const tableCells = numbers.tables.reduce((n, t) => n + t.rows.reduce((m, row) => m + row.values.length, 0), 0);
    expect(rows.length - 1 - Object.keys(metrics).length).toBe(tableCells);

    // The command line's numbers for the same link (the build ran `barriers-lab figures` on
    // the pages' default state): the same keys and, to rounding, the same values. Native code
    // and WebAssembly (SIMD FFT, matrix products) may sum in another order, so values agree to
    // 1e-12 relative, not bit for bit: about 400 times the largest difference seen (2.7e-15,
    // the instability test's numbers), and far below any digit a page shows.
    const cli = await (await page.request.get(`www/posters/${demo}.json`)).json();
    expect(cli.link).toBe(query);
    expect(Object.keys(numbers.metrics)).toEqual(Object.keys(cli.metrics));
    for (const [k, v] of Object.entries(cli.metrics)) {
      const w = numbers.metrics[k];
      const tol = LOOSER[demo]?.[k] ?? 1e-12;
      expect(Math.abs(w - v) <= tol * Math.max(1, Math.abs(v)), `${demo}: ${k}: page ${w}, command line ${v}`).toBe(true);
    }

    // PNG: twice the figure's size, a picture (many colours), in the browser's own decoder.
    const png = await exported(page, 'png');
    expect(png.name).toBe(`${demo}-figure.png`);
    expect([...png.bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const size = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set();
      for (let i = 0; i < px.length; i += 4 * 13) colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
      return { w: img.naturalWidth, h: img.naturalHeight, colours: colours.size };
    }, png.bytes.toString('base64'));
    expect(size.w).toBe(2000);
    expect(size.h).toBeGreaterThan(1000);
    expect(size.colours).toBeGreaterThan(200);
    const cliPng = await page.request.get(`www/posters/${demo}.png`);
    expect(cliPng.ok()).toBe(true);
  });
}

test('unstable: every view exports its own figure and numbers, equal to the command line for the same link', async ({ page }) => {
  test.setTimeout(180_000);
  // The states of the deck's slides (the more-samples slide shows the cascade).
  const hashes = { kernel: 'view=kernel', samples: 'net=cascade&view=samples', tradeoff: 'view=tradeoff' };
  for (const [view, hash] of Object.entries(hashes)) {
    await page.goto('about:blank');
    await page.goto(`www/unstable.html#${hash}`);
    await waitDrawn(page, new RegExp(`view=${view}`));
    const query = await page.evaluate(() => document.getElementById('demo').dataset.query);
    const numbers = JSON.parse((await exported(page, 'json')).bytes.toString('utf8'));
    expect(numbers.link).toBe(query);
    // The build wrote the deck's posters of these states with `figures --link unstable=...`.
    const cli = await (await page.request.get(`www/posters/slides/unstable-${view}/unstable.json`)).json();
    expect(cli.link).toBe(query);
    expect(Object.keys(numbers.metrics)).toEqual(Object.keys(cli.metrics));
    expect(numbers.tables.map((t) => t.name)).toEqual(cli.tables.map((t) => t.name));
    // At the kernel view's default δ = 0, δ = ‖A z‖ is rounding noise (about 1e-16), and so
    // are the columns divided by it (the bound (‖z‖ − 2η)/δ and gap/δ): they are compared
    // only where δ is not (δ ≥ 1e-10).
    const noisy = (t, c) => view === 'kernel' && /\/delta/.test(t.columns[c]) && cli.metrics["delta = ||A z|| = ||y'-y||"] < 1e-10;
    const flat = (n) => [
      ...Object.values(n.metrics),
      ...n.tables.flatMap((t) => t.rows.flatMap((r) => r.values.filter((_, c) => !noisy(t, c)))),
    ];
    const [a, b] = [flat(numbers), flat(cli)];
    // 1e-12 relative as for the default figures (seen: 6e-16), except the trade-off: its
    // worst amplifications are maxima found by 15 steps of gradient ascent through up to 300
    // unrolled iterations, where a last-bit difference between native code and WebAssembly
    // sends the ascent along a slightly different path (seen: 3.1e-8 relative), so 1e-6 there
    // (the page shows three or four digits).
    const tol = view === 'tradeoff' ? 1e-6 : 1e-12;
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) {
      if (a[i] === null || b[i] === null) expect(a[i]).toBe(b[i]);
      else expect(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${view}: value ${i}: page ${a[i]}, command line ${b[i]}`).toBe(true);
    }
    const png = await exported(page, 'png');
    expect(png.bytes.length).toBeGreaterThan(10_000);
  }
});
