/**
 * The wasm kernels of kernels.as, instantiated on the tfjs wasm backend's own heap so that they
 * read and update tensors in place (no copies between tfjs and the kernels). Only available when
 * the active backend is 'wasm'; `kernelsForBackend()` returns null elsewhere and callers take the
 * plain tfjs path.
 *
 * The tfjs internals used (pinned @tensorflow/tfjs-backend-wasm 4.22.0): `backend.wasm.asm.memory`,
 * `backend.wasm._malloc/_free`, `backend.makeOutput`, `backend.dataIdMap.get(dataId).memoryOffset`.
 */
import * as tf from '@tensorflow/tfjs';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.ts';

export interface KernelExports {
  gemmAcc(C: number, ldc: number, A: number, sam: number, sak: number, B: number, ldb: number, M: number, K: number, N: number, alpha: number): void;
  gemmAccK(C: number, ldc: number, A: number, sam: number, sak: number, B: number, ldb: number, M: number, K: number, N: number, alpha: number): void;
  gemmDot(C: number, ldc: number, A: number, lda: number, Bt: number, ldbt: number, M: number, K: number, N: number, alpha: number): void;
  broadcastRows(dst: number, row: number, M: number, N: number): void;
  copy(dst: number, src: number, n: number): void;
  sub(dst: number, a: number, b: number, n: number): void;
  relaxUpdate(next: number, s: number, t: number, n: number, eps: number, nudge: number): void;
  addColumnSums(dst: number, A: number, M: number, N: number, alpha: number): void;
  tclSynapses(...args: number[]): void;
  bilinearE(E: number, nP: number, A: number, nIn: number, H: number, Gm: number, B: number, S1: number, i0: number, i1: number, list: number): void;
  untile(dst: number, src: number, rows: number, n: number): void;
  nonzeroColumns(out: number, A: number, rows: number, n: number): void;
  applyRecords(sum: number, u: number, wu: number, idx: number, n: number, tb: number, shift: number, out: number): void;
  relaxRows(desc: number, B: number, steps: number, eps: number, nudge: number, sequential: number): void;
}

interface WasmModuleLike {
  asm: { memory: WebAssembly.Memory };
  _malloc(n: number): number;
  _free(p: number): void;
}
interface WasmBackendLike {
  wasm: WasmModuleLike;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
}

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<object, Kernels>();

/** The kernels bound to the current tfjs wasm backend, or null when the backend is not wasm (or `TFJS_TCL_FUSED=0`). */
export function kernelsForBackend(): Kernels | null {
  // Node only (the kernels and their worker threads use Node APIs); TFJS_TCL_FUSED=0 forces the plain tfjs path.
  if (typeof process === 'undefined' || !process.versions?.node) return null;
  if (tf.getBackend() !== 'wasm' || process.env.TFJS_TCL_FUSED === '0') return null;
  const be = tf.backend() as unknown as WasmBackendLike;
  if (!be.wasm?.asm?.memory || typeof be.wasm._malloc !== 'function' || !be.dataIdMap) return null;
  let k = instances.get(be);
  if (!k) {
    compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    const inst = new WebAssembly.Instance(compiled, { env: { memory: be.wasm.asm.memory, abort: () => { throw new Error('kernel abort'); } } });
    k = new Kernels(be, inst.exports as unknown as KernelExports);
    instances.set(be, k);
  }
  return k;
}

export class Kernels {
  constructor(private readonly be: WasmBackendLike, readonly k: KernelExports) {}

  /** Byte offset of a float32 tensor's data in the heap. */
  ptr(t: tf.Tensor): number {
    if (t.dtype !== 'float32') throw new Error(`kernels: float32 tensor expected, got ${t.dtype}`);
    const d = this.be.dataIdMap.get(t.dataId);
    if (!d) throw new Error('kernels: tensor is not on the wasm backend');
    return d.memoryOffset;
  }

  /**
   * Gives the variable fresh data (a copy) to update in place, and returns its offset. Fresh, not
   * just unshared: XNNPACK caches packed weights by tensor id, so a matMul after an in-place change
   * of the same tensor would use the stale packing (measured: wrong test errors after an epoch).
   */
  freshPtr(v: tf.Variable): number {
    const n = v.size;
    const info = this.be.makeOutput(v.shape, 'float32');
    this.k.copy(this.be.dataIdMap.get(info.dataId)!.memoryOffset, this.ptr(v), n);
    const t = tf.engine().makeTensorFromTensorInfo(info);
    v.assign(t);
    t.dispose();
    return this.ptr(v);
  }

  /** A float32 view of heap memory (create it after any allocation: the heap may have grown). */
  view(ptr: number, n: number): Float32Array {
    return new Float32Array(this.be.wasm.asm.memory.buffer, ptr, n);
  }

  i32view(ptr: number, n: number): Int32Array {
    return new Int32Array(this.be.wasm.asm.memory.buffer, ptr, n);
  }

  /** Allocates `n` floats (16-byte aligned) on the heap; release with `free`. */
  malloc(n: number): number {
    const p = this.be.wasm._malloc(Math.max(1, n) * 4 + 16);
    return p;
  }

  free(p: number): void {
    this.be.wasm._free(p);
  }

  /** A tensor holding a copy of `n` floats at `ptr`. */
  tensor2d(ptr: number, rows: number, cols: number): tf.Tensor2D {
    return tf.tensor2d(this.view(ptr, rows * cols).slice(), [rows, cols]);
  }
}

/** Heap buffers allocated for one computation; `alloc` is bump-style, `release` frees them all. */
export class Scratch {
  private ptrs: number[] = [];
  constructor(readonly kern: Kernels) {}

  alloc(n: number): number {
    const raw = this.kern.malloc(n);
    this.ptrs.push(raw);
    return (raw + 15) & ~15;
  }

  /** Allocates and fills from a JS array. */
  from(values: ArrayLike<number>, int = false): number {
    const p = this.alloc(values.length);
    (int ? this.kern.i32view(p, values.length) : this.kern.view(p, values.length)).set(values);
    return p;
  }

  release(): void {
    for (const p of this.ptrs) this.kern.free(p);
    this.ptrs = [];
  }
}
