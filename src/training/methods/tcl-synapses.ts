/**
 * The synapse groups of a TCL update, apart from the rule itself (tcl.ts): the dead-zone sum
 * over the cycle's grid, the plain-tfjs fast path for the clamped-input weights, the faithful
 * synapse stepped in time, the memory the fast path writes, and the adaptive threshold.
 */
import * as tf from '@tensorflow/tfjs';
import type { EnergyDense } from '../../layers/energy-dense.ts';
import { toURel } from '../../perf/fused-tcl.ts';
import { absQuantile, absQuantileOfChunks } from '../../perf/select.ts';
import { U_SCALE, type CycleMaps } from './tcl-cycle.ts';

/** Runs f in a tidy scope and returns its result's values (the tensor is disposed). */
export function download(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

export { deadZoneSum } from '../../perf/fused-tcl.ts';
export { absQuantile, selectKth } from '../../perf/select.ts';

/** Stacks a per-state signal list relative to state 0: [nStates−1, P]. */
export function relativeSignals(sig: tf.Tensor[]): tf.Tensor2D {
  return tf.tidy(() => {
    const s0 = sig[0].reshape([1, -1]);
    return tf.sub(tf.stack(sig.slice(1).map((t) => t.reshape([-1]))), s0) as tf.Tensor2D;
  });
}

/** The G × (nStates−1) part of toU that acts on signals relative to the free state (kernel has zero area). */
export function toURelative(maps: CycleMaps): tf.Tensor2D {
  return tf.tensor2d(toURel(maps), [maps.grid, maps.nStates - 1]);
}

/**
 * Fast path for the clamped-input weights: Σ_j w_j g(u_j) with u_j = xᵀ D_j / B, D = toU · ΔH.
 * Returns the accumulated [n0 × n1] sum, the number of passing pairs and θ: fixed, or for
 * `{ q }` the exact q-quantile of |u| over the rows with ink in the batch × n1 × G grid points
 * (the same population as the wasm kernel's, src/perf/fused-tcl.ts; rows without ink have u = 0).
 */
export function inputWeightsFast(
  x: tf.Tensor2D,
  dH: tf.Tensor2D /* [nStates-1, B*n1] */,
  toU: tf.Tensor2D,
  maps: CycleMaps,
  n1: number,
  theta: number | { q: number },
): { sum: Float32Array; passed: number; theta: number } {
  const B = x.shape[0];
  const n0 = x.shape[1];
  const G = maps.grid;
  const D = download(() => tf.matMul(toU, dH)); // [G, B, n1]
  const xs = download(() => tf.clipByValue(x, 0, 1)); // [B, n0]
  // Rows whose input is 0 in every example have u = 0 exactly.
  const rows: number[] = [];
  for (let i = 0; i < n0; i++) {
    let any = false;
    for (let b = 0; b < B; b++) if (xs[b * n0 + i] !== 0) { any = true; break; }
    if (any) rows.push(i);
  }
  const nR = rows.length;
  const xT = new Float32Array(nR * B);
  for (let r = 0; r < nR; r++) for (let b = 0; b < B; b++) xT[r * B + b] = xs[b * n0 + rows[r]] / B;
  const sum = new Float32Array(n0 * n1);
  if (nR === 0) return { sum, passed: 0, theta: typeof theta === 'number' ? theta : 0 };
  const xTt = tf.tensor2d(xT, [nR, B]);
  let th: number;
  if (typeof theta === 'number') {
    th = theta;
  } else {
    // Adaptive dead zone (ours): θ = the q-quantile of |u| over every active row and grid point, exactly.
    const Dall = tf.tidy(() => tf.tensor3d(D, [G, B, n1]).transpose([1, 0, 2]).reshape([B, G * n1]));
    const ROWS = 16;
    th = absQuantileOfChunks((visit) => {
      for (let r0 = 0; r0 < nR; r0 += ROWS) {
        const nr = Math.min(ROWS, nR - r0);
        visit(download(() => tf.matMul(tf.tensor2d(xT.subarray(r0 * B, (r0 + nr) * B), [nr, B]), Dall)));
      }
    }, theta.q);
    Dall.dispose();
  }
  // Bound per column (j, h): with x ∈ [0,1], u ∈ [Σ_b D⁻/B, Σ_b D⁺/B].
  const colJ: number[] = [];
  const colH: number[] = [];
  for (let j = 0; j < G; j++) {
    for (let h = 0; h < n1; h++) {
      let pos = 0;
      let neg = 0;
      for (let b = 0; b < B; b++) {
        const v = D[(j * B + b) * n1 + h];
        if (v > 0) pos += v;
        else neg += v;
      }
      if (pos / B >= th || -neg / B >= th) {
        colJ.push(j);
        colH.push(h);
      }
    }
  }
  let passed = 0;
  const CHUNK = 8192;
  for (let c0 = 0; c0 < colJ.length; c0 += CHUNK) {
    const nc = Math.min(CHUNK, colJ.length - c0);
    const Dact = new Float32Array(B * nc);
    for (let a = 0; a < nc; a++) {
      const j = colJ[c0 + a];
      const h = colH[c0 + a];
      for (let b = 0; b < B; b++) Dact[b * nc + a] = D[(j * B + b) * n1 + h];
    }
    const u = download(() => tf.matMul(xTt, tf.tensor2d(Dact, [B, nc])));
    for (let r = 0; r < nR; r++) {
      const rowOff = rows[r] * n1;
      const uOff = r * nc;
      for (let a = 0; a < nc; a++) {
        const v = u[uOff + a];
        if (v >= th || v <= -th) {
          sum[rowOff + colH[c0 + a]] += maps.weights[colJ[c0 + a]] * v;
          passed++;
        }
      }
    }
  }
  xTt.dispose();
  return { sum, passed, theta: th };
}

/** Faithful synapse: FIR memory stepped through the cycle (periodic steady state), from per-state signals [S, P]. */
export function steppedSynapses(sig: tf.Tensor2D, maps: CycleMaps, theta: number, memory: tf.LayerVariable | null): { sum: Float32Array; passed: number } {
  const G = maps.grid;
  const S = maps.nStates;
  const P = sig.shape[1];
  const K = maps.kernel;
  const depth = K.length - 1;
  const s = download(() => tf.matMul(tf.tensor2d(maps.interp, [G, S]), sig)); // absolute signal s(t_j), [G, P]
  // Adapted to the cycle: before time m = shift the synapse remembers s_{m−1}, …, s_{m−depth} (circularly).
  const mem: Float32Array[] = [];
  for (let d = 1; d <= depth; d++) {
    const j = (((maps.shift - d) % G) + G) % G;
    mem.push(s.slice(j * P, (j + 1) * P));
  }
  const sum = new Float32Array(P);
  let passed = 0;
  for (let step = 0; step < G; step++) {
    const m = (maps.shift + step) % G;
    const cur = s.subarray(m * P, (m + 1) * P);
    const w = maps.weights[step];
    for (let i = 0; i < P; i++) {
      let u = K[0] * cur[i];
      for (let d = 0; d < depth; d++) u += K[d + 1] * mem[d][i];
      u /= U_SCALE;
      if (u >= theta || u <= -theta) {
        sum[i] += w * u;
        passed++;
      }
    }
    const oldest = mem.pop() as Float32Array;
    oldest.set(cur);
    mem.unshift(oldest);
  }
  if (memory) {
    const flat = new Float32Array(depth * P);
    mem.forEach((m, d) => flat.set(m, d * P));
    tf.tidy(() => {
      memory.write(tf.tensor(flat, memory.shape as number[]));
    });
  }
  return { sum, passed };
}

/** Memory the fast path writes: the last `depth` grid samples of every synapse's signal (same as the faithful path ends with). */
export function writeFastMemory(layer: EnergyDense, maps: CycleMaps, sigStatesW: () => tf.Tensor2D, sigStatesB: tf.Tensor2D) {
  const depth = maps.kernel.length - 1;
  const G = maps.grid;
  const S = maps.nStates;
  const rows = new Float32Array(depth * S);
  for (let d = 1; d <= depth; d++) {
    const j = (((maps.shift - d) % G) + G) % G;
    rows.set(maps.interp.subarray(j * S, (j + 1) * S), (d - 1) * S);
  }
  tf.tidy(() => {
    const R = tf.tensor2d(rows, [depth, S]);
    if (layer.kernelMemory) layer.kernelMemory.write(tf.matMul(R, sigStatesW()).reshape(layer.kernelMemory.shape as number[]));
    if (layer.biasMemory) layer.biasMemory.write(tf.matMul(R, sigStatesB).reshape(layer.biasMemory.shape as number[]));
  });
}


export function quantileOfU(sig: tf.Tensor2D, toU: tf.Tensor2D, q: number): number {
  return absQuantile(download(() => tf.matMul(toU, relativeSignals(tf.unstack(sig)))), q);
}
