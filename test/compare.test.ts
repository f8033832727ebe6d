/** `tfjs-tcl compare` (what `npm start` runs) on a small subset: the table, the report, the plots, the models. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { tempDirs } from './tmp-dirs.ts';

const tmp = tempDirs('tcl-compare-');

const run = promisify(execFile);

it('compare trains TCL, EP, BP and the reversed-sawtooth control and writes report.md, results.json, PNG/SVG plots and loadable models', async () => {
  const out = path.join(tmp(), 'report');
  const { stdout } = await run(
    process.execPath,
    ['bin/tfjs-tcl.js', 'compare', '--train-size', '600', '--test-size', '300', '--epochs', '2', '--controls', '--out', out, '--json'],
    { maxBuffer: 1 << 24 },
  );
  const res = JSON.parse(stdout.trim().split('\n').at(-1)!);
  expect(res.results.map((r: { label: string }) => r.label)).toEqual(['TCL', 'EP', 'BP', 'TCL (reversed sawtooth)']);
  const byLabel = Object.fromEntries(res.results.map((r: { label: string; testError: number }) => [r.label, r.testError]));
  // The protocol's asymmetry is what learns: the reversed sawtooth stays near chance.
  expect(byLabel['TCL']).toBeLessThan(0.4);
  expect(byLabel['EP']).toBeLessThan(0.4);
  expect(byLabel['TCL (reversed sawtooth)']).toBeGreaterThan(0.7);
  for (const f of ['report.md', 'results.json', 'learning-curves.svg', 'learning-curves.png', 'time-to-accuracy.svg', 'time-to-accuracy.png']) {
    expect(fs.existsSync(path.join(out, f)), f).toBe(true);
  }
  for (const f of ['learning-curves.png', 'time-to-accuracy.png']) {
    const png = fs.readFileSync(path.join(out, f));
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(png.readUInt32BE(16)).toBeGreaterThan(400); // width from the IHDR chunk
  }
  const svg = fs.readFileSync(path.join(out, 'learning-curves.svg'), 'utf8');
  for (const label of ['TCL', 'EP', 'BP', 'epoch', 'test error']) expect(svg).toContain(label);
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  expect(md).toMatch(/\| TCL \| \d+\.\d\d% \|/);
  expect(md).toContain('tfjs-tcl compare');
  const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  expect(results.backend).toMatch(/^(node|wasm|cpu)$/);
  expect(results.runs).toHaveLength(4);
  // Each model reloads and gives the reported test error.
  for (const r of res.results) {
    const e = await run(process.execPath, ['bin/tfjs-tcl.js', 'evaluate', '--model', r.model, '--train-size', '600', '--test-size', '300', '--json']);
    expect(JSON.parse(e.stdout.trim().split('\n').at(-1)!).testError, r.label).toBe(r.testError);
  }
});
