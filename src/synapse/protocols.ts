/**
 * Nudging protocols: how the signal a synapse sees moves between its free value s_f (the
 * baseline) and its clamped value s_c = s_f ± A over one cycle (DESIGN.md §3).
 *
 * - sawtooth: fast ramp up (tau_f), slow ramp down (tau_s) — TCL;
 * - reversed: slow up (tau_s), fast down (tau_f) — flips the sign of the update;
 * - triangle: both ramps (tau_f + tau_s)/2 — no net update;
 * - random-sign: the sawtooth with the direction of the excursion (±A) drawn per cycle, as
 *   the trainers draw the sign of beta per batch;
 * - centered: the sawtooth between s_f − A and s_f + A (fast up from the −β signal to the +β
 *   signal, slow back; the centered nudging of training/methods/tcl-cycle.ts seen by one
 *   synapse). Its contrastive update is the swing 2A: `amplitude` of the built protocol is 2A
 *   and its `baseline` s_f − A (where the cycle starts), so Δw/amplitude ≈ 1 in the window,
 *   like the trainers' division by 2β; the window in A is half the sawtooth's.
 *
 * The relative level r(t) ∈ [0, 1] is also the nudging strength beta(t)/beta_max.
 */
import { Rng } from '../rng.ts';

export type ProtocolName = 'sawtooth' | 'reversed' | 'triangle';
export const PROTOCOL_NAMES: readonly ProtocolName[] = ['sawtooth', 'reversed', 'triangle'];
export type SignalProtocolName = ProtocolName | 'random-sign' | 'centered';
export const SIGNAL_PROTOCOL_NAMES: readonly SignalProtocolName[] = [...PROTOCOL_NAMES, 'random-sign', 'centered'];

/**
 * The sample times in one nudging cycle (cycle length 1) and the relative beta level at each, for
 * the authors' MNIST pipeline: `levels` levels up, then the same levels back down (2*levels-1
 * samples; the last one, at t = 1, is the cycle's return to beta = 0).
 * sawtooth: up over fastFraction, down over the rest; reversed: slow up, fast down; triangle: 0.5/0.5.
 *
 *   cycleSamples('sawtooth', 9).times      // [0, 0.0125, …, 0.1, 0.2125, …, 1]
 */
export function cycleSamples(protocol: ProtocolName, levels: number, fastFraction = 0.1): { times: number[]; betaRel: number[] } {
  if (!Number.isInteger(levels) || levels < 2) throw new RangeError(`levels must be an integer >= 2, got ${levels}`);
  if (!(fastFraction > 0 && fastFraction < 1)) throw new RangeError(`fastFraction must be in (0, 1), got ${fastFraction}`);
  const up = protocol === 'sawtooth' ? fastFraction : protocol === 'reversed' ? 1 - fastFraction : 0.5;
  const n = levels - 1;
  const times: number[] = [];
  const betaRel: number[] = [];
  for (let i = 0; i <= n; i++) {
    times.push((up * i) / n);
    betaRel.push(i / n);
  }
  for (let k = 1; k <= n; k++) {
    times.push(up + ((1 - up) * k) / n);
    betaRel.push((n - k) / n);
  }
  return { times, betaRel };
}

export interface ProtocolOptions {
  /** Duration of the fast ramp (time units). */
  tauFast: number;
  /** Duration of the slow ramp (time units). */
  tauSlow: number;
  /** A = |s_c - s_f| (signal units). */
  amplitude: number;
  /** s_f, the free value the signal starts and ends each cycle at (signal units). */
  baseline?: number;
  /** Seed of the random-sign protocol's per-cycle signs. */
  seed?: number;
}

/** Durations of the up and down ramps of a periodic protocol. */
export function rampDurations(name: SignalProtocolName, tauFast: number, tauSlow: number): { up: number; down: number } {
  switch (name) {
    case 'sawtooth':
    case 'random-sign':
    case 'centered':
      return { up: tauFast, down: tauSlow };
    case 'reversed':
      return { up: tauSlow, down: tauFast };
    case 'triangle':
      return { up: (tauFast + tauSlow) / 2, down: (tauFast + tauSlow) / 2 };
  }
}

