/**
 * A small SVG line chart: labelled axes with units, linear or log scales, dashed series,
 * shaded bands and vertical markers. Enough for a learning curve and a synapse trace, no library.
 */

const SVG = 'http://www.w3.org/2000/svg';

export interface Axis {
  /** Axis title with its unit, e.g. 'examples seen' or 'u (signal units / time unit)'. */
  label: string;
  min?: number;
  max?: number;
  log?: boolean;
  format?: (v: number) => string;
}

export interface Series {
  label?: string;
  color: string;
  dash?: string;
  width?: number;
  /** x and y of each point (NaN breaks the line). */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Draw a dot at each point. */
  dots?: boolean;
  /** Class set on the path (tests read it). */
  cls?: string;
}

export interface Band {
  /** Horizontal band between y0 and y1 (whole width), or vertical between x0 and x1. */
  y0?: number;
  y1?: number;
  x0?: number;
  x1?: number;
  color: string;
  label?: string;
}

export interface Marker {
  x?: number;
  y?: number;
  color: string;
  dash?: string;
  label?: string;
}

export interface Chart {
  width: number;
  height: number;
  title?: string;
  x: Axis;
  y: Axis;
  series: Series[];
  bands?: Band[];
  markers?: Marker[];
  /** Legend in the top-right corner (series with a label). */
  legend?: boolean;
}

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

