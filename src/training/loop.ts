/**
 * The one training loop: seeded shuffling, batches, persistent particles, per-epoch metrics,
 * progress callbacks, divergence checks and exact checkpoint/resume. TCL, EP and BP plug in
 * as a `TrainingMethod`; nothing here knows which one runs.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/index.ts';
import { DivergedError, TclError } from '../errors.ts';
import type { EnergyNetwork } from '../layers/energy-network.ts';
import { evaluate } from './evaluate.ts';
import { Rng } from '../rng.ts';
import { lrScale, type LrSchedule } from './preset.ts';
import type { PhaseTimer, TrainingMethod } from './types.ts';

export interface EpochMetrics {
  epoch: number;
  /** Error of the predictions made during the epoch, before each batch's update. */
  trainErrorRunning: number;
  /** Error on the training set after the epoch (null when skipped). */
  trainError: number | null;
  testError: number;
  /** Training time of the epoch (no evaluation), seconds. */
  seconds: number;
  evalSeconds: number;
  examplesPerSecond: number;
  /** Relaxation steps evaluation needed until predictions were stable. */
  evalRelaxationSteps: number;
  /** Learning-rate factor from the schedule at the epoch's first batch (1 for a constant lr). */
  lrScale: number;
  /** Where the training time went (ms): relaxation, synapse update, data, other. */
  breakdownMs: Record<string, number>;
}

/** Everything needed to continue training exactly where it stopped. */
export interface LoopState {
  /** Completed epochs. */
  epoch: number;
  /** Batches done in the current epoch (0 at an epoch boundary). */
  batchIndex: number;
  /** Shuffle of the current epoch. */
  perm: number[] | null;
  rngShuffle: number;
  rngMethod: number;
  wrong: number;
  seen: number;
  secondsSoFar: number;
  metrics: EpochMetrics[];
}

export interface LoopOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Keep each example's free state between epochs (Scellier's persistent particles). */
  persistent: boolean;
  /** Learning-rate schedule (default constant). */
  lrSchedule?: LrSchedule;
  /** Also measure the error on the whole training set after each epoch (costs an evaluation pass). */
  evalTrain?: boolean;
  onBatch?: (p: { epoch: number; batch: number; batches: number; runningError: number }) => void;
  onEpoch?: (m: EpochMetrics) => void | Promise<void>;
  /** Polled after every batch; when true the loop stops (state stays resumable). */
  shouldStop?: () => boolean;
}

export class TrainingLoop {
  state: LoopState;
  /** Persistent particles: per layer k ≥ 1, [n × n_k]. */
  particles: Float32Array[] | null;
  private shuffle: Rng;
  private methodRng: Rng;

  constructor(
    readonly net: EnergyNetwork,
    readonly data: Dataset,
    readonly method: TrainingMethod,
    readonly opts: LoopOptions,
    resume?: { state: LoopState; particles: Float32Array[] | null },
  ) {
    this.shuffle = new Rng(opts.seed * 2 + 1);
    this.methodRng = new Rng(opts.seed * 2 + 2);
    this.state = resume?.state ?? {
      epoch: 0, batchIndex: 0, perm: null,
      rngShuffle: this.shuffle.snapshot, rngMethod: this.methodRng.snapshot,
      wrong: 0, seen: 0, secondsSoFar: 0, metrics: [],
    };
    this.shuffle.snapshot = this.state.rngShuffle;
    this.methodRng.snapshot = this.state.rngMethod;
    const n = data.train.n;
    this.particles = resume?.particles ?? (opts.persistent && method.inference === 'relaxation' ? net.sizes.slice(1).map((nk) => new Float32Array(n * nk)) : null);
    net.relaxation.inference = method.inference;
  }

  get finished(): boolean {
    return this.state.epoch >= this.opts.epochs;
  }

