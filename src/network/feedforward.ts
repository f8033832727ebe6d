/** The couplings read as a feed-forward MLP (the backprop baseline): sigmoid hidden layers, linear logits. */
import * as tf from '@tensorflow/tfjs';
import type { Couplings } from './dynamics.ts';

/** Forward pass; returns the activations (input first, then each hidden layer) and the logits. */
export function mlpForward(c: Couplings, x: tf.Tensor2D): { acts: tf.Tensor2D[]; logits: tf.Tensor2D } {
  return tf.tidy(() => {
    const acts: tf.Tensor2D[] = [x];
    let a = x;
    const L = c.W.length;
    for (let k = 0; k < L - 1; k++) {
      a = tf.sigmoid(tf.add(tf.matMul(a, c.W[k]), c.b[k])) as tf.Tensor2D;
      acts.push(a);
    }
    const logits = tf.add(tf.matMul(a, c.W[L - 1]), c.b[L - 1]) as tf.Tensor2D;
    return { acts, logits } as unknown as tf.TensorContainerObject;
  }) as unknown as { acts: tf.Tensor2D[]; logits: tf.Tensor2D };
}
