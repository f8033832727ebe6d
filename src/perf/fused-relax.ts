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
import { stepsUntilStable, type Couplings, type UntilStableOptions } from '../network/dynamics.ts';
import { Scratch, type Kernels } from './engine.ts';
import { kernelPool, type KernelPool } from './threads.ts';

/** Below this many output columns a product is computed as dot products along the inner dimension (SIMD along K). */
const NARROW = 16;
/**
 * Multiply-adds per example and step over the couplings a relaxation computes (W_1 … W_{L−1}, both
 * directions) from which it runs on the worker threads, each relaxing its own examples. A hand-off
 * costs ~0.1 ms (a futex wake-up); below this the shallow nets' relaxations are not faster split
 * (784-500-10: 10,000; its EP relaxation took 77–97 ms per 2,000 images split, 71–72 on one thread,
 * two runs each). `TFJS_TCL_RELAX_THREADS_MIN` overrides it.
 */
const THREADED_MIN_WORK = Number((typeof process !== 'undefined' && process.env?.TFJS_TCL_RELAX_THREADS_MIN) || 50_000);
/**
 * The same for a whole batch (B × the multiply-adds above): an evaluation chunk of 1,000 examples of
 * 784-500-10 (10,000 per example and step) is split too.
 */
const THREADED_MIN_BATCH_WORK = 5_000_000;

