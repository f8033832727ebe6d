/**
 * Markov-ladder memory kernels: the E. coli energy-speed-accuracy (ESA) model of Lan et al. 2012
 * (Nat. Phys. 8, 422), as the paper's synapse analysis builds it (DESIGN.md §3b, Fig. 6B;
 * atstrupp/ContrastiveMemory-SynapseAnalysis, network.py).
 *
 * Ten states: methylation m = 0..4 times {active, inactive}; state index m (active) and 5 + m
 * (inactive). Rates (time units of the chain):
 *
 *     active   m -> m-1 : 1          m -> m+1 : e·gamma
 *     inactive m -> m+1 : 1          m -> m-1 : e·gamma
 *     active -> inactive : R exp(max(ΔE, 0)),  inactive -> active : R exp(max(-ΔE, 0))
 *     ΔE(s, m) = 2 (1 - m) + ln((1 + s/18.2) / (1 + s/3000))
 *
 * Around each of the four plaquettes the product of the rates one way over the other is gamma²:
 * detailed balance at gamma = 1, a driven cycle (ATP-fuelled methylation) below. That cycle is what
 * lets the chain adapt: after a ligand step, P(active) jumps and then relaxes back, so
 * K = -d/dt P(active) has (nearly) zero area, the better the smaller gamma — at the price of the
 * entropy production σ.
 */
import { expm, solve } from './statespace.ts';

/** Number of methylation levels (m = 0..4). */
export const ESA_LEVELS = 5;
/** Default switching rate R of the ladder (DESIGN.md §3b). */
export const ESA_SWITCH_RATE = 25;
/** Default ligand step of the kernel's step response (µM, DESIGN.md §3b). */
export const ESA_LIGAND = 200;

export interface EsaOptions {
  /** gamma in (0, 1]: 1 is detailed balance; smaller breaks it harder (more dissipation, better adaptation). */
  gamma: number;
  /** R, the rate scale of the active/inactive switching (default 25). */
  switchRate?: number;
}

/** ΔE(s, m): free-energy difference active minus inactive at ligand s (µM) and methylation m. */
export function esaEnergy(ligand: number, m: number): number {
  return 2 * (1 - m) + Math.log((1 + ligand / 18.2) / (1 + ligand / 3000));
}

function checkGamma(gamma: number, switchRate: number): void {
  if (!(gamma > 0 && gamma <= 1)) throw new RangeError(`gamma must be in (0, 1], got ${gamma}`);
  if (!(switchRate > 0) || !Number.isFinite(switchRate)) throw new RangeError(`switch rate R must be > 0, got ${switchRate}`);
}

/**
 * The 10 x 10 generator at ligand `s`: `W[i][j]` is the rate j -> i, the diagonal holds minus the
 * total escape rate, so columns sum to 0 and `dp/dt = W p`.
 *
 *   esaGenerator(0, { gamma: 1 })[0][1]   // 1: active m = 1 -> m = 0
 */
export function esaGenerator(ligand: number, opts: EsaOptions): number[][] {
  const R = opts.switchRate ?? ESA_SWITCH_RATE;
  checkGamma(opts.gamma, R);
  if (!(ligand >= 0)) throw new RangeError(`ligand must be >= 0, got ${ligand}`);
  const n = 2 * ESA_LEVELS;
  const W = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const back = Math.E * opts.gamma;
  for (let m = 0; m < ESA_LEVELS - 1; m++) {
    // active: m+1 -> m at 1, m -> m+1 at e·gamma; inactive: m -> m+1 at 1, m+1 -> m at e·gamma
    W[m]![m + 1] = 1;
    W[m + 1]![m] = back;
    W[ESA_LEVELS + m + 1]![ESA_LEVELS + m] = 1;
    W[ESA_LEVELS + m]![ESA_LEVELS + m + 1] = back;
  }
  for (let m = 0; m < ESA_LEVELS; m++) {
    const dE = esaEnergy(ligand, m);
    W[ESA_LEVELS + m]![m] = R * Math.exp(Math.max(dE, 0)); // active -> inactive
    W[m]![ESA_LEVELS + m] = R * Math.exp(Math.max(-dE, 0)); // inactive -> active
  }
  for (let j = 0; j < n; j++) {
    let out = 0;
    for (let i = 0; i < n; i++) if (i !== j) out += W[i]![j]!;
    W[j]![j] = -out;
  }
  return W;
}

/**
 * The stationary distribution of a generator (columns summing to 0): `W p = 0`, `sum p = 1`,
 * solved with one balance equation replaced by the normalisation.
 */
export function steadyState(W: number[][]): Float64Array {
  const n = W.length;
  const M = W.map((row) => row.slice());
  M[n - 1] = new Array<number>(n).fill(1);
  const r = new Array<number>(n).fill(0);
  r[n - 1] = 1;
  return Float64Array.from(solve(M, r));
}

/**
 * Schnakenberg entropy production of a Markov chain in the state p (default: its steady state),
 * `σ = Σ_{i<j} (J_ij − J_ji) ln(J_ij / J_ji)`, `J_ij = W_ij p_j` (k_B per time unit of the chain).
 * Zero exactly when every edge is balanced (detailed balance).
 *
 *   entropyProduction(esaGenerator(0, { gamma: 0.1 }))   // ≈ 1.76
 */
export function entropyProduction(W: number[][], p: ArrayLike<number> = steadyState(W)): number {
  let sigma = 0;
  for (let i = 0; i < W.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = W[i]![j]! * p[j]!;
      const b = W[j]![i]! * p[i]!;
      if (a > 0 && b > 0) sigma += (a - b) * Math.log(a / b);
      else if (a > 0 || b > 0) return Infinity; // a one-way edge
    }
  }
  return sigma;
}

