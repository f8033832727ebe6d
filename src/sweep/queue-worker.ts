/**
 * The worker side of a queued sweep (`tfjs-tcl worker`): takes runs from the BullMQ queue,
 * trains each in a fresh child process (queue-child.ts) with trainRun, forwards its progress to
 * the job and returns its record as the job's return value.
 *
 *   const w = await startQueueWorker({ url: 'redis://head-node:6379', concurrency: 1 });
 *   await w.done; // until w.close() or a lost Redis connection
 *
 * Failures: a run that fails with a clear error comes back as a failed record (the job
 * completes; nothing to retry). A child that dies without a record (killed, out of memory)
 * fails the attempt, which BullMQ retries up to the job's `attempts`. A worker that dies
 * stops renewing its jobs' locks: another worker's stalled-job check puts them back on the
 * queue after `lockSeconds`, at most `maxStalled` times per run (then the run is failed, so a
 * run that kills every worker it lands on is not passed round for ever).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, WaitingError, type Job } from 'bullmq';
import type { BackendName } from '../backend.ts';
import { TclError } from '../errors.ts';
import { QUEUE_NAME, type QueuedRun } from './queue.ts';
import type { QueueChildMessage, QueueParentMessage } from './queue-child.ts';
import { RedisConnections, showUrl } from './queue-redis.ts';
import type { RunRecord } from './types.ts';

export interface QueueWorkerOptions {
  /** `redis://HOST:PORT[/DB]`. */
  url: string;
  /** Runs trained at once by this worker (each in its own process; default 1). */
  concurrency?: number;
  /**
   * How long a run's lock lasts without renewal (s; default 30): after a worker dies, its runs
   * wait this long (plus one stalled check, lockSeconds / 2) before another worker takes them.
   * Renewal happens every lockSeconds / 2 in this process, which never blocks (training is in
   * the child), so a short lock is safe. Every worker on one queue should use the same value.
   */
  lockSeconds?: number;
  /** Times a run may be taken from a dead worker before it is failed (default 2). */
  maxStalled?: number;
  /** Kernel threads per run (TFJS_TCL_THREADS in each child; default: an inherited TFJS_TCL_THREADS, else cores / concurrency, at least 1). */
  threadsPerRun?: number;
  /** Stop (resolving `done`) after this many seconds without a run to train (default: never; a batch scheduler's workers then free their nodes when the sweep is done). */
  exitIdleSeconds?: number;
  /** Backend each run initialises (default 'auto'). */
  backend?: BackendName | 'auto';
  /** One line per run started and finished; default: none. */
  log?: (line: string) => void;
}

export interface QueueWorker {
  /** Runs this worker finished (`done`, `failed`: as reported) and put back on the queue when stopped. */
  counts: { done: number; failed: number; requeued: number };
  /** Resolves when the worker has closed; rejects with a TclError when Redis is lost. */
  done: Promise<void>;
  /** Stops taking runs; runs in progress are stopped and put back on the queue (another worker resumes them from their checkpoints). */
  close(): Promise<void>;
}

const HERE = fileURLToPath(import.meta.url);
const EXT = path.extname(HERE);
const CHILD_MODULE = path.join(path.dirname(HERE), `queue-child${EXT}`);

