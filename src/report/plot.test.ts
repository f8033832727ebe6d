import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { chartFonts, chartPng, chartView, lineChart, writeChart } from './plot.ts';
import { toCsv } from './csv.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

const chart = () =>
  lineChart({
    title: 'Test error per epoch',
    xLabel: 'epoch',
    yLabel: 'test error (%)',
    series: [
      { name: 'TCL', points: [[1, 10.7], [2, 7.0], [3, 7.0]] },
      { name: 'EP', points: [[1, 7.9], [2, 6.4], [3, NaN]] },
    ],
  });

describe('lineChart', () => {
  it('renders an SVG with the title, axis titles and legend entries', () => {
    const { svg } = chart();
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['Test error per epoch', 'epoch', 'test error (%)', 'TCL', 'EP']) expect(svg).toContain(`>${text}<`);
  });

  it('renders synchronously exactly what vega’s own async View.toSVG renders', async () => {
    const c = chart();
    const reference = await chartView(c.spec).toSVG();
    const norm = (s: string) => s.replace(/clip\d+/g, 'clipN');
    expect(norm(c.svg)).toBe(norm(reference));
  });

  it('drops non-positive values on log axes instead of failing', () => {
    const { svg } = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[0, 1], [1, 2], [10, 3]] }], logX: true });
    expect(svg).toContain('<svg');
  });
});

describe('writeChart', () => {
  it('writes .svg and .png; the PNG has its text rendered (a font was found and used)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tcl-plot-'));
    dirs.push(dir);
    const c = chart();
    const files = await writeChart(path.join(dir, 'sub', 'curves'), c);
    expect(files.svg).toBe(path.join(dir, 'sub', 'curves.svg'));
    expect(await fs.readFile(files.svg, 'utf8')).toBe(c.svg);
    const png = await fs.readFile(files.png);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect((await fs.readdir(path.join(dir, 'sub'))).sort()).toEqual(['curves.png', 'curves.svg']); // no temp files left
    // Text must produce pixels: with the font writeChart uses, the chart has many more dark pixels than without its <text>.
    expect(chartFonts().length).toBeGreaterThan(0);
    const darkPixels = (svg: string) => {
      const px = new Resvg(svg, { background: 'white', font: { fontFiles: chartFonts(), loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' } }).render().pixels;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i]! + px[i + 1]! + px[i + 2]! < 200) n++;
      return n;
    };
    const textPixels = darkPixels(c.svg) - darkPixels(c.svg.replace(/<text[^>]*>[^<]*<\/text>/g, ''));
    expect(textPixels).toBeGreaterThan(1000);
    expect(chartPng(c).length).toBeGreaterThan(10000);
  });
});

describe('toCsv', () => {
  it('quotes where needed and leaves null / non-finite cells empty', () => {
    expect(toCsv(['a', 'b'], [[1, null], [NaN, 'x,y'], [2.5, 'say "hi"']])).toBe('a,b\n1,\n,"x,y"\n2.5,"say ""hi"""\n');
  });
});
