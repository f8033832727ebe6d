/**
 * One nudging cycle of the authors' TCL pipeline as linear maps (DESIGN.md §3):
 * the relaxed states sampled along the cycle → linear interpolation onto the grid t_j = j/G →
 * the FIR kernel as a circular convolution  u_j = (1/100) Σ_k K_k s_{(j+5−k) mod G}.
 * Everything before the dead zone is linear in the signal, so it folds into one matrix
 * `toU` (G × states): u = toU · signal_per_state. The trapezoid weights carry the authors'
 * factors: Δp = lr/β · 0.5 · 10000 · trapz(g(u), t)  (trapz step 1/G, half weight at both ends).
 *
 * ## The centered cycle (`nudging: 'centered'`; ours, not the paper's)
 *
 * Centered EP contrasts the two nudged states, (s^{+β} − s^{−β})/2β. A synapse that stores
 * nothing gets that difference if the fast ramp of its cycle runs from the −β state to the +β
 * state. With n = levels − 1 and the fast fraction f (sawtooth; the reversed protocol swaps
 * which ramp is fast, the triangle makes both 1/2), one cycle of length 1 visits
 *
 *   t ∈ [0, f/2]          β/β_max: 0 → +1      fast (n steps of 1/n)
 *   t ∈ [f/2, 1 − f/2]    β/β_max: +1 → −1     slow (2n steps)
 *   t ∈ [1 − f/2, 1]      β/β_max: −1 → 0      fast (n steps; t = 1 is t = 0 of the next cycle)
 *
 * i.e. the one-sided sawtooth with its swing doubled (−β … +β) and its origin moved by f/2 so
 * that the cycle starts and ends at the free state (the continuous cycle needs state 0 = s⁰).
 * On the periodic grid the fast ramp is one contiguous ramp of duration f, so the same
 * argument as for the sawtooth gives, for every parameter whose swing passes the dead zone on
 * the fast ramp only,
 *
 *   ∫ g(u) dt ≈ s^{+β} − s^{−β},   Δp = lr/2β · 0.5 · 10000 · trapz(g(u), t)
 *
 * — the centered EP update, with the same learning window in units of the swing
 * |s^{+β} − s^{−β}| ≈ 2|Δ| (so the paper's fixed thresholds sit at half the one-sided Δ).
 * States (authors' cycle): 0 = s⁰ (free), 1…n = +β·i/n, n+1…2n = −β·i/n, every one relaxed
 * `stepsPerLevel` steps from s⁰ (relaxFrom = 0); the ramps reuse them ("no hysteresis").
 * Continuous cycle: one state per sample, each relaxed from the previous sample's.
 * Because the fast ramp straddles t = 0, the trapezoid is the periodic one (weight 1/G at every
 * grid point, the exact trapezoid of a periodic function) instead of the authors' t = 0 … 0.99
 * with half weights at the ends, which would cut off one grid step of the fast ramp.
 */
import { firKernel } from '../../synapse/kernels.ts';
import { cycleSamples, type ProtocolName } from '../../synapse/protocols.ts';
import type { Nudging } from '../preset.ts';

export interface CycleMaps {
  /** Relative beta (−1..1; negative only in the centered cycle) of each distinct relaxed state; state 0 is the free state. */
  stateBeta: number[];
  /** For 'continuous' cycles: the state each state is relaxed from (authors: all from state 0). */
  relaxFrom: number[];
  /** Grid points G. */
  grid: number;
  /** Interpolation: grid × states, signal on the grid = interp · signal per state. */
  interp: Float32Array;
  /** Interpolation then kernel: grid × states. */
  toU: Float32Array;
  /** Trapezoid weights × 0.5 × 10000 (grid). */
  weights: Float32Array;
  /** Kernel taps (for the faithful, stepped-in-time synapse). */
  kernel: Float32Array;
  /** Grid offset of the centred kernel: u_j is the causal response at time j + shift. */
  shift: number;
  nStates: number;
}