/** Node flags for the child: this process's, plus the tsx loader when running TypeScript without one (bin/tfjs-tcl.js registers tsx in-process). */
function childExecArgv(): string[] {
  const argv = process.execArgv.filter((a) => !a.startsWith('--inspect'));
  if (EXT !== '.ts' || argv.some((a) => a.includes('tsx'))) return argv;
  return [...argv, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

/** Connects (a one-line TclError naming the URL when Redis cannot be reached) and starts taking runs. */
export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const concurrency = opts.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new TclError(`concurrency: expected an integer >= 1, got ${opts.concurrency}`);
  const lockMs = Math.round((opts.lockSeconds ?? 30) * 1000);
  if (!(lockMs >= 1000)) throw new TclError(`lock duration: expected at least 1 second, got ${opts.lockSeconds}`);
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const threads = opts.threadsPerRun ?? (Number(process.env.TFJS_TCL_THREADS) || Math.max(1, Math.floor(cores / concurrency)));
  const log = opts.log ?? (() => {});

  let fail!: (e: Error) => void;
  let finish!: () => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  done.catch(() => {});
  let idleCheck: NodeJS.Timeout | undefined;
  const conns = new RedisConnections(opts.url, (e) => {
    clearInterval(idleCheck);
    void shutdown().then(() => fail(e));
  });
  const client = await conns.open();

  // Training processes: one per run in progress, kept for the next run when it ends well (the
  // tfjs import, backend start and the dataset are then paid once per worker, not per run).
  const children = new Map<string, ChildProcess>();
  const idle: ChildProcess[] = [];
  const tails = new WeakMap<ChildProcess, string>();
  const takeChild = (): ChildProcess => {
    for (let c = idle.pop(); c; c = idle.pop()) if (c.connected && c.exitCode === null) return c;
    const c = fork(CHILD_MODULE, [], {
      execArgv: childExecArgv(),
      env: { ...process.env, TFJS_TCL_THREADS: String(threads) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    tails.set(c, '');
    c.stderr?.on('data', (d: Buffer) => tails.set(c, ((tails.get(c) ?? '') + d.toString()).slice(-2000)));
    c.on('exit', () => {
      const i = idle.indexOf(c);
      if (i >= 0) idle.splice(i, 1);
    });
    c.on('error', () => {});
    return c;
  };
  let closing = false;

  const counts = { done: 0, failed: 0, requeued: 0 };
  let lastBusy = Date.now();
  const processor = async (job: Job<QueuedRun>, token?: string): Promise<RunRecord> => {
    lastBusy = Date.now();
    const { job: run, sweep } = job.data;
    const t0 = Date.now();
    log(`${run.id} (sweep ${sweep}): started${job.attemptsStarted > 1 || job.stalledCounter > 0 ? ' (again: an earlier attempt stopped)' : ''}`);
    const child = takeChild();
    children.set(job.id!, child);
    let record: RunRecord | undefined;
    try {
      record = await new Promise<RunRecord | undefined>((resolve, reject) => {
        const onMessage = (m: QueueChildMessage) => {
          if (m.type === 'progress') job.updateProgress(m.progress).catch(() => {});
          else if (m.type === 'end') {
            off();
            resolve(m.record);
          }
        };
        const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
          off();
          if (closing) return resolve(undefined);
          const last = tails.get(child)?.trim().split('\n').filter(Boolean).at(-1);
          reject(new Error(`the training process ${signal ? `was killed (${signal})` : `exited with code ${code}`} before finishing${last ? `: ${last}` : ''}`));
        };
        const off = () => {
          child.off('message', onMessage);
          child.off('exit', onExit);
          child.off('error', reject);
        };
        child.on('message', onMessage);
        child.on('exit', onExit);
        child.on('error', reject);
        child.send({ type: 'run', job: run, backend: opts.backend ?? 'auto' } satisfies QueueParentMessage);
      });
    } finally {
      children.delete(job.id!);
    }
    // A process whose run failed may hold its leftovers (tensors, a half-set backend): not reused.
    if (record?.status === 'done' && !closing && child.connected) idle.push(child);
    else if (!closing) child.kill('SIGKILL');
    lastBusy = Date.now();
    if (!record) {
      counts.requeued++;
      // This worker is shutting down: the run goes back to the queue at once (not after its lock
      // expires) and does not count as an attempt; the next worker resumes its checkpoint.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    counts[record.status]++;
    const secs = ((Date.now() - t0) / 1000).toFixed(0);
    const err = record.summary ? `, test error ${(100 * record.summary.testError).toFixed(2)}%` : '';
    log(`${run.id} (sweep ${sweep}): ${record.status}${record.status === 'failed' ? ` (${record.error})` : err} in ${secs} s`);
    return record;
  };

  const worker = new Worker<QueuedRun, RunRecord>(QUEUE_NAME, processor, {
    connection: client,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: Math.max(500, Math.round(lockMs / 2)),
    maxStalledCount: opts.maxStalled ?? 2,
    // Long-poll for new runs at most this long, so that close() is quick.
    drainDelay: 2,
    autorun: false,
  });
  worker.on('error', () => {});
  worker.on('failed', (job, err) => {
    if (!job || err instanceof WaitingError) return;
    const left = (job.opts.attempts ?? 1) - job.attemptsMade;
    log(`${job.data.job.id} (sweep ${job.data.sweep}): attempt failed (${err.message.split('\n')[0]})${left > 0 ? `; ${left} more attempt${left === 1 ? '' : 's'}` : '; reported failed'}`);
  });
  // The lock of a live job was lost (e.g. Redis was away longer than the lock): another worker may
  // be training it already, so this copy stops.
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      const c = children.get(id);
      if (c) {
        log(`job ${id}: lost its lock in Redis; stopping this copy (another worker takes the run)`);
        c.kill('SIGKILL');
      }
    }
  });
  log(`worker on ${showUrl(opts.url)}, queue ${QUEUE_NAME}: up to ${concurrency} run${concurrency === 1 ? '' : 's'} at a time, ${threads} thread${threads === 1 ? '' : 's'} each`);
  void worker.run().catch((e: Error) => fail(new TclError(`worker stopped: ${e.message.split('\n')[0]}`)));

  let closed: Promise<void> | undefined;
  const shutdown = () =>
    (closed ??= (async () => {
      closing = true;
      for (const c of [...children.values(), ...idle]) c.kill('SIGKILL');
      await Promise.race([worker.close(), new Promise((r) => setTimeout(r, 10_000))]);
      await conns.close();
    })());
  const close = async () => {
    clearInterval(idleCheck);
    await shutdown();
    finish();
  };
  const idleMs = opts.exitIdleSeconds != null ? opts.exitIdleSeconds * 1000 : Infinity;
  idleCheck = setInterval(() => {
    if (children.size === 0 && Date.now() - lastBusy > idleMs) {
      log(`no run to train for ${opts.exitIdleSeconds} s: stopping`);
      void close();
    }
  }, 1000);
  return { done, close, counts };
}
