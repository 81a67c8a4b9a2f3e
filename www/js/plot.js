// What every plot shares: a canvas sized to its box at the device pixel ratio, the text size
// and line width of the page's mode (larger on a projector, from lab.css), axes with ticks,
// and a drawn placeholder for a plot that has nothing to show yet. Values are only mapped to
// pixels here.

import { formatValue } from './controls.js';

/**
 * A plot canvas sized to its CSS box, cleared, with the plots' font set. `u` is one CSS pixel
 * in canvas pixels, `fs` the label size and `lw` a line width in canvas pixels.
 * @param {HTMLCanvasElement} c
 */
export function setUpCanvas(c) {
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.max(1, Math.round(c.clientWidth * dpr));
  c.height = Math.max(1, Math.round(c.clientHeight * dpr));
  const ctx = c.getContext('2d');
  ctx.clearRect(0, 0, c.width, c.height);
  const style = getComputedStyle(c);
  const fs = (parseFloat(style.getPropertyValue('--plot-font')) || 14) * dpr;
  const lw = (parseFloat(style.getPropertyValue('--plot-line')) || 1) * dpr;
  ctx.font = `${fs}px system-ui, sans-serif`;
  ctx.lineWidth = lw;
  return { ctx, dpr, u: dpr, fs, lw };
}

/** Tick values from lo to hi about `count` apart, at 1, 2 or 5 times a power of ten. */
export function ticks(lo, hi, count = 5) {
  const raw = (hi - lo) / Math.max(1, count);
  if (!(raw > 0)) return [lo];
  const mag = 10 ** Math.floor(Math.log10(raw));
  const stepSize = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out = [];
  for (let v = Math.ceil(lo / stepSize) * stepSize; v <= hi + 1e-9 * stepSize; v += stepSize) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * The range of values with a margin.
 * @param {number[]} values @returns {[number, number]}
 */
export function span(values, margin = 0.08, floor = null) {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  const m = (hi - lo) * margin;
  return [floor === null ? lo - m : Math.max(floor, lo - m), hi + m];
}

/** The room around a plot's frame for its tick labels and axis titles, from the label size. */
export function padding(fs, u, { top = 0.9, right = 0.9 } = {}) {
  return { l: 3.6 * fs + 6 * u, r: right * fs + 4 * u, t: top * fs + 4 * u, b: 2.6 * fs + 4 * u };
}

/**
 * Axes in a canvas (or in the box x0, y0, w, h of it): a frame, ticks with values on both
 * axes and the axis titles. `xLog` / `yLog` take log10 ranges and label powers of ten.
 * Returns the value-to-pixel maps and the frame.
 */
export function axes(ctx, p, c, xRange, yRange, xLabel, yLabel, opts = {}) {
  const { fs, u } = p;
  const box = opts.box ?? { x: 0, y: 0, w: c.width, h: c.height };
  const pad = opts.pad ?? padding(fs, u);
  const [x0, x1] = xRange;
  const [y0, y1] = yRange;
  const left = box.x + pad.l;
  const right = box.x + box.w - pad.r;
  const top = box.y + pad.t;
  const bottom = box.y + box.h - pad.b;
  const X = (v) => left + ((v - x0) / (x1 - x0)) * (right - left);
  const Y = (v) => bottom - ((v - y0) / (y1 - y0)) * (bottom - top);
  ctx.strokeStyle = '#aaa';
  ctx.lineWidth = p.lw;
  ctx.strokeRect(left, top, right - left, bottom - top);
  ctx.fillStyle = '#333';
  ctx.textAlign = 'center';
  const xTicks = opts.xTicks ?? (opts.xLog ? logTicks(x0, x1) : ticks(x0, x1, opts.xCount ?? 5));
  const yTicks = opts.yTicks ?? (opts.yLog ? logTicks(y0, y1) : ticks(y0, y1, opts.yCount ?? 5));
  const xText = opts.xText ?? (opts.xLog ? (e) => `1e${e}` : (v) => formatValue(v));
  const yText = opts.yText ?? (opts.yLog ? (e) => `1e${e}` : (v) => formatValue(v));
  for (const v of xTicks) {
    ctx.fillText(xText(v), X(v), bottom + fs + 3 * u);
    tick(ctx, X(v), bottom, X(v), bottom + 4 * u);
  }
  ctx.fillText(xLabel, (left + right) / 2, box.y + box.h - 4 * u);
  ctx.textAlign = 'right';
  for (const v of yTicks) {
    ctx.fillText(yText(v), left - 6 * u, Y(v) + 0.35 * fs);
    tick(ctx, left - 4 * u, Y(v), left, Y(v));
  }
  ctx.save();
  ctx.translate(box.x + 0.9 * fs, (top + bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
  return { X, Y, pad, left, right, top, bottom };
}

function tick(ctx, xa, ya, xb, yb) {
  ctx.beginPath();
  ctx.moveTo(xa, ya);
  ctx.lineTo(xb, yb);
  ctx.stroke();
}

/** Whole powers of ten between two log10 values (every other one when there are many). */
function logTicks(lo, hi) {
  const out = [];
  const every = hi - lo > 8 ? 2 : 1;
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e += every) out.push(e);
  return out;
}

/** A line with dots at its points, in canvas pixels. */
export function series(ctx, p, pts, colour, { dash = [], dots = 3.5, width = 2 } = {}) {
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineWidth = width * p.lw;
  ctx.setLineDash(dash.map((d) => d * p.u));
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.stroke();
  ctx.setLineDash([]);
  if (dots) {
    for (const [x, y] of pts) {
      ctx.beginPath();
      ctx.arc(x, y, dots * p.u * Math.sqrt(p.lw / p.u), 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

/** Draws a plot's empty frame with a line of text in it: what to do, or what is coming. */
export function placeholder(canvas, text) {
  const p = setUpCanvas(canvas);
  const { ctx, u, fs } = p;
  ctx.strokeStyle = '#ccc';
  ctx.setLineDash([6 * u, 4 * u]);
  ctx.strokeRect(4 * u, 4 * u, canvas.width - 8 * u, canvas.height - 8 * u);
  ctx.setLineDash([]);
  ctx.fillStyle = '#555';
  ctx.textAlign = 'center';
  const words = text.split(' ');
  const lines = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (ctx.measureText(next).width > canvas.width - 32 * u && line) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  lines.push(line);
  const y0 = canvas.height / 2 - ((lines.length - 1) * 1.3 * fs) / 2;
  lines.forEach((l, i) => ctx.fillText(l, canvas.width / 2, y0 + i * 1.3 * fs + 0.35 * fs));
  return p;
}