/** Divisor of the convolution: the paper's thresholds refer to u in these units (DESIGN.md §3 trap 1). */
export const U_SCALE = 100;

/**
 * The centered cycle's sample times and relative β (see the module comment): 0 → +1 over up/2,
 * +1 → −1 over 1 − up, −1 → 0 over up/2, `levels − 1` steps per unit of β; 4(levels−1)+1 samples.
 *
 *   centeredCycleSamples('sawtooth', 3, 0.1).betaRel   // [0, .5, 1, .5, 0, −.5, −1, −.5, 0]
 */
export function centeredCycleSamples(protocol: ProtocolName, levels: number, fastFraction = 0.1): { times: number[]; betaRel: number[] } {
  const { times: oneSided } = cycleSamples(protocol, levels, fastFraction); // validates levels and fastFraction
  const n = levels - 1;
  const up = oneSided[n]; // duration of the rising ramp
  const times: number[] = [];
  const betaRel: number[] = [];
  for (let i = 0; i <= n; i++) {
    times.push((up / 2) * (i / n));
    betaRel.push(i / n);
  }
  for (let k = 1; k <= 2 * n; k++) {
    times.push(up / 2 + (1 - up) * (k / (2 * n)));
    betaRel.push(1 - k / n);
  }
  for (let i = 1; i <= n; i++) {
    times.push(1 - up / 2 + (up / 2) * (i / n));
    betaRel.push(-1 + i / n);
  }
  return { times, betaRel };
}

export function cycleMaps(protocol: ProtocolName, levels: number, fastFraction: number, cycle: 'authors' | 'continuous', grid = 100, nudging: Nudging = 'random-sign'): CycleMaps {
  const centered = nudging === 'centered';
  const { times, betaRel } = (centered ? centeredCycleSamples : cycleSamples)(protocol, levels, fastFraction);
  const nSamples = times.length;
  const n = levels - 1;
  // Which relaxed state each sample shows: the authors reuse the up-ramp states on the way down.
  let stateOf: number[];
  let stateBeta: number[];
  let relaxFrom: number[];
  if (cycle === 'authors') {
    // States 0…n: β·i/n (0 = free); centered adds n+1…2n: −β·i/n.
    stateOf = betaRel.map((b) => (b >= 0 ? Math.round(b * n) : n + Math.round(-b * n)));
    stateBeta = Array.from({ length: levels }, (_, l) => l / n);
    if (centered) for (let i = 1; i <= n; i++) stateBeta.push(-i / n);
    relaxFrom = stateBeta.map(() => 0);
  } else {
    stateOf = times.map((_, n) => n);
    stateBeta = betaRel.slice();
    relaxFrom = times.map((_, n) => Math.max(0, n - 1));
  }
  const nStates = stateBeta.length;
  const interp = new Float32Array(grid * nStates);
  for (let j = 0; j < grid; j++) {
    const t = j / grid;
    let i = 0;
    while (i < nSamples - 2 && times[i + 1] <= t) i++;
    const a = (t - times[i]) / (times[i + 1] - times[i]);
    interp[j * nStates + stateOf[i]] += 1 - a;
    interp[j * nStates + stateOf[i + 1]] += a;
  }
  const kernel = firKernel();
  const shift = Math.floor(kernel.length / 2);
  const toU = new Float32Array(grid * nStates);
  for (let j = 0; j < grid; j++) {
    for (let k = 0; k < kernel.length; k++) {
      const m = (((j + shift - k) % grid) + grid) % grid;
      for (let l = 0; l < nStates; l++) toU[j * nStates + l] += (kernel[k] * interp[m * nStates + l]) / U_SCALE;
    }
  }
  // Centered: the periodic trapezoid, and 1/2 for the 2β of the centered difference.
  const weights = new Float32Array(grid).fill((0.5 * 10000) / grid / (centered ? 2 : 1));
  if (!centered) {
    weights[0] /= 2;
    weights[grid - 1] /= 2;
  }
  return { stateBeta, relaxFrom, grid, interp, toU, weights, kernel, shift, nStates };
}
