/**
 * Worker threads for the kernels: the shared-memory build of kernels.as runs in each worker and on
 * the main thread over one shared WebAssembly.Memory; a call hands out one argument list per
 * thread and blocks (Atomics.wait) until all are done, so callers stay synchronous. The tfjs heap
 * is not shared, so inputs are copied in (see fused-tcl.ts). Workers are unref'd: they never keep
 * the process alive.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { KERNELS_SHARED_WASM_BASE64 } from './kernels-wasm.ts';
import type { KernelExports } from './engine.ts';

const MAX_ARGS = 32;
/** The kernels a worker can run (ctrl[3] is the index). */
export const POOL_KERNELS = ['tclSynapses', 'gemmAcc', 'applyRecords', 'bilinearE', 'relaxRows'] as const;
export type PoolKernel = (typeof POOL_KERNELS)[number];
const PAGE = 65536;

// Plain JS (no TypeScript loader needed in the worker): wait for a job, run it, signal done.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl: buf } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('kernel abort'); } } }).exports;
const ctrl = new Int32Array(buf, 0, 4);
const args = new Float64Array(buf, 16, ${MAX_ARGS});
let gen = 0;
for (;;) {
  Atomics.wait(ctrl, 0, gen);
  gen = Atomics.load(ctrl, 0);
  if (gen < 0) break;
  try { k[${JSON.stringify(POOL_KERNELS)}[ctrl[3]]](...Array.from(args.subarray(0, ctrl[2]))); }
  catch (e) { Atomics.store(ctrl, 1, -gen); Atomics.notify(ctrl, 1); continue; }  // reported to the caller, not thrown (an uncaught worker error would crash the process)
  Atomics.store(ctrl, 1, gen);
  Atomics.notify(ctrl, 1);
}
`;

interface Slot {
  worker: Worker;
  ctrl: Int32Array;
  args: Float64Array;
}

export class KernelPool {
  readonly memory: WebAssembly.Memory;
  readonly k: KernelExports;
  private slots: Slot[] = [];
  private gen = 0;
  /** Set when a worker died (e.g. failed to start): calls then fail at once instead of waiting. */
  private broken: string | null = null;
  private top = 0;
  /** Counts `reset` calls: a buffer allocated in an earlier epoch may have been handed out again. */
  epoch = 0;

  /** `threads` in all, the calling thread included. */
  constructor(readonly threads: number) {
    const module = new WebAssembly.Module(Buffer.from(KERNELS_SHARED_WASM_BASE64, 'base64'));
    this.memory = new WebAssembly.Memory({ initial: 64, maximum: 16384, shared: true });
    const env = { memory: this.memory, abort: () => { throw new Error('kernel abort'); } };
    this.k = new WebAssembly.Instance(module, { env }).exports as unknown as KernelExports;
    for (let i = 1; i < threads; i++) {
      const buf = new SharedArrayBuffer(16 + 8 * MAX_ARGS);
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory: this.memory, ctrl: buf } });
      worker.unref();
      worker.on('error', (e) => {
        this.broken = e instanceof Error ? e.message : String(e);
      });
      this.slots.push({ worker, ctrl: new Int32Array(buf, 0, 4), args: new Float64Array(buf, 16, MAX_ARGS) });
    }
  }

  /** Frees every buffer handed out by `alloc` (call at the start of each use). */
  reset(): void {
    this.epoch++;
    this.top = 16;
  }

  /** n floats (16-byte aligned) in the shared memory; grows it when needed. */
  alloc(n: number): number {
    const p = (this.top + 15) & ~15;
    this.top = p + Math.max(1, n) * 4;
    const need = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) this.memory.grow(need);
    return p;
  }

  from(values: ArrayLike<number>, int = false): number {
    const p = this.alloc(values.length);
    (int ? new Int32Array(this.memory.buffer, p, values.length) : new Float32Array(this.memory.buffer, p, values.length)).set(values);
    return p;
  }

  view(p: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, p, n);
  }

  buffer(): ArrayBuffer {
    return this.memory.buffer as unknown as ArrayBuffer;
  }

  /** Runs kernel `name` with jobs[i] on thread i (0 = this thread) and waits for all. */
  run(name: PoolKernel, jobs: number[][]): void {
    if (jobs.length > this.threads) throw new Error('KernelPool: more jobs than threads');
    if (this.broken) throw new Error(`KernelPool: a worker thread died (${this.broken}); set TFJS_TCL_THREADS=1 to run without threads`);
    const gen = ++this.gen;
    jobs.slice(1).forEach((a, i) => {
      const s = this.slots[i];
      if (a.length > MAX_ARGS) throw new Error('KernelPool: too many arguments');
      s.args.set(a);
      s.ctrl[2] = a.length;
      s.ctrl[3] = POOL_KERNELS.indexOf(name);
      Atomics.store(s.ctrl, 0, gen);
      Atomics.notify(s.ctrl, 0);
    });
    if (jobs.length) (this.k[name] as (...a: number[]) => void)(...jobs[0]);
    for (const s of this.slots.slice(0, jobs.length - 1)) {
      for (;;) {
        const done = Atomics.load(s.ctrl, 1);
        if (done === gen) break;
        if (done === -gen) throw new Error('KernelPool: a kernel failed in a worker thread');
        // A worker's death is only reported (the 'error' event) once this thread yields; until then the timeout bounds the wait.
        if (Atomics.wait(s.ctrl, 1, done, 120_000) === 'timed-out') throw new Error('KernelPool: a worker did not answer in 120 s');
      }
    }
  }

  dispose(): void {
    for (const s of this.slots) {
      Atomics.store(s.ctrl, 0, -1);
      Atomics.notify(s.ctrl, 0);
      void s.worker.terminate();
    }
    this.slots = [];
  }
}

let threadCount: number | undefined;
let pool: KernelPool | undefined;

/** Threads the kernels may use (default: 2 when the machine has 2 or more cores, `TFJS_TCL_THREADS` overrides). */
export function setKernelThreads(n: number): void {
  threadCount = Math.max(1, Math.floor(n));
  if (pool && pool.threads !== threadCount) {
    pool.dispose();
    pool = undefined;
  }
}

export function kernelThreads(): number {
  if (threadCount == null) {
    const env = Number(process.env.TFJS_TCL_THREADS);
    threadCount = Number.isInteger(env) && env >= 1 ? env : Math.min(2, os.availableParallelism?.() ?? os.cpus().length);
  }
  return threadCount;
}

/** The shared pool, or null when one thread is asked for. */
export function kernelPool(): KernelPool | null {
  const t = kernelThreads();
  if (t <= 1) return null;
  pool ??= new KernelPool(t);
  return pool;
}
