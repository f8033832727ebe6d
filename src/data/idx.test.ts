import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIdxHeader, readIdxImages, readIdxLabels, writeIdxImages, writeIdxLabels } from './idx.ts';
import { gzip, idxBytes, imagesBytes, labelsBytes, pixelOf, tclError, tempDir } from './test-fixtures.ts';

let dir: string;
const file = (name: string, bytes: Buffer) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
};

beforeAll(() => {
  dir = tempDir('idx');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Expects a one-line TclError whose message contains every fragment. */
async function expectTclError(p: Promise<unknown>, ...fragments: string[]): Promise<void> {
  const msg = await tclError(p);
  for (const f of fragments) expect(msg).toContain(f);
}

describe('reading IDX files', () => {
  it('reads an uncompressed idx3 image file pixel for pixel', async () => {
    const f = file('plain-images', imagesBytes(5, 4, 3));
    const img = await readIdxImages(f);
    expect([img.n, img.rows, img.cols]).toEqual([5, 4, 3]);
    expect(img.pixels.length).toBe(60);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 12; j++) expect(img.pixels[i * 12 + j]).toBe(pixelOf(i, j));
  });

  it('reads an uncompressed idx1 label file', async () => {
    const f = file('plain-labels', labelsBytes(7, (i) => 9 - i));
    const l = await readIdxLabels(f);
    expect(l.n).toBe(7);
    expect([...l.labels]).toEqual([9, 8, 7, 6, 5, 4, 3]);
  });

  it('detects gzip by its magic bytes, not by the file name', async () => {
    const gzNoSuffix = file('gz-without-suffix', gzip(imagesBytes(3, 2, 2)));
    const plainWithSuffix = file('plain-with-suffix.gz', imagesBytes(3, 2, 2));
    const a = await readIdxImages(gzNoSuffix);
    const b = await readIdxImages(plainWithSuffix);
    expect([...a.pixels]).toEqual([...b.pixels]);
    expect(a.pixels[5]).toBe(pixelOf(1, 1));
    const l = await readIdxLabels(file('labels.gz', gzip(labelsBytes(4))));
    expect([...l.labels]).toEqual([0, 1, 2, 3]);
  });

  it('reads only the header of plain and gzipped files', async () => {
    expect(await readIdxHeader(file('h-images', imagesBytes(9, 2, 5)))).toEqual({ kind: 'images', n: 9, dims: [2, 5] });
    expect(await readIdxHeader(file('h-labels.gz', gzip(labelsBytes(11))))).toEqual({ kind: 'labels', n: 11, dims: [] });
  });
});

describe('writing IDX files', () => {
  it('writes the same bytes as the format spells out, and reads them back (plain and gzip)', async () => {
    const pixels = new Uint8Array([0, 1, 2, 253, 254, 255]);
    const f = path.join(dir, 'w-images');
    await writeIdxImages(f, { n: 2, rows: 1, cols: 3, pixels });
    expect(fs.readFileSync(f).equals(idxBytes(0x803, [2, 1, 3], pixels))).toBe(true);

    const fz = path.join(dir, 'w-images.gz');
    await writeIdxImages(fz, { n: 2, rows: 1, cols: 3, pixels }, { gzip: true });
    expect([...fs.readFileSync(fz).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect([...(await readIdxImages(fz)).pixels]).toEqual([...pixels]);

    const fl = path.join(dir, 'w-labels');
    await writeIdxLabels(fl, { n: 3, labels: new Uint8Array([4, 0, 9]) });
    expect(fs.readFileSync(fl).equals(idxBytes(0x801, [3], new Uint8Array([4, 0, 9])))).toBe(true);
  });

  it('leaves no temporary files behind', () => {
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('rejecting bad IDX files with one line naming the file', () => {
  it('wrong magic number, shown in hex', async () => {
    const f = file('labels-as-images', labelsBytes(3));
    await expectTclError(readIdxImages(f), f, 'bad magic number 0x00000801', 'expected 0x00000803');
    const g = file('images-as-labels', imagesBytes(1, 1, 1));
    await expectTclError(readIdxLabels(g), g, '0x00000803', 'expected 0x00000801');
    const h = file('not-idx', Buffer.from('hello, world, this is text'));
    await expectTclError(readIdxImages(h), h, '0x68656c6c');
  });

  it('truncated image file: the header says more images than the bytes hold', async () => {
    const full = imagesBytes(10, 28, 28);
    const f = file('truncated-images', full.subarray(0, full.length - 1));
    await expectTclError(readIdxImages(f), f, 'truncated', '10 images of 28x28');
  });

  it('truncated label file', async () => {
    const full = labelsBytes(100);
    const f = file('truncated-labels', full.subarray(0, 50));
    await expectTclError(readIdxLabels(f), f, 'truncated', '100 labels');
  });

  it('a file shorter than its header', async () => {
    const f = file('short', imagesBytes(1, 2, 2).subarray(0, 10));
    await expectTclError(readIdxImages(f), f, 'too short');
  });

  it('bytes beyond what the header declares', async () => {
    const f = file('extra', Buffer.concat([labelsBytes(5), Buffer.from([1, 2])]));
    await expectTclError(readIdxLabels(f), f, '2 unexpected bytes');
  });

  it('an image size of zero', async () => {
    const f = file('zero-dims', idxBytes(0x803, [3, 0, 28], new Uint8Array(0)));
    await expectTclError(readIdxImages(f), f, 'invalid image size 0x28');
  });

  it('a truncated gzip stream', async () => {
    const gz = gzip(imagesBytes(50, 28, 28));
    const f = file('cut.gz', gz.subarray(0, gz.length >> 1));
    await expectTclError(readIdxImages(f), f, 'corrupt gzip');
  });

  it('a missing file', async () => {
    const f = path.join(dir, 'does-not-exist');
    await expectTclError(readIdxImages(f), f, 'no such file');
  });
});
