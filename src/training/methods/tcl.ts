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
 *    postsynaptic trace, and grid points where a bound proves that no weight passes the dead
 *    zone are skipped (plain tfjs: tcl-synapses.ts; wasm kernels: src/perf/fused-tcl.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { EnergyNetwork } from '../../layers/energy-network.ts';
import { disposePrepared, freePhase, nudgedPhase, prepare, zeroStates } from '../../network/dynamics.ts';
import { kernelsForBackend, type Kernels } from '../../perf/engine.ts';
import { FusedBatch } from '../../perf/fused-relax.ts';
import { inputWeightsFused, inputWeightsFusedSupports } from '../../perf/fused-tcl.ts';
import { batchBeta, nudgingOf, parseDeadZone, type TclHyper } from '../preset.ts';
import type { Rng } from '../../rng.ts';
import { applyDelta, scaledLr, timed, type Batch, type Delta, type PhaseTimer, type StepContext, type TrainingMethod } from '../types.ts';
import { hebbian } from './ep.ts';
import { cycleMaps, type CycleMaps } from './tcl-cycle.ts';
import {
  absQuantile,
  deadZoneSum,
  download,
  inputWeightsFast,
  quantileOfU,
  relativeSignals,
  steppedSynapses,
  toURelative,
  writeFastMemory,
} from './tcl-synapses.ts';

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

/**
 * The TCL update for one batch at signed β (not applied).
 *
 *   const { delta, free } = tclUpdate(net, batch, 0.5, loadPreset().tcl);
 */
export function tclUpdate(net: EnergyNetwork, batch: Batch, beta: number, hyper: TclHyper, opts: TclOptions = {}): TclResult {
  const maps = cachedCycleMaps(hyper);
  const kern = hyper.update === 'fast' && opts.fused !== false && inputWeightsFusedSupports(net.sizes) ? kernelsForBackend() : null;
  const fused = kern ? relaxCycleFused(kern, net, batch, beta, hyper, maps, opts.timer) : null;
  const states = fused ? fused.states : relaxCycle(net, batch, beta, hyper, maps, opts.timer);
  const mode = parseDeadZone(hyper.deadZone);
  const layers = net.couplingLayers;
  const L = layers.length;
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
        const sigW = () => tf.tidy(() => tf.stack(states.map((st, l) => hebbian(pre(l), st[k]).reshape([-1]))) as tf.Tensor2D);
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
          const ud = download(() => tf.matMul(toU, relativeSignals(states.map((st) => hebbian(st[k - 1], st[k])))));
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
  const key = [hyper.protocol ?? 'sawtooth', hyper.levels, hyper.fastFraction, hyper.cycle, nudgingOf(hyper)].join('/');
  let m = mapsCache.get(key);
  if (!m) mapsCache.set(key, (m = cycleMaps(hyper.protocol ?? 'sawtooth', hyper.levels, hyper.fastFraction, hyper.cycle, 100, nudgingOf(hyper))));
  return m;
}

export class TclMethod implements TrainingMethod {
  readonly name = 'tcl' as const;
  readonly inference = 'relaxation' as const;
  /** Diagnostics of the last batch (thresholds used, dead-zone pass fractions). */
  last?: Pick<TclResult, 'theta' | 'passFraction'>;
  constructor(readonly hyper: TclHyper) {}

  /** One cycle per batch at ±β (nudging random-sign, positive, negative) or between −β and +β (centered: tcl-cycle.ts). */
  step(net: EnergyNetwork, batch: Batch, ctx: StepContext) {
    const beta = batchBeta(this.hyper, ctx.rng);
    const hyper = { ...this.hyper, lr: scaledLr(this.hyper.lr, ctx) };
    const r = tclUpdate(net, batch, beta, hyper, { writeMemory: ctx.lastBatchOfEpoch, timer: ctx.timer, rng: ctx.rng });
    this.last = { theta: r.theta, passFraction: r.passFraction };
    timed(ctx.timer, 'synapse update', () => applyDelta(net, r.delta));
    return { output: r.free[r.free.length - 1], free: r.free };
  }
}
