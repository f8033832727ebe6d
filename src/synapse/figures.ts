/**
 * The paper's single-synapse figures, computed as DESIGN.md §3b describes (read from the authors'
 * atstrupp/ContrastiveMemory-SynapseAnalysis: kernel.py, network.py, Plots.py), each on the
 * period-based protocol of `periodic.ts`:
 *
 * - `learningRangeFigure` (Fig. 4C): ln(A_max/A_min) against ln(t2/t1), E. coli kernel, I = 0;
 * - `offsetFigure` (Fig. 5C): the update's offset from a leaky kernel (I = 0.05) and a background
 *   signal <s> = 25, against t1/tau_K;
 * - `dissipationFigure` (Fig. 6B): ln|offset/<s>| of Markov-ladder kernels against their entropy
 *   production σ, over gamma;
 * - `timescaleFigure` (Fig. 8): Δw/A against t1/tau_K.
 *
 * Each figure is a grid of (kernel, sawtooth) points; at each, one periodic response v serves all
 * amplitudes (u = S0 <s> + A v), so a figure costs one O(N) pass and one sort per point.
 */
import { ecoliKernel } from './kernels.ts';
import { esaKernel, ESA_LIGAND, ESA_SWITCH_RATE } from './markov.ts';
import { fitLine, fitThreePieces } from './fit.ts';
import { kernelSums, periodicDeadZoneUpdate, periodicResponse, sampleKernel, sortResponse, PERIODIC_DT, type KernelSums } from './periodic.ts';

export type FigureName = 'learning-range' | 'offset' | 'dissipation' | 'timescale';
export const FIGURE_NAMES: readonly FigureName[] = ['learning-range', 'offset', 'dissipation', 'timescale'];

/** Called after each grid point with (done, total). */
export type FigureProgress = (done: number, total: number) => void;

interface Common {
  /** Grid step of kernel and signal (default 1e-4, as the paper). */
  dt?: number;
  onProgress?: FigureProgress;
}

/** Δw/A_max at each amplitude of `amplitudes` for one kernel and one sawtooth. */
function responseCurve(sums: KernelSums, t1: number, t2: number, mean: number, theta: number, amplitudes: Float64Array, aMax: number, dt: number): Float64Array {
  const sorted = sortResponse(periodicResponse(sums, { t1, t2 }, dt));
  return amplitudes.map((A) => periodicDeadZoneUpdate(sorted, A, mean, theta) / aMax);
}

/** n amplitudes lo, lo + (hi − lo)/n, … (hi excluded), as numpy's linspace(…, endpoint=False). */
function openGrid(lo: number, hi: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / n);
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => (a.length > 1 ? Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / (a.length - 1)) : 0);

// ---------------------------------------------------------------------------------------------
// Fig. 4C and Fig. 5C: three-piece fits of Δw/A_max against A/A_max.

export interface RangeOptions extends Common {
  /** E. coli memory time (default 0.05). */
  tauK?: number;
  /** Kernel area I (4C: 0; 5C: 0.05). */
  offsetGain?: number;
  /** Background <s> (4C: 0; 5C: 25). */
  mean?: number;
  /** A_max; theta = A_max / t2 (default 100). */
  aMax?: number;
  /** Rise times t1 (time units). */
  t1s?: number[];
  /** 4C: values of ln(t2/t1); 5C: ignored when t2s is given. */
  logRatios?: number[];
  /** 5C: fall times t2. */
  t2s?: number[];
  /** Points with t2 above this are left out (the paper's t2 <= 49.8). Default 50. */
  t2Max?: number;
  /** 5C: the headline intercepts average over t2 >= this (default 30: where the offset no longer depends on t2). */
  headlineT2Min?: number;
  /** Amplitudes in [0, 0.75 A_max) (default 400, as the paper's 4 A_max). */
  amplitudes?: number;
}

export interface RangeRow {
  t1: number;
  t2: number;
  t1OverTauK: number;
  lnT2OverT1: number;
  /** Start of the third piece (the paper's A_min/A_max; 1 when that piece's slope is not in (0.75, 1.25)). */
  aMinOverAMax: number;
  /** ln(A_max/A_min). */
  lnRange: number;
  /** Slope and intercept of the third piece. */
  slope: number;
  intercept: number;
}

