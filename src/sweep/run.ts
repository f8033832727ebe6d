/**
 * One run of a sweep, trained in the calling process: what a local child process and a BullMQ
 * worker both call. A run's directory is its whole state: `run.json` (this record, written last
 * and atomically) marks it finished; a checkpoint there (`trainer-state.json`) is continued
 * exactly as `train --resume` does; anything else starts fresh.
 *
 *   const rec = await trainRun({ id: 'seed-0', config: { method: 'ep', epochs: 1, trainSize: 500 }, group: 'EP', seed: 0, dir: '/tmp/s/runs/seed-0' });
 *   rec.status; // 'done'
 */
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../backend.ts';
import { loadDataset, type Dataset, type DatasetOptions } from '../data/index.ts';
import { TclError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { trainNetwork, type TrainConfig } from '../training/train.ts';
import type { RunConfig, RunHooks, RunJob, RunRecord } from './types.ts';

/** The finished run's record in its directory. */
export const RUN_FILE = 'run.json';
/** The checkpoint's commit file (written last by trainNetwork): its presence means "resumable". */
const CHECKPOINT_FILE = 'trainer-state.json';

function sameConfig(a: RunConfig, b: RunConfig): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/**
 * The finished record in `job.dir`, or null when the run is not finished there (no run.json, or
 * one of a failed attempt). A run.json of another configuration is an error: the directory
 * belongs to a different run.
 */
export function finishedRun(job: RunJob): RunRecord | null {
  const f = path.join(job.dir, RUN_FILE);
  if (!fs.existsSync(f)) return null;
  let rec: RunRecord;
  try {
    rec = JSON.parse(fs.readFileSync(f, 'utf8')) as RunRecord;
  } catch (e) {
    throw new TclError(`${f}: not a readable run record (${(e as Error).message.split('\n')[0]})`);
  }
  if (!sameConfig(rec.config ?? {}, job.config)) throw new TclError(`${f}: holds a run with other settings than '${job.id}' (start over with --force)`);
  if (rec.status !== 'done' || !rec.summary) return null;
  return { ...rec, id: job.id, group: job.group, dir: job.dir, skipped: true };
}

/** Train's settings from a run's config (the keys are train's options; validated by the spec). */
function trainConfig(c: RunConfig): TrainConfig {
  return c as unknown as TrainConfig;
}

// A worker that trains many runs of one dataset in turn reads it once.
let cachedData: { key: string; data: Dataset } | undefined;
async function dataFor(c: TrainConfig): Promise<Dataset> {
  const opts: DatasetOptions = { dataset: c.dataset, dataDir: c.dataDir, split: c.split ?? 'paper', trainSize: c.trainSize, testSize: c.testSize };
  const key = JSON.stringify(opts);
  if (cachedData?.key !== key) cachedData = { key, data: await loadDataset(opts) };
  return cachedData.data;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}

/**
 * Trains one run in this process: skipped (its record read back, `skipped: true`) when its
 * directory holds a finished run, resumed from the checkpoint there when there is one, else
 * trained from scratch with its directory as `out`. Never throws for a run that fails: a
 * TclError (bad data, divergence, …) or any other error gives `status: 'failed'` with the
 * one-line message. `hooks.shouldStop` stops it after the current batch with a resumable
 * checkpoint (then `status: 'failed'`, `interrupted: true`).
 */
export async function trainRun(job: RunJob, hooks: RunHooks = {}): Promise<RunRecord> {
  const base = { id: job.id, config: job.config, group: job.group, seed: job.seed, dir: job.dir };
  let done: RunRecord | null;
  try {
    done = finishedRun(job);
  } catch (e) {
    const rec: RunRecord = { ...base, status: 'failed', error: oneLine(e) };
    hooks.onEnd?.(rec);
    return rec;
  }
  if (done) {
    hooks.onEnd?.(done);
    return done;
  }
  hooks.onStart?.(job);
  let rec: RunRecord;
  try {
    await initBackend();
    const cfg = trainConfig(job.config);
    const resume = fs.existsSync(path.join(job.dir, CHECKPOINT_FILE));
    const epochs = cfg.epochs ?? 1;
    const common = {
      epochs,
      checkpointEvery: cfg.checkpointEvery,
      data: await dataFor(cfg),
      onBatch: (p: { epoch: number; batch: number; batches: number; runningError: number }) => hooks.onProgress?.({ id: job.id, epochs, ...p }),
      shouldStop: hooks.shouldStop,
    };
    // Resumed exactly as `train --resume DIR`: the checkpoint's own settings; only the epoch target is given.
    const { net, summary } = resume
      ? await trainNetwork({ resume: job.dir, method: cfg.method, ...common })
      : await trainNetwork({ ...cfg, seed: job.seed, out: job.dir, ...common });
    net.dispose();
    if (summary.interrupted) {
      rec = { ...base, status: 'failed', interrupted: true, error: `interrupted after ${summary.epochs} of ${epochs} epochs (a checkpoint in ${job.dir} resumes it)`, summary };
    } else {
      rec = { ...base, status: 'done', summary, ...(resume ? { resumed: true } : {}) };
      await writeFileAtomic(path.join(job.dir, RUN_FILE), JSON.stringify(rec, null, 2) + '\n');
    }
  } catch (e) {
    rec = { ...base, status: 'failed', error: oneLine(e) };
  }
  hooks.onEnd?.(rec);
  return rec;
}
