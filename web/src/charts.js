// Hand-written SVG charts: no library, a few hundred lines at most.

export const PALETTE = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(width, height, label) {
  return el('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width: '100%',
    role: 'img',
    'aria-label': label,
    class: 'chart',
  });
}

/** Lays out legend items in rows; returns [{label, color, x, y}] and the rows used. */
function layoutLegend(items, x, y, maxWidth) {
  let cx = x;
  let cy = y;
  const out = [];
  for (const it of items) {
    const w = 18 + it.label.length * 6.2 + 16;
    if (cx + w > x + maxWidth && cx > x) {
      cx = x;
      cy += 18;
    }
    out.push({ ...it, x: cx, y: cy });
    cx += w;
  }
  return { items: out, rows: items.length ? (cy - y) / 18 + 1 : 0 };
}

function legend(parent, laid) {
  for (const { label, color, x, y } of laid.items) {
    parent.append(el('rect', { x, y: y - 9, width: 11, height: 11, rx: 2, fill: color }));
    parent.append(el('text', { x: x + 16, y, class: 'legend' }, label));
  }
}

/** Round ticks for a log time axis, in seconds, with short labels. */
const TIME_TICKS = [
  [0.001, '1 ms'], [0.01, '10 ms'], [0.1, '100 ms'], [1, '1 s'], [10, '10 s'], [60, '1 min'],
  [600, '10 min'], [3600, '1 h'], [36000, '10 h'], [86400, '1 d'], [864000, '10 d'], [8640000, '100 d'],
];

/**
 * Recovery-time CDF: one step line per series over a log time axis.
 * series: [{label, color, points: [[seconds, fraction], ...]}]
 */
export function recoveryCdf(series, title) {
  const W = 560, L = 46, R = 14, T = 28, PB = 200; // PB: the plot's bottom
  const items = series.map((x, i) => ({ label: `${x.label} (${x.count} outages)`, color: x.color || PALETTE[i] }));
  const laid = layoutLegend(items, L, 0, W - L - R);
  const H = PB + 42 + laid.rows * 18;
  const s = svg(W, H, title);
  s.append(el('text', { x: L, y: 16, class: 'chart-title' }, title));
  const all = series.flatMap((x) => x.points.map((p) => p[0])).filter((v) => v > 0);
  if (all.length === 0) {
    s.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'muted' }, 'no outages, nothing to plot'));
    return s;
  }
  const lo = Math.min(...all) / 1.5;
  const hi = Math.max(...all) * 1.5;
  const lx = (v) => L + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - L - R);
  const ly = (q) => T + (1 - q) * (PB - T);
  for (const q of [0, 0.25, 0.5, 0.75, 1]) {
    s.append(el('line', { x1: L, x2: W - R, y1: ly(q), y2: ly(q), class: 'grid' }));
    s.append(el('text', { x: L - 6, y: ly(q) + 4, 'text-anchor': 'end', class: 'tick' }, `${q * 100}%`));
  }
  let lastX = -Infinity;
  for (const [t, text] of TIME_TICKS) {
    if (t < lo || t > hi || lx(t) - lastX < 44) continue;
    lastX = lx(t);
    s.append(el('line', { x1: lx(t), x2: lx(t), y1: T, y2: PB, class: 'grid' }));
    s.append(el('text', { x: lx(t), y: PB + 16, 'text-anchor': 'middle', class: 'tick' }, text));
  }
  series.forEach((ser, i) => {
    if (ser.points.length === 0) return;
    let d = `M${lx(ser.points[0][0]).toFixed(1)},${ly(0).toFixed(1)}`;
    let prevQ = 0;
    for (const [v, q] of ser.points) {
      d += ` L${lx(v).toFixed(1)},${ly(prevQ).toFixed(1)} L${lx(v).toFixed(1)},${ly(q).toFixed(1)}`;
      prevQ = q;
    }
    s.append(el('path', { d, fill: 'none', stroke: ser.color || PALETTE[i], 'stroke-width': 2 }));
  });
  s.append(el('text', { x: (L + W - R) / 2, y: PB + 32, 'text-anchor': 'middle', class: 'axis' }, 'recovery time (log scale) · fraction of outages recovered'));
  legend(s, layoutLegend(items, L, PB + 52, W - L - R));
  return s;
}

/**
 * Downtime per year by cause: one stacked bar per design. The chart's data
 * and every label (the causes kept, "other causes", the tooltips and the
 * totals) come from the shared renderer (sim_render::view::CauseChart);
 * this only lays them out.
 */
export function downtimeByCause(chart) {
  const { title, causes, designs } = chart;
  const color = (c) => (c === 'other causes' ? '#9ca3af' : PALETTE[causes.indexOf(c) % PALETTE.length]);
  const W = 560, L = 150, R = 70, T = 28, barH = 22, gap = 12;
  const legendY = T + designs.length * (barH + gap) + 18;
  const laid = layoutLegend(causes.map((c) => ({ label: c, color: color(c) })), 10, legendY, W - 20);
  const H = legendY + laid.rows * 18;
  const s = svg(W, H, title);
  s.append(el('text', { x: 10, y: 16, class: 'chart-title' }, title));
  const totals = designs.map((d) => d.bars.reduce((a, c) => a + c.minutes_per_year, 0));
  const max = Math.max(...totals, 1e-9);
  const sx = (m) => (m / max) * (W - L - R);
  designs.forEach((d, i) => {
    const y = T + i * (barH + gap);
    s.append(el('text', { x: L - 8, y: y + barH / 2 + 4, 'text-anchor': 'end', class: 'label' }, d.label));
    let x = L;
    for (const c of d.bars) {
      const w = sx(c.minutes_per_year);
      const r = el('rect', { x, y, width: Math.max(w, 0.5), height: barH, fill: color(c.cause) });
      r.append(el('title', {}, c.title));
      s.append(r);
      x += w;
    }
    s.append(el('text', { x: x + 6, y: y + barH / 2 + 4, class: 'tick' }, d.total));
  });
  legend(s, laid);
  return s;
}

