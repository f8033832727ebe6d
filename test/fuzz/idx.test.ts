/** IDX images and labels, plain and gzip: arbitrary bytes, lying headers, damaged files. */
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeIdxImages, decodeIdxLabels, encodeIdxImages, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, maybeGunzip } from '../../src/data/idx.ts';
import { TclError } from '../../src/errors.ts';
import { applyByteEdits, byteEdit, fuzz, loadsOrRefuses, RUNS } from './harness.ts';

const count = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(2 ** 32 - 1, 2 ** 31, 2 ** 20, 60000, 28));

/** A header (often with a right magic) claiming any sizes, followed by some bytes. */
const idxFile = fc
  .record({
    magic: fc.oneof(fc.constantFrom(IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC), fc.nat({ max: 2 ** 32 - 1 })),
    dims: fc.tuple(count, count, count),
    fitBody: fc.boolean(),
    body: fc.uint8Array({ maxLength: 300 }),
    edits: fc.array(byteEdit, { maxLength: 2 }),
    gzip: fc.boolean(),
    gzipEdits: fc.array(byteEdit, { maxLength: 2 }),
  })
  .map((f) => {
    const header = Buffer.alloc(16);
    header.writeUInt32BE(f.magic >>> 0, 0);
    f.dims.forEach((d, i) => header.writeUInt32BE(d >>> 0, 4 + 4 * i));
    // Often exactly the bytes a small claim needs, so that valid files are part of the mix.
    const [n, r, c] = f.dims;
    const want = f.magic === IDX_LABELS_MAGIC ? n : n * r * c;
    const body = f.fitBody && want <= 300 ? new Uint8Array(want).fill(7) : f.body;
    const labelsHeader = f.magic === IDX_LABELS_MAGIC ? header.subarray(0, 8) : header;
    let bytes = applyByteEdits(new Uint8Array([...labelsHeader, ...body]), f.edits);
    if (f.gzip) bytes = applyByteEdits(new Uint8Array(zlib.gzipSync(bytes)), f.gzipEdits);
    return bytes;
  });

describe('IDX parser on arbitrary input', () => {
  it('every input decodes or fails with one TclError line (structured, plain and gzip)', async () => {
    const seen = await fuzz(idxFile, async (bytes) => {
      const a = await loadsOrRefuses(() => decodeIdxImages(bytes, 'f.idx'), bytes.length);
      const b = await loadsOrRefuses(() => decodeIdxLabels(bytes, 'f.idx'), bytes.length);
      return a === 'loaded' || b === 'loaded' ? 'loaded' : 'refused';
    });
    expect(seen.loaded).toBeGreaterThan(RUNS / 50); // the mix includes valid files, not only garbage
    expect(seen.refused).toBeGreaterThan(RUNS / 50);
  });

  it('raw random bytes decode or fail with one TclError line', async () => {
    await fuzz(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
      await loadsOrRefuses(() => decodeIdxImages(bytes, 'f.idx'), bytes.length);
      return loadsOrRefuses(() => decodeIdxLabels(bytes, 'f.idx'), bytes.length);
    });
  });

  it('a header claiming 2^40 pixels (2^20 images of 2^10 x 2^10) fails at once, allocating nothing of that size', () => {
    const bytes = encodeIdxImages({ n: 1, rows: 1, cols: 1, pixels: new Uint8Array(1) });
    bytes.writeUInt32BE(2 ** 20, 4);
    bytes.writeUInt32BE(2 ** 10, 8);
    bytes.writeUInt32BE(2 ** 10, 12);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeIdxImages(bytes, 'big.idx')).toThrow(new TclError('big.idx: truncated: the header declares 1048576 images of 1024x1024 (1099511627776 bytes) but only 1 bytes follow it'));
    expect(() => decodeIdxImages(zlib.gzipSync(bytes), 'big.idx.gz')).toThrow(TclError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 20);
  });

  it('a gzip bomb is refused once it inflates beyond the cap (1 GiB; 1 MiB here), not inflated whole', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 2 ** 20)); // 64 MiB of zeros in ~65 KB
    expect(bomb.length).toBeLessThan(2 ** 17);
    expect(() => maybeGunzip(bomb, 'bomb.gz', 2 ** 20)).toThrow(new TclError('bomb.gz: inflates to more than 1048576 bytes, larger than any IDX dataset this reads'));
  });
});
