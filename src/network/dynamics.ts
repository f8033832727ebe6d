/**
 * Energy, cost and relaxation of the layered Hopfield-style network (DESIGN.md §1).
 *
 *   E(s) = 1/2 Σ_k |s_k|² − Σ_k b_k·ρ(s_k) − Σ_k ρ(s_{k−1})ᵀ W_k ρ(s_k),   ρ(s) = clip(s, 0, 1)
 *   C    = |s_L − onehot|²            (no 1/2, Scellier's and the TCL authors' convention)
 *   F    = E + β C
 *   s_k ← clip(s_k − ε ∂F/∂s_k, 0, 1),  ∂E/∂s_k = s_k − ρ'(s_k)(ρ(s_{k−1})W_k + ρ(s_{k+1})W_{k+1}ᵀ + b_k)
 *
 * States live in [0,1] where ρ(s) = s and ρ'(s) = 1 (as autodiff of clip gives on the closed
 * interval), so the step is  s_k ← clip((1−ε)s_k + ε(drive_k − 2β[k=L](s_L − t)), 0, 1).
 * The input drive ρ(s_0)W_1 + b_1 is constant during a relaxation: computed once per batch.
 * All functions allocate inside tf.tidy or return tensors the caller owns.
 */
import * as tf from '@tensorflow/tfjs';
import type { Schedule } from './config.ts';

/** The couplings of an L-layer network: W[k] (n_k × n_{k+1}) connects layer k to k+1; b[k] is layer k+1's bias. */
export interface Couplings {
  W: tf.Tensor2D[];
  b: tf.Tensor1D[];
}

/** Couplings prepared for one batch: the transposes (explicit, wasm's transposed matMul is ~10x slower) and the input drive. */
export interface Prepared {
  W: tf.Tensor2D[];
  /** W[k]ᵀ for k ≥ 1 (index 0 unused). */
  Wt: (tf.Tensor2D | null)[];
  b: tf.Tensor1D[];
  /** ρ(x) W_1 + b_1, [B, n_1]. */
  inputDrive: tf.Tensor2D;
}

/** Nudging strength: a scalar, or one value per example ([B]). */
export type Beta = number | tf.Tensor1D;

export const rho = (s: tf.Tensor): tf.Tensor => tf.clipByValue(s, 0, 1);

/** tf.tidy for a function returning a structure of tensors (arrays, objects) that TypeScript's TensorContainer type does not describe. */
export function tidy<T>(f: () => T): T {
  return tf.tidy(f as unknown as () => tf.TensorContainer) as unknown as T;
}

/** Computes the input drive and the transposes once per batch; dispose with `disposePrepared`. */
export function prepare(c: Couplings, x: tf.Tensor2D): Prepared {
  return tidy(() => {
    const inputDrive = tf.add(tf.matMul(rho(x) as tf.Tensor2D, c.W[0]), c.b[0]) as tf.Tensor2D;
    const Wt = c.W.map((w, k) => (k === 0 ? null : (tf.transpose(w) as tf.Tensor2D)));
    return { W: c.W, b: c.b, Wt, inputDrive };
  });
}

export function disposePrepared(p: Prepared): void {
  p.inputDrive.dispose();
  for (const t of p.Wt) t?.dispose();
}

/** drive_k = ρ(s_{k−1}) W_k + b_k + ρ(s_{k+1}) W_{k+1}ᵀ for hidden/output layer k (0-based index into states). */
function drive(p: Prepared, states: tf.Tensor2D[], k: number): tf.Tensor2D {
  let d: tf.Tensor = k === 0 ? p.inputDrive : tf.add(tf.matMul(states[k - 1], p.W[k]), p.b[k]);
  if (k + 1 < states.length) d = tf.add(d, tf.matMul(states[k + 1], p.Wt[k + 1] as tf.Tensor2D));
  return d as tf.Tensor2D;
}

function nudgeForce(sL: tf.Tensor2D, target: tf.Tensor2D, beta: Beta): tf.Tensor {
  const b = typeof beta === 'number' ? beta : tf.reshape(beta, [-1, 1]);
  return tf.mul(tf.mul(2, b), tf.sub(sL, target));
}

function isZeroBeta(beta: Beta): boolean {
  return typeof beta === 'number' && beta === 0;
}

/**
 * `steps` relaxation steps of F = E + βC from `states` (not disposed); returns new states.
 *
 *   const s = relax(prepare(c, x), zeroStates([784, 500, 10], 20), 20, { eps: 0.5 });
 */
export function relax(
  p: Prepared,
  states: tf.Tensor2D[],
  steps: number,
  opts: { eps: number; beta?: Beta; target?: tf.Tensor2D; schedule?: Schedule },
): tf.Tensor2D[] {
  const beta = opts.beta ?? 0;
  const eps = opts.eps;
  const L = states.length;
  if (steps > 0 && !isZeroBeta(beta) && !opts.target) throw new Error('relax: a nonzero beta needs a target');
  let s = states;
  for (let step = 0; step < steps; step++) {
    const cur = s;
    // One tidy scope per step, and the previous step's states freed: memory stays at two steps'
    // worth (one scope for all steps held every intermediate tensor, ~1.4 GB for 60 steps of a
    // 1,000-image evaluation chunk on 784-500-500-10).
    s = tf.tidy(() => {
      const next: tf.Tensor2D[] = cur.slice();
      for (let k = 0; k < L; k++) {
        // Sequential: layer k sees the already-updated layers below it in this step.
        const src = opts.schedule === 'sequential' ? next : cur;
        let g: tf.Tensor = tf.add(tf.mul(1 - eps, cur[k]), tf.mul(eps, drive(p, src, k)));
        if (k === L - 1 && !isZeroBeta(beta)) g = tf.sub(g, tf.mul(eps, nudgeForce(cur[k], opts.target as tf.Tensor2D, beta)));
        next[k] = tf.clipByValue(g, 0, 1) as tf.Tensor2D;
      }
      return next;
    });
    if (cur !== states) cur.forEach((t) => t.dispose());
  }
  return s;
}

