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
import { QUEUE_NAME, QueueExecutor } from './queue.ts';
import { RedisConnections } from './queue-redis.ts';
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
  it('tfjs-tcl sweep --queue: 6 runs, 2 workers, one killed with SIGKILL mid-run: all 6 reported, each exactly once; a run that fails with a clear error (another sweep on the same Redis) is reported failed, once', { timeout: 240_000 }, async () => {
    const out = path.join(tmp, 'sweep');
    const runsDir = path.join(out, 'runs');
    const specFile = path.join(tmp, 'queue-test.json');
    // 2 epochs of 200 images: the killed run has a checkpoint (epoch 1) to resume from, as the
    // run directories here are on a filesystem all workers share.
    fs.writeFileSync(specFile, JSON.stringify({ name: 'queue-test', base: { method: 'tcl', trainSize: 200, testSize: 100, epochs: 2 }, grid: { seed: [0, 1, 2, 3, 4, 5] } }));
    const ids = [0, 1, 2, 3, 4, 5].map((s) => `seed-${s}`);
    // A second sweep on the same Redis, from this process: one run that fails with a clear error (a TclError of the training loop).
    const bad: RunJob = { id: 'too-big-batch', config: { method: 'tcl', trainSize: 200, testSize: 100, epochs: 1, batchSize: 500 }, group: 'bad', seed: 0, dir: path.join(tmp, 'other', 'too-big-batch') };

    const a = startWorker(redis.url);
    const b = startWorker(redis.url);
    const workers = [a, b];
    const sweep = spawn(process.execPath, [BIN, 'sweep', specFile, '--out', out, '--queue', redis.url, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(sweep);
    let stdout = '';
    let stderr = '';
    sweep.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    sweep.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const sweepExit = new Promise<number | null>((resolve) => sweep.on('exit', (code) => resolve(code)));
    const other = new QueueExecutor({ url: redis.url, sweep: 'other', pollMs: 1000 });
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
      const [otherRecords, code] = await Promise.all([other.run([bad], { onEnd: (r) => ended.push(r) }), sweepExit]);
      clearInterval(watch);
      expect(code, stderr).toBe(0);
      const res = JSON.parse(stdout.trim().split('\n').at(-1)!) as { runs: { id: string; status: string; error?: string; epochs: number }[]; done: number; failed: number; resumed: number; files: string[] };
      expect(res.runs.map((r) => r.id)).toEqual(ids); // all 6, each once
      for (const r of res.runs) {
        expect(r.status, `${r.id}: ${r.error}`).toBe('done');
        expect(r.epochs).toBe(2);
        expect(fs.existsSync(path.join(runsDir, r.id, 'run.json'))).toBe(true);
      }
      expect(res.done).toBe(6);
      expect(fs.existsSync(path.join(out, 'report.md'))).toBe(true);
      expect(victim, 'worker a was killed mid-run').toBeDefined();
      expect((await a.exited).signal).toBe('SIGKILL');

      // The killed run was taken up by another worker and resumed from its epoch-1 checkpoint.
      expect(res.resumed).toBe(1);
      expect(JSON.parse(fs.readFileSync(path.join(runsDir, victim!, 'run.json'), 'utf8')).resumed).toBe(true);
      expect(startedIn(a.log())).toContain(victim);
      expect(startedIn([b, replacement!].map((w) => w.log()).join(''))).toContain(victim);

      // The other sweep's run: failed with its one-line error, started once, reported once.
      expect(otherRecords).toHaveLength(1);
      expect(otherRecords[0].status).toBe('failed');
      expect(otherRecords[0].error).toMatch(/batch size 500 is larger than the training set \(200 examples\)/);
      expect(ended.map((r) => r.id)).toEqual(['too-big-batch']);

      // Every run trained to the end exactly once over all workers (the killed copy never finished).
      const finished = workers.flatMap((w) => finishedIn(w.log()));
      expect(finished.sort()).toEqual([...ids, 'too-big-batch'].sort());
      expect(startedIn(workers.map((w) => w.log()).join('')).filter((id) => id === 'too-big-batch')).toHaveLength(1);

      // The records are the sweeps' now: nothing of either is left in Redis.
      const conns = new RedisConnections(redis.url);
      const client = await conns.open();
      expect(await client.keys(`bull:${QUEUE_NAME}:queue-test-*`)).toEqual([]);
      expect(await client.keys(`bull:${QUEUE_NAME}:other-*`)).toEqual([]);
      await conns.close();
    } finally {
      clearInterval(watch);
      if (process.env.QUEUE_TEST_LOG) for (const w of workers) console.log(w.log());
      if (process.env.QUEUE_TEST_LOG) console.log(stderr);
      await other.close();
      for (const w of workers) w.proc.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    }
  });

  it('an unreachable Redis is one line naming the URL, at once: worker, sweep --queue and the executor', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const specFile = path.join(tmp, 'nowhere.json');
    fs.writeFileSync(specFile, JSON.stringify({ name: 'nowhere', base: { method: 'tcl', trainSize: 100, testSize: 50 }, grid: { seed: [0, 1] } }));
    const w = startWorker(url);
    const sweep = spawn(process.execPath, [BIN, 'sweep', specFile, '--out', path.join(tmp, 'nowhere'), '--queue', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(sweep);
    let sweepErr = '';
    sweep.stderr!.on('data', (d: Buffer) => (sweepErr += d.toString()));
    const [worker, sweepCode] = await Promise.all([w.exited, new Promise<number | null>((resolve) => sweep.on('exit', resolve))]);
    const line = `error: cannot reach Redis at ${url} (ECONNREFUSED)`;
    expect(worker.code).toBe(1);
    expect(w.log().trim()).toBe(line);
    expect(sweepCode).toBe(1);
    expect(sweepErr.trim()).toBe(line);

    const t0 = Date.now();
    const ex = new QueueExecutor({ url, sweep: 'nowhere' });
    await expect(ex.run([], {})).rejects.toThrow(new TclError(`cannot reach Redis at ${url} (ECONNREFUSED)`));
    expect(Date.now() - t0).toBeLessThan(5000);
    await ex.close();
  });
});
