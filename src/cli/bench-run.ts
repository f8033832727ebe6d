/**
 * Benchmarks: one timed training epoch per method (after a warm-up batch on a throwaway network),
 * and the scaling of the cost with the hidden layer, the batch size and the depth. The `bench`
 * command (bench.ts) runs each method in its own process, so that peak RSS is the method's own.
 *
 *   const r = await benchMethod('ep', { split: 'paper' });   // r.secondsPerEpoch, r.gflops, …
 *
 * Dense-equivalent FLOPs (`denseFlops`) count what a straightforward implementation multiplies
 * (2 flops per multiply-add), not what the kernels do after skipping zeros and dead-zone blocks:
 *   relaxation step, per example: Σ_{k≥1} 2 · 2 n_k n_{k+1}  (coupling k drives both its layers),
 *     plus the input drive 2 n_0 n_1 once per batch;
 *   EP update: 2 n_0 n_1 + Σ_{k≥1} 2 · 2 n_k n_{k+1}  (x clamped: one product for W_0);
 *   TCL synapse update: per weight group, S Hebbian signals (S · 2 n_k n_{k+1} per example) and
 *     the grid response u = toU · signals (2 G S n_k n_{k+1} per batch), S cycle states, G grid points;
 *   BP: forward 2 Σ n_k n_{k+1}, backward 2 Σ n_k n_{k+1} (gradients) + 2 Σ_{k≥1} n_k n_{k+1} (deltas).
 */
import * as tf from '@tensorflow/tfjs';
import { loadDataset, oneHot, type Dataset, type DatasetOptions } from '../data/index.ts';
import { Rng } from '../rng.ts';
import { makeMethod, networkFromPreset } from '../training/build.ts';
import { resolvePreset, trainNetwork } from '../training/train.ts';
import type { Preset } from '../training/preset.ts';
import { cycleMaps } from '../training/methods/tcl-cycle.ts';
import { kernelsForBackend, Scratch } from '../perf/engine.ts';
import type { MethodName } from '../training/types.ts';

export interface BenchResult {
  method: MethodName;
  dataset: string;
  split: string;
  trainSize: number;
  testSize: number;
  batchSize: number;
  layers: number[];
  backend: string;
  /** The timed epoch's training time (no evaluation), seconds. */
  secondsPerEpoch: number;
  examplesPerSecond: number;
  testError: number;
  /** Where the epoch's time went, ms: relaxation, synapse update/update, data, other. */
  breakdownMs: Record<string, number>;
  /** tf.memory() after the first and after the last batch of the timed epoch (flat = no leak). */
  numTensorsBefore: number;
  numTensorsAfter: number;
  numBytesBefore: number;
  numBytesAfter: number;
  /** Peak resident set size of the process so far, MB (the method's own when run by `bench`, one process per method). */
  peakRssMB: number;
  /** Dense-equivalent GFLOP of the timed epoch (see the module comment) and its rate, GFLOP/s. */
  denseGflop: number;
  gflops: number;
  /** Measured in the same process just before the epoch, on the preset's largest coupling [B × n_k] · [n_k × n_{k+1}]: tfjs matMul and the kernels' product, GFLOP/s. */
  matMulGflops: number;
  kernelGemmGflops: number | null;
  /** The shape of that product. */
  matMulShape: number[];
  /** With `bench --repeat n`: every run's secondsPerEpoch, in round order (this result is the median run). */
  secondsPerEpochRuns?: number[];
  /** The TCL dead zone the epoch ran with (TCL only). */
  deadZone?: string;
}

export interface BenchOptions extends DatasetOptions {
  seed?: number;
  model?: string | Preset;
  batchSize?: number;
  /** TCL dead zone override ('fixed' | 'quantile:Q'). */
  deadZone?: string;
  /** Preloaded data. */
  data?: Dataset;
}

/** Runs one step on a throwaway network so that the timed epoch does not pay for compilation and first allocations. */
function warmUp(method: MethodName, preset: Preset, data: Dataset): void {
  const net = networkFromPreset(preset, 12345, method);
  const m = makeMethod(method, preset);
  const B = Math.min(preset.batchSize, data.train.n);
  const d = data.train.inputSize;
  const C = data.numClasses;
  const tb = oneHot(data.train.labels.subarray(0, B), C);
  const x = tf.tensor2d(data.train.images.subarray(0, B * d), [B, d]);
  const t = tf.tensor2d(tb, [B, C]);
  const res = m.step(net, { x, target: t }, { rng: new Rng(1), lastBatchOfEpoch: false });
  res.output.dataSync();
  tf.dispose([x, t, res.output, ...(res.free ?? [])]);
  m.dispose?.();
  net.dispose();
}

