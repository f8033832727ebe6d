/**
 * The safetensors format (https://github.com/huggingface/safetensors), in memory — no `fs`, so a
 * browser bundle can import this file alone. File access is in `safetensors.ts`.
 *
 *   bytes 0..8        N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N      JSON: { "__metadata__": { str: str }, name: { dtype, shape, data_offsets } }
 *                     (UTF-8, may end in spaces; we pad it to a multiple of 8)
 *   bytes 8+N..end    the data section: every tensor's raw little-endian bytes, `data_offsets`
 *                     = [begin, end) relative to the start of this section, no gaps, no overlaps
 *
 * Only F32 is supported, which is all this project stores.
 */
import { TclError } from '../errors.ts';

export interface SafeTensor {
  dtype: 'F32';
  shape: number[];
  data: Float32Array;
}

export type SafeTensors = Record<string, SafeTensor>;

export interface SafetensorsContent {
  tensors: SafeTensors;
  /** The `__metadata__` map; `{}` when the file has none. */
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
const BYTES_PER_F32 = 4;
/** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
const MAX_HEADER_BYTES = 100_000_000;
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Serialises tensors (in the key order of `tensors`) and optional string metadata.
 *
 *   const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
 */
export function encodeSafetensors(tensors: SafeTensors, metadata?: Record<string, string>, nameForErrors = 'safetensors'): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TclError(`${nameForErrors}: metadata '${k}' must be a string, got ${typeof v}`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === METADATA_KEY) throw new TclError(`${nameForErrors}: '${METADATA_KEY}' is reserved and cannot name a tensor`);
    if (t.dtype !== 'F32') throw new TclError(`${nameForErrors}: tensor '${name}' has dtype '${String(t.dtype)}', only F32 is supported`);
    checkShape(t.shape, () => `${nameForErrors}: tensor '${name}'`);
    const n = numElements(t.shape);
    if (!(t.data instanceof Float32Array) || t.data.length !== n) {
      const got = t.data?.length ?? 0;
      throw new TclError(`${nameForErrors}: tensor '${name}' has shape [${t.shape.join(', ')}] (${n} values) but ${got} values of data`);
    }
    const end = offset + n * BYTES_PER_F32;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // spaces: still valid JSON

  let pos = 8 + headerLength;
  for (const t of Object.values(tensors)) {
    writeF32LE(out, pos, t.data);
    pos += t.data.length * BYTES_PER_F32;
  }
  return out;
}

/**
 * Parses and validates safetensors bytes; every problem is a TclError starting with
 * `nameForErrors` (the file path when reading a file). The returned arrays are copies.
 *
 *   const { tensors, metadata } = decodeSafetensors(bytes, 'weights.safetensors');
 */
export function decodeSafetensors(bytes: Uint8Array, nameForErrors = 'safetensors data'): SafetensorsContent {
  function fail(problem: string): never {
    throw new TclError(`${nameForErrors}: ${problem}`);
  }
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) fail(`header length ${n} bytes is larger than the ${bytes.length - 8} bytes after it`);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(n);
  if (headerLength < 2) fail(`header length ${headerLength} bytes is too short for a JSON object`);

  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];

  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`'${METADATA_KEY}' is not an object`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`metadata '${k}' is not a string`);
      }
      metadata = Object.fromEntries(Object.entries(value as Record<string, string>));
      continue;
    }
    if (typeof value !== 'object' || value === null) fail(`tensor '${name}' is not an object in the header`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (dtype !== 'F32') fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)} (only F32 is supported)`);
    checkShape(shape, () => `${nameForErrors}: tensor '${name}'`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end], non-negative integers)`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`tensor '${name}' has data_offsets [${begin}, ${end}] with end before begin`);
    if (end > dataLength) fail(`tensor '${name}' has data_offsets [${begin}, ${end}] beyond the ${dataLength}-byte data section`);
    const expected = numElements(shape) * BYTES_PER_F32;
    if (end - begin !== expected) {
      fail(`tensor '${name}' spans ${end - begin} bytes but shape [${shape.join(', ')}] × 4 bytes needs ${expected}`);
    }
    entries.push({ name, shape: [...shape], begin, end });
  }

  // Tensors must tile the data section exactly: sorted by begin, each starts where the last ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor) fail(`tensor '${e.name}' at bytes [${e.begin}, ${e.end}] overlaps the tensor before it (which ends at ${cursor})`);
    if (e.begin > cursor) fail(`gap in the data section: bytes [${cursor}, ${e.begin}) belong to no tensor`);
    cursor = e.end;
  }
  if (cursor !== dataLength) {
    fail(`data section is ${dataLength} bytes but the header's tensors cover ${cursor} bytes`);
  }

  // Object.fromEntries defines own properties, so a tensor named "__proto__" stays a tensor.
  const tensors: SafeTensors = Object.fromEntries(
    entries.map((e) => {
      const data = readF32LE(bytes, dataStart + e.begin, (e.end - e.begin) / BYTES_PER_F32);
      return [e.name, { dtype: 'F32' as const, shape: e.shape, data }];
    }),
  );
  return { tensors, metadata };
}

function checkShape(shape: unknown, who: () => string): asserts shape is number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TclError(`${who()} has invalid shape ${JSON.stringify(shape)} (expected an array of non-negative integers)`);
  }
  if (!Number.isSafeInteger(numElements(shape) * BYTES_PER_F32)) throw new TclError(`${who()} has shape [${shape.join(', ')}] too large`);
}

function numElements(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function writeF32LE(out: Uint8Array, pos: number, data: Float32Array): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
  } else {
    const view = new DataView(out.buffer, out.byteOffset);
    for (let i = 0; i < data.length; i++) view.setFloat32(pos + 4 * i, data[i], true);
  }
}

function readF32LE(bytes: Uint8Array, pos: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (HOST_IS_LITTLE_ENDIAN) {
    // Copy byte-wise: `pos` need not be 4-aligned (other writers don't pad the header).
    new Uint8Array(out.buffer).set(bytes.subarray(pos, pos + count * BYTES_PER_F32));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(pos + 4 * i, true);
  }
  return out;
}
