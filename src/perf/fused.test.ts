import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { loadDataset } from '../data/index.ts';
import { energyNetwork, type EnergyNetwork } from '../layers/energy-network.ts';
import { prepare, disposePrepared, relax, zeroStates } from '../network/dynamics.ts';
import { epUpdate } from '../training/methods/ep.ts';
import { tclUpdate } from '../training/methods/tcl.ts';
import { cycleMaps } from '../training/methods/tcl-cycle.ts';
import { loadPreset } from '../training/preset-files.ts';
import { applyDelta } from '../training/types.ts';
import { kernelsForBackend, type Kernels } from './engine.ts';
import { epStepFused } from './fused-ep.ts';
import { bpStepFused } from './fused-bp.ts';
import { BpMethod } from '../training/methods/bp.ts';
import { Rng } from '../rng.ts';
import { FusedBatch } from './fused-relax.ts';
import { setKernelThreads } from './threads.ts';

// The fused wasm kernels against the plain tfjs path on the same batch: equal up to float rounding.
let kern: Kernels;
let x: tf.Tensor2D;
let target: tf.Tensor2D;
const paper = loadPreset('mnist-784-500-10');

beforeAll(async () => {
  await initBackend('wasm');
  kern = kernelsForBackend() as Kernels;
  const data = await loadDataset({ split: 'paper', trainSize: 20, testSize: 1 });
  x = tf.tensor2d(data.train.images, [20, 784]);
  target = tf.oneHot(tf.tensor1d(Array.from(data.train.labels), 'int32'), 10).toFloat() as tf.Tensor2D;
});

const maxAbsDiff = (a: tf.Tensor[], b: tf.Tensor[]) => Math.max(...a.map((t, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(t, b[i]))).dataSync()[0])));

function twinNets(layers: number[]): [EnergyNetwork, EnergyNetwork] {
  const make = () => {
    const n = energyNetwork({ layers, seed: 3, initScale: 0.5 });
    n.build([null, layers[0]]);
    return n;
  };
  return [make(), make()];
}

