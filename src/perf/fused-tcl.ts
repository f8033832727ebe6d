/**
 * TCL's fast synapse update for every weight group — 100 grid points × n_k × n_{k+1} dead zones
 * per group and batch — on one wasm kernel (`tclSynapses` in kernels.as, where the bilinear form
 * for two relaxing layers is derived), and the adaptive dead zone computed inside it.
 *
 * A weight's signal at cycle state m is s_m = a_mᵀ c_m / B (pre, post), so its grid response is
 *   u_j[i, h] = Σ_m toU[j, m] s_m[i, h] = Σ_{l≥1} C[j, l] e_l[i, h],
 *   e_l = s_l − s_{l−1},   C[j, l] = Σ_{m≥l} toU[j, m]
 * (the kernel has zero area, so the free state drops out; nothing assumes an order or sign of the
 * states' β). In this difference basis C is sparse and small on the slow ramp, which gives cheap
 * exact bounds per block of grid points:
 *   max_{j∈blk} |u_j| ≤ Σ_l max_{j∈blk}|C[j, l]| · |e_l|
 * and a block whose bound is below θ contributes nothing. Weight rows whose presynaptic unit is 0
 * at every state (pixels without ink) have u = 0 exactly and are not visited.
 *
 * Every weight group runs here (any width: the postsynaptic side is zero-padded to a multiple of
 * 16 lanes); the biases (n_k parameters each: G · n_k values, no bounds needed) in `biasFused`.
 */
import type { KernelExports, Kernels } from './engine.ts';
import type { FusedBatch } from './fused-relax.ts';
import { absQuantile, HIST_BINS as HIST, HIST_SHIFT, selectKth } from './select.ts';
import { kernelPool, type PoolKernel } from './threads.ts';

/** Grid points per bound block: smaller blocks bound tighter but cost more bound evaluations. */
const BLOCK = 4;
/** Blocks per super-block: a super-block's bound (the largest block coefficients of its blocks) is tested before theirs. */
const SUPER = 4;
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
  /** Per level, the largest block coefficient (the bound over the whole grid). */
  tileA: Float32Array;
  /** Super-blocks: first block of each (nSup + 1), the largest block coefficient per level, the nonzero level range. */
  supStart: Int32Array;
  supA: Float32Array;
  supLo: Int32Array;
  supHi: Int32Array;
  /** The kernel's v128 tables (`splat4`) of coef, the trapezoid weights, blkA, tileA and supA, built once. */
  splat: { coef: Float32Array; wgt: Float32Array; blkA: Float32Array; tileA: Float32Array; supA: Float32Array };
}

/** What the kernels need of a cycle's maps (training/methods/tcl-cycle.ts builds them; perf/ does not import training/). */
export interface CycleMapsLike {
  nStates: number;
  grid: number;
  /** grid × states. */
  toU: Float32Array;
  /** Trapezoid weights (grid). */
  weights: Float32Array;
}

const cache = new WeakMap<CycleMapsLike, CycleTables>();

/** C in the difference basis, the nonzero range of each row, and the per-block bound coefficients. */
export function cycleTables(maps: CycleMapsLike): CycleTables {
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
  const tileA = new Float32Array(S1);
  for (let b = 0; b < nBlk; b++) for (let l = 0; l < S1; l++) tileA[l] = Math.max(tileA[l], blkA[b * S1 + l]);
  // A super-block's bound is ≥ each of its blocks' in float arithmetic too (larger coefficients,
  // more nonnegative terms, the same order), so skipping it skips only blocks that would be skipped.
  const nSup = Math.ceil(nBlk / SUPER);
  const supStart = new Int32Array(nSup + 1);
  const supA = new Float32Array(nSup * S1);
  const supLo = new Int32Array(nSup);
  const supHi = new Int32Array(nSup);
  for (let sb = 0; sb < nSup; sb++) {
    supStart[sb] = sb * SUPER;
    let lo = S1;
    let hi = 0;
    for (let b = sb * SUPER; b < Math.min(nBlk, (sb + 1) * SUPER); b++) {
      for (let l = 0; l < S1; l++) supA[sb * S1 + l] = Math.max(supA[sb * S1 + l], blkA[b * S1 + l]);
      if (blkHi[b] > blkLo[b]) {
        lo = Math.min(lo, blkLo[b]);
        hi = Math.max(hi, blkHi[b]);
      }
    }
    supLo[sb] = lo;
    supHi[sb] = Math.max(lo, hi);
  }
  supStart[nSup] = nBlk;
  const splat = { coef: splat4(coef), wgt: splat4(maps.weights), blkA: splat4(blkA), tileA: splat4(tileA), supA: splat4(supA) };
  const t: CycleTables = { S1, G, coef, jLo, jHi, blkStart, blkA, blkLo, blkHi, tileA, supStart, supA, supLo, supHi, splat };
  cache.set(maps, t);
  return t;
}

