/**
 * IDX files (LeCun's MNIST format) with unsigned-byte data: idx3 images and idx1 labels,
 * plain or gzip-compressed. Big-endian header: magic `0x00000803` (images) / `0x00000801`
 * (labels), then one uint32 per dimension (count, rows, cols), then the bytes.
 *
 *     const { n, rows, cols, pixels } = await readIdxImages('train-images-idx3-ubyte.gz');
 *     pixels[i * rows * cols + r * cols + c]; // 0..255
 *
 * Compression is detected by the gzip magic 0x1f8b, not by the file name.
 */
import { promises as fsp } from 'node:fs';
import zlib from 'node:zlib';
import { TclError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';

/** Magic of an idx3 file of unsigned bytes (type 0x08, 3 dimensions). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic of an idx1 file of unsigned bytes (type 0x08, 1 dimension). */
export const IDX_LABELS_MAGIC = 0x00000801;

const IMAGES_HEADER_BYTES = 16;
const LABELS_HEADER_BYTES = 8;

export interface IdxImages {
  /** Number of images. */
  n: number;
  rows: number;
  cols: number;
  /** n * rows * cols bytes, row-major, 0..255. */
  pixels: Uint8Array;
}

export interface IdxLabels {
  n: number;
  /** n bytes. */
  labels: Uint8Array;
}

/** The header only: enough to list a dataset without reading its pixels. */
export interface IdxHeader {
  kind: 'images' | 'labels';
  n: number;
  /** [rows, cols] for images, [] for labels. */
  dims: number[];
}

/** A gzip bomb stops here (MNIST's largest file inflates to 47 MB). */
export const MAX_INFLATED_BYTES = 1 << 30;

const hex = (v: number) => '0x' + v.toString(16).padStart(8, '0');

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflates `bytes` when they start with the gzip magic (to at most `maxBytes`); returns them unchanged otherwise. */
export function maybeGunzip(bytes: Uint8Array, file: string, maxBytes = MAX_INFLATED_BYTES): Buffer {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isGzip(buf)) return buf;
  try {
    return zlib.gunzipSync(buf, { maxOutputLength: maxBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new TclError(`${file}: inflates to more than ${maxBytes} bytes, larger than any IDX dataset this reads`);
    throw new TclError(`${file}: corrupt gzip data (${(e as Error).message})`);
  }
}

function checkMagic(buf: Buffer, file: string, want: number, headerBytes: number): void {
  const what = want === IDX_IMAGES_MAGIC ? 'idx3 unsigned-byte image' : 'idx1 unsigned-byte label';
  // The magic first: a label file passed as images is "wrong file", not "too short".
  if (buf.length >= 4 && buf.readUInt32BE(0) !== want) {
    throw new TclError(`${file}: bad magic number ${hex(buf.readUInt32BE(0))}, expected ${hex(want)} for an ${what} file`);
  }
  if (buf.length < headerBytes) {
    throw new TclError(`${file}: too short for an ${what} file (${buf.length} bytes, the header alone is ${headerBytes})`);
  }
}

function checkLength(buf: Buffer, file: string, headerBytes: number, dataBytes: number, what: string): void {
  const have = buf.length - headerBytes;
  if (have < dataBytes) {
    throw new TclError(`${file}: truncated: the header declares ${what} (${dataBytes} bytes) but only ${have} bytes follow it`);
  }
  if (have > dataBytes) {
    throw new TclError(`${file}: ${have - dataBytes} unexpected bytes after the ${what} the header declares`);
  }
}

/** Plain view of `buf[start, start+length)` (no copy, not a Buffer). */
function view(buf: Buffer, start: number, length: number): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset + start, length);
}

/** Parses an idx3 unsigned-byte image file (already read into memory, maybe gzipped). */
export function decodeIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const buf = maybeGunzip(bytes, file);
  checkMagic(buf, file, IDX_IMAGES_MAGIC, IMAGES_HEADER_BYTES);
  const n = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  if (rows === 0 || cols === 0) throw new TclError(`${file}: invalid image size ${rows}x${cols} in the header`);
  checkLength(buf, file, IMAGES_HEADER_BYTES, n * rows * cols, `${n} images of ${rows}x${cols}`);
  return { n, rows, cols, pixels: view(buf, IMAGES_HEADER_BYTES, n * rows * cols) };
}

