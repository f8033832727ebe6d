/**
 * The heavy part of TCL's fast synapse update — the input weights W_0, 100 grid points × 784 × 500
 * dead zones per batch — as one wasm kernel (`tclInputWeights` in kernels.as).
 *
 * With the input clamped, a weight's signal at cycle state m is x_i h_m / B, so its grid response is
 *   u_j[i, h] = Σ_m toU[j, m] Σ_b x[b, i] H_m[b, h] / B = Σ_{l≥1} C[j, l] e_l[i, h],
 *   e_l = xᵀ (H_l − H_{l−1}) / B,   C[j, l] = Σ_{m≥l} toU[j, m]
 * (the kernel has zero area, so the free state drops out). In this difference basis C is sparse
 * and small on the slow ramp, which gives cheap exact bounds per block of grid points:
 *   max_{j∈blk} |u_j| ≤ Σ_l max_{j∈blk}|C[j, l]| · |e_l|
 * and a block whose bound is below θ contributes nothing. Rows of W_0 whose input is 0 in the
 * whole batch have u = 0 exactly and are not visited.
 */
import type { CycleMaps } from '../training/methods/tcl-cycle.ts';
import type { Kernels } from './engine.ts';
import type { FusedBatch } from './fused-relax.ts';
import { kernelPool } from './threads.ts';

/** Grid points per bound block: smaller blocks bound tighter but cost more bound evaluations. */
const BLOCK = 4;
/** Relative safety margin on the bound (float rounding of the bound itself). */
const MARGIN = 1 + 1e-4;

interface CycleTables {
  S1: number;
  G: number;
  coef: Float32Array;
  jLo: Int32Array;
  jHi: Int32Array;
  blkStart: Int32Array;
  blkA: Float32Array;
  blkLo: Int32Array;
  blkHi: Int32Array;
}

const cache = new WeakMap<CycleMaps, CycleTables>();

/** C in the difference basis, the nonzero range of each row, and the per-block bound coefficients. */
export function cycleTables(maps: CycleMaps): CycleTables {
  const hit = cache.get(maps);
  if (hit) return hit;
  const S = maps.nStates;
  const S1 = S - 1;
  const G = maps.grid;
  const C = new Float64Array(G * S1);
  let maxAbs = 0;
  for (let j = 0; j < G; j++) {
    let acc = 0;
    for (let l = S1; l >= 1; l--) {
      acc += maps.toU[j * S + l];
      C[j * S1 + l - 1] = acc;
      maxAbs = Math.max(maxAbs, Math.abs(acc));
    }
  }
  // Residues of float32 rounding in toU (rows sum to 0 only to ~1e-7 relative) count as zero.
  const tiny = maxAbs * 1e-6;
  const coef = new Float32Array(G * S1);
  const jLo = new Int32Array(G);
  const jHi = new Int32Array(G);
  for (let j = 0; j < G; j++) {
    let lo = S1;
    let hi = 0;
    for (let l = 0; l < S1; l++) {
      const v = Math.abs(C[j * S1 + l]) > tiny ? C[j * S1 + l] : 0;
      coef[j * S1 + l] = v;
      if (v !== 0) {
        lo = Math.min(lo, l);
        hi = l + 1;
      }
    }
    jLo[j] = lo;
    jHi[j] = Math.max(lo, hi);
  }
  const nBlk = Math.ceil(G / BLOCK);
  const blkStart = new Int32Array(nBlk + 1);
  const blkA = new Float32Array(nBlk * S1);
  const blkLo = new Int32Array(nBlk);
  const blkHi = new Int32Array(nBlk);
  for (let b = 0; b < nBlk; b++) {
    blkStart[b] = b * BLOCK;
    let lo = S1;
    let hi = 0;
    for (let l = 0; l < S1; l++) {
      let m = 0;
      for (let j = b * BLOCK; j < Math.min(G, (b + 1) * BLOCK); j++) m = Math.max(m, Math.abs(coef[j * S1 + l]));
      blkA[b * S1 + l] = m * MARGIN;
      if (m > 0) {
        lo = Math.min(lo, l);
        hi = l + 1;
      }
    }
    blkLo[b] = lo;
    blkHi[b] = Math.max(lo, hi);
  }
  blkStart[nBlk] = G;
  const t: CycleTables = { S1, G, coef, jLo, jHi, blkStart, blkA, blkLo, blkHi };
  cache.set(maps, t);
  return t;
}

/** Where the kernel's inputs are placed: the tfjs heap (one thread) or the pool's shared memory. */
interface Arena {
  alloc(n: number): number;
  from(values: ArrayLike<number>, int?: boolean): number;
  view(p: number, n: number): Float32Array;
}

