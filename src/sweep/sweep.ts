/**
 * `runSweep(spec, options)`: every run of a spec into DIR/runs/<id>/, on the local executor
 * (child processes) or any other (a BullMQ queue), then one report over the seeds of each
 * configuration. A sweep directory is resumable as a whole: DIR/spec.json says what it is,
 * finished runs are skipped, interrupted ones continue from their checkpoints.
 *
 *   const spec = await readSpec('experiments/dead-zone.json');
 *   const res = await runSweep(spec, { out: 'runs/dead-zone', workers: 2 });
 *   res.records.filter((r) => r.status === 'failed');
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackendName } from '../backend.ts';
import { TclError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { acquireDirLock } from '../io/lock.ts';
import { LocalExecutor } from './local.ts';
import { finishedRun } from './run.ts';
import { canonicalSpec, expandSpec, validateSpec, type SweepSpec } from './spec.ts';
import type { RunExecutor, RunHooks, RunJob, RunRecord } from './types.ts';

export const SPEC_FILE = 'spec.json';
export const RUNS_DIR = 'runs';

export interface SweepOptions {
  /** The sweep directory: spec.json, runs/<id>/, the report. */
  out: string;
  /** Where the runs execute (default: a LocalExecutor with `workers` child processes). */
  executor?: RunExecutor;
  /** Child processes of the default local executor (default: the number of cores). */
  workers?: number;
  /** Backend of the local executor's children (default 'auto'). */
  backend?: BackendName | 'auto';
  /** Start over: a DIR holding another spec (or this one) loses its runs first. */
  force?: boolean;
  /** Progress of the runs; `shouldStop` stops them with resumable checkpoints and writes no report. */
  hooks?: RunHooks;
  /** Called once the runs are known: all of them, and those finished already (skipped). */
  onPlan?: (jobs: RunJob[], finished: RunRecord[]) => void;
  /** Write report.md, results.json and the plots (default true). */
  report?: boolean;
  /** Shown in the report: the command that ran the sweep. */
  command?: string;
  /** How the report reads: 'compare' (groups are methods, paired TCL − EP / TCL − BP) or 'sweep' (default). */
  kind?: 'compare' | 'sweep';
}

export interface SweepResult {
  name: string;
  out: string;
  /** One record per run, in the spec's order. */
  records: RunRecord[];
  counts: { runs: number; done: number; failed: number; skipped: number; resumed: number };
  /** True when stopped on request: no report was written; the same call continues. */
  interrupted: boolean;
  /** Files of the report (absolute paths), empty when none was written. */
  files: string[];
  seconds: number;
}

/**
 * Checks DIR against the spec: a new or empty DIR gets spec.json; the same spec continues; another
 * spec is refused unless `force`, which removes the old runs and starts over.
 */
async function prepareDir(out: string, text: string, force: boolean): Promise<void> {
  const specFile = path.join(out, SPEC_FILE);
  const runs = path.join(out, RUNS_DIR);
  if (fs.existsSync(specFile)) {
    const old = fs.readFileSync(specFile, 'utf8');
    if (force) fs.rmSync(runs, { recursive: true, force: true });
    else if (old !== text) throw new TclError(`${out}: holds a sweep of another spec (${specFile} differs); use another --out, or --force to start over`);
  } else if (fs.existsSync(runs)) {
    if (!force) throw new TclError(`${runs}: run directories without a ${SPEC_FILE}; use another --out, or --force to start over`);
    fs.rmSync(runs, { recursive: true, force: true });
  }
  await writeFileAtomic(specFile, text);
}

/**
 * Runs a sweep (see the module comment). The spec is validated first (a one-line TclError
 * naming the key before anything runs). Resolves when every run has ended, done or failed;
 * a failed run is a record with its error, never an exception.
 */
export async function runSweep(spec: SweepSpec, options: SweepOptions): Promise<SweepResult> {
  const started = Date.now();
  const checked = await validateSpec(spec, { where: 'spec' });
  const out = path.resolve(options.out);
  fs.mkdirSync(out, { recursive: true });
  // One writer per sweep directory: a live holder is named, a stale lock (a killed sweep) taken over.
  const dirLock = await acquireDirLock(out, 'sweep');
  const ownExecutor = !options.executor;
  let executor: RunExecutor | undefined;
  try {
    await prepareDir(out, canonicalSpec(checked), !!options.force);
    const jobs = expandSpec(checked, path.join(out, RUNS_DIR));
    const records = new Map<string, RunRecord>();
    for (const j of jobs) {
      const r = finishedRun(j);
      if (r) records.set(j.id, r);
    }
    options.onPlan?.(jobs, [...records.values()]);
    // Seed-major order (every configuration's first seed, then every second one, …): the ETA
    // learns each group's cost early, and an interrupted sweep holds whole seeds of every group.
    const seedRank = new Map([...new Set(jobs.map((j) => j.seed))].map((s, i) => [s, i]));
    const todo = jobs.filter((j) => !records.has(j.id)).sort((a, b) => seedRank.get(a.seed)! - seedRank.get(b.seed)!);
    if (todo.length) {
      // No more children than runs: the kernel threads per run are the cores over the children.
      const workers = Math.min(options.workers ?? os.availableParallelism(), todo.length);
      executor = options.executor ?? new LocalExecutor({ workers, backend: options.backend });
      for (const r of await executor.run(todo, options.hooks ?? {})) records.set(r.id, r);
    }
    const list = jobs.map((j) => records.get(j.id)).filter((r): r is RunRecord => !!r);
    const interrupted = list.some((r) => r.interrupted);
    const counts = {
      runs: list.length,
      done: list.filter((r) => r.status === 'done').length,
      failed: list.filter((r) => r.status === 'failed').length,
      skipped: list.filter((r) => r.skipped).length,
      resumed: list.filter((r) => r.resumed).length,
    };
    let files: string[] = [];
    if (!interrupted && options.report !== false) files = await writeReport(out, checked, list, options, new Date(started));
    return { name: checked.name, out, records: list, counts, interrupted, files, seconds: (Date.now() - started) / 1000 };
  } finally {
    if (ownExecutor) await executor?.close?.();
    await dirLock.release();
  }
}

async function writeReport(out: string, spec: SweepSpec, records: RunRecord[], options: SweepOptions, startedAt: Date): Promise<string[]> {
  // The report pulls in the plotting stack (vega, resvg): loaded only when a report is written.
  const { writeSeedReport } = await import('../report/seeds.ts');
  return writeSeedReport(out, records, {
    kind: options.kind ?? 'sweep',
    command: options.command ?? `runSweep(${JSON.stringify(spec.name)})`,
    backend: records.find((r) => r.summary)?.summary?.backend ?? options.backend ?? 'auto',
    startedAt,
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    spec: JSON.parse(canonicalSpec(spec)) as Record<string, unknown>,
  });
}
