/**
 * Sweep specs (src/sweep/spec.ts, from the sweep branch): every edit of a real spec, and broken
 * text. Skipped until that file exists on the branch the suite runs on; it then runs with the
 * same counts as the other parsers.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../tmp-dirs.ts';
import { applyByteEdits, applyEdits, byteEdit, fuzz, jsonEdit, loadsOrRefuses, RUNS } from './harness.ts';

const SPEC_TS = path.resolve('src/sweep/spec.ts');
interface SpecModule {
  validateSpec(raw: unknown, opts?: { where?: string; baseDir?: string }): Promise<unknown>;
  readSpec(file: string): Promise<unknown>;
}
const spec = async () => (await import(/* @vite-ignore */ SPEC_TS)) as SpecModule;
const tmp = tempDirs('tcl-fuzz-spec-');

const base = {
  name: 'fuzz',
  base: { dataset: 'mnist', split: 'paper', trainSize: 200, testSize: 100, epochs: 1, model: 'mnist-784-500-10' },
  runs: [{ label: 'TCL', method: 'tcl' }, { label: 'EP', method: 'ep' }, { label: 'reversed', method: 'tcl', protocol: 'reversed' }],
  grid: { deadZone: ['fixed', 'quantile:0.99'], seed: [0, 1, 2] },
};

describe.skipIf(!fs.existsSync(SPEC_TS))('sweep spec parser on arbitrary input', () => {
  it('the unedited spec is valid (so that the edits below start from a real one)', async () => {
    await expect((await spec()).validateSpec(structuredClone(base), { where: 's.json' })).resolves.toBeTruthy();
  });

  it('every edited spec validates or fails with one TclError line', async () => {
    const { validateSpec } = await spec();
    const seen = await fuzz(fc.array(jsonEdit, { maxLength: 3 }), async (edits) => {
      const raw = applyEdits(base, edits);
      return loadsOrRefuses(() => validateSpec(raw, { where: 's.json', baseDir: process.cwd() }));
    });
    expect(seen.loaded).toBeGreaterThan(RUNS / 50);
    expect(seen.refused).toBeGreaterThan(RUNS / 5);
  });

  it('every damaged spec file loads or fails with one TclError line', async () => {
    const { readSpec } = await spec();
    const file = path.join(tmp(), 's.json');
    const text = new TextEncoder().encode(JSON.stringify(base));
    await fuzz(fc.array(byteEdit, { minLength: 1, maxLength: 3 }), async (edits) => {
      const bytes = applyByteEdits(text, edits);
      fs.writeFileSync(file, bytes);
      return loadsOrRefuses(() => readSpec(file), bytes.length);
    });
  });

  it('a grid claiming 10^12 runs is refused within 5 s, not expanded (in a child process: a synchronous hang cannot be timed out in-process)', async () => {
    const script = `import { validateSpec } from ${JSON.stringify(new URL(`file://${SPEC_TS}`).href)};
      const grid = Object.fromEntries(['trainSize', 'testSize', 'epochs', 'batchSize', 'seed', 'evalTrain'].map((k, j) => [k, Array.from({ length: 10 }, (_, i) => (j === 5 ? i % 2 === 0 : i + 1))]));
      Object.assign(grid, { trainSize: grid.trainSize, method: ['tcl', 'ep', 'bp'], protocol: ['sawtooth', 'reversed', 'triangle'], deadZone: ['fixed', 'quantile:0.9', 'quantile:0.99'], lrSchedule: ['constant', 'cosine', 'exp:0.9'], tclUpdate: ['fast', 'faithful'], cycle: ['authors', 'continuous'] });
      delete grid.evalTrain;
      try { await validateSpec({ name: 'huge', base: {}, grid }, { where: 'huge.json' }); console.log('accepted'); } catch (e) { console.log(e.name + ': ' + e.message); }`;
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 5000 + 4000 /* startup */ }).catch((e) => e);
    expect(r.killed ?? false, 'still expanding the grid after 5 s').toBe(false);
    expect(r.stdout.trim()).toMatch(/^TclError: huge\.json: [^\n]+$/);
  });
});