/**
 * Σ_j w_j g(u_j) for every input weight, [n0 × n1], from the cycle's hidden states (heap pointers,
 * state 0 = free). Returns the sum and the number of (weight, grid point) pairs that passed.
 * With a worker pool the input rows are dealt out round-robin, one share per thread; every weight
 * is computed by exactly one thread with the same arithmetic, so the result does not depend on it.
 */
/** The kernel writes 4 hidden units at a time (128-bit stores): the first hidden layer must be a multiple of 4. */
export function inputWeightsFusedSupports(sizes: number[]): boolean {
  return sizes[1] % 4 === 0;
}

export function inputWeightsFused(kern: Kernels, fb: FusedBatch, hidden: number[], maps: CycleMaps, theta: number): { sum: Float32Array; passed: number; computedFraction: number } {
  if (!inputWeightsFusedSupports(fb.sizes)) throw new Error(`inputWeightsFused: the first hidden layer (${fb.sizes[1]}) must be a multiple of 4`);
  const B = fb.B;
  const n0 = fb.sizes[0];
  const n1 = fb.sizes[1];
  const t = cycleTables(maps);
  const pool = kernelPool();
  const parts = pool ? pool.threads : 1;
  // CSR of xᵀ per thread: for each input row with ink, the examples and x/B.
  const xs = kern.view(fb.x, B * n0).slice();
  const csr = Array.from({ length: parts }, () => ({ rowIndex: [] as number[], rowStart: [0], nzB: [] as number[], nzX: [] as number[] }));
  let nR = 0;
  for (let i = 0; i < n0; i++) {
    const c = csr[nR % parts];
    const before = c.nzB.length;
    for (let b = 0; b < B; b++) {
      const v = xs[b * n0 + i];
      if (v !== 0) {
        c.nzB.push(b);
        c.nzX.push(v / B);
      }
    }
    if (c.nzB.length > before) {
      c.rowIndex.push(i);
      c.rowStart.push(c.nzB.length);
      nR++;
    }
  }
  // Level differences H_l − H_{l−1}, [(S−1) × B × n1].
  const dHsize = t.S1 * B * n1;
  const dHheap = fb.scratch.alloc(dHsize);
  for (let l = 1; l <= t.S1; l++) kern.k.sub(dHheap + (l - 1) * B * n1 * 4, hidden[l], hidden[l - 1], B * n1);
  let arena: Arena;
  if (pool) {
    pool.reset();
    arena = pool;
  } else {
    const sc = fb.scratch;
    arena = { alloc: (n) => sc.alloc(n), from: (v, int) => sc.from(v, int), view: (p, n) => kern.view(p, n) };
  }
  const sumPtr = arena.alloc(n0 * n1);
  const dH = pool ? pool.from(kern.view(dHheap, dHsize)) : dHheap;
  const shared = [
    dH, B, t.S1,
    arena.from(splat4(t.coef)), arena.from(t.jLo, true), arena.from(t.jHi, true), arena.from(splat4(maps.weights)),
    t.blkStart.length - 1, arena.from(t.blkStart, true), arena.from(splat4(t.blkA)), arena.from(t.blkLo, true), arena.from(t.blkHi, true),
  ];
  const counts: number[] = [];
  const jobs = csr.map((c) => {
    const cnt = arena.alloc(4);
    counts.push(cnt);
    return [
      sumPtr, n1, 1, theta,
      c.rowIndex.length, arena.from(c.rowIndex, true), arena.from(c.rowStart, true), arena.from(c.nzB, true), arena.from(c.nzX),
      ...shared,
      arena.alloc(8 * t.S1), cnt,
    ];
  });
  arena.view(sumPtr, n0 * n1).fill(0);
  for (const c of counts) arena.view(c, 4).fill(0);
  if (pool) pool.runTclInputWeights(jobs);
  else kern.k.tclInputWeights(...jobs[0]);
  let passed = 0;
  let computed = 0;
  for (const c of counts) {
    const v = new Float64Array(arena.view(c, 4).buffer, c, 2);
    passed += v[0];
    computed += v[1];
  }
  const computedFraction = computed / Math.max(1, nR * (n1 / 4) * t.G);
  return { sum: arena.view(sumPtr, n0 * n1).slice(), passed, computedFraction };
}

/** Each value repeated in 4 lanes (a v128 table the kernel loads without a splat). */
function splat4(v: Float32Array): Float32Array {
  const out = new Float32Array(v.length * 4);
  for (let i = 0; i < v.length; i++) out.fill(v[i], 4 * i, 4 * i + 4);
  return out;
}
