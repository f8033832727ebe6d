import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { energyNetwork } from '../layers/energy-network.ts';
import { disposePrepared, prepare, relax, zeroStates } from './dynamics.ts';

// relax keeps two steps' states alive, not all steps' intermediates (an evaluation chunk of 1,000
// images on 784-500-500-10 held 1.4 GB in one tidy scope over 60 steps).
describe('relax memory', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('peak bytes do not grow with the number of steps, and only the outputs survive', async () => {
    const net = energyNetwork({ layers: [50, 40, 40, 10], seed: 1, initScale: 0.5 });
    net.build([null, 50]);
    const x = tf.randomUniform([64, 50], 0, 1, 'float32', 2) as tf.Tensor2D;
    const p = prepare(net.couplings(), x);
    const peak = async (steps: number) => {
      const init = zeroStates(net.sizes, 64);
      const before = tf.memory().numTensors;
      let out: tf.Tensor2D[] = [];
      const info = await tf.profile(() => {
        out = relax(p, init, steps, { eps: 0.5 });
      });
      expect(tf.memory().numTensors - before).toBe(3);
      tf.dispose([...out, ...init]);
      return info.peakBytes - info.newBytes;
    };
    const p4 = await peak(4);
    const p40 = await peak(40);
    // One step's states are 64 × 90 floats (23 KB); 40 steps in one scope would hold ~40 × 5 of those.
    expect(p40).toBeLessThan(1.5 * p4);
    disposePrepared(p);
    x.dispose();
    net.dispose();
  });
});
