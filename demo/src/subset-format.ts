/**
 * The MNIST subset the page ships with, as one compact binary file (uint8 pixels, not JSON):
 *
 *   bytes 0..3   'TCLD'
 *   bytes 4..7   uint32 LE: length J of the JSON header
 *   bytes 8..    J bytes of UTF-8 JSON (SubsetHeader), zero-padded to a multiple of 4
 *   then         train images (n·784 uint8), train labels (n uint8), test images, test labels
 *
 * Pixels are the IDX bytes; the page scales them by 1/255 exactly as the Node dataset loader
 * does, so the page and the CLI train on bit-identical inputs.
 */
export const SUBSET_MAGIC = 'TCLD';

export interface SubsetPart {
  n: number;
  /** Byte offsets of the images and labels from the start of the file. */
  imagesOffset: number;
  labelsOffset: number;
}

export interface SubsetHeader {
  dataset: string;
  split: 'paper' | 'standard';
  /** e.g. 'train[0:3000] / train[10000:10500]'. */
  description: string;
  imageShape: [number, number];
  numClasses: number;
  train: SubsetPart;
  test: SubsetPart;
}

export interface SubsetArrays {
  header: SubsetHeader;
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

/** Packs the header and arrays into the file layout above. */
export function encodeSubset(h: Omit<SubsetHeader, 'train' | 'test'>, a: Omit<SubsetArrays, 'header'>): Uint8Array {
  const d = h.imageShape[0] * h.imageShape[1];
  const nTrain = a.trainLabels.length;
  const nTest = a.testLabels.length;
  // The offsets depend on the header length, which depends on the offsets' digits: fix J first.
  const draft = (base: number): SubsetHeader => ({
    ...h,
    train: { n: nTrain, imagesOffset: base, labelsOffset: base + nTrain * d },
    test: { n: nTest, imagesOffset: base + nTrain * (d + 1), labelsOffset: base + nTrain * (d + 1) + nTest * d },
  });
  let base = 8 + 64;
  let json = new TextEncoder().encode(JSON.stringify(draft(base)));
  for (;;) {
    const need = 8 + Math.ceil(json.length / 4) * 4;
    if (need === base) break;
    base = need;
    json = new TextEncoder().encode(JSON.stringify(draft(base)));
  }
  const out = new Uint8Array(base + nTrain * (d + 1) + nTest * (d + 1));
  out.set(new TextEncoder().encode(SUBSET_MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  const hd = draft(base);
  out.set(a.trainImages, hd.train.imagesOffset);
  out.set(a.trainLabels, hd.train.labelsOffset);
  out.set(a.testImages, hd.test.imagesOffset);
  out.set(a.testLabels, hd.test.labelsOffset);
  return out;
}

/** Reads the file layout above (views into `bytes`, no copies). */
export function decodeSubset(bytes: Uint8Array): SubsetArrays {
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== SUBSET_MAGIC) throw new Error(`not a TCL data subset (magic '${magic}')`);
  const J = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + J))) as SubsetHeader;
  const d = header.imageShape[0] * header.imageShape[1];
  const part = (p: SubsetPart) => ({ images: bytes.subarray(p.imagesOffset, p.imagesOffset + p.n * d), labels: bytes.subarray(p.labelsOffset, p.labelsOffset + p.n) });
  const tr = part(header.train);
  const te = part(header.test);
  if (te.labels.length !== header.test.n) throw new Error(`data subset truncated: ${bytes.length} bytes`);
  return { header, trainImages: tr.images, trainLabels: tr.labels, testImages: te.images, testLabels: te.labels };
}
