/**
 * The one place that picks the tfjs backend: tfjs-node if it really loads (it cannot install
 * where libtensorflow cannot be downloaded), else wasm (its .wasm ships in the npm package),
 * else cpu. `--backend node|wasm|cpu` forces one and fails with a clear message if it is missing.
 * In a browser the order is webgl → wasm → cpu (the page sets the .wasm files' URL with
 * `setWasmPaths` first). No Node module is imported at the top level, so this file bundles
 * for the browser; the Node-only imports sit in the Node branch.
 */
import * as tf from '@tensorflow/tfjs';
import { TclError } from './errors.ts';

export type BackendName = 'node' | 'wasm' | 'cpu' | 'webgl';
/** Fallback order in Node (the CLI's `--backend` choices). */
export const BACKENDS: readonly BackendName[] = ['node', 'wasm', 'cpu'];
/** Fallback order in a browser. */
export const BROWSER_BACKENDS: readonly BackendName[] = ['webgl', 'wasm', 'cpu'];

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Name tfjs registers each backend under. */
const TF_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu', webgl: 'webgl' };

export interface BackendChoice {
  /** The backend in use. */
  name: BackendName;
  /** Why the earlier ones in the fallback order were skipped (empty when the first one loaded). */
  skipped: string[];
}

let chosen: BackendChoice | undefined;

/** Loaders; swapped out in tests to simulate a missing or broken backend. */
export const loaders: Record<BackendName, () => Promise<void>> = {
  async node() {
    // Any error counts as "not available": a missing module, a missing libtensorflow.so, an ABI mismatch.
    await import('@tensorflow/tfjs-node' as string);
  },
  async wasm() {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (isNode) {
      const { createRequire } = await import('node:module');
      const { default: path } = await import('node:path');
      const require = createRequire(import.meta.url);
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
    }
  },
  async webgl() {
    /* registered by @tensorflow/tfjs in a browser; tf.setBackend fails where WebGL is missing */
  },
  async cpu() {
    /* always registered by @tensorflow/tfjs */
  },
};

async function tryBackend(name: BackendName): Promise<string | undefined> {
  try {
    await loaders[name]();
    const ok = await tf.setBackend(TF_NAME[name]);
    if (!ok) return `${name}: backend failed to initialise`;
    await tf.ready();
    return undefined;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return `${name}: ${msg}`;
  }
}

/**
 * Selects the backend once per process and returns the choice. `requested` = 'auto' (or
 * undefined) walks node → wasm → cpu; a named backend must load or a TclError is thrown.
 *
 *   const { name } = await initBackend();   // 'wasm' on a machine without tfjs-node
 */
export async function initBackend(requested: BackendName | 'auto' = 'auto'): Promise<BackendChoice> {
  if (chosen && (requested === 'auto' || requested === chosen.name)) return chosen;
  const order = isNode ? BACKENDS : BROWSER_BACKENDS;
  if (requested !== 'auto') {
    if (!order.includes(requested)) {
      throw new TclError(`unknown backend '${requested}' (expected one of: ${order.join(', ')}, auto)`);
    }
    const err = await tryBackend(requested);
    if (err) throw new TclError(`backend '${requested}' is not available here (${err})`);
    chosen = { name: requested, skipped: [] };
  } else {
    const skipped: string[] = [];
    for (const name of order) {
      const err = await tryBackend(name);
      if (!err) {
        chosen = { name, skipped };
        break;
      }
      skipped.push(err);
    }
    if (!chosen) throw new TclError(`no tfjs backend could be initialised: ${skipped.join('; ')}`);
  }
  tf.enableProdMode();
  return chosen;
}

/** Forgets the choice (tests only). */
export function resetBackendChoice(): void {
  chosen = undefined;
}
