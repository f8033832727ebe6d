/**
 * A synapse set-up in the paper's knobs (kernel, tau_K, tau_f, tau_s, theta, A, s_f, g) and the
 * experiments run on it: one synapse in time, a sweep over amplitudes (the learning window), and a
 * sweep of a kernel knob (tau_f/tau_K, or the minimal loop's damping) with the learning window and,
 * for the minimal loop, the dissipation of its feedback at each point.
 */
import { batchCycleUpdate, type BatchConfig } from './batch.ts';
import { feedbackDissipation, type FeedbackDissipation } from './dissipation.ts';
import { ecoliKernel, firSynapseKernel, minimalKernel, type Kernel, type KernelName } from './kernels.ts';
import type { NonlinearityName } from './nonlinearity.ts';
import { makeProtocol, rampDurations, type ProtocolName, type SignalProtocolName } from './protocols.ts';
import { simulateSynapse, type SimulationOptions, type SimulationResult } from './simulate.ts';
import { learningWindow, type LearningWindow } from './window.ts';

export interface SynapseSetup {
  kernel: KernelName;
  /** Kernel memory time (E. coli 1/B; minimal loop natural time; FIR tap spacing). */
  tauK: number;
  /** Minimal loop damping ratio zeta (1 = critical). */
  damping: number;
  /** E. coli offset gain I. */
  offsetGain: number;
  protocol: SignalProtocolName;
  tauFast: number;
  tauSlow: number;
  amplitude: number;
  baseline: number;
  g: NonlinearityName;
  theta: number;
  sharpness?: number;
  alpha: number;
}

/** DESIGN.md §3's reference synapse: E. coli kernel, tau_K 0.05, sawtooth 1/9, theta 100/9, A 50. */
export const REFERENCE_SETUP: SynapseSetup = {
  kernel: 'ecoli',
  tauK: 0.05,
  damping: 1,
  offsetGain: 0,
  protocol: 'sawtooth',
  tauFast: 1,
  tauSlow: 9,
  amplitude: 50,
  baseline: 0,
  g: 'deadzone',
  theta: 100 / 9,
  alpha: 1,
};

export function setupKernel(s: SynapseSetup): Kernel {
  if (s.kernel === 'ecoli') return ecoliKernel(s.tauK, s.offsetGain);
  if (s.kernel === 'minimal') return minimalKernel(s.tauK, s.damping);
  return firSynapseKernel(s.tauK);
}

/** Cycle length of the set-up's protocol. */
export function setupPeriod(s: SynapseSetup): number {
  const d = rampDurations(s.protocol, s.tauFast, s.tauSlow);
  return d.up + d.down;
}

export interface SynapseRun extends SimulationResult {
  /** Minimal loop only: housekeeping dissipation of the feedback loop. */
  dissipation?: FeedbackDissipation;
}

/** One synapse in time (see simulateSynapse). */
export function runSynapse(s: SynapseSetup, opts: SimulationOptions & { seed?: number } = {}): SynapseRun {
  const kernel = setupKernel(s);
  const protocol = makeProtocol(s.protocol, { tauFast: s.tauFast, tauSlow: s.tauSlow, amplitude: s.amplitude, baseline: s.baseline, seed: opts.seed });
  const r: SynapseRun = simulateSynapse({ kernel, g: { name: s.g, theta: s.theta, sharpness: s.sharpness }, alpha: s.alpha }, protocol, opts);
  if (kernel.kind === 'minimal') r.dissipation = feedbackDissipation(kernel, protocol.period);
  return r;
}

export type SweepKey = 'amplitude' | 'tau-fast-over-tau-k' | 'damping';
export const SWEEP_KEYS: readonly SweepKey[] = ['amplitude', 'tau-fast-over-tau-k', 'damping'];

export interface SweepRange {
  lo: number;
  hi: number;
  n: number;
  /** Geometric spacing. */
  log: boolean;
}

