/**
 * The backprop baseline's SGD step (training/methods/bp.ts, `mlpGradients`) on the wasm kernels,
 * updating the weights in place: sigmoid hidden layers, softmax cross-entropy,
 *
 *   dz_L = (softmax(z_L) − t)/B,  W_k −= lr_k a_kᵀ dz_{k+1},  b_k −= lr_k Σ_b dz_{k+1},
 *   dz_k = (dz_{k+1} W_kᵀ) ⊙ a_k (1 − a_k)        (with W_k before its update)
 *
 * Same arithmetic as the plain path up to float rounding (a test compares them).
 */
import type * as tf from '@tensorflow/tfjs';
import type { EnergyNetwork } from '../layers/energy-network.ts';
import type { KernelBatch as Batch } from './types.ts';
import { Scratch, type Kernels } from './engine.ts';
import { transpose } from './fused-relax.ts';

/** One SGD step on `net` in place; returns the logits it predicted the batch with (a tensor the caller owns). */
export function bpStepFused(kern: Kernels, net: EnergyNetwork, batch: Batch, lr: number[]): tf.Tensor2D {
  const k = kern.k;
  const sizes = net.sizes;
  const L = sizes.length - 1;
  const B = batch.x.shape[0];
  const layers = net.couplingLayers;
  const W = layers.map((l) => kern.freshPtr(l.kernel.read() as tf.Variable));
  const b = layers.map((l) => kern.freshPtr(l.bias.read() as tf.Variable));
  const sc = new Scratch(kern);
  try {
    // Activations a_0 = x, a_1 … a_{L−1} (sigmoid), and the logits a_L.
    const acts = [kern.ptr(batch.x), ...sizes.slice(1).map((n) => sc.alloc(B * n))];
    // W_kᵀ for the backward pass (k ≥ 1) and for a narrow first layer's forward pass; W_0ᵀ is not needed otherwise.
    const Wt = sizes.slice(0, L).map((_, i) => (i === 0 && sizes[1] >= 16 ? -1 : sc.alloc(sizes[i] * sizes[i + 1])));
    const dz = sc.alloc(B * Math.max(...sizes.slice(1)));
    const dPrev = sc.alloc(B * Math.max(...sizes.slice(1)));
    for (let i = 1; i < L; i++) transpose(kern, Wt[i], W[i], sizes[i], sizes[i + 1]);
    for (let i = 0; i < L; i++) {
      const [nIn, nOut] = [sizes[i], sizes[i + 1]];
      k.broadcastRows(acts[i + 1], b[i], B, nOut);
      if (nOut >= 16) k.gemmAcc(acts[i + 1], nOut, acts[i], nIn, 1, W[i], nOut, B, nIn, nOut, 1);
      else {
        if (i === 0) transpose(kern, Wt[0], W[0], nIn, nOut);
        k.gemmDot(acts[i + 1], nOut, acts[i], nIn, Wt[i], nIn, B, nIn, nOut, 1);
      }
      if (i < L - 1) {
        const a = kern.view(acts[i + 1], B * nOut);
        for (let j = 0; j < a.length; j++) a[j] = 1 / (1 + Math.exp(-a[j]));
      }
    }
    const logits = kern.tensor2d(acts[L], B, sizes[L]);
    // dz_L = (softmax − t)/B
    {
      const C = sizes[L];
      const z = kern.view(acts[L], B * C);
      const t = kern.view(kern.ptr(batch.target), B * C);
      const d = kern.view(dz, B * C);
      for (let r = 0; r < B; r++) {
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, z[r * C + c]);
        let s = 0;
        for (let c = 0; c < C; c++) s += Math.exp(z[r * C + c] - m);
        for (let c = 0; c < C; c++) d[r * C + c] = (Math.exp(z[r * C + c] - m) / s - t[r * C + c]) / B;
      }
    }
    let cur = dz;
    let prev = dPrev;
    for (let i = L - 1; i >= 0; i--) {
      const [nIn, nOut] = [sizes[i], sizes[i + 1]];
      if (i > 0) {
        // dz_i = (dz_{i+1} W_iᵀ) ⊙ a_i(1 − a_i), before W_i changes.
        kern.view(prev, B * nIn).fill(0);
        k.gemmAcc(prev, nIn, cur, nOut, 1, Wt[i], nIn, B, nOut, nIn, 1);
        const d = kern.view(prev, B * nIn);
        const a = kern.view(acts[i], B * nIn);
        for (let j = 0; j < d.length; j++) d[j] *= a[j] * (1 - a[j]);
      }
      k.gemmAcc(W[i], nOut, acts[i], 1, nIn, cur, nOut, nIn, B, nOut, -lr[i]);
      k.addColumnSums(b[i], cur, B, nOut, -lr[i]);
      [cur, prev] = [prev, cur];
    }
    return logits;
  } finally {
    sc.release();
  }
}
