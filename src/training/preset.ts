/**
 * Model presets: the architecture and every method's hyperparameters in one readable JSON
 * (models/*.json), as EP research code keeps one dictionary per experiment. This module is the
 * types and their validation (no file access, so the browser bundle can use it); reading the
 * files is preset-files.ts.
 */
import { TclError } from '../errors.ts';
import type { Schedule } from '../network/config.ts';

import type { ProtocolName } from '../synapse/protocols.ts';
export type { ProtocolName };

/**
 * How β is applied per batch (EP and TCL alike; Scellier, Ernoult, Kendall & Kumar 2023 compare them):
 * - 'random-sign': one nudged phase at ±β, the sign drawn per batch (the paper's and Scellier's
 *   code; the O(β) bias of the one-sided estimate averages out over batches);
 * - 'positive' / 'negative': one nudged phase at +β / −β every batch (one-sided, biased by O(β));
 * - 'centered': two nudged phases at +β and −β, update ∝ (ρρᵀ(s^{+β}) − ρρᵀ(s^{−β}))/2β
 *   (bias O(β²); the comparative study's best variant). TCL: see methods/tcl-cycle.ts.
 */
export type Nudging = 'random-sign' | 'positive' | 'negative' | 'centered';
export const NUDGINGS: readonly Nudging[] = ['random-sign', 'positive', 'negative', 'centered'];

/** A preset section's nudging: `nudging`, else the older `randomSign` flag (true → 'random-sign', false → 'positive'). */
export function nudgingOf(h: { nudging?: Nudging; randomSign?: boolean }): Nudging {
  return h.nudging ?? (h.randomSign === false ? 'positive' : 'random-sign');
}

/**
 * The signed β of one batch's (first) nudged phase: ±β by a coin flip for 'random-sign' (one
 * `rng.sign()` draw per batch, as before), −β for 'negative', +β otherwise (centered adds −β itself).
 */
export function batchBeta(h: { beta: number; nudging?: Nudging; randomSign?: boolean }, rng: { sign(): number }): number {
  const n = nudgingOf(h);
  return n === 'random-sign' ? h.beta * rng.sign() : n === 'negative' ? -h.beta : h.beta;
}

export interface EpHyper {
  beta: number;
  /** Nudging variant (default 'random-sign', the paper's). */
  nudging?: Nudging;
  /** Older presets' spelling: true = 'random-sign', false = 'positive' (read when `nudging` is absent). */
  randomSign?: boolean;
  nudgeSteps: number;
  /** Learning rate per coupling (W_k and b_k share it). */
  lr: number[];
}

export interface TclHyper {
  beta: number;
  /** Nudging variant (default 'random-sign'); 'centered' runs the cycle between −β and +β (tcl-cycle.ts). */
  nudging?: Nudging;
  /** Older presets' spelling of `nudging` (see EpHyper). */
  randomSign?: boolean;
  /** Beta levels per ramp, including 0 and beta (9 in the paper). */
  levels: number;
  /** Relaxation steps at each beta level. */
  stepsPerLevel: number;
  /** Fraction of the cycle the fast ramp takes (0.1: tau_s/tau_f = 9). */
  fastFraction: number;
  /** 'authors': each level relaxed from the free state, down ramp reuses the states; 'continuous': each level from the previous one. */
  cycle: 'authors' | 'continuous';
  /** 'fixed' thresholds from `theta`, or 'quantile:q' (ours: per batch, the q-quantile of |u| in each group). */
  deadZone: string;
  /** Dead-zone thresholds per coupling, in the units of the authors' u (circular FIR convolution / 100). */
  theta: { W: number[]; b: number[] };
  lr: number[];
  /** 'fast' uses the kernel's linearity (filter the postsynaptic trace first); 'faithful' steps every synapse's memory in time. */
  update: 'fast' | 'faithful';
  /** The nudging protocol: sawtooth (fast up, slow down) learns; reversed and triangle are the controls. */
  protocol?: ProtocolName;
}

export interface BpHyper {
  lr: number[];
  optimizer: 'sgd' | 'adam';
  activation: 'sigmoid';
}

export interface Preset {
  name: string;
  description?: string;
  layers: number[];
  eps: number;
  freeSteps: number;
  schedule: Schedule;
  evalMaxSteps: number;
  initScale: number;
  batchSize: number;
  persistent: boolean;
  /**
   * Learning-rate schedule for every method (scales each coupling's lr): 'constant' (the paper),
   * 'exp:G' (× G after each epoch) or 'cosine' / 'cosine:F' (per batch from 1 down to F over the run).
   */
  lrSchedule?: string;
  ep: EpHyper;
  tcl: TclHyper;
  bp: BpHyper;
}

function fail(where: string, msg: string): never {
  throw new TclError(`${where}: ${msg}`);
}

