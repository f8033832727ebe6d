import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend.ts';
import { loadDataset } from '../../data/index.ts';
import { energyNetwork } from '../../layers/energy-network.ts';
import type { TclHyper } from '../preset.ts';
import { loadPreset } from '../preset-files.ts';
import { epUpdate } from './ep.ts';
import { tclUpdate, type Thresholds } from './tcl.ts';
import { cycleMaps } from './tcl-cycle.ts';

const flat = (ts: tf.Tensor[]) => tf.concat(ts.map((t) => t.reshape([-1])));
const cosine = (a: tf.Tensor[], b: tf.Tensor[]) =>
  tf.tidy(() => {
    const fa = flat(a);
    const fb = flat(b);
    return tf.sum(tf.mul(fa, fb)).div(tf.norm(fa).mul(tf.norm(fb)).add(1e-30)).dataSync()[0];
  });
const norm = (a: tf.Tensor[]) => tf.tidy(() => tf.norm(flat(a)).dataSync()[0]);

let x: tf.Tensor2D;
let target: tf.Tensor2D;
const paper = loadPreset('mnist-784-500-10');

beforeAll(async () => {
  await initBackend();
  const data = await loadDataset({ split: 'paper', trainSize: 20, testSize: 1 });
  x = tf.tensor2d(data.train.images, [20, 784]);
  target = tf.oneHot(tf.tensor1d(Array.from(data.train.labels), 'int32'), 10).toFloat() as tf.Tensor2D;
});

describe('the TCL cycle (DESIGN.md §3)', () => {
  it('the kernel has zero area, so the free-state signal cancels: u of a constant signal is 0', () => {
    const m = cycleMaps('sawtooth', 9, 0.1, 'authors');
    for (let j = 0; j < m.grid; j++) {
      let rowSum = 0;
      for (let l = 0; l < m.nStates; l++) rowSum += m.toU[j * m.nStates + l];
      expect(Math.abs(rowSum)).toBeLessThan(1e-7);
    }
  });

  it('trapezoid weights sum to 0.5 * 10000 * 0.99 (the authors’ trapz over t = 0 … 0.99)', () => {
    const m = cycleMaps('sawtooth', 9, 0.1, 'authors');
    const total = m.weights.reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(0.5 * 10000 * 0.99, 3);
  });
});

describe('TCL update on one MNIST batch of the 784-500-10 network', () => {
  const beta = 0.5;
  const net = energyNetwork({ layers: [784, 500, 10], seed: 0, initScale: 0.5 });
  const hyper = (protocol: TclHyper['protocol']): TclHyper => ({ ...paper.tcl, lr: [1, 1], protocol });
  // Thresholds from this batch's measured free-to-clamped change Δ (EP with lr = 1 gives Δ/β):
  // θ = max|Δ|/1500 puts the large changes inside the learning window 195θ < |Δ| < 1750θ.
  const windowTheta = (): { theta: Thresholds; ep: tf.Tensor[] } => {
    const { delta } = epUpdate(net, { x, target }, beta, { nudgeSteps: paper.tcl.stepsPerLevel, lr: [1, 1] });
    const maxAbs = (t: tf.Tensor) => (tf.max(tf.abs(t)).dataSync()[0] * beta) / 1500;
    return { theta: { W: delta.W.map(maxAbs), b: delta.b.map(maxAbs) }, ep: [...delta.W, ...delta.b] };
  };

  it('the sawtooth update points along the EP update (cosine > 0.9), the reversed sawtooth against it, the triangle gives ≈ nothing', () => {
    const { theta, ep } = windowTheta();
    const run = (p: TclHyper['protocol']) => {
      const r = tclUpdate(net, { x, target }, beta, hyper(p), { theta });
      return [...r.delta.W, ...r.delta.b];
    };
    const saw = run('sawtooth');
    const rev = run('reversed');
    const tri = run('triangle');
    expect(cosine(saw, ep)).toBeGreaterThan(0.9);
    expect(cosine(rev, ep)).toBeLessThan(-0.9);
    // Both ramps of the triangle are equally slow: neither passes the dead zone.
    expect(norm(tri) / norm(saw)).toBeLessThan(0.05);
  });

  it("with the paper's fixed thresholds the sawtooth still agrees with EP in sign (cosine > 0.6) and the reversed disagrees", () => {
    const { ep } = windowTheta();
    const saw = tclUpdate(net, { x, target }, beta, hyper('sawtooth'));
    const rev = tclUpdate(net, { x, target }, beta, hyper('reversed'));
    expect(cosine([...saw.delta.W, ...saw.delta.b], ep)).toBeGreaterThan(0.6);
    expect(cosine([...rev.delta.W, ...rev.delta.b], ep)).toBeLessThan(-0.6);
    // The dead zone passes part of the parameters on the fast ramp, not all (DESIGN.md: 5–16%).
    expect(saw.passFraction.W[0]).toBeGreaterThan(0.001);
    expect(saw.passFraction.W[0]).toBeLessThan(0.5);
  });

  it('without the dead zone (theta = 0) both ramps pass and the update nearly cancels, not along EP (DESIGN.md trap 2)', () => {
    const zero = { W: [0, 0], b: [0, 0] };
    const r = tclUpdate(net, { x, target }, beta, hyper('sawtooth'), { theta: zero });
    const { theta, ep } = windowTheta();
    const withDz = tclUpdate(net, { x, target }, beta, hyper('sawtooth'), { theta });
    const noDz = [...r.delta.W, ...r.delta.b];
    // Over a full period Σ_j u_j = 0 exactly; only the trapezoid's half weights at t = 0 and 0.99 leave a rest.
    expect(norm(noDz) / norm([...withDz.delta.W, ...withDz.delta.b])).toBeLessThan(0.1);
    expect(cosine(noDz, ep)).toBeLessThan(0.5);
  });
});

