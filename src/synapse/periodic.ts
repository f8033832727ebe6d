/**
 * The paper's period-based protocol (DESIGN.md §3b): one sawtooth period rising linearly from
 * `<s> − A/2` to `<s> + A/2` in t1 and falling back in t2; `u` is the periodic steady state of the
 * kernel response — the circular convolution of a sampled kernel with one period,
 *
 *     u_n = h Σ_i K_i s(t_n − i h)      (s periodic, t_n = n h, h = 1e-4 by default)
 *
 * — and `Δw = h Σ_n g(u_n)` over the period (the periodic trapezoid rule).
 *
 * Computed without a convolution loop: s is piecewise linear, so with S0 = h Σ K_i, S1 = h Σ K_i i h,
 * the slope m of s just before t_n and the slope changes Δm_b at the breakpoints t_b < t_n within
 * the kernel's span,
 *
 *     u_n = S0 s(t_n) − m S1 + Σ_b Δm_b E(t_n − t_b),   E(d) = h Σ_{i h > d} K_i (i h − d)
 *
 * exactly (E from suffix sums, O(1) per breakpoint). And u is linear in the signal: with
 * s = <s> + A q (q the unit sawtooth centred on 0), u = S0 <s> + A v, v = K ⊛ q, so one v serves
 * every amplitude. For the dead zone, Δw(A) then follows from v sorted once and its prefix sums:
 * the grid points that pass are those with v ≥ (θ − S0<s>)/A or v ≤ (−θ − S0<s>)/A — two binary
 * searches per amplitude instead of a pass over the period.
 */
import { kernelValue, memoryTime, type EcoliKernel, type MinimalKernel } from './kernels.ts';
import type { EsaKernel } from './markov.ts';
import { nonlinearity, type Nonlinearity } from './nonlinearity.ts';

/** A kernel as samples K_i at t = i·dt (K = 0 beyond the last sample). */
export interface SampledKernel {
  samples: Float64Array;
  /** Sample spacing (time units). */
  dt: number;
}

/** The paper's sample step (DESIGN.md §3b). */
export const PERIODIC_DT = 1e-4;

/**
 * Samples a continuous kernel at t = i·dt over `span` time units (default: max(1, 40 memory
 * times) — the paper samples the E. coli kernel on [0, 1)).
 *
 *   sampleKernel(ecoliKernel(0.05)).samples.length   // 10000
 */
export function sampleKernel(k: EcoliKernel | MinimalKernel | EsaKernel, dt = PERIODIC_DT, span?: number): SampledKernel {
  if (k.kind === 'esa') return { samples: k.samples, dt: k.dt };
  if (!(dt > 0)) throw new RangeError(`dt must be > 0, got ${dt}`);
  const L = Math.max(1, Math.round((span ?? Math.max(1, 40 * memoryTime(k))) / dt));
  const samples = new Float64Array(L);
  for (let i = 0; i < L; i++) samples[i] = kernelValue(k, i * dt);
  return { samples, dt };
}

/** S0 = ∫K, S1 = ∫tK (rectangle sums over the samples) and the suffix sums behind E(d). */
export interface KernelSums {
  kernel: SampledKernel;
  area: number;
  firstMoment: number;
  /** suffix0[j] = h Σ_{i ≥ j} K_i, suffix1[j] = h Σ_{i ≥ j} K_i i h (length L + 1). */
  suffix0: Float64Array;
  suffix1: Float64Array;
  /** Time span L·h of the samples. */
  span: number;
}

export function kernelSums(k: SampledKernel): KernelSums {
  const L = k.samples.length;
  const h = k.dt;
  const suffix0 = new Float64Array(L + 1);
  const suffix1 = new Float64Array(L + 1);
  for (let i = L - 1; i >= 0; i--) {
    suffix0[i] = suffix0[i + 1]! + h * k.samples[i]!;
    suffix1[i] = suffix1[i + 1]! + h * k.samples[i]! * i * h;
  }
  return { kernel: k, area: suffix0[0]!, firstMoment: suffix1[0]!, suffix0, suffix1, span: L * h };
}