describe('fused wasm kernels agree with the plain tfjs path', () => {
  it('is available on the wasm backend', () => {
    expect(kern).toBeTruthy();
  });

  for (const layers of [[784, 500, 10], [784, 64, 32, 10]]) {
    for (const schedule of ['synchronous', 'sequential'] as const) {
      it(`relaxation (${layers.join('-')}, ${schedule}): free and nudged phases within 1e-5`, () => {
        const [net] = twinNets(layers);
        const t = layers.at(-1) === 10 ? target : tf.zeros([20, layers.at(-1)!]) as tf.Tensor2D;
        const p = prepare(net.couplings(), x);
        const free = relax(p, zeroStates(layers, 20), 20, { eps: 0.5, schedule });
        const nudged = relax(p, free, 4, { eps: 0.5, beta: -0.5, target: t, schedule });
        disposePrepared(p);
        const fb = new FusedBatch(kern, net.couplings(), x, t, layers);
        const f = fb.statesFrom(undefined);
        const n = fb.newStates();
        fb.relax(f, f, 20, 0.5, 0, schedule);
        fb.relax(f, n, 4, 0.5, -1, schedule);
        const [ff, nn] = [fb.tensors(f), fb.tensors(n)];
        fb.dispose();
        expect(maxAbsDiff(ff, free)).toBeLessThan(1e-5);
        expect(maxAbsDiff(nn, nudged)).toBeLessThan(1e-5);
        // The nudge moved the output: the comparison is not between two unmoved states.
        expect(maxAbsDiff([nudged.at(-1)!], [free.at(-1)!])).toBeGreaterThan(1e-3);
        tf.dispose([...free, ...nudged, ...ff, ...nn]);
      });
    }
  }

  it('EP step: weights after a fused step equal epUpdate + applyDelta (relative 1e-4), from persistent particles', () => {
    const [a, b] = twinNets([784, 500, 10]);
    const init = [tf.randomUniform([20, 500], 0, 1, 'float32', 1), tf.randomUniform([20, 10], 0, 1, 'float32', 2)] as tf.Tensor2D[];
    const params = (n: EnergyNetwork) => [...n.couplings().W, ...n.couplings().b];
    const w0 = params(a).map((w) => w.clone());
    const { delta, free } = epUpdate(a, { x, target, init }, -0.5, paper.ep);
    applyDelta(a, delta);
    const freeFused = epStepFused(kern, b, { x, target, init }, -0.5, paper.ep);
    expect(maxAbsDiff(freeFused, free)).toBeLessThan(1e-5);
    const wa = params(a);
    const wb = params(b);
    wa.forEach((w, i) => {
      const change = tf.tidy(() => tf.max(tf.abs(tf.sub(w, w0[i]))).dataSync()[0]);
      expect(change).toBeGreaterThan(0);
      expect(maxAbsDiff([wb[i]], [w])).toBeLessThan(1e-4 * change + 1e-7);
    });
    tf.dispose([...init, ...free, ...freeFused, ...w0]);
  });

  it('an in-place update does not change a clone taken before it', () => {
    const [net] = twinNets([784, 500, 10]);
    const before = (net.couplingLayers[0].kernel.read() as tf.Tensor).clone();
    const copy = before.dataSync().slice();
    const free = epStepFused(kern, net, { x, target }, 0.5, paper.ep);
    expect(Array.from(before.dataSync().slice(0, 1000))).toEqual(Array.from(copy.slice(0, 1000)));
    tf.dispose([before, ...free]);
  });

  it('after an in-place update tfjs sees the new weights (no stale XNNPACK packing of the old tensor)', () => {
    const [a, b] = twinNets([784, 500, 10]);
    tf.dispose(a.predict(x) as tf.Tensor); // packs W_0 for XNNPACK
    tf.dispose(epStepFused(kern, a, { x, target }, 0.5, paper.ep));
    b.setWeights(a.getWeights().map((w) => tf.add(w, 0)));
    const pa = a.predict(x) as tf.Tensor;
    const pb = b.predict(x) as tf.Tensor;
    expect(maxAbsDiff([pa], [pb])).toBe(0);
    tf.dispose([pa, pb]);
  });

  for (const layers of [[784, 500, 10], [784, 64, 32, 10], [784, 8, 10]]) {
    it(`BP SGD step (${layers.join('-')}): fused equals the plain tfjs step (relative 1e-4), logits within 1e-5`, () => {
      const [a, b] = twinNets(layers);
      const t = layers.at(-1) === 10 ? target : (tf.oneHot(tf.zeros([20], 'int32'), layers.at(-1)!).toFloat() as tf.Tensor2D);
      const params = (n: EnergyNetwork) => [...n.couplings().W, ...n.couplings().b];
      const w0 = params(a).map((w) => w.clone());
      const hyper = { ...paper.bp, lr: layers.slice(1).map(() => 0.1) };
      const plain = new BpMethod(hyper, { fused: false }).step(a, { x, target: t }, { rng: new Rng(1), lastBatchOfEpoch: false });
      const logits = bpStepFused(kern, b, { x, target: t }, hyper.lr);
      expect(maxAbsDiff([logits], [plain.output])).toBeLessThan(1e-5);
      params(a).forEach((w, i) => {
        const change = tf.tidy(() => tf.max(tf.abs(tf.sub(w, w0[i]))).dataSync()[0]);
        expect(change).toBeGreaterThan(0);
        expect(maxAbsDiff([params(b)[i]], [w])).toBeLessThan(1e-4 * change + 1e-8);
      });
      tf.dispose([logits, plain.output, ...w0]);
    });
  }

  for (const threads of [1, 2]) {
    it(`TCL fast update (${threads} thread${threads > 1 ? 's' : ''}): the fused kernel equals the plain tfjs computation (relative 1e-4), bounds skip only what the dead zone removes`, () => {
      setKernelThreads(threads);
      const [net] = twinNets([784, 500, 10]);
      const hyper = { ...paper.tcl, lr: [1, 1] };
      const plain = tclUpdate(net, { x, target }, 0.5, hyper, { fused: false });
      const fused = tclUpdate(net, { x, target }, 0.5, hyper);
      const scale = Math.max(...plain.delta.W.map((w) => tf.tidy(() => tf.max(tf.abs(w)).dataSync()[0])));
      expect(scale).toBeGreaterThan(0);
      // A u within float rounding of θ may pass on one side and not the other: such a flip moves its
      // weight by w_j·θ·lr/β (≤ 50 · 1.2e-6 · 2 here). Everything else agrees to rounding.
      const flip = 1.01 * Math.max(...cycleMaps('sawtooth', 9, 0.1, 'authors').weights) * (hyper.theta.W[0] / 0.5);
      tf.tidy(() => {
        const d = tf.abs(tf.sub(fused.delta.W[0], plain.delta.W[0]));
        const off = tf.sum(tf.cast(tf.greater(d, 1e-5 * scale), 'float32')).dataSync()[0];
        expect(off).toBeLessThan(1e-4 * d.size);
        expect(tf.max(d).dataSync()[0]).toBeLessThan(3 * flip);
        const rel = tf.norm(tf.sub(fused.delta.W[0], plain.delta.W[0])).dataSync()[0] / tf.norm(plain.delta.W[0]).dataSync()[0];
        expect(rel).toBeLessThan(1e-3);
      });
      expect(maxAbsDiff([fused.delta.W[1]], [plain.delta.W[1]])).toBeLessThan(1e-4 * scale);
      expect(maxAbsDiff(fused.delta.b, plain.delta.b)).toBeLessThan(1e-6);
      expect(maxAbsDiff(fused.free, plain.free)).toBeLessThan(1e-5);
      // Pairs passing the dead zone: equal up to values within rounding of θ.
      expect(Math.abs(fused.passFraction.W[0] - plain.passFraction.W[0])).toBeLessThan(1e-4);
      expect(fused.passFraction.W[0]).toBeGreaterThan(0.01);
      for (const r of [plain, fused]) tf.dispose([...r.delta.W, ...r.delta.b, ...r.free]);
      setKernelThreads(2);
    });
  }
});
