/**
 * The sweep engine end to end on real MNIST and real child processes (a tiny 784-16-10 net, 200
 * images): each run exactly once and in parallel, a re-run skips everything, a sweep killed with
 * SIGKILL mid-way and re-run ends bit-identical to an uninterrupted one, and a run that crashes
 * or diverges is reported failed while the others go on.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/tmp-dirs.ts';
import { TclError } from '../errors.ts';
import { loadPreset } from '../training/preset-files.ts';
import { validateSpec } from './spec.ts';
import { runSweep } from './sweep.ts';
import type { RunRecord } from './types.ts';

const tmp = tempDirs('tcl-sweep-');
const run = promisify(execFile);
const BIN = path.resolve('bin/tfjs-tcl.js');

const root = tmp();
const tiny = loadPreset();
tiny.name = 'tiny-784-16-10';
tiny.layers = [784, 16, 10];
fs.writeFileSync(path.join(root, 'tiny.json'), JSON.stringify(tiny));
const diverging = structuredClone(tiny);
diverging.name = 'tiny-diverging';
diverging.ep.lr = [3e38, 3e38]; // lr/β overflows float32: NaN in the first update
fs.writeFileSync(path.join(root, 'diverging.json'), JSON.stringify(diverging));

const SPEC = {
  name: 'tiny',
  base: { model: 'tiny.json', trainSize: 200, testSize: 100, epochs: 3 },
  grid: { method: ['tcl', 'ep'], seed: [0, 1] },
};
const specFile = path.join(root, 'tiny-sweep.json');
fs.writeFileSync(specFile, JSON.stringify(SPEC));
const IDS = ['method-tcl_seed-0', 'method-tcl_seed-1', 'method-ep_seed-0', 'method-ep_seed-1'];

const reference = path.join(root, 'uninterrupted');

function runFiles(dir: string, id: string) {
  const d = path.join(dir, 'runs', id);
  const rec = JSON.parse(fs.readFileSync(path.join(d, 'run.json'), 'utf8')) as RunRecord;
  return { rec, weights: fs.readFileSync(path.join(d, 'weights.bin')), errors: rec.summary!.metrics.map((m) => m.testError) };
}

it('tfjs-tcl sweep: a bad spec is one line naming the key, exit 1, nothing run', async () => {
  const bad = path.join(root, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ ...SPEC, grid: { ...SPEC.grid, deadZone: ['fixed', 'quantile:2'] } }));
  const out = path.join(root, 'bad-out');
  const err = await run(process.execPath, [BIN, 'sweep', bad, '--out', out]).catch((e) => e);
  expect(err.code).toBe(1);
  expect(err.stderr.trim().split('\n')).toEqual([`error: ${bad}: grid.deadZone[1]: dead zone must be 'fixed' or 'quantile:Q' with 0 < Q <= 1, got 'quantile:2'`]);
  expect(fs.existsSync(out)).toBe(false);
}, 60_000);

describe('runSweep on the local executor', () => {
  it('runs 4 tiny runs on 2 workers, each exactly once, two at the same time', async () => {
    const starts: Record<string, number[]> = {};
    const ends: Record<string, number> = {};
    const spec = await validateSpec(SPEC, { baseDir: root });
    const res = await runSweep(spec, {
      out: reference,
      workers: 2,
      hooks: {
        onStart: (j) => (starts[j.id] ??= []).push(Date.now()),
        onEnd: (r) => (ends[r.id] = Date.now()),
      },
    });
    expect(res.records.map((r) => [r.id, r.status, r.error])).toEqual(IDS.map((id) => [id, 'done', undefined]));
    expect(Object.keys(starts).sort()).toEqual([...IDS].sort());
    for (const id of IDS) expect(starts[id], id).toHaveLength(1);
    const overlaps = IDS.flatMap((a) => IDS.filter((b) => b !== a && starts[a][0] < ends[b] && starts[b][0] < ends[a]));
    expect(overlaps.length).toBeGreaterThan(0);
    // Seeds and methods are different runs; every run trained all its epochs.
    expect(new Set(res.records.map((r) => r.summary!.testError)).size).toBeGreaterThan(1);
    for (const r of res.records) expect(r.summary!.epochs).toBe(3);
    expect(res.files.map((f) => path.basename(f))).toContain('report.md');
    expect(JSON.parse(fs.readFileSync(path.join(reference, 'results.json'), 'utf8')).runs).toHaveLength(4);
  }, 300_000);

  it('re-running the same spec skips every run; a changed spec is refused', async () => {
    const before = IDS.map((id) => fs.statSync(path.join(reference, 'runs', id, 'run.json')).mtimeMs);
    let started = 0;
    const res = await runSweep(await validateSpec(SPEC, { baseDir: root }), { out: reference, workers: 2, hooks: { onStart: () => started++ } });
    expect(started).toBe(0);
    expect(res.counts).toEqual({ runs: 4, done: 4, failed: 0, skipped: 4, resumed: 0 });
    expect(IDS.map((id) => fs.statSync(path.join(reference, 'runs', id, 'run.json')).mtimeMs)).toEqual(before);
    const changed = await validateSpec({ ...SPEC, base: { ...SPEC.base, epochs: 4 } }, { baseDir: root });
    const err = await runSweep(changed, { out: reference }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TclError);
    expect((err as Error).message).toMatch(/holds a sweep of another spec .*--force to start over/);
  }, 120_000);

  it('a sweep killed with SIGKILL mid-way and run again ends with the same errors and bit-identical weights', async () => {
    const out = path.join(root, 'killed');
    // The sweep process and its children in a process group of their own: the kill takes the whole tree.
    const child = spawn(process.execPath, [BIN, 'sweep', specFile, '--out', out, '--workers', '2'], { detached: true, stdio: 'ignore' });
    const inProgress = () =>
      fs.existsSync(path.join(out, 'runs')) &&
      fs.readdirSync(path.join(out, 'runs')).some((id) => fs.existsSync(path.join(out, 'runs', id, 'trainer-state.json')) && !fs.existsSync(path.join(out, 'runs', id, 'run.json')));
    const deadline = Date.now() + 240_000;
    while (!inProgress() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(inProgress(), 'a run with a checkpoint and unfinished').toBe(true);
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const finishedAtKill = IDS.filter((id) => fs.existsSync(path.join(out, 'runs', id, 'run.json')));
    expect(finishedAtKill.length).toBeLessThan(4);

    const { stdout } = await run(process.execPath, [BIN, 'sweep', specFile, '--out', out, '--workers', '2', '--json'], { maxBuffer: 1 << 24 });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary.done).toBe(4);
    expect(summary.skipped).toBe(finishedAtKill.length);
    expect(summary.resumed).toBeGreaterThanOrEqual(1); // the run caught mid-way continued from its checkpoint
    for (const id of IDS) {
      const a = runFiles(reference, id);
      const b = runFiles(out, id);
      expect(b.errors, id).toEqual(a.errors);
      expect(b.weights.equals(a.weights), `${id}: weights.bin`).toBe(true);
    }
  }, 400_000);

  it('a run whose process dies and one that diverges are reported failed with one line; the others go on', async () => {
    const spec = await validateSpec(
      {
        name: 'failures',
        base: { trainSize: 200, testSize: 100 },
        runs: [
          { label: 'victim', model: 'tiny.json', method: 'tcl', epochs: 50 },
          { label: 'diverging', model: 'diverging.json', method: 'ep' },
          { label: 'good', model: 'tiny.json', method: 'ep' },
        ],
      },
      { baseDir: root },
    );
    const res = await runSweep(
      spec,
      {
        out: path.join(root, 'failures'),
        workers: 1,
        hooks: {
          onStart: (j) => {
            // The one child of this process running the victim: killed as a crash would.
            if (j.group === 'victim') for (const pid of execFileSync('pgrep', ['-P', String(process.pid), '-f', 'local-child']).toString().trim().split('\n')) process.kill(Number(pid), 'SIGKILL');
          },
        },
      },
    );
    const by = Object.fromEntries(res.records.map((r) => [r.group, r]));
    expect(by.victim.status).toBe('failed');
    expect(by.victim.error).toMatch(/^the run's process was killed \(SIGKILL\)/);
    expect(by.diverging.status).toBe('failed');
    expect(by.diverging.error).toMatch(/^training diverged: NaN\/Inf/);
    for (const r of [by.victim, by.diverging]) expect(r.error!.split('\n')).toHaveLength(1);
    expect(by.good.status).toBe('done');
    expect(by.good.summary!.testError).toBeLessThan(0.9);
    expect(res.counts.failed).toBe(2);
    expect(fs.readFileSync(path.join(root, 'failures', 'report.md'), 'utf8')).toMatch(/diverged/);
  }, 300_000);
});
