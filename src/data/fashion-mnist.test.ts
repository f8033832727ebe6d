import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ensureFashionMnistIdx, isFashionMnistCached } from './fashion-mnist.ts';
import { listDatasets, loadDataset } from './registry.ts';
import { tempDir } from './test-fixtures.ts';

const cacheRoot = tempDir('fashion-cache');
process.env.TFJS_TCL_CACHE = cacheRoot;
afterAll(() => fs.rmSync(cacheRoot, { recursive: true, force: true }));

const jsonDir = path.join(path.dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json')), 'src', 'clothes');

/** One class's images straight from the package JSON, empty rows dropped. */
function classRows(c: number): number[][] {
  const { data } = JSON.parse(fs.readFileSync(path.join(jsonDir, `${c}.json`), 'utf8')) as { data: number[][] };
  return data.filter((r) => r.length > 0);
}

it('converts the package JSON once into IDX files with the documented interleaved split', async () => {
  const first = await ensureFashionMnistIdx();
  expect(first.converted).toBe(true);
  expect(first.dir).toBe(path.join(cacheRoot, 'fashion-mnist'));

  // Second time: only the stamp is read.
  const ds = await loadDataset({ dataset: 'fashion-mnist', split: 'standard' });
  expect((await ensureFashionMnistIdx()).converted).toBe(false);

  expect([ds.train.n, ds.test.n, ds.inputSize, ds.numClasses]).toEqual([60000, 10000, 784, 10]);
  expect(ds.classNames?.[9]).toBe('Ankle boot');
  expect(ds.source).toContain(jsonDir);
  for (let i = 0; i < 60000; i++) if (ds.train.labels[i] !== i % 10) throw new Error(`train label ${i} is ${ds.train.labels[i]}`);
  for (let i = 0; i < 10000; i++) if (ds.test.labels[i] !== i % 10) throw new Error(`test label ${i} is ${ds.test.labels[i]}`);

  // The IDX files against the JSON, byte for byte, by offsets: class c's k-th image is train
  // example 10k + c for k < 6000 and test example 10(k - 6000) + c after. Class 0 has empty rows.
  const trainBytes = fs.readFileSync(path.join(first.dir, 'train-images-idx3-ubyte'));
  const testBytes = fs.readFileSync(path.join(first.dir, 't10k-images-idx3-ubyte'));
  expect([trainBytes.readUInt32BE(0), trainBytes.readUInt32BE(4), testBytes.readUInt32BE(4)]).toEqual([0x803, 60000, 10000]);
  for (const c of [0, 9]) {
    const rows = classRows(c);
    expect(rows.length).toBe(7000);
    let mismatches = 0;
    for (let k = 0; k < 7000; k++) {
      const [bytes, index] = k < 6000 ? [trainBytes, 10 * k + c] : [testBytes, 10 * (k - 6000) + c];
      for (let j = 0; j < 784; j++) if (bytes[16 + index * 784 + j] !== rows[k][j]) mismatches++;
    }
    expect(mismatches).toBe(0);
  }
  // The paper split of the converted files is class-balanced: 1,000 / 200 per class.
  const paper = await loadDataset({ dataset: 'fashion-mnist' });
  const counts = new Array(10).fill(0);
  for (const l of paper.test.labels) counts[l]++;
  expect(counts).toEqual(new Array(10).fill(200));

  expect(await isFashionMnistCached(first.dir, '0.0.0-other')).toBe(false);
  const listed = (await listDatasets()).find((d) => d.name === 'fashion-mnist')!;
  expect(listed.source.startsWith(first.dir)).toBe(true);
  expect([listed.trainExamples, listed.testExamples]).toEqual([60000, 10000]);
});
