/**
 * Library entry for a whole training run: data, network from a preset, the chosen method in
 * the one loop, checkpoints (atomic, every N batches if asked, in a directory this process locks)
 * and the summary the CLI prints.
 *
 *   const { net, summary } = await trainNetwork({ method: 'tcl', epochs: 1, trainSize: 2000 });
 *   console.log(summary.testError);
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadDataset, type Dataset, type DatasetOptions } from '../data/index.ts';
import { DivergedError, TclError } from '../errors.ts';
import { settleDir, writeFilesAtomic } from '../io/atomic.ts';
import { acquireDirLock, type DirLock } from '../io/lock.ts';
import { loadNetwork, networkFiles } from '../io/network-io.ts';
import type { EnergyNetwork } from '../layers/energy-network.ts';
import { evaluate } from './evaluate.ts';
import { TrainingLoop, type EpochMetrics, type LoopState } from './loop.ts';
import { makeMethod, networkFromPreset } from './build.ts';
import { NUDGINGS, nudgingOf, parseDeadZone, parseLrSchedule, validatePreset, type Nudging, type Preset, type ProtocolName, type TclHyper } from './preset.ts';
import { loadPreset } from './preset-files.ts';
import type { MethodName, TrainingMethod } from './types.ts';

export interface TrainConfig extends DatasetOptions {
  /** Required for a new run; a resumed run continues with the checkpoint's method. */
  method?: MethodName;
  /** Preset name, JSON path, or a preset object (default: the paper's MNIST network). */
  model?: string | Preset;
  epochs?: number;
  batchSize?: number;
  seed?: number;
  /** TCL nudging protocol (sawtooth learns; reversed and triangle are controls). */
  protocol?: ProtocolName;
  /** TCL overrides. */
  tclUpdate?: TclHyper['update'];
  deadZone?: string;
  cycle?: TclHyper['cycle'];
  /** Nudging variant for EP and TCL: 'random-sign' (the preset default) | 'positive' | 'negative' | 'centered'. */
  nudging?: Nudging;
  /** Learning-rate schedule for any method: 'constant' | 'exp:G' | 'cosine[:F]' (default: the preset's). */
  lrSchedule?: string;
  /** Directory for the model, metrics.json and checkpoints. */
  out?: string;
  /**
   * Continue a run from its checkpoint directory. Settings given beside it must equal the
   * checkpoint's (a differing one is refused, naming both values); `epochs` may raise the target.
   */
  resume?: string;
  /**
   * Also checkpoint every N batches within an epoch (default: only at the end of each epoch and
   * when stopped), so that a crash loses at most N batches. Needs `out` (or `resume`).
   */
  checkpointEvery?: number;
  /** Also compute the error on the whole training set after each epoch. */
  evalTrain?: boolean;
  /** Preloaded data (skips loading). */
  data?: Dataset;
  onBatch?: (p: { epoch: number; batch: number; batches: number; runningError: number }) => void;
  onEpoch?: (m: EpochMetrics) => void;
  /** Polled after every batch: return true to stop (a resumable checkpoint is written when `out` is set). */
  shouldStop?: () => boolean;
}

export interface TrainSummary {
  method: MethodName;
  protocol?: ProtocolName;
  /** EP and TCL: the nudging variant the run used. */
  nudging?: Nudging;
  dataset: string;
  split: string;
  splitDescription: string;
  backend: string;
  model: string;
  layers: number[];
  epochs: number;
  trainSize: number;
  testSize: number;
  trainError: number | null;
  trainErrorRunning: number;
  testError: number;
  secondsPerEpoch: number;
  examplesPerSecond: number;
  seed: number;
  interrupted: boolean;
  out: string | null;
  metrics: EpochMetrics[];
}

const STATE_FILE = 'trainer-state.json';
const PARTICLES_FILE = 'particles.bin';
const METRICS_FILE = 'metrics.json';
const METHOD_STATE_FILE = 'optimizer.bin';

/** The preset with the config's overrides applied. */
export function resolvePreset(cfg: Pick<TrainConfig, 'model' | 'batchSize' | 'protocol' | 'tclUpdate' | 'deadZone' | 'cycle' | 'lrSchedule' | 'nudging'>): Preset {
  // A preset object from a caller is checked like a file (and gets the same defaults).
  const p: Preset = typeof cfg.model === 'object' ? validatePreset(structuredClone(cfg.model), 'model preset') : loadPreset(cfg.model);
  if (cfg.batchSize != null) p.batchSize = cfg.batchSize;
  if (cfg.protocol) p.tcl.protocol = cfg.protocol;
  if (cfg.tclUpdate) p.tcl.update = cfg.tclUpdate;
  if (cfg.cycle) p.tcl.cycle = cfg.cycle;
  if (cfg.deadZone) {
    parseDeadZone(cfg.deadZone);
    p.tcl.deadZone = cfg.deadZone;
  }
  if (cfg.nudging) {
    if (!NUDGINGS.includes(cfg.nudging)) throw new TclError(`nudging must be one of ${NUDGINGS.join(', ')}, got '${cfg.nudging}'`);
    p.ep.nudging = cfg.nudging;
    p.tcl.nudging = cfg.nudging;
  }
  if (cfg.lrSchedule) {
    parseLrSchedule(cfg.lrSchedule);
    p.lrSchedule = cfg.lrSchedule;
  }
  return p;
}