export interface EsaKernelOptions extends EsaOptions {
  /** Ligand after the step (µM; default 200). The chain starts in its s = 0 steady state. */
  ligand?: number;
  /** How long P(active) is followed (chain time units; default 5). */
  duration?: number;
  /** Step of the chain's time (default 5e-4). */
  step?: number;
  /** Synapse time per chain time unit (default 1/5: 5 chain units become one time unit of the synapse). */
  timeScale?: number;
}

/** A sampled memory kernel of a Markov ladder (DESIGN.md §3b), ready for the synapse. */
export interface EsaKernel {
  kind: 'esa';
  gamma: number;
  switchRate: number;
  ligand: number;
  /** K on the bins [i·dt, (i+1)·dt) of synapse time, i = 0..n-1 (the exact bin mean of −dP/dt), normalised to |∫ t K dt| = 1. */
  samples: Float64Array;
  /** Sample spacing in synapse time units (step · timeScale; default 1e-4). */
  dt: number;
  /** ∫K dt (rectangle rule over the samples): the imperfect adaptation left at the end of the window. */
  area: number;
  /** ∫ t K dt: −1 while the chain adapts (small gamma); +1 when it no longer does (gamma near 1). */
  firstMoment: number;
  /** P(active) before the step and at the end of the window. */
  activeBefore: number;
  activeAfter: number;
  /** σ of the s = 0 steady state (k_B per chain time unit). */
  dissipation: number;
}

/**
 * The kernel of a Markov ladder from its step response: from the s = 0 steady state p0, step the
 * ligand to `ligand`, follow p(t) = exp(W t) p0 exactly (one matrix exponential of W·step, applied
 * repeatedly), take `K = −d/dt P(active)` as its exact mean over each step, rescale time by
 * `timeScale` and normalise by |first moment| so that ∫ t K = −1 when the chain adapts.
 *
 *   const k = esaKernel({ gamma: 0.01 });
 *   k.dissipation   // ≈ 4.36
 *   k.firstMoment   // -1
 */
export function esaKernel(opts: EsaKernelOptions): EsaKernel {
  const gamma = opts.gamma;
  const switchRate = opts.switchRate ?? ESA_SWITCH_RATE;
  const ligand = opts.ligand ?? ESA_LIGAND;
  const duration = opts.duration ?? 5;
  const step = opts.step ?? 5e-4;
  const timeScale = opts.timeScale ?? 1 / 5;
  checkGamma(gamma, switchRate);
  if (!(ligand > 0)) throw new RangeError(`ligand step must be > 0, got ${ligand}`);
  if (!(duration > 0) || !(step > 0) || !(step < duration)) throw new RangeError(`need 0 < step < duration, got step ${step}, duration ${duration}`);
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
  const W0 = esaGenerator(0, { gamma, switchRate });
  const p0 = steadyState(W0);
  const dissipation = entropyProduction(W0, p0);
  const W = esaGenerator(ligand, { gamma, switchRate });
  const Phi = expm(W.map((row) => row.map((v) => v * step)));
  const n = Math.round(duration / step);
  // P(active) at t_k = k·step, k = 0..n, exactly (p_{k+1} = exp(W step) p_k).
  const active = new Float64Array(n + 1);
  const nStates = W.length;
  let p = Float64Array.from(p0);
  let next = new Float64Array(nStates);
  for (let k = 0; k <= n; k++) {
    let a = 0;
    for (let i = 0; i < ESA_LEVELS; i++) a += p[i]!;
    active[k] = a;
    if (k === n) break;
    for (let i = 0; i < nStates; i++) {
      const row = Phi[i]!;
      let v = 0;
      for (let j = 0; j < nStates; j++) v += row[j]! * p[j]!;
      next[i] = v;
    }
    [p, next] = [next, p];
  }
  // Sample k is the mean of dP/dt over the step [t_k, t_k+1]: the switching transient (rate
  // R e^ΔE ≈ 2000 per chain time unit at 200 µM) is shorter than one step, and a point sample of it
  // would make the kernel's area an artefact of the step; the bin mean integrates it exactly.
  const dP = new Float64Array(n);
  for (let k = 0; k < n; k++) dP[k] = (active[k + 1]! - active[k]!) / step;
  // Synapse time t = timeScale · chain time; the first moment is taken at the bins' midpoints, and
  // the normalisation absorbs the scale of K.
  const dt = step * timeScale;
  let m1 = 0;
  for (let k = 0; k < n; k++) m1 += (k + 0.5) * dt * dP[k]! * dt;
  if (!(Math.abs(m1) > 0)) throw new RangeError(`the step response of gamma ${gamma} has no first moment to normalise by`);
  const samples = new Float64Array(n);
  let area = 0;
  let firstMoment = 0;
  for (let k = 0; k < n; k++) {
    const v = -dP[k]! / Math.abs(m1);
    samples[k] = v;
    area += v * dt;
    firstMoment += (k + 0.5) * dt * v * dt;
  }
  const activeBefore = active[0]!;
  const activeAfter = active[n]!;
  return { kind: 'esa', gamma, switchRate, ligand, samples, dt, area, firstMoment, activeBefore, activeAfter, dissipation };
}

/** σ of the ladder's s = 0 steady state for gamma (k_B per chain time unit). */
export function esaDissipation(gamma: number, switchRate = ESA_SWITCH_RATE): number {
  return entropyProduction(esaGenerator(0, { gamma, switchRate }));
}
