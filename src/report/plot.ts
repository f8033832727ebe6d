/**
 * Line charts for every command: a vega-lite spec rendered to SVG in Node, and to PNG with resvg
 * (using a font file found on the machine, since the SVG's text needs one to rasterise).
 *
 *   const chart = lineChart({ title: 'Δw/A vs A', xLabel: 'A (signal units)', yLabel: 'Δw/A',
 *                             series: [{ name: 'E. coli', points: [[1, 0], [50, 0.95]] }] });
 *   await writeChart('runs/x/dw', chart);   // runs/x/dw.svg, runs/x/dw.png
 */
import fs from 'node:fs';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.ts';

export interface Series {
  name: string;
  /** [x, y] pairs; non-finite values (and non-positive ones on a log axis) are left out. */
  points: [number, number][];
}

export interface LineChartOptions {
  title: string;
  /** A second, smaller title line (e.g. the settings). */
  subtitle?: string;
  /** Axis titles, with units. */
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  /** Plot area in px (default 560 x 340). */
  width?: number;
  height?: number;
  /** Show a marker at every point (default: when no series has more than 40 points). */
  points?: boolean;
}

export interface Chart {
  svg: string;
  /** The vega-lite spec it was rendered from. */
  spec: vl.TopLevelSpec;
}

/**
 * Without a canvas, vega estimates a text's width as 0.8 em per character, which is ~40% too wide
 * for DejaVu/Helvetica and pushes long axis titles and legends off the plot. A per-character-class
 * estimate (advance widths of DejaVu Sans, in em) lays the charts out close to how they render.
 */
function estimateTextWidth(text: string, size: number): number {
  let em = 0;
  for (const ch of text) {
    if (' .,:;\'|!()[]ijlrtf/'.includes(ch)) em += 0.34;
    else if ('mwMW—'.includes(ch)) em += 0.92;
    else if (/[A-Z]/.test(ch)) em += 0.7;
    else em += 0.6;
  }
  return em * size;
}
{
  const tm = (vega as unknown as { textMetrics: unknown }).textMetrics as { width: (item: unknown, text?: unknown) => number; estimateWidth: unknown };
  if (tm.width === tm.estimateWidth) {
    tm.width = (item, text) => {
      const it = item as { fontSize?: number; text?: unknown };
      const t = text ?? it.text;
      const lines = Array.isArray(t) ? t.map(String) : [String(t ?? '')];
      return Math.max(0, ...lines.map((l) => estimateTextWidth(l, it.fontSize ?? 11)));
    };
  }
}

/** Font families the SVG asks for, first the one writeChart loads for the PNG. */
const FONT_STACK = 'DejaVu Sans, Helvetica, Arial, sans-serif';

function buildSpec(o: LineChartOptions): vl.TopLevelSpec {
  const values: { x: number; y: number; series: string; order: number }[] = [];
  let maxLen = 0;
  for (const s of o.series) {
    maxLen = Math.max(maxLen, s.points.length);
    s.points.forEach(([x, y], i) => {
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      if ((o.logX && x <= 0) || (o.logY && y <= 0)) return;
      values.push({ x, y, series: s.name, order: i });
    });
  }
  const showPoints = o.points ?? maxLen <= 40;
  const scale = (log?: boolean) => (log ? { type: 'log' as const, nice: false } : { zero: false });
  return {
    ...frame(o),
    data: { values },
    mark: { type: 'line', point: showPoints, strokeWidth: 2, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xLabel, scale: scale(o.logX), axis: { grid: true } },
      y: { field: 'y', type: 'quantitative', title: o.yLabel, scale: scale(o.logY), axis: { grid: true } },
      color: {
        field: 'series',
        type: 'nominal',
        sort: o.series.map((s) => s.name),
        legend: o.series.length > 1 ? { title: null, orient: 'bottom', columns: Math.min(o.series.length, 3), labelLimit: 400 } : null,
      },
      order: { field: 'order', type: 'quantitative' },
    },
    config: CHART_CONFIG,
  };
}

const CHART_CONFIG = {
  font: FONT_STACK,
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal' as const },
  legend: { labelFontSize: 12 },
};

