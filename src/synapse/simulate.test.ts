/**
 * The single-synapse behaviours of DESIGN.md §3: E. coli kernel, I = 0, tau_K = 0.05, tau_f = 1,
 * tau_s = 9, theta = 100/9, s_f = 0, s_c = A, alpha = 1, one cycle after adaptation.
 */
import { describe, expect, it } from 'vitest';
import { ecoliKernel, firSynapseKernel, minimalKernel, type Kernel } from './kernels.ts';
import type { Nonlinearity } from './nonlinearity.ts';
import { makeProtocol, type SignalProtocolName } from './protocols.ts';
import { simulateSynapse, type SimulationOptions } from './simulate.ts';

const THETA = 100 / 9;
const deadzone: Nonlinearity = { name: 'deadzone', theta: THETA };

function run(A: number, o: { protocol?: SignalProtocolName; kernel?: Kernel; g?: Nonlinearity; tauFast?: number; tauSlow?: number; baseline?: number; alpha?: number; seed?: number } & SimulationOptions = {}) {
  const p = makeProtocol(o.protocol ?? 'sawtooth', { tauFast: o.tauFast ?? 1, tauSlow: o.tauSlow ?? 9, amplitude: A, baseline: o.baseline, seed: o.seed });
  return simulateSynapse({ kernel: o.kernel ?? ecoliKernel(0.05), g: o.g ?? deadzone, alpha: o.alpha }, p, o);
}

/**
 * Independent reference: a sawtooth written here, DESIGN.md's kernel formula, u by direct
 * numerical convolution (trapezoid) on a periodic grid, dead zone, trapezoid over one period.
 */
function directConvolutionDw(A: number, reversed = false): number {
  const B = 20;
  const a = B ** 3;
  const c = B / 2; // I = 0
  const K = (t: number) => a * Math.exp(-B * t) * (t - c * t * t);
  const dt = 0.001;
  const P = 10;
  const n = Math.round(P / dt);
  const up = reversed ? 9 : 1;
  const s = (t: number) => {
    const x = ((t % P) + P) % P;
    return x < up ? (A * x) / up : A * (1 - (x - up) / (P - up));
  };
  const L = Math.round(3 / dt); // 60 tau_K of memory
  const Kw = Array.from({ length: L + 1 }, (_, i) => K(i * dt) * dt * (i === 0 || i === L ? 0.5 : 1));
  let dw = 0;
  let prev = 0;
  for (let j = 0; j <= n; j++) {
    let u = 0;
    for (let i = 0; i <= L; i++) u += Kw[i]! * s((j - i) * dt);
    const g = Math.abs(u) >= THETA ? u : 0;
    if (j > 0) dw += 0.5 * (prev + g) * dt;
    prev = g;
  }
  return dw;
}