function rangeRows(o: RangeOptions, pairs: [number, number][]): { rows: RangeRow[]; amplitudes: number; dt: number } {
  const tauK = o.tauK ?? 0.05;
  const I = o.offsetGain ?? 0;
  const dt = o.dt ?? PERIODIC_DT;
  const aMax = o.aMax ?? 100;
  const nA = o.amplitudes ?? 400;
  const sums = kernelSums(sampleKernel(ecoliKernel(tauK, I), dt, Math.max(1, 40 * tauK)));
  const amps = openGrid(0, 0.75 * aMax, nA);
  const x = amps.map((a) => a / aMax);
  const rows: RangeRow[] = [];
  pairs.forEach(([t1, t2], k) => {
    const y = responseCurve(sums, t1, t2, o.mean ?? 0, aMax / t2, amps, aMax, dt);
    const fit = fitThreePieces(x, y);
    const slope = fit.slopes[2];
    const aMinOverAMax = slope > 0.75 && slope < 1.25 ? fit.breaks[2] : 1;
    rows.push({ t1, t2, t1OverTauK: t1 / tauK, lnT2OverT1: Math.log(t2 / t1), aMinOverAMax, lnRange: Math.log(1 / aMinOverAMax), slope, intercept: fit.intercepts[2] });
    o.onProgress?.(k + 1, pairs.length);
  });
  return { rows, amplitudes: nA, dt };
}

export interface LearningRangeFigure {
  figure: 'learning-range';
  rows: RangeRow[];
  /** Points with t1/tau_K >= 20: mean ± sd of ln(A_max/A_min) − ln(t2/t1) (0 = on the diagonal), n. */
  onDiagonal: { mean: number; sd: number; n: number };
  /** Largest ln(A_max/A_min) reached at each t1/tau_K (saturation for small t1/tau_K). */
  saturation: { t1OverTauK: number; maxLnRange: number }[];
  settings: { tauK: number; aMax: number; amplitudes: number; dt: number };
  seconds: number;
}

/**
 * Fig. 4C: the learning range ln(A_max/A_min) against the ideal ln(t2/t1), E. coli kernel with
 * I = 0, <s> = 0, A_max = 100, theta = A_max/t2.
 */
export function learningRangeFigure(o: RangeOptions = {}): LearningRangeFigure {
  const t0 = performance.now();
  const tauK = o.tauK ?? 0.05;
  const t1s = o.t1s ?? [0.1, 0.2, 0.4, 1, 2, 4.9];
  const ratios = o.logRatios ?? [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5];
  const t2Max = o.t2Max ?? 50;
  const pairs: [number, number][] = [];
  for (const t1 of t1s) for (const r of ratios) if (t1 * Math.exp(r) <= t2Max) pairs.push([t1, t1 * Math.exp(r)]);
  const { rows, amplitudes, dt } = rangeRows({ ...o, offsetGain: 0, mean: 0 }, pairs);
  const diag = rows.filter((r) => r.t1OverTauK >= 20).map((r) => r.lnRange - r.lnT2OverT1);
  const saturation = t1s.map((t1) => ({ t1OverTauK: t1 / tauK, maxLnRange: Math.max(...rows.filter((r) => r.t1 === t1).map((r) => r.lnRange)) }));
  return {
    figure: 'learning-range',
    rows,
    onDiagonal: { mean: mean(diag), sd: sd(diag), n: diag.length },
    saturation,
    settings: { tauK, aMax: o.aMax ?? 100, amplitudes, dt },
    seconds: (performance.now() - t0) / 1000,
  };
}

export interface OffsetFigure {
  figure: 'offset';
  rows: RangeRow[];
  /** Per t1: the intercept (mean ± sd over the t2 >= headlineT2Min, n of them) and the estimate I <s> t1 / A_max. */
  intercepts: { t1: number; t1OverTauK: number; mean: number; sd: number; n: number; predicted: number }[];
  settings: { tauK: number; offsetGain: number; mean: number; aMax: number; t2s: number[]; headlineT2Min: number; amplitudes: number; dt: number };
  seconds: number;
}

/**
 * Fig. 5C: the offset of the update (the third piece's intercept) from a leaky E. coli kernel
 * (I = 0.05) and a background <s> = 25, against t1/tau_K, for several t2; ≈ I <s> t1 / A_max.
 */
