/**
 * Many independent synapses at once (a sweep over amplitudes, ramp times, kernel times,
 * thresholds), each in the periodic steady state of its protocol: Δw over one cycle.
 *
 * No time stepping: the signal is piecewise linear, so u follows in closed form from the kernel's
 * ramp response. With slope changes Δm_j at times t_j (all of them in the past, back to the start
 * of the drive),
 *
 *     u(t) = I s(t) + ds/dt(t) - sum_j Δm_j T(t - t_j)
 *
 * where T is the decaying part of the ramp response (`rampTail`; T(0) = 1, T -> 0 after a few
 * memory times). The sum keeps the last `cutoff` memory times of breakpoints. Then
 * Δw = alpha * int_cycle g(u) dt on M grid points per cycle — one [points x M] tensor expression,
 * chunked to bound memory. The FIR kernel is summed over its 10 taps directly.
 */
import * as tf from '@tensorflow/tfjs';
import { ecoliKernel, firGain, firSynapseKernel, memoryTime, minimalKernel, rampTail, type Kernel, type KernelName, type RampTail } from './kernels.ts';
import { DEFAULT_SHARPNESS, nonlinearityTf, type NonlinearityName } from './nonlinearity.ts';
import { rampDurations, type ProtocolName } from './protocols.ts';

/** Per-point parameters: arrays of one common length N, or of length 1 (broadcast). */
export interface BatchPoints {
  /** A (signal units). */
  amplitude: ArrayLike<number>;
  /** tau_f, tau_s (time units). */
  tauFast: ArrayLike<number>;
  tauSlow: ArrayLike<number>;
  /** Kernel memory time tau_K (E. coli 1/B; minimal loop natural time; FIR tap spacing). */
  tauK: ArrayLike<number>;
  /** Dead-zone threshold theta (signal units per time unit). */
  theta: ArrayLike<number>;
  /** s_f (default 0). */
  baseline?: ArrayLike<number>;
  /** I of the E. coli kernel (default 0). */
  offsetGain?: ArrayLike<number>;
}

export interface BatchConfig {
  kernel: KernelName;
  /** Damping ratio of the minimal loop (default 1, critical). */
  damping?: number;
  protocol: ProtocolName;
  g: NonlinearityName;
  sharpness?: number;
  alpha?: number;
  /** Grid step (time units) of the longest cycle; all points share the number of grid points per cycle. Default 0.0025. */
  dt?: number;
  /** Memory times of history kept (default 40). */
  cutoff?: number;
  /** Tensor elements per chunk (default 2^18: measured fastest on wasm). */
  chunkElements?: number;
}

export interface BatchResult {
  /** Δw per cycle of each point. */
  dw: Float32Array;
  /** Δw / A. */
  dwPerAmplitude: Float32Array;
  /** Grid points per cycle. */
  stepsPerCycle: number;
  /** Past cycles whose breakpoints were summed (including the current one). */
  historyCycles: number;
}

function column(name: string, a: ArrayLike<number> | undefined, n: number, fallback: number): Float64Array {
  const out = new Float64Array(n);
  if (a === undefined || a.length === 0) return out.fill(fallback);
  if (a.length === 1) return out.fill(a[0]!);
  if (a.length !== n) throw new RangeError(`${name} has ${a.length} values, expected ${n} or 1`);
  for (let i = 0; i < n; i++) out[i] = a[i]!;
  return out;
}

function pointKernel(cfg: BatchConfig, tauK: number, offsetGain: number): Kernel {
  if (cfg.kernel === 'ecoli') return ecoliKernel(tauK, offsetGain);
  if (cfg.kernel === 'minimal') return minimalKernel(tauK, cfg.damping ?? 1);
  if (cfg.kernel === 'esa') throw new RangeError('the esa kernel is sampled, not closed-form: sweep it with the period-based protocol (amplitudeSweep, periodicSweep)');
  return firSynapseKernel(tauK);
}

