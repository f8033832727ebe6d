import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { disposePrepared, energy, freePhase, gradF, prepare, relax, totalEnergy, zeroStates, type Couplings } from './dynamics.ts';

function randomCouplings(layers: number[], scale: number, seed: number): Couplings {
  return {
    W: layers.slice(1).map((n, k) => tf.randomUniform([layers[k], n], -scale, scale, 'float32', seed + k) as tf.Tensor2D),
    b: layers.slice(1).map((n, k) => tf.randomUniform([n], -0.1, 0.1, 'float32', seed + 100 + k) as tf.Tensor1D),
  };
}

beforeAll(async () => {
  await initBackend();
});

describe('network dynamics', () => {
  it('the analytic dF/ds equals tf autodiff of F to 1e-5', () => {
    const layers = [30, 20, 15, 6];
    const c = randomCouplings(layers, 0.3, 1);
    const x = tf.randomUniform([4, 30], 0, 1, 'float32', 7) as tf.Tensor2D;
    // States strictly inside (0,1), where rho is the identity and F is smooth.
    const s = layers.slice(1).map((n, k) => tf.randomUniform([4, n], 0.05, 0.95, 'float32', 20 + k) as tf.Tensor2D);
    const target = tf.oneHot(tf.tensor1d([1, 0, 5, 3], 'int32'), 6).toFloat() as tf.Tensor2D;
    for (const beta of [0, 0.7, -0.3]) {
      const p = prepare(c, x);
      const analytic = gradF(p, s, beta, target);
      const auto = tf.grads((...st: tf.Tensor[]) => tf.sum(totalEnergy(c, x, st as tf.Tensor2D[], beta, target)))(s);
      analytic.forEach((a, k) => {
        const diff = tf.max(tf.abs(tf.sub(a, auto[k]))).dataSync()[0];
        expect(diff).toBeLessThan(1e-5);
      });
      disposePrepared(p);
    }
  });

  it('energy decreases monotonically along the free phase (eps = 0.5, hard sigmoid, random weights) and states stay in [0,1]', () => {
    const layers = [784, 500, 10];
    // Glorot-uniform x 1/2 as in the paper's setting.
    const lim = (a: number, b: number) => 0.5 * Math.sqrt(6 / (a + b));
    const c: Couplings = {
      W: [tf.randomUniform([784, 500], -lim(784, 500), lim(784, 500), 'float32', 3) as tf.Tensor2D, tf.randomUniform([500, 10], -lim(500, 10), lim(500, 10), 'float32', 4) as tf.Tensor2D],
      b: [tf.randomUniform([500], -0.05, 0.05, 'float32', 5) as tf.Tensor1D, tf.randomUniform([10], -0.05, 0.05, 'float32', 6) as tf.Tensor1D],
    };
    const x = tf.randomUniform([20, 784], 0, 1, 'float32', 8) as tf.Tensor2D;
    const p = prepare(c, x);
    let s = zeroStates(layers, 20);
    let prev = energy(c, x, s).dataSync();
    for (let step = 0; step < 40; step++) {
      const next = relax(p, s, 1, { eps: 0.5 });
      s.forEach((t) => t.dispose());
      s = next;
      const e = energy(c, x, s).dataSync();
      for (let i = 0; i < e.length; i++) expect(e[i]).toBeLessThanOrEqual(prev[i] + 1e-4);
      prev = e;
      for (const t of s) {
        expect(tf.min(t).dataSync()[0]).toBeGreaterThanOrEqual(0);
        expect(tf.max(t).dataSync()[0]).toBeLessThanOrEqual(1);
      }
    }
    disposePrepared(p);
  });

  it('relaxation leaves no tensors behind after 100 calls', () => {
    const layers = [50, 30, 10];
    const c = randomCouplings(layers, 0.2, 11);
    const x = tf.randomUniform([8, 50], 0, 1, 'float32', 12) as tf.Tensor2D;
    const init = zeroStates(layers, 8);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const p = prepare(c, x);
      const s = freePhase(p, init, 5, 0.5);
      s.forEach((t) => t.dispose());
      disposePrepared(p);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