/** Where the kernel's inputs are placed: the tfjs heap (one thread) or the pool's shared memory. */
export interface Arena {
  /** The kernels, instantiated on this arena's memory. */
  k: KernelExports;
  alloc(n: number): number;
  from(values: ArrayLike<number>, int?: boolean): number;
  view(p: number, n: number): Float32Array;
  buffer(): ArrayBuffer;
}

/** The dead zone of one synapse group: fixed θ, or the exact q-quantile of |u| over the group's (weight, grid point) pairs. */
export type DeadZoneSpec = number | { q: number; state: QuantileState };

/**
 * What one group's adaptive dead zone remembers between batches — only to run faster: the floor
 * below which the kernel neither computes nor records u is a fraction of the last θ. The result
 * never depends on it (a floor above the quantile is detected and the pass repeated lower).
 */
export interface QuantileState {
  lastTheta?: number;
  /** floor = factor · lastTheta; × 0.7 whenever a floor turns out to be above the quantile (the pass is then repeated at floor/3), × 1.05 (up to 0.9) when it recorded far more than needed. */
  factor: number;
  /** Records the last pass needed (sizes the next buffers). */
  lastRecords?: number;
}

export const newQuantileState = (): QuantileState => ({ factor: 0.7 });

export interface DeadZoneResult {
  /** From `deadZoneSums`: the group's sum buffer itself (column tiles, `tclSynapses`), a view of the arena valid until its next use; `untile` copies it. */
  sum: Float32Array;
  passed: number;
  theta: number;
  /** Fraction of the population's grid points the kernel evaluated (the rest was skipped by the bounds). */
  computedFraction: number;
  /** Kernel passes run (1 with a fixed θ; 1 + retries for the quantile). */
  passes: number;
}

/** One synapse group on a kernel: run it over every weight, adding into `sum` (fixed θ) or recording (rec tables, one per job). */
export interface GroupRun {
  arena: Arena;
  /** Weights in the group's sum buffer. */
  nWeights: number;
  /** Size of the quantile's population: (weight, grid point) pairs (weights that cannot move are left out). */
  population: number;
  /** Jobs (one per thread); the kernel adds into sumPtr, or records when recs[i] ≠ 0. */
  threads: number;
  sumPtr: number;
  /** Each job's share of the group's rows (sums to 1). */
  shares: number[];
  run(theta: number, recs: number[] | null): { computed: number; passed: number };
  /** Runs a kernel with one argument list per thread (on the pool when there is one). */
  parallel(name: PoolKernel, jobs: number[][]): void;
}


/** Fields of a record table (`record` in kernels.as). */
const REC_FIELDS = 9;

/** Record tables for each thread (see `record` in kernels.as), `cap` records each. */
function recordTables(a: Arena, threads: number, cap: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < threads; t++) {
    const rec = a.alloc(REC_FIELDS);
    const u = a.alloc(cap);
    const wu = a.alloc(cap);
    const idx = a.alloc(cap);
    const hist = a.alloc(HIST);
    new Int32Array(a.buffer(), rec, REC_FIELDS).set([cap, 0, u, wu, idx, hist, 0, 0, 0]);
    new Int32Array(a.buffer(), hist, HIST).fill(0);
    out.push(rec);
  }
  return out;
}

/** Empties record tables for another pass (count and histogram to 0; the buffers are reused). */
function clearRecordTables(a: Arena, recs: number[]): void {
  for (const rec of recs) {
    const i32 = new Int32Array(a.buffer(), rec, REC_FIELDS);
    i32[1] = 0;
    new Int32Array(a.buffer(), i32[5], HIST).fill(0);
  }
}

