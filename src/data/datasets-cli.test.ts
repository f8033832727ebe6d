// The `tfjs-tcl datasets` command end to end (kept here with the data tests: src/cli/datasets.ts
// is a thin wrapper over listDatasets / describeDataset).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { imagesBytes, tempDir, writeIdxDir } from './test-fixtures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'tfjs-tcl.js');
const root = tempDir('cli');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

it('`datasets --json` ends with one JSON object listing MNIST with its sizes', async () => {
  const { code, stdout } = await run(['datasets', '--json']);
  expect(code).toBe(0);
  const last = stdout.trimEnd().split('\n').at(-1)!;
  const result = JSON.parse(last) as { datasets: Array<{ name: string; trainExamples: number; testExamples: number; inputSize: number }> };
  const names = result.datasets.map((d) => d.name);
  expect(names).toEqual(['mnist', 'fashion-mnist']);
  expect(result.datasets[0]).toMatchObject({ name: 'mnist', trainExamples: 60000, testExamples: 10000, inputSize: 784 });
});

it('`datasets --data-dir` with a corrupt IDX file exits 1 with one `error:` line naming the file', async () => {
  const bytes = imagesBytes(20, 4, 4);
  const dir = writeIdxDir(
    path.join(root, 'corrupt'),
    { testImages: { name: 't10k-images-idx3-ubyte', bytes: bytes.subarray(0, bytes.length - 5) } },
    { nTrain: 50, nTest: 20, rows: 4, cols: 4 },
  );
  const { code, stdout, stderr } = await run(['datasets', '--json', '--data-dir', dir]);
  expect(code).toBe(1);
  expect(stdout).toBe('');
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: .*t10k-images-idx3-ubyte: truncated/);
});

it('`datasets --data-dir` adds that directory, read and checked, to the list', async () => {
  const dir = writeIdxDir(path.join(root, 'good'), {}, { nTrain: 50, nTest: 20, rows: 4, cols: 4 });
  const { code, stdout } = await run(['datasets', '--json', '--data-dir', dir]);
  expect(code).toBe(0);
  const { datasets } = JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as { datasets: Array<Record<string, unknown>> };
  expect(datasets.at(-1)).toMatchObject({ name: 'idx', trainExamples: 50, testExamples: 20, inputSize: 16, numClasses: 10, source: dir });
});