/** Parses an idx1 unsigned-byte label file (already read into memory, maybe gzipped). */
export function decodeIdxLabels(bytes: Uint8Array, file: string): IdxLabels {
  const buf = maybeGunzip(bytes, file);
  checkMagic(buf, file, IDX_LABELS_MAGIC, LABELS_HEADER_BYTES);
  const n = buf.readUInt32BE(4);
  checkLength(buf, file, LABELS_HEADER_BYTES, n, `${n} labels`);
  return { n, labels: view(buf, LABELS_HEADER_BYTES, n) };
}

async function readBytes(file: string): Promise<Buffer> {
  try {
    return await fsp.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TclError(`${file}: no such file`);
    throw new TclError(`${file}: cannot read (${code ?? (e as Error).message})`);
  }
}

/** Reads an idx3 unsigned-byte image file, plain or gzip. */
export async function readIdxImages(file: string): Promise<IdxImages> {
  return decodeIdxImages(await readBytes(file), file);
}

/** Reads an idx1 unsigned-byte label file, plain or gzip. */
export async function readIdxLabels(file: string): Promise<IdxLabels> {
  return decodeIdxLabels(await readBytes(file), file);
}

/**
 * Reads only the header (the first 64 KiB at most, inflated with a sync flush when gzipped),
 * for listing datasets without reading 47 MB of pixels. Does not check the file's length.
 */
export async function readIdxHeader(file: string): Promise<IdxHeader> {
  let head: Buffer;
  try {
    const fh = await fsp.open(file, 'r');
    try {
      const b = Buffer.alloc(65536);
      const { bytesRead } = await fh.read(b, 0, b.length, 0);
      head = b.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new TclError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (isGzip(head)) {
    try {
      head = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch (e) {
      throw new TclError(`${file}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  if (head.length >= 4 && head.readUInt32BE(0) === IDX_LABELS_MAGIC) {
    checkMagic(head, file, IDX_LABELS_MAGIC, LABELS_HEADER_BYTES);
    return { kind: 'labels', n: head.readUInt32BE(4), dims: [] };
  }
  checkMagic(head, file, IDX_IMAGES_MAGIC, IMAGES_HEADER_BYTES);
  return { kind: 'images', n: head.readUInt32BE(4), dims: [head.readUInt32BE(8), head.readUInt32BE(12)] };
}

/** The bytes of an idx3 unsigned-byte image file. */
export function encodeIdxImages(images: IdxImages): Buffer {
  const { n, rows, cols, pixels } = images;
  if (pixels.length !== n * rows * cols) {
    throw new TclError(`encodeIdxImages: ${pixels.length} pixels for ${n} images of ${rows}x${cols}`);
  }
  const buf = Buffer.allocUnsafe(IMAGES_HEADER_BYTES + pixels.length);
  buf.writeUInt32BE(IDX_IMAGES_MAGIC, 0);
  buf.writeUInt32BE(n, 4);
  buf.writeUInt32BE(rows, 8);
  buf.writeUInt32BE(cols, 12);
  buf.set(pixels, IMAGES_HEADER_BYTES);
  return buf;
}

/** The bytes of an idx1 unsigned-byte label file. */
export function encodeIdxLabels(labels: IdxLabels): Buffer {
  if (labels.labels.length !== labels.n) {
    throw new TclError(`encodeIdxLabels: ${labels.labels.length} labels for n = ${labels.n}`);
  }
  const buf = Buffer.allocUnsafe(LABELS_HEADER_BYTES + labels.n);
  buf.writeUInt32BE(IDX_LABELS_MAGIC, 0);
  buf.writeUInt32BE(labels.n, 4);
  buf.set(labels.labels, LABELS_HEADER_BYTES);
  return buf;
}

export interface WriteIdxOptions {
  /** gzip the file (its name is not changed: pass a name ending in .gz if you want one). */
  gzip?: boolean;
}

/** Writes an idx3 unsigned-byte image file atomically. */
export async function writeIdxImages(file: string, images: IdxImages, opts: WriteIdxOptions = {}): Promise<void> {
  const bytes = encodeIdxImages(images);
  await writeFileAtomic(file, opts.gzip ? zlib.gzipSync(bytes) : bytes);
}

/** Writes an idx1 unsigned-byte label file atomically. */
export async function writeIdxLabels(file: string, labels: IdxLabels, opts: WriteIdxOptions = {}): Promise<void> {
  const bytes = encodeIdxLabels(labels);
  await writeFileAtomic(file, opts.gzip ? zlib.gzipSync(bytes) : bytes);
}