/** Sets the records a pass needs at or above its floor before the kernel may raise it (`tclSynapses` in kernels.as), and the extrapolation factor (0: off). */
function setNeed(a: Arena, recs: number[], need: number[], extrap: number): void {
  for (const [i, rec] of recs.entries()) {
    new Int32Array(a.buffer(), rec, REC_FIELDS)[6] = need[i];
    new Float32Array(a.buffer(), rec, REC_FIELDS)[8] = extrap;
  }
}

/**
 * The kernel's extrapolated floor raise (`tclSynapses`): the safety factor on the records the rest
 * of a pass needs. Replay of 100 batches of the adaptive preset (input group, 1 thread): records
 * 28.4 M without, 21.6 M at 1.5, 24.3 M at 2, and at 1.2 thirteen passes failed (repeated) where
 * 1.5 and 2 had none; CPU −11 % at 1.5 (2 threads −7 %).
 */
let EXTRAP = 1.5;
/**
 * With several threads, each raises its floor on its own records (`tclSynapses`), and the exact
 * condition is that one thread's records alone hold all N − k values the selection needs. The guess
 * asks each thread for its share of them (its share of the rows) × SHARE_SLACK instead; a failure is
 * detected like any extrapolated one. Adaptive preset, 2 threads, 100 batches: records per needed
 * value 3.0 → 2.1, grid points computed 9.9 % → 8.8 %, no repeated input-group pass (1.0: 6 repeats).
 */
const SHARE_SLACK = 1.15;
/** Extrapolated floor raises that overshot the quantile (each cost a repeated pass), since the last `setFloorGuess`. */
export const floorGuessStats = { overshoots: 0 };
/** Sets the extrapolation factor (0: no guessing; tests use a small one to force overshoots) and clears the statistics; returns the previous factor. */
export function setFloorGuess(factor: number): number {
  const old = EXTRAP;
  EXTRAP = factor;
  floorGuessStats.overshoots = 0;
  return old;
}

/**
 * Records each thread's table holds when `total` are wanted in all: the rows are dealt out
 * round-robin, so each thread records about its share; 20 % slack (an overflow only costs a pass).
 */
const perThreadCap = (total: number, threads: number) => (threads === 1 ? total : Math.ceil((1.2 * total) / threads) + 1024);

const f32bits = new Float32Array(1);
const u32bits = new Uint32Array(f32bits.buffer);
const fromBits = (b: number) => {
  u32bits[0] = b >>> 0;
  return f32bits[0];
};
const f32Bits = (v: number) => {
  f32bits[0] = v;
  return u32bits[0];
};

/**
 * Σ_j w_j g(u_j) for every weight of a group, with θ fixed or the exact q-quantile of |u| over the
 * group's population. Quantile: one kernel pass in record mode with a floor θ_f (blocks whose bound
 * is below θ_f are skipped, every |u| ≥ θ_f is recorded and histogrammed); if at most k = ⌊qN⌋ of
 * the N values lie below θ_f, the k-th smallest |u| is among the records (an exact selection: the
 * histogram names its bin, a quickselect within the bin gives it), and the records with |u| ≥ θ
 * are added. Otherwise (floor too high, or too many records for the buffers) the pass is repeated
 * with a lower floor, or with the floor the histogram gives and buffers that fit. During the pass
 * each thread raises its floor (before each weight row, to a histogram bin edge) as soon as its own
 * records so far hold N − k values at or above the new floor (the quantile cannot lie below it): in
 * a replay of 100 batches of the adaptive preset that cut the input group's records from 76 M to
 * 28 M (2 threads: 33 M) and the blocks computed by a third, when it rose between column blocks
 * only; before each row it also rises inside the single column block of a hidden→output group
 * (records per needed value there 8.7 → 1.9, one run of 100 batches). (Counting the other threads' records
 * too, read as they grow, took 2 threads to 29 M, but made the floor depend on the timing, and the
 * weights after a 10,000-image epoch differed in 3 of 9 identical runs: not kept; own records only,
 * 12 of 12 runs gave the bits of the code before the raise.) It may also raise the floor on a guess
 * (`EXTRAP`: the records so far, scaled to the part of the pass done); a guess above the quantile
 * leaves fewer than N − k values above the final floor, which is detected, and the pass repeated
 * without guessing. By the argument above the result does not depend on the floor reached, and
 * every check agrees (weights byte-identical to the code without floor raises); the timing-dependent
 * floors of the cross-thread variant say that somewhere it can — an open question.
 */
