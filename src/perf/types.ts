/**
 * What the kernels need from a training step, declared here so that src/perf depends on nothing
 * above it (training/ uses perf/, never the reverse; structurally the same as training/types.ts).
 */
import type * as tf from '@tensorflow/tfjs';

export interface KernelBatch {
  /** Inputs in [0,1], [B, n_0]. */
  x: tf.Tensor2D;
  /** One-hot targets, [B, n_L]. */
  target: tf.Tensor2D;
  /** Free states to start from, one [B, n_k] per layer; zeros when absent. */
  init?: tf.Tensor2D[];
}

/** Milliseconds per phase, accumulated. */
export type PhaseTimes = Record<string, number>;

export function timedPhase<T>(timer: PhaseTimes | undefined, phase: string, f: () => T): T {
  if (!timer) return f();
  const t0 = performance.now();
  try {
    return f();
  } finally {
    timer[phase] = (timer[phase] ?? 0) + performance.now() - t0;
  }
}
