/** Error rate of a network on a set of examples (relaxation from s = 0 or the feed-forward pass). */
import * as tf from '@tensorflow/tfjs';
import type { Examples } from '../data/index.ts';
import type { EnergyNetwork } from '../layers/energy-network.ts';

export interface EvalResult {
  error: number;
  /** Largest number of relaxation steps a chunk needed until its predictions stopped changing (0 for feed-forward). */
  relaxationSteps: number;
  n: number;
}

/**
 * Test error: the fraction of examples whose argmax of the network's output differs from the label.
 *
 *   const { error } = evaluate(net, data.test);
 */
export function evaluate(net: EnergyNetwork, ex: Examples, chunk = 1000): EvalResult {
  let wrong = 0;
  let steps = 0;
  for (let i0 = 0; i0 < ex.n; i0 += chunk) {
    const n = Math.min(chunk, ex.n - i0);
    const pred = tf.tidy(() => {
      const x = tf.tensor2d(ex.images.subarray(i0 * ex.inputSize, (i0 + n) * ex.inputSize), [n, ex.inputSize]);
      return tf.argMax(net.predict(x) as tf.Tensor2D, 1);
    });
    const p = pred.dataSync();
    pred.dispose();
    steps = Math.max(steps, net.lastPredictSteps);
    for (let i = 0; i < n; i++) if (p[i] !== ex.labels[i0 + i]) wrong++;
  }
  return { error: ex.n ? wrong / ex.n : NaN, relaxationSteps: steps, n: ex.n };
}