/** One timed epoch of `method`. */
export async function benchMethod(method: MethodName, o: BenchOptions = {}): Promise<BenchResult> {
  const data = o.data ?? (await loadDataset(o));
  const preset = resolvePreset({ model: o.model, batchSize: o.batchSize, deadZone: o.deadZone });
  const rates = productRates(preset);
  warmUp(method, preset, data);
  let before: tf.MemoryInfo | undefined;
  let after: tf.MemoryInfo | undefined;
  const { net, summary } = await trainNetwork({
    method,
    model: preset,
    data,
    epochs: 1,
    seed: o.seed ?? 0,
    onBatch: (p) => {
      if (p.batch === 1) before = tf.memory();
      if (p.batch === p.batches) after = tf.memory();
    },
  });
  net.dispose();
  const m = summary.metrics[0];
  return {
    method,
    dataset: summary.dataset,
    split: summary.split,
    trainSize: summary.trainSize,
    testSize: summary.testSize,
    batchSize: preset.batchSize,
    layers: summary.layers,
    backend: summary.backend,
    secondsPerEpoch: m.seconds,
    examplesPerSecond: m.examplesPerSecond,
    testError: m.testError,
    breakdownMs: m.breakdownMs,
    numTensorsBefore: before?.numTensors ?? NaN,
    numTensorsAfter: after?.numTensors ?? NaN,
    numBytesBefore: before?.numBytes ?? NaN,
    numBytesAfter: after?.numBytes ?? NaN,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    denseGflop: denseFlops(method, preset, summary.trainSize) / 1e9,
    gflops: denseFlops(method, preset, summary.trainSize) / 1e9 / m.seconds,
    ...rates,
    ...(method === 'tcl' ? { deadZone: preset.tcl.deadZone } : {}),
  };
}

/** Dense-equivalent flops of one training epoch over `examples` images (see the module comment). */
export function denseFlops(method: MethodName, p: Preset, examples: number): number {
  const n = p.layers;
  const pairs = n.slice(0, -1).map((a, k) => a * n[k + 1]);
  const hiddenPairs = pairs.slice(1).reduce((a, b) => a + b, 0);
  const all = pairs.reduce((a, b) => a + b, 0);
  const batches = Math.floor(examples / p.batchSize);
  const B = p.batchSize;
  const E = batches * B;
  const step = 4 * hiddenPairs;
  const drive = 2 * pairs[0];
  if (method === 'ep') return E * (drive + (p.freeSteps + p.ep.nudgeSteps) * step + 2 * pairs[0] + 4 * hiddenPairs);
  if (method === 'bp') return E * (2 * all + 2 * all + 2 * hiddenPairs);
  const maps = cycleMaps(p.tcl.protocol ?? 'sawtooth', p.tcl.levels, p.tcl.fastFraction, p.tcl.cycle);
  const S = maps.nStates;
  const relax = E * (drive + (p.freeSteps + (S - 1) * p.tcl.stepsPerLevel) * step);
  return relax + E * S * 2 * all + batches * 2 * maps.grid * S * all;
}

/**
 * GFLOP/s of [B × n_k] · [n_k × n_{k+1}] for the preset's largest coupling (k ≥ 1 when there is a
 * hidden→hidden one, the relaxation's hot product): tfjs matMul on the current backend, and the
 * kernels' gemmAcc (wasm only) on the same dense operands, each repeated for ~0.3 s.
 */