export function offsetFigure(o: RangeOptions = {}): OffsetFigure {
  const t0 = performance.now();
  const tauK = o.tauK ?? 0.05;
  const I = o.offsetGain ?? 0.05;
  const s = o.mean ?? 25;
  const aMax = o.aMax ?? 100;
  const t1s = o.t1s ?? [0.2, 0.5, 1, 2, 3, 4.8];
  const t2s = o.t2s ?? [10, 20, 30, 40, 50];
  const t2Min = o.headlineT2Min ?? 30;
  const pairs: [number, number][] = [];
  for (const t1 of t1s) for (const t2 of t2s) pairs.push([t1, t2]);
  const { rows, amplitudes, dt } = rangeRows({ ...o, offsetGain: I, mean: s, aMax }, pairs);
  const intercepts = t1s.map((t1) => {
    // The paper keeps intercepts in (0, 0.5] (Plots.py): others are failed fits.
    const v = rows.filter((r) => r.t1 === t1 && r.t2 >= t2Min && r.intercept > 0 && r.intercept <= 0.5).map((r) => r.intercept);
    return { t1, t1OverTauK: t1 / tauK, mean: v.length ? mean(v) : NaN, sd: sd(v), n: v.length, predicted: (I * s * t1) / aMax };
  });
  return { figure: 'offset', rows, intercepts, settings: { tauK, offsetGain: I, mean: s, aMax, t2s, headlineT2Min: t2Min, amplitudes, dt }, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Fig. 6B: offset against dissipation for Markov-ladder kernels.

export interface DissipationOptions extends Common {
  gammas?: number[];
  switchRate?: number;
  ligand?: number;
  /** Sawtooth (default t1 = 3, t2 = 15), background <s> = 10, A_max = 50. */
  t1?: number;
  t2?: number;
  mean?: number;
  aMax?: number;
  /** Amplitudes in [0, 1.25 A_max) (default 500). */
  amplitudes?: number;
}

export interface DissipationRow {
  gamma: number;
  /** σ of the s = 0 steady state (k_B per chain time unit). */
  dissipation: number;
  /** ∫K of the normalised kernel (what is left of imperfect adaptation). */
  area: number;
  theta: number;
  /** First A/A_max with Δw/A_max > 0.05 (1 if none below A_max). */
  aMinOverAMax: number;
  slope: number;
  /** Intercept of the line fitted to Δw/A_max vs A/A_max from A_min up to A_max. */
  offset: number;
  /** ln|offset / <s>|. */
  lnOffset: number;
}

export interface DissipationFigure {
  figure: 'dissipation';
  rows: DissipationRow[];
  /**
   * ln|offset/<s>| never rises by more than `tolerance` as σ grows (rows sorted by σ); `maxRise` is
   * the largest rise seen. On the plateau the fit's first amplitude moves by one sample between
   * neighbouring gammas, which moves ln|offset/<s>| by ~0.01: that is the resolution, not a trend.
   */
  monotone: boolean;
  maxRise: number;
  tolerance: number;
  /** Slope d ln|offset/<s>| / dσ between the two least and the two most dissipative kernels: levelled off when the last is a small fraction of the first. */
  initialSlope: number;
  finalSlope: number;
  settings: { switchRate: number; ligand: number; t1: number; t2: number; mean: number; aMax: number; amplitudes: number; dt: number };
  seconds: number;
}

/** The γ grid of the dissipation figure: the paper's four reference values among a log grid. */
export const DISSIPATION_GAMMAS = [0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.005, 0.003, 0.002, 0.001, 5e-4, 2e-4, 1e-4, 3e-5, 1e-5, 1e-6];

/**
 * Fig. 6B: for each gamma, the ESA kernel (step to 200 µM, followed 5 chain time units, time /5),
 * its σ, and the offset of Δw/A_max against A/A_max on a sawtooth t1 = 3, t2 = 15, <s> = 10,
 * A_max = 50, theta = |−A_max/t2 + area (<s> + A_max/2)|.
 */
export function dissipationFigure(o: DissipationOptions = {}): DissipationFigure {
  const t0 = performance.now();
  const gammas = o.gammas ?? DISSIPATION_GAMMAS;
  const switchRate = o.switchRate ?? ESA_SWITCH_RATE;
  const ligand = o.ligand ?? ESA_LIGAND;
  const t1 = o.t1 ?? 3;
  const t2 = o.t2 ?? 15;
  const s = o.mean ?? 10;
  const aMax = o.aMax ?? 50;
  const nA = o.amplitudes ?? 500;
  const amps = openGrid(0, 1.25 * aMax, nA);
  const x = amps.map((a) => a / aMax);
  const rows: DissipationRow[] = [];
  gammas.forEach((gamma, k) => {
    const kernel = esaKernel({ gamma, switchRate, ligand });
    const sums = kernelSums(sampleKernel(kernel));
    const theta = Math.abs(-aMax / t2 + sums.area * (s + aMax / 2));
    const y = responseCurve(sums, t1, t2, s, theta, amps, aMax, o.dt ?? kernel.dt);
    // Up to A = A_max (exclusive, the paper's first 4/5 of the samples); from the first Δw/A_max > 0.05.
    const end = amps.findIndex((a) => a >= aMax);
    let start = 0;
    for (let i = 0; i < end; i++)
      if (y[i]! > 0.05) {
        start = i;
        break;
      }
    const line = fitLine(x.subarray(start, end), y.subarray(start, end));
    rows.push({ gamma, dissipation: kernel.dissipation, area: sums.area, theta, aMinOverAMax: start ? x[start]! : 1, slope: line.slope, offset: line.intercept, lnOffset: Math.log(Math.abs(line.intercept / s)) });
    o.onProgress?.(k + 1, gammas.length);
  });
  rows.sort((a, b) => a.dissipation - b.dissipation);
  const tolerance = 0.02;
  const maxRise = Math.max(0, ...rows.slice(1).map((r, i) => r.lnOffset - rows[i]!.lnOffset));
  const monotone = maxRise <= tolerance;
  const slopeAt = (i: number) => (rows[i + 1]!.lnOffset - rows[i]!.lnOffset) / (rows[i + 1]!.dissipation - rows[i]!.dissipation);
  const initialSlope = rows.length > 1 ? slopeAt(0) : NaN;
  const finalSlope = rows.length > 1 ? slopeAt(rows.length - 2) : NaN;
  return { figure: 'dissipation', rows, monotone, maxRise, tolerance, initialSlope, finalSlope, settings: { switchRate, ligand, t1, t2, mean: s, aMax, amplitudes: nA, dt: o.dt ?? 1e-4 }, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Fig. 8: the update against the fast ramp's length in kernel times.

export interface TimescaleOptions extends Common {
  tauK?: number;
  /** Amplitude (around 0; default 20) and the period t2 (default 20: the rise t1 plus the fall t2 − t1, as Plots.py). */
  amplitude?: number;
  period?: number;
  /** Rise times (default 79 values from 0.01 to 8, as Plots.py). */
  t1s?: number[];
}

export interface TimescaleRow {
  t1: number;
  t1OverTauK: number;
  theta: number;
  dwPerAmplitude: number;
}

export interface TimescaleFigure {
  figure: 'timescale';
  rows: TimescaleRow[];
  settings: { tauK: number; amplitude: number; period: number; dt: number };
  seconds: number;
}

/**
 * Fig. 8: Δw/A against t1/tau_K, E. coli kernel with I = 0, a sawtooth of amplitude 20 around 0
 * rising in t1 and falling for the rest of a period of 20, theta = (A/period + A/t1)/2 — halfway
 * between the two ramps' ideal |u|.
 */
export function timescaleFigure(o: TimescaleOptions = {}): TimescaleFigure {
  const t0 = performance.now();
  const tauK = o.tauK ?? 0.05;
  const A = o.amplitude ?? 20;
  const P = o.period ?? 20;
  const dt = o.dt ?? PERIODIC_DT;
  const t1s = o.t1s ?? Array.from({ length: 79 }, (_, i) => 0.01 + ((8 - 0.01) * i) / 78);
  const sums = kernelSums(sampleKernel(ecoliKernel(tauK, 0), dt, Math.max(1, 40 * tauK)));
  const rows: TimescaleRow[] = [];
  t1s.forEach((t1, k) => {
    if (!(t1 > 0 && t1 < P)) throw new RangeError(`rise time t1 must be in (0, ${P}), got ${t1}`);
    const theta = (A / P + A / t1) / 2;
    const sorted = sortResponse(periodicResponse(sums, { t1, t2: P - t1 }, dt));
    rows.push({ t1, t1OverTauK: t1 / tauK, theta, dwPerAmplitude: periodicDeadZoneUpdate(sorted, A, 0, theta) / A });
    o.onProgress?.(k + 1, t1s.length);
  });
  return { figure: 'timescale', rows, settings: { tauK, amplitude: A, period: P, dt }, seconds: (performance.now() - t0) / 1000 };
}
