/**
 * Memory kernels of an integral-feedback synapse (DESIGN.md §3): `u(t) = int K(t - t') s(t') dt'`.
 * Every kernel here is normalised to `int t K = -1`, so `u ≈ I s + ds/dt` and a dead-zone
 * threshold theta means the same ramp rate (signal units per time unit) whatever the kernel.
 *
 * - `ecoli`: K(t) = a e^{-Bt} (t - c t^2), B = 1/tau_K, int K = I (the offset gain), exactly
 *   the 3-variable chain z1' = -B z1 + s, z2' = -B z2 + z1, z3' = -B z3 + z2,
 *   u = B^3 [(1 + 3I/B)(z2 - B z3) + I z3].
 * - `minimal`: tau_u du/dt = s - u - v, tau_v dv/dt = u (set point u0 = 0); the synapse reads
 *   out u / tau_v (u itself ≈ tau_v ds/dt). Perfect adaptation is structural: int K = 0.
 * - `fir`: the authors' 10 MNIST taps sin(2 pi k / 10) / 3 as a causal tapped delay line.
 * - `esa`: a Markov-ladder kernel (the E. coli energy-speed-accuracy model, `markov.ts`), sampled
 *   from the chain's step response; its area is the adaptation error its dissipation leaves.
 */
import type { EsaKernel } from './markov.ts';
import type { StateSpace } from './statespace.ts';

export interface EcoliKernel {
  kind: 'ecoli';
  /** Memory time tau_K = 1/B (time units). */
  tauK: number;
  /** I = int K: 0 is perfect adaptation; I > 0 leaks the signal level into u. */
  offsetGain: number;
}

export interface MinimalKernel {
  kind: 'minimal';
  /** Relaxation time of u (time units). */
  tauU: number;
  /** Integration time of the feedback variable v (time units). */
  tauV: number;
}

export interface FirSynapseKernel {
  kind: 'fir';
  /** Time between taps (time units); the kernel spans 10 taps. */
  tapSpacing: number;
  /** Raw taps (before the normalisation `gain`). */
  taps: Float32Array;
}

export type { EsaKernel } from './markov.ts';
export type Kernel = EcoliKernel | MinimalKernel | FirSynapseKernel | EsaKernel;
export type KernelName = Kernel['kind'];
export const KERNEL_NAMES: readonly KernelName[] = ['ecoli', 'minimal', 'fir', 'esa'];

/**
 * The E. coli chemotaxis kernel with memory time tau_K and offset gain I.
 *
 *   ecoliKernel(0.05)   // B = 20, perfect adaptation
 */
export function ecoliKernel(tauK: number, offsetGain = 0): EcoliKernel {
  if (!(tauK > 0)) throw new RangeError(`tauK must be > 0, got ${tauK}`);
  if (!(offsetGain >= 0)) throw new RangeError(`offset gain I must be >= 0, got ${offsetGain}`);
  return { kind: 'ecoli', tauK, offsetGain };
}

/** B, a, c of `K(t) = a e^{-Bt} (t - c t^2)`. */
export function ecoliCoefficients(k: EcoliKernel): { B: number; a: number; c: number } {
  const B = 1 / k.tauK;
  const I = k.offsetGain;
  return { B, a: 3 * I * B * B + B ** 3, c: (B * B + 2 * B * I) / (6 * I + 2 * B) };
}

/** Closed form of the E. coli kernel, 0 for t < 0. */
export function ecoliKernelValue(k: EcoliKernel, t: number): number {
  if (t < 0) return 0;
  const { B, a, c } = ecoliCoefficients(k);
  return a * Math.exp(-B * t) * (t - c * t * t);
}

/**
 * The minimal integral-feedback loop with natural time tau_K and damping ratio zeta:
 * tau_u = tau_K / (2 zeta), tau_v = 2 zeta tau_K (zeta = 1: critically damped, double pole at 1/tau_K,
 * K(t) = e^{-t/tau_K} (1 - t/tau_K) / tau_K^2).
 */