export function deadZoneSums(g: GroupRun, spec: DeadZoneSpec): DeadZoneResult {
  const a = g.arena;
  const sumView = () => a.view(g.sumPtr, g.nWeights);
  sumView().fill(0);
  if (typeof spec === 'number') {
    const { computed, passed } = g.run(spec, null);
    return { sum: sumView(), passed, theta: spec, computedFraction: computed / Math.max(1, g.population), passes: 1 };
  }
  const { q, state } = spec;
  const N = g.population;
  if (N === 0) return { sum: sumView(), passed: 0, theta: 0, computedFraction: 0, passes: 0 };
  const k = Math.min(N - 1, Math.floor(q * N));
  // The floor is never 0: exact zeros (rows without terms, padding lanes) are then never recorded.
  const MIN_FLOOR = 1.4e-45;
  let floor = Math.max(MIN_FLOOR, state.lastTheta !== undefined ? state.factor * state.lastTheta : 0);
  // Buffers for many times the records the selection needs (a floor at 0.5–0.7 θ records 2–15×; an overflow costs a pass).
  let cap = Math.max(1 << 20, 24 * (N - k), Math.ceil(1.5 * (state.lastRecords ?? 0)));
  let computedTotal = 0;
  // One set of tables for all passes, reallocated only when a pass needs more (the arena only grows,
  // and its high-water mark is the process's memory: a table per pass reached 700 MB on the deep net).
  let tables: { recs: number[]; cap: number } | undefined;
  let extrap = EXTRAP;
  for (let pass = 1; ; pass++) {
    const want = perThreadCap(cap, g.threads);
    if (tables && tables.cap >= want) clearRecordTables(a, tables.recs);
    else tables = { recs: recordTables(a, g.threads, want), cap: want };
    const recs = tables.recs;
    // A thread may raise its floor once its own records so far hold the N − k values the selection needs.
    setNeed(a, recs, g.shares.map((sh) => (extrap > 0 && g.threads > 1 ? Math.min(N - k, Math.ceil(SHARE_SLACK * sh * (N - k))) : N - k)), extrap);
    const { computed } = g.run(floor, recs);
    computedTotal += computed;
    const buf = a.buffer();
    const tabs = recs.map((r) => new Int32Array(buf, r, REC_FIELDS).slice());
    const seen = tabs.reduce((s, t) => s + t[1], 0);
    const hist = new Float64Array(HIST);
    for (const t of tabs) {
      const h = new Int32Array(buf, t[5], HIST);
      for (let i = 0; i < HIST; i++) hist[i] += h[i];
    }
    // Every value at or above the highest final floor was recorded by every thread (a floor only
    // rises, and a raised floor is a bin edge): the selection counts the histogram from its bin up.
    // Without a raise the bins below the floor's are empty, and M is every record.
    const f0 = Math.fround(floor);
    const top = Math.max(f0, ...tabs.map((t) => fromBits(t[7])));
    const raised = top > f0;
    const tbF = raised ? f32Bits(top) >>> HIST_SHIFT : 0;
    hist.fill(0, 0, tbF);
    let M = 0;
    for (let i = tbF; i < HIST; i++) M += hist[i];
    if (N - M > k && (floor > MIN_FLOOR || raised)) {
      if (raised && extrap > 0) {
        // An extrapolated raise overshot the quantile: again from the same floor, without.
        extrap = 0;
        floorGuessStats.overshoots++;
      } else {
        // The floor was above the quantile: lower it (next batches start lower too).
        state.factor *= 0.7;
        floor = pass > 4 ? MIN_FLOOR : Math.max(MIN_FLOOR, floor / 3);
      }
      continue;
    }
    if (N - M > k) {
      // More than a fraction q of the values are exactly 0: θ = 0, every nonzero u passes.
      g.parallel('applyRecords', tabs.map((t) => [g.sumPtr, t[2], t[3], t[4], t[1], -1, HIST_SHIFT, a.alloc(2)]));
      state.lastTheta = 0;
      return { sum: sumView(), passed: M, theta: 0, computedFraction: computedTotal / N, passes: pass };
    }
    // Rank of θ among the M values ≥ floor (ascending), and its histogram bin.
    const r = M - N + k;
    let below = 0;
    let tb = 0;
    while (below + hist[tb] <= r) below += hist[tb++];
    if (tabs.some((t) => t[1] > t[0])) {
      // Buffers overflowed: the histogram still names θ's bin; record from its lower edge.
      floor = fromBits(tb << HIST_SHIFT);
      let above = 0;
      for (let i = tb; i < HIST; i++) above += hist[i];
      cap = Math.ceil(above * 1.05) + 1024;
      continue;
    }
    // Records above θ's bin pass (added in the kernel); those inside it are candidates for the exact selection.
    // Each thread's records belong to its own rows: the tables are applied in parallel.
    const outs = tabs.map(() => a.alloc(2));
    g.parallel('applyRecords', tabs.map((t, i) => [g.sumPtr, t[2], t[3], t[4], t[1], tb, HIST_SHIFT, outs[i]]));
    const cand: Array<{ u: Float32Array; wu: Float32Array; idx: Int32Array }> = [];
    let passed = 0;
    for (const [i, t] of tabs.entries()) {
      const [m, p] = new Int32Array(a.buffer(), outs[i], 2);
      passed += p;
      cand.push({ u: new Float32Array(a.buffer(), t[2], m), wu: new Float32Array(a.buffer(), t[3], m), idx: new Int32Array(a.buffer(), t[4], m) });
    }
    const cu = new Float32Array(cand.reduce((n, c) => n + c.u.length, 0));
    let o = 0;
    for (const c of cand) {
      cu.set(c.u, o);
      o += c.u.length;
    }
    const theta = selectKth(cu, r - below);
    const sum = sumView();
    for (const c of cand) {
      for (let i = 0; i < c.u.length; i++) {
        if (c.u[i] >= theta) {
          sum[c.idx[i]] += c.wu[i];
          passed++;
        }
      }
    }
    state.lastTheta = theta;
    state.lastRecords = seen;
    if (pass === 1 && seen > 3 * (N - k)) state.factor = Math.min(0.9, state.factor * 1.05);
    return { sum, passed, theta, computedFraction: computedTotal / Math.max(1, N), passes: pass };
  }
}