export function validatePreset(raw: unknown, where = 'preset'): Preset {
  if (typeof raw !== 'object' || raw === null) fail(where, 'expected a JSON object');
  const p = raw as Preset;
  const num = (v: unknown, name: string, min = -Infinity) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) fail(where, `'${name}' must be a number >= ${min}`);
  };
  if (!Array.isArray(p.layers) || p.layers.length < 2 || !p.layers.every((n) => Number.isInteger(n) && n > 0)) {
    fail(where, "'layers' must be a list of at least two positive integers, e.g. [784, 500, 10]");
  }
  const L = p.layers.length - 1;
  num(p.eps, 'eps', 0);
  num(p.freeSteps, 'freeSteps', 1);
  num(p.evalMaxSteps, 'evalMaxSteps', 1);
  num(p.initScale, 'initScale', 0);
  num(p.batchSize, 'batchSize', 1);
  if (p.schedule !== 'synchronous' && p.schedule !== 'sequential') fail(where, "'schedule' must be 'synchronous' or 'sequential'");
  const lrs = (v: unknown, name: string) => {
    if (!Array.isArray(v) || v.length !== L || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail(where, `'${name}' must list ${L} numbers (one per coupling)`);
    }
  };
  if (!p.ep || !p.tcl || !p.bp) fail(where, "needs 'ep', 'tcl' and 'bp' sections");
  num(p.ep.beta, 'ep.beta');
  num(p.ep.nudgeSteps, 'ep.nudgeSteps', 1);
  lrs(p.ep.lr, 'ep.lr');
  num(p.tcl.beta, 'tcl.beta');
  num(p.tcl.levels, 'tcl.levels', 2);
  num(p.tcl.stepsPerLevel, 'tcl.stepsPerLevel', 1);
  num(p.tcl.fastFraction, 'tcl.fastFraction', 0);
  if (!(p.tcl.fastFraction > 0 && p.tcl.fastFraction < 1)) fail(where, "'tcl.fastFraction' must lie in (0, 1)");
  lrs(p.tcl.lr, 'tcl.lr');
  lrs(p.tcl.theta?.W, 'tcl.theta.W');
  lrs(p.tcl.theta?.b, 'tcl.theta.b');
  if (p.tcl.cycle !== 'authors' && p.tcl.cycle !== 'continuous') fail(where, "'tcl.cycle' must be 'authors' or 'continuous'");
  if (p.tcl.update !== 'fast' && p.tcl.update !== 'faithful') fail(where, "'tcl.update' must be 'fast' or 'faithful'");
  parseDeadZone(p.tcl.deadZone, where);
  for (const [sec, h] of [['ep', p.ep], ['tcl', p.tcl]] as const) {
    if (h.nudging !== undefined && !NUDGINGS.includes(h.nudging)) fail(where, `'${sec}.nudging' must be one of ${NUDGINGS.join(', ')}, got '${h.nudging}'`);
    if (h.randomSign !== undefined && typeof h.randomSign !== 'boolean') fail(where, `'${sec}.randomSign' must be true or false`);
    if (h.nudging !== undefined && h.randomSign !== undefined && h.randomSign !== (h.nudging === 'random-sign')) {
      fail(where, `'${sec}.randomSign' (the older spelling) contradicts '${sec}.nudging': give only 'nudging'`);
    }
    h.nudging = nudgingOf(h);
    delete h.randomSign;
  }
  lrs(p.bp.lr, 'bp.lr');
  if (p.bp.optimizer !== 'sgd' && p.bp.optimizer !== 'adam') fail(where, "'bp.optimizer' must be 'sgd' or 'adam'");
  p.lrSchedule = p.lrSchedule ?? 'constant';
  parseLrSchedule(p.lrSchedule, where);
  p.persistent = p.persistent ?? true;
  p.tcl.protocol = p.tcl.protocol ?? 'sawtooth';
  return p;
}

export type DeadZoneMode = { kind: 'fixed' } | { kind: 'quantile'; q: number };

/** 'fixed' | 'quantile:0.99'. */
export function parseDeadZone(s: string, where = 'dead zone'): DeadZoneMode {
  if (s === 'fixed') return { kind: 'fixed' };
  const m = /^quantile:(0?\.\d+|1(\.0*)?)$/.exec(s ?? '');
  if (m) return { kind: 'quantile', q: Number(m[1]) };
  throw new TclError(`${where}: dead zone must be 'fixed' or 'quantile:Q' with 0 < Q <= 1, got '${s}'`);
}

export type LrSchedule = { kind: 'constant' } | { kind: 'exp'; gamma: number } | { kind: 'cosine'; floor: number };

/** 'constant' | 'exp:G' (0 < G ≤ 1) | 'cosine' | 'cosine:F' (0 ≤ F ≤ 1). */
export function parseLrSchedule(s: string, where = 'lr schedule'): LrSchedule {
  if (s === 'constant') return { kind: 'constant' };
  const num = String.raw`(\d*\.?\d+(?:e-?\d+)?)`;
  const e = new RegExp(`^exp:${num}$`).exec(s ?? '');
  if (e && Number(e[1]) > 0 && Number(e[1]) <= 1) return { kind: 'exp', gamma: Number(e[1]) };
  const c = new RegExp(`^cosine(?::${num})?$`).exec(s ?? '');
  if (c && (c[1] === undefined || Number(c[1]) <= 1)) return { kind: 'cosine', floor: c[1] === undefined ? 0 : Number(c[1]) };
  throw new TclError(`${where}: lr schedule must be 'constant', 'exp:G' with 0 < G <= 1, or 'cosine[:F]' with 0 <= F <= 1, got '${s}'`);
}

/**
 * The learning-rate factor at `progress` epochs into a run of `epochs` (progress = completed
 * epochs + fraction of the current one). Exponential decay steps once per epoch, like
 * PyTorch's ExponentialLR; cosine anneals per batch, like CosineAnnealingLR.
 */
export function lrScale(schedule: LrSchedule, progress: number, epochs: number): number {
  switch (schedule.kind) {
    case 'constant':
      return 1;
    case 'exp':
      return schedule.gamma ** Math.floor(progress);
    case 'cosine':
      return schedule.floor + (1 - schedule.floor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress / epochs)));
  }
}
