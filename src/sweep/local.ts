/**
 * The local executor: `workers` child processes, one run each at a time (a fresh process per
 * run, so a run that crashes, diverges or leaks takes nothing else down), progress and records
 * back over IPC. The child is local-child next to this file with this file's extension: `.ts`
 * under tsx (the tsx loader is passed on to the child), `.js` once compiled to dist/.
 *
 *   const records = await new LocalExecutor({ workers: 2 }).run(jobs, { onEnd: (r) => console.log(r.id, r.status) });
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BackendName } from '../backend.ts';
import { TclError } from '../errors.ts';
import type { ChildMessage, ParentMessage } from './local-child.ts';
import type { RunExecutor, RunHooks, RunJob, RunRecord } from './types.ts';

export interface LocalExecutorOptions {
  /** Child processes at once (default: os.availableParallelism()). */
  workers?: number;
  /** Backend each child initialises (default 'auto'). */
  backend?: BackendName | 'auto';
  /**
   * Kernel threads per run (TFJS_TCL_THREADS in the child; default: cores / workers, at least 1)
   * so that the runs together do not oversubscribe the cores. An inherited TFJS_TCL_THREADS wins.
   */
  threadsPerRun?: number;
}

const HERE = fileURLToPath(import.meta.url);
const EXT = path.extname(HERE);
/** The child module: next to this file, same extension (.ts from the sources, .js compiled). */
export const CHILD_MODULE = path.join(path.dirname(HERE), `local-child${EXT}`);

/** Node flags for the child: this process's, plus the tsx loader when running TypeScript without one (e.g. bin/tfjs-tcl.js registers tsx in-process). */
function childExecArgv(): string[] {
  const argv = process.execArgv.filter((a) => !a.startsWith('--inspect'));
  if (EXT !== '.ts' || argv.some((a) => a.includes('tsx'))) return argv;
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return [...argv, '--import', loader];
}

export class LocalExecutor implements RunExecutor {
  readonly workers: number;
  private readonly backend: BackendName | 'auto';
  private readonly threads: number;
  private readonly children = new Set<ChildProcess>();

  constructor(opts: LocalExecutorOptions = {}) {
    const cores = os.availableParallelism?.() ?? os.cpus().length;
    this.workers = opts.workers ?? cores;
    if (!Number.isInteger(this.workers) || this.workers < 1) throw new TclError(`workers: expected an integer >= 1, got ${opts.workers}`);
    this.backend = opts.backend ?? 'auto';
    this.threads = opts.threadsPerRun ?? Math.max(1, Math.floor(cores / this.workers));
  }

  /**
   * Runs every job, at most `workers` at once, in the given order; the records come back in that
   * order. A child takes the next job when its run ends; one that dies is replaced.
   */
  async run(jobs: RunJob[], hooks: RunHooks = {}): Promise<RunRecord[]> {
    const records = new Array<RunRecord | undefined>(jobs.length);
    let next = 0;
    let stopping = false;
    return new Promise<RunRecord[]>((resolve) => {
      const finish = () => {
        if (records.every((r) => r) && this.children.size === 0) {
          clearInterval(poll);
          resolve(records as RunRecord[]);
        }
      };
      // Jobs that never started after a stop request: reported, not silently dropped.
      const skipRest = () => {
        for (; next < jobs.length; next++) {
          const { id, config, group, seed, dir } = jobs[next];
          records[next] = { id, config, group, seed, dir, status: 'failed', interrupted: true, error: 'not started (interrupted)' };
        }
      };
      const poll = setInterval(() => {
        if (!stopping && hooks.shouldStop?.()) {
          stopping = true;
          skipRest();
          for (const c of this.children) if (c.connected) c.send({ type: 'stop' } satisfies ParentMessage);
          finish();
        }
      }, 200);
      /** The next job's index for a free child, or undefined (then the child is let go). */
      const take = (): number | undefined => (!stopping && next < jobs.length ? next++ : undefined);
      const onRecord = (index: number, r: RunRecord) => {
        records[index] = r;
        hooks.onEnd?.(r);
      };
      const spawn = (first: number) => {
        const child = this.spawnChild(jobs, first, hooks, take, onRecord, () => {
          // A child is gone (let go, or died mid-run): another one takes its place if jobs wait.
          this.children.delete(child);
          const i = take();
          if (i !== undefined) spawn(i);
          finish();
        });
        this.children.add(child);
      };
      for (let i = take(); i !== undefined; i = this.children.size < this.workers ? take() : undefined) spawn(i);
      finish();
    });
  }

  private spawnChild(
    jobs: RunJob[],
    first: number,
    hooks: RunHooks,
    take: () => number | undefined,
    onRecord: (index: number, r: RunRecord) => void,
    gone: () => void,
  ): ChildProcess {
    const env = { ...process.env };
    env.TFJS_TCL_THREADS ??= String(this.threads);
    const child = fork(CHILD_MODULE, [], { execArgv: childExecArgv(), env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let tail = '';
    child.stderr?.on('data', (b: Buffer) => {
      tail = (tail + b.toString()).slice(-4000);
    });
    let current: number | undefined = first;
    const give = (i: number) => {
      current = i;
      child.send({ type: 'run', job: jobs[i], backend: this.backend } satisfies ParentMessage);
    };
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'start') hooks.onStart?.(jobs[current!]);
      else if (m.type === 'progress') hooks.onProgress?.({ id: m.id, epoch: m.epoch, epochs: m.epochs, batch: m.batch, batches: m.batches, runningError: m.runningError });
      else if (m.type === 'end' && current !== undefined) {
        onRecord(current, m.record);
        current = undefined;
        tail = '';
        const i = take();
        if (i !== undefined) give(i);
        else child.disconnect();
      }
    });
    let ended = false;
    const end = (why: string) => {
      if (ended) return;
      ended = true;
      if (current !== undefined) {
        const last = tail.split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
        const { id, config, group, seed, dir } = jobs[current];
        onRecord(current, { id, config, group, seed, dir, status: 'failed', error: `the run's process ${why}${last ? `: ${last}` : ''}` });
        current = undefined;
      }
      gone();
    };
    // 'exit', not 'close': a grandchild (tsx's esbuild service) may hold the stderr pipe open
    // after the child is gone. A short wait lets the last stderr line of a crash arrive.
    child.on('exit', (code, signal) => setTimeout(() => end(signal ? `was killed (${signal})` : `exited with code ${code}`), 100));
    child.on('error', (e) => end(`could not run (${e.message.split('\n')[0]})`));
    give(first);
    return child;
  }

  /** Kills the children still running (their runs resume from their checkpoints next time). */
  async close(): Promise<void> {
    for (const c of this.children) c.kill('SIGKILL');
  }
}