/** The arena for one group's kernel inputs: the pool's shared memory (threads), else the batch's scratch on the tfjs heap. */
function arenaFor(kern: Kernels, fb: FusedBatch): { arena: Arena; threads: number; pool: ReturnType<typeof kernelPool> } {
  const pool = kernelPool();
  if (pool) {
    pool.reset();
    return { arena: pool, threads: pool.threads, pool };
  }
  const sc = fb.scratch;
  const arena: Arena = { k: kern.k, alloc: (n) => sc.alloc(n), from: (v, int) => sc.from(v, int), view: (p, n) => kern.view(p, n), buffer: () => kern.view(0, 0).buffer as ArrayBuffer };
  return { arena, threads: 1, pool: null };
}

type GroupContext = ReturnType<typeof arenaFor>;

/** Runs kernel `name` with one argument list per job: on the pool's threads when there are several jobs, else on this thread. */
function runJobs(ctx: GroupContext, name: PoolKernel, jobs: number[][]): void {
  if (ctx.pool && jobs.length > 1) ctx.pool.run(name, jobs);
  else for (const j of jobs) (ctx.arena.k[name] as (...a: number[]) => void)(...j);
}

/**
 * The [B × n] heap buffers of every cycle state copied into the arena as H [S × B × nP] (columns
 * zero-padded to nP), and their level differences γ_l = H_l − H_{l−1} [(S−1) × B × nP].
 */
function statesAndLevels(kern: Kernels, arena: Arena, ptrs: number[], B: number, n: number, nP: number): { H: number; gam: number } {
  const S = ptrs.length;
  const H = arena.alloc(S * B * nP);
  const d = arena.view(H, S * B * nP);
  if (nP !== n) d.fill(0);
  ptrs.forEach((p, m) => {
    const src = kern.view(p, B * n);
    for (let b = 0; b < B; b++) d.set(src.subarray(b * n, (b + 1) * n), (m * B + b) * nP);
  });
  const gam = arena.alloc((S - 1) * B * nP);
  arena.k.sub(gam, H + B * nP * 4, H, (S - 1) * B * nP);
  return { H, gam };
}

