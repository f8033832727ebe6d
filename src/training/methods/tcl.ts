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
import { biasFused, hiddenWeightsFused, inputWeightsFused, newQuantileState, type QuantileState } from '../../perf/fused-tcl.ts';
import { batchBeta, nudgingOf, parseDeadZone, type TclHyper } from '../preset.ts';
import { applyDelta, scaledLr, timed, type Batch, type Delta, type PhaseTimer, type StepContext, type TrainingMethod } from '../types.ts';
import { hebbian } from './ep.ts';
import { cycleMaps, type CycleMaps } from './tcl-cycle.ts';
import { absQuantile, deadZoneSum, download, inputWeightsFast, quantileOfU, relativeSignals, steppedSynapses, toURelative, writeFastMemory } from './tcl-synapses.ts';

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

/**
 * relaxCycle on the wasm kernels; also returns the states' heap buffers (hidden[l][k]: layer k+1 at
 * state l) for the synapse kernels, which read every group from them. As tensors: the free state
 * (the step's output), and every state only when `allStates` (the synapse memory is written).
 */
function relaxCycleFused(kern: Kernels, net: EnergyNetwork, batch: Batch, beta: number, hyper: TclHyper, maps: CycleMaps, allStates: boolean, timer?: PhaseTimer) {
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
    return { fb, states: (allStates ? sets : sets.slice(0, 1)).map((st) => fb.tensors(st)), hidden: sets };
  } catch (e) {
    fb.dispose();
    throw e;
  }
}

/**
 * One synapse group of a cycle — the bias b_k or the weights W_k of coupling k — and what every
 * implementation of its update needs: the signal per cycle state (bias: mean ρ(post); weights:
 * ρ(pre)ᵀρ(post)/B) is given by the states, and an implementation returns Σ_j w_j g(u_j) per
 * parameter for a dead zone that is fixed or the q-quantile of |u| over the group.
 */
export interface SynapseGroup {
  kind: 'W' | 'b';
  /** Coupling index k: pre = layer k (the input for k = 0), post = layer k + 1. */
  k: number;
  shape: number[];
}

/** The update of one synapse group for one cycle, before the factor lr/β. */
export interface GroupUpdate {
  sum: Float32Array;
  /** (parameter, grid point) pairs that passed the dead zone. */
  passed: number;
  theta: number;
}

/** An implementation of the group update: faithful (stepped in time), plain tfjs, or the wasm kernels. */
export type GroupUpdater = (g: SynapseGroup, deadZone: number | { q: number; state: QuantileState }) => GroupUpdate;

/**
 * The TCL update for one batch at signed β (not applied).
 *
 *   const { delta, free } = tclUpdate(net, batch, 0.5, loadPreset().tcl);
 */
export function tclUpdate(net: EnergyNetwork, batch: Batch, beta: number, hyper: TclHyper, opts: TclOptions = {}): TclResult {
  const maps = cachedCycleMaps(hyper);
  const fast = hyper.update === 'fast';
  const kern = fast && opts.fused !== false ? kernelsForBackend() : null;
  const fused = kern ? relaxCycleFused(kern, net, batch, beta, hyper, maps, !!opts.writeMemory, opts.timer) : null;
  const states = fused ? fused.states : relaxCycle(net, batch, beta, hyper, maps, opts.timer);
  const mode = parseDeadZone(hyper.deadZone);
  const layers = net.couplingLayers;
  const toU = toURelative(maps);
  const update = !fast ? faithfulUpdater(net, batch, states, maps, toU) : plainUpdater(net, batch, states, maps, toU, fused ? { kern: kern as Kernels, ...fused } : null);
  const theta: Thresholds = { W: [], b: [] };
  const pass: { W: number[]; b: number[] } = { W: [], b: [] };
  const delta: Delta = { W: [], b: [] };
  try {
    timed(opts.timer, 'synapse update', () => {
      // The rule: per group, Δp = lr_k/β · Σ_j w_j g(u_j) with the group's dead zone.
      for (let k = 0; k < layers.length; k++) {
        for (const kind of ['b', 'W'] as const) {
          const shape = kind === 'W' ? [net.sizes[k], net.sizes[k + 1]] : [net.sizes[k + 1]];
          const dz = opts.theta ? opts.theta[kind][k] : mode.kind === 'quantile' ? { q: mode.q, state: quantileState(layers[k], kind, beta) } : hyper.theta[kind][k];
          const r = update({ kind, k, shape }, dz);
          theta[kind].push(r.theta);
          pass[kind].push(r.passed / (maps.grid * r.sum.length));
          const scale = hyper.lr[k] / beta;
          (delta[kind] as tf.Tensor[]).push(tf.tidy(() => tf.mul(scale, tf.tensor(r.sum, shape))));
        }
        if (fast && opts.writeMemory) {
          const sigB = stackedSignals(batch, states, k, 'b');
          writeFastMemory(layers[k], maps, () => stackedSignals(batch, states, k, 'W'), sigB);
          sigB.dispose();
        }
      }
    });
  } finally {
    toU.dispose();
    fused?.fb.dispose();
  }
  const free = states[0];
  states.slice(1).forEach((st) => st.forEach((t) => t.dispose()));
  return { delta, free, theta, passFraction: pass };
}

