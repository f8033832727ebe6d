/**
 * The thermodynamic cost of integral feedback (DESIGN.md §3, "non-equilibrium dissipation").
 *
 * Read the minimal loop as overdamped motion of (u, v) with frictions (tau_u, tau_v) in contact
 * with a bath at temperature T:
 *
 *     tau_u du/dt = s - u - v + xi_u,     tau_v dv/dt = u + xi_v,     <xi_i xi_i> = 2 k_B T tau_i delta
 *
 * The force (s - u - v, u) is not a gradient: its coupling is non-reciprocal (v pushes u down,
 * u pushes v up). That curl is what makes the loop integrate and adapt, and it keeps a probability
 * current circulating in the (u, v) plane even at constant s. The heat that current dissipates
 * (housekeeping heat) is the power of the feedback loop:
 *
 *     Pi = tr(G^T D^-1 G Sigma) - tr(G)   [k_B T per time unit]
 *
 * for the linear (Ornstein-Uhlenbeck) dynamics dx = -G x dt + sqrt(2D) dW with stationary
 * covariance G Sigma + Sigma G^T = 2D. Pi = 0 for any reciprocal (equilibrium) coupling; for the
 * minimal loop it works out to Pi = 4 / tau_v (independent of tau_u).
 */
import type { MinimalKernel } from './kernels.ts';
import { solve } from './statespace.ts';

/**
 * Stationary entropy production rate of dx = -G x dt + sqrt(2D) dW (units of k_B per time unit;
 * times k_B T it is the dissipated power).
 *
 *   entropyProductionRate([[1, 0], [0, 1]], [[1, 0], [0, 1]])   // 0 (equilibrium)
 */
export function entropyProductionRate(G: number[][], D: number[][]): number {
  const n = G.length;
  // Lyapunov equation G S + S G^T = 2D, unknowns S_ab (row-major), as an n^2 x n^2 linear system.
  const N = n * n;
  const M = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  const r = new Array<number>(N).fill(0);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const row = a * n + b;
      for (let k = 0; k < n; k++) {
        M[row]![k * n + b]! += G[a]![k]!;
        M[row]![a * n + k]! += G[b]![k]!;
      }
      r[row] = 2 * D[a]![b]!;
    }
  }
  const sv = solve(M, r);
  const S = Array.from({ length: n }, (_, a) => sv.slice(a * n, a * n + n));
  // D^-1 column by column.
  const Dinv = Array.from({ length: n }, (_, j) => solve(D, Array.from({ length: n }, (_, i) => (i === j ? 1 : 0))));
  // tr(G^T Dinv G S) = sum_{a,b,c,d} G[b][a] Dinv[b][c] G[c][d] S[d][a]; Dinv is stored transposed (columns), symmetric anyway.
  let tr = 0;
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++)
      for (let c = 0; c < n; c++)
        for (let d = 0; d < n; d++) tr += G[b]![a]! * Dinv[c]![b]! * G[c]![d]! * S[d]![a]!;
  let trG = 0;
  for (let a = 0; a < n; a++) trG += G[a]![a]!;
  return tr - trG;
}

export interface FeedbackDissipation {
  /** Housekeeping power of the loop, k_B T per time unit. */
  power: number;
  /** Heat per cycle of the given period, k_B T. */
  perCycle: number;
}

/** Housekeeping dissipation of the minimal integral-feedback loop over one cycle of length `period`. */
export function feedbackDissipation(k: MinimalKernel, period: number): FeedbackDissipation {
  const G = [
    [1 / k.tauU, 1 / k.tauU],
    [-1 / k.tauV, 0],
  ];
  const D = [
    [1 / k.tauU, 0],
    [0, 1 / k.tauV],
  ];
  const power = entropyProductionRate(G, D);
  return { power, perCycle: power * period };
}