/** The kernel computes 16 weights of a row at a time: the postsynaptic width is padded to a multiple of 16. */
const LANES = 16;
const ceil16 = (n: number) => (n + LANES - 1) & ~(LANES - 1);

/** Growable (address, value) term lists. */
export class Terms {
  addr = new Int32Array(1024);
  val = new Float32Array(1024);
  n = 0;
  push(a: number, v: number): void {
    if (this.n === this.addr.length) {
      const addr = new Int32Array(2 * this.n);
      addr.set(this.addr);
      const val = new Float32Array(2 * this.n);
      val.set(this.val);
      [this.addr, this.val] = [addr, val];
    }
    this.addr[this.n] = a;
    this.val[this.n++] = v;
  }
}

/**
 * A weight group on `tclSynapses`: rows 0 … nIn−1 of W (row stride nP, the postsynaptic width
 * rounded up to 16), each row's terms pushed by `terms(i, out)` as (address of a postsynaptic row
 * at level 1, coefficient), the same row at level l + 1 being `levelStride` bytes further (see
 * `tclSynapses`). Rows without terms have u = 0 and are not visited. With a worker pool the rows are dealt out round-robin, one share per
 * thread; every weight is computed by exactly one thread with the same arithmetic, so the result
 * does not depend on the number of threads.
 */
function weightGroup(
  ctx: GroupContext,
  maps: CycleMapsLike,
  nIn: number,
  n1: number,
  population: (activeRows: number) => number,
  levelStride: number,
  terms: (i: number, out: Terms) => void,
): GroupRun {
  const { arena, threads } = ctx;
  const t = cycleTables(maps);
  const nP = ceil16(n1);
  const parts = Array.from({ length: threads }, () => ({ rows: [] as number[], start: [0], terms: new Terms() }));
  let nR = 0;
  for (let i = 0; i < nIn; i++) {
    const c = parts[nR % threads];
    const before = c.terms.n;
    terms(i, c.terms);
    if (c.terms.n > before) {
      c.rows.push(i);
      c.start.push(c.terms.n);
      nR++;
    }
  }
  const sumPtr = arena.alloc(nIn * nP);
  const shared = [
    t.S1,
    arena.from(t.splat.coef), arena.from(t.jLo, true), arena.from(t.jHi, true), arena.from(t.splat.wgt),
    t.blkStart.length - 1, arena.from(t.blkStart, true), arena.from(t.splat.blkA), arena.from(t.blkLo, true), arena.from(t.blkHi, true), arena.from(t.splat.tileA),
    t.supStart.length - 1, arena.from(t.supStart, true), arena.from(t.splat.supA), arena.from(t.supLo, true), arena.from(t.supHi, true),
  ];
  const perJob = parts.map((c) => [c.rows.length, arena.from(c.rows, true), arena.from(c.start, true), arena.from(c.terms.addr.subarray(0, c.terms.n), true), arena.from(c.terms.val.subarray(0, c.terms.n)), levelStride]);
  const scratchE = parts.map(() => arena.alloc((2 * t.S1 + 1) * LANES));
  const counts = parts.map(() => arena.alloc(4));
  return {
    arena,
    nWeights: nIn * nP,
    population: population(nR) * n1 * t.G,
    threads,
    sumPtr,
    shares: parts.map((c) => c.rows.length / Math.max(1, nR)),
    run(theta, recs) {
      for (const c of counts) arena.view(c, 4).fill(0);
      const jobs = parts.map((_, i) => [sumPtr, nP, nIn, theta, ...perJob[i], ...shared, scratchE[i], counts[i], recs ? recs[i] : 0]);
      runJobs(ctx, 'tclSynapses', jobs);
      let passed = 0;
      let computed = 0;
      for (const c of counts) {
        const v = new Float64Array(arena.buffer(), c, 2);
        passed += v[0];
        computed += v[1];
      }
      return { computed: computed * 4, passed };
    },
    parallel: (name, jobs) => runJobs(ctx, name, jobs),
  };
}