/** The batch's relaxation inputs copied into the pool's shared memory, and one descriptor per thread (kernels.as `relaxRows`). */
interface SharedRelax {
  pool: KernelPool;
  epoch: number;
  /** Four state sets (from, to, two spares), one pointer per layer. */
  sets: number[][];
  descs: number[];
  /** First row of each thread's share, and the end (B). */
  rows: number[];
}

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
  /** Relaxations on the worker threads (big hidden couplings and a pool): the shared copies, made on first use. */
  readonly threaded: boolean;
  private shared: SharedRelax | undefined;

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
    let work = 0;
    for (let i = 1; i < L; i++) work += 2 * sizes[i] * sizes[i + 1];
    this.threaded = B >= 2 && (work >= THREADED_MIN_WORK || B * work >= THREADED_MIN_BATCH_WORK) && kernelPool() !== null;
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
    if (this.threaded) return this.relaxThreaded(from, to, steps, eps, nudge, schedule);
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

  /**
   * `relax` with the examples split between the pool's threads, each relaxing its rows for all
   * steps (kernels.as `relaxRows`, the same kernels per row: the same bits as one thread). The
   * states go into the shared memory and back (B × Σn floats each way, small beside the steps).
   */
  private relaxThreaded(from: number[], to: number[], steps: number, eps: number, nudge: number, schedule: Schedule): void {
    const sh = this.sharedRelax();
    const { pool, sets, descs, rows } = sh;
    const { sizes, B, kern } = this;
    const n = sizes.slice(1);
    const same = from === to;
    from.forEach((p, i) => pool.view(sets[0][i], B * n[i]).set(kern.view(p, B * n[i])));
    // Each thread's descriptor: the "to" pointers are "from"'s when the sets are the same.
    descs.forEach((d, t) => {
      const off = (i: number) => rows[t] * n[i] * 4;
      const v = new Int32Array(pool.buffer(), d, 1 + 5 * n.length);
      const L = n.length;
      for (let s = 0; s < 4; s++) for (let i = 0; i < L; i++) v[1 + L + s * L + i] = sets[s === 1 && same ? 0 : s][i] + off(i);
    });
    const seq = schedule === 'sequential' ? 1 : 0;
    pool.run(
      'relaxRows',
      descs.map((d, t) => [d, rows[t + 1] - rows[t], steps, eps, nudge, seq]),
    );
    const out = sets[same ? 0 : 1];
    to.forEach((p, i) => kern.view(p, B * n[i]).set(pool.view(out[i], B * n[i])));
  }

  /** The shared copies for `relaxThreaded`, (re)made when missing or when the pool was reset since (its buffers reused). */
  private sharedRelax(): SharedRelax {
    const pool = kernelPool()!;
    if (this.shared && this.shared.pool === pool && this.shared.epoch === pool.epoch) return this.shared;
    pool.reset();
    const { sizes, B, kern } = this;
    const L = sizes.length - 1;
    const n = sizes.slice(1);
    const copyIn = (p: number, count: number) => {
      const q = pool.alloc(count);
      pool.view(q, count).set(kern.view(p, count));
      return q;
    };
    const drive = copyIn(this.inputDrive, B * n[0]);
    const target = this.target ? copyIn(this.target, B * n[L - 1]) : 0;
    const b: number[] = [];
    const W: number[] = [];
    const Wt: number[] = [];
    for (let c = 1; c < L; c++) {
      b.push(copyIn(this.b[c], sizes[c + 1]));
      W.push(copyIn(this.W[c], sizes[c] * sizes[c + 1]));
      Wt.push(copyIn(this.Wt[c], sizes[c] * sizes[c + 1]));
    }
    const sets = [0, 1, 2, 3].map(() => n.map((m) => pool.alloc(B * m)));
    // Rows split evenly, each share starting at a multiple of 4 floats in every layer (so that
    // relaxUpdate's SIMD lanes fall as on one thread: the same bits).
    const T = Math.min(pool.threads, B);
    const rows = [0];
    for (let t = 1; t < T; t++) {
      let r = Math.round((t * B) / T);
      while (r < B && n.some((m) => (r * m) % 4 !== 0)) r++;
      rows.push(Math.max(r, rows[t - 1]));
    }
    rows.push(B);
    const descs = rows.slice(0, -1).map((r0) => {
      const d = pool.alloc(1 + 5 * L + 2 + 3 * (L - 1));
      const v = new Int32Array(pool.buffer(), d, 1 + 5 * L + 2 + 3 * (L - 1));
      v[0] = L;
      n.forEach((m, i) => (v[1 + i] = m));
      const tail = 1 + 5 * L;
      v[tail] = drive + r0 * n[0] * 4;
      v[tail + 1] = target ? target + r0 * n[L - 1] * 4 : 0;
      for (let c = 1; c < L; c++) {
        v[tail + 1 + c] = b[c - 1];
        v[tail + L + c] = W[c - 1];
        v[tail + 2 * L - 1 + c] = Wt[c - 1];
      }
      return d;
    });
    this.shared = { pool, epoch: pool.epoch, sets, descs, rows };
    return this.shared;
  }

  /** dst += s W_c (transposed = false: s is layer c, dst layer c+1) or s W_cᵀ (true: s is layer c+1, dst layer c). */
  private product(dst: number, s: number, c: number, transposed: boolean): void {
    const k = this.kern.k;
    const { B, sizes } = this;
    const [nIn, nOut] = transposed ? [sizes[c + 1], sizes[c]] : [sizes[c], sizes[c + 1]];
    // Row-major [nIn × nOut] operand and its transpose.
    const mat = transposed ? this.Wt[c] : this.W[c];
    const matT = transposed ? this.W[c] : this.Wt[c];
    if (nOut >= NARROW || !matT) k.gemmAccK(dst, nOut, s, nIn, 1, mat, nOut, B, nIn, nOut, 1);
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

/**
 * `relaxUntilStable` (network/dynamics.ts: evaluation) on the kernels: the same stopping rule
 * (`stepsUntilStable`), predictions the argmax of s_L (the first maximum on ties, as `tf.argMax`).
 * Same arithmetic as the plain path up to float rounding (a test compares them).
 */
export function relaxUntilStableFused(kern: Kernels, c: Couplings, x: tf.Tensor2D, sizes: number[], opts: UntilStableOptions): { output: tf.Tensor2D; steps: number } {
  const fb = new FusedBatch(kern, c, x, null, sizes);
  try {
    const B = fb.B;
    const C = sizes[sizes.length - 1];
    const s = fb.statesFrom(undefined);
    const steps = stepsUntilStable(
      opts,
      (n) => fb.relax(s, s, n, opts.eps, 0, opts.schedule),
      () => {
        const o = kern.view(s[s.length - 1], B * C);
        const out = new Int32Array(B);
        for (let r = 0; r < B; r++) {
          let best = 0;
          for (let k = 1; k < C; k++) if (o[r * C + k] > o[r * C + best]) best = k;
          out[r] = best;
        }
        return out;
      },
    );
    return { output: kern.tensor2d(s[s.length - 1], B, C), steps };
  } finally {
    fb.dispose();
  }
}

/** dst (C × R) = srcᵀ (src R × C), through a JS view (small matrices, once per batch). */
export function transpose(kern: Kernels, dst: number, src: number, R: number, C: number): void {
  const s = kern.view(src, R * C);
  const d = kern.view(dst, R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) d[c * R + r] = s[r * C + c];
}