describe('one E. coli synapse under the sawtooth (DESIGN.md §3)', () => {
  it('A = 5: neither ramp passes the dead zone, Δw ≈ 0', () => {
    expect(Math.abs(run(5).dwPerAmplitude)).toBeLessThan(0.01);
  });

  it('A = 50: only the fast ramp passes, Δw/A ≈ 0.95', () => {
    const r = run(50);
    expect(r.dwPerAmplitude).toBeGreaterThan(0.93);
    expect(r.dwPerAmplitude).toBeLessThan(0.97);
    expect(r.passUp).toBeGreaterThan(0.8);
    expect(r.passDown).toBeLessThan(0.05);
  });

  it('A = 150: both ramps pass and cancel, |Δw|/A < 0.05', () => {
    expect(Math.abs(run(150).dwPerAmplitude)).toBeLessThan(0.05);
  });

  it('a linear g (no dead zone) gives Δw ≈ 0 at any A', () => {
    for (const A of [5, 50, 150]) expect(Math.abs(run(A, { g: { name: 'linear', theta: 0 } }).dwPerAmplitude)).toBeLessThan(1e-3);
  });

  it('a symmetric triangle gives Δw ≈ 0 (both ramps pass: tau_f = tau_s = 1; neither: 5 / 5)', () => {
    const both = run(50, { protocol: 'triangle', tauFast: 1, tauSlow: 1 });
    expect(both.passUp).toBeGreaterThan(0.8);
    expect(Math.abs(both.dwPerAmplitude)).toBeLessThan(0.01);
    expect(Math.abs(run(50, { protocol: 'triangle' }).dwPerAmplitude)).toBeLessThan(0.01);
  });

  it('the reversed sawtooth (slow up, fast down) flips the sign of Δw', () => {
    const saw = run(50).dw;
    const rev = run(50, { protocol: 'reversed' }).dw;
    expect(rev).toBeLessThan(0);
    expect(Math.abs(rev / saw + 1)).toBeLessThan(0.02);
  });

  it('the ODE (z-chain) and a direct numerical convolution with K agree to < 1%', () => {
    for (const [A, reversed] of [
      [50, false],
      [30, true],
    ] as const) {
      const ode = run(A, { protocol: reversed ? 'reversed' : 'sawtooth' }).dw;
      const direct = directConvolutionDw(A, reversed);
      expect(Math.abs(ode - direct) / Math.abs(direct)).toBeLessThan(0.01);
    }
    // and the code's own convolution path, at all three amplitudes (relative to A where Δw ≈ 0)
    for (const A of [5, 50, 150]) {
      const ode = run(A).dw;
      const conv = run(A, { method: 'convolution' }).dw;
      expect(Math.abs(ode - conv) / A).toBeLessThan(0.01);
    }
  });

  it('perfect adaptation (I = 0): the baseline s_f does not change Δw', () => {
    expect(run(50, { baseline: 1000 }).dw).toBeCloseTo(run(50).dw, 6);
  });

  it('with an offset gain I > 0 the level leaks into u: u ≈ I s + ds/dt on the ramps', () => {
    const r = run(50, { kernel: ecoliKernel(0.05, 0.5), record: true });
    const { t, u, s } = r.trace!;
    const j = t.findIndex((x) => x >= 10 + 0.5); // middle of the measured fast ramp (kernel transient still 0.2%)
    expect(Math.abs(u[j]! - (0.5 * s[j]! + 50)) / 62.5).toBeLessThan(0.005);
    const k = t.findIndex((x) => x >= 10 + 5); // middle of the slow ramp
    expect(u[k]!).toBeCloseTo(0.5 * s[k]! - 50 / 9, 4);
  });

  it('alpha scales Δw; more cycles give the same Δw per cycle', () => {
    expect(run(50, { alpha: 0.1 }).dw).toBeCloseTo(0.1 * run(50).dw, 9);
    const r = run(50, { cycles: 3 });
    expect(r.dwPerCycle.length).toBe(3);
    for (const d of r.dwPerCycle) expect(d).toBeCloseTo(run(50).dw, 6);
  });

  it('the random-sign sawtooth gives the contrastive update in each cycle\'s direction', () => {
    const r = run(50, { protocol: 'random-sign', cycles: 6, seed: 11 });
    r.dwPerCycle.forEach((d, i) => expect(Math.sign(d)).toBe(r.signs[i]));
    expect(r.dwPerAmplitude).toBeGreaterThan(0.9);
  });
});

describe('other kernels and nonlinearities learn the same way', () => {
  for (const kernel of [minimalKernel(0.05), firSynapseKernel(0.05)]) {
    it(`${kernel.kind}: window at A = 50, nothing at A = 5, cancellation at A = 150`, () => {
      expect(run(50, { kernel }).dwPerAmplitude).toBeGreaterThan(0.9);
      expect(Math.abs(run(5, { kernel }).dwPerAmplitude)).toBeLessThan(0.01);
      expect(Math.abs(run(150, { kernel }).dwPerAmplitude)).toBeLessThan(0.05);
      expect(run(50, { kernel, protocol: 'reversed' }).dwPerAmplitude).toBeLessThan(-0.9);
    });
  }

  it('minimal loop: ODE and convolution agree to < 1%', () => {
    const k = minimalKernel(0.05, 0.7);
    const ode = run(50, { kernel: k }).dw;
    const conv = run(50, { kernel: k, method: 'convolution' }).dw;
    expect(Math.abs(ode - conv) / Math.abs(ode)).toBeLessThan(0.01);
  });

  it('the smooth dead zone learns too (Δw/A at A = 50 > 0.85)', () => {
    expect(run(50, { g: { name: 'smooth', theta: THETA } }).dwPerAmplitude).toBeGreaterThan(0.85);
  });
});
