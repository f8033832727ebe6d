/**
 * A sweep's runs on a BullMQ queue in Redis, trained by `tfjs-tcl worker` processes on any
 * number of machines.
 *
 *   const executor = new QueueExecutor({ url: 'redis://head-node:6379', sweep: 'dead-zone' });
 *   const records = await executor.run(jobs, { onEnd: (r) => console.log(r.id, r.status) });
 *   await executor.close();
 *
 * One queue per Redis database (`tfjs-tcl-runs`) holds the runs of every sweep: a run's job id is
 * its sweep's key (name + a hash of its directory) and its run id, so sweeps never collide, and a
 * worker serves whichever sweep has runs waiting without being told its name. (A queue per sweep
 * would need workers to discover queues and to split their concurrency between them, and a dead
 * worker's run would be recovered only while some worker still listened on that sweep's queue.)
 *
 * Delivery: each run is one job; its return value is the RunRecord (summary and per-epoch
 * metrics). A worker that dies mid-run stops renewing the job's lock; after `lockDuration` the
 * stalled-job check of any other worker puts it back on the queue, and the next worker resumes
 * it from its checkpoint when the run directory is on a shared filesystem (else starts over).
 * A run that fails with a clear error (TclError, divergence) comes back as a failed record and is
 * not retried; a crashed worker process (e.g. out of memory) is retried `attempts` times.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { TclError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { RedisConnections, showUrl } from './queue-redis.ts';
import { RUN_FILE } from './run.ts';
import type { RunExecutor, RunHooks, RunJob, RunProgress, RunRecord } from './types.ts';

/** The queue every sweep and worker on one Redis database uses. */
export const QUEUE_NAME = 'tfjs-tcl-runs';

/** What a job carries: the run, and which sweep it belongs to (for the worker's log). */
export interface QueuedRun {
  sweep: string;
  job: RunJob;
}

export interface QueueExecutorOptions {
  /** `redis://HOST:PORT[/DB]`. */
  url: string;
  /** The sweep's name (the spec's `name`); with the sweep directory it keys the sweep's jobs. */
  sweep: string;
  /** Tries of a run whose worker process crashed (not of a run that failed with a clear error). Default 2. */
  attempts?: number;
  /** Drop this sweep's jobs left in Redis by an earlier, interrupted sweep process first (`sweep --force`). */
  fresh?: boolean;
  /** How often job states are re-read besides the event stream (ms; default 5000). */
  pollMs?: number;
  /** One line per notable event (a run put back after its worker died, …); default: none. */
  log?: (line: string) => void;
}

/** `name-1a2b3c4d`: the sweep's name and a hash of its directory (two sweeps of one name into two directories stay apart). */
export function sweepKey(name: string, jobs: RunJob[]): string {
  const dir = jobs.length ? path.dirname(path.resolve(jobs[0].dir)) : '';
  const hash = crypto.createHash('sha1').update(dir).digest('hex').slice(0, 8);
  return `${name.replace(/[^A-Za-z0-9._-]/g, '_')}-${hash}`;
}

/** BullMQ job ids may not contain ':' (e.g. `deadZone-quantile:0.99`). */
export function jobId(key: string, runId: string): string {
  return `${key}.${encodeURIComponent(runId)}`;
}

function failedRecord(job: RunJob, error: string): RunRecord {
  return { id: job.id, config: job.config, group: job.group, seed: job.seed, status: 'failed', error, dir: job.dir };
}

/** The sweep side: puts the runs on the queue and gathers their records. */
export class QueueExecutor implements RunExecutor {
  private readonly conns: RedisConnections;
  private lost: TclError | undefined;
  private onLost: ((e: TclError) => void) | undefined;
  private queue: Queue | undefined;
  private events: QueueEvents | undefined;

  constructor(private readonly opts: QueueExecutorOptions) {
    this.conns = new RedisConnections(opts.url, (e) => {
      this.lost = e;
      this.onLost?.(e);
    });
  }

  /** Connects (also done by `run`): call it first to fail fast, with one line naming the URL, before anything else starts. */
  async connect(): Promise<{ queue: Queue; events: QueueEvents }> {
    if (!this.queue || !this.events) {
      const client = await this.conns.open();
      this.queue = new Queue(QUEUE_NAME, { connection: client });
      this.events = new QueueEvents(QUEUE_NAME, { connection: await this.conns.open() });
      this.queue.on('error', () => {});
      this.events.on('error', () => {});
      await this.events.waitUntilReady();
    }
    return { queue: this.queue, events: this.events };
  }