interface SavedState {
  version: 1;
  method: MethodName;
  preset: Preset;
  seed: number;
  epochs: number;
  data: { dataset: string; split: string; trainSize: number; testSize: number; dataDir?: string };
  loop: LoopState;
  hasParticles: boolean;
  /** Layout of optimizer.bin (the method's own state, e.g. Adam's moments), when it has any. */
  methodState?: tf.io.WeightsManifestEntry[];
}

/**
 * Model, particles, loop state and metrics as one atomic set (trainer-state.json last), so a
 * crash never leaves the weights of one epoch beside the state of another.
 */
async function writeCheckpoint(dir: string, net: EnergyNetwork, loop: TrainingLoop, saved: Omit<SavedState, 'loop' | 'hasParticles'>, info: Record<string, string>) {
  const files = await networkFiles(net, dir, info);
  const methodState = (await loop.method.saveState?.()) ?? [];
  let specs: tf.io.WeightsManifestEntry[] | undefined;
  if (methodState.length) {
    try {
      const enc = await tf.io.encodeWeights(methodState);
      files[METHOD_STATE_FILE] = new Uint8Array(enc.data);
      specs = enc.specs;
    } finally {
      tf.dispose(methodState.map((w) => w.tensor));
    }
  }
  if (loop.particles) {
    const total = loop.particles.reduce((a, p) => a + p.length, 0);
    const buf = new Float32Array(total);
    let o = 0;
    for (const p of loop.particles) {
      buf.set(p, o);
      o += p.length;
    }
    files[PARTICLES_FILE] = new Uint8Array(buf.buffer);
  }
  files[METRICS_FILE] = JSON.stringify({ method: saved.method, epochs: loop.state.metrics }, null, 2);
  const state: SavedState = { ...saved, loop: loop.state, hasParticles: !!loop.particles, methodState: specs };
  files[STATE_FILE] = JSON.stringify(state);
  await writeFilesAtomic(dir, files, { commitFile: STATE_FILE });
}

/** Reads optimizer.bin back into the method (e.g. Adam's moments). */
async function restoreMethodState(method: TrainingMethod, dir: string, specs: tf.io.WeightsManifestEntry[]): Promise<void> {
  const f = path.join(dir, METHOD_STATE_FILE);
  if (!fs.existsSync(f)) throw new TclError(`${f}: missing (the checkpoint state says the optimizer has state)`);
  const raw = fs.readFileSync(f);
  const expected = specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1) * 4, 0);
  if (raw.byteLength !== expected) throw new TclError(`${f}: ${raw.byteLength} bytes, the checkpoint state expects ${expected}`);
  const map = tf.io.decodeWeights(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength), specs);
  const list = specs.map((s) => ({ name: s.name, tensor: map[s.name] }));
  try {
    await method.loadState?.(list);
  } finally {
    tf.dispose(list.map((w) => w.tensor));
  }
}

/** `cfg` keys as the CLI spells them, for messages about a resumed run. */
const FLAG: Record<string, string> = {
  method: '--method', model: '--model', batchSize: '--batch-size', seed: '--seed', dataset: '--dataset', dataDir: '--data-dir',
  split: '--split', trainSize: '--train-size', testSize: '--test-size', protocol: '--protocol', tclUpdate: '--tcl-update',
  deadZone: '--dead-zone', cycle: '--cycle', lrSchedule: '--lr-schedule', nudging: '--nudging',
};

/** Keys in sorted order, so that two presets compare by content. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

/**
 * A resumed run continues exactly as checkpointed: every setting given beside `resume` must equal
 * the checkpoint's, so that re-running the original command with `--resume DIR` works. Throws
 * one line listing each differing setting with both values.
 */
