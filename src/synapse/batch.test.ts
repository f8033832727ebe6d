import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { batchCycleUpdate, type BatchConfig } from './batch.ts';
import { ecoliKernel, firSynapseKernel, minimalKernel, type Kernel } from './kernels.ts';
import { makeProtocol, type ProtocolName } from './protocols.ts';
import { simulateSynapse } from './simulate.ts';
import { amplitudeSweep, parameterSweep, REFERENCE_SETUP } from './sweep.ts';

const THETA = 100 / 9;

beforeAll(async () => {
  await initBackend();
});

const ref = { tauFast: [1], tauSlow: [9], tauK: [0.05], theta: [THETA] };
const cfg = (o: Partial<BatchConfig> = {}): BatchConfig => ({ kernel: 'ecoli', protocol: 'sawtooth', g: 'deadzone', ...o });

describe('batched synapses (closed-form periodic steady state, tfjs)', () => {
  it('reproduce DESIGN.md §3: A = 5 → 0, A = 50 → 0.95, A = 150 → |Δw|/A < 0.05', () => {
    const q = batchCycleUpdate({ amplitude: [5, 50, 150], ...ref }, cfg()).dwPerAmplitude;
    expect(Math.abs(q[0]!)).toBeLessThan(0.01);
    expect(q[1]).toBeGreaterThan(0.93);
    expect(q[1]).toBeLessThan(0.97);
    expect(Math.abs(q[2]!)).toBeLessThan(0.05);
  });

  it('linear g → 0, symmetric triangle → 0, reversed sawtooth → the sign flips', () => {
    const amps = [5, 50, 150];
    for (const v of batchCycleUpdate({ amplitude: amps, ...ref }, cfg({ g: 'linear' })).dwPerAmplitude) expect(Math.abs(v)).toBeLessThan(1e-3);
    for (const v of batchCycleUpdate({ amplitude: amps, ...ref, tauSlow: [1] }, cfg({ protocol: 'triangle' })).dwPerAmplitude) expect(Math.abs(v)).toBeLessThan(0.01);
    const saw = batchCycleUpdate({ amplitude: [50], ...ref }, cfg()).dw[0]!;
    const rev = batchCycleUpdate({ amplitude: [50], ...ref }, cfg({ protocol: 'reversed' })).dw[0]!;
    expect(Math.abs(rev / saw + 1)).toBeLessThan(0.01);
  });

  const cases: { name: string; tauK: number; kernel: Kernel; c: Partial<BatchConfig>; protocol: ProtocolName; baseline: number }[] = [
    { name: 'ecoli I = 0.5, baseline 3', tauK: 0.1, kernel: ecoliKernel(0.1, 0.5), c: { kernel: 'ecoli' }, protocol: 'sawtooth', baseline: 3 },
    { name: 'minimal, zeta 0.4', tauK: 0.1, kernel: minimalKernel(0.1, 0.4), c: { kernel: 'minimal', damping: 0.4 }, protocol: 'sawtooth', baseline: 0 },
    { name: 'minimal, zeta 1, reversed', tauK: 0.2, kernel: minimalKernel(0.2, 1), c: { kernel: 'minimal', damping: 1 }, protocol: 'reversed', baseline: 0 },
    { name: 'minimal, zeta 2.5', tauK: 0.1, kernel: minimalKernel(0.1, 2.5), c: { kernel: 'minimal', damping: 2.5 }, protocol: 'sawtooth', baseline: 0 },
    { name: 'fir, taps 0.08 apart', tauK: 0.08, kernel: firSynapseKernel(0.08), c: { kernel: 'fir' }, protocol: 'sawtooth', baseline: 0 },
  ];
  for (const { name, tauK, kernel, c, protocol, baseline } of cases) {
    it(`agree with the single synapse stepped in time to 0.5% of A (${name})`, () => {
      const amps = [8, 20, 40, 70, 95, 120];
      const offsetGain = kernel.kind === 'ecoli' ? [kernel.offsetGain] : undefined;
      const b = batchCycleUpdate({ amplitude: amps, tauFast: [1], tauSlow: [9], tauK: [tauK], theta: [THETA], baseline: [baseline], offsetGain }, cfg({ ...c, protocol, dt: 0.001 }));
      amps.forEach((A, i) => {
        const p = makeProtocol(protocol, { tauFast: 1, tauSlow: 9, amplitude: A, baseline });
        const one = simulateSynapse({ kernel, g: { name: 'deadzone', theta: THETA } }, p, { dt: 0.001, adaptCycles: 2 });
        expect(Math.abs(b.dw[i]! - one.dw) / A).toBeLessThan(0.005);
      });
    });
  }

  // The sweep's speed (target < 10 s for 2,000 points) is measured by `tfjs-tcl bench`, not asserted here.
  it('a 2,000-point sweep leaks no tensors and finds the window', () => {
    const before = tf.memory().numTensors;
    const amps = Array.from({ length: 2000 }, (_, i) => 1 + (199 * i) / 1999);
    const r = amplitudeSweep(REFERENCE_SETUP, amps);
    expect(tf.memory().numTensors).toBe(before);
    // and it finds the window theta*tau_f .. theta*tau_s
    expect(r.window.aMin!).toBeCloseTo(THETA * 1, 0);
    expect(r.window.aMax!).toBeCloseTo(THETA * 9, 0);
  });

  it('the learning window shrinks from ≈ tau_s/tau_f toward 1 as tau_f approaches tau_K (2,000 points)', () => {
    const ratios = Array.from({ length: 20 }, (_, i) => Math.pow(100, 1 - i / 19)); // 100 … 1
    const amps = Array.from({ length: 99 }, (_, i) => 2.5 * Math.pow(80, i / 98)); // 2.5 … 200, log-spaced
    const r = parameterSweep(REFERENCE_SETUP, 'tau-fast-over-tau-k', ratios, amps);
    const w = r.rows.map((x) => x.window.ratio ?? 1);
    expect(Math.abs(w[0]! - 9) / 9).toBeLessThan(0.03); // tau_f = 100 tau_K: the ideal tau_s/tau_f
    for (let i = 1; i < w.length; i++) expect(w[i]!).toBeLessThanOrEqual(w[i - 1]! * 1.002);
    const near = r.rows.find((x) => x.value < 1.6)!; // tau_f ≈ 1.5 tau_K
    expect(near.window.ratio ?? 1).toBeLessThan(2);
    expect(r.rows[r.rows.length - 1]!.window.ratio ?? 1).toBeLessThan(1.2); // tau_f = tau_K: (almost) no window left
    // the update at A = 50 degrades with it
    expect(r.rows[0]!.dwPerAmplitude).toBeGreaterThan(0.98);
    expect(r.rows[r.rows.length - 1]!.dwPerAmplitude).toBeLessThan(0.5);
  });
});