/** A slope change of the piecewise-linear signal. */
export interface Breakpoint {
  time: number;
  /** Right slope minus left slope (signal units per time unit). */
  slopeChange: number;
}

/** A protocol instantiated with its times and amplitude: s(t) for t >= 0, s_f before. */
export interface Protocol {
  name: SignalProtocolName;
  amplitude: number;
  baseline: number;
  rampUp: number;
  rampDown: number;
  period: number;
  /** +1 or -1: direction of cycle c's excursion. */
  sign(cycle: number): number;
  /** Relative level r ∈ [0, 1] (= beta/beta_max) at time t. */
  level(t: number): number;
  /** s(t). */
  signal(t: number): number;
  /** Right derivative ds/dt. */
  slope(t: number): number;
  /** s on any time grid. */
  sample(times: ArrayLike<number>): Float64Array;
  /** Slope changes at times in [t0, t1] (the first one at t = 0, where the drive starts). */
  breakpoints(t0: number, t1: number): Breakpoint[];
}

/** mulberry32 from raw state `seed` as a function (uniform in [0, 1)); the project's Rng (src/rng.ts). */
export function mulberry32(seed: number): () => number {
  const r = Rng.fromState(seed >>> 0);
  return () => r.next();
}

/**
 * Builds a protocol.
 *
 *   const p = makeProtocol('sawtooth', { tauFast: 1, tauSlow: 9, amplitude: 50 });
 *   p.signal(1)   // 50 (the clamped value, end of the fast ramp)
 */
export function makeProtocol(name: SignalProtocolName, opts: ProtocolOptions): Protocol {
  if (name === 'centered') {
    const a = opts.amplitude;
    return { ...makeProtocol('sawtooth', { ...opts, amplitude: 2 * a, baseline: (opts.baseline ?? 0) - a }), name };
  }
  const { tauFast, tauSlow, amplitude } = opts;
  if (!(tauFast > 0) || !(tauSlow > 0)) throw new RangeError(`ramp times must be > 0 (tauFast ${tauFast}, tauSlow ${tauSlow})`);
  const baseline = opts.baseline ?? 0;
  const { up, down } = rampDurations(name, tauFast, tauSlow);
  const period = up + down;
  const signs: number[] = [];
  const rand = mulberry32(opts.seed ?? 0);
  const sign = (c: number): number => {
    if (name !== 'random-sign' || c < 0) return 1;
    while (signs.length <= c) signs.push(rand() < 0.5 ? -1 : 1);
    return signs[c]!;
  };
  const phase = (t: number): { c: number; x: number } => {
    const c = Math.floor(t / period);
    return { c, x: t - c * period };
  };
  const level = (t: number): number => {
    if (t < 0) return 0;
    const { x } = phase(t);
    return x < up ? x / up : 1 - (x - up) / down;
  };
  const signal = (t: number): number => {
    if (t < 0) return baseline;
    return baseline + sign(phase(t).c) * amplitude * level(t);
  };
  const slope = (t: number): number => {
    if (t < 0) return 0;
    const { c, x } = phase(t);
    return sign(c) * amplitude * (x < up ? 1 / up : -1 / down);
  };
  return {
    name,
    amplitude,
    baseline,
    rampUp: up,
    rampDown: down,
    period,
    sign,
    level,
    signal,
    slope,
    sample(times) {
      const s = new Float64Array(times.length);
      for (let i = 0; i < times.length; i++) s[i] = signal(times[i]!);
      return s;
    },
    breakpoints(t0, t1) {
      const out: Breakpoint[] = [];
      const c0 = Math.max(0, Math.floor(t0 / period));
      for (let c = c0; c * period <= t1; c++) {
        const start = c * period;
        const prev = c === 0 ? 0 : -sign(c - 1) * amplitude / down;
        const cand: Breakpoint[] = [
          { time: start, slopeChange: sign(c) * amplitude / up - prev },
          { time: start + up, slopeChange: -sign(c) * amplitude * (1 / up + 1 / down) },
        ];
        for (const b of cand) if (b.time >= t0 && b.time <= t1) out.push(b);
      }
      return out;
    },
  };
}
