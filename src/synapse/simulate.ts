/**
 * One synapse, stepped in time: the synapse rests adapted to the baseline s_f, is driven by
 * `adaptCycles` cycles that are not counted, then `cycles` cycles over which
 *
 *     dw/dt = alpha g(u(t)),   u = K * s
 *
 * is integrated (trapezoid rule on the grid). Δw is reported per measured cycle.
 *
 * Two ways to get u, to cross-check each other: 'ode' steps the kernel's state (the z-chain of
 * the E. coli kernel, the (u, v) loop of the minimal one — what a physical synapse stores) exactly
 * for a signal linear between grid points; 'convolution' sums K(t_i) s(t - t_i) dt directly.
 * A sampled kernel (esa) has no state space: its 'convolution' is the exact discrete convolution
 * h Σ_i K_i s(t - i h) of the piecewise-linear signal, by breakpoints (see periodic.ts).
 */
import { firGain, kernelValue, memoryTime, stateSpace, type Kernel } from './kernels.ts';
import { nonlinearity, type Nonlinearity } from './nonlinearity.ts';
import type { Protocol } from './protocols.ts';
import { discretize, readout, restingState, step } from './statespace.ts';
import { kernelSums, tailMoment, type KernelSums } from './periodic.ts';
import type { EsaKernel } from './markov.ts';

const sumsCache = new WeakMap<EsaKernel, KernelSums>();
/** The suffix sums of a sampled kernel, computed once per kernel object. */
export function esaKernelSums(k: EsaKernel): KernelSums {
  let s = sumsCache.get(k);
  if (!s) sumsCache.set(k, (s = kernelSums({ samples: k.samples, dt: k.dt })));
  return s;
}

export interface SynapseModel {
  kernel: Kernel;
  g: Nonlinearity;
  /** Learning rate alpha in dw/dt = alpha g(u) (default 1). */
  alpha?: number;
}

export type SimulationMethod = 'ode' | 'convolution';

export interface SimulationOptions {
  /** Time step (time units; rounded so that a cycle is a whole number of steps). Default 0.001. */
  dt?: number;
  /** Cycles run before measuring (default 1). */
  adaptCycles?: number;
  /** Cycles measured (default 1). */
  cycles?: number;
  /** Default 'ode'. */
  method?: SimulationMethod;
  /** Keep the time series t, s, u, w. */
  record?: boolean;
  /** The convolution path truncates K after this many memory times (default 40). */
  cutoff?: number;
}

export interface SimulationResult {
  /** Mean Δw per measured cycle, times the cycle's sign (the random-sign protocol divides by it, as trainers divide by sign(beta)). */
  dw: number;
  /** dw / A: 1 is the ideal contrastive update alpha (s_c - s_f). */
  dwPerAmplitude: number;
  /** Raw Δw of each measured cycle. */
  dwPerCycle: number[];
  /** Sign of each measured cycle's excursion. */
  signs: number[];
  /** Extremes of u over the measured cycles. */
  uMin: number;
  uMax: number;
  /** Fraction of the measured up-ramp / down-ramp time with |u| >= theta. */
  passUp: number;
  passDown: number;
  /** Effective time step and steps per cycle. */
  dt: number;
  stepsPerCycle: number;
  /** Minimal loop only: friction heat of the (u, v) trajectory per measured cycle, sum_i tau_i int x_i'^2 dt (units: energy per signal unit^2). */
  drivenHeatPerCycle?: number;
  trace?: { t: Float64Array; s: Float64Array; u: Float64Array; w: Float64Array };
}

/**
 * Simulates one synapse under a protocol.
 *
 *   const r = simulateSynapse(
 *     { kernel: ecoliKernel(0.05), g: { name: 'deadzone', theta: 100 / 9 } },
 *     makeProtocol('sawtooth', { tauFast: 1, tauSlow: 9, amplitude: 50 }));
 *   r.dwPerAmplitude   // ≈ 0.95
 */
