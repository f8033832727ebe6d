/** Sweep specs: every bad key or value is one line naming it and where it sits, before anything runs; expansion and run ids. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TclError } from '../errors.ts';
import { canonicalSpec, expandSpec, validateSpec } from './spec.ts';

const ISSUE_SPEC = {
  name: 'dead-zone',
  base: { dataset: 'mnist', split: 'paper', trainSize: 2000, testSize: 500, epochs: 2 },
  grid: { method: ['tcl'], deadZone: ['fixed', 'quantile:0.99'], seed: [0, 1, 2] },
};

async function errorOf(raw: unknown): Promise<TclError> {
  const e = await validateSpec(raw, { where: 'x.json' }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TclError);
  const err = e as TclError;
  expect(err.message.split('\n'), err.message).toHaveLength(1);
  return err;
}

describe('validateSpec', () => {
  it('accepts the issue’s dead-zone spec', async () => {
    const spec = await validateSpec(ISSUE_SPEC);
    expect(spec.grid.seed).toEqual([0, 1, 2]);
  });

  it.each([
    [{ ...ISSUE_SPEC, base: { ...ISSUE_SPEC.base, learningRate: 0.1 } }, /x\.json: base: unknown key 'learningRate'/],
    [{ ...ISSUE_SPEC, base: { 'dead-zone': 'fixed' } }, /base: unknown key 'dead-zone' \(did you mean 'deadZone'\?\)/],
    [{ ...ISSUE_SPEC, grid: { ...ISSUE_SPEC.grid, tau: [1, 2] } }, /grid: unknown key 'tau'/],
    [{ ...ISSUE_SPEC, grid: { ...ISSUE_SPEC.grid, deadZone: ['fixed', 'quantile:2'] } }, /grid\.deadZone\[1\]: dead zone must be 'fixed' or 'quantile:Q'.*got 'quantile:2'/],
    [{ ...ISSUE_SPEC, grid: { ...ISSUE_SPEC.grid, method: ['tcl', 'hebb'] } }, /grid\.method\[1\]: expected one of tcl, ep, bp, got "hebb"/],
    [{ ...ISSUE_SPEC, base: { ...ISSUE_SPEC.base, epochs: 0 } }, /base\.epochs: expected an integer >= 1, got 0/],
    [{ ...ISSUE_SPEC, base: { ...ISSUE_SPEC.base, lrSchedule: 'cosine:3' } }, /base\.lrSchedule: lr schedule must be/],
    [{ ...ISSUE_SPEC, base: { ...ISSUE_SPEC.base, model: 'no-such-net' } }, /base\.model: unknown model preset 'no-such-net'/],
    [{ ...ISSUE_SPEC, base: { ...ISSUE_SPEC.base, dataset: 'cifar' } }, /dataset: unknown dataset 'cifar' \(known: mnist, fashion-mnist/],
    [{ ...ISSUE_SPEC, base: { ...ISSUE_SPEC.base, seed: 1 } }, /grid\.seed: also set in base/],
    [{ ...ISSUE_SPEC, grid: { seed: [] } }, /grid\.seed: expected a non-empty list/],
    [{ ...ISSUE_SPEC, grid: { seed: [1, 1] } }, /grid\.seed: value 1 listed twice/],
    [{ ...ISSUE_SPEC, grids: {} }, /unknown top-level key 'grids'/],
    [{ ...ISSUE_SPEC, base: { ...ISSUE_SPEC.base, out: 'somewhere' } }, /base: unknown key 'out' \(the sweep sets each run’s directory itself\)/],
    [{ ...ISSUE_SPEC, runs: [{ label: 'A', method: 'tcl' }] }, /grid\.method: also set in runs\[0\]/],
    [[1, 2], /x\.json: a sweep spec is a JSON object/],
  ])('refuses %j with one line naming the key', async (raw, msg) => {
    expect((await errorOf(raw)).message).toMatch(msg);
  });
});

describe('expandSpec', () => {
  it('is the cartesian product, named by the keys that vary, grouped by everything but the seed', async () => {
    const jobs = expandSpec(await validateSpec(ISSUE_SPEC), '/tmp/sweep/runs');
    // method has one value: it does not vary, so it names nothing.
    expect(jobs.map((j) => j.id)).toEqual([
      'deadZone-fixed_seed-0',
      'deadZone-fixed_seed-1',
      'deadZone-fixed_seed-2',
      'deadZone-quantile-0.99_seed-0',
      'deadZone-quantile-0.99_seed-1',
      'deadZone-quantile-0.99_seed-2',
    ]);
    expect(jobs.map((j) => j.group)).toEqual(['deadZone=fixed', 'deadZone=fixed', 'deadZone=fixed', 'deadZone=quantile:0.99', 'deadZone=quantile:0.99', 'deadZone=quantile:0.99']);
    expect(jobs.map((j) => j.seed)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(jobs[4].config).toEqual({ ...ISSUE_SPEC.base, method: 'tcl', deadZone: 'quantile:0.99', seed: 1 });
    expect(jobs[4].dir).toBe(path.resolve('/tmp/sweep/runs', 'deadZone-quantile-0.99_seed-1'));
  });

  it('crosses a runs list (labels name the groups) with the grid, as compare does', async () => {
    const spec = await validateSpec({
      name: 'compare',
      base: { epochs: 1 },
      runs: [{ label: 'TCL', method: 'tcl' }, { label: 'EP', method: 'ep' }, { label: 'TCL (reversed sawtooth)', method: 'tcl', protocol: 'reversed' }],
      grid: { seed: [3, 7] },
    });
    const jobs = expandSpec(spec, 'r');
    expect(jobs.map((j) => [j.id, j.group, j.seed])).toEqual([
      ['method-tcl_seed-3', 'TCL', 3],
      ['method-tcl_seed-7', 'TCL', 7],
      ['method-ep_seed-3', 'EP', 3],
      ['method-ep_seed-7', 'EP', 7],
      ['method-tcl_protocol-reversed_seed-3', 'TCL (reversed sawtooth)', 3],
      ['method-tcl_protocol-reversed_seed-7', 'TCL (reversed sawtooth)', 7],
    ]);
    // The stored form validates to itself (a re-run compares it byte for byte).
    expect(canonicalSpec(await validateSpec(JSON.parse(canonicalSpec(spec))))).toBe(canonicalSpec(spec));
  });

  it('names a single run `run` and a sweep without a grid after the spec', async () => {
    const jobs = expandSpec(await validateSpec({ name: 'one', base: { method: 'ep' } }), 'r');
    expect(jobs.map((j) => [j.id, j.group, j.seed])).toEqual([['run', 'one', 0]]);
  });
});
