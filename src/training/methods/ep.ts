/**
 * Equilibrium propagation (Scellier & Bengio 2017; DESIGN.md §2): a free phase to s⁰, a nudged
 * phase at β from s⁰ to s^β, and the contrastive update (batch mean)
 *
 *   ΔW_k = lr_k/β · ( ρ(s^β_{k−1})ᵀρ(s^β_k) − ρ(s⁰_{k−1})ᵀρ(s⁰_k) ) / B
 *   Δb_k = lr_k/β · mean( ρ(s^β_k) − ρ(s⁰_k) )
 *
 * with β = ±0.5 (random sign per batch). States are in [0,1], so ρ(s) = s.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsForBackend } from '../../perf/engine.ts';
import { epStepFused } from '../../perf/fused-ep.ts';
import type { EnergyNetwork } from '../../layers/energy-network.ts';
import { disposePrepared, freePhase, nudgedPhase, prepare, zeroStates } from '../../network/dynamics.ts';
import type { EpHyper } from '../preset.ts';
import { applyDelta, scaledLr, timed, type Batch, type Delta, type StepContext, type TrainingMethod } from '../types.ts';

/** (preᵀ post) / B with an explicit transpose (wasm's transposeA path is ~10x slower). */
export function hebbian(pre: tf.Tensor2D, post: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.matMul(tf.transpose(pre) as tf.Tensor2D, post), pre.shape[0]) as tf.Tensor2D);
}

/**
 * The EP update for one batch at a given β (not applied), with the free state it started from.
 *
 *   const { delta, free } = epUpdate(net, batch, 0.5, hyper);
 */
export function epUpdate(
  net: EnergyNetwork,
  batch: Batch,
  beta: number,
  hyper: Pick<EpHyper, 'nudgeSteps' | 'lr'>,
  ctx?: Pick<StepContext, 'timer'>,
): { delta: Delta; free: tf.Tensor2D[] } {
  const { eps, freeSteps, schedule } = net.relaxation;
  const p = prepare(net.couplings(), batch.x);
  const init = batch.init ?? zeroStates(net.sizes, batch.x.shape[0]);
  try {
    const free = timed(ctx?.timer, 'relaxation', () => freePhase(p, init, freeSteps, eps, schedule));
    const nudged = timed(ctx?.timer, 'relaxation', () => nudgedPhase(p, free, hyper.nudgeSteps, eps, beta, batch.target, schedule));
    const delta = timed(ctx?.timer, 'update', () =>
      tf.tidy(() => {
        const pre0 = [batch.x, ...free];
        const preB = [batch.x, ...nudged];
        const W: tf.Tensor2D[] = [];
        const b: tf.Tensor1D[] = [];
        for (let k = 0; k < free.length; k++) {
          const scale = hyper.lr[k] / beta;
          // For k = 0 the input is clamped, so x^T(h^β − h⁰) needs one product instead of two.
          const dW = k === 0 ? hebbian(batch.x, tf.sub(nudged[0], free[0]) as tf.Tensor2D) : tf.sub(hebbian(preB[k], nudged[k]), hebbian(pre0[k], free[k]));
          W.push(tf.mul(scale, dW) as tf.Tensor2D);
          b.push(tf.mul(scale, tf.mean(tf.sub(nudged[k], free[k]), 0)) as tf.Tensor1D);
        }
        return { W, b } as unknown as tf.TensorContainerObject;
      }) as unknown as Delta,
    );
    nudged.forEach((t) => t.dispose());
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
    const beta = this.hyper.randomSign ? this.hyper.beta * ctx.rng.sign() : this.hyper.beta;
    const kern = this.opts.fused === false ? null : kernelsForBackend();
    const hyper = { ...this.hyper, lr: scaledLr(this.hyper.lr, ctx) };
    if (kern) {
      // Same update, relaxation and weight update fused on the wasm heap (src/perf/fused-ep.ts).
      const free = epStepFused(kern, net, batch, beta, hyper, ctx.timer);
      return { output: free[free.length - 1], free };
    }
    const { delta, free } = epUpdate(net, batch, beta, hyper, ctx);
    timed(ctx.timer, 'update', () => applyDelta(net, delta));
    return { output: free[free.length - 1], free };
  }
}
