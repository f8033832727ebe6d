/**
 * One nudging cycle of the authors' TCL pipeline as linear maps (DESIGN.md §3):
 * the relaxed states sampled along the cycle → linear interpolation onto the grid t_j = j/G →
 * the FIR kernel as a circular convolution  u_j = (1/100) Σ_k K_k s_{(j+5−k) mod G}.
 * Everything before the dead zone is linear in the signal, so it folds into one matrix
 * `toU` (G × states): u = toU · signal_per_state. The trapezoid weights carry the authors'
 * factors: Δp = lr/β · 0.5 · 10000 · trapz(g(u), t)  (trapz step 1/G, half weight at both ends).
 */
import { firKernel } from '../../synapse/kernels.ts';
import { cycleSamples, type ProtocolName } from '../../synapse/protocols.ts';

export interface CycleMaps {
  /** Relative beta (0..1) of each distinct relaxed state; state 0 is the free state. */
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

export function cycleMaps(protocol: ProtocolName, levels: number, fastFraction: number, cycle: 'authors' | 'continuous', grid = 100): CycleMaps {
  const { times, betaRel } = cycleSamples(protocol, levels, fastFraction);
  const nSamples = times.length;
  // Which relaxed state each sample shows: the authors reuse the up-ramp states on the way down.
  let stateOf: number[];
  let stateBeta: number[];
  let relaxFrom: number[];
  if (cycle === 'authors') {
    stateOf = betaRel.map((b) => Math.round(b * (levels - 1)));
    stateBeta = Array.from({ length: levels }, (_, l) => l / (levels - 1));
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
  const weights = new Float32Array(grid).fill((0.5 * 10000) / grid);
  weights[0] /= 2;
  weights[grid - 1] /= 2;
  return { stateBeta, relaxFrom, grid, interp, toU, weights, kernel, shift, nStates };
}
