import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { deadZone, nonlinearity, nonlinearityTf, smoothDeadZone } from './nonlinearity.ts';

beforeAll(async () => {
  await initBackend();
});

describe('dead zone', () => {
  it('passes |u| >= theta unchanged and blocks the rest, on numbers', () => {
    expect(deadZone(0.99, 1)).toBe(0);
    expect(deadZone(-0.5, 1)).toBe(0);
    expect(deadZone(1, 1)).toBe(1);
    expect(deadZone(-3, 1)).toBe(-3);
  });

  it('works element-wise on Float32Array and Float64Array, keeping the type', () => {
    const r = deadZone(new Float32Array([0.5, -2, 1.5, -0.1]), 1);
    expect(r).toBeInstanceOf(Float32Array);
    expect(Array.from(r)).toEqual([0, -2, 1.5, 0]);
    const out = new Float64Array(2);
    expect(deadZone(new Float64Array([3, 0.2]), 1, out)).toBe(out);
    expect(Array.from(out)).toEqual([3, 0]);
  });

  it('has a smooth variant that is ≈ 0 well below theta, ≈ u well above, u/2 at theta', () => {
    expect(Math.abs(smoothDeadZone(0.2, 1))).toBeLessThan(1e-4);
    expect(smoothDeadZone(10, 1)).toBeCloseTo(10, 4);
    expect(smoothDeadZone(-1, 1)).toBeCloseTo(-0.5, 12);
    expect(smoothDeadZone(0, 1)).toBe(0);
  });

  it('the tensor version matches the scalar one for every g', () => {
    const u = [-30, -11.2, -11, -3, 0, 2, 11.1, 11.2, 50];
    for (const name of ['deadzone', 'linear', 'smooth'] as const) {
      const g = nonlinearity({ name, theta: 100 / 9 });
      const t = nonlinearityTf(name, tf.tensor1d(u), 100 / 9);
      const got = Array.from(t.dataSync());
      t.dispose();
      u.forEach((v, i) => expect(got[i]).toBeCloseTo(g(v), 3));
    }
  });
});