  async run(jobs: RunJob[], hooks: RunHooks = {}): Promise<RunRecord[]> {
    const { queue, events } = await this.connect();
    const key = sweepKey(this.opts.sweep, jobs);
    const byId = new Map(jobs.map((j) => [jobId(key, j.id), j]));
    const records = new Map<string, RunRecord>();
    const writes: Promise<void>[] = [];
    const attempts = this.opts.attempts ?? 2;
    const log = this.opts.log ?? (() => {});

    let settle!: (err?: Error) => void;
    const finished = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    const accept = (id: string, r: RunRecord) => {
      if (records.has(id)) return;
      records.set(id, r);
      writes.push(keepRecord(r));
      hooks.onEnd?.(r);
      if (records.size === byId.size) settle();
    };
    // A job's final state, read from Redis (the event stream is only a fast path).
    const reconcile = async (id: string): Promise<void> => {
      const job = byId.get(id);
      if (!job || records.has(id)) return;
      const j = await queue.getJob(id);
      if (!j) return;
      const state = await j.getState();
      if (state === 'completed') accept(id, recordFrom(job, j.returnvalue));
      else if (state === 'failed') accept(id, failedRecord(job, j.failedReason || 'failed on its worker'));
    };

    const onProgress = ({ jobId: id, data }: { jobId: string; data: unknown }) => {
      if (byId.has(id) && data && typeof data === 'object') hooks.onProgress?.(data as RunProgress);
    };
    const onActive = ({ jobId: id }: { jobId: string }) => {
      const job = byId.get(id);
      if (job) hooks.onStart?.(job);
    };
    const onDone = ({ jobId: id }: { jobId: string }) => {
      if (byId.has(id)) reconcile(id).catch(() => {});
    };
    const onStalled = ({ jobId: id }: { jobId: string }) => {
      const job = byId.get(id);
      if (job) log(`run ${job.id}: its worker stopped answering; back on the queue for another worker`);
    };
    events.on('progress', onProgress);
    events.on('active', onActive);
    events.on('completed', onDone);
    events.on('failed', onDone);
    events.on('stalled', onStalled);
    this.onLost = (e) => settle(e);
    if (this.lost) throw this.lost;

    // Jobs left by an earlier sweep process into the same directory: a finished one is taken as
    // it is, a waiting or running one is waited for, a failed one is tried again.
    const toAdd: RunJob[] = [];
    for (const [id, job] of byId) {
      const old = await queue.getJob(id);
      if (old && this.opts.fresh) await removeJob(old);
      else if (old) {
        const state = await old.getState();
        if (state === 'completed') {
          accept(id, recordFrom(job, old.returnvalue));
          continue;
        }
        if (state === 'failed' || state === 'unknown') await removeJob(old);
        else continue;
      }
      toAdd.push(job);
    }
    await queue.addBulk(
      toAdd.map((job) => ({
        name: job.id,
        data: { sweep: this.opts.sweep, job } satisfies QueuedRun,
        opts: { jobId: jobId(key, job.id), attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false },
      })),
    );
    if (records.size === byId.size) settle();

    const poll = setInterval(() => {
      for (const id of byId.keys()) reconcile(id).catch(() => {});
    }, this.opts.pollMs ?? 5000);
    // Stop requested (Ctrl-C of the sweep): runs not started leave the queue; runs in progress
    // finish on their workers and stay in Redis, where the same sweep, run again, finds them.
    let stopped = false;
    const stopPoll = setInterval(() => {
      if (stopped || !hooks.shouldStop?.()) return;
      stopped = true;
      void (async () => {
        for (const [id, job] of byId) {
          if (records.has(id)) continue;
          const j = await queue.getJob(id);
          const state = j ? await j.getState() : 'unknown';
          if (j && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) await removeJob(j);
          const what = state === 'active' ? 'still training on its worker; run the sweep again to gather it' : 'taken off the queue before it started';
          records.set(id, { ...failedRecord(job, `interrupted: ${what}`), interrupted: true });
        }
        settle();
      })().catch((e: Error) => settle(e));
    }, 200);
    try {
      await finished;
    } finally {
      clearInterval(poll);
      clearInterval(stopPoll);
      events.off('progress', onProgress);
      events.off('active', onActive);
      events.off('completed', onDone);
      events.off('failed', onDone);
      events.off('stalled', onStalled);
      this.onLost = undefined;
    }
    await Promise.all(writes);
    // The records are the sweep's now (its report holds them): finished jobs leave Redis.
    for (const [id, r] of records) {
      if (r.interrupted) continue;
      const j = await queue.getJob(id);
      if (j) await removeJob(j);
    }
    return jobs.map((j) => records.get(jobId(key, j.id))!);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events?.close(), this.queue?.close()]);
    await this.conns.close();
    this.queue = undefined;
    this.events = undefined;
  }

  /** For messages: the URL without a password. */
  get where(): string {
    return showUrl(this.opts.url);
  }
}

/**
 * A finished run's record in its directory on this machine too, as trainRun writes it: on a
 * filesystem the workers share it is there already; without one, the sweep directory still
 * holds every run's record and metrics (the model files stay where the run was trained), so a
 * re-run skips it.
 */
function keepRecord(r: RunRecord): Promise<void> {
  if (r.status !== 'done' || !r.summary) return Promise.resolve();
  const f = path.join(r.dir, RUN_FILE);
  try {
    if (fs.existsSync(f)) return Promise.resolve();
    fs.mkdirSync(r.dir, { recursive: true });
    const { skipped: _s, ...rec } = r;
    return writeFileAtomic(f, JSON.stringify(rec, null, 2) + '\n').catch(() => {});
  } catch {
    /* a directory this machine cannot write: the record is still returned */
    return Promise.resolve();
  }
}

async function removeJob(j: Job): Promise<void> {
  try {
    await j.remove();
  } catch {
    /* locked by a live worker: it stays (and is waited for) */
  }
}

/** The worker's return value, checked: it must be this run's record. */
function recordFrom(job: RunJob, value: unknown): RunRecord {
  const r = (typeof value === 'string' ? JSON.parse(value) : value) as RunRecord | null;
  if (!r || typeof r !== 'object' || r.id !== job.id || (r.status !== 'done' && r.status !== 'failed')) {
    return failedRecord(job, 'its worker returned no run record (a worker of another tfjs-tcl version?)');
  }
  return r;
}