/** T(x) for x >= 0 with per-row parameters (each [rows, 1]). */
function tailTf(form: RampTail['form'], p: Record<string, tf.Tensor>, x: tf.Tensor): tf.Tensor {
  switch (form) {
    case 'polyexp':
      return tf.mul(tf.exp(tf.neg(tf.mul(p.rate!, x))), tf.add(p.p0!, tf.mul(x, tf.add(p.p1!, tf.mul(x, p.p2!)))));
    case 'oscillatory': {
      const wx = tf.mul(p.omega!, x);
      return tf.mul(tf.exp(tf.neg(tf.mul(p.rate!, x))), tf.add(tf.mul(p.cosCoef!, tf.cos(wx)), tf.mul(p.sinCoef!, tf.sin(wx))));
    }
    case 'biexp':
      return tf.add(tf.mul(p.c1!, tf.exp(tf.neg(tf.mul(p.r1!, x)))), tf.mul(p.c2!, tf.exp(tf.neg(tf.mul(p.r2!, x)))));
  }
}

/** Relative level r(x) of a cycle at in-cycle time x ∈ [0, P). */
function levelTf(x: tf.Tensor, up: tf.Tensor, down: tf.Tensor): tf.Tensor {
  return tf.where(tf.less(x, up), tf.div(x, up), tf.sub(1, tf.div(tf.sub(x, up), down)));
}

/**
 * Δw over one cycle (periodic steady state) for every point.
 *
 *   batchCycleUpdate({ amplitude: [5, 50, 150], tauFast: [1], tauSlow: [9], tauK: [0.05], theta: [100 / 9] },
 *                    { kernel: 'ecoli', protocol: 'sawtooth', g: 'deadzone' }).dwPerAmplitude
 *   // ≈ [0, 0.95, 0.00]
 */