describe('fast and faithful synapse updates', () => {
  it('give the same update and leave the same synapse memory (on a 784-64-10 network)', () => {
    const mk = () => energyNetwork({ layers: [784, 64, 10], seed: 7, initScale: 0.5 });
    const a = mk();
    const b = mk();
    const h: TclHyper = { ...paper.tcl, lr: [0.1, 0.05] };
    const fast = tclUpdate(a, { x, target }, -0.5, { ...h, update: 'fast' }, { writeMemory: true });
    const faithful = tclUpdate(b, { x, target }, -0.5, { ...h, update: 'faithful' });
    const fa = [...fast.delta.W, ...fast.delta.b];
    const fb = [...faithful.delta.W, ...faithful.delta.b];
    fa.forEach((t, i) => {
      const rel = tf.tidy(() => tf.norm(tf.sub(t, fb[i])).div(tf.norm(fb[i]).add(1e-30)).dataSync()[0]);
      expect(rel).toBeLessThan(1e-3);
    });
    expect(norm(fa)).toBeGreaterThan(0);
    a.couplingLayers.forEach((la, k) => {
      const lb = b.couplingLayers[k];
      for (const [ma, mb] of [[la.kernelMemory!, lb.kernelMemory!], [la.biasMemory!, lb.biasMemory!]] as const) {
        const d = tf.tidy(() => tf.max(tf.abs(tf.sub(ma.read(), mb.read()))).dataSync()[0]);
        const scale = tf.tidy(() => tf.max(tf.abs(mb.read())).dataSync()[0]);
        expect(scale).toBeGreaterThan(0);
        expect(d / scale).toBeLessThan(1e-5);
      }
    });
  });
});

