/**
 * Browser stand-ins for the few Node modules that src/ files on the training path import:
 * src/training/preset.ts (node:fs, node:path, node:url — it resolves models/ at load time and
 * reads preset files), src/backend.ts (node:module, node:path, only in its Node branch) and
 * src/perf/threads.ts (node:os, node:worker_threads; the build switches the fused kernels off).
 * path and url are plain string functions so that those modules load; every file-system call
 * throws, since the page passes preset objects and data in memory.
 */
const unavailable = (what: string) => (): never => {
  throw new Error(`${what} is not available in the browser`);
};

export const sep = '/';

function normalize(parts: string[]): string {
  const out: string[] = [];
  for (const p of parts.join('/').split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return '/' + out.join('/');
}

export function join(...parts: string[]): string {
  return normalize(parts);
}

export function resolve(...parts: string[]): string {
  let i = parts.length - 1;
  while (i > 0 && !parts[i].startsWith('/')) i--;
  return normalize(parts.slice(Math.max(i, 0)));
}

export function dirname(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

export function basename(p: string): string {
  return p.replace(/\/+$/, '').split('/').pop() ?? '';
}

export function fileURLToPath(u: string | URL): string {
  return new URL(String(u)).pathname;
}

export function pathToFileURL(p: string): URL {
  return new URL(`file://${p}`);
}

export const readdirSync = unavailable('fs.readdirSync');
export const existsSync = unavailable('fs.existsSync');
export const readFileSync = unavailable('fs.readFileSync');
export const promises = { readFile: unavailable('fs.promises.readFile'), stat: unavailable('fs.promises.stat') };
export const createRequire = unavailable('module.createRequire');

export function availableParallelism(): number {
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}
export function cpus(): unknown[] {
  return Array.from({ length: availableParallelism() }, () => ({}));
}
export class Worker {
  constructor() {
    unavailable('worker_threads.Worker')();
  }
}

export default { sep, join, resolve, dirname, basename, fileURLToPath, pathToFileURL, readdirSync, existsSync, readFileSync, promises, createRequire, availableParallelism, cpus, Worker };
