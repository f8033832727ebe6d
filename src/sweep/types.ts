/**
 * What a sweep (and `compare`, which is a sweep over method × seed) hands to its report: one
 * record per run. The engine (src/sweep/) fills them; the statistics and the report
 * (src/report/) read them and never train anything.
 */
import type { TrainSummary } from '../training/train.ts';

/** One run's settings: `train`'s options in camelCase, the seed included (what a spec's base + grid give). */
export type RunConfig = Record<string, string | number | boolean>;

export interface RunRecord {
  /** Directory name of the run under the sweep directory, from its varying keys (e.g. `method-tcl_deadZone-fixed_seed-1`). */
  id: string;
  /** The run's whole configuration, seed included. */
  config: RunConfig;
  /** Label of its configuration, everything but the seed (e.g. `TCL`, or `method=tcl, deadZone=fixed`); runs with the same group are seeds of one setting. */
  group: string;
  seed: number;
  status: 'done' | 'failed';
  /** The one-line error of a failed run. */
  error?: string;
  /** The finished run's summary, with every epoch's metrics (`summary.metrics`). */
  summary?: TrainSummary;
  /** The run's directory (model, metrics.json, checkpoints). */
  dir: string;
  /** True when the run was finished already: its record was read back from its directory, nothing trained. */
  skipped?: boolean;
  /** True when it continued from a checkpoint in its directory (an interrupted earlier attempt). */
  resumed?: boolean;
  /** True when it stopped on request (`RunHooks.shouldStop`, Ctrl-C) with a resumable checkpoint; status is 'failed'. */
  interrupted?: boolean;
}

/** One run to do: what the engine hands to an executor (local child processes or BullMQ workers). */
export interface RunJob {
  id: string;
  config: RunConfig;
  group: string;
  seed: number;
  /** Absolute directory of the run: it holds the checkpoint a resumed run continues from. */
  dir: string;
}

export interface RunProgress {
  id: string;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  runningError: number;
}

export interface RunHooks {
  onStart?: (job: RunJob) => void;
  onProgress?: (p: RunProgress) => void;
  onEnd?: (r: RunRecord) => void;
  /** Polled after every batch: true stops the run with a resumable checkpoint. */
  shouldStop?: () => boolean;
}

/** Where a sweep's runs execute: child processes on this machine, or workers on a BullMQ queue. */
export interface RunExecutor {
  run(jobs: RunJob[], hooks: RunHooks): Promise<RunRecord[]>;
  close?(): Promise<void>;
}