/** The n values of a range (lo and hi included). */
export function sweepValues(r: SweepRange): number[] {
  if (r.n === 1) return [r.lo];
  return Array.from({ length: r.n }, (_, i) => (r.log ? r.lo * Math.pow(r.hi / r.lo, i / (r.n - 1)) : r.lo + ((r.hi - r.lo) * i) / (r.n - 1)));
}

function batchConfig(s: SynapseSetup, dt: number | undefined): BatchConfig {
  if (s.protocol === 'random-sign' || s.protocol === 'centered') throw new RangeError(`sweeps use periodic protocols (sawtooth, reversed, triangle), not ${s.protocol}`);
  return { kernel: s.kernel, damping: s.damping, protocol: s.protocol as ProtocolName, g: s.g, sharpness: s.sharpness, alpha: s.alpha, dt };
}

/**
 * The ideal dead zone's learning window (no kernel transients): amplitudes θ·τ_fast ≤ A < θ·τ_slow
 * of the protocol's actual ramps, and the sign of the update there (+1 when the up ramp is the
 * fast one, as in the sawtooth; −1 for the reversed sawtooth).
 */
export function idealWindow(s: Pick<SynapseSetup, 'protocol' | 'tauFast' | 'tauSlow' | 'theta'>): { aMin: number; aMax: number; sign: number } {
  const d = rampDurations(s.protocol, s.tauFast, s.tauSlow);
  // The centered protocol swings 2A (s_f − A … s_f + A): its window in A is half the sawtooth's.
  const swing = s.protocol === 'centered' ? 2 : 1;
  return { aMin: (s.theta * Math.min(d.up, d.down)) / swing, aMax: (s.theta * Math.max(d.up, d.down)) / swing, sign: d.up <= d.down ? 1 : -1 };
}

/** +1 when the up ramp is the fast one (sawtooth), -1 when it is the slow one (reversed): the sign of the contrastive update. */
export function updateSign(s: SynapseSetup): number {
  return idealWindow(s).sign;
}

export interface AmplitudeSweep {
  amplitudes: number[];
  dw: number[];
  dwPerAmplitude: number[];
  window: LearningWindow;
  stepsPerCycle: number;
  seconds: number;
}

/** Δw/A over amplitudes for one set-up (periodic steady state, batched). */
export function amplitudeSweep(s: SynapseSetup, amplitudes: number[], opts: { dt?: number; level?: number } = {}): AmplitudeSweep {
  const t0 = performance.now();
  const r = batchCycleUpdate(
    { amplitude: amplitudes, tauFast: [s.tauFast], tauSlow: [s.tauSlow], tauK: [s.tauK], theta: [s.theta], baseline: [s.baseline], offsetGain: [s.offsetGain] },
    batchConfig(s, opts.dt),
  );
  const dwPerAmplitude = Array.from(r.dwPerAmplitude);
  return {
    amplitudes,
    dw: Array.from(r.dw),
    dwPerAmplitude,
    window: learningWindow(amplitudes, dwPerAmplitude.map((v) => v * updateSign(s)), opts.level ?? 0.5),
    stepsPerCycle: r.stepsPerCycle,
    seconds: (performance.now() - t0) / 1000,
  };
}

export interface ParameterSweepRow {
  /** The swept value (tau_f/tau_K, or the damping ratio). */
  value: number;
  tauK: number;
  damping: number;
  /** Δw/A at the set-up's amplitude. */
  dwPerAmplitude: number;
  window: LearningWindow;
  /** Minimal loop only: feedback dissipation per cycle (k_B T) and power (k_B T per time unit). */
  dissipationPerCycle?: number;
  dissipationPower?: number;
  /** Δw/A over the sweep's amplitudes. */
  curve: number[];
}

export interface ParameterSweep {
  key: Exclude<SweepKey, 'amplitude'>;
  amplitudes: number[];
  rows: ParameterSweepRow[];
  /** Synapses simulated (values x (amplitudes + 1), plus the edge refinements). */
  points: number;
  seconds: number;
}

