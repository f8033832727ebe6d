/**
 * The property every parser must have on arbitrary input: it returns, or throws a TclError with
 * one non-empty line; never another exception, never a hang (> 5 s), never an allocation sized by
 * a header's claim (array buffers may grow by at most 64 MiB plus a few times the input).
 *
 * Seeded (TFJS_TCL_FUZZ_SEED, default 18) with TFJS_TCL_FUZZ_RUNS cases per parser (default
 * 1,000; the benchmark machine runs more). A failure prints fast-check's seed and path, so the
 * counterexample replays.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { TclError } from '../../src/errors.ts';

export const RUNS = Number(process.env.TFJS_TCL_FUZZ_RUNS ?? 1000);
export const SEED = Number(process.env.TFJS_TCL_FUZZ_SEED ?? 18);
const MAX_MS = 5000;
const MAX_EXTRA_BYTES = 64 * 2 ** 20;

export type Outcome = 'loaded' | 'refused';

/** Runs `parse` once and checks the property; returns what happened (for the mix assertions). */
export async function loadsOrRefuses(parse: () => unknown, inputBytes = 0, opts: { tensorPeak?: boolean } = {}): Promise<Outcome> {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let outcome: Outcome = 'loaded';
  let peak = 0;
  try {
    // tfjs's own accounting (tensorPeak: its profiler) sees every tensor the parse makes (weights
    // built from a topology), even ones freed before it returns; array buffers outside tfjs below.
    const before = tf.memory().numBytes;
    try {
      if (opts.tensorPeak) {
        const p = await tf.profile(async () => void (await parse()));
        peak = Math.max(p.peakBytes, p.newBytes);
      } else await parse();
    } finally {
      peak = Math.max(peak, tf.memory().numBytes - before); // what a failed parse left allocated
    }
  } catch (e) {
    if (!(e instanceof TclError)) throw new Error(`not a TclError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (e.message === '' || e.message.includes('\n')) throw new Error(`not a one-line message: ${JSON.stringify(e.message)}`);
    outcome = 'refused';
  }
  const ms = performance.now() - t0;
  if (ms > MAX_MS) throw new Error(`took ${Math.round(ms)} ms`);
  if (peak > MAX_EXTRA_BYTES + 8 * inputBytes) throw new Error(`tensors of ${peak} bytes for a ${inputBytes}-byte input`);
  const grew = process.memoryUsage().arrayBuffers - before;
  if (grew > MAX_EXTRA_BYTES + 8 * inputBytes) throw new Error(`array buffers grew by ${grew} bytes for a ${inputBytes}-byte input`);
  return outcome;
}

/** fc.assert with the suite's seed and run count; returns how many inputs loaded and how many were refused. */
export async function fuzz<T>(arb: fc.Arbitrary<T>, check: (v: T) => Promise<Outcome>, runs = RUNS): Promise<Record<Outcome, number>> {
  const seen: Record<Outcome, number> = { loaded: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      seen[await check(v)]++;
    }),
    { numRuns: runs, seed: SEED },
  );
  return seen;
}

/** Values that break parsers: huge and negative counts, wrong types, empty things. */
export const nasty = fc.oneof(
  fc.constantFrom(2 ** 40, 2 ** 32 - 1, 2 ** 31, 2 ** 53, 2 ** 22, -1, 0, 1, 0.5, 1e308, -0, null, true, '', 'x', '1e9', [], {}, [2 ** 40], [-1, 2], [0]),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Every path (list of keys) into a JSON value, the root included. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

/** One edit of a JSON value: a value replaced, a key deleted, or a key added. */
export const jsonEdit = fc.record({ at: fc.nat(), kind: fc.constantFrom('replace', 'delete', 'add'), value: nasty, key: fc.constantFrom('x', '__proto__', 'layers', 'shape', 'units', 'constructor') });
export type JsonEdit = typeof jsonEdit extends fc.Arbitrary<infer T> ? T : never;

/** Applies edits to a deep copy of `base`. */
export function applyEdits(base: unknown, edits: JsonEdit[]): unknown {
  let root: unknown = structuredClone(base);
  for (const e of edits) {
    const all = paths(root);
    const p = all[e.at % all.length];
    if (p.length === 0) {
      if (e.kind === 'replace') root = e.value;
      continue;
    }
    const parent = p.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], root) as Record<string | number, unknown>;
    const last = p[p.length - 1];
    if (e.kind === 'replace') parent[last] = structuredClone(e.value);
    else if (e.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else {
      const target = parent[last];
      if (target && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, e.key, { value: structuredClone(e.value), enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

/** Byte-level damage: truncation, a flipped byte, appended garbage. */
export const byteEdit = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 16 }) }),
);
export type ByteEdit = typeof byteEdit extends fc.Arbitrary<infer T> ? T : never;

export function applyByteEdits(base: Uint8Array, edits: ByteEdit[]): Uint8Array {
  let b = new Uint8Array(base);
  for (const e of edits) {
    if (e.kind === 'truncate') b = b.slice(0, b.length ? e.at % (b.length + 1) : 0);
    else if (e.kind === 'flip') {
      if (b.length) b[e.at % b.length] ^= e.xor;
    } else b = new Uint8Array([...b, ...e.bytes]);
  }
  return b;
}