function checkResumeConfig(cfg: TrainConfig, saved: SavedState, dir: string): void {
  const p = saved.preset;
  const differ: string[] = [];
  const same = (key: keyof typeof FLAG, given: unknown, theirs: unknown) => {
    if (given !== undefined && canonical(given) !== canonical(theirs)) differ.push(`${FLAG[key]} ${String(given)} (the checkpoint has ${String(theirs)})`);
  };
  same('method', cfg.method, saved.method);
  same('seed', cfg.seed, saved.seed);
  same('dataset', cfg.dataset ?? (cfg.dataDir !== undefined ? 'idx' : undefined), saved.data.dataset);
  if (cfg.dataDir !== undefined && path.resolve(cfg.dataDir) !== path.resolve(saved.data.dataDir ?? '')) {
    differ.push(`--data-dir ${cfg.dataDir} (the checkpoint has ${saved.data.dataDir ?? 'none'})`);
  }
  same('split', cfg.split, saved.data.split);
  same('trainSize', cfg.trainSize, saved.data.trainSize);
  same('testSize', cfg.testSize, saved.data.testSize);
  same('batchSize', cfg.batchSize, p.batchSize);
  same('protocol', cfg.protocol, p.tcl.protocol ?? 'sawtooth');
  same('tclUpdate', cfg.tclUpdate, p.tcl.update);
  same('deadZone', cfg.deadZone, p.tcl.deadZone);
  same('cycle', cfg.cycle, p.tcl.cycle);
  same('lrSchedule', cfg.lrSchedule, p.lrSchedule ?? 'constant');
  if (saved.method !== 'bp') same('nudging', cfg.nudging, nudgingOf(p[saved.method]));
  if (cfg.model !== undefined) {
    // The preset as given, with the settings that flags override taken from the checkpoint (compared above).
    const fresh = resolvePreset({ model: cfg.model, batchSize: p.batchSize, protocol: p.tcl.protocol, tclUpdate: p.tcl.update, deadZone: p.tcl.deadZone, cycle: p.tcl.cycle, lrSchedule: p.lrSchedule });
    // --nudging overrides both sections; compared above, so the checkpoint's are taken.
    for (const m of ['ep', 'tcl'] as const) {
      if (p[m].nudging === undefined) delete fresh[m].nudging;
      else fresh[m].nudging = p[m].nudging;
    }
    if (canonical(fresh) !== canonical(p)) {
      const given = typeof cfg.model === 'string' ? cfg.model : `object '${cfg.model.name}'`;
      differ.push(`--model ${given} (its hyperparameters differ from the checkpoint's preset '${p.name}')`);
    }
  }
  if (differ.length) throw new TclError(`--resume ${dir}: a resumed run keeps the checkpoint's settings; these differ: ${differ.join('; ')}`);
}

/** Trains a network with TCL, EP or BP; see `TrainConfig`. */
export async function trainNetwork(cfg: TrainConfig): Promise<{ net: EnergyNetwork; summary: TrainSummary }> {
  if (cfg.checkpointEvery !== undefined && !(Number.isInteger(cfg.checkpointEvery) && cfg.checkpointEvery >= 1)) {
    throw new TclError(`checkpointEvery must be an integer >= 1 (batches), got ${cfg.checkpointEvery}`);
  }
  const out = cfg.out ?? cfg.resume ?? null;
  if (cfg.checkpointEvery !== undefined && !out) throw new TclError('--checkpoint-every needs --out DIR (or --resume DIR) to write the checkpoints to');
  // One writer per run directory; a second train or sweep writing there fails naming this process.
  const lock: DirLock | null = out ? await acquireDirLock(out, 'train') : null;
  try {
    return await trainLocked(cfg, out);
  } finally {
    await lock?.release();
  }
}

