import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/tmp-dirs.ts';
import { initBackend } from '../backend.ts';
import { loadDataset } from '../data/index.ts';
import type { RunRecord } from '../sweep/types.ts';
import { trainNetwork, type TrainSummary } from '../training/train.ts';
import type { EpochMetrics } from '../training/loop.ts';
import type { MethodName } from '../training/types.ts';
import { seedStatistics, seedTable, writeSeedReport } from './seeds.ts';

const tmp = tempDirs('tcl-seeds-');

/** A PNG is valid when its chunks' CRCs match and its IDAT inflates to height × (1 + width × bytes per pixel) bytes. */
function checkPng(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  expect(Array.from(b.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const x of buf) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  let type = '';
  while (off < b.length) {
    const len = b.readUInt32BE(off);
    type = b.toString('latin1', off + 4, off + 8);
    const body = b.subarray(off + 8, off + 8 + len);
    expect(b.readUInt32BE(off + 8 + len), `CRC of ${type}`).toBe(crc(b.subarray(off + 4, off + 8 + len)));
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8]).toBe(8); // bit depth
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[body[9]!]!;
    }
    if (type === 'IDAT') idat.push(body);
    off += 12 + len;
  }
  expect(type).toBe('IEND');
  expect(zlib.inflateSync(Buffer.concat(idat)).length).toBe(height * (1 + width * channels));
  return { width, height };
}