  /** Runs until all epochs are done or `shouldStop` says stop; returns true when finished. */
  async run(): Promise<boolean> {
    const { train } = this.data;
    const B = this.opts.batchSize;
    const batches = Math.floor(train.n / B);
    if (batches < 1) throw new TclError(`batch size ${B} is larger than the training set (${train.n} examples)`);
    const d = train.inputSize;
    const C = this.data.numClasses;
    const sizes = this.net.sizes;
    if (sizes[0] !== d) throw new TclError(`shape mismatch: the model's input layer has ${sizes[0]} units but ${this.data.name} images have ${d} pixels`);
    if (sizes[sizes.length - 1] !== C) throw new TclError(`shape mismatch: the model's output layer has ${sizes[sizes.length - 1]} units but ${this.data.name} has ${C} classes`);
    const xb = new Float32Array(B * d);
    const tb = new Float32Array(B * C);
    while (!this.finished) {
      const s = this.state;
      if (s.batchIndex === 0 && s.perm === null) {
        s.perm = Array.from(this.shuffle.permutation(train.n));
        s.wrong = 0;
        s.seen = 0;
        s.secondsSoFar = 0;
      }
      const perm = s.perm as number[];
      const timer: PhaseTimer = {};
      const t0 = performance.now();
      let lastYield = t0;
      for (; s.batchIndex < batches; ) {
        const bi = s.batchIndex;
        const idx = perm.slice(bi * B, bi * B + B);
        const tData = performance.now();
        tb.fill(0);
        for (let r = 0; r < B; r++) {
          xb.set(train.images.subarray(idx[r] * d, idx[r] * d + d), r * d);
          tb[r * C + train.labels[idx[r]]] = 1;
        }
        const x = tf.tensor2d(xb, [B, d]);
        const target = tf.tensor2d(tb, [B, C]);
        const init = this.particles ? this.particles.map((P, k) => gatherRows(P, idx, sizes[k + 1])) : undefined;
        timer.data = (timer.data ?? 0) + performance.now() - tData;
        const scale = this.lrScaleAt(s.epoch, bi, batches);
        const res = this.method.step(this.net, { x, target, init }, { rng: this.methodRng, lastBatchOfEpoch: bi === batches - 1, lrScale: scale, timer });
        const tOut = performance.now();
        const out = res.output.dataSync() as Float32Array;
        for (let r = 0; r < B; r++) {
          let best = 0;
          for (let c = 1; c < C; c++) if (out[r * C + c] > out[r * C + best]) best = c;
          if (best !== train.labels[idx[r]]) s.wrong++;
        }
        if (!out.every(Number.isFinite)) {
          throw new DivergedError(`training diverged: NaN/Inf in the outputs at epoch ${s.epoch + 1}, batch ${bi + 1} (try a smaller learning rate)`);
        }
        if (this.particles && res.free) {
          res.free.forEach((t, k) => scatterRows(this.particles![k], idx, sizes[k + 1], t.dataSync() as Float32Array));
        }
        const owned = new Set<tf.Tensor>([res.output, ...(res.free ?? []), x, target, ...(init ?? [])]);
        owned.forEach((t) => t.dispose());
        s.seen += B;
        s.batchIndex++;
        timer.data += performance.now() - tOut;
        this.opts.onBatch?.({ epoch: s.epoch + 1, batch: s.batchIndex, batches, runningError: s.wrong / s.seen });
        if (this.opts.shouldStop?.() && s.batchIndex < batches) {
          s.secondsSoFar += (performance.now() - t0) / 1000;
          this.snapshotRngs();
          return false;
        }
        // An epoch is one synchronous stretch otherwise: give the event loop a turn every 100 ms so
        // that Ctrl-C, a sweep child's IPC (progress, stop) and a queue worker's lock renewal run.
        if (performance.now() - lastYield > 100) {
          await new Promise((r) => setImmediate(r));
          lastYield = performance.now();
        }
      }
      const seconds = s.secondsSoFar + (performance.now() - t0) / 1000;
      this.checkFinite();
      const te = performance.now();
      const test = evaluate(this.net, this.data.test);
      const trainErr = this.opts.evalTrain ? evaluate(this.net, this.data.train).error : null;
      const evalSeconds = (performance.now() - te) / 1000;
      const known = Object.values(timer).reduce((a, b) => a + b, 0);
      const m: EpochMetrics = {
        epoch: s.epoch + 1,
        trainErrorRunning: s.wrong / s.seen,
        trainError: trainErr,
        testError: test.error,
        seconds,
        evalSeconds,
        examplesPerSecond: s.seen / seconds,
        evalRelaxationSteps: test.relaxationSteps,
        lrScale: this.lrScaleAt(s.epoch, 0, batches),
        breakdownMs: { ...roundAll(timer), other: Math.max(0, Math.round(seconds * 1000 - known)) },
      };
      s.metrics.push(m);
      s.epoch++;
      s.batchIndex = 0;
      s.perm = null;
      this.snapshotRngs();
      await this.opts.onEpoch?.(m);
      if (this.opts.shouldStop?.()) return this.finished;
    }
    return true;
  }

  private lrScaleAt(epoch: number, batch: number, batches: number): number {
    return this.opts.lrSchedule ? lrScale(this.opts.lrSchedule, epoch + batch / batches, this.opts.epochs) : 1;
  }

  private snapshotRngs() {
    this.state.rngShuffle = this.shuffle.snapshot;
    this.state.rngMethod = this.methodRng.snapshot;
  }

  /** Throws when a weight is NaN or infinite (the last good checkpoint stays as it is). */
  checkFinite(): void {
    const bad = tf.tidy(() => {
      const flags = this.net.couplingLayers.flatMap((l) => [l.kernel, l.bias].map((v) => tf.any(tf.logicalNot(tf.isFinite(v.read())))));
      return tf.any(tf.stack(flags)).dataSync()[0];
    });
    if (bad) throw new DivergedError(`training diverged: NaN/Inf in the weights after epoch ${this.state.epoch + 1} (try a smaller learning rate)`);
  }
}

function roundAll(t: PhaseTimer): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v)]));
}

function gatherRows(P: Float32Array, idx: number[], n: number): tf.Tensor2D {
  const out = new Float32Array(idx.length * n);
  idx.forEach((i, r) => out.set(P.subarray(i * n, i * n + n), r * n));
  return tf.tensor2d(out, [idx.length, n]);
}

function scatterRows(P: Float32Array, idx: number[], n: number, v: Float32Array): void {
  idx.forEach((i, r) => P.set(v.subarray(r * n, r * n + n), i * n));
}
