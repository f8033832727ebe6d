/**
 * Equilibrium propagation's batch step (training/methods/ep.ts) on the wasm kernels: fused
 * relaxation, then the contrastive update added to the weights in place,
 *
 *   W_0 += lr_0/(βB) · xᵀ (s^β_1 − s⁰_1)                         (x is clamped: one product)
 *   W_k += lr_k/(βB) · (s^β_kᵀ s^β_{k+1} − s⁰_kᵀ s⁰_{k+1}),   b_k += lr_k/(βB) · Σ_b (s^β_{k+1} − s⁰_{k+1})
 *
 * Same arithmetic as `epUpdate` + `applyDelta` up to float rounding (a test compares them).
 * `centered`: a second nudged phase at −β takes the place of s⁰ in the update and β becomes 2β.
 */
import type * as tf from '@tensorflow/tfjs';
import type { EnergyNetwork } from '../layers/energy-network.ts';
import { timedPhase as timed, type KernelBatch as Batch, type PhaseTimes as PhaseTimer } from './types.ts';
import type { Kernels } from './engine.ts';
import { FusedBatch } from './fused-relax.ts';

/** Runs one EP step on `net` in place; returns the free states (tensors the caller owns). */
export function epStepFused(kern: Kernels, net: EnergyNetwork, batch: Batch, beta: number, hyper: { nudgeSteps: number; lr: number[]; centered?: boolean }, timer?: PhaseTimer): tf.Tensor2D[] {
  const { eps, freeSteps, schedule } = net.relaxation;
  const sizes = net.sizes;
  const layers = net.couplingLayers;
  // In-place updates need fresh data (see Kernels.freshPtr).
  layers.forEach((l) => {
    kern.freshPtr(l.kernel.read() as tf.Variable);
    kern.freshPtr(l.bias.read() as tf.Variable);
  });
  const fb = new FusedBatch(kern, net.couplings(), batch.x, batch.target, sizes);
  try {
    const B = fb.B;
    const free = fb.statesFrom(batch.init);
    const nudged = fb.newStates();
    const ref = hyper.centered ? fb.newStates() : free;
    const diff = fb.scratch.alloc(B * Math.max(...sizes.slice(1)));
    timed(timer, 'relaxation', () => {
      fb.relax(free, free, freeSteps, eps, 0, schedule);
      fb.relax(free, nudged, hyper.nudgeSteps, eps, 2 * beta, schedule);
      if (hyper.centered) fb.relax(free, ref, hyper.nudgeSteps, eps, -2 * beta, schedule);
    });
    timed(timer, 'update', () => {
      const k = kern.k;
      const c = net.couplings();
      for (let i = 0; i < layers.length; i++) {
        const nIn = sizes[i];
        const nOut = sizes[i + 1];
        const a = hyper.lr[i] / ((hyper.centered ? 2 : 1) * beta * B);
        const W = kern.ptr(c.W[i]);
        k.sub(diff, nudged[i], ref[i], B * nOut);
        k.addColumnSums(kern.ptr(c.b[i]), diff, B, nOut, a);
        if (i === 0) {
          k.gemmAcc(W, nOut, fb.x, 1, nIn, diff, nOut, nIn, B, nOut, a);
        } else {
          k.gemmAcc(W, nOut, nudged[i - 1], 1, nIn, nudged[i], nOut, nIn, B, nOut, a);
          k.gemmAcc(W, nOut, ref[i - 1], 1, nIn, ref[i], nOut, nIn, B, nOut, -a);
        }
      }
    });
    return fb.tensors(free);
  } finally {
    fb.dispose();
  }
}
