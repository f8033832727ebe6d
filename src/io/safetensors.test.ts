import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TclError } from '../errors.ts';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type SafeTensors } from './safetensors.ts';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tcl-safetensors-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Values whose bits a sloppy encoder would change: -0, NaN, ±Infinity, a subnormal, 0.1. */
const awkward = new Float32Array([0.1, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, -2.5]);

function sample(): SafeTensors {
  return {
    'layer1.weight': { dtype: 'F32', shape: [2, 4], data: awkward },
    'layer1.bias': { dtype: 'F32', shape: [3], data: new Float32Array([1, -2, 0.5]) },
    scalar: { dtype: 'F32', shape: [], data: new Float32Array([42]) },
    empty: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
  };
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Builds a safetensors file by hand, without the module under test. */
function handmade(header: object | string, data: Uint8Array, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

/** Expects a TclError whose message names `name` and contains `problem`. */
function expectTclError(fn: () => unknown, name: string, problem: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TclError);
  const message = (caught as TclError).message;
  expect(message.startsWith(`${name}: `)).toBe(true);
  expect(message).toMatch(problem);
  expect(message).not.toContain('\n');
}

describe('safetensors round trip', () => {
  it('reads back every tensor bit for bit, with shapes, order and metadata', async () => {
    const file = path.join(dir, 'roundtrip.safetensors');
    await writeSafetensors(file, sample(), { format: 'pt', epoch: '3' });
    const { tensors, metadata } = await readSafetensors(file);
    expect(metadata).toEqual({ format: 'pt', epoch: '3' });
    expect(Object.keys(tensors)).toEqual(['layer1.weight', 'layer1.bias', 'scalar', 'empty']);
    for (const [name, t] of Object.entries(sample())) {
      expect(tensors[name].dtype).toBe('F32');
      expect(tensors[name].shape).toEqual(t.shape);
      expect(bits(tensors[name].data)).toEqual(bits(t.data));
    }
  });

  it('gives empty metadata when the file has none', () => {
    const { metadata, tensors } = decodeSafetensors(encodeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } }));
    expect(metadata).toEqual({});
    expect(Array.from(tensors.a.data)).toEqual([1]);
  });

  it('leaves no temp files beside the written file', async () => {
    const sub = path.join(dir, 'clean', 'nested');
    await writeSafetensors(path.join(sub, 'w.safetensors'), sample());
    await writeSafetensors(path.join(sub, 'w.safetensors'), sample()); // overwrite too
    expect(await fs.readdir(sub)).toEqual(['w.safetensors']);
  });
});

describe('safetensors layout, checked by an independent parser', () => {
  it('has the u64 header length, a space-padded JSON header and contiguous little-endian floats', async () => {
    const file = path.join(dir, 'layout.safetensors');
    await writeSafetensors(file, sample(), { note: 'hi' });
    const bytes = new Uint8Array(await fs.readFile(file));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

    const n = Number(view.getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(headerText.startsWith('{')).toBe(true);
    expect(/^\}? *$/.test(headerText.slice(headerText.lastIndexOf('}') + 1))).toBe(true); // only spaces after the JSON
    const header = JSON.parse(headerText);
    expect(header.__metadata__).toEqual({ note: 'hi' });
    expect(Object.keys(header)).toEqual(['__metadata__', 'layer1.weight', 'layer1.bias', 'scalar', 'empty']);

    // Offsets: shapes 2×4, 3, scalar, 0×5 → 32, 12, 4, 0 bytes, back to back.
    expect(header['layer1.weight']).toEqual({ dtype: 'F32', shape: [2, 4], data_offsets: [0, 32] });
    expect(header['layer1.bias']).toEqual({ dtype: 'F32', shape: [3], data_offsets: [32, 44] });
    expect(header.scalar).toEqual({ dtype: 'F32', shape: [], data_offsets: [44, 48] });
    expect(header.empty).toEqual({ dtype: 'F32', shape: [0, 5], data_offsets: [48, 48] });
    expect(bytes.length).toBe(8 + n + 48);

    const data = 8 + n;
    // 1.0f, -2.0f, 0.5f as IEEE-754 little-endian bytes, written out by hand.
    expect(Array.from(bytes.subarray(data + 32, data + 44))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f]);
    expect(view.getFloat32(data + 44, true)).toBe(42);
    expect(view.getFloat32(data + 0, true)).toBe(Math.fround(0.1));
    expect(view.getUint32(data + 4, true)).toBe(0x80000000); // -0
    expect(view.getFloat32(data + 8, true)).toBeNaN();
    expect(view.getUint32(data + 20, true)).toBe(1); // the smallest subnormal
  });

  it('reads a file it did not write: unpadded header, tensors listed out of offset order', () => {
    const header = {
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      __metadata__: { source: 'hand' },
    };
    const { tensors, metadata } = decodeSafetensors(handmade(header, f32le([7, 8, 9])), 'hand.safetensors');
    expect(metadata).toEqual({ source: 'hand' });
    expect(Array.from(tensors.a.data)).toEqual([7]);
    expect(Array.from(tensors.b.data)).toEqual([8, 9]);
  });
});

