/**
 * The synapse's output nonlinearity g in `dw/dt = alpha g(u)` (DESIGN.md §3). The dead zone is
 * what makes TCL work: the fast ramp (|u| ≈ A/tau_f) passes it, the slow ramp (|u| ≈ A/tau_s)
 * does not, so one cycle leaves Δw ≈ alpha A instead of the zero that a linear g integrates to.
 */
import * as tf from '@tensorflow/tfjs';

export type NonlinearityName = 'deadzone' | 'linear' | 'smooth';
export const NONLINEARITY_NAMES: readonly NonlinearityName[] = ['deadzone', 'linear', 'smooth'];

export interface Nonlinearity {
  name: NonlinearityName;
  /** Threshold theta (units of u: signal units per time unit). Ignored by 'linear'. */
  theta: number;
  /** Hill exponent n of 'smooth' (default 6). */
  sharpness?: number;
}

/** Default Hill exponent of the smooth dead zone. */
export const DEFAULT_SHARPNESS = 6;

/**
 * Hard dead zone `g(u) = u if |u| >= theta else 0`, on a number or element-wise on an array
 * (a new array of the same type unless `out` is given).
 *
 *   deadZone(0.5, 1)                            // 0
 *   deadZone(new Float32Array([0.5, -2]), 1)    // Float32Array [0, -2]
 */
export function deadZone(u: number, theta: number): number;
export function deadZone<T extends Float32Array | Float64Array>(u: T, theta: number, out?: T): T;
export function deadZone(u: number | Float32Array | Float64Array, theta: number, out?: Float32Array | Float64Array): number | Float32Array | Float64Array {
  if (typeof u === 'number') return Math.abs(u) >= theta ? u : 0;
  const r = out ?? (u instanceof Float32Array ? new Float32Array(u.length) : new Float64Array(u.length));
  for (let i = 0; i < u.length; i++) {
    const v = u[i]!;
    r[i] = Math.abs(v) >= theta ? v : 0;
  }
  return r;
}

/**
 * Smooth dead zone (a Hill switch): `g(u) = u x^n / (1 + x^n)`, x = |u|/theta. It is ≈ 0 for
 * |u| << theta, ≈ u for |u| >> theta and u/2 at |u| = theta.
 */
export function smoothDeadZone(u: number, theta: number, sharpness = DEFAULT_SHARPNESS): number {
  const xn = Math.pow(Math.abs(u) / theta, sharpness);
  return Number.isFinite(xn) ? (u * xn) / (1 + xn) : u;
}

/**
 * g as a scalar function.
 *
 *   nonlinearity({ name: 'deadzone', theta: 100 / 9 })(50)   // 50
 */
export function nonlinearity(g: Nonlinearity): (u: number) => number {
  switch (g.name) {
    case 'deadzone':
      return (u) => (Math.abs(u) >= g.theta ? u : 0);
    case 'linear':
      return (u) => u;
    case 'smooth': {
      const n = g.sharpness ?? DEFAULT_SHARPNESS;
      return (u) => smoothDeadZone(u, g.theta, n);
    }
  }
}

/** g applied element-wise to a tensor; theta broadcasts (a scalar or e.g. one value per row). */
export function nonlinearityTf(name: NonlinearityName, u: tf.Tensor, theta: tf.Tensor | number, sharpness = DEFAULT_SHARPNESS): tf.Tensor {
  return tf.tidy(() => {
    switch (name) {
      case 'linear':
        return u.clone();
      case 'deadzone':
        return tf.where(tf.greaterEqual(tf.abs(u), theta), u, tf.zerosLike(u));
      case 'smooth': {
        // u x^n / (1 + x^n) = u / (1 + x^-n), written so that x -> inf gives u and x = 0 gives 0.
        const xn = tf.pow(tf.div(tf.abs(u), theta), -sharpness);
        return tf.div(u, tf.add(1, xn));
      }
    }
  });
}
