/**
 * The relaxation of network/dynamics.ts (DESIGN.md §1) fused into a few wasm kernel calls per
 * layer and step, on the tfjs heap: 20 steps cost ~60 kernel calls instead of ~200 tfjs ops.
 * Same arithmetic as `relax` (synchronous or sequential schedule, scalar β), up to float rounding:
 *
 *   s_k ← clip((1−ε) s_k + ε (ρ(s_{k−1}) W_{k−1} + b_{k−1} + ρ(s_{k+1}) W_kᵀ − 2β[k=L](s_L − t)), 0, 1)
 *
 * `FusedBatch` holds one batch's input drive and the transposes, `relax` moves between state sets
 * (arrays of heap pointers, one [B × n_k] buffer per layer).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Schedule } from '../network/config.ts';
import type { Couplings } from '../network/dynamics.ts';
import { Scratch, type Kernels } from './engine.ts';

/** Below this many output columns a product is computed as dot products along the inner dimension (SIMD along K). */
const NARROW = 16;

export class FusedBatch {
  readonly scratch: Scratch;
  /** Layer sizes n_0 … n_L. */
  readonly sizes: number[];
  readonly B: number;
  readonly x: number;
  readonly target: number;
  private readonly W: number[];
  private readonly Wt: number[];
  private readonly b: number[];
  private readonly inputDrive: number;
  /** Two spare state sets for the synchronous ping-pong. */
  private spare: number[][];

  constructor(readonly kern: Kernels, c: Couplings, x: tf.Tensor2D, target: tf.Tensor2D | null, sizes: number[]) {
    this.scratch = new Scratch(kern);
    this.sizes = sizes;
    this.B = x.shape[0];
    const k = kern.k;
    const B = this.B;
    const L = sizes.length - 1;
    this.Wt = sizes.slice(0, L).map((_, i) => (i === 0 ? 0 : this.scratch.alloc(sizes[i] * sizes[i + 1])));
    this.inputDrive = this.scratch.alloc(B * sizes[1]);
    this.spare = [this.newStates(), this.newStates()];
    this.W = c.W.map((w) => kern.ptr(w));
    this.b = c.b.map((v) => kern.ptr(v));
    this.x = kern.ptr(x);
    this.target = target ? kern.ptr(target) : 0;
    for (let i = 1; i < L; i++) transpose(kern, this.Wt[i], this.W[i], sizes[i], sizes[i + 1]);
    // ρ(x) W_0 + b_0, once per batch (x ∈ [0,1] already, so ρ(x) = x).
    k.broadcastRows(this.inputDrive, this.b[0], B, sizes[1]);
    k.gemmAcc(this.inputDrive, sizes[1], this.x, sizes[0], 1, this.W[0], sizes[1], B, sizes[0], sizes[1], 1);
  }

  /** One heap buffer per layer k ≥ 1. */
  newStates(): number[] {
    return this.sizes.slice(1).map((n) => this.scratch.alloc(this.B * n));
  }

  /** Copies tensors (e.g. persistent particles) into a new state set. */
  statesFrom(ts: tf.Tensor2D[] | undefined): number[] {
    const s = this.newStates();
    s.forEach((p, i) => {
      if (ts) this.kern.k.copy(p, this.kern.ptr(ts[i]), this.B * this.sizes[i + 1]);
      else this.kern.view(p, this.B * this.sizes[i + 1]).fill(0);
    });
    return s;
  }

  /** `steps` relaxation steps from state set `from` into `to` (may be the same set). nudge = 2β (0 for the free phase). */
  relax(from: number[], to: number[], steps: number, eps: number, nudge: number, schedule: Schedule = 'synchronous'): void {
    const { kern, sizes, B } = this;
    const k = kern.k;
    const L = sizes.length - 1;
    if (nudge !== 0 && !this.target) throw new Error('relax: a nonzero beta needs a target');
    if (steps === 0) {
      if (from !== to) from.forEach((p, i) => k.copy(to[i], p, B * sizes[i + 1]));
      return;
    }
    let cur = from;
    for (let step = 0; step < steps; step++) {
      // Never write into the set being read: the last step goes straight into `to` when it can.
      const out = step === steps - 1 && to !== cur ? to : cur === this.spare[0] ? this.spare[1] : this.spare[0];
      for (let m = 1; m <= L; m++) {
        const n = sizes[m];
        const dst = out[m - 1];
        // Sequential schedule: layer m sees layer m−1 as already updated in this step.
        const below = schedule === 'sequential' ? out : cur;
        if (m === 1) k.copy(dst, this.inputDrive, B * n);
        else {
          k.broadcastRows(dst, this.b[m - 1], B, n);
          this.product(dst, below[m - 2], m - 1, false);
        }
        if (m < L) this.product(dst, cur[m], m, true);
        k.relaxUpdate(dst, cur[m - 1], this.target, B * n, eps, m === L ? nudge : 0);
      }
      cur = out;
    }
    if (cur !== to) cur.forEach((p, i) => k.copy(to[i], p, B * sizes[i + 1]));
  }

  /** dst += s W_c (transposed = false: s is layer c, dst layer c+1) or s W_cᵀ (true: s is layer c+1, dst layer c). */
  private product(dst: number, s: number, c: number, transposed: boolean): void {
    const k = this.kern.k;
    const { B, sizes } = this;
    const [nIn, nOut] = transposed ? [sizes[c + 1], sizes[c]] : [sizes[c], sizes[c + 1]];
    // Row-major [nIn × nOut] operand and its transpose.
    const mat = transposed ? this.Wt[c] : this.W[c];
    const matT = transposed ? this.W[c] : this.Wt[c];
    if (nOut >= NARROW || !matT) k.gemmAcc(dst, nOut, s, nIn, 1, mat, nOut, B, nIn, nOut, 1);
    else k.gemmDot(dst, nOut, s, nIn, matT, nIn, B, nIn, nOut, 1);
  }

  /** Tensors holding copies of a state set. */
  tensors(s: number[]): tf.Tensor2D[] {
    return s.map((p, i) => this.kern.tensor2d(p, this.B, this.sizes[i + 1]));
  }

  dispose(): void {
    this.scratch.release();
  }
}

/** dst (C × R) = srcᵀ (src R × C), through a JS view (small matrices, once per batch). */
export function transpose(kern: Kernels, dst: number, src: number, R: number, C: number): void {
  const s = kern.view(src, R * C);
  const d = kern.view(dst, R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) d[c * R + r] = s[r * C + c];
}
