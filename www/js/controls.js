// Controls built from a demo's schema (exported by Rust, so the page offers exactly the
// ranges the validator accepts). A control only reports changes; the worker validates
// them and the page redraws from the state it sends back.

/**
 * @typedef {{key: string, label: string, unit: string, help: string, default: any,
 *   kind: 'int'|'float'|'choice'|'intlist'|'point', min?: number, max?: number, step?: number,
 *   log?: boolean, options?: string[], min_len?: number, max_len?: number}} Field
 */

/** Values of a logarithmic field offered in a menu: 1, 3, 10, 30, ... within [min, max]. */
function logOptions(min, max) {
  const out = [];
  for (let e = -12; e <= 12; e++) {
    for (const m of [1, 3]) {
      const v = Number(`${m}e${e}`);
      if (v >= min && v <= max) out.push(v);
    }
  }
  return out;
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

/** Text for a value next to its slider. */
export function formatValue(v) {
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

/**
 * Builds controls for `fields` into `container`.
 * @param {HTMLElement} container
 * @param {Field[]} fields
 * @param {(changes: Record<string, any>) => void} onChange
 * @returns {{update: (state: Record<string, any>) => void, setEnabled: (key: string, on: boolean) => void}}
 */
export function buildControls(container, fields, onChange) {
  /** @type {Record<string, (state: Record<string, any>) => void>} */
  const updaters = {};
  /** @type {Record<string, HTMLElement[]>} */
  const parts = {};

  const row = (key, labelText, input, output) => {
    const id = `ctl-${key}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = labelText;
    input.id = id;
    const out = output || document.createElement('span');
    container.append(label, input, out);
    parts[key] = [...(parts[key] || []), label, input, out];
    return out;
  };

  for (const f of fields) {
    const title = f.help + (f.unit ? ` (${f.unit})` : '');
    if (f.kind === 'choice' || (f.kind === 'float' && f.log)) {
      const sel = document.createElement('select');
      sel.title = title;
      const values = f.kind === 'choice' ? f.options : logOptions(f.min, f.max);
      const fill = (current) => {
        const list = values.map(String);
        if (!list.includes(String(current))) list.push(String(current));
        sel.replaceChildren(...list.map((v) => new Option(v, v)));
        sel.value = String(current);
      };
      fill(f.default);
      sel.addEventListener('change', () => onChange({ [f.key]: f.kind === 'choice' ? sel.value : Number(sel.value) }));
      row(f.key, f.label, sel);
      updaters[f.key] = (s) => fill(s[f.key]);
    } else if (f.kind === 'int' && f.max - f.min > 10000) {
      const num = input('number', f.min, f.max, 1, title);
      num.addEventListener('change', () => {
        if (num.value.trim() === '') return;
        onChange({ [f.key]: Number(num.value) });
      });
      row(f.key, f.label, num);
      updaters[f.key] = (s) => {
        if (document.activeElement !== num) num.value = String(s[f.key]);
      };
    } else if (f.kind === 'int' || f.kind === 'float') {
      const range = input('range', f.min, f.max, f.kind === 'int' ? 1 : f.step, title);
      const out = document.createElement('output');
      range.addEventListener('input', () => {
        out.textContent = formatValue(Number(range.value));
        onChange({ [f.key]: Number(range.value) });
      });
      row(f.key, f.label, range, out);
      updaters[f.key] = (s) => {
        range.value = String(s[f.key]);
        out.textContent = formatValue(s[f.key]);
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
      row(`${f.key}-layers`, 'Hidden layers', layers, outL);
      row(`${f.key}-width`, 'Width', width, outW);
      parts[f.key] = [...parts[`${f.key}-layers`], ...parts[`${f.key}-width`]];
      updaters[f.key] = (s) => {
        const list = s[f.key];
        layers.value = String(list.length);
        width.value = String(list[0]);
        outL.textContent = String(list.length);
        outW.textContent = list.every((w) => w === list[0]) ? String(list[0]) : list.join(',');
      };
    }
  }

  return {
    update(state) {
      for (const key of Object.keys(updaters)) if (key in state) updaters[key](state);
    },
    setEnabled(key, on) {
      for (const el of parts[key] || []) {
        el.classList.toggle('disabled', !on);
        if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement) el.disabled = !on;
      }
    },
  };
}
