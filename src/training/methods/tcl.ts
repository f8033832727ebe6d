/**
 * Temporal Contrastive Learning (Falk, Strupp, Scellier & Murugan 2025; DESIGN.md §3).
 *
 * Per batch, one nudging cycle: β rises fast from 0 to β_max and falls slowly back (sawtooth).
 * Every synapse sees only its local signal s(t) — ρ(pre)ᵀρ(post)/B for a weight, mean ρ(post)
 * for a bias — and its integral-feedback memory turns it into
 *
 *   u(t) = (K * s)(t),  K_k = sin(2πk/10)/3  (zero area: the free-state signal cancels)
 *   Δp   = lr/β · 0.5 · 10000 · ∫ g(u) dt,   g(u) = u if |u| ≥ θ else 0   (dead zone)
 *
 * On the fast ramp |u| passes θ, on the slow ramp it does not, so Δp ∝ s_clamped − s_free:
 * the contrastive update, with no second phase stored. Two equivalent implementations:
 *  - 'faithful': each synapse's FIR memory is stepped through the cycle's grid in time;
 *  - 'fast': u is linear in the signal, so the grid response folds into one matrix per cycle;
 *    for the input weights (pre = x is clamped) u_j = xᵀ D_j / B with D_j the filtered
 *    postsynaptic trace, and a column (j, h) is skipped when the bound
 *    |u| ≤ max(Σ_b D⁺, −Σ_b D⁻)/B (x ∈ [0,1]) proves no weight of it passes the dead zone.
 */
import * as tf from '@tensorflow/tfjs';
import type { EnergyDense } from '../../layers/energy-dense.ts';
import type { EnergyNetwork } from '../../layers/energy-network.ts';
import { disposePrepared, freePhase, nudgedPhase, prepare, zeroStates } from '../../network/dynamics.ts';
import { kernelsForBackend, type Kernels } from '../../perf/engine.ts';
import { FusedBatch } from '../../perf/fused-relax.ts';
import { inputWeightsFused } from '../../perf/fused-tcl.ts';
import { parseDeadZone, type TclHyper } from '../preset.ts';
import type { Rng } from '../rng.ts';
import { applyDelta, timed, type Batch, type Delta, type PhaseTimer, type StepContext, type TrainingMethod } from '../types.ts';
import { cycleMaps, type CycleMaps } from './tcl-cycle.ts';

/** Per-group dead-zone thresholds actually used (fixed, or measured per batch for 'quantile:q'). */
export interface Thresholds {
  W: number[];
  b: number[];
}

export interface TclOptions {
  /** Overrides the thresholds (tests set them from a batch's measured Δ). */
  theta?: Thresholds;
  /** Write the synapse memory into the layers (always in faithful mode). */
  writeMemory?: boolean;
  timer?: PhaseTimer;
  /** RNG for the quantile dead zone's row sample. */
  rng?: Rng;
  /** false: plain tfjs path for the 'fast' update (default: wasm kernels on the wasm backend, src/perf). */
  fused?: boolean;
}

export interface TclResult {
  delta: Delta;
  free: tf.Tensor2D[];
  theta: Thresholds;
  /** Fraction of (parameter, grid point) pairs that passed the dead zone, per group (W then b). */
  passFraction: { W: number[]; b: number[] };
}

/** The relaxed states of one cycle: states[l][k] is layer k+1 at cycle state l (state 0 = free). */
function relaxCycle(net: EnergyNetwork, batch: Batch, beta: number, hyper: TclHyper, maps: CycleMaps, timer?: PhaseTimer) {
  const { eps, freeSteps, schedule } = net.relaxation;
  const p = prepare(net.couplings(), batch.x);
  const init = batch.init ?? zeroStates(net.sizes, batch.x.shape[0]);
  try {
    return timed(timer, 'relaxation', () => {
      const states: tf.Tensor2D[][] = [freePhase(p, init, freeSteps, eps, schedule)];
      for (let l = 1; l < maps.nStates; l++) {
        const b = beta * maps.stateBeta[l];
        states.push(nudgedPhase(p, states[maps.relaxFrom[l]], hyper.stepsPerLevel, eps, b, batch.target, schedule));
      }
      return states;
    });
  } finally {
    disposePrepared(p);
    if (!batch.init) init.forEach((t) => t.dispose());
  }
}

