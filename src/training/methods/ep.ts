/**
 * Equilibrium propagation (Scellier & Bengio 2017; DESIGN.md §2): a free phase to s⁰, a nudged
 * phase at β from s⁰ to s^β, and the contrastive update (batch mean)
 *
 *   ΔW_k = lr_k/β · ( ρ(s^β_{k−1})ᵀρ(s^β_k) − ρ(s⁰_{k−1})ᵀρ(s⁰_k) ) / B
 *   Δb_k = lr_k/β · mean( ρ(s^β_k) − ρ(s⁰_k) )
 *
 * with β = ±0.5 (random sign per batch). States are in [0,1], so ρ(s) = s.
 *
 * Centered nudging (`nudging: 'centered'`; Laborieux et al. 2021, Scellier et al. 2023): two
 * nudged phases from s⁰, at +β and at −β, and the symmetric difference
 *
 *   ΔW_k = lr_k/2β · ( ρ(s^{+β}_{k−1})ᵀρ(s^{+β}_k) − ρ(s^{−β}_{k−1})ᵀρ(s^{−β}_k) ) / B
 *
 * whose error against the gradient is O(β²) instead of the one-sided O(β) (ep.test.ts checks
 * both orders on a quadratic energy with a closed-form gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsForBackend } from '../../perf/engine.ts';
import { epStepFused } from '../../perf/fused-ep.ts';
import type { EnergyNetwork } from '../../layers/energy-network.ts';
import { disposePrepared, freePhase, nudgedPhase, prepare, zeroStates } from '../../network/dynamics.ts';
import { batchBeta, nudgingOf, type EpHyper } from '../preset.ts';
import { applyDelta, scaledLr, timed, type Batch, type Delta, type StepContext, type TrainingMethod } from '../types.ts';

/** (preᵀ post) / B with an explicit transpose (wasm's transposeA path is ~10x slower). */
export function hebbian(pre: tf.Tensor2D, post: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.matMul(tf.transpose(pre) as tf.Tensor2D, post), pre.shape[0]) as tf.Tensor2D);
}

/**
 * The EP update for one batch at a given β (not applied), with the free state it started from.
 * With `hyper.nudging === 'centered'` the reference state is s^{−β} instead of s⁰ and the
 * difference is divided by 2β.
 *
 *   const { delta, free } = epUpdate(net, batch, 0.5, hyper);
 */
export function epUpdate(
  net: EnergyNetwork,
  batch: Batch,
  beta: number,
  hyper: Pick<EpHyper, 'nudgeSteps' | 'lr'> & { nudging?: EpHyper['nudging'] },
  ctx?: Pick<StepContext, 'timer'>,
): { delta: Delta; free: tf.Tensor2D[] } {
  const { eps, freeSteps, schedule } = net.relaxation;
  const p = prepare(net.couplings(), batch.x);
  const init = batch.init ?? zeroStates(net.sizes, batch.x.shape[0]);
  try {
    const free = timed(ctx?.timer, 'relaxation', () => freePhase(p, init, freeSteps, eps, schedule));
    const centered = nudgingOf(hyper) === 'centered';
    const nudged = timed(ctx?.timer, 'relaxation', () => nudgedPhase(p, free, hyper.nudgeSteps, eps, beta, batch.target, schedule));
    // The state the nudged one is contrasted with: s⁰, or s^{−β} for centered nudging.
    const ref = centered ? timed(ctx?.timer, 'relaxation', () => nudgedPhase(p, free, hyper.nudgeSteps, eps, -beta, batch.target, schedule)) : free;
    const delta = timed(ctx?.timer, 'update', () =>
      tf.tidy(() => {
        const pre0 = [batch.x, ...ref];
        const preB = [batch.x, ...nudged];
        const W: tf.Tensor2D[] = [];
        const b: tf.Tensor1D[] = [];
        for (let k = 0; k < free.length; k++) {
          const scale = hyper.lr[k] / (centered ? 2 * beta : beta);
          // For k = 0 the input is clamped, so x^T(h^β − h⁰) needs one product instead of two.
          const dW = k === 0 ? hebbian(batch.x, tf.sub(nudged[0], ref[0]) as tf.Tensor2D) : tf.sub(hebbian(preB[k], nudged[k]), hebbian(pre0[k], ref[k]));
          W.push(tf.mul(scale, dW) as tf.Tensor2D);
          b.push(tf.mul(scale, tf.mean(tf.sub(nudged[k], ref[k]), 0)) as tf.Tensor1D);
        }
        return { W, b } as unknown as tf.TensorContainerObject;
      }) as unknown as Delta,
    );
    nudged.forEach((t) => t.dispose());
    if (centered) ref.forEach((t) => t.dispose());
    return { delta, free };
  } finally {
    disposePrepared(p);
    if (!batch.init) init.forEach((t) => t.dispose());
  }
}

export class EpMethod implements TrainingMethod {
  readonly name = 'ep' as const;
  readonly inference = 'relaxation' as const;
  /** `fused: false` forces the plain tfjs path (the fused wasm kernels are used on the wasm backend). */
  constructor(readonly hyper: EpHyper, readonly opts: { fused?: boolean } = {}) {}

  step(net: EnergyNetwork, batch: Batch, ctx: StepContext) {
    const beta = batchBeta(this.hyper, ctx.rng);
    const kern = this.opts.fused === false ? null : kernelsForBackend();
    const hyper = { ...this.hyper, lr: scaledLr(this.hyper.lr, ctx) };
    if (kern) {
      // Same update, relaxation and weight update fused on the wasm heap (src/perf/fused-ep.ts).
      const free = epStepFused(kern, net, batch, beta, { ...hyper, centered: nudgingOf(hyper) === 'centered' }, ctx.timer);
      return { output: free[free.length - 1], free };
    }
    const { delta, free } = epUpdate(net, batch, beta, hyper, ctx);
    timed(ctx.timer, 'update', () => applyDelta(net, delta));
    return { output: free[free.length - 1], free };
  }
}