/** States at 0 for a batch of B examples. */
export function zeroStates(layers: number[], B: number): tf.Tensor2D[] {
  return layers.slice(1).map((n) => tf.zeros([B, n]) as tf.Tensor2D);
}

/** ∂F/∂s_k for every layer, analytic (DESIGN.md §1); used by tests against tf autodiff. */
export function gradF(p: Prepared, states: tf.Tensor2D[], beta: Beta = 0, target?: tf.Tensor2D): tf.Tensor2D[] {
  return tf.tidy(() =>
    states.map((sk, k) => {
      let g: tf.Tensor = tf.sub(sk, drive(p, states, k));
      if (k === states.length - 1 && !isZeroBeta(beta)) g = tf.add(g, nudgeForce(sk, target as tf.Tensor2D, beta));
      return g as tf.Tensor2D;
    }),
  );
}

/** Energy E(s) per example, [B]; ρ = clip as in the definition. */
export function energy(c: Couplings, x: tf.Tensor2D, states: tf.Tensor2D[]): tf.Tensor1D {
  return tf.tidy(() => {
    const layers = [x, ...states];
    let e: tf.Tensor = tf.zeros([x.shape[0]]);
    for (let k = 1; k < layers.length; k++) {
      const sk = layers[k];
      const rk = rho(sk);
      e = tf.add(e, tf.mul(0.5, tf.sum(tf.square(sk), 1)));
      e = tf.sub(e, tf.sum(tf.mul(rk, c.b[k - 1]), 1));
      e = tf.sub(e, tf.sum(tf.mul(tf.matMul(rho(layers[k - 1]) as tf.Tensor2D, c.W[k - 1]), rk), 1));
    }
    return e as tf.Tensor1D;
  });
}

/** Cost C = |s_L − target|² per example, [B]. */
export function cost(sL: tf.Tensor2D, target: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.square(tf.sub(sL, target)), 1) as tf.Tensor1D);
}

/** Total F = E + βC per example, [B]. */
export function totalEnergy(c: Couplings, x: tf.Tensor2D, states: tf.Tensor2D[], beta: Beta, target: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const b = typeof beta === 'number' ? tf.scalar(beta) : beta;
    return tf.add(energy(c, x, states), tf.mul(b, cost(states[states.length - 1], target))) as tf.Tensor1D;
  });
}

/** Free phase: `steps` steps at β = 0 from `init` (persistent particles) or from 0. */
export function freePhase(p: Prepared, init: tf.Tensor2D[], steps: number, eps: number, schedule?: Schedule): tf.Tensor2D[] {
  return relax(p, init, steps, { eps, schedule });
}

/** Nudged phase: `steps` steps at β (scalar or per example) from the free state. */
export function nudgedPhase(
  p: Prepared,
  free: tf.Tensor2D[],
  steps: number,
  eps: number,
  beta: Beta,
  target: tf.Tensor2D,
  schedule?: Schedule,
): tf.Tensor2D[] {
  return relax(p, free, steps, { eps, beta, target, schedule });
}

/** Options of the evaluation relaxation (`relaxUntilStable` here, `relaxUntilStableFused` on the kernels). */
export interface UntilStableOptions {
  eps: number;
  minSteps: number;
  maxSteps: number;
  chunk?: number;
  schedule?: Schedule;
}

/**
 * The stopping rule of evaluation, for any implementation of the steps: `advance(n)` relaxes the
 * states n steps, `classes()` returns every example's predicted class now. Relaxes `minSteps`, then
 * chunks of `chunk` steps (default 5) until no prediction changed over a chunk, at most `maxSteps`
 * in all; returns the steps taken.
 */
export function stepsUntilStable(opts: UntilStableOptions, advance: (n: number) => void, classes: () => ArrayLike<number>): number {
  const chunk = opts.chunk ?? 5;
  advance(opts.minSteps);
  let steps = opts.minSteps;
  let prev = classes();
  while (steps < opts.maxSteps) {
    const n = Math.min(chunk, opts.maxSteps - steps);
    advance(n);
    steps += n;
    const cur = classes();
    let same = true;
    for (let i = 0; i < cur.length && same; i++) same = cur[i] === prev[i];
    prev = cur;
    if (same) break;
  }
  return steps;
}

/**
 * Evaluation from s = 0 (`stepsUntilStable`'s rule; predictions: argmax of s_L). Returns the output
 * states and the number of steps taken.
 */
export function relaxUntilStable(p: Prepared, layers: number[], B: number, opts: UntilStableOptions): { output: tf.Tensor2D; steps: number } {
  let s = zeroStates(layers, B);
  const steps = stepsUntilStable(
    opts,
    (n) => {
      const next = relax(p, s, n, opts);
      if (next !== s) s.forEach((t) => t.dispose());
      s = next;
    },
    () => {
      const c = tf.argMax(s[s.length - 1], 1);
      const v = c.dataSync().slice();
      c.dispose();
      return v;
    },
  );
  const output = s[s.length - 1];
  s.slice(0, -1).forEach((t) => t.dispose());
  return { output, steps };
}
