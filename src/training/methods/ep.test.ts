import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend.ts';
import { loadDataset } from '../../data/index.ts';
import { energyNetwork } from '../../layers/energy-network.ts';
import { cost, disposePrepared, freePhase, prepare, relax, zeroStates, type Couplings } from '../../network/dynamics.ts';
import { kernelsForBackend } from '../../perf/engine.ts';
import { epStepFused } from '../../perf/fused-ep.ts';
import { applyDelta } from '../types.ts';
import { EpMethod, epUpdate } from './ep.ts';
import { Rng } from '../../rng.ts';

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

/**
 * A 3-4-2 network whose states stay inside the box (0,1), where ρ(s) = s and the energy is
 * quadratic: the free fixed point solves a linear system, s* = A⁻¹ c(θ). The loss
 * L(θ) = mean_b |s*_L − y|² and its gradient are computed here in float64 from that linear
 * system (central differences, h = 1e-6) — independent of the relaxation code.
 */
describe('centered nudging on a quadratic energy (closed-form gradient)', () => {
  const W1 = [
    [0.3, -0.2, 0.1, 0.25],
    [-0.15, 0.2, 0.3, -0.1],
    [0.2, 0.1, -0.25, 0.15],
  ];
  const W2 = [
    [0.3, -0.2],
    [-0.25, 0.35],
    [0.2, 0.15],
    [-0.1, 0.3],
  ];
  const b1 = [0.25, 0.2, 0.3, 0.2];
  const b2 = [0.3, 0.2];
  const X = [
    [0.2, 0.8, 0.5],
    [0.7, 0.3, 0.6],
  ];
  const Y = [
    [0.7, 0.2],
    [0.25, 0.65],
  ];
  type Params = { W1: number[][]; W2: number[][]; b1: number[]; b2: number[] };

  /** Solves A s = c for one example: s1 = W1ᵀx + W2 s2 + b1, s2 = W2ᵀ s1 + b2 (Gaussian elimination). */
  function fixedPoint(p: Params, x: number[]): number[] {
    const n = 6;
    const A = Array.from({ length: n }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === j ? 1 : 0) as number));
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) {
        A[i][4 + j] = -p.W2[i][j];
        A[4 + j][i] = -p.W2[i][j];
      }
      A[i][n] = p.b1[i] + x.reduce((a, xi, r) => a + xi * p.W1[r][i], 0);
    }
    for (let j = 0; j < 2; j++) A[4 + j][n] = p.b2[j];
    for (let c = 0; c < n; c++) {
      let piv = c;
      for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
      [A[c], A[piv]] = [A[piv], A[c]];
      for (let r = 0; r < n; r++) {
        if (r === c) continue;
        const f = A[r][c] / A[c][c];
        for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k];
      }
    }
    return A.map((row, i) => row[n] / row[i]);
  }
  const loss = (p: Params) => X.reduce((a, x, e) => a + fixedPoint(p, x).slice(4).reduce((s, v, j) => s + (v - Y[e][j]) ** 2, 0), 0) / X.length;

  /** −dL/dθ in the layout [W1, W2, b1, b2], flattened row-major. */
  function minusGradient(): number[] {
    const p: Params = structuredClone({ W1, W2, b1, b2 });
    const h = 1e-6;
    const out: number[] = [];
    const bump = (get: () => number, set: (v: number) => void) => {
      const v = get();
      set(v + h);
      const up = loss(p);
      set(v - h);
      const down = loss(p);
      set(v);
      out.push(-(up - down) / (2 * h));
    };
    for (const M of [p.W1, p.W2]) for (const row of M) for (let j = 0; j < row.length; j++) bump(() => row[j], (v) => (row[j] = v));
    for (const v of [p.b1, p.b2]) for (let j = 0; j < v.length; j++) bump(() => v[j], (w) => (v[j] = w));
    return out;
  }

  function epEstimate(beta: number, nudging: 'positive' | 'centered'): number[] {
    const net = energyNetwork({ layers: [3, 4, 2], seed: 0, freeSteps: 300 });
    const [l1, l2] = net.couplingLayers;
    l1.kernel.write(tf.tensor2d(W1));
    l2.kernel.write(tf.tensor2d(W2));
    l1.bias.write(tf.tensor1d(b1));
    l2.bias.write(tf.tensor1d(b2));
    const x = tf.tensor2d(X);
    const target = tf.tensor2d(Y);
    const { delta, free } = epUpdate(net, { x, target }, beta, { nudgeSteps: 300, lr: [1, 1], nudging });
    // The closed form assumes the box is never touched.
    for (const s of free) expect(tf.min(s).dataSync()[0]).toBeGreaterThan(0.05);
    for (const s of free) expect(tf.max(s).dataSync()[0]).toBeLessThan(0.95);
    const flat = [...delta.W, ...delta.b].flatMap((t) => Array.from(t.dataSync()));
    tf.dispose([...delta.W, ...delta.b, ...free, x, target]);
    net.dispose();
    return flat;
  }
  const relError = (est: number[], ref: number[]) => Math.hypot(...est.map((v, i) => v - ref[i])) / Math.hypot(...ref);

  it('centered EP (+β and −β) estimates the gradient with a smaller error than one-sided EP at the same β, O(β²) against O(β)', () => {
    const g = minusGradient();
    expect(Math.hypot(...g)).toBeGreaterThan(1e-3);
    const err = (beta: number, n: 'positive' | 'centered') => relError(epEstimate(beta, n), g);
    const one = [err(0.04, 'positive'), err(0.02, 'positive')];
    const cen = [err(0.04, 'centered'), err(0.02, 'centered')];
    expect(cen[0]).toBeLessThan(one[0] / 3);
    expect(cen[1]).toBeLessThan(one[1] / 3);
    // Halving β halves the one-sided error and quarters the centered one.
    expect(one[0] / one[1]).toBeGreaterThan(1.6);
    expect(one[0] / one[1]).toBeLessThan(2.5);
    expect(cen[0] / cen[1]).toBeGreaterThan(3.2);
    // Both converge: at β = 0.1 the one-sided error is already small, the centered one far smaller.
    expect(one[1]).toBeLessThan(0.2);
  });
});

