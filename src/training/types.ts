/** What the one training loop needs from a method (TCL, EP, BP). */
import * as tf from '@tensorflow/tfjs';
import type { EnergyNetwork } from '../layers/energy-network.ts';
import type { Rng } from '../rng.ts';
import { timedPhase } from '../perf/types.ts';

/** A named tensor, as tfjs optimizers' getWeights() returns them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export type MethodName = 'tcl' | 'ep' | 'bp';
export const METHODS: readonly MethodName[] = ['tcl', 'ep', 'bp'];

export interface Batch {
  /** Inputs in [0,1], [B, n_0]. */
  x: tf.Tensor2D;
  /** One-hot targets, [B, n_L]. */
  target: tf.Tensor2D;
  /** Free states to start from (persistent particles), one [B, n_k] per layer; zeros when absent. */
  init?: tf.Tensor2D[];
}

/** Parameter changes, in the same layout as the couplings (added to W[k], b[k]). */
export interface Delta {
  W: tf.Tensor2D[];
  b: tf.Tensor1D[];
}

export interface StepResult {
  /** Output the batch was predicted with before the update (free-phase s_L, or BP's logits). */
  output: tf.Tensor2D;
  /** Free states to keep as persistent particles (EP, TCL). */
  free?: tf.Tensor2D[];
}

/** Wall-clock accounting by phase (ms), filled in by methods when given. */
export type PhaseTimer = Record<string, number>;

export interface StepContext {
  rng: Rng;
  /** Set on the last batch of an epoch (TCL's fast path writes the synapse memory then). */
  lastBatchOfEpoch: boolean;
  /** Factor on the method's learning rates from the run's lr schedule (1 when absent). */
  lrScale?: number;
  timer?: PhaseTimer;
}

export interface TrainingMethod {
  readonly name: MethodName;
  /** How the trained model predicts: relaxation of the energy (EP, TCL) or a feed-forward pass (BP). */
  readonly inference: 'relaxation' | 'feedforward';
  /** One training step on a batch: computes the update, applies it, returns what the loop records. */
  step(net: EnergyNetwork, batch: Batch, ctx: StepContext): StepResult;
  /** State besides the network that a checkpoint must hold (e.g. Adam's moments), as tensors the caller disposes. */
  saveState?(): Promise<NamedTensor[]>;
  loadState?(state: NamedTensor[]): Promise<void>;
  dispose?(): void;
}

/** Adds `delta` to the network's weights in place (Variable.assign is cheap) and disposes it. */
export function applyDelta(net: EnergyNetwork, delta: Delta): void {
  tf.tidy(() =>
    net.couplingLayers.forEach((l, k) => {
      const W = l.kernel.read() as tf.Variable;
      const b = l.bias.read() as tf.Variable;
      W.assign(tf.add(W, delta.W[k]));
      b.assign(tf.add(b, delta.b[k]));
    }),
  );
  disposeDelta(delta);
}

export function disposeDelta(delta: Delta): void {
  delta.W.forEach((t) => t.dispose());
  delta.b.forEach((t) => t.dispose());
}

/** The preset's learning rates times the schedule's current factor. */
export function scaledLr(lr: number[], ctx: Pick<StepContext, 'lrScale'>): number[] {
  const f = ctx.lrScale ?? 1;
  return f === 1 ? lr : lr.map((l) => l * f);
}

/** Adds f's wall time (ms) to timer[phase] (the one implementation lives with the kernels, which time their phases too). */
export const timed: <T>(timer: PhaseTimer | undefined, phase: string, f: () => T) => T = timedPhase;