export function minimalKernel(tauK: number, damping = 1): MinimalKernel {
  if (!(tauK > 0)) throw new RangeError(`tauK must be > 0, got ${tauK}`);
  if (!(damping > 0)) throw new RangeError(`damping must be > 0, got ${damping}`);
  return { kind: 'minimal', tauU: tauK / (2 * damping), tauV: 2 * damping * tauK };
}

/** Natural frequency omega0 = 1/sqrt(tau_u tau_v) and damping ratio zeta = sqrt(tau_v/tau_u)/2. */
export function minimalModes(k: MinimalKernel): { omega0: number; zeta: number } {
  return { omega0: 1 / Math.sqrt(k.tauU * k.tauV), zeta: 0.5 * Math.sqrt(k.tauV / k.tauU) };
}

/**
 * The 10 FIR taps of the authors' MNIST pipeline, `sin(2 pi k / 10) / 3`, k = 0..9 (they sum to 0).
 *
 *   firKernel()[1]   // 0.1959…
 */
export function firKernel(): Float32Array {
  const taps = new Float32Array(10);
  for (let k = 0; k < 10; k++) taps[k] = Math.sin((2 * Math.PI * k) / 10) / 3;
  return taps;
}

/** The FIR taps as a causal synapse kernel with taps `tapSpacing` apart. */
export function firSynapseKernel(tapSpacing: number): FirSynapseKernel {
  if (!(tapSpacing > 0)) throw new RangeError(`tapSpacing must be > 0, got ${tapSpacing}`);
  return { kind: 'fir', tapSpacing, taps: firKernel() };
}

/** Gain that makes `sum_k gain K_k (k h) = -1`, i.e. u ≈ ds/dt, for tap spacing h. */
export function firGain(k: FirSynapseKernel): number {
  let m1 = 0;
  for (let i = 0; i < k.taps.length; i++) m1 += i * k.taps[i]!;
  return -1 / (k.tapSpacing * m1);
}

/** The kernel as a linear state space (E. coli: the z-chain; minimal: (u, v)). */
export function stateSpace(k: EcoliKernel | MinimalKernel): StateSpace {
  if (k.kind === 'ecoli') {
    const B = 1 / k.tauK;
    const I = k.offsetGain;
    const g = 1 + (3 * I) / B;
    return {
      A: [
        [-B, 0, 0],
        [1, -B, 0],
        [0, 1, -B],
      ],
      b: [1, 0, 0],
      // u = B^3 [ g (z2 - B z3) + I z3 ]
      c: [0, B ** 3 * g, B ** 3 * (I - B * g)],
    };
  }
  return {
    A: [
      [-1 / k.tauU, -1 / k.tauU],
      [1 / k.tauV, 0],
    ],
    b: [1 / k.tauU, 0],
    c: [1 / k.tauV, 0],
  };
}

/**
 * K(t) for the continuous kernels, in closed form (E. coli: DESIGN.md's formula; minimal loop:
 * K = -T'' of its ramp tail, since the ramp response I x + 1 - T(x) has second derivative K).
 * `impulseResponse(stateSpace(k), t)` gives the same from the ODE.
 */
export function kernelValue(k: EcoliKernel | MinimalKernel, t: number): number {
  if (t < 0) return 0;
  if (k.kind === 'ecoli') return ecoliKernelValue(k, t);
  const T = rampTail(k);
  switch (T.form) {
    case 'polyexp': {
      const { rate: r, p0, p1, p2 } = T;
      return -Math.exp(-r * t) * (r * r * (p0 + t * (p1 + t * p2)) - 2 * r * (p1 + 2 * p2 * t) + 2 * p2);
    }
    case 'oscillatory': {
      const { rate: a, omega: w, cosCoef: C, sinCoef: S } = T;
      const cos = (a * a - w * w) * C - 2 * a * w * S;
      const sin = (a * a - w * w) * S + 2 * a * w * C;
      return -Math.exp(-a * t) * (cos * Math.cos(w * t) + sin * Math.sin(w * t));
    }
    case 'biexp':
      return -(T.c1 * T.r1 * T.r1 * Math.exp(-T.r1 * t) + T.c2 * T.r2 * T.r2 * Math.exp(-T.r2 * t));
  }
}

