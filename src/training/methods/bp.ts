/**
 * Backprop baseline (DESIGN.md §4): the same couplings used as a feed-forward MLP — sigmoid
 * hidden layers, softmax cross-entropy output — trained with SGD (or Adam). The backward pass
 * is written out with explicit transposes: tfjs's autodiff of matMul uses transposeA/B, which
 * takes a ~10x slower path on wasm. A test checks it against tf.grad.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsForBackend } from '../../perf/engine.ts';
import { bpStepFused } from '../../perf/fused-bp.ts';
import type { EnergyNetwork } from '../../layers/energy-network.ts';
import type { Couplings } from '../../network/dynamics.ts';
import { mlpForward } from '../../network/feedforward.ts';
import { TclError } from '../../errors.ts';
import type { BpHyper } from '../preset.ts';
import { applyDelta, disposeDelta, scaledLr, timed, type Batch, type Delta, type NamedTensor, type StepContext, type TrainingMethod } from '../types.ts';

/** Gradients of the mean softmax cross-entropy with respect to every W[k], b[k]. */
export function mlpGradients(c: Couplings, x: tf.Tensor2D, target: tf.Tensor2D): { grads: Delta; logits: tf.Tensor2D } {
  return tf.tidy(() => {
    const { acts, logits } = mlpForward(c, x);
    const B = x.shape[0];
    const L = c.W.length;
    const W: tf.Tensor2D[] = new Array(L);
    const b: tf.Tensor1D[] = new Array(L);
    let dz = tf.div(tf.sub(tf.softmax(logits), target), B) as tf.Tensor2D;
    for (let k = L - 1; k >= 0; k--) {
      W[k] = tf.matMul(tf.transpose(acts[k]) as tf.Tensor2D, dz);
      b[k] = tf.sum(dz, 0) as tf.Tensor1D;
      if (k > 0) {
        const dh = tf.matMul(dz, tf.transpose(c.W[k]) as tf.Tensor2D);
        const h = acts[k];
        dz = tf.mul(dh, tf.mul(h, tf.sub(1, h))) as tf.Tensor2D;
      }
    }
    return { grads: { W, b }, logits } as unknown as tf.TensorContainerObject;
  }) as unknown as { grads: Delta; logits: tf.Tensor2D };
}

export class BpMethod implements TrainingMethod {
  readonly name = 'bp' as const;
  readonly inference = 'feedforward' as const;
  private adam?: tf.Optimizer[];

  /** `fused: false` forces the plain tfjs path (SGD uses the fused wasm kernels on the wasm backend). */
  constructor(readonly hyper: BpHyper, readonly opts: { fused?: boolean } = {}) {}

  step(net: EnergyNetwork, batch: Batch, ctx: StepContext) {
    const kern = this.opts.fused === false || this.hyper.optimizer !== 'sgd' ? null : kernelsForBackend();
    const lr = scaledLr(this.hyper.lr, ctx);
    // Same SGD step, forward and backward passes fused on the wasm heap (src/perf/fused-bp.ts).
    if (kern) return { output: timed(ctx.timer, 'update', () => bpStepFused(kern, net, batch, lr)) };
    const { grads, logits } = timed(ctx.timer, 'update', () => mlpGradients(net.couplings(), batch.x, batch.target));
    timed(ctx.timer, 'update', () => {
      if (this.hyper.optimizer === 'sgd') {
        const delta = tf.tidy(() => ({
          W: grads.W.map((g, k) => tf.mul(-lr[k], g) as tf.Tensor2D),
          b: grads.b.map((g, k) => tf.mul(-lr[k], g) as tf.Tensor1D),
        }));
        applyDelta(net, delta as Delta);
      } else {
        const adam = this.adamOptimizers();
        net.couplingLayers.forEach((l, k) => {
          // tfjs reads the optimizer's learning rate at every step, so the schedule can set it.
          (adam[k] as unknown as { learningRate: number }).learningRate = lr[k];
          adam[k].applyGradients([
            { name: (l.kernel.read() as tf.Variable).name, tensor: grads.W[k] },
            { name: (l.bias.read() as tf.Variable).name, tensor: grads.b[k] },
          ]);
        });
      }
      // applyGradients does not dispose the gradients.
      disposeDelta(grads);
    });
    return { output: logits };
  }

  /**
   * Adam's moments, step count and bias-correction powers (SGD has none), as new tensors the
   * caller disposes: checkpointed so that a resumed run is exact.
   */
  async saveState(): Promise<NamedTensor[]> {
    if (this.hyper.optimizer !== 'adam' || !this.adam) return [];
    const out: NamedTensor[] = [];
    for (const [k, opt] of this.adam.entries()) {
      const a = opt as unknown as AdamInternals;
      // getWeights returns the live moment variables and a fresh step-count scalar.
      for (const w of await opt.getWeights()) out.push({ name: `adam${k}/${w.name}`, tensor: w.name === 'iter' ? w.tensor : tf.clone(w.tensor) });
      out.push({ name: `adam${k}/accBeta1`, tensor: tf.clone(a.accBeta1) }, { name: `adam${k}/accBeta2`, tensor: tf.clone(a.accBeta2) });
    }
    return out;
  }

  async loadState(state: NamedTensor[]): Promise<void> {
    if (this.hyper.optimizer !== 'adam' || state.length === 0) return;
    for (const [k, opt] of this.adamOptimizers().entries()) {
      const mine = state.filter((w) => w.name.startsWith(`adam${k}/`)).map((w) => ({ ...w, name: w.name.slice(`adam${k}/`.length) }));
      const acc = (n: string) => mine.find((w) => w.name === n)?.tensor;
      const b1 = acc('accBeta1');
      const b2 = acc('accBeta2');
      if (!b1 || !b2) throw new TclError(`optimizer state for coupling ${k + 1} is incomplete`);
      await opt.setWeights(mine.filter((w) => w.name !== 'accBeta1' && w.name !== 'accBeta2'));
      // setWeights recomputes beta^(t+1) with pow; the saved products keep the resumed run bit-exact.
      const a = opt as unknown as AdamInternals;
      a.accBeta1.assign(b1);
      a.accBeta2.assign(b2);
    }
  }

  /** One Adam per coupling so that each keeps its own learning rate; made on first use. */
  private adamOptimizers(): tf.Optimizer[] {
    return (this.adam ??= this.hyper.lr.map((l) => tf.train.adam(l)));
  }

  dispose(): void {
    this.adam?.forEach((o) => o.dispose());
  }
}

/** The parts of tfjs's AdamOptimizer that getWeights() leaves out. */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}