describe('the centered TCL cycle (tcl-cycle.ts): a fast ramp from the −β state to the +β state', () => {
  it('visits 0 → +1 (fast) → −1 (slow) → 0 (fast), every state relaxed from the free state', () => {
    const m = cycleMaps('sawtooth', 9, 0.1, 'authors', 100, 'centered');
    expect(m.nStates).toBe(17);
    expect(m.stateBeta[0]).toBe(0);
    expect(Math.max(...m.stateBeta)).toBe(1);
    expect(Math.min(...m.stateBeta)).toBe(-1);
    expect(m.relaxFrom.every((r) => r === 0)).toBe(true);
    // β on the grid (interp · stateBeta): +1 at t = 0.05, −1 at t = 0.95; rising only within 0.05 of t = 0 (mod 1).
    const level = (j: number) => m.stateBeta.reduce((a, b, l) => a + b * m.interp[j * m.nStates + l], 0);
    expect(level(5)).toBeCloseTo(1, 5);
    expect(level(95)).toBeCloseTo(-1, 5);
    for (let j = 6; j < 95; j++) expect(level(j + 1)).toBeLessThan(level(j));
    for (let j = 95; j < 100; j++) expect(level((j + 1) % 100)).toBeGreaterThan(level(j));
    // Zero-area kernel: a constant signal gives u = 0; periodic trapezoid with the 1/2 of 2β.
    for (let j = 0; j < m.grid; j++) {
      let rowSum = 0;
      for (let l = 0; l < m.nStates; l++) rowSum += m.toU[j * m.nStates + l];
      expect(Math.abs(rowSum)).toBeLessThan(1e-7);
    }
    expect(m.weights.reduce((a, b) => a + b, 0)).toBeCloseTo((0.5 * 10000) / 2, 2);
  });

  const beta = 0.5;
  const net = energyNetwork({ layers: [784, 500, 10], seed: 0, initScale: 0.5 });
  const centered = (protocol: TclHyper['protocol'] = 'sawtooth'): TclHyper => ({ ...paper.tcl, lr: [1, 1], protocol, nudging: 'centered' });
  const flatDelta = (d: { W: tf.Tensor[]; b: tf.Tensor[] }) => [...d.W, ...d.b];

  it('its update points along centered EP (cosine ≥ 0.9) on an in-window batch; the reversed protocol against it', () => {
    // Centered EP with lr = 1 is the swing (s^{+β} − s^{−β}) / 2β; θ = max|swing| / 1500 puts
    // the large swings inside the learning window 195θ < |swing| < 1750θ.
    const { delta } = epUpdate(net, { x, target }, beta, { nudgeSteps: paper.tcl.stepsPerLevel, lr: [1, 1], nudging: 'centered' });
    const maxAbs = (t: tf.Tensor) => (tf.max(tf.abs(t)).dataSync()[0] * 2 * beta) / 1500;
    const theta: Thresholds = { W: delta.W.map(maxAbs), b: delta.b.map(maxAbs) };
    const ep = flatDelta(delta);
    const saw = flatDelta(tclUpdate(net, { x, target }, beta, centered(), { theta }).delta);
    const rev = flatDelta(tclUpdate(net, { x, target }, beta, centered('reversed'), { theta }).delta);
    expect(cosine(saw, ep)).toBeGreaterThanOrEqual(0.9);
    expect(cosine(rev, ep)).toBeLessThan(-0.9);
    // Same scale as centered EP: the fast ramp carries the whole swing, the 1/2 of 2β is in the weights.
    expect(norm(saw) / norm(ep)).toBeGreaterThan(0.5);
    expect(norm(saw) / norm(ep)).toBeLessThan(4);
  });

  it('the fused kernels, the plain tfjs path and the faithful stepped synapses agree on it (negative β levels)', () => {
    const small = energyNetwork({ layers: [784, 64, 10], seed: 7, initScale: 0.5 });
    const h: TclHyper = { ...paper.tcl, lr: [0.1, 0.05], nudging: 'centered' };
    const fused = flatDelta(tclUpdate(small, { x, target }, 0.5, { ...h, update: 'fast' }).delta);
    const plain = flatDelta(tclUpdate(small, { x, target }, 0.5, { ...h, update: 'fast' }, { fused: false }).delta);
    const faithful = flatDelta(tclUpdate(small, { x, target }, 0.5, { ...h, update: 'faithful' }).delta);
    const rel = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.norm(tf.sub(a, b)).div(tf.norm(b).add(1e-30)).dataSync()[0]);
    expect(norm(plain)).toBeGreaterThan(0);
    plain.forEach((t, i) => {
      expect(rel(fused[i], t)).toBeLessThan(1e-3);
      expect(rel(faithful[i], t)).toBeLessThan(1e-3);
    });
  });
});