/** int K dt: the offset gain I (E. coli), 0 (minimal loop), the tap sum times the gain (FIR), the sampled area (ESA). */
export function kernelArea(k: Kernel): number {
  if (k.kind === 'ecoli') return k.offsetGain;
  if (k.kind === 'esa') return k.area;
  if (k.kind === 'minimal') return 0;
  return firGain(k) * k.taps.reduce((a, v) => a + v, 0);
}

/**
 * T(x), the part of the unit-ramp response that decays: a ramp s = x H(x) gives
 * `u(x) = I x + 1 - T(x)` (T(0) = 1). Summing T over the slope changes of a piecewise-linear
 * signal gives u in closed form — the batched simulator's path, with no time stepping.
 */
export type RampTail =
  /** e^{-rate x} (p0 + p1 x + p2 x^2) */
  | { form: 'polyexp'; rate: number; p0: number; p1: number; p2: number }
  /** e^{-rate x} (cosCoef cos(omega x) + sinCoef sin(omega x)) */
  | { form: 'oscillatory'; rate: number; omega: number; cosCoef: number; sinCoef: number }
  /** c1 e^{-r1 x} + c2 e^{-r2 x} */
  | { form: 'biexp'; r1: number; c1: number; r2: number; c2: number };

/** The closed-form ramp tail of a continuous kernel. */
export function rampTail(k: EcoliKernel | MinimalKernel): RampTail {
  if (k.kind === 'ecoli') {
    // T(x) = int_x^inf K(t)(t - x) dt = -a e^{-Bx} [ (x - c x^2)/B^2 + 2(1 - 2cx)/B^3 - 6c/B^4 ]
    const { B, a, c } = ecoliCoefficients(k);
    return { form: 'polyexp', rate: B, p0: -a * (2 / B ** 3 - (6 * c) / B ** 4), p1: -a * (1 / B ** 2 - (4 * c) / B ** 3), p2: (a * c) / B ** 2 };
  }
  // Minimal loop: the ramp response is the step response of 1 / (tau_u tau_v p^2 + tau_v p + 1).
  const { omega0: w, zeta: z } = minimalModes(k);
  if (Math.abs(z - 1) < 1e-9) return { form: 'polyexp', rate: w, p0: 1, p1: w, p2: 0 };
  if (z < 1) {
    const r = Math.sqrt(1 - z * z);
    return { form: 'oscillatory', rate: z * w, omega: w * r, cosCoef: 1, sinCoef: z / r };
  }
  const r = Math.sqrt(z * z - 1);
  const l1 = -w * (z - r);
  const l2 = -w * (z + r);
  return { form: 'biexp', r1: -l1, c1: l2 / (l2 - l1), r2: -l2, c2: -l1 / (l2 - l1) };
}

/** Evaluates a ramp tail at x >= 0. */
export function rampTailValue(T: RampTail, x: number): number {
  switch (T.form) {
    case 'polyexp':
      return Math.exp(-T.rate * x) * (T.p0 + x * (T.p1 + x * T.p2));
    case 'oscillatory':
      return Math.exp(-T.rate * x) * (T.cosCoef * Math.cos(T.omega * x) + T.sinCoef * Math.sin(T.omega * x));
    case 'biexp':
      return T.c1 * Math.exp(-T.r1 * x) + T.c2 * Math.exp(-T.r2 * x);
  }
}

/** The slowest decay time of the kernel's memory (time units): how far back history matters. */
export function memoryTime(k: Kernel): number {
  if (k.kind === 'fir') return k.tapSpacing * k.taps.length;
  if (k.kind === 'esa') return k.samples.length * k.dt;
  const T = rampTail(k);
  return T.form === 'biexp' ? 1 / Math.min(T.r1, T.r2) : 1 / T.rate;
}
