/**
 * Benchmarks: one timed training epoch per method (after a warm-up batch on a throwaway network),
 * and the scaling of the cost with the hidden layer and the batch size. Used by `tfjs-tcl bench`.
 *
 *   const r = await benchMethod('ep', { split: 'paper' });   // r.secondsPerEpoch, r.testError, …
 */
import * as tf from '@tensorflow/tfjs';
import { loadDataset, oneHot, type Dataset, type DatasetOptions } from '../data/index.ts';
import { Rng } from '../rng.ts';
import { makeMethod, networkFromPreset } from '../training/build.ts';
import { resolvePreset, trainNetwork } from '../training/train.ts';
import type { Preset } from '../training/preset.ts';
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
  /** Peak resident set size of the process so far, MB. */
  peakRssMB: number;
}

export interface BenchOptions extends DatasetOptions {
  seed?: number;
  model?: string | Preset;
  batchSize?: number;
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
  const preset = resolvePreset({ model: o.model, batchSize: o.batchSize });
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
  };
}

export interface ScalingPoint {
  method: MethodName;
  /** 'hidden' (batch 20) or 'batch' (hidden 500). */
  sweep: 'hidden' | 'batch';
  hidden: number;
  batchSize: number;
  /** Training seconds per 1,000 examples. */
  secondsPer1k: number;
}

/**
 * Seconds per 1,000 training examples as the hidden layer grows (batch 20) and with the batch size
 * (hidden 500), on the first `examples` training images of the paper split.
 */
export async function benchScaling(
  methods: MethodName[],
  o: { hidden?: number[]; batch?: number[]; examples?: number; seed?: number; onPoint?: (p: ScalingPoint) => void } = {},
): Promise<ScalingPoint[]> {
  const hidden = o.hidden ?? [100, 500, 2000];
  const batch = o.batch ?? [1, 20, 100];
  const examples = o.examples ?? 1000;
  const data = await loadDataset({ split: 'paper', trainSize: examples, testSize: 100 });
  const base = resolvePreset({});
  const out: ScalingPoint[] = [];
  const run = async (method: MethodName, sweep: ScalingPoint['sweep'], h: number, bs: number) => {
    const preset: Preset = { ...structuredClone(base), layers: [base.layers[0], h, base.layers[base.layers.length - 1]], batchSize: bs };
    const r = await benchMethod(method, { data, model: preset, seed: o.seed });
    const p: ScalingPoint = { method, sweep, hidden: h, batchSize: bs, secondsPer1k: (r.secondsPerEpoch * 1000) / (Math.floor(examples / bs) * bs) };
    out.push(p);
    o.onPoint?.(p);
  };
  for (const method of methods) {
    for (const h of hidden) await run(method, 'hidden', h, base.batchSize);
    for (const bs of batch) await run(method, 'batch', base.layers[1], bs);
  }
  return out;
}
