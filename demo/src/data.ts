/** Loads the MNIST subset served with the page and shapes it as the library's `Dataset`. */
import type { Dataset, Examples } from '../../src/browser.ts';
import { decodeSubset, type SubsetArrays } from './subset-format.ts';

/** p / 255 as float32, the same table the Node loader uses: bit-identical inputs. */
const PIXEL_SCALE = Float32Array.from({ length: 256 }, (_, p) => p / 255);

function examples(images: Uint8Array, labels: Uint8Array, n: number, d: number): Examples {
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = PIXEL_SCALE[images[i]];
  return { n, inputSize: d, images: out, labels: labels.slice(0, n) };
}

export class MnistSubset {
  constructor(readonly raw: SubsetArrays) {}

  static async fetch(url: string): Promise<MnistSubset> {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return new MnistSubset(decodeSubset(new Uint8Array(await res.arrayBuffer())));
  }

  get trainAvailable(): number {
    return this.raw.header.train.n;
  }

  /** The first `trainSize` training images and all test images — the CLI's `--train-size N --test-size M`. */
  dataset(trainSize: number): Dataset {
    const h = this.raw.header;
    const d = h.imageShape[0] * h.imageShape[1];
    const n = Math.min(trainSize, h.train.n);
    const [, testPart = ''] = h.description.split(' / ');
    return {
      name: h.dataset,
      split: h.split,
      numClasses: h.numClasses,
      inputSize: d,
      imageShape: h.imageShape,
      train: examples(this.raw.trainImages, this.raw.trainLabels, n, d),
      test: examples(this.raw.testImages, this.raw.testLabels, h.test.n, d),
      source: 'mnist-subset.bin (served with the page)',
      description: `train[0:${n}] / ${testPart}`,
    };
  }
}