/** E(d) = h Σ_{i h > d} K_i (i h − d) for d > 0 (0 beyond the span). */
export function tailMoment(s: KernelSums, d: number): number {
  const j = Math.floor(d / s.kernel.dt) + 1;
  if (j >= s.suffix0.length) return 0;
  return s.suffix1[j]! - d * s.suffix0[j]!;
}

export interface SawtoothShape {
  /** Duration of the rise (time units). */
  t1: number;
  /** Duration of the fall (time units). */
  t2: number;
}

/** The unit sawtooth centred on 0 at in-period time x: −1/2 → +1/2 over t1, back over t2. */
export function centredSawtooth(shape: SawtoothShape, x: number): number {
  return x < shape.t1 ? x / shape.t1 - 0.5 : 0.5 - (x - shape.t1) / shape.t2;
}

export interface PeriodicResponse {
  /** v = K ⊛ q on the grid t_n = n h, n = 0..N-1, for the unit centred sawtooth q. */
  v: Float64Array;
  /** Grid step and grid points per period. */
  h: number;
  n: number;
  period: number;
  /** S0 = ∫K: u = S0 <s> + A v. */
  area: number;
  shape: SawtoothShape;
}

/**
 * v = K ⊛ q, the periodic steady-state response to the unit centred sawtooth, on N = round(P/h)
 * grid points (h: the kernel's sample step unless given).
 */
export function periodicResponse(sums: KernelSums, shape: SawtoothShape, h = sums.kernel.dt): PeriodicResponse {
  const { t1, t2 } = shape;
  if (!(t1 > 0) || !(t2 > 0)) throw new RangeError(`ramp times must be > 0 (t1 ${t1}, t2 ${t2})`);
  const P = t1 + t2;
  const N = Math.max(4, Math.round(P / h));
  const hh = P / N;
  const jump = 1 / t1 + 1 / t2;
  const S0 = sums.area;
  const S1 = sums.firstMoment;
  const span = sums.span;
  const v = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const x = n * hh;
    const slope = x > 0 && x <= t1 ? 1 / t1 : -1 / t2;
    let u = S0 * centredSawtooth(shape, x) - slope * S1;
    // Period starts (slope change +jump) at distance x + jP, peaks (−jump) at x − t1 + jP; strictly in the past.
    for (let d = x > 0 ? x : P; d < span; d += P) u += jump * tailMoment(sums, d);
    for (let d = x > t1 ? x - t1 : x - t1 + P; d < span; d += P) u -= jump * tailMoment(sums, d);
    v[n] = u;
  }
  return { v, h: hh, n: N, period: P, area: S0, shape };
}

/**
 * The same v by the direct circular convolution `h Σ_i K_i q(t_n − i h)` (O(N·L)): the reference
 * the breakpoint formula is tested against.
 */
export function periodicResponseDirect(k: SampledKernel, shape: SawtoothShape): Float64Array {
  const P = shape.t1 + shape.t2;
  const N = Math.max(4, Math.round(P / k.dt));
  const h = P / N;
  const v = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let acc = 0;
    for (let i = 0; i < k.samples.length; i++) {
      let x = (n * h - i * k.dt) % P;
      if (x < 0) x += P;
      acc += k.samples[i]! * centredSawtooth(shape, x);
    }
    v[n] = acc * k.dt;
  }
  return v;
}

/** v sorted with its prefix sums: Δw of the dead zone for any (A, <s>, θ) in O(log N). */
export interface SortedResponse {
  response: PeriodicResponse;
  sorted: Float64Array;
  /** prefix[k] = Σ_{i<k} sorted[i]. */
  prefix: Float64Array;
}