/** One group of a band chart: its centre line, the band around it, and one thin line per member (e.g. per seed). */
export interface BandSeries {
  name: string;
  /** The centre line (e.g. the mean over seeds), [x, y]. */
  centre: [number, number][];
  /** The shaded band, [x, low, high] (e.g. mean ± 1 sd); may be empty. */
  band: [number, number, number][];
  /** Thin lines in the group's colour, one per member. */
  members: { name: string; points: [number, number][] }[];
}

export interface BandChartOptions extends Omit<LineChartOptions, 'series' | 'points'> {
  series: BandSeries[];
  /** x takes whole numbers only (epochs): integer ticks. */
  integerX?: boolean;
}

/** As many legend columns (at most 3) as fit the plot's width with the longest label (12 px text, 40 px for the swatch and gap). */
function legendColumns(names: string[], width: number): number {
  const widest = Math.max(...names.map((n) => estimateTextWidth(n, 12))) + 40;
  return Math.max(1, Math.min(names.length, 3, Math.floor(width / widest)));
}

/** Axis ticks at whole numbers only: every one up to 12, else about 10 evenly spaced. */
function integerTicks(xs: number[]): { values: number[]; format: string } {
  if (!xs.length) return { values: [], format: 'd' };
  const lo = Math.ceil(Math.min(...xs));
  const hi = Math.floor(Math.max(...xs));
  const step = Math.max(1, Math.ceil((hi - lo + 1) / 12));
  const values: number[] = [];
  for (let v = lo; v <= hi; v += step) values.push(v);
  return { values, format: 'd' };
}

/**
 * Lines with shaded bands: per series a thick centre line (with markers), a translucent band and
 * thin member lines, all in the series' colour; say in the title or subtitle what the band is.
 *
 *   bandChart({ title: 'Test error per epoch', subtitle: 'band: mean ± 1 sd', xLabel: 'epoch', yLabel: 'test error (%)',
 *               series: [{ name: 'TCL', centre: [[1, 5]], band: [[1, 4.5, 5.5]], members: [{ name: 'seed 0', points: [[1, 4.6]] }] }] });
 */
export function bandChart(o: BandChartOptions): Chart {
  const ok = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && !(o.logX && x <= 0) && !(o.logY && y <= 0);
  const centre: { x: number; y: number; series: string; order: number }[] = [];
  const band: { x: number; lo: number; hi: number; series: string }[] = [];
  const members: { x: number; y: number; series: string; member: string; order: number }[] = [];
  for (const s of o.series) {
    s.centre.forEach(([x, y], i) => ok(x, y) && centre.push({ x, y, series: s.name, order: i }));
    for (const [x, lo, hi] of s.band) if (ok(x, lo) && ok(x, hi)) band.push({ x, lo, hi, series: s.name });
    for (const m of s.members) m.points.forEach(([x, y], i) => ok(x, y) && members.push({ x, y, series: s.name, member: m.name, order: i }));
  }
  const scale = (log?: boolean) => (log ? { type: 'log' as const, nice: false } : { zero: false });
  const x = { field: 'x', type: 'quantitative' as const, title: o.xLabel, scale: scale(o.logX), axis: { grid: true, ...(o.integerX ? integerTicks([...centre, ...members].map((d) => d.x)) : {}) } };
  const y = { field: 'y', type: 'quantitative' as const, title: o.yLabel, scale: scale(o.logY), axis: { grid: true } };
  const color = {
    field: 'series',
    type: 'nominal' as const,
    sort: o.series.map((s) => s.name),
    scale: { domain: o.series.map((s) => s.name) },
    legend: o.series.length > 1 ? { title: null, orient: 'bottom' as const, columns: legendColumns(o.series.map((s) => s.name), o.width ?? 560), labelLimit: 400, symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } : null,
  };
  const spec = {
    ...frame(o),
    layer: [
      {
        data: { values: band },
        mark: { type: 'area', opacity: 0.18, clip: true },
        encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
      },
      {
        data: { values: members },
        mark: { type: 'line', strokeWidth: 0.9, opacity: 0.5, clip: true },
        encoding: { x, y, color, detail: { field: 'member', type: 'nominal' }, order: { field: 'order', type: 'quantitative' } },
      },
      {
        data: { values: centre },
        mark: { type: 'line', point: true, strokeWidth: 2.5, clip: true },
        encoding: { x, y, color, order: { field: 'order', type: 'quantitative' } },
      },
    ],
    config: CHART_CONFIG,
  } as vl.TopLevelSpec;
  return render(spec);
}

