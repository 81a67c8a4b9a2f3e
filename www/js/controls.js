// Controls built from a demo's schema (exported by Rust, so the page offers exactly the
// ranges, menu words and slider values the validator accepts). A control only reports
// changes; the worker validates them and the page redraws from the state it sends back.

/**
 * @typedef {{key: string, label: string, unit: string, help: string, default: any,
 *   kind: 'int'|'float'|'choice'|'intlist'|'point'|'token', min?: number, max?: number, step?: number,
 *   log?: boolean, values?: number[], options?: string[], labels?: string[], min_len?: number, max_len?: number}} Field
 */

/** Text for a value: three significant digits. */
export function formatValue(v) {
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

/** A field's value as the page shows it: fractions marked '%' in percent. @param {Field} f */
export function showValue(f, v) {
  if (f.unit === '%' && typeof v === 'number') return `${formatValue(Number((100 * v).toPrecision(12)))} %`;
  return formatValue(v);
}

/** name -> the words a menu shows for it, for one choice field of a schema. */
export function labelsOf(schema, key) {
  const f = schema.find((x) => x.key === key);
  return Object.fromEntries((f?.options ?? []).map((o, i) => [o, f.labels?.[i] ?? o]));
}

/** An <input> of the given type and range. */
function input(type, min, max, step, title) {
  const el = document.createElement('input');
  el.type = type;
  el.min = String(min);
  el.max = String(max);
  el.step = String(step);
  el.title = title;
  return el;
}

/** The index of the ladder value nearest `v` (on a log scale). */
function nearestIndex(values, v) {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    const d = (x) => Math.abs(Math.log((x || 1e-300) / (v || 1e-300)));
    if (d(values[i]) < d(values[best])) best = i;
  }
  return best;
}

/**
 * Builds controls for `fields` into `container`.
 * @param {HTMLElement} container
 * @param {Field[]} fields
 * @param {(changes: Record<string, any>) => void} onChange
 * @returns {{update: (state: Record<string, any>) => void, setEnabled: (key: string, on: boolean) => void, setShown: (key: string, on: boolean) => void}}
 */
export function buildControls(container, fields, onChange) {
  /** @type {Record<string, (state: Record<string, any>) => void>} */
  const updaters = {};
  /** @type {Record<string, HTMLElement>} */
  const rows = {};

  const row = (key, labelText, control, output, title) => {
    const id = `ctl-${key}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = labelText;
    label.title = title;
    control.id = id;
    const box = document.createElement('div');
    box.className = `ctl ctl-${control instanceof HTMLSelectElement ? 'select' : control.type}`;
    box.dataset.key = key;
    box.append(label, control);
    if (output) box.append(output);
    container.append(box);
    rows[key] = box;
  };

  for (const f of fields) {
    const title = f.help + (f.unit && f.unit !== '%' ? ` (${f.unit})` : '');
    if (f.kind === 'choice') {
      const sel = document.createElement('select');
      sel.title = title;
      const fill = (current) => {
        const names = [...f.options];
        if (!names.includes(String(current))) names.push(String(current));
        sel.replaceChildren(...names.map((v, i) => new Option(f.labels?.[i] ?? v, v)));
        sel.value = String(current);
      };
      fill(f.default);
      sel.addEventListener('change', () => onChange({ [f.key]: sel.value }));
      row(f.key, f.label, sel, null, title);
      updaters[f.key] = (s) => fill(s[f.key]);
    } else if (f.kind === 'float' && f.log && f.values?.length) {
      // A logarithmic slider over the schema's ladder of short values.
      const values = f.values;
      const range = input('range', 0, values.length - 1, 1, title);
      const out = document.createElement('output');
      range.addEventListener('input', () => {
        const v = values[Number(range.value)];
        out.textContent = showValue(f, v);
        range.setAttribute('aria-valuetext', out.textContent);
        onChange({ [f.key]: v });
      });
      row(f.key, f.label, range, out, title);
      updaters[f.key] = (s) => {
        range.value = String(nearestIndex(values, s[f.key]));
        out.textContent = showValue(f, s[f.key]);
        range.setAttribute('aria-valuetext', out.textContent);
      };
    } else if (f.kind === 'int' && f.max - f.min > 10000) {
      const num = input('number', f.min, f.max, 1, title);
      num.addEventListener('change', () => {
        if (num.value.trim() === '') return;
        onChange({ [f.key]: Number(num.value) });
      });
      row(f.key, f.label, num, null, title);
      updaters[f.key] = (s) => {
        if (document.activeElement !== num) num.value = String(s[f.key]);
      };
    } else if (f.kind === 'int' || f.kind === 'float') {
      const range = input('range', f.min, f.max, f.kind === 'int' ? 1 : f.step, title);
      const out = document.createElement('output');
      range.addEventListener('input', () => {
        out.textContent = showValue(f, Number(range.value));
        onChange({ [f.key]: Number(range.value) });
      });
      row(f.key, f.label, range, out, title);
      updaters[f.key] = (s) => {
        range.value = String(s[f.key]);
        out.textContent = showValue(f, s[f.key]);
      };
    } else if (f.kind === 'intlist') {
      // A list of widths, offered as a number of layers and one width for all of them.
      const layers = input('range', f.min_len, f.max_len, 1, 'Number of hidden layers');
      const width = input('range', f.min, f.max, 1, title);
      const outL = document.createElement('output');
      const outW = document.createElement('output');
      const send = () => onChange({ [f.key]: Array(Number(layers.value)).fill(Number(width.value)) });
      layers.addEventListener('input', send);
      width.addEventListener('input', send);
      row(`${f.key}-layers`, 'Hidden layers', layers, outL, 'Number of hidden layers');
      row(`${f.key}-width`, 'Width', width, outW, title);
      updaters[f.key] = (s) => {
        const list = s[f.key];
        layers.value = String(list.length);
        width.value = String(list[0]);
        outL.textContent = String(list.length);
        outW.textContent = list.every((w) => w === list[0]) ? String(list[0]) : list.join(',');
      };
      rows[f.key] = rows[`${f.key}-layers`];
      rows[`${f.key}+`] = rows[`${f.key}-width`];
    }
  }

  return {
    update(state) {
      for (const key of Object.keys(updaters)) if (key in state) updaters[key](state);
    },
    setShown(key, on) {
      for (const box of [rows[key], rows[`${key}+`]]) if (box) box.hidden = !on;
    },
    setEnabled(key, on) {
      for (const box of [rows[key], rows[`${key}+`]]) {
        if (!box) continue;
        box.classList.toggle('disabled', !on);
        for (const el of box.querySelectorAll('input, select')) /** @type {HTMLInputElement} */ (el).disabled = !on;
      }
    },
  };
}

/**
 * A page's controls from the schema the wasm exports: the fields named in `main`, in that
 * order, in the strip above the figure (#controls-main), and every other field in the
 * settings panel (#controls).
 * @param {Field[]} schema
 * @param {string[]} main
 * @param {(changes: Record<string, any>) => void} onChange
 */
export function stripAndPanel(schema, main, onChange) {
  const byKey = Object.fromEntries(schema.map((f) => [f.key, f]));
  return [
    buildControls(/** @type {HTMLElement} */ (document.getElementById('controls-main')), main.map((k) => byKey[k]), onChange),
    buildControls(/** @type {HTMLElement} */ (document.getElementById('controls')), schema.filter((f) => !main.includes(f.key)), onChange),
  ];
}