/** 'Nice' tick values (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of hi / lo > 1000 ? [1] : [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

function extent(series: Series[], key: 'x' | 'y', log: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    const a = s[key];
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(v) || (log && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) return log ? [1, 10] : [0, 1];
  if (lo === hi) return log ? [lo / 2, hi * 2] : [lo - 1, hi + 1];
  return [lo, hi];
}

/** Draws `chart` into `svg` (replacing what was there); the SVG scales with its container. */
export function renderChart(svg: SVGSVGElement, chart: Chart): void {
  const { width: W, height: H } = chart;
  const m = { l: 62, r: 14, t: chart.title ? 26 : 10, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');

  const [dx0, dx1] = extent(chart.series, 'x', !!chart.x.log);
  let [dy0, dy1] = extent(chart.series, 'y', !!chart.y.log);
  for (const b of chart.bands ?? []) {
    if (b.y0 != null && b.y1 != null && chart.y.min == null) {
      dy0 = Math.min(dy0, b.y0);
      dy1 = Math.max(dy1, b.y1);
    }
  }
  const x0 = chart.x.min ?? dx0;
  const x1 = chart.x.max ?? dx1;
  let y0 = chart.y.min ?? dy0;
  let y1 = chart.y.max ?? dy1;
  if (!chart.y.log && chart.y.min == null && chart.y.max == null) {
    const pad = 0.06 * (y1 - y0 || 1);
    y0 -= pad;
    y1 += pad;
  }
  const sx = chart.x.log ? (v: number) => m.l + (pw * Math.log(v / x0)) / Math.log(x1 / x0) : (v: number) => m.l + (pw * (v - x0)) / (x1 - x0 || 1);
  const sy = chart.y.log ? (v: number) => m.t + ph - (ph * Math.log(v / y0)) / Math.log(y1 / y0) : (v: number) => m.t + ph - (ph * (v - y0)) / (y1 - y0 || 1);
  const clampY = (v: number) => Math.max(m.t - 2, Math.min(m.t + ph + 2, v));

  if (chart.title) el('text', { x: m.l, y: 16, class: 'chart-title' }, svg).textContent = chart.title;
  const clipId = `clip${Math.random().toString(36).slice(2, 8)}`;
  const defs = el('defs', {}, svg);
  const clip = el('clipPath', { id: clipId }, defs);
  el('rect', { x: m.l, y: m.t, width: pw, height: ph }, clip);

  // Bands and grid under the data.
  for (const b of chart.bands ?? []) {
    if (b.y0 != null && b.y1 != null) {
      const ya = clampY(sy(b.y1));
      const yb = clampY(sy(b.y0));
      el('rect', { x: m.l, y: ya, width: pw, height: Math.max(0, yb - ya), fill: b.color, class: 'band' }, svg);
      if (b.label) el('text', { x: m.l + pw - 4, y: ya + 12, 'text-anchor': 'end', class: 'band-label' }, svg).textContent = b.label;
    } else if (b.x0 != null && b.x1 != null) {
      const xa = Math.max(m.l, sx(b.x0));
      const xb = Math.min(m.l + pw, sx(b.x1));
      el('rect', { x: xa, y: m.t, width: Math.max(0, xb - xa), height: ph, fill: b.color, class: 'band' }, svg);
      if (b.label) el('text', { x: xb - 4, y: m.t + 12, 'text-anchor': 'end', class: 'band-label' }, svg).textContent = b.label;
    }
  }
  const fx = chart.x.format ?? formatNumber;
  const fy = chart.y.format ?? formatNumber;
  const xt = chart.x.log ? logTicks(x0, x1) : niceTicks(x0, x1, Math.max(2, Math.round(pw / 90)));
  const yt = chart.y.log ? logTicks(y0, y1) : niceTicks(y0, y1, Math.max(2, Math.round(ph / 50)));
  const axes = el('g', { class: 'axes' }, svg);
  for (const v of xt) {
    const x = sx(v);
    if (x < m.l - 0.5 || x > m.l + pw + 0.5) continue;
    el('line', { x1: x, x2: x, y1: m.t, y2: m.t + ph, class: 'grid' }, axes);
    el('text', { x, y: m.t + ph + 15, 'text-anchor': 'middle' }, axes).textContent = fx(v);
  }
  for (const v of yt) {
    const y = sy(v);
    if (y < m.t - 0.5 || y > m.t + ph + 0.5) continue;
    el('line', { x1: m.l, x2: m.l + pw, y1: y, y2: y, class: v === 0 && !chart.y.log ? 'grid zero' : 'grid' }, axes);
    el('text', { x: m.l - 6, y: y + 4, 'text-anchor': 'end' }, axes).textContent = fy(v);
  }
  el('rect', { x: m.l, y: m.t, width: pw, height: ph, class: 'frame' }, axes);
  el('text', { x: m.l + pw / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis-label' }, axes).textContent = chart.x.label;
  el('text', { x: 14, y: m.t + ph / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${m.t + ph / 2})`, class: 'axis-label' }, axes).textContent = chart.y.label;

  const data = el('g', { 'clip-path': `url(#${clipId})` }, svg);
  for (const mk of chart.markers ?? []) {
    if (mk.x != null) {
      const x = sx(mk.x);
      el('line', { x1: x, x2: x, y1: m.t, y2: m.t + ph, stroke: mk.color, 'stroke-dasharray': mk.dash ?? '4 3', class: 'marker' }, data);
      if (mk.label) el('text', { x: x + 4, y: m.t + ph - 6, fill: mk.color, class: 'marker-label' }, data).textContent = mk.label;
    } else if (mk.y != null) {
      const y = sy(mk.y);
      el('line', { x1: m.l, x2: m.l + pw, y1: y, y2: y, stroke: mk.color, 'stroke-dasharray': mk.dash ?? '4 3', class: 'marker' }, data);
      if (mk.label) el('text', { x: m.l + 4, y: y - 4, fill: mk.color, class: 'marker-label' }, data).textContent = mk.label;
    }
  }
  for (const s of chart.series) {
    let d = '';
    let pen = false;
    for (let i = 0; i < s.x.length; i++) {
      const xv = s.x[i];
      const yv = s.y[i];
      if (!Number.isFinite(xv) || !Number.isFinite(yv) || (chart.x.log && xv <= 0) || (chart.y.log && yv <= 0)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${sx(xv).toFixed(1)},${clampY(sy(yv)).toFixed(1)}`;
      pen = true;
    }
    const attrs: Record<string, string | number> = { d: d || 'M0,0', fill: 'none', stroke: s.color, 'stroke-width': s.width ?? 2, class: `series ${s.cls ?? ''}` };
    if (s.dash) attrs['stroke-dasharray'] = s.dash;
    el('path', attrs, data);
    if (s.dots) {
      for (let i = 0; i < s.x.length; i++) {
        if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) el('circle', { cx: sx(s.x[i]), cy: clampY(sy(s.y[i])), r: 2.6, fill: s.color }, data);
      }
    }
  }
  if (chart.legend) {
    const items = chart.series.filter((s) => s.label);
    const g = el('g', { class: 'legend' }, svg);
    const lw = 8 + Math.max(60, ...items.map((s) => (s.label as string).length * 6.6)) + 34;
    const bx = m.l + pw - lw - 6;
    if (items.length) el('rect', { x: bx, y: m.t + 6, width: lw, height: items.length * 17 + 8, class: 'legend-box' }, g);
    items.forEach((s, i) => {
      const y = m.t + 20 + i * 17;
      const attrs: Record<string, string | number> = { x1: bx + 8, x2: bx + 34, y1: y - 4, y2: y - 4, stroke: s.color, 'stroke-width': 2.5 };
      if (s.dash) attrs['stroke-dasharray'] = s.dash;
      el('line', attrs, g);
      el('text', { x: bx + 40, y }, g).textContent = s.label as string;
    });
  }
}

/**
 * Min/max decimation for long traces: keeps each bucket's extremes in time order, so that the
 * short spikes of u(t) during a fast ramp survive at ~1,000 drawn points.
 */
export function decimate(x: ArrayLike<number>, y: ArrayLike<number>, buckets = 600): { x: number[]; y: number[] } {
  const n = x.length;
  if (n <= 2 * buckets) return { x: Array.from(x), y: Array.from(y) };
  const ox: number[] = [];
  const oy: number[] = [];
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const i0 = Math.floor(b * size);
    const i1 = Math.min(n, Math.floor((b + 1) * size));
    let imin = i0;
    let imax = i0;
    for (let i = i0; i < i1; i++) {
      if (y[i] < y[imin]) imin = i;
      if (y[i] > y[imax]) imax = i;
    }
    for (const i of imin <= imax ? [imin, imax] : [imax, imin]) {
      ox.push(x[i]);
      oy.push(y[i]);
    }
  }
  return { x: ox, y: oy };
}
