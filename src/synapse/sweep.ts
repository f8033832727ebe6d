/**
 * A synapse set-up in the paper's knobs (kernel, tau_K, tau_f, tau_s, theta, A, s_f, g) and the
 * experiments run on it: one synapse in time, a sweep over amplitudes (the learning window), and a
 * sweep of a kernel knob (tau_f/tau_K, or the minimal loop's damping) with the learning window and,
 * for the minimal loop, the dissipation of its feedback at each point.
 */
import { batchCycleUpdate, type BatchConfig } from './batch.ts';
import { feedbackDissipation, type FeedbackDissipation } from './dissipation.ts';
import { ecoliKernel, firSynapseKernel, minimalKernel, type Kernel, type KernelName } from './kernels.ts';
import { esaKernel, ESA_LIGAND, ESA_SWITCH_RATE, type EsaKernel } from './markov.ts';
import { kernelSums, periodicDeadZoneUpdate, periodicResponse, periodicUpdate, sampleKernel, sortResponse, PERIODIC_DT, type PeriodicResponse } from './periodic.ts';
import { esaKernelSums } from './simulate.ts';
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
  /** esa kernel: gamma (1 = detailed balance), switching rate R, ligand step (µM) of its step response. */
  gamma?: number;
  switchRate?: number;
  ligand?: number;
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

const esaCache = new Map<string, EsaKernel>();
/** The esa kernel of a set-up (default gamma 0.01), computed once per (gamma, R, ligand). */
export function setupEsaKernel(s: Pick<SynapseSetup, 'gamma' | 'switchRate' | 'ligand'>): EsaKernel {
  const key = `${s.gamma ?? 0.01}/${s.switchRate ?? ESA_SWITCH_RATE}/${s.ligand ?? ESA_LIGAND}`;
  let k = esaCache.get(key);
  if (!k) {
    k = esaKernel({ gamma: s.gamma ?? 0.01, switchRate: s.switchRate, ligand: s.ligand });
    if (esaCache.size > 64) esaCache.clear();
    esaCache.set(key, k);
  }
  return k;
}

export function setupKernel(s: SynapseSetup): Kernel {
  if (s.kernel === 'ecoli') return ecoliKernel(s.tauK, s.offsetGain);
  if (s.kernel === 'esa') return setupEsaKernel(s);
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
  /** esa kernel only: the chain's entropy production σ at rest (k_B per chain time unit), the kernel's area and first moment. */
  markov?: { entropyProduction: number; area: number; firstMoment: number };
}

/** How one synapse's u is computed: stepped in time (simulateSynapse's methods), or §3b's periodic steady state. */
export type SynapseSolver = SimulationOptions['method'] | 'periodic';

/**
 * One synapse: in time after adaptation (simulateSynapse; 'ode' or 'convolution'), or with
 * `method: 'periodic'` in the periodic steady state of §3b's period-based protocol (circular
 * convolution over one period on a grid of `dt`, default 1e-4; the signal spans s_f … s_f + A,
 * i.e. <s> = s_f + A/2).
 */
export function runSynapse(s: SynapseSetup, opts: Omit<SimulationOptions, 'method'> & { method?: SynapseSolver; seed?: number } = {}): SynapseRun {
  const kernel = setupKernel(s);
  const protocol = makeProtocol(s.protocol, { tauFast: s.tauFast, tauSlow: s.tauSlow, amplitude: s.amplitude, baseline: s.baseline, seed: opts.seed });
  const g = { name: s.g, theta: s.theta, sharpness: s.sharpness };
  const r: SynapseRun =
    opts.method === 'periodic'
      ? periodicRun(s, kernel, opts.dt ?? PERIODIC_DT)
      : simulateSynapse({ kernel, g, alpha: s.alpha }, protocol, { ...opts, method: opts.method ?? (kernel.kind === 'esa' ? 'convolution' : 'ode') });
  if (kernel.kind === 'minimal') r.dissipation = feedbackDissipation(kernel, protocol.period);
  if (kernel.kind === 'esa') r.markov = { entropyProduction: kernel.dissipation, area: kernel.area, firstMoment: kernel.firstMoment };
  return r;
}