describe('safetensors names', () => {
  it('keeps a tensor named "__proto__" as a tensor, not a prototype', () => {
    const { tensors } = decodeSafetensors(handmade('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32le([5])));
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Array.from(tensors['__proto__'].data)).toEqual([5]);
  });
});

describe('safetensors corruption gives a TclError naming the file and the problem', () => {
  const good = () => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } }, { k: 'v' });

  it('file shorter than 8 bytes', async () => {
    const file = path.join(dir, 'tiny.safetensors');
    await fs.writeFile(file, good().subarray(0, 5));
    await expect(readSafetensors(file)).rejects.toThrow(TclError);
    await expect(readSafetensors(file)).rejects.toThrow(`${file}: file is 5 bytes, shorter than the 8-byte header length`);
  });

  it('truncated data section', async () => {
    const file = path.join(dir, 'truncated.safetensors');
    const bytes = good();
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 3));
    await expect(readSafetensors(file)).rejects.toThrow(/truncated\.safetensors: tensor 'w' has data_offsets \[0, 16\] beyond the 13-byte data section/);
  });

  it('truncated inside the header', () => {
    expectTclError(() => decodeSafetensors(good().subarray(0, 20), 'f.st'), 'f.st', /header length \d+ bytes is larger than the 12 bytes after it/);
  });

  it('header length with a flipped high bit', () => {
    const bytes = good().slice();
    bytes[7] ^= 0x80;
    expectTclError(() => decodeSafetensors(bytes, 'f.st'), 'f.st', /header length 922337\d+ bytes is larger than/);
  });

  it('header length off by a few bytes', () => {
    const shifted = (delta: bigint) => {
      const bytes = good().slice();
      const view = new DataView(bytes.buffer);
      view.setBigUint64(0, view.getBigUint64(0, true) + delta, true);
      return bytes;
    };
    // Into the JSON: unparsable. Into the space padding: the JSON parses, but the data section no longer fits.
    expectTclError(() => decodeSafetensors(shifted(-9n), 'f.st'), 'f.st', /header is not valid UTF-8 JSON/);
    expectTclError(() => decodeSafetensors(shifted(-1n), 'f.st'), 'f.st', /data section is 17 bytes but the header's tensors cover 16 bytes/);
    expectTclError(() => decodeSafetensors(shifted(4n), 'f.st'), 'f.st', /header is not valid UTF-8 JSON/);
  });

  it('broken JSON', () => {
    const bytes = good().slice();
    bytes[8] = 0x5b; // '{' → '['
    expectTclError(() => decodeSafetensors(bytes, 'f.st'), 'f.st', /header is not valid UTF-8 JSON/);
    expectTclError(() => decodeSafetensors(handmade('[1, 2]', new Uint8Array(0)), 'f.st'), 'f.st', /header is not a JSON object/);
  });

  it('unsupported dtype', () => {
    const bytes = handmade({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4));
    expectTclError(() => decodeSafetensors(bytes, 'f.st'), 'f.st', /tensor 'h' has unsupported dtype "F16"/);
  });

  it('offsets that do not match shape × 4 bytes', () => {
    const bytes = handmade({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32le([1, 2]));
    expectTclError(() => decodeSafetensors(bytes, 'f.st'), 'f.st', /tensor 'a' spans 8 bytes but shape \[3\] × 4 bytes needs 12/);
  });

  it('overlapping tensors', () => {
    const bytes = handmade(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      f32le([1, 2, 3]),
    );
    expectTclError(() => decodeSafetensors(bytes, 'f.st'), 'f.st', /tensor 'b' at bytes \[4, 12\] overlaps the tensor before it/);
  });

  it('a gap between tensors', () => {
    const bytes = handmade(
      { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
      f32le([1, 2, 3]),
    );
    expectTclError(() => decodeSafetensors(bytes, 'f.st'), 'f.st', /gap in the data section: bytes \[4, 8\) belong to no tensor/);
  });

  it('trailing bytes after the last tensor', () => {
    const bytes = handmade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32le([1, 2]));
    expectTclError(() => decodeSafetensors(bytes, 'f.st'), 'f.st', /data section is 8 bytes but the header's tensors cover 4 bytes/);
  });

  it('malformed entries: negative offsets, bad shape, non-string metadata', () => {
    const one = f32le([1]);
    expectTclError(() => decodeSafetensors(handmade({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, one), 'f.st'), 'f.st', /invalid data_offsets/);
    expectTclError(() => decodeSafetensors(handmade({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, one), 'f.st'), 'f.st', /invalid shape/);
    expectTclError(() => decodeSafetensors(handmade({ __metadata__: { n: 1 } }, new Uint8Array(0)), 'f.st'), 'f.st', /metadata 'n' is not a string/);
  });

  it('missing file', async () => {
    const file = path.join(dir, 'nope.safetensors');
    await expect(readSafetensors(file)).rejects.toThrow(`${file}: file not found`);
  });
});

describe('safetensors writer refuses bad input', () => {
  it('data length that does not match the shape, and the reserved name', async () => {
    const file = path.join(dir, 'bad.safetensors');
    await expect(writeSafetensors(file, { w: { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) } })).rejects.toThrow(
      `${file}: tensor 'w' has shape [2, 3] (6 values) but 5 values of data`,
    );
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: new Float32Array(0) } })).toThrow(/reserved/);
    await expect(fs.access(file)).rejects.toThrow();
  });
});