async function trainLocked(cfg: TrainConfig, out: string | null): Promise<{ net: EnergyNetwork; summary: TrainSummary }> {
  let resumeState: SavedState | undefined;
  if (cfg.resume) {
    await settleDir(cfg.resume); // finishes a checkpoint write a killed run left half-done
    const f = path.join(cfg.resume, STATE_FILE);
    if (!fs.existsSync(f)) throw new TclError(`${cfg.resume}: no ${STATE_FILE} here, not a training checkpoint`);
    try {
      resumeState = JSON.parse(fs.readFileSync(f, 'utf8')) as SavedState;
    } catch (e) {
      throw new TclError(`${f}: not a readable checkpoint state (${(e as Error).message.split('\n')[0]})`);
    }
    checkResumeConfig(cfg, resumeState, cfg.resume);
  }
  const methodName = resumeState?.method ?? cfg.method;
  if (!methodName) throw new TclError('no training method given (tcl, ep or bp)');
  const preset = resumeState?.preset ?? resolvePreset(cfg);
  const seed = resumeState?.seed ?? cfg.seed ?? 0;
  const epochs = cfg.epochs ?? resumeState?.epochs ?? 1;
  const dataOpts: DatasetOptions = resumeState
    ? { dataset: resumeState.data.dataset, split: resumeState.data.split as DatasetOptions['split'], trainSize: resumeState.data.trainSize, testSize: resumeState.data.testSize, dataDir: resumeState.data.dataDir }
    : { dataset: cfg.dataset, dataDir: cfg.dataDir, split: cfg.split ?? 'paper', trainSize: cfg.trainSize, testSize: cfg.testSize };
  const data = cfg.data ?? (await loadDataset(dataOpts));
  const method = makeMethod(methodName, preset);
  let net: EnergyNetwork;
  let particles: Float32Array[] | null = null;
  if (resumeState && cfg.resume) {
    net = (await loadNetwork(cfg.resume)).net;
    if (resumeState.hasParticles) {
      const pf = path.join(cfg.resume, PARTICLES_FILE);
      if (!fs.existsSync(pf)) throw new TclError(`${pf}: missing (the checkpoint state says it has persistent particles)`);
      const raw = fs.readFileSync(pf);
      const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      particles = [];
      let o = 0;
      for (const nk of net.sizes.slice(1)) {
        particles.push(all.slice(o, o + data.train.n * nk));
        o += data.train.n * nk;
      }
      if (o !== all.length) throw new TclError(`${cfg.resume}/${PARTICLES_FILE}: size does not match the model and data (${all.length} vs ${o} values)`);
    }
    if (resumeState.methodState) await restoreMethodState(method, cfg.resume, resumeState.methodState);
  } else {
    net = networkFromPreset(preset, seed, methodName);
  }
  const loop = new TrainingLoop(
    net,
    data,
    method,
    {
      epochs,
      batchSize: preset.batchSize,
      seed,
      persistent: preset.persistent,
      lrSchedule: parseLrSchedule(preset.lrSchedule ?? 'constant'),
      evalTrain: cfg.evalTrain,
      onBatch: cfg.onBatch,
      shouldStop: cfg.shouldStop,
      checkpointEvery: cfg.checkpointEvery,
    },
    resumeState ? { state: resumeState.loop, particles } : undefined,
  );
  const saved = {
    version: 1 as const,
    method: methodName,
    preset,
    seed,
    epochs,
    data: { dataset: data.name, split: data.split, trainSize: data.train.n, testSize: data.test.n, dataDir: dataOpts.dataDir },
  };
  const info = () => ({
    method: methodName,
    dataset: data.name,
    split: data.split,
    test_error: String(loop.state.metrics.at(-1)?.testError ?? ''),
    epochs: String(loop.state.epoch),
    seed: String(seed),
    preset: preset.name,
    ...(methodName === 'tcl' ? { protocol: preset.tcl.protocol ?? 'sawtooth' } : {}),
  });
  loop.opts.onEpoch = async (m) => {
    cfg.onEpoch?.(m);
    if (out) await writeCheckpoint(out, net, loop, saved, info());
  };
  if (out) loop.opts.onCheckpoint = () => writeCheckpoint(out, net, loop, saved, info());
  let finished: boolean;
  try {
    finished = await loop.run();
    // Interrupted mid-epoch: a resumable checkpoint (before the method, e.g. Adam, is disposed).
    if (!finished && out && loop.state.batchIndex > 0) await writeCheckpoint(out, net, loop, saved, info());
  } catch (e) {
    if (e instanceof DivergedError && out) {
      const good = loop.state.metrics.length;
      throw new DivergedError(`${e.message}; ${good ? `the last good checkpoint (epoch ${good}) is in ${out}` : 'no checkpoint was written'}`);
    }
    throw e;
  } finally {
    method.dispose?.();
  }
  const ms = loop.state.metrics;
  const last = ms.at(-1);
  // The final model's error on the whole training set, once (per epoch only with evalTrain).
  const trainError = last && finished ? (last.trainError ?? evaluate(net, data.train).error) : (last?.trainError ?? null);
  const summary: TrainSummary = {
    method: methodName,
    protocol: methodName === 'tcl' ? preset.tcl.protocol : undefined,
    nudging: methodName === 'bp' ? undefined : preset[methodName].nudging,
    dataset: data.name,
    split: data.split,
    splitDescription: data.description,
    backend: tf.getBackend(),
    model: preset.name,
    layers: net.sizes,
    epochs: loop.state.epoch,
    trainSize: data.train.n,
    testSize: data.test.n,
    trainError,
    trainErrorRunning: last?.trainErrorRunning ?? NaN,
    testError: last?.testError ?? NaN,
    secondsPerEpoch: ms.length ? ms.reduce((a, m) => a + m.seconds, 0) / ms.length : NaN,
    examplesPerSecond: ms.length ? ms.reduce((a, m) => a + m.examplesPerSecond, 0) / ms.length : NaN,
    seed,
    interrupted: !finished,
    out,
    metrics: ms,
  };
  return { net, summary };
}
