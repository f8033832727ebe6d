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

const tmp = process.env.KEEP_REPORT ? () => { fs.rmSync(process.env.KEEP_REPORT!, { recursive: true, force: true }); fs.mkdirSync(process.env.KEEP_REPORT!, { recursive: true }); return process.env.KEEP_REPORT!; } : tempDirs('tcl-seeds-');

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
    expect(names).toEqual(['learning-curves.png', 'learning-curves.svg', 'report.md', 'results.json', 'time-to-accuracy.png', 'time-to-accuracy.svg']);
    for (const f of files.filter((x) => x.endsWith('.png'))) {
      const { width, height } = checkPng(f);
      expect(width).toBeGreaterThan(800);
      expect(height).toBeGreaterThan(500);
    }
    const svg = fs.readFileSync(path.join(out, 'learning-curves.svg'), 'utf8');
    expect(svg).toContain('band: mean ± 1 sample sd');
    expect(svg).toContain('TCL (n = 2)');
    expect(svg).toContain('EP (n = 2, 1 failed)');
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
    expect(md).toContain(`| TCL | ${pctOf(meanTcl)} ± ${pctOf(sdTcl)} % |`);
    expect(md).toContain('| 2 / 1 |'); // EP: 2 done, 1 failed
    expect(md).toMatch(/- TCL − EP: [+−±][0-9.]+ ± [0-9.]+ points .*n = 2 seeds \(0, 1\).*not paired: seed 2 \(no TCL run, EP failed\)/);
    expect(md).toContain('best epoch (not the headline)');
    expect(md).toMatch(/EP seed 2 \(method-ep_seed-2\) failed: .*nonsense/);
    expect(md).toContain('![test error per epoch](learning-curves.png)');
  }, 120_000);

  it('the terminal table has the same rows, the paired line and the failed run', () => {
    const text = seedTable(records, { kind: 'compare' });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^method\s+test error, final epoch \(mean ± sd\)/);
    expect(lines.find((l) => l.startsWith('TCL '))).toMatch(/± [0-9.]+ %/);
    expect(text).toMatch(/TCL − EP: .*n = 2 seeds/);
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

  it('best epoch and final epoch differ when the error rises at the end', () => {
    const s = seedStatistics([record('TCL', { method: 'tcl' }, 0, [0.2, 0.1, 0.15])], { kind: 'compare' });
    expect(s.groups[0]!.finalTestError.mean).toBe(0.15);
    expect(s.groups[0]!.bestTestError.mean).toBe(0.1);
    expect(s.groups[0]!.perSeed[0]!.bestEpoch).toBe(2);
    expect(s.groups[0]!.finalTestError.sd).toBeNull(); // one seed
    expect(seedTable(s)).toContain('15.00 % (one seed)');
  });

  it('a seed twice in one group is an error naming both runs', () => {
    expect(() => seedStatistics([record('TCL', {}, 0, [0.1]), { ...record('TCL', {}, 0, [0.2]), id: 'again' }], { kind: 'compare' })).toThrow(/seed 0 twice \(runs TCL-0 and again\)/);
  });
});