/** The group's signal per cycle state, stacked: [S, parameters]. */
function stackedSignals(batch: Batch, states: tf.Tensor2D[][], k: number, kind: 'W' | 'b'): tf.Tensor2D {
  return tf.tidy(() =>
    tf.stack(states.map((st) => (kind === 'b' ? tf.mean(st[k], 0) : hebbian(k === 0 ? batch.x : st[k - 1], st[k]).reshape([-1])))) as tf.Tensor2D,
  );
}

/** Faithful: every synapse's FIR memory stepped through the cycle's grid (writes the memory). */
function faithfulUpdater(net: EnergyNetwork, batch: Batch, states: tf.Tensor2D[][], maps: CycleMaps, toU: tf.Tensor2D): GroupUpdater {
  return (g, dz) => {
    const sig = stackedSignals(batch, states, g.k, g.kind);
    try {
      const th = typeof dz === 'number' ? dz : quantileOfU(sig, toU, dz.q);
      const layer = net.couplingLayers[g.k];
      return { ...steppedSynapses(sig, maps, th, g.kind === 'W' ? layer.kernelMemory : layer.biasMemory), theta: th };
    } finally {
      sig.dispose();
    }
  };
}

/**
 * Fast (u is linear in the signal): u = toU · (signal relative to the free state), in plain tfjs, or
 * for every synapse group — weights and biases — on the wasm kernels (`fused`; src/perf/fused-tcl.ts).
 */
function plainUpdater(
  net: EnergyNetwork,
  batch: Batch,
  states: tf.Tensor2D[][],
  maps: CycleMaps,
  toU: tf.Tensor2D,
  fused: { kern: Kernels; fb: FusedBatch; hidden: number[][] } | null,
): GroupUpdater {
  return (g, dz) => {
    const n = g.shape.reduce((a, b) => a * b, 1);
    if (g.kind === 'W' && g.k === 0) {
      if (fused) return inputWeightsFused(fused.kern, fused.fb, fused.hidden.map((h) => h[0]), maps, dz);
      const dH = tf.tidy(() => relativeSignals(states.map((st) => st[0])));
      try {
        return inputWeightsFast(batch.x, dH, toU, maps, net.sizes[1], typeof dz === 'number' ? dz : { q: dz.q });
      } finally {
        dH.dispose();
      }
    }
    if (g.kind === 'W' && fused) {
      return hiddenWeightsFused(fused.kern, fused.fb, fused.hidden.map((h) => [h[g.k - 1], h[g.k]]), g.k, maps, dz);
    }
    if (fused) return biasFused(fused.kern, fused.fb, fused.hidden.map((h) => h[g.k]), n, maps, typeof dz === 'number' ? dz : { q: dz.q });
    const u = download(() => {
      const sig = g.kind === 'b' ? states.map((st) => tf.mean(st[g.k], 0)) : states.map((st) => hebbian(st[g.k - 1], st[g.k]));
      return tf.matMul(toU, relativeSignals(sig));
    });
    const th = typeof dz === 'number' ? dz : absQuantile(u, dz.q);
    const sum = new Float32Array(n);
    const passed = deadZoneSum(u, maps.grid, n, th, maps.weights, sum);
    return { sum, passed, theta: th };
  };
}

const quantileStates = new WeakMap<object, Map<string, QuantileState>>();
/**
 * The adaptive dead zone's per-group memory (speeds the kernels up; never changes a result), one
 * per sign of β: with random signs the |u| distribution alternates between two regimes.
 */
function quantileState(layer: object, kind: 'W' | 'b', beta: number): QuantileState {
  let m = quantileStates.get(layer);
  if (!m) quantileStates.set(layer, (m = new Map()));
  const key = `${kind}${beta < 0 ? '-' : '+'}`;
  let s = m.get(key);
  if (!s) m.set(key, (s = newQuantileState()));
  return s;
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
    const r = tclUpdate(net, batch, beta, hyper, { writeMemory: ctx.lastBatchOfEpoch, timer: ctx.timer });
    this.last = { theta: r.theta, passFraction: r.passFraction };
    timed(ctx.timer, 'synapse update', () => applyDelta(net, r.delta));
    return { output: r.free[r.free.length - 1], free: r.free };
  }
}