/** relaxCycle on the wasm kernels; also returns the hidden states' heap buffers for the input-weight kernel. */
function relaxCycleFused(kern: Kernels, net: EnergyNetwork, batch: Batch, beta: number, hyper: TclHyper, maps: CycleMaps, timer?: PhaseTimer) {
  const { eps, freeSteps, schedule } = net.relaxation;
  const fb = new FusedBatch(kern, net.couplings(), batch.x, batch.target, net.sizes);
  try {
    const sets = timed(timer, 'relaxation', () => {
      const sets: number[][] = [fb.statesFrom(batch.init)];
      fb.relax(sets[0], sets[0], freeSteps, eps, 0, schedule);
      for (let l = 1; l < maps.nStates; l++) {
        sets.push(fb.newStates());
        fb.relax(sets[maps.relaxFrom[l]], sets[l], hyper.stepsPerLevel, eps, 2 * beta * maps.stateBeta[l], schedule);
      }
      return sets;
    });
    return { fb, states: sets.map((st) => fb.tensors(st)), hidden: sets.map((st) => st[0]) };
  } catch (e) {
    fb.dispose();
    throw e;
  }
}

/** Runs f in a tidy scope and returns its result's values (the tensor is disposed). */
function download(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

function deadZoneSum(u: Float32Array, G: number, P: number, theta: number, w: Float32Array, out: Float32Array): number {
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

/** q-quantile of |v| over (a random sample of at most 65,536 of) the values. */
function absQuantile(values: Float32Array, q: number, rng?: Rng): number {
  const n = values.length;
  const m = Math.min(n, 65536);
  const s = new Float32Array(m);
  for (let i = 0; i < m; i++) s[i] = Math.abs(values[m === n ? i : Math.floor((rng ? rng.next() : Math.random()) * n)]);
  s.sort();
  return s[Math.min(m - 1, Math.floor(q * m))];
}

/** Stacks a per-state signal list relative to state 0: [nStates−1, P]. */
function relativeSignals(sig: tf.Tensor[]): tf.Tensor2D {
  return tf.tidy(() => {
    const s0 = sig[0].reshape([1, -1]);
    return tf.sub(tf.stack(sig.slice(1).map((t) => t.reshape([-1]))), s0) as tf.Tensor2D;
  });
}

/** The G × (nStates−1) part of toU that acts on signals relative to the free state (kernel has zero area). */
function toURelative(maps: CycleMaps): tf.Tensor2D {
  const S = maps.nStates;
  const m = new Float32Array(maps.grid * (S - 1));
  for (let j = 0; j < maps.grid; j++) for (let l = 1; l < S; l++) m[j * (S - 1) + l - 1] = maps.toU[j * S + l];
  return tf.tensor2d(m, [maps.grid, S - 1]);
}

/**
 * Fast path for the clamped-input weights: Σ_j w_j g(u_j) with u_j = xᵀ D_j / B, D = toU · ΔH.
 * Returns the accumulated [n0 × n1] sum, the number of passing pairs and, for 'quantile', θ.
 */
function inputWeightsFast(
  x: tf.Tensor2D,
  dH: tf.Tensor2D /* [nStates-1, B*n1] */,
  toU: tf.Tensor2D,
  maps: CycleMaps,
  n1: number,
  theta: number | { q: number },
  rng?: Rng,
  fusedSum?: (theta: number) => { sum: Float32Array; passed: number },
): { sum: Float32Array; passed: number; theta: number } {
  const B = x.shape[0];
  const n0 = x.shape[1];
  const G = maps.grid;
  if (fusedSum && typeof theta === 'number') return { ...fusedSum(theta), theta };
  const D = download(() => tf.matMul(toU, dH)); // [G, B, n1]
  const xs = download(() => tf.clipByValue(x, 0, 1)); // [B, n0]
  // Rows whose input is 0 in every example have u = 0 exactly.
  const rows: number[] = [];
  for (let i = 0; i < n0; i++) {
    let any = false;
    for (let b = 0; b < B; b++) if (xs[b * n0 + i] !== 0) { any = true; break; }
    if (any) rows.push(i);
  }
  const nR = rows.length;
  const xT = new Float32Array(nR * B);
  for (let r = 0; r < nR; r++) for (let b = 0; b < B; b++) xT[r * B + b] = xs[b * n0 + rows[r]] / B;
  const sum = new Float32Array(n0 * n1);
  if (nR === 0) return { sum, passed: 0, theta: typeof theta === 'number' ? theta : 0 };
  const xTt = tf.tensor2d(xT, [nR, B]);
  let th: number;
  if (typeof theta === 'number') {
    th = theta;
  } else {
    // Adaptive dead zone (ours): θ = q-quantile of |u| over 32 random input rows and every grid point.
    const pick = Math.min(32, nR);
    const sample = new Float32Array(pick * B);
    for (let r = 0; r < pick; r++) {
      const src = Math.floor((rng ? rng.next() : Math.random()) * nR);
      sample.set(xT.subarray(src * B, src * B + B), r * B);
    }
    const u = download(() => tf.matMul(tf.tensor2d(sample, [pick, B]), tf.tensor3d(D, [G, B, n1]).transpose([1, 0, 2]).reshape([B, G * n1])));
    th = absQuantile(u, theta.q, rng);
  }
  if (fusedSum) {
    xTt.dispose();
    return { ...fusedSum(th), theta: th };
  }
  // Bound per column (j, h): with x ∈ [0,1], u ∈ [Σ_b D⁻/B, Σ_b D⁺/B].
  const colJ: number[] = [];
  const colH: number[] = [];
  for (let j = 0; j < G; j++) {
    for (let h = 0; h < n1; h++) {
      let pos = 0;
      let neg = 0;
      for (let b = 0; b < B; b++) {
        const v = D[(j * B + b) * n1 + h];
        if (v > 0) pos += v;
        else neg += v;
      }
      if (pos / B >= th || -neg / B >= th) {
        colJ.push(j);
        colH.push(h);
      }
    }
  }
  let passed = 0;
  const CHUNK = 8192;
  for (let c0 = 0; c0 < colJ.length; c0 += CHUNK) {
    const nc = Math.min(CHUNK, colJ.length - c0);
    const Dact = new Float32Array(B * nc);
    for (let a = 0; a < nc; a++) {
      const j = colJ[c0 + a];
      const h = colH[c0 + a];
      for (let b = 0; b < B; b++) Dact[b * nc + a] = D[(j * B + b) * n1 + h];
    }
    const u = download(() => tf.matMul(xTt, tf.tensor2d(Dact, [B, nc])));
    for (let r = 0; r < nR; r++) {
      const rowOff = rows[r] * n1;
      const uOff = r * nc;
      for (let a = 0; a < nc; a++) {
        const v = u[uOff + a];
        if (v >= th || v <= -th) {
          sum[rowOff + colH[c0 + a]] += maps.weights[colJ[c0 + a]] * v;
          passed++;
        }
      }
    }
  }
  xTt.dispose();
  if (process.env.TCL_DEBUG) console.error('nR', nR, 'nAct', colJ.length, 'computed', nR * colJ.length, 'passed', passed, (passed / (nR * colJ.length)).toFixed(3));
  return { sum, passed, theta: th };
}

/** Faithful synapse: FIR memory stepped through the cycle (periodic steady state), from per-state signals [S, P]. */
function steppedSynapses(sig: tf.Tensor2D, maps: CycleMaps, theta: number, memory: tf.LayerVariable | null): { sum: Float32Array; passed: number } {
  const G = maps.grid;
  const S = maps.nStates;
  const P = sig.shape[1];
  const K = maps.kernel;
  const depth = K.length - 1;
  const s = download(() => tf.matMul(tf.tensor2d(maps.interp, [G, S]), sig)); // absolute signal s(t_j), [G, P]
  // Adapted to the cycle: before time m = shift the synapse remembers s_{m−1}, …, s_{m−depth} (circularly).
  const mem: Float32Array[] = [];
  for (let d = 1; d <= depth; d++) {
    const j = (((maps.shift - d) % G) + G) % G;
    mem.push(s.slice(j * P, (j + 1) * P));
  }
  const sum = new Float32Array(P);
  let passed = 0;
  for (let step = 0; step < G; step++) {
    const m = (maps.shift + step) % G;
    const cur = s.subarray(m * P, (m + 1) * P);
    const w = maps.weights[step];
    for (let i = 0; i < P; i++) {
      let u = K[0] * cur[i];
      for (let d = 0; d < depth; d++) u += K[d + 1] * mem[d][i];
      u /= 100;
      if (u >= theta || u <= -theta) {
        sum[i] += w * u;
        passed++;
      }
    }
    const oldest = mem.pop() as Float32Array;
    oldest.set(cur);
    mem.unshift(oldest);
  }
  if (memory) {
    const flat = new Float32Array(depth * P);
    mem.forEach((m, d) => flat.set(m, d * P));
    memory.write(tf.tensor(flat, memory.shape as number[]));
  }
  return { sum, passed };
}

/** Memory the fast path writes: the last `depth` grid samples of every synapse's signal (same as the faithful path ends with). */
function writeFastMemory(layer: EnergyDense, maps: CycleMaps, sigStatesW: () => tf.Tensor2D, sigStatesB: tf.Tensor2D) {
  const depth = maps.kernel.length - 1;
  const G = maps.grid;
  const S = maps.nStates;
  const rows = new Float32Array(depth * S);
  for (let d = 1; d <= depth; d++) {
    const j = (((maps.shift - d) % G) + G) % G;
    rows.set(maps.interp.subarray(j * S, (j + 1) * S), (d - 1) * S);
  }
  tf.tidy(() => {
    const R = tf.tensor2d(rows, [depth, S]);
    if (layer.kernelMemory) layer.kernelMemory.write(tf.matMul(R, sigStatesW()).reshape(layer.kernelMemory.shape as number[]));
    if (layer.biasMemory) layer.biasMemory.write(tf.matMul(R, sigStatesB).reshape(layer.biasMemory.shape as number[]));
  });
}

/**
 * The TCL update for one batch at signed β (not applied).
 *
 *   const { delta, free } = tclUpdate(net, batch, 0.5, loadPreset().tcl);
 */
export function tclUpdate(net: EnergyNetwork, batch: Batch, beta: number, hyper: TclHyper, opts: TclOptions = {}): TclResult {
  const maps = cachedCycleMaps(hyper);
  const kern = hyper.update === 'fast' && opts.fused !== false && net.sizes[1] % 4 === 0 ? kernelsForBackend() : null;
  const fused = kern ? relaxCycleFused(kern, net, batch, beta, hyper, maps, opts.timer) : null;
  const states = fused ? fused.states : relaxCycle(net, batch, beta, hyper, maps, opts.timer);
  const mode = parseDeadZone(hyper.deadZone);
  const layers = net.couplingLayers;
  const L = layers.length;
  const B = batch.x.shape[0];
  const faithful = hyper.update === 'faithful';
  const writeMemory = faithful || !!opts.writeMemory;
  const theta: Thresholds = { W: [], b: [] };
  const pass: { W: number[]; b: number[] } = { W: [], b: [] };
  const W: tf.Tensor2D[] = [];
  const b: tf.Tensor1D[] = [];
  const toU = toURelative(maps);
  try {
    timed(opts.timer, 'synapse update', () => {
      for (let k = 0; k < L; k++) {
        const layer = layers[k];
        const nIn = net.sizes[k];
        const nOut = net.sizes[k + 1];
        const scale = hyper.lr[k] / beta;
        const adaptive = mode.kind === 'quantile' && !opts.theta ? mode.q : null;
        // --- bias: s = mean_b ρ(post)
        const sigB = tf.tidy(() => tf.stack(states.map((st) => tf.mean(st[k], 0))) as tf.Tensor2D); // [S, nOut]
        {
          let th = opts.theta ? opts.theta.b[k] : hyper.theta.b[k];
          let sum: Float32Array;
          let passed: number;
          if (faithful) {
            if (adaptive !== null) th = quantileOfU(sigB, toU, adaptive, opts.rng);
            ({ sum, passed } = steppedSynapses(sigB, maps, th, layer.biasMemory));
          } else {
            const u = download(() => tf.matMul(toU, relativeSignals(tf.unstack(sigB))));
            if (adaptive !== null) th = absQuantile(u, adaptive, opts.rng);
            sum = new Float32Array(nOut);
            passed = deadZoneSum(u, maps.grid, nOut, th, maps.weights, sum);
          }
          theta.b.push(th);
          pass.b.push(passed / (maps.grid * nOut));
          b.push(tf.tidy(() => tf.mul(scale, tf.tensor1d(sum))) as tf.Tensor1D);
        }
        // --- weights: s = ρ(pre)ᵀρ(post)/B
        const pre = (l: number) => (k === 0 ? batch.x : states[l][k - 1]);
        const sigW = () => tf.tidy(() => tf.stack(states.map((st, l) => hebbianMean(pre(l), st[k]).reshape([-1]))) as tf.Tensor2D);
        let th = opts.theta ? opts.theta.W[k] : hyper.theta.W[k];
        let sum: Float32Array;
        let passed: number;
        if (faithful) {
          const sig = sigW();
          if (adaptive !== null) th = quantileOfU(sig, toU, adaptive, opts.rng);
          ({ sum, passed } = steppedSynapses(sig, maps, th, layer.kernelMemory));
          sig.dispose();
        } else if (k === 0) {
          const dH = tf.tidy(() => relativeSignals(states.map((st) => st[0])));
          const fusedSum = fused ? (t: number) => inputWeightsFused(kern as Kernels, fused.fb, fused.hidden, maps, t) : undefined;
          const r = inputWeightsFast(batch.x, dH, toU, maps, nOut, adaptive !== null ? { q: adaptive } : th, opts.rng, fusedSum);
          dH.dispose();
          ({ sum, passed } = r);
          th = r.theta;
        } else {
          const ud = download(() => tf.matMul(toU, relativeSignals(states.map((st) => hebbianMean(st[k - 1], st[k])))));
          if (adaptive !== null) th = absQuantile(ud, adaptive, opts.rng);
          sum = new Float32Array(nIn * nOut);
          passed = deadZoneSum(ud, maps.grid, nIn * nOut, th, maps.weights, sum);
        }
        theta.W.push(th);
        pass.W.push(passed / (maps.grid * nIn * nOut));
        W.push(tf.tidy(() => tf.mul(scale, tf.tensor2d(sum, [nIn, nOut]))) as tf.Tensor2D);
        if (writeMemory && !faithful) writeFastMemory(layer, maps, sigW, sigB);
        sigB.dispose();
      }
    });
  } finally {
    toU.dispose();
    fused?.fb.dispose();
  }
  const free = states[0];
  states.slice(1).forEach((st) => st.forEach((t) => t.dispose()));
  return { delta: { W, b }, free, theta, passFraction: pass };
}

const mapsCache = new Map<string, CycleMaps>();
/** The cycle's linear maps depend only on the protocol; built once (tables derived from them are cached per maps object). */
function cachedCycleMaps(hyper: TclHyper): CycleMaps {
  const key = [hyper.protocol ?? 'sawtooth', hyper.levels, hyper.fastFraction, hyper.cycle].join('/');
  let m = mapsCache.get(key);
  if (!m) mapsCache.set(key, (m = cycleMaps(hyper.protocol ?? 'sawtooth', hyper.levels, hyper.fastFraction, hyper.cycle)));
  return m;
}

function hebbianMean(pre: tf.Tensor2D, post: tf.Tensor2D): tf.Tensor2D {
  return tf.div(tf.matMul(tf.transpose(pre) as tf.Tensor2D, post), pre.shape[0]) as tf.Tensor2D;
}

function quantileOfU(sig: tf.Tensor2D, toU: tf.Tensor2D, q: number, rng?: Rng): number {
  return absQuantile(download(() => tf.matMul(toU, relativeSignals(tf.unstack(sig)))), q, rng);
}

export class TclMethod implements TrainingMethod {
  readonly name = 'tcl' as const;
  readonly inference = 'relaxation' as const;
  /** Diagnostics of the last batch (thresholds used, dead-zone pass fractions). */
  last?: Pick<TclResult, 'theta' | 'passFraction'>;
  constructor(readonly hyper: TclHyper) {}

  step(net: EnergyNetwork, batch: Batch, ctx: StepContext) {
    const beta = this.hyper.randomSign ? this.hyper.beta * ctx.rng.sign() : this.hyper.beta;
    const r = tclUpdate(net, batch, beta, this.hyper, { writeMemory: ctx.lastBatchOfEpoch, timer: ctx.timer, rng: ctx.rng });
    this.last = { theta: r.theta, passFraction: r.passFraction };
    timed(ctx.timer, 'synapse update', () => applyDelta(net, r.delta));
    return { output: r.free[r.free.length - 1], free: r.free };
  }
}
