/** Checkpoint cadence, disk-full during a checkpoint, and `resume` with the run's own settings. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectSameValues } from '../../test/arrays.ts';
import { tempDirs } from '../../test/tmp-dirs.ts';
import { initBackend } from '../backend.ts';
import { loadDataset, type Dataset } from '../data/index.ts';
import { TclError } from '../errors.ts';
import { fsOps } from '../io/atomic.ts';
import { LOCK_FILE } from '../io/lock.ts';
import { loadNetwork } from '../io/network-io.ts';
import { loadPreset } from './preset-files.ts';
import { trainNetwork } from './train.ts';

const tmp = tempDirs('tcl-ckpt-');
let data: Dataset;
const realWrite = fsOps.writeFile;

beforeAll(async () => {
  await initBackend();
  data = await loadDataset({ split: 'paper', trainSize: 300, testSize: 100 }); // 15 batches of 20
});
afterEach(() => {
  fsOps.writeFile = realWrite;
});

const state = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'trainer-state.json'), 'utf8'));
const weightsOf = async (dir: string) => (await loadNetwork(dir)).net.getWeights().map((t) => t.dataSync() as Float32Array);

describe('checkpoints', () => {
  it('checkpointEvery 4: the directory holds a checkpoint at most 4 batches old, and resuming from a mid-epoch one is exact (TCL)', async () => {
    const model = { ...loadPreset(), name: 'tiny', layers: [784, 32, 10] }; // the cadence, not the network, is under test
    const full = await trainNetwork({ method: 'tcl', model, data, epochs: 2, seed: 3 });
    const dir = tmp();
    const copy = tmp();
    const seenAt = new Set<number>();
    await trainNetwork({
      method: 'tcl', model, data, epochs: 2, seed: 3, out: dir, checkpointEvery: 4,
      onBatch: (p) => {
        // What a crash right now would keep: batches done vs batches in the checkpoint.
        const done = (p.epoch - 1) * 15 + p.batch;
        const saved = fs.existsSync(path.join(dir, 'trainer-state.json')) ? state(dir).loop.epoch * 15 + state(dir).loop.batchIndex : 0;
        expect(done - saved).toBeLessThanOrEqual(4);
        seenAt.add(saved);
        // A copy of the directory as it is after epoch 2, batch 9: holds the checkpoint of batch 8.
        if (p.epoch === 2 && p.batch === 9) {
          fs.cpSync(dir, copy, { recursive: true });
          fs.rmSync(path.join(copy, LOCK_FILE)); // the copy's lock names this (live) process
        }
      },
    });
    expect(state(copy).loop).toMatchObject({ epoch: 1, batchIndex: 8 });
    const resumed = await trainNetwork({ data, resume: copy });
    const a = full.net.getWeights();
    resumed.net.getWeights().forEach((t, i) => expectSameValues(t.dataSync(), a[i].dataSync(), `weights ${i}`));
    expect(resumed.summary.testError).toBe(full.summary.testError);
    expect([...seenAt].sort((a, b) => a - b)).toEqual([0, 4, 8, 12, 15, 19, 23, 27]); // every 4 batches and at the epoch's end
  });

  it('disk full (ENOSPC) in the middle of a checkpoint write: one line naming the file, and the previous checkpoint still loads and resumes', async () => {
    const dir = tmp();
    let batches = 0;
    await trainNetwork({ method: 'ep', data, epochs: 1, seed: 2, out: dir, checkpointEvery: 5, shouldStop: () => ++batches === 7 });
    const before = state(dir).loop;
    expect(before).toMatchObject({ epoch: 0, batchIndex: 7 });
    const weightsBefore = await weightsOf(dir);
    // The next checkpoint (after batch 9): particles.bin, between the model files and the state, fails.
    const failed: string[] = [];
    fsOps.writeFile = async (handle, bytes, target) => {
      if (path.basename(target) === 'particles.bin') {
        failed.push(target);
        await handle.write(new Uint8Array(1000)); // a partial write, then the disk is full
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      }
      return realWrite(handle, bytes, target);
    };
    const err = await trainNetwork({ data, resume: dir, checkpointEvery: 3 }).catch((e) => e);
    expect(failed).toHaveLength(1);
    expect(err).toBeInstanceOf(TclError);
    expect(err.message).toBe(`${path.join(dir, 'particles.bin')}: cannot write (ENOSPC: no space left on device)`);
    fsOps.writeFile = realWrite;
    // Nothing of the failed write is left, and the previous checkpoint is intact.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(state(dir).loop).toEqual(before);
    (await weightsOf(dir)).forEach((w, i) => expectSameValues(w, weightsBefore[i], `weights ${i}`));
    const full = await trainNetwork({ method: 'ep', data, epochs: 1, seed: 2 });
    const resumed = await trainNetwork({ data, resume: dir });
    const a = full.net.getWeights();
    resumed.net.getWeights().forEach((t, i) => expectSameValues(t.dataSync(), a[i].dataSync(), `weights ${i}`));
  });
});

describe('resume with the run\'s own settings', () => {
  it('equal settings are accepted; each differing one is refused naming both values; epochs raises the target', async () => {
    const dir = tmp();
    const run = { method: 'ep' as const, data, seed: 4, split: 'paper' as const, trainSize: 300, testSize: 100, batchSize: 20, model: 'mnist-784-500-10', lrSchedule: 'constant' };
    await trainNetwork({ ...run, epochs: 1, out: dir });
    const err = await trainNetwork({ ...run, resume: dir, seed: 5, batchSize: 10, method: 'tcl' }).catch((e) => e);
    expect(err).toBeInstanceOf(TclError);
    expect(err.message).toBe(
      `--resume ${dir}: a resumed run keeps the checkpoint's settings; these differ: --method tcl (the checkpoint has ep); --seed 5 (the checkpoint has 4); --batch-size 10 (the checkpoint has 20)`,
    );
    await expect(trainNetwork({ ...run, resume: dir, model: 'mnist-784-500-500-10' })).rejects.toThrow(
      "--model mnist-784-500-500-10 (its hyperparameters differ from the checkpoint's preset 'mnist-784-500-10')",
    );
    await expect(trainNetwork({ ...run, resume: dir, protocol: 'reversed' })).rejects.toThrow('--protocol reversed (the checkpoint has sawtooth)');
    const more = await trainNetwork({ ...run, resume: dir, epochs: 2, out: dir });
    expect(more.summary.epochs).toBe(2);
    expect(more.summary.metrics).toHaveLength(2);
  });
});
