import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSameValues } from '../../test/arrays.ts';
import { tempDirs } from '../../test/tmp-dirs.ts';
import { initBackend } from '../backend.ts';
import { loadDataset, oneHot } from '../data/index.ts';
import { TclError } from '../errors.ts';
import { Rng } from '../rng.ts';
import { makeMethod, networkFromPreset } from './build.ts';
import { lrScale, parseLrSchedule } from './preset.ts';
import { loadPreset } from './preset-files.ts';
import { trainNetwork } from './train.ts';
import type { MethodName } from './types.ts';

const tmp = tempDirs('tcl-sched-');

beforeAll(async () => {
  await initBackend();
});

describe('learning-rate schedules', () => {
  it('parses constant, exp:G and cosine[:F], and names a bad one in one line', () => {
    expect(parseLrSchedule('constant')).toEqual({ kind: 'constant' });
    expect(parseLrSchedule('exp:0.9')).toEqual({ kind: 'exp', gamma: 0.9 });
    expect(parseLrSchedule('cosine')).toEqual({ kind: 'cosine', floor: 0 });
    expect(parseLrSchedule('cosine:0.05')).toEqual({ kind: 'cosine', floor: 0.05 });
    for (const bad of ['exp:0', 'exp:1.5', 'cosine:2', 'linear', 'exp:']) {
      expect(() => parseLrSchedule(bad)).toThrow(TclError);
      expect(() => parseLrSchedule(bad)).toThrow(new RegExp(`got '${bad}'`));
    }
  });

  it('gives the closed-form factors: exp steps per epoch, cosine anneals from 1 to F', () => {
    const exp = parseLrSchedule('exp:0.5');
    expect([0, 0.99, 1, 2.5].map((p) => lrScale(exp, p, 10))).toEqual([1, 1, 0.5, 0.25]);
    const cos = parseLrSchedule('cosine:0.1');
    expect(lrScale(cos, 0, 8)).toBeCloseTo(1, 12);
    expect(lrScale(cos, 4, 8)).toBeCloseTo(0.55, 12);
    expect(lrScale(cos, 2, 8)).toBeCloseTo(0.1 + 0.9 * (0.5 + Math.SQRT1_2 / 2), 12);
    expect(lrScale(cos, 8, 8)).toBeCloseTo(0.1, 12);
    expect(lrScale(parseLrSchedule('constant'), 7, 8)).toBe(1);
  });

  // Every method's update is linear in its learning rate (TCL's dead zone acts on u, not on the
  // step), so a step at factor 0.3 must move the weights 0.3 times as far as a step at factor 1.
  for (const method of ['ep', 'tcl', 'bp'] as MethodName[]) {
    it(`${method.toUpperCase()} scales its step by the schedule's factor`, async () => {
      const data = await loadDataset({ split: 'paper', trainSize: 20, testSize: 20 });
      const x = tf.tensor2d(data.train.images, [20, 784]);
      const target = tf.tensor2d(oneHot(data.train.labels, 10), [20, 10]);
      const change = (scale: number) => {
        const net = networkFromPreset(loadPreset(), 3, method);
        const before = net.getWeights().map((w) => w.dataSync().slice());
        const m = makeMethod(method, loadPreset());
        const res = m.step(net, { x, target }, { rng: new Rng(4), lastBatchOfEpoch: false, lrScale: scale });
        res.output.dispose();
        res.free?.forEach((t) => t.dispose());
        const after = net.couplingLayers.map((l) => (l.kernel.read() as tf.Tensor).dataSync().slice());
        m.dispose?.();
        net.dispose();
        // Kernel of the first coupling (the biggest group), before minus after.
        return after[0].map((v, i) => v - before[0][i]);
      };
      const full = change(1);
      const part = change(0.3);
      let num = 0;
      let den = 0;
      for (let i = 0; i < full.length; i++) {
        num += (part[i] - 0.3 * full[i]) ** 2;
        den += (0.3 * full[i]) ** 2;
      }
      expect(den).toBeGreaterThan(0);
      expect(Math.sqrt(num / den)).toBeLessThan(1e-3);
      x.dispose();
      target.dispose();
    });
  }

  it('a run stopped mid-epoch under a cosine schedule resumes to exactly the uninterrupted weights', async () => {
    const small = await loadDataset({ split: 'paper', trainSize: 300, testSize: 100 });
    const fullRun = await trainNetwork({ method: 'ep', data: small, epochs: 2, seed: 2, lrSchedule: 'cosine' });
    const dir = tmp();
    let batches = 0;
    await trainNetwork({ method: 'ep', data: small, epochs: 2, seed: 2, lrSchedule: 'cosine', out: dir, shouldStop: () => ++batches === 19 });
    const resumed = await trainNetwork({ data: small, resume: dir });
    const a = fullRun.net.getWeights();
    resumed.net.getWeights().forEach((t, i) => expectSameValues(t.dataSync(), a[i].dataSync(), `weights ${i}`));
    // The schedule really ran: the second epoch started at cos(π/2) → 0.5 of the lr.
    expect(resumed.summary.metrics.map((m) => m.lrScale)).toEqual([1, expect.closeTo(0.5, 12)]);
  });
});
