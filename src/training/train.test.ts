import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSameValues } from '../../test/arrays.ts';
import { tempDirs } from '../../test/tmp-dirs.ts';
import { initBackend } from '../backend.ts';
import { loadDataset, type Dataset } from '../data/index.ts';
import { loadNetwork } from '../io/network-io.ts';
import { evaluate } from './evaluate.ts';
import { TclError } from '../errors.ts';
import { loadPreset } from './preset-files.ts';
import { trainNetwork } from './train.ts';
import type { MethodName } from './types.ts';

let data: Dataset;
const tmp = tempDirs('tcl-train-');

beforeAll(async () => {
  await initBackend();
  data = await loadDataset({ split: 'paper', trainSize: 1000, testSize: 500 });
});

describe('the training loop', () => {
  for (const method of ['ep', 'tcl', 'bp'] as MethodName[]) {
    it(`${method.toUpperCase()} lowers the training error on a 1,000-image subset within 3 epochs`, async () => {
      const { net: untrained } = await trainNetwork({ method, data, epochs: 1, seed: 1, shouldStop: () => true });
      const before = evaluate(untrained, data.train).error;
      const { net, summary } = await trainNetwork({ method, data, epochs: 3, seed: 1, evalTrain: true });
      expect(before).toBeGreaterThan(0.6);
      expect(summary.trainError).not.toBeNull();
      // BP's plain SGD (lr 0.1) on a sigmoid MLP starts slower than EP/TCL on 1,000 images.
      const bound = method === 'bp' ? 0.4 : 0.25;
      expect(summary.trainError!).toBeLessThan(bound);
      expect(summary.trainError!).toBeLessThan(before / 2);
      expect(summary.testError).toBeLessThan(bound + 0.05);
      expect(evaluate(net, data.train).error).toBeCloseTo(summary.trainError!, 10);
    });
  }

  it('numTensors and numBytes stay flat across training epochs (TCL, EP and BP)', async () => {
    for (const method of ['tcl', 'ep', 'bp'] as MethodName[]) {
      const counts: number[] = [];
      const bytes: number[] = [];
      const small = await loadDataset({ split: 'paper', trainSize: 200, testSize: 100 });
      await trainNetwork({
        method,
        data: small,
        epochs: 3,
        onEpoch: () => {
          counts.push(tf.memory().numTensors);
          bytes.push(tf.memory().numBytes);
        },
      });
      expect(counts[2]).toBe(counts[0]);
      expect(bytes[2]).toBe(bytes[0]);
    }
  });

  const adam = () => {
    const p = loadPreset();
    p.bp = { ...p.bp, optimizer: 'adam', lr: [0.001, 0.001] };
    return p;
  };
  for (const [method, label] of [['ep', 'EP'], ['tcl', 'TCL'], ['bp', 'BP with Adam (its moments are checkpointed)']] as [MethodName, string][]) {
    it(`${label}: stopping mid-epoch and resuming gives exactly the weights of an uninterrupted run`, async () => {
      const small = await loadDataset({ split: 'paper', trainSize: 300, testSize: 100 });
      const model = method === 'bp' ? adam() : undefined;
      const full = await trainNetwork({ method, data: small, epochs: 2, seed: 5, model });
      const dir = tmp();
      let batches = 0;
      const first = await trainNetwork({ method, data: small, epochs: 2, seed: 5, model, out: dir, shouldStop: () => ++batches === 22 });
      expect(first.summary.interrupted).toBe(true);
      const resumed = await trainNetwork({ method, data: small, resume: dir });
      expect(resumed.summary.interrupted).toBe(false);
      expect(resumed.summary.epochs).toBe(2);
      const a = full.net.getWeights();
      const b = resumed.net.getWeights();
      a.forEach((t, i) => expectSameValues(b[i].dataSync(), t.dataSync(), `weights ${i}`));
      expect(resumed.summary.testError).toBe(full.summary.testError);
      // The checkpoint directory holds a loadable model.
      const { net } = await loadNetwork(dir);
      expect(net.sizes).toEqual([784, 500, 10]);
    });
  }

  it('the same seed on the same backend gives identical results', async () => {
    const small = await loadDataset({ split: 'paper', trainSize: 200, testSize: 100 });
    const a = await trainNetwork({ method: 'tcl', data: small, epochs: 1, seed: 9 });
    const b = await trainNetwork({ method: 'tcl', data: small, epochs: 1, seed: 9 });
    expectSameValues(b.net.getWeights()[0].dataSync(), a.net.getWeights()[0].dataSync(), 'W_1');
  });

  it('divergence (NaN/Inf) stops training with one clear line and keeps the last good checkpoint', async () => {
    const small = await loadDataset({ split: 'paper', trainSize: 200, testSize: 100 });
    const preset = loadPreset();
    const dir = tmp();
    const good = await trainNetwork({ method: 'ep', data: small, epochs: 1, out: dir, model: preset });
    const weightsBefore = fs.readFileSync(path.join(dir, 'weights.bin'));
    const bad = structuredClone(preset);
    bad.ep.lr = [3e38, 3e38]; // lr/β overflows float32: Inf · 0 = NaN in the first update
    const err = await trainNetwork({ method: 'ep', data: small, epochs: 2, model: bad, out: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(TclError); // one line on the CLI, no stack trace
    expect(err.name).toBe('DivergedError');
    expect(err.message).toMatch(/diverged: NaN\/Inf/);
    expect(err.message.split('\n')).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, 'weights.bin')).equals(weightsBefore)).toBe(true);
    expect(good.summary.epochs).toBe(1);
  });
});
