/** Loads the MNIST subset served with the page and shapes it as the library's `Dataset`. */
import { scalePixels, type Dataset, type Examples } from '../../src/browser.ts';
import { decodeSubset, type SubsetArrays } from './subset-format.ts';

/** The library's pixel scaling (as the Node loader): bit-identical inputs. */
function examples(images: Uint8Array, labels: Uint8Array, n: number, d: number): Examples {
  return { n, inputSize: d, images: scalePixels(images, 0, n * d), labels: labels.slice(0, n) };
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