export function simulateSynapse(model: SynapseModel, protocol: Protocol, opts: SimulationOptions = {}): SimulationResult {
  const alpha = model.alpha ?? 1;
  const adaptCycles = opts.adaptCycles ?? 1;
  const cycles = opts.cycles ?? 1;
  const method = opts.method ?? 'ode';
  if (!Number.isInteger(adaptCycles) || adaptCycles < 0) throw new RangeError(`adaptCycles must be an integer >= 0, got ${adaptCycles}`);
  if (!Number.isInteger(cycles) || cycles < 1) throw new RangeError(`cycles must be an integer >= 1, got ${cycles}`);
  const P = protocol.period;
  const stepsPerCycle = Math.max(1, Math.round(P / (opts.dt ?? 0.001)));
  const dt = P / stepsPerCycle;
  const nSteps = (adaptCycles + cycles) * stepsPerCycle;
  const t = new Float64Array(nSteps + 1);
  for (let j = 0; j <= nSteps; j++) t[j] = j * dt;
  const s = protocol.sample(t);
  const u = new Float64Array(nSteps + 1);
  const k = model.kernel;
  let heat: Float64Array | undefined;

  if (k.kind === 'fir') {
    // Tapped delay line: u(t) = gain sum_k K_k s(t - k h), s linearly interpolated on the grid, s_f before t = 0.
    const gain = firGain(k);
    for (let j = 0; j <= nSteps; j++) {
      let acc = 0;
      for (let i = 0; i < k.taps.length; i++) {
        const x = (t[j]! - i * k.tapSpacing) / dt;
        let sv: number;
        if (x <= 0) sv = protocol.baseline;
        else {
          const i0 = Math.floor(x);
          const f = x - i0;
          sv = f === 0 ? s[i0]! : s[i0]! * (1 - f) + s[i0 + 1]! * f;
        }
        acc += k.taps[i]! * sv;
      }
      u[j] = gain * acc;
    }
  } else if (k.kind === 'esa') {
    if (method === 'ode') throw new RangeError("the esa kernel has no state space to step: use method 'convolution' (or the period-based protocol)");
    // u(t) = S0 s(t) - m S1 + sum_b Δm_b E(t - t_b) over slope changes t_b < t within the kernel's span (s = s_f before 0).
    const sums = esaKernelSums(k);
    const bps = protocol.breakpoints(0, t[nSteps]!);
    let first = 0; // first breakpoint still within the span
    let next = 0; // first breakpoint not yet strictly in the past
    let slope = 0; // slope just before t (sum of the past slope changes)
    for (let j = 0; j <= nSteps; j++) {
      const tj = t[j]!;
      while (next < bps.length && bps[next]!.time < tj) slope += bps[next++]!.slopeChange;
      while (first < next && tj - bps[first]!.time >= sums.span) first++;
      let acc = sums.area * s[j]! - slope * sums.firstMoment;
      for (let b = first; b < next; b++) acc += bps[b]!.slopeChange * tailMoment(sums, tj - bps[b]!.time);
      u[j] = acc;
    }
  } else if (method === 'ode') {
    const ss = stateSpace(k);
    const d = discretize(ss, dt);
    const x = restingState(ss, protocol.baseline);
    u[0] = readout(ss, x);
    // Minimal loop: frictions (tau_u, tau_v) of the state (u, v), for the driven heat.
    const friction = k.kind === 'minimal' ? [k.tauU, k.tauV] : undefined;
    if (friction) heat = new Float64Array(nSteps + 1);
    for (let j = 0; j < nSteps; j++) {
      const prev = x.slice();
      step(d, x, s[j]!, s[j + 1]!);
      u[j + 1] = readout(ss, x);
      // Heat of step j: sum_i tau_i (dx_i/dt)^2 dt.
      if (heat && friction) heat[j + 1] = (friction[0]! * (x[0]! - prev[0]!) ** 2 + friction[1]! * (x[1]! - prev[1]!) ** 2) / dt;
    }
  } else {
    const L = Math.max(1, Math.ceil(((opts.cutoff ?? 40) * memoryTime(k)) / dt));
    const K = new Float64Array(L + 1);
    for (let i = 0; i <= L; i++) K[i] = kernelValue(k, i * dt) * dt * (i === 0 || i === L ? 0.5 : 1);
    for (let j = 0; j <= nSteps; j++) {
      let acc = 0;
      for (let i = 0; i <= L; i++) acc += K[i]! * (j - i >= 0 ? s[j - i]! : protocol.baseline);
      u[j] = acc;
    }
  }

  const g = nonlinearity(model.g);
  const gu = new Float64Array(nSteps + 1);
  for (let j = 0; j <= nSteps; j++) gu[j] = alpha * g(u[j]!);
  const w = new Float64Array(nSteps + 1);
  for (let j = 1; j <= nSteps; j++) w[j] = w[j - 1]! + 0.5 * (gu[j - 1]! + gu[j]!) * dt;

  const dwPerCycle: number[] = [];
  const signs: number[] = [];
  let uMin = Infinity;
  let uMax = -Infinity;
  let up = 0;
  let upPass = 0;
  let down = 0;
  let downPass = 0;
  let heatSum = 0;
  const theta = model.g.theta;
  for (let c = adaptCycles; c < adaptCycles + cycles; c++) {
    const j0 = c * stepsPerCycle;
    const j1 = j0 + stepsPerCycle;
    dwPerCycle.push(w[j1]! - w[j0]!);
    signs.push(protocol.sign(c));
    for (let j = j0; j < j1; j++) {
      const v = u[j]!;
      uMin = Math.min(uMin, v);
      uMax = Math.max(uMax, v);
      const pass = Math.abs(v) >= theta ? 1 : 0;
      if (t[j]! - c * P < protocol.rampUp) {
        up++;
        upPass += pass;
      } else {
        down++;
        downPass += pass;
      }
      if (heat) heatSum += heat[j + 1]!;
    }
  }
  const dw = dwPerCycle.reduce((a, v, i) => a + v * signs[i]!, 0) / cycles;
  const result: SimulationResult = {
    dw,
    dwPerAmplitude: protocol.amplitude !== 0 ? dw / protocol.amplitude : 0,
    dwPerCycle,
    signs,
    uMin,
    uMax,
    passUp: up ? upPass / up : 0,
    passDown: down ? downPass / down : 0,
    dt,
    stepsPerCycle,
  };
  if (heat) result.drivenHeatPerCycle = heatSum / cycles;
  if (opts.record) result.trace = { t, s, u, w };
  return result;
}