export function sortResponse(r: PeriodicResponse): SortedResponse {
  const sorted = Float64Array.from(r.v).sort();
  const prefix = new Float64Array(sorted.length + 1);
  for (let i = 0; i < sorted.length; i++) prefix[i + 1] = prefix[i]! + sorted[i]!;
  return { response: r, sorted, prefix };
}

/** Number of entries < x (strict) or <= x. */
function countBelow(a: Float64Array, x: number, inclusive: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (inclusive ? a[mid]! <= x : a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Δw = ∫_period g(u) dt of the dead zone (θ > 0) or of a linear g (θ = 0), u = S0 <s> + A v, A ≥ 0.
 *
 *   const r = sortResponse(periodicResponse(kernelSums(sampleKernel(ecoliKernel(0.05))), { t1: 1, t2: 9 }));
 *   periodicDeadZoneUpdate(r, 50, 25, 100 / 9) / 50   // ≈ 0.955
 */
export function periodicDeadZoneUpdate(r: SortedResponse, amplitude: number, mean: number, theta: number): number {
  if (!(amplitude >= 0)) throw new RangeError(`the periodic protocol takes amplitudes >= 0, got ${amplitude}`);
  if (!(theta >= 0)) throw new RangeError(`theta must be >= 0, got ${theta}`);
  const { sorted, prefix } = r;
  const { h, area } = r.response;
  const N = sorted.length;
  const c = area * mean;
  if (amplitude === 0) return Math.abs(c) >= theta ? c * N * h : 0;
  if (theta === 0) return (c * N + amplitude * prefix[N]!) * h;
  const low = countBelow(sorted, (-theta - c) / amplitude, true); // u <= -theta
  const high = countBelow(sorted, (theta - c) / amplitude, false); // u >= theta from here on
  return (c * low + amplitude * prefix[low]! + c * (N - high) + amplitude * (prefix[N]! - prefix[high]!)) * h;
}

/** Δw over the period for any g (one pass over the grid). */
export function periodicUpdate(r: PeriodicResponse, amplitude: number, mean: number, g: Nonlinearity): number {
  const f = nonlinearity(g);
  const c = r.area * mean;
  let acc = 0;
  for (let n = 0; n < r.n; n++) acc += f(c + amplitude * r.v[n]!);
  return acc * r.h;
}

export interface PeriodicSweep {
  amplitudes: number[];
  /** Δw per period at each amplitude. */
  dw: Float64Array;
  /** Grid points per period. */
  stepsPerCycle: number;
  area: number;
}

/**
 * Δw over amplitudes for one kernel and one sawtooth: the period-based protocol of §3b.
 *
 *   periodicSweep(sampleKernel(ecoliKernel(0.05)), { t1: 1, t2: 9 }, [5, 50, 150], { mean: 0, theta: 100 / 9 })
 */
export function periodicSweep(k: SampledKernel | KernelSums, shape: SawtoothShape, amplitudes: ArrayLike<number>, opts: { mean: number; theta: number; g?: Nonlinearity['name']; sharpness?: number; dt?: number }): PeriodicSweep {
  const sums = 'suffix0' in k ? k : kernelSums(k);
  const resp = periodicResponse(sums, shape, opts.dt);
  const dw = new Float64Array(amplitudes.length);
  const g = opts.g ?? 'deadzone';
  if (g === 'smooth') {
    for (let i = 0; i < amplitudes.length; i++) dw[i] = periodicUpdate(resp, amplitudes[i]!, opts.mean, { name: 'smooth', theta: opts.theta, sharpness: opts.sharpness });
  } else {
    const sorted = sortResponse(resp);
    for (let i = 0; i < amplitudes.length; i++) dw[i] = periodicDeadZoneUpdate(sorted, amplitudes[i]!, opts.mean, g === 'linear' ? 0 : opts.theta);
  }
  return { amplitudes: Array.from(amplitudes), dw, stepsPerCycle: resp.n, area: sums.area };
}