/** Renders a vega view to an SVG string synchronously (the steps of View.toSVG, without its async wrapper). */
function renderSvg(view: vega.View): string {
  view.run();
  // Same as vega-view's render-headless.js + render-size.js; checked against view.toSVG() in plot.test.ts.
  const v = view as unknown as { _viewWidth: number; _viewHeight: number; _origin: [number, number]; _scenegraph: { root: unknown } };
  const pad = view.padding() as { left: number; right: number; top: number; bottom: number };
  const renderModule = vega.renderModule as unknown as (name: string) => unknown;
  const ctr = (renderModule('svg') as { headless: new (loader: unknown) => { initialize(...a: unknown[]): { background(b: unknown): { render(scene: unknown): { svg(): string } } } } }).headless;
  const r = new ctr(view.loader()).initialize(
    null,
    Math.max(0, v._viewWidth + pad.left + pad.right),
    Math.max(0, v._viewHeight + pad.top + pad.bottom),
    [pad.left + v._origin[0], pad.top + v._origin[1]],
    1,
    undefined,
  );
  return r.background(view.background()).render(v._scenegraph.root).svg();
}

/** The vega View of a spec (headless). */
export function chartView(spec: vl.TopLevelSpec): vega.View {
  return new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
}

/**
 * A line chart: one line per series, labelled axes, a legend when there is more than one series.
 */
export function lineChart(o: LineChartOptions): Chart {
  const spec = buildSpec(o);
  return render(spec);
}

let fontCache: string[] | undefined;

/** Font files for the PNG: DejaVu Sans (or the first .ttf found under the usual font directories). */
export function chartFonts(): string[] {
  if (fontCache) return fontCache;
  const preferred = [
    '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    '/usr/share/fonts/TTF/DejaVuSans.ttf',
    '/usr/share/fonts/dejavu/DejaVuSans.ttf',
    '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf',
    '/Library/Fonts/Arial.ttf',
    '/System/Library/Fonts/Supplemental/Arial.ttf',
    'C:\\Windows\\Fonts\\arial.ttf',
  ];
  const found = preferred.filter((f) => fs.existsSync(f));
  if (!found.length) {
    const walk = (dir: string, depth: number): void => {
      if (found.length || depth > 4) return;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p, depth + 1);
        else if (/\.(ttf|otf)$/i.test(e.name) && !/mono|math|symbol|emoji/i.test(e.name)) {
          found.push(p);
          return;
        }
      }
    };
    for (const d of ['/usr/share/fonts', '/usr/local/share/fonts', path.join(process.env.HOME ?? '', '.fonts')]) walk(d, 0);
  }
  fontCache = found;
  return found;
}

/** Rasterises a chart's SVG to PNG bytes (2x scale for readability). */
export function chartPng(chart: Chart): Uint8Array {
  const fonts = chartFonts();
  const family = fonts.length ? (/dejavu/i.test(fonts[0]!) ? 'DejaVu Sans' : /arial/i.test(fonts[0]!) ? 'Arial' : undefined) : undefined;
  const resvg = new Resvg(chart.svg, {
    fitTo: { mode: 'zoom', value: 2 },
    background: 'white',
    font: {
      fontFiles: fonts,
      loadSystemFonts: fonts.length === 0,
      defaultFontFamily: family,
      sansSerifFamily: family,
    },
  });
  return resvg.render().asPng();
}

/** Writes `<pathWithoutExt>.svg` and `.png` (each atomically); returns both paths. */
export async function writeChart(pathWithoutExt: string, chart: Chart): Promise<{ svg: string; png: string }> {
  const svg = `${pathWithoutExt}.svg`;
  const png = `${pathWithoutExt}.png`;
  if (chartFonts().length === 0) process.emitWarning('no font file found: the PNG charts may have no text (the SVGs are fine)');
  await writeFileAtomic(svg, chart.svg);
  await writeFileAtomic(png, chartPng(chart));
  return { svg, png };
}

/** One row of a dot chart: a group's values (one dot each), its centre and interval. */
export interface DotGroup {
  name: string;
  /** One dot per member (e.g. per seed), labelled in the tooltip-free SVG only by position. */
  values: { member: string; x: number }[];
  /** The centre mark (e.g. the mean); null draws none. */
  centre: number | null;
  /** The interval bar (e.g. the 95 % t-interval of the mean); null draws none. */
  interval: [number, number] | null;
}

