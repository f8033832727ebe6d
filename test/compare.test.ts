/** `tfjs-tcl compare` (what `npm start` runs) on a small subset: the table, the report, the plots, the models. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { tempDirs } from './tmp-dirs.ts';

const tmp = tempDirs('tcl-compare-');

const run = promisify(execFile);

it('compare --seeds trains TCL, EP, BP and the reversed control on every seed across worker processes; mean ± sd, paired differences, band plots, every seed in results.json, loadable models', async () => {
  const out = path.join(tmp(), 'report');
  const { stdout } = await run(
    process.execPath,
    ['bin/tfjs-tcl.js', 'compare', '--train-size', '600', '--test-size', '300', '--epochs', '2', '--controls', '--seeds', '2', '--workers', '2', '--out', out, '--json'],
    { maxBuffer: 1 << 24 },
  );
  const res = JSON.parse(stdout.trim().split('\n').at(-1)!);
  // BP's label names its optimiser (the default preset's is the paper's SGD at lr 0.1).
  const labels = ['TCL', 'EP', 'BP (SGD, lr 0.1)', 'TCL (reversed sawtooth)'];
  // Every (method, seed) is one run, each once, none dropped.
  expect(res.results.map((r: { label: string; seed: number }) => `${r.label}/${r.seed}`)).toEqual(labels.flatMap((l) => [`${l}/0`, `${l}/1`]));
  expect(res.results.every((r: { status: string }) => r.status === 'done')).toBe(true);
  const byRun = Object.fromEntries(res.results.map((r: { label: string; seed: number; testError: number }) => [`${r.label}/${r.seed}`, r.testError]));
  for (const seed of [0, 1]) {
    // The protocol's asymmetry is what learns: the reversed sawtooth stays near chance, on every seed.
    expect(byRun[`TCL/${seed}`]).toBeLessThan(0.4);
    expect(byRun[`EP/${seed}`]).toBeLessThan(0.4);
    expect(byRun[`TCL (reversed sawtooth)/${seed}`]).toBeGreaterThan(0.7);
  }
  // Different seeds are different runs (init, shuffling, beta signs).
  expect(byRun['TCL/0']).not.toBe(byRun['TCL/1']);
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
  // The table's mean ± sd is that of the two seeds' final errors, computed here independently.
  const m = (byRun['TCL/0'] + byRun['TCL/1']) / 2;
  const sd = Math.abs(byRun['TCL/0'] - byRun['TCL/1']) / Math.SQRT2;
  expect(md).toContain(`| TCL | ${(100 * m).toFixed(2)} ± ${(100 * sd).toFixed(2)}% |`);
  // The paired TCL − EP difference on the same seeds, computed here from the per-run errors.
  const d = [0, 1].map((seed) => 100 * (byRun[`TCL/${seed}`] - byRun[`EP/${seed}`]));
  const signed = (v: number) => `${v < 0 ? '−' : '+'}${Math.abs(v).toFixed(2)}`;
  expect(md).toContain(`| TCL − EP | ${signed((d[0] + d[1]) / 2)} ± ${(Math.abs(d[0] - d[1]) / Math.SQRT2).toFixed(2)} |`);
  expect(md).toMatch(/\| TCL − EP \|[^\n]*\| 2 \| 0, 1 \|/);
  expect(md).toContain('tfjs-tcl compare');
  const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  expect(results.backend).toMatch(/^(node|wasm|cpu)$/);
  expect(results.runs).toHaveLength(8);
  for (const r of results.runs) expect(r.summary.metrics.map((x: { epoch: number }) => x.epoch)).toEqual([1, 2]);
  // A model reloads and gives the reported test error (one per learning method, not all eight: time).
  for (const r of res.results.filter((x: { seed: number; label: string }) => x.seed === 1 && (x.label === 'TCL' || x.label === 'EP'))) {
    const e = await run(process.execPath, ['bin/tfjs-tcl.js', 'evaluate', '--model', r.model, '--train-size', '600', '--test-size', '300', '--json']);
    expect(JSON.parse(e.stdout.trim().split('\n').at(-1)!).testError, r.label).toBe(r.testError);
  }
  // The same command again: every run is finished, nothing is trained, same numbers.
  const again = JSON.parse((await run(process.execPath, ['bin/tfjs-tcl.js', 'compare', '--train-size', '600', '--test-size', '300', '--epochs', '2', '--controls', '--seeds', '2', '--out', out, '--json'], { maxBuffer: 1 << 24 })).stdout.trim().split('\n').at(-1)!);
  expect(again.skipped).toBe(8);
  expect(again.results.map((r: { testError: number }) => r.testError)).toEqual(res.results.map((r: { testError: number }) => r.testError));
}, 400_000);

it('compare refuses --seed together with --seeds, and a bad --seeds, with one line', async () => {
  for (const [args, msg] of [
    [['--seed', '3', '--seeds', '2'], /give --seed S \(one seed\) or --seeds N\|LIST, not both/],
    [['--seeds', '3,x'], /--seeds expects a count N .* got '3,x'/],
  ] as const) {
    const err = await run(process.execPath, ['bin/tfjs-tcl.js', 'compare', ...args, '--out', path.join(tmp(), 'x')]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr.trim().split('\n')[0]).toMatch(msg);
  }
}, 60000);