export function batchCycleUpdate(points: BatchPoints, cfg: BatchConfig): BatchResult {
  const lengths = [points.amplitude, points.tauFast, points.tauSlow, points.tauK, points.theta, points.baseline, points.offsetGain]
    .filter((a): a is ArrayLike<number> => a !== undefined)
    .map((a) => a.length);
  const n = Math.max(1, ...lengths);
  const A = column('amplitude', points.amplitude, n, 0);
  const tf_ = column('tauFast', points.tauFast, n, 1);
  const ts = column('tauSlow', points.tauSlow, n, 9);
  const tk = column('tauK', points.tauK, n, 0.05);
  const th = column('theta', points.theta, n, 1);
  const base = column('baseline', points.baseline, n, 0);
  const I = column('offsetGain', points.offsetGain, n, 0);
  if (cfg.kernel !== 'ecoli' && I.some((v) => v !== 0)) throw new RangeError('an offset gain I applies to the E. coli kernel only');
  const alpha = cfg.alpha ?? 1;
  const cutoff = cfg.cutoff ?? 40;

  // Per-point protocol shape and kernel constants (float64 here, float32 in the tensors).
  const up = new Float64Array(n);
  const down = new Float64Array(n);
  const P = new Float64Array(n);
  let maxP = 0;
  let minP = Infinity;
  let maxMem = 0;
  let form: RampTail['form'] | undefined;
  const tailParams: Record<string, Float64Array> = {};
  const firGains = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = rampDurations(cfg.protocol, tf_[i]!, ts[i]!);
    if (!(d.up > 0 && d.down > 0)) throw new RangeError(`ramp times must be > 0 (point ${i})`);
    up[i] = d.up;
    down[i] = d.down;
    P[i] = d.up + d.down;
    maxP = Math.max(maxP, P[i]!);
    minP = Math.min(minP, P[i]!);
    const k = pointKernel(cfg, tk[i]!, I[i]!);
    maxMem = Math.max(maxMem, memoryTime(k));
    if (k.kind === 'fir') {
      firGains[i] = firGain(k);
      continue;
    }
    if (k.kind === 'esa') continue; // unreachable: pointKernel refuses it
    const T = rampTail(k);
    if (form !== undefined && T.form !== form) throw new RangeError('all points of a batch need the same kind of ramp tail');
    form = T.form;
    for (const [key, v] of Object.entries(T)) {
      if (key === 'form') continue;
      (tailParams[key] ??= new Float64Array(n))[i] = v as number;
    }
  }
  const M = Math.max(8, Math.ceil(maxP / (cfg.dt ?? 0.0025)));
  const historyCycles = 1 + Math.ceil((cutoff * maxMem) / minP);
  const rowsPerChunk = Math.max(1, Math.floor((cfg.chunkElements ?? 1 << 18) / M));
  const phase = tf.tidy(() => tf.div(tf.range(0, M, 1, 'float32'), M).reshape([1, M]));
  const dw = new Float32Array(n);
  const taps = firSynapseKernel(1).taps;

  try {
    for (let r0 = 0; r0 < n; r0 += rowsPerChunk) {
      const r1 = Math.min(n, r0 + rowsPerChunk);
      const col = (a: Float64Array): tf.Tensor => tf.tensor2d(Float32Array.from(a.subarray(r0, r1)), [r1 - r0, 1]);
      const out = tf.tidy(() => {
        const upT = col(up);
        const downT = col(down);
        const PT = col(P);
        const AT = col(A);
        const baseT = col(base);
        const t = tf.mul(phase, PT); // [rows, M]
        let u: tf.Tensor;
        if (cfg.kernel === 'fir') {
          const h = col(tk);
          u = tf.zerosLike(t);
          for (let k = 0; k < taps.length; k++) {
            let x = tf.sub(t, tf.mul(h, k));
            x = tf.sub(x, tf.mul(tf.floor(tf.div(x, PT)), PT));
            const s = tf.add(baseT, tf.mul(AT, levelTf(x, upT, downT)));
            u = tf.add(u, tf.mul(s, taps[k]!));
          }
          u = tf.mul(u, col(firGains));
        } else {
          const p: Record<string, tf.Tensor> = {};
          for (const [key, v] of Object.entries(tailParams)) p[key] = col(v);
          const s = tf.add(baseT, tf.mul(AT, levelTf(t, upT, downT)));
          const slope = tf.where(tf.less(t, upT), tf.div(AT, upT), tf.neg(tf.div(AT, downT)));
          u = tf.add(tf.mul(col(I), s), slope);
          // Slope changes: +A(1/up + 1/down) at each cycle start -kP, -A(1/up + 1/down) at -kP + up.
          const jump = tf.mul(AT, tf.add(tf.div(1, upT), tf.div(1, downT)));
          // A breakpoint whose distance to every grid time exceeds `cutoff` memory times adds nothing: skip it.
          const reach = cutoff * maxMem;
          const minDown = Math.min(...down.subarray(r0, r1));
          for (let k = 0; k < historyCycles; k++) {
            const x1 = tf.add(t, tf.mul(PT, k));
            if (k === 0 || k * minP < reach) u = tf.sub(u, tf.mul(jump, tailTf(form!, p, x1)));
            if (k === 0 || (k - 1) * minP + minDown < reach) {
              const x2 = tf.sub(x1, upT);
              const tail2 = tf.where(tf.greaterEqual(x2, 0), tailTf(form!, p, tf.relu(x2)), tf.zerosLike(x2));
              u = tf.add(u, tf.mul(jump, tail2));
            }
          }
        }
        const g = nonlinearityTf(cfg.g, u, col(th), cfg.sharpness ?? DEFAULT_SHARPNESS);
        return tf.mul(tf.sum(g, 1), tf.mul(tf.div(PT.reshape([-1]), M), alpha));
      });
      dw.set(out.dataSync() as Float32Array, r0);
      out.dispose();
    }
  } finally {
    phase.dispose();
  }
  const dwPerAmplitude = dw.map((v, i) => (A[i] !== 0 ? v / A[i]! : 0));
  return { dw, dwPerAmplitude, stepsPerCycle: M, historyCycles };
}