export interface DotChartOptions {
  title: string;
  subtitle?: string;
  /** Axis title of the values, with units. */
  xLabel: string;
  groups: DotGroup[];
  /** Plot width in px (default 560); the height grows with the number of groups. */
  width?: number;
}

/**
 * One row per group: a dot per member, a tick at the centre and a bar for the interval — the
 * spread of a few seeds in one look. Say in the subtitle what the centre and the bar are.
 *
 *   dotChart({ title: 'Final-epoch test error', subtitle: 'tick: mean; bar: 95 % t-interval', xLabel: 'test error (%)',
 *              groups: [{ name: 'TCL', values: [{ member: 'seed 0', x: 5.6 }], centre: 5.6, interval: null }] });
 */
export function dotChart(o: DotChartOptions): Chart {
  // Rows on a numeric axis (row i at y = i, first group on top) so that a group's dots can be
  // spread vertically around their row: vega-lite's yOffset misplaces them in a layered chart.
  const n = o.groups.length;
  const dots = o.groups.flatMap((g, i) => {
    const vs = g.values.filter((v) => Number.isFinite(v.x));
    return vs.map((v, k) => ({ row: i + (vs.length > 1 ? (k / (vs.length - 1) - 0.5) * 0.4 : 0), x: v.x, group: g.name, member: v.member }));
  });
  const centres = o.groups.flatMap((g, i) => (g.centre != null && Number.isFinite(g.centre) ? [{ row: i, x: g.centre, group: g.name }] : []));
  const bars = o.groups.flatMap((g, i) => (g.interval && g.interval.every(Number.isFinite) ? [{ row: i, lo: g.interval[0], hi: g.interval[1], group: g.name }] : []));
  const names = o.groups.map((g) => g.name);
  const y = {
    field: 'row',
    type: 'quantitative' as const,
    title: null,
    scale: { domain: [-0.6, n - 0.4], reverse: true, nice: false, zero: false },
    axis: { values: names.map((_, i) => i), labelExpr: `${JSON.stringify(names)}[datum.value]`, grid: false, labelLimit: 360 },
  };
  const x = { field: 'x', type: 'quantitative' as const, title: o.xLabel, scale: { zero: false }, axis: { grid: true, tickCount: 8 } };
  const color = { field: 'group', type: 'nominal' as const, sort: names, scale: { domain: names }, legend: null };
  const spec = {
    ...frame(o),
    height: Math.max(90, 48 * n),
    padding: { left: 28, right: 12, top: 12, bottom: 12 }, // long row labels: vega's width estimate runs short
    layer: [
      { data: { values: bars }, mark: { type: 'rule', strokeWidth: 2.5, opacity: 0.45 }, encoding: { y, x: { ...x, field: 'lo' }, x2: { field: 'hi' }, color } },
      { data: { values: centres }, mark: { type: 'tick', orient: 'vertical', thickness: 3, size: 34 }, encoding: { y, x, color } },
      { data: { values: dots }, mark: { type: 'point', filled: true, size: 55, opacity: 0.85, stroke: 'white', strokeWidth: 0.8 }, encoding: { y, x, color } },
    ],
    config: CHART_CONFIG,
  } as vl.TopLevelSpec;
  return render(spec);
}

/** A chart's SVG (and its spec), the vega view finalized whatever happens. */
function render(spec: vl.TopLevelSpec): { svg: string; spec: vl.TopLevelSpec } {
  const view = chartView(spec);
  try {
    return { svg: renderSvg(view), spec };
  } finally {
    view.finalize();
  }
}

/** What every chart here shares: schema, title (and subtitle), size, white background, padding. */
function frame(o: { title: string; subtitle?: string; width?: number; height?: number }) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: o.title, fontSize: 15, anchor: 'start' as const, ...(o.subtitle ? { subtitle: o.subtitle, subtitleFontSize: 12, subtitleColor: '#444' } : {}) },
    width: o.width ?? 560,
    height: o.height ?? 340,
    background: 'white',
    padding: 12 as number | { left: number; right: number; top: number; bottom: number },
  };
}