/**
 * Availability against a swept parameter, with 95% intervals as whiskers.
 * xs: the parameter's values (strings); series: [{label, values: [Estimate]}]
 */
// Seconds per unit of hasim's durations (sim_core::time: a year is 365.25
// days, a month a twelfth of it). Only to place sweep points on the axis;
// the engine parses the values it runs.
const UNIT_SECONDS = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400, w: 604800, mo: 31557600 / 12, y: 31557600 };

/** A duration such as "1h30m" or "1.5d" in seconds, or null. */
export function durationSeconds(text) {
  const t = String(text).trim();
  if (!/^(\d+(\.\d+)?\s*(ns|us|ms|mo|s|m|h|d|w|y)\s*)+$/.test(t)) return null;
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)\s*(ns|us|ms|mo|s|m|h|d|w|y)/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]];
  return total;
}

/** Where sweep points go on the x axis: by value when every label is a
 * number or a duration (a log scale for durations, and for positive
 * numbers spanning more than a factor of 20, so 1h, 4h, 8h, 1d read as the
 * ratios they are), else evenly in sweep order. */
export function sweepAxis(xs) {
  const durations = xs.map(durationSeconds);
  const isDur = durations.every((v) => v !== null);
  const nums = isDur ? durations : xs.map((x) => (String(x).trim() === '' ? NaN : Number(x)));
  const distinct = new Set(nums).size === nums.length;
  if (!nums.every((v) => Number.isFinite(v)) || !distinct || xs.length < 2) return { scale: 'order', pos: xs.map((_, i) => i) };
  const positive = nums.every((v) => v > 0);
  const log = positive && (isDur || Math.max(...nums) / Math.min(...nums) > 20);
  return { scale: log ? 'log' : 'linear', pos: nums.map((v) => (log ? Math.log10(v) : v)) };
}

export function sweepChart(xs, series, xLabel, title) {
  const W = 560, L = 70, R = 16, T = 28, PB = 210; // PB: the plot's bottom
  const items = series.map((se, k) => ({ label: `${se.label} availability`, color: PALETTE[k % PALETTE.length] }));
  const H = PB + 50 + layoutLegend(items, L, 0, W - L - R).rows * 18;
  const s = svg(W, H, title);
  s.append(el('text', { x: L, y: 16, class: 'chart-title' }, title));
  const axis = sweepAxis(xs);
  s.dataset.scale = axis.scale;
  const x0 = Math.min(...axis.pos);
  const x1 = Math.max(...axis.pos);
  const pad = x1 === x0 ? 1 : (x1 - x0) * 0.06;
  const sx = (i) => L + ((axis.pos[i] - x0 + pad) / (x1 - x0 + 2 * pad)) * (W - L - R);
  const ys = series.flatMap((se) => se.values.flatMap((e) => (e.ci95 ? e.ci95 : [e.mean])));
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) {
    y0 -= 1e-4;
    y1 += 1e-4;
  }
  const yp = (y1 - y0) * 0.1;
  y0 -= yp;
  y1 = Math.min(1, y1 + yp);
  const sy = (v) => T + (1 - (v - y0) / (y1 - y0)) * (PB - T);
  // Enough decimals that the five labels differ.
  const decimals = Math.min(8, Math.max(1, Math.ceil(-Math.log10(((y1 - y0) * 100) / 4)) + 1));
  for (let k = 0; k <= 4; k++) {
    const v = y0 + ((y1 - y0) * k) / 4;
    s.append(el('line', { x1: L, x2: W - R, y1: sy(v), y2: sy(v), class: 'grid' }));
    s.append(el('text', { x: L - 6, y: sy(v) + 4, 'text-anchor': 'end', class: 'tick' }, `${(v * 100).toFixed(decimals)}%`));
  }
  xs.forEach((x, i) => {
    s.append(el('text', { x: sx(i), y: PB + 16, 'text-anchor': 'middle', class: 'tick' }, x));
  });
  series.forEach((se, k) => {
    const c = PALETTE[k % PALETTE.length];
    const d = se.values.map((e, i) => `${i ? 'L' : 'M'}${sx(i).toFixed(1)},${sy(e.mean).toFixed(1)}`).join(' ');
    s.append(el('path', { d, fill: 'none', stroke: c, 'stroke-width': 2 }));
    se.values.forEach((e, i) => {
      if (e.ci95) {
        s.append(el('line', { x1: sx(i), x2: sx(i), y1: sy(e.ci95[0]), y2: sy(e.ci95[1]), stroke: c, 'stroke-width': 1.5 }));
      }
      s.append(el('circle', { cx: sx(i), cy: sy(e.mean), r: 3.5, fill: c }));
    });
  });
  const scaleNote = axis.scale === 'log' ? ' (log scale)' : axis.scale === 'order' ? ' (in sweep order)' : '';
  s.append(el('text', { x: (L + W - R) / 2, y: PB + 34, 'text-anchor': 'middle', class: 'axis' }, `${xLabel}${scaleNote}`));
  legend(s, layoutLegend(items, L, PB + 56, W - L - R));
  return s;
}