describe('writeSeedReport on real runs (200 MNIST images, 2 epochs, TCL and EP × seeds 0 and 1)', () => {
  const records: RunRecord[] = [];
  let out: string;

  beforeAll(async () => {
    await initBackend();
    const data = await loadDataset({ split: 'paper', trainSize: 200, testSize: 100 });
    out = tmp();
    for (const method of ['tcl', 'ep'] as MethodName[]) {
      for (const seed of [0, 1]) {
        const id = `method-${method}_seed-${seed}`;
        const dir = path.join(out, id);
        const { net, summary } = await trainNetwork({ method, data, epochs: 2, seed, out: dir });
        net.dispose();
        records.push({ id, config: { method, epochs: 2, trainSize: 200, testSize: 100, seed }, group: method.toUpperCase(), seed, status: 'done', summary, dir });
      }
    }
    // A third EP seed whose run really fails (an invalid dead zone): it must be listed, not dropped.
    const error = await trainNetwork({ method: 'ep', data, epochs: 2, seed: 2, deadZone: 'nonsense' }).then(
      () => 'unexpectedly trained',
      (e: Error) => e.message,
    );
    records.push({ id: 'method-ep_seed-2', config: { method: 'ep', epochs: 2, trainSize: 200, testSize: 100, seed: 2 }, group: 'EP', seed: 2, status: 'failed', error, dir: path.join(out, 'method-ep_seed-2') });
  }, 240_000);

  it('writes report.md, results.json and valid PNG + SVG plots', async () => {
    const files = await writeSeedReport(out, records, { kind: 'compare', command: 'tfjs-tcl compare --seeds 0,1', backend: 'wasm', startedAt: new Date('2026-01-01T00:00:00Z'), seconds: 12 });
    const names = files.map((f) => path.relative(out, f)).sort();
    expect(names).toEqual(['final-error.png', 'final-error.svg', 'learning-curves.png', 'learning-curves.svg', 'report.md', 'results.json', 'time-to-accuracy.png', 'time-to-accuracy.svg']);
    for (const f of files.filter((x) => x.endsWith('.png'))) {
      const { width, height } = checkPng(f);
      expect(width).toBeGreaterThan(800);
      expect(height).toBeGreaterThan(f.endsWith('final-error.png') ? 200 : 500);
    }
    const svg = fs.readFileSync(path.join(out, 'learning-curves.svg'), 'utf8');
    expect(svg).toContain('band: mean ± 1 sample sd');
    expect(svg).toContain('TCL (n = 2)');
    expect(svg).toContain('EP (n = 2, 1 failed)');
    const dots = fs.readFileSync(path.join(out, 'final-error.svg'), 'utf8');
    expect(dots).toContain('95 % t-interval of the mean');
    // One dot per finished seed (4), one mean tick and one interval bar per group (2 each).
    const marks = (cls: string) => (dots.match(new RegExp(`<g class="${cls}[^"]*"[^>]*>(.*?)</g>`, 's'))?.[1].match(/<(path|line)/g) ?? []).length;
    expect(marks('mark-symbol role-mark')).toBe(4);
    expect(marks('mark-rect role-mark')).toBe(2);
    expect(marks('mark-rule role-mark')).toBe(2);
    // No temp files left behind by the atomic writes.
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // results.json: every record, every seed's per-epoch curve, the failed run with its error.
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.runs).toHaveLength(5);
    for (const r of records) {
      const saved = results.runs.find((x: { id: string }) => x.id === r.id);
      expect(saved.status).toBe(r.status);
      if (r.status === 'done') {
        expect(saved.summary.metrics.map((m: EpochMetrics) => m.testError)).toEqual(r.summary!.metrics.map((m) => m.testError));
        expect(saved.summary.metrics).toHaveLength(2);
      } else {
        expect(saved.error).toMatch(/nonsense/);
      }
    }

    // Group statistics against an independent computation from the two summaries: for two values
    // the mean is (a + b) / 2 and the sample sd |a − b| / √2.
    const final = (g: string, seed: number) => records.find((r) => r.group === g && r.seed === seed)!.summary!.testError;
    const ep = results.groups.find((g: { group: string }) => g.group === 'EP');
    const tcl = results.groups.find((g: { group: string }) => g.group === 'TCL');
    expect(tcl.finalTestError.n).toBe(2);
    expect(tcl.finalTestError.mean).toBeCloseTo((final('TCL', 0) + final('TCL', 1)) / 2, 12);
    expect(tcl.finalTestError.sd).toBeCloseTo(Math.abs(final('TCL', 0) - final('TCL', 1)) / Math.SQRT2, 12);
    expect(ep.seeds).toEqual([0, 1, 2]);
    expect(ep.done).toEqual([0, 1]);
    expect(ep.failed).toEqual([{ seed: 2, id: 'method-ep_seed-2', error: expect.stringMatching(/nonsense/) }]);
    expect(ep.curve.map((c: { epoch: number; n: number }) => [c.epoch, c.n])).toEqual([[1, 2], [2, 2]]);

    // The paired line: TCL − EP over seeds 0 and 1; EP's seed 2 is named as not paired.
    const d0 = final('TCL', 0) - final('EP', 0);
    const d1 = final('TCL', 1) - final('EP', 1);
    const pair = results.paired[0];
    expect(pair.label).toBe('TCL − EP');
    expect(pair.seeds).toEqual([0, 1]);
    expect(pair.unpaired).toEqual([{ seed: 2, reason: 'no TCL run, EP failed' }]);
    expect(pair.mean).toBeCloseTo((d0 + d1) / 2, 12);
    // n = 2: t_{0.975, 1} = 12.706, half-width 12.706 · sd / √2
    expect(pair.ci95.halfWidth).toBeCloseTo((12.706 * (Math.abs(d0 - d1) / Math.SQRT2)) / Math.SQRT2, 4);

    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    const pctOf = (v: number) => (100 * v).toFixed(2);
    const meanTcl = (final('TCL', 0) + final('TCL', 1)) / 2;
    const sdTcl = Math.abs(final('TCL', 0) - final('TCL', 1)) / Math.SQRT2;
    expect(md).toContain(`| TCL | ${pctOf(meanTcl)} ± ${pctOf(sdTcl)}% |`);
    expect(md).toContain('| 2 / 1 |'); // EP: 2 done, 1 failed
    const sdPair = Math.abs(d0 - d1) / Math.SQRT2;
    const sgn = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(100 * v).toFixed(2)}`;
    expect(md).toContain(`| TCL − EP | ${sgn((d0 + d1) / 2)} ± ${pctOf(sdPair)} | `);
    expect(md).toMatch(/\| TCL − EP \|.*\| 2 \| 0, 1 \| (yes: not told apart from seed noise|no) \| seed 2 \(no TCL run, EP failed\) \|/);
    expect(md).toContain('best epoch (not the headline)');
    expect(md).toMatch(/EP seed 2 \(method-ep_seed-2\) failed: .*nonsense/);
    expect(md).toContain('![test error per epoch](learning-curves.png)');
  }, 120_000);

  it('the terminal table has the same rows, the paired line and the failed run', () => {
    const text = seedTable(records, { kind: 'compare' });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^method\s+final test error\s+min–max\s+95 % CI\s+done\/failed\s+epochs\s+s\/epoch\s+best epoch\*$/);
    expect(lines[3]).toMatch(/^final test error: after the last epoch, mean ± sample sd .*best epoch: not the headline/);
    expect(lines.find((l) => l.startsWith('TCL '))).toMatch(/± [0-9.]+%/);
    expect(text).toMatch(/TCL − EP: [+−±][0-9.]+ ± [0-9.]+ points, 95 % CI .* n = 2 \(seeds 0, 1\): (contains|excludes) 0; not paired: seed 2/);
    expect(text).toMatch(/EP seed 2 .* failed: /);
  });
});

/** A finished run's record with the given test error per epoch (for the pairing rules; the statistics are checked above on real runs). */
function record(group: string, config: Record<string, string | number>, seed: number, errors: number[]): RunRecord {
  const metrics = errors.map((testError, i) => ({ epoch: i + 1, testError, seconds: 1, trainErrorRunning: 0.5, trainError: null, evalSeconds: 0, examplesPerSecond: 1, evalRelaxationSteps: 1, lrScale: 1, breakdownMs: {} }));
  const summary = { testError: errors.at(-1)!, metrics, secondsPerEpoch: 1, interrupted: false, epochs: errors.length } as unknown as TrainSummary;
  return { id: `${group}-${seed}`, config: { ...config, seed }, group, seed, status: 'done', summary, dir: `/tmp/${group}-${seed}` };
}

describe('which pairs are compared', () => {
  it('compare: TCL minus every other method, whatever groups are present', () => {
    const recs = ['EP', 'TCL', 'BP', 'TCL (reversed sawtooth)'].flatMap((g) => [0, 1, 2].map((s) => record(g, { method: g }, s, [0.1])));
    const s = seedStatistics(recs, { kind: 'compare' });
    expect(s.paired.map((p) => p.label)).toEqual(['TCL − EP', 'TCL − BP', 'TCL − TCL (reversed sawtooth)']);
    expect(seedStatistics(recs.filter((r) => r.group !== 'TCL'), { kind: 'compare' }).paired.map((p) => p.label)).toEqual(['EP − BP', 'EP − TCL (reversed sawtooth)']);
  });

  it('sweep: one factor at a time against the first value of the spec’s grid, the other keys held fixed', () => {
    const recs: RunRecord[] = [];
    for (const dz of ['fixed', 'quantile:0.99']) for (const pr of ['sawtooth', 'reversed']) for (const seed of [0, 1, 2]) {
      const err = 0.1 + (dz === 'fixed' ? 0 : 0.01) + (pr === 'reversed' ? 0.3 : 0) + 0.001 * seed * (dz === 'fixed' ? 1 : 2);
      recs.push(record(`deadZone=${dz}, protocol=${pr}`, { method: 'tcl', deadZone: dz, protocol: pr }, seed, [0.5, err]));
    }
    const s = seedStatistics(recs, { kind: 'sweep', grid: { deadZone: ['fixed', 'quantile:0.99'], protocol: ['sawtooth', 'reversed'] } });
    expect(s.varyingKeys).toEqual(['deadZone', 'protocol']);
    expect(s.paired.map((p) => `${p.label} [${p.context}]`)).toEqual([
      'deadZone=quantile:0.99 − deadZone=fixed [protocol=sawtooth]',
      'deadZone=quantile:0.99 − deadZone=fixed [protocol=reversed]',
      'protocol=reversed − protocol=sawtooth [deadZone=fixed]',
      'protocol=reversed − protocol=sawtooth [deadZone=quantile:0.99]',
    ]);
    // quantile − fixed per seed: 0.01 + 0.001·seed → 0.010, 0.011, 0.012: mean 0.011, sd 0.001
    expect(s.paired[0]!.mean).toBeCloseTo(0.011, 12);
    expect(s.paired[0]!.sd).toBeCloseTo(0.001, 12);
    // The final epoch is the headline, the best epoch (here the last, the curve falls) is beside it.
    expect(s.groups[0]!.finalTestError.mean).toBeCloseTo(0.101, 12);
    expect(s.groups[0]!.curve.map((c) => c.mean)).toEqual([0.5, expect.closeTo(0.101, 12)]);
  });

  it('the paired line says whether the 95 % interval contains 0 (the issue’s TCL − EP does, a clear gap does not)', () => {
    const tcl = [0.056, 0.0485, 0.0435, 0.044];
    const ep = [0.046, 0.048, 0.041, 0.043];
    const recs = [...tcl.map((e, s) => record('TCL', { method: 'tcl' }, s, [e])), ...ep.map((e, s) => record('EP', { method: 'ep' }, s, [e]))];
    const lines = seedTable(recs, { kind: 'compare' }).split('\n');
    // 0.35 ± 0.44 points, half-width 0.70 (hand computation in stats.test.ts)
    expect(lines.find((l) => l.includes('TCL − EP'))).toBe('  TCL − EP: +0.35 ± 0.44 points, 95 % CI −0.35 to +1.05, n = 4 (seeds 0, 1, 2, 3): contains 0');
    const bp = [0.1, 0.11, 0.105, 0.1];
    const withBp = [...recs, ...bp.map((e, s) => record('BP', { method: 'bp' }, s, [e]))];
    // differences −4.40, −6.15, −6.15, −5.60: mean −5.575, sd √(2.0425 / 3) = 0.825, half-width 3.182 · 0.825 / 2 = 1.31
    expect(seedTable(withBp, { kind: 'compare' })).toMatch(/TCL − BP: −5\.5[78] ± 0\.83 points, 95 % CI −6\.8[89] to −4\.2[67], .*: excludes 0/);
  });

  it('best epoch and final epoch differ when the error rises at the end', () => {
    const s = seedStatistics([record('TCL', { method: 'tcl' }, 0, [0.2, 0.1, 0.15])], { kind: 'compare' });
    expect(s.groups[0]!.finalTestError.mean).toBe(0.15);
    expect(s.groups[0]!.bestTestError.mean).toBe(0.1);
    expect(s.groups[0]!.perSeed[0]!.bestEpoch).toBe(2);
    expect(s.groups[0]!.finalTestError.sd).toBeNull(); // one seed
    expect(seedTable(s)).toContain('15.00% (one seed)');
  });

  it('an interrupted run is listed with how far it got, not averaged with finished ones', () => {
    const stopped = record('EP', { method: 'ep' }, 1, [0.3]);
    stopped.summary = { ...stopped.summary!, interrupted: true };
    const s = seedStatistics([record('EP', { method: 'ep' }, 0, [0.3, 0.2]), stopped], { kind: 'compare' });
    expect(s.groups[0]!.done).toEqual([0]);
    expect(s.groups[0]!.failed).toEqual([{ seed: 1, id: 'EP-1', error: 'interrupted after 1 epoch(s)' }]);
    expect(s.groups[0]!.finalTestError.mean).toBe(0.2);
  });

  it('a run whose last epoch has no finite test error is listed as not finished, not reported at an earlier epoch', () => {
    const s = seedStatistics([record('TCL', {}, 0, [0.3, 0.2]), record('TCL', {}, 1, [0.3, NaN])], { kind: 'compare' });
    expect(s.groups[0]!.done).toEqual([0]);
    expect(s.groups[0]!.failed[0]!.error).toBe('test error of the last epoch (2) is NaN');
    expect(s.groups[0]!.finalTestError.mean).toBe(0.2);
  });

  it('every run failed: the report still says what happened, with valid plots and no statistics', async () => {
    const out = tmp();
    const failed = (g: string, seed: number): RunRecord => ({ id: `${g}-${seed}`, config: { method: g.toLowerCase(), seed }, group: g, seed, status: 'failed', error: `${g} seed ${seed}: weights became NaN`, dir: path.join(out, `${g}-${seed}`) });
    const recs = [failed('TCL', 0), failed('TCL', 1), failed('EP', 0), failed('EP', 1)];
    const files = await writeSeedReport(out, recs, { kind: 'compare', command: 'x', backend: 'wasm', startedAt: new Date(), seconds: 1 });
    for (const f of files.filter((x) => x.endsWith('.png'))) checkPng(f);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('No run finished.');
    expect(md).toContain('| TCL | — | — | — | 0 / 2 |');
    expect(md).toContain('- EP seed 1 (EP-1) failed: EP seed 1: weights became NaN');
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.runs.map((r: { error: string }) => r.error)).toEqual(recs.map((r) => r.error));
    expect(results.paired[0]).toMatchObject({ label: 'TCL − EP', n: 0, mean: null });
  });

  it('a seed twice in one group is an error naming both runs', () => {
    expect(() => seedStatistics([record('TCL', {}, 0, [0.1]), { ...record('TCL', {}, 0, [0.2]), id: 'again' }], { kind: 'compare' })).toThrow(/seed 0 twice \(runs TCL-0 and again\)/);
  });
});
