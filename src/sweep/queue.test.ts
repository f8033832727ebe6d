/**
 * Runs across machines, as a user starts them: a real redis-server (on a free localhost port, no
 * persistence, stopped after), real `tfjs-tcl worker` processes, real MNIST training. One worker
 * is killed with SIGKILL in the middle of a run; every run must still be reported, exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TclError } from '../errors.ts';
import { QueueExecutor } from './queue.ts';
import { expandSpec } from './spec.ts';
import type { RunJob, RunRecord } from './types.ts';

const BIN = path.resolve('bin/tfjs-tcl.js');
const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((f) => fs.existsSync(f)) ?? 'redis-server';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcl-queue-'));
const procs: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(tmp, 'redis-'));
  const proc = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    proc.on('error', (e) => reject(new Error(`cannot start ${REDIS} (install the redis-server package; .ci/run does): ${e.message}`)));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/ready to accept connections/i.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { url: `redis://127.0.0.1:${port}`, proc };
}

interface WorkerProc {
  proc: ChildProcess;
  log: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorker(url: string, extra: string[] = []): WorkerProc {
  const proc = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--lock', '2', ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TFJS_TCL_THREADS: '1' } });
  procs.push(proc);
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, log: () => log, exited };
}

/** Runs a worker's log says it finished (`<id> (sweep …): done|failed`). */
const finishedIn = (log: string) => [...log.matchAll(/^worker: (\S+) \(sweep [^)]*\): (done|failed)/gm)].map((m) => m[1]);
const startedIn = (log: string) => [...log.matchAll(/^worker: (\S+) \(sweep [^)]*\): started/gm)].map((m) => m[1]);

let redis: { url: string; proc: ChildProcess };

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const p of procs.reverse()) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('sweep runs on a BullMQ queue in a real Redis', () => {
  it('6 runs, 2 workers, one killed with SIGKILL mid-run: all 6 reported, each exactly once; a run that fails with a clear error is reported failed, once', { timeout: 240_000 }, async () => {
    const runsDir = path.join(tmp, 'runs');
    // 2 epochs of 200 images: the killed run has a checkpoint (epoch 1) to resume from, as the
    // run directories here are on a filesystem all workers share.
    const jobs = expandSpec({ name: 'queue-test', base: { method: 'tcl', trainSize: 200, testSize: 100, epochs: 2 }, grid: { seed: [0, 1, 2, 3, 4, 5] } }, runsDir);
    // A 7th run that fails with a clear error (TclError from the training loop).
    const bad: RunJob = { id: 'too-big-batch', config: { method: 'tcl', trainSize: 200, testSize: 100, epochs: 1, batchSize: 500 }, group: 'bad', seed: 0, dir: path.join(runsDir, 'too-big-batch') };
    const all = [...jobs, bad];

    const a = startWorker(redis.url);
    const b = startWorker(redis.url);
    const workers = [a, b];
    const executor = new QueueExecutor({ url: redis.url, sweep: 'queue-test', pollMs: 1000 });
    const ended: RunRecord[] = [];
    let victim: string | undefined;
    let replacement: WorkerProc | undefined;
    // Kill worker a in epoch 2 of a run it trains: its epoch-1 checkpoint is written, run.json is not.
    const inEpoch2 = (id: string) => {
      const dir = path.join(runsDir, id);
      try {
        const state = JSON.parse(fs.readFileSync(path.join(dir, 'trainer-state.json'), 'utf8')) as { loop: { metrics: unknown[] } };
        return state.loop.metrics.length === 1 && !fs.existsSync(path.join(dir, 'run.json'));
      } catch {
        return false;
      }
    };
    const watch = setInterval(() => {
      if (victim) return;
      const running = startedIn(a.log()).filter((id) => !finishedIn(a.log()).includes(id));
      const id = running.find(inEpoch2);
      if (!id) return;
      victim = id;
      a.proc.kill('SIGKILL');
      // As a scheduler would: a fresh worker takes the dead one's place.
      replacement = startWorker(redis.url);
      workers.push(replacement);
    }, 25);
    try {
      const records = await executor.run(all, { onEnd: (r) => ended.push(r) });
      clearInterval(watch);
      const ids = records.map((r) => r.id);
      expect(ids).toEqual(all.map((j) => j.id));
      expect(ended.map((r) => r.id).sort()).toEqual([...ids].sort()); // each reported once
      expect(victim, 'worker a was killed mid-run').toBeDefined();
      expect((await a.exited).signal).toBe('SIGKILL');

      for (const r of records.slice(0, 6)) {
        expect(r.status, `${r.id}: ${r.error}`).toBe('done');
        expect(r.summary!.metrics).toHaveLength(2);
        expect(fs.existsSync(path.join(r.dir, 'run.json'))).toBe(true);
      }
      // The killed run was taken up by another worker and resumed from its epoch-1 checkpoint.
      const v = records.find((r) => r.id === victim)!;
      expect((v as RunRecord & { resumed?: boolean }).resumed).toBe(true);

      const failed = records[6];
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/batch size 500 is larger than the training set \(200 examples\)/);

      // Every run trained to the end exactly once over all workers (the killed copy never finished).
      const finished = workers.flatMap((w) => finishedIn(w.log()));
      expect(finished.sort()).toEqual([...ids].sort());
      expect(startedIn(workers.map((w) => w.log()).join('')).filter((id) => id === 'too-big-batch')).toHaveLength(1);
      expect(startedIn(a.log())).toContain(victim);
      expect(startedIn([b, replacement!].map((w) => w.log()).join(''))).toContain(victim);
    } finally {
      clearInterval(watch);
      if (process.env.QUEUE_TEST_LOG) for (const w of workers) console.log(w.log());
      await executor.close();
      for (const w of workers) w.proc.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    }
  });

  it('an unreachable Redis is one line naming the URL, at once: worker and sweep', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const w = startWorker(url);
    const { code } = await w.exited;
    expect(code).toBe(1);
    expect(w.log().trim()).toBe(`error: cannot reach Redis at ${url} (ECONNREFUSED)`);

    const t0 = Date.now();
    const ex = new QueueExecutor({ url, sweep: 'nowhere' });
    await expect(ex.run([], {})).rejects.toThrow(new TclError(`cannot reach Redis at ${url} (ECONNREFUSED)`));
    expect(Date.now() - t0).toBeLessThan(5000);
    await ex.close();
  });
});
