import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend.ts';
import { loadDataset } from '../../data/index.ts';
import { energyNetwork } from '../../layers/energy-network.ts';
import { cost, disposePrepared, freePhase, prepare, relax, zeroStates, type Couplings } from '../../network/dynamics.ts';
import { epUpdate } from './ep.ts';

function flatCosine(a: tf.Tensor[], b: tf.Tensor[]): number {
  return tf.tidy(() => {
    const fa = tf.concat(a.map((t) => t.reshape([-1])));
    const fb = tf.concat(b.map((t) => t.reshape([-1])));
    return tf.sum(tf.mul(fa, fb)).div(tf.norm(fa).mul(tf.norm(fb))).dataSync()[0];
  });
}

beforeAll(async () => {
  await initBackend();
});

describe('equilibrium propagation', () => {
  it('approaches minus the recurrent-backprop gradient as beta -> 0 (cosine > 0.95 at beta = 0.01, ~1 at 0.001)', async () => {
    const data = await loadDataset({ split: 'paper', trainSize: 20, testSize: 1 });
    const net = energyNetwork({ layers: [784, 500, 10], seed: 3, initScale: 0.5, freeSteps: 200 });
    const x = tf.tensor2d(data.train.images, [20, 784]);
    const target = tf.oneHot(tf.tensor1d(Array.from(data.train.labels), 'int32'), 10).toFloat() as tf.Tensor2D;
    // Recurrent backprop: tf autodiff of the cost through the relaxation, unrolled from the free fixed point
    // (a contraction there, so the unrolled gradient converges to the implicit one).
    const ep = (beta: number) => epUpdate(net, { x, target }, beta, { nudgeSteps: 200, lr: [1, 1] });
    const free = ep(0.01).free;
    const c = net.couplings();
    const minusGrad = tf
      .grads((...params: tf.Tensor[]) => {
        const cc: Couplings = { W: params.slice(0, 2) as tf.Tensor2D[], b: params.slice(2) as tf.Tensor1D[] };
        const s = relax(prepare(cc, x), free, 60, { eps: 0.5 });
        return tf.mean(cost(s[1], target));
      })([...c.W, ...c.b])
      .map((g) => tf.neg(g));
    const flat = (d: { W: tf.Tensor[]; b: tf.Tensor[] }) => [...d.W, ...d.b];
    const at01 = ep(0.01).delta;
    const oneSided = flatCosine(flat(at01), minusGrad);
    expect(oneSided).toBeGreaterThan(0.95);
    // The one-sided O(beta) bias shrinks with beta: at 0.001 every parameter group is aligned.
    const at001 = flat(ep(0.001).delta);
    at001.forEach((d, i) => expect(flatCosine([d], [minusGrad[i]])).toBeGreaterThan(0.999));
    // The symmetric estimate (+beta and -beta averaged) cancels the O(beta) term (the clip keeps an O(beta^2) rest).
    const atMinus = flat(ep(-0.01).delta);
    const sym = flat(at01).map((d, i) => tf.mul(0.5, tf.add(d, atMinus[i])));
    expect(flatCosine(sym, minusGrad)).toBeGreaterThan(Math.max(oneSided, 0.97));
  });

  it('the free phase started from a converged state stays there (a fixed point)', () => {
    const net = energyNetwork({ layers: [40, 20, 5], seed: 1 });
    const x = tf.randomUniform([6, 40], 0, 1, 'float32', 2) as tf.Tensor2D;
    const p = prepare(net.couplings(), x);
    const s = freePhase(p, zeroStates(net.sizes, 6), 300, 0.5);
    const s2 = freePhase(p, s, 1, 0.5);
    const d = tf.max(tf.abs(tf.sub(s[1], s2[1]))).dataSync()[0];
    expect(d).toBeLessThan(1e-5);
    disposePrepared(p);
  });
});