/** The [rows × n] sums (a copy) from the kernel's column tiles [nP/16 × rows × 16] (`tclSynapses`), padding dropped. */
function untile(a: Arena, r: DeadZoneResult, rows: number, n: number): DeadZoneResult {
  const src = r.sum.byteOffset; // before the allocation, which may grow (and detach) the memory
  const dst = a.alloc(rows * n);
  a.k.untile(dst, src, rows, n);
  return { ...r, sum: a.view(dst, rows * n).slice() };
}

/**
 * The input weights' dead-zone sums [n0 × n1] for one cycle, from the heap buffers of the first
 * hidden layer at every cycle state (state 0 = free). With the input clamped, e_l = xᵀ γ_l / B:
 * one term per example with ink. The quantile's population: the rows with ink in the batch (the
 * others have u = 0 and do not move) × n1 × G.
 */
export function inputWeightsFused(kern: Kernels, fb: FusedBatch, hidden: number[], maps: CycleMapsLike, spec: DeadZoneSpec): DeadZoneResult {
  const B = fb.B;
  const [n0, n1] = fb.sizes;
  const nP = ceil16(n1);
  const ctx = arenaFor(kern, fb);
  const { gam } = statesAndLevels(kern, ctx.arena, hidden, B, n1, nP);
  // Each row's examples with ink (b, x/B), found once for all levels.
  const xs = kern.view(fb.x, B * n0);
  const inkStart = new Int32Array(n0 + 1);
  for (let b = 0; b < B; b++) for (let i = 0; i < n0; i++) if (xs[b * n0 + i] !== 0) inkStart[i + 1]++;
  for (let i = 0; i < n0; i++) inkStart[i + 1] += inkStart[i];
  const inkB = new Int32Array(inkStart[n0]);
  const inkV = new Float32Array(inkStart[n0]);
  {
    const fill = inkStart.slice(0, n0);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < n0; i++) {
        const v = xs[b * n0 + i];
        if (v !== 0) {
          inkB[fill[i]] = b;
          inkV[fill[i]++] = v / B;
        }
      }
    }
  }
  const rowBytes = nP * 4;
  const group = weightGroup(ctx, maps, n0, n1, (active) => active, B * rowBytes, (i, out) => {
    for (let p = inkStart[i]; p < inkStart[i + 1]; p++) out.push(gam + inkB[p] * rowBytes, inkV[p]);
  });
  return untile(ctx.arena, deadZoneSums(group, spec), n0, n1);
}

/**
 * The weights W_k between layers k and k+1 (k ≥ 1: both relax during the cycle), from the heap
 * buffers states[l] = [pre, post] at every cycle state. The level changes e_l (see `tclSynapses`)
 * come from `bilinearE`: α_l[b, i]/B times c_l[b, :] plus a_{l−1}[b, i]/B times γ_l[b, :], exact
 * zeros (units clipped at 0, or unchanged between levels) skipped. The quantile's population: all
 * nIn × n1 weights × G.
 */
export function hiddenWeightsFused(kern: Kernels, fb: FusedBatch, states: number[][], k: number, maps: CycleMapsLike, spec: DeadZoneSpec): DeadZoneResult {
  const B = fb.B;
  const nIn = fb.sizes[k];
  const n1 = fb.sizes[k + 1];
  const nP = ceil16(n1);
  const S1 = maps.nStates - 1;
  const ctx = arenaFor(kern, fb);
  const { arena } = ctx;
  // Post- and presynaptic states of every cycle state in the arena ([S × B × nP], [S × B × nIn]), γ_l = c_l − c_{l−1}.
  const { H, gam } = statesAndLevels(kern, arena, states.map(([, c]) => c), B, n1, nP);
  const A = arena.alloc((S1 + 1) * B * nIn);
  const d = arena.view(A, (S1 + 1) * B * nIn);
  states.forEach(([a], m) => d.set(kern.view(a, B * nIn), m * B * nIn));
  // A row whose unit is 0 at every state and example has e = 0: it is not visited.
  const act = arena.alloc(nIn);
  arena.k.nonzeroColumns(act, A, (S1 + 1) * B, nIn);
  const active = new Int32Array(arena.buffer(), act, nIn).slice();
  // E_l [nIn × nP] per level (the bilinear form, `bilinearE`), so that tclSynapses gets one term per
  // row and level (coefficient 1: the same bits as listing the row's terms). Rows split over the
  // threads when the group is large enough to pay for waking one (~0.1 ms): 500 × 500, not 500 × 10.
  // Each job zeroes its own rows of E first.
  const E = arena.alloc(S1 * nIn * nP);
  const split = ctx.pool && nIn * nP * B >= 1 << 20 ? ctx.threads : 1;
  const jobs = Array.from({ length: split }, (_, t) => [E, nP, A, nIn, H, gam, B, S1, Math.round((t * nIn) / split), Math.round(((t + 1) * nIn) / split), arena.alloc(16)]);
  runJobs(ctx, 'bilinearE', jobs);
  const rowBytes = nP * 4;
  const group = weightGroup(ctx, maps, nIn, n1, () => nIn, nIn * rowBytes, (i, out) => {
    if (active[i]) out.push(E + i * rowBytes, 1);
  });
  return untile(ctx.arena, deadZoneSums(group, spec), nIn, n1);
}

