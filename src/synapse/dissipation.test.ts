import { describe, expect, it } from 'vitest';
import { entropyProductionRate, feedbackDissipation } from './dissipation.ts';
import { minimalKernel } from './kernels.ts';
import { mulberry32 } from './protocols.ts';

/** Standard normal samples (Box-Muller) from a seeded uniform generator. */
function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * Monte Carlo estimate of the heat rate of the noisy loop at constant s = 0 (k_B T = 1):
 * tau_u du = (-u - v) dt + sqrt(2 tau_u) dW_u, tau_v dv = u dt + sqrt(2 tau_v) dW_v; heat = int F ∘ dx
 * (Stratonovich, midpoint force), averaged over particles and time after a burn-in.
 */
function monteCarloHeatRate(tauU: number, tauV: number, seed: number): number {
  const N = 1000;
  const dt = 1e-2 * Math.min(tauU, tauV);
  const burn = Math.round((10 * Math.max(tauU, tauV)) / dt);
  const steps = burn + Math.round((40 * Math.max(tauU, tauV)) / dt);
  const g = gaussian(mulberry32(seed));
  const su = Math.sqrt((2 * dt) / tauU);
  const sv = Math.sqrt((2 * dt) / tauV);
  let heat = 0;
  for (let p = 0; p < N; p++) {
    let u = 0;
    let v = 0;
    for (let k = 0; k < steps; k++) {
      const du = ((-u - v) / tauU) * dt + su * g();
      const dv = (u / tauV) * dt + sv * g();
      if (k >= burn) {
        const um = u + du / 2;
        const vm = v + dv / 2;
        heat += (-um - vm) * du + um * dv;
      }
      u += du;
      v += dv;
    }
  }
  return heat / (N * (steps - burn) * dt);
}

describe('dissipation of the integral-feedback loop', () => {
  it('is zero for a reciprocal (equilibrium) coupling', () => {
    // G = Gamma H with Gamma = diag(mobilities) and H symmetric positive definite: detailed balance.
    const H = [
      [1, 0.6],
      [0.6, 2],
    ];
    const mob = [3, 0.5];
    const G = H.map((row, i) => row.map((h) => mob[i]! * h));
    const D = [
      [mob[0]!, 0],
      [0, mob[1]!],
    ];
    expect(Math.abs(entropyProductionRate(G, D))).toBeLessThan(1e-10);
  });

  it('is 4/tau_v for the minimal loop (the closed form derived in the README), whatever tau_u', () => {
    for (const [tauU, tauV] of [
      [1, 1],
      [0.5, 2],
      [0.02, 0.5],
      [2, 0.5],
    ] as const) {
      expect(feedbackDissipation({ kind: 'minimal', tauU, tauV }, 1).power).toBeCloseTo(4 / tauV, 9);
    }
    // per cycle, with tau_u = tau_K/(2 zeta), tau_v = 2 zeta tau_K: 2 P / (zeta tau_K)
    expect(feedbackDissipation(minimalKernel(0.05, 1), 10).perCycle).toBeCloseTo(400, 9);
    expect(feedbackDissipation(minimalKernel(0.05, 0.5), 10).perCycle).toBeCloseTo(800, 9);
  });

  it('matches the heat measured in a stochastic simulation of the noisy loop (±5%)', () => {
    const tauU = 0.5;
    const tauV = 1;
    const mc = monteCarloHeatRate(tauU, tauV, 1);
    expect(Math.abs(mc - 4 / tauV) / (4 / tauV)).toBeLessThan(0.05);
  });
});
