import { describe, expect, it } from 'vitest';
import { ecoliKernel } from './kernels.ts';
import { fitLine, fitThreePieces } from './fit.ts';
import { kernelSums, periodicDeadZoneUpdate, periodicResponse, periodicResponseDirect, periodicUpdate, sampleKernel, sortResponse } from './periodic.ts';
import { makeProtocol } from './protocols.ts';
import { simulateSynapse } from './simulate.ts';
import { runSynapse, REFERENCE_SETUP } from './sweep.ts';

describe('period-based protocol (DESIGN.md §3b)', () => {
  it('the breakpoint formula equals the direct circular convolution, also when the kernel spans several periods', () => {
    const k = sampleKernel(ecoliKernel(0.05, 0.3), 1e-4, 0.3);
    for (const shape of [
      { t1: 0.07, t2: 0.13 },
      { t1: 0.3, t2: 0.5 },
    ]) {
      const fast = periodicResponse(kernelSums(k), shape).v;
      const direct = periodicResponseDirect(k, shape);
      expect(fast.length).toBe(direct.length);
      let err = 0;
      for (let i = 0; i < direct.length; i++) err = Math.max(err, Math.abs(fast[i]! - direct[i]!));
      expect(err).toBeLessThan(1e-9);
    }
  });

  it('the dead zone by sorted response equals the grid sum of g(u)', () => {
    const r = periodicResponse(kernelSums(sampleKernel(ecoliKernel(0.05, 0.05))), { t1: 1, t2: 4 });
    const sorted = sortResponse(r);
    for (const [A, mean, theta] of [
      [30, 25, 10],
      [70, -5, 3],
      [0, 25, 1],
      [40, 0, 0],
    ] as const) {
      const direct = periodicUpdate(r, A, mean, theta === 0 ? { name: 'linear', theta: 0 } : { name: 'deadzone', theta });
      expect(periodicDeadZoneUpdate(sorted, A, mean, theta)).toBeCloseTo(direct, 8);
    }
  });

  it("agrees with the adapted-then-one-cycle simulation for the E. coli kernel at DESIGN.md §3's reference point", () => {
    // I = 0, tau_K 0.05, tau_f 1, tau_s 9, theta 100/9, s_f 0, s_c = A: the period-based protocol has <s> = A/2.
    const sums = kernelSums(sampleKernel(ecoliKernel(0.05)));
    const sorted = sortResponse(periodicResponse(sums, { t1: 1, t2: 9 }));
    for (const [A, design] of [
      [5, 0],
      [50, 0.95],
      [150, 0],
    ] as const) {
      const periodic = periodicDeadZoneUpdate(sorted, A, A / 2, 100 / 9) / A;
      const adapted = simulateSynapse({ kernel: ecoliKernel(0.05), g: { name: 'deadzone', theta: 100 / 9 } }, makeProtocol('sawtooth', { tauFast: 1, tauSlow: 9, amplitude: A }), { dt: 1e-3 }).dwPerAmplitude;
      expect(Math.abs(periodic - adapted)).toBeLessThan(0.005);
      expect(Math.abs(periodic - design)).toBeLessThan(0.05);
    }
    // The CLI's --solver periodic is the same computation.
    expect(runSynapse(REFERENCE_SETUP, { method: 'periodic' }).dwPerAmplitude).toBeCloseTo(runSynapse(REFERENCE_SETUP).dwPerAmplitude, 2);
  });

  it('the esa kernel in time (exact discrete convolution after one adaptation cycle) agrees with its periodic steady state', () => {
    const setup = { ...REFERENCE_SETUP, kernel: 'esa' as const, gamma: 0.01 };
    const inTime = runSynapse(setup, { dt: 1e-3 });
    const periodic = runSynapse(setup, { method: 'periodic' });
    expect(Math.abs(inTime.dwPerAmplitude - periodic.dwPerAmplitude)).toBeLessThan(0.01 * Math.abs(periodic.dwPerAmplitude));
    expect(inTime.markov?.entropyProduction).toBeCloseTo(4.36, 2);
  });
});

describe('fits', () => {
  it('a line fit recovers slope and intercept', () => {
    const x = [0, 1, 2, 3, 4];
    const f = fitLine(x, x.map((v) => 0.5 - 2 * v));
    expect(f.slope).toBeCloseTo(-2, 12);
    expect(f.intercept).toBeCloseTo(0.5, 12);
  });

  it('a three-piece fit recovers breakpoints between samples, slopes and the third intercept', () => {
    const x = Float64Array.from({ length: 300 }, (_, i) => (i * 0.75) / 300);
    const truth = (v: number) => (v < 0.1234 ? 0 : v < 0.2031 ? 1.7 * (v - 0.1234) : 1.7 * (0.2031 - 0.1234) + (v - 0.2031));
    const f = fitThreePieces(x, x.map(truth));
    // Sample spacing 0.0025: the breakpoints land well inside one spacing.
    expect(Math.abs(f.breaks[1] - 0.1234)).toBeLessThan(2e-4);
    expect(Math.abs(f.breaks[2] - 0.2031)).toBeLessThan(2e-4);
    expect(Math.abs(f.slopes[0])).toBeLessThan(1e-3);
    expect(Math.abs(f.slopes[1] - 1.7)).toBeLessThan(5e-3);
    expect(Math.abs(f.slopes[2] - 1)).toBeLessThan(1e-3);
    expect(Math.abs(f.intercepts[2] - (1.7 * (0.2031 - 0.1234) - 0.2031))).toBeLessThan(2e-4);
  });
});