/** Each value repeated in 4 lanes (a v128 table the kernel loads without a splat). */
function splat4(v: Float32Array): Float32Array {
  const out = new Float32Array(v.length * 4);
  for (let i = 0; i < v.length; i++) out.fill(v[i], 4 * i, 4 * i + 4);
  return out;
}

const relCache = new WeakMap<CycleMapsLike, Float32Array>();
/** The G × (S−1) part of toU acting on signals relative to the free state (the kernel has zero area). */
export function toURel(maps: CycleMapsLike): Float32Array {
  let m = relCache.get(maps);
  if (!m) {
    const S = maps.nStates;
    m = new Float32Array(maps.grid * (S - 1));
    for (let j = 0; j < maps.grid; j++) for (let l = 1; l < S; l++) m[j * (S - 1) + l - 1] = maps.toU[j * S + l];
    relCache.set(maps, m);
  }
  return m;
}

/**
 * The bias b_k's dead-zone sums [n] for one cycle, from the heap buffers of layer k+1 at every cycle
 * state: signal s_m = mean_b c_m[b, :], u = toU_rel · (s_l − s_0) [G × n] on the kernels (n · G
 * values: small, so no bounds), θ fixed or the exact q-quantile of |u| (histogram selection).
 */
export function biasFused(kern: Kernels, fb: FusedBatch, post: number[], n: number, maps: CycleMapsLike, theta: number | { q: number }): { sum: Float32Array; passed: number; theta: number } {
  const B = fb.B;
  const S = post.length;
  const S1 = S - 1;
  const G = maps.grid;
  const sc = fb.scratch;
  const M = sc.alloc(S * n);
  const D = sc.alloc(S1 * n);
  const U = sc.alloc(G * n);
  const C = sc.from(toURel(maps));
  kern.view(M, S * n).fill(0);
  kern.view(U, G * n).fill(0);
  for (let m = 0; m < S; m++) kern.k.addColumnSums(M + 4 * m * n, post[m], B, n, 1 / B);
  for (let l = 0; l < S1; l++) kern.k.sub(D + 4 * l * n, M + 4 * (l + 1) * n, M, n);
  kern.k.gemmAcc(U, n, C, S1, 1, D, n, G, S1, n, 1);
  const u = kern.view(U, G * n);
  const th = typeof theta === 'number' ? theta : absQuantile(u, theta.q);
  const sum = new Float32Array(n);
  const passed = deadZoneSum(u, G, n, th, maps.weights, sum);
  return { sum, passed, theta: th };
}

/** Σ_j w_j g(u_j) into out[i] for u [G × P] (row j: grid point j) at a fixed θ; returns the passing (parameter, grid point) pairs. */
export function deadZoneSum(u: Float32Array, G: number, P: number, theta: number, w: Float32Array, out: Float32Array): number {
  let passed = 0;
  for (let j = 0; j < G; j++) {
    const wj = w[j];
    const off = j * P;
    for (let i = 0; i < P; i++) {
      const v = u[off + i];
      if (v >= theta || v <= -theta) {
        out[i] += wj * v;
        passed++;
      }
    }
  }
  return passed;
}