/**
 * Sweeps tau_f/tau_K (tau_f, tau_s fixed, tau_K = tau_f / value) or the minimal loop's damping;
 * at each value, Δw/A over `amplitudes` and at the set-up's amplitude, and the learning window
 * (its edges refined with 16 extra amplitudes in each bracketing interval).
 */
export function parameterSweep(s: SynapseSetup, key: Exclude<SweepKey, 'amplitude'>, values: number[], amplitudes: number[], opts: { dt?: number; level?: number } = {}): ParameterSweep {
  if (key === 'damping' && s.kernel !== 'minimal') throw new RangeError('the damping sweep needs the minimal kernel');
  const t0 = performance.now();
  const rows: ParameterSweepRow[] = [];
  let points = 0;
  const period = setupPeriod(s);
  for (const value of values) {
    const setup: SynapseSetup = key === 'damping' ? { ...s, damping: value } : { ...s, tauK: s.tauFast / value };
    const amps = [...amplitudes, s.amplitude];
    const r = batchCycleUpdate(
      { amplitude: amps, tauFast: [setup.tauFast], tauSlow: [setup.tauSlow], tauK: [setup.tauK], theta: [setup.theta], baseline: [setup.baseline], offsetGain: [setup.offsetGain] },
      batchConfig(setup, opts.dt),
    );
    points += amps.length;
    const curve = Array.from(r.dwPerAmplitude.subarray(0, amplitudes.length));
    const level = opts.level ?? 0.5;
    // Refine the window's edges: 16 more amplitudes inside each interval where Δw/A crosses the level.
    const sign = updateSign(setup);
    const coarse = learningWindow(amplitudes, curve.map((v) => v * sign), level);
    const extra: number[] = [];
    for (const edge of [coarse.aMin, coarse.aMax]) {
      if (edge === null) continue;
      const i = amplitudes.findIndex((a) => a >= edge);
      const lo = amplitudes[Math.max(0, i - 1)]!;
      const hi = amplitudes[Math.max(0, i)]!;
      for (let j = 1; j <= 16 && hi > lo; j++) extra.push(lo + ((hi - lo) * j) / 17);
    }
    let window = coarse;
    if (extra.length) {
      const e = batchCycleUpdate(
        { amplitude: extra, tauFast: [setup.tauFast], tauSlow: [setup.tauSlow], tauK: [setup.tauK], theta: [setup.theta], baseline: [setup.baseline], offsetGain: [setup.offsetGain] },
        batchConfig(setup, opts.dt),
      );
      points += extra.length;
      const merged = [...amplitudes.map((a, i) => [a, sign * curve[i]!]), ...extra.map((a, i) => [a, sign * e.dwPerAmplitude[i]!])].sort((x, y) => x[0]! - y[0]!);
      window = learningWindow(
        merged.map((x) => x[0]!),
        merged.map((x) => x[1]!),
        level,
      );
    }
    const row: ParameterSweepRow = {
      value,
      tauK: setup.tauK,
      damping: setup.damping,
      dwPerAmplitude: r.dwPerAmplitude[amplitudes.length]!,
      window,
      curve,
    };
    const k = setupKernel(setup);
    if (k.kind === 'minimal') {
      const d = feedbackDissipation(k, period);
      row.dissipationPerCycle = d.perCycle;
      row.dissipationPower = d.power;
    }
    rows.push(row);
  }
  return { key, amplitudes, rows, points, seconds: (performance.now() - t0) / 1000 };
}

/** Which regime an amplitude is in for the ideal dead zone (ramp rates A/tau against theta). */
export function regime(s: SynapseSetup): 'below' | 'window' | 'above' {
  const w = idealWindow(s);
  if (Math.abs(s.amplitude) < w.aMin) return 'below';
  if (Math.abs(s.amplitude) >= w.aMax) return 'above';
  return 'window';
}
