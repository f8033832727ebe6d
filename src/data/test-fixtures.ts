/**
 * Test helpers: IDX bytes built by hand with Buffer (not with idx.ts's writer), so that the
 * reader is checked against an independent encoding. Used only by the *.test.ts files here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'vitest';
import { TclError } from '../errors.ts';

/** Header (magic + one uint32 per dimension) followed by `data`. */
export function idxBytes(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** Deterministic pixel value of pixel j of image i (covers 0..255). */
export const pixelOf = (i: number, j: number) => (i * 7 + j * 13) % 256;

/** n images of rows x cols with pixelOf values, as idx3 bytes. */
export function imagesBytes(n: number, rows: number, cols: number, first = 0): Buffer {
  const px = new Uint8Array(n * rows * cols);
  for (let i = 0; i < n; i++) for (let j = 0; j < rows * cols; j++) px[i * rows * cols + j] = pixelOf(first + i, j);
  return idxBytes(0x803, [n, rows, cols], px);
}

/** n labels label(i), as idx1 bytes. */
export function labelsBytes(n: number, label: (i: number) => number = (i) => i % 10): Buffer {
  const l = new Uint8Array(n);
  for (let i = 0; i < n; i++) l[i] = label(i);
  return idxBytes(0x801, [n], l);
}

export const gzip = (b: Buffer) => zlib.gzipSync(b);

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tfjs-tcl-${prefix}-`));
}

/** A directory with the four IDX files (names and contents overridable). */
export function writeIdxDir(
  dir: string,
  files: Partial<Record<'trainImages' | 'trainLabels' | 'testImages' | 'testLabels', { name: string; bytes: Buffer } | null>> = {},
  sizes: { nTrain: number; nTest: number; rows: number; cols: number } = { nTrain: 12050, nTest: 30, rows: 2, cols: 3 },
): string {
  const { nTrain, nTest, rows, cols } = sizes;
  const defaults = {
    trainImages: { name: 'train-images-idx3-ubyte', bytes: imagesBytes(nTrain, rows, cols) },
    trainLabels: { name: 'train-labels-idx1-ubyte', bytes: labelsBytes(nTrain) },
    testImages: { name: 't10k-images-idx3-ubyte', bytes: imagesBytes(nTest, rows, cols, 100000) },
    testLabels: { name: 't10k-labels-idx1-ubyte', bytes: labelsBytes(nTest, (i) => (i * 3) % 10) },
  };
  fs.mkdirSync(dir, { recursive: true });
  for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) {
    const f = key in files ? files[key] : defaults[key];
    if (f) fs.writeFileSync(path.join(dir, f.name), f.bytes);
  }
  return dir;
}

/** Awaits `p`, expects it to reject with a one-line TclError, and returns the message. */
export async function tclError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TclError);
  const msg = (e as TclError).message;
  expect(msg).not.toContain('\n');
  return msg;
}
