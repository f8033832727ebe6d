/** The sweep's overall ETA on a hand-worked schedule. */
import { expect, it } from 'vitest';
import { SweepEta } from './eta.ts';
import type { RunJob } from './types.ts';

const job = (id: string, group: string): RunJob => ({ id, group, config: {}, seed: 0, dir: `/tmp/${id}` });

it('estimates waiting runs from their own group and spreads the remaining run-seconds over the workers', () => {
  const eta = new SweepEta([job('a1', 'A'), job('b1', 'B'), job('a2', 'A'), job('b2', 'B')], 2);
  expect(eta.state(0).etaSeconds).toBeNull(); // nothing has progressed: no estimate, not a guess
  eta.start('a1', 0);
  eta.start('b1', 0);
  eta.progress({ id: 'a1', epoch: 1, epochs: 1, batch: 5, batches: 10, runningError: 0.5 }, 10);
  eta.progress({ id: 'b1', epoch: 1, epochs: 2, batch: 50, batches: 100, runningError: 0.5 }, 10);
  // At t = 10 s: a1 is half done (20 s projected), b1 a quarter (40 s). Left: a1 10, b1 30, a2 20, b2 40 = 100 run-s on 2 workers.
  const s = eta.state(10);
  expect(s.etaSeconds).toBeCloseTo(50, 9);
  expect(s.fraction).toBeCloseTo(20 / 120, 9);
  expect([s.running, s.done, s.runs]).toEqual([2, 0, 4]);
  // a1 ends at 20 s; a2 starts. Left at t = 20: b1 20, a2 20, b2 40 = 80 run-s on 2 workers = 40 s.
  eta.end({ id: 'a1', group: 'A', config: {}, seed: 0, dir: '/tmp/a1', status: 'done' }, 20);
  eta.start('a2', 20);
  expect(eta.state(20).etaSeconds).toBeCloseTo(40, 9);
  expect(eta.state(20).done).toBe(1);
});

it('a sweep whose runs were all finished before is done, with nothing left', () => {
  const eta = new SweepEta([job('a1', 'A'), job('a2', 'A')], 2);
  eta.skip('a1');
  eta.skip('a2');
  expect(eta.state(0)).toEqual({ runs: 2, done: 2, failed: 0, running: 0, fraction: 1, etaSeconds: 0 });
});