export function productRates(p: Preset): { matMulGflops: number; kernelGemmGflops: number | null; matMulShape: number[] } {
  const n = p.layers;
  let k = 0;
  for (let i = 1; i < n.length - 1; i++) if (n[i] * n[i + 1] >= 10000 && (k === 0 || n[i] * n[i + 1] > n[k] * n[k + 1])) k = i;
  const [B, K, N] = [p.batchSize, n[k], n[k + 1]];
  const flop = 2 * B * K * N;
  const rng = new Rng(5);
  const a = Float32Array.from({ length: B * K }, () => rng.next());
  const w = Float32Array.from({ length: K * N }, () => rng.next() - 0.5);
  const rate = (f: () => void) => {
    f();
    let reps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 300 || reps < 3) {
      f();
      reps++;
    }
    return (flop * reps) / ((performance.now() - t0) / 1000) / 1e9;
  };
  const at = tf.tensor2d(a, [B, K]);
  const wt = tf.tensor2d(w, [K, N]);
  const matMulGflops = rate(() => tf.tidy(() => tf.matMul(at, wt).dataSync()));
  tf.dispose([at, wt]);
  let kernelGemmGflops: number | null = null;
  const kern = kernelsForBackend();
  if (kern) {
    const sc = new Scratch(kern);
    const pa = sc.from(a);
    const pw = sc.from(w);
    const pc = sc.alloc(B * N);
    kernelGemmGflops = rate(() => kern.k.gemmAcc(pc, N, pa, K, 1, pw, N, B, K, N, 1));
    sc.release();
  }
  return { matMulGflops, kernelGemmGflops, matMulShape: [B, K, N] };
}

export interface ScalingPoint {
  method: MethodName;
  /** 'hidden' (batch 20), 'batch' (hidden 500) or 'depth' (hidden layers of 500, batch 20). */
  sweep: 'hidden' | 'batch' | 'depth';
  hidden: number;
  batchSize: number;
  /** Hidden layers. */
  depth: number;
  /** Training seconds per 1,000 examples. */
  secondsPer1k: number;
}

/**
 * The deep preset (mnist-784-500-500-10: TCL with the adaptive dead zone, the only one defined
 * for hidden→hidden synapses) with `depth` hidden layers of 500: per-coupling arrays keep the
 * first and last coupling's values and repeat the hidden→hidden one.
 */
export function presetWithDepth(depth: number): Preset {
  const p = resolvePreset({ model: 'mnist-784-500-500-10' });
  const widen = (a: number[]) => [a[0], ...Array.from({ length: depth - 1 }, () => a[1]), a[a.length - 1]];
  p.layers = [p.layers[0], ...Array.from({ length: depth }, () => 500), p.layers[p.layers.length - 1]];
  p.ep.lr = widen(p.ep.lr);
  p.tcl.lr = widen(p.tcl.lr);
  p.tcl.theta = { W: widen(p.tcl.theta.W), b: widen(p.tcl.theta.b) };
  p.bp.lr = widen(p.bp.lr);
  p.name = `mnist-784-${p.layers.slice(1, -1).join('-')}-10 (from mnist-784-500-500-10)`;
  return p;
}

/**
 * Seconds per 1,000 training examples as the hidden layer grows (batch 20), with the batch size
 * (hidden 500) — both on the paper's 784-H-10 preset — and with the depth (1, 2, 3 hidden layers of
 * 500, `presetWithDepth`), on the first `examples` training images of the paper split.
 */
export async function benchScaling(
  methods: MethodName[],
  o: { hidden?: number[]; batch?: number[]; depth?: number[]; examples?: number; seed?: number; onPoint?: (p: ScalingPoint) => void } = {},
): Promise<ScalingPoint[]> {
  const hidden = o.hidden ?? [100, 500, 2000];
  const batch = o.batch ?? [1, 20, 100];
  const depths = o.depth ?? [1, 2, 3];
  const examples = o.examples ?? 1000;
  const data = await loadDataset({ split: 'paper', trainSize: examples, testSize: 100 });
  const base = resolvePreset({});
  const out: ScalingPoint[] = [];
  const run = async (method: MethodName, sweep: ScalingPoint['sweep'], preset: Preset) => {
    const r = await benchMethod(method, { data, model: preset, seed: o.seed });
    const bs = preset.batchSize;
    const p: ScalingPoint = { method, sweep, hidden: preset.layers[1], batchSize: bs, depth: preset.layers.length - 2, secondsPer1k: (r.secondsPerEpoch * 1000) / (Math.floor(examples / bs) * bs) };
    out.push(p);
    o.onPoint?.(p);
  };
  const shallow = (h: number, bs: number): Preset => ({ ...structuredClone(base), layers: [base.layers[0], h, base.layers[base.layers.length - 1]], batchSize: bs });
  for (const method of methods) {
    for (const h of hidden) await run(method, 'hidden', shallow(h, base.batchSize));
    for (const bs of batch) await run(method, 'batch', shallow(base.layers[1], bs));
    for (const d of depths) await run(method, 'depth', presetWithDepth(d));
  }
  return out;
}