describe('centered EP on the 784-500-10 network', () => {
  it('the fused wasm step and the plain tfjs update + applyDelta give the same weights (relative 1e-4)', async () => {
    const kern = kernelsForBackend();
    expect(kern).not.toBeNull(); // the suite runs on wasm
    const data = await loadDataset({ split: 'paper', trainSize: 20, testSize: 1 });
    const x = tf.tensor2d(data.train.images, [20, 784]);
    const target = tf.oneHot(tf.tensor1d(Array.from(data.train.labels), 'int32'), 10).toFloat() as tf.Tensor2D;
    const make = () => energyNetwork({ layers: [784, 500, 10], seed: 3, initScale: 0.5 });
    const [a, b, c] = [make(), make(), make()];
    const hyper = { nudgeSteps: 4, lr: [0.1, 0.05], nudging: 'centered' as const };
    const { delta, free } = epUpdate(a, { x, target }, 0.5, hyper);
    applyDelta(a, delta);
    const freeFused = epStepFused(kern!, b, { x, target }, 0.5, { ...hyper, centered: true });
    // The one-sided step from the same start differs: the −β phase matters.
    tf.dispose(epStepFused(kern!, c, { x, target }, 0.5, hyper));
    const params = (n: typeof a) => [...n.couplings().W, ...n.couplings().b];
    const w0 = params(make());
    params(a).forEach((w, i) => {
      const change = tf.tidy(() => tf.max(tf.abs(tf.sub(w, w0[i]))).dataSync()[0]);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(params(b)[i], w))).dataSync()[0]);
      const oneSided = tf.tidy(() => tf.max(tf.abs(tf.sub(params(c)[i], w))).dataSync()[0]);
      expect(change).toBeGreaterThan(0);
      expect(diff).toBeLessThan(1e-4 * change + 1e-7);
      expect(oneSided).toBeGreaterThan(0.01 * change);
    });
    tf.dispose([...free, ...freeFused, ...delta.W, ...delta.b, x, target]);
  });

  it("EpMethod draws no β sign for 'centered' and 'positive', one per batch for 'random-sign'", () => {
    const draws = (nudging: 'centered' | 'positive' | 'random-sign') => {
      const m = new EpMethod({ beta: 0.5, nudging, nudgeSteps: 1, lr: [0, 0] });
      const rng = new Rng(5);
      let n = 0;
      const counting: Rng = Object.assign(Object.create(rng) as Rng, { sign: () => (n++, rng.sign()) });
      const net = energyNetwork({ layers: [4, 3, 2], seed: 0 });
      const x = tf.ones([2, 4]) as tf.Tensor2D;
      const target = tf.tensor2d([[1, 0], [0, 1]]);
      const r = m.step(net, { x, target }, { rng: counting, lastBatchOfEpoch: false });
      tf.dispose([x, target, ...(r.free ?? [])]);
      return n;
    };
    expect(draws('centered')).toBe(0);
    expect(draws('positive')).toBe(0);
    expect(draws('random-sign')).toBe(1);
  });
});