/** The kernel's periodic response to the set-up's protocol shape (rise = up ramp, fall = down ramp). */
function setupResponse(s: SynapseSetup, kernel: Kernel, dt: number): PeriodicResponse {
  if (kernel.kind === 'fir') throw new RangeError('the period-based protocol takes the ecoli, minimal or esa kernel, not fir');
  if (s.protocol === 'random-sign') throw new RangeError('the period-based protocol needs a periodic protocol (sawtooth, reversed, triangle), not random-sign');
  const sums = kernel.kind === 'esa' ? esaKernelSums(kernel) : kernelSums(sampleKernel(kernel, dt));
  const d = rampDurations(s.protocol, s.tauFast, s.tauSlow);
  return periodicResponse(sums, { t1: d.up, t2: d.down }, dt);
}

function periodicRun(s: SynapseSetup, kernel: Kernel, dt: number): SynapseRun {
  const resp = setupResponse(s, kernel, dt);
  const A = s.amplitude;
  // s = s_f + A (q + 1/2): u = S0 s_f + A (v + S0/2); for A < 0 the same with -A and -(q + 1/2).
  const c = resp.area * s.baseline;
  const g = { name: s.g, theta: s.theta, sharpness: s.sharpness };
  const dw = s.alpha * periodicUpdate(resp, A, s.baseline + A / 2, g);
  let uMin = Infinity;
  let uMax = -Infinity;
  let up = 0;
  let upPass = 0;
  let downPass = 0;
  for (let n = 0; n < resp.n; n++) {
    const u = c + A * (resp.v[n]! + resp.area / 2);
    uMin = Math.min(uMin, u);
    uMax = Math.max(uMax, u);
    const pass = s.g === 'linear' || Math.abs(u) >= s.theta ? 1 : 0;
    if (n * resp.h < resp.shape.t1) {
      up++;
      upPass += pass;
    } else downPass += pass;
  }
  const down = resp.n - up;
  return { dw, dwPerAmplitude: A !== 0 ? dw / A : 0, dwPerCycle: [dw], signs: [1], uMin, uMax, passUp: up ? upPass / up : 0, passDown: down ? downPass / down : 0, dt: resp.h, stepsPerCycle: resp.n };
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
  if (s.kernel === 'esa') return periodicAmplitudeSweep(s, amplitudes, opts, t0);
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

/** An amplitude sweep on the period-based protocol (the esa kernel's sweeps): one response, every amplitude. */
function periodicAmplitudeSweep(s: SynapseSetup, amplitudes: number[], opts: { dt?: number; level?: number }, t0: number): AmplitudeSweep {
  if (s.g === 'smooth') throw new RangeError('sweeps of the esa kernel take --g deadzone or linear');
  const kernel = setupKernel(s);
  const resp = setupResponse(s, kernel, kernel.kind === 'esa' ? kernel.dt : (opts.dt ?? PERIODIC_DT));
  const sorted = sortResponse(resp);
  const theta = s.g === 'linear' ? 0 : s.theta;
  const dw = amplitudes.map((A) => {
    if (A < 0) throw new RangeError(`the period-based protocol takes amplitudes >= 0, got ${A}`);
    return s.alpha * periodicDeadZoneUpdate(sorted, A, s.baseline + A / 2, theta);
  });
  const dwPerAmplitude = dw.map((v, i) => (amplitudes[i] !== 0 ? v / amplitudes[i]! : 0));
  return {
    amplitudes,
    dw,
    dwPerAmplitude,
    window: learningWindow(amplitudes, dwPerAmplitude.map((v) => v * updateSign(s)), opts.level ?? 0.5),
    stepsPerCycle: resp.n,
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
  if (s.kernel === 'esa') throw new RangeError('the esa kernel has no tau_K or damping to sweep: sweep its gamma with the dissipation figure');
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
