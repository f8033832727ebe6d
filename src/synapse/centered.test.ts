/**
 * The centered protocol seen by one synapse (DESIGN.md §3 set-up: E. coli kernel, I = 0,
 * tau_K = 0.05, tau_f = 1, tau_s = 9, theta = 100/9): a sawtooth from s_f − A to s_f + A.
 */
import { describe, expect, it } from 'vitest';
import { ecoliKernel } from './kernels.ts';
import { makeProtocol } from './protocols.ts';
import { simulateSynapse } from './simulate.ts';
import { idealWindow } from './sweep.ts';

const model = { kernel: ecoliKernel(0.05), g: { name: 'deadzone' as const, theta: 100 / 9 } };
const dw = (A: number, baseline = 0) => simulateSynapse(model, makeProtocol('centered', { tauFast: 1, tauSlow: 9, amplitude: A, baseline })).dw;

describe('centered protocol (a single synapse)', () => {
  it('its signal runs from s_f − A up to s_f + A over tau_f and back over tau_s', () => {
    const p = makeProtocol('centered', { tauFast: 1, tauSlow: 9, amplitude: 20, baseline: 30 });
    expect(p.signal(0)).toBeCloseTo(10, 10);
    expect(p.signal(1)).toBeCloseTo(50, 10);
    expect(p.signal(5.5)).toBeCloseTo(30, 10);
    expect(p.period).toBe(10);
  });

  it('in the window Δw ≈ the swing 2A (DESIGN.md: 0.95 of it at swing 50), outside it ≈ 0', () => {
    expect(dw(25) / 50).toBeGreaterThan(0.9);
    expect(dw(25) / 50).toBeLessThan(1.0);
    expect(Math.abs(dw(2.5))).toBeLessThan(0.05 * 5);
    expect(Math.abs(dw(75)) / 150).toBeLessThan(0.05);
    // The kernel has zero area: where the swing sits does not matter.
    expect(dw(25, 40)).toBeCloseTo(dw(25), 3);
  });

  it('its ideal window in A is half the sawtooth’s (theta tau_f / 2 ≤ A < theta tau_s / 2)', () => {
    const w = idealWindow({ protocol: 'centered', tauFast: 1, tauSlow: 9, theta: 100 / 9 });
    expect(w.aMin).toBeCloseTo(100 / 18, 10);
    expect(w.aMax).toBeCloseTo(50, 10);
    expect(w.sign).toBe(1);
  });
});
