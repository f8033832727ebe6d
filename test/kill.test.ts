/**
 * Nothing lost, whatever happens: `tfjs-tcl train --out DIR --checkpoint-every 1` is SIGKILLed at
 * random moments (TFJS_TCL_KILLS times, default 20), many of them inside a checkpoint write (a
 * test-only pause between the files of the set makes that likely). After each kill the directory
 * must load as a model (what `evaluate` does), with model, safetensors and trainer state of the
 * same checkpoint; then `--resume` continues. The chain ends with weights bit-identical to an
 * uninterrupted run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSameValues } from './arrays.ts';
import { tempDirs } from './tmp-dirs.ts';
import { initBackend } from '../src/backend.ts';
import { loadDataset } from '../src/data/index.ts';
import { LOCK_FILE } from '../src/io/lock.ts';
import { readSafetensors } from '../src/io/safetensors.ts';
import { loadNetwork } from '../src/io/network-io.ts';
import { evaluate } from '../src/training/evaluate.ts';
import { trainNetwork } from '../src/training/train.ts';
import { Rng } from '../src/rng.ts';

const KILLS = Number(process.env.TFJS_TCL_KILLS ?? 20);
const SEED = Number(process.env.TFJS_TCL_KILL_SEED ?? 1);
const WRITE_DELAY_MS = 25;
const tmp = tempDirs('tcl-kill-');
const CHILD = path.resolve('test/cli-child.ts');

/** The network and data of the run: tiny, so a checkpoint is mostly its pauses. */
const RUN = { trainSize: 200, testSize: 100, epochs: 5, seed: 7 };
let presetFile: string;

beforeAll(async () => {
  await initBackend();
  const p = JSON.parse(fs.readFileSync('models/mnist-784-500-10.json', 'utf8'));
  p.name = 'tiny-784-32-10';
  p.layers = [784, 32, 10];
  presetFile = path.join(tmp(), 'tiny.json');
  fs.writeFileSync(presetFile, JSON.stringify(p));
});

/** A CLI process with its modules loaded, waiting for its arguments. */
function readyProcess(): ChildProcess & { out: string; err: string; exited: Promise<number | null> } {
  const c = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, TFJS_TCL_TEST_WRITE_DELAY_MS: String(WRITE_DELAY_MS) },
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as ChildProcess & { out: string; err: string; exited: Promise<number | null> };
  c.out = '';
  c.err = '';
  c.stdout!.on('data', (d: Buffer) => (c.out += d));
  c.stderr!.on('data', (d: Buffer) => (c.err += d));
  c.exited = new Promise((r) => c.on('exit', (code) => r(code)));
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The file's text, or '' when it does not exist (ENOENT only; anything else is thrown). */
function readIfThere(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

describe('SIGKILL at random moments of train --out', () => {
  it(`${KILLS} kills, each followed by a loadable directory; the chain of --resume ends bit-identical to an uninterrupted run`, async () => {
    const dir = tmp();
    const look = tmp();
    const args = ['train', '--method', 'tcl', '--model', presetFile, '--train-size', String(RUN.trainSize), '--test-size', String(RUN.testSize),
      '--epochs', String(RUN.epochs), '--seed', String(RUN.seed), '--out', dir, '--checkpoint-every', '1', '--json'];
    const data = await loadDataset({ split: 'paper', trainSize: RUN.trainSize, testSize: RUN.testSize });
    const reference = await trainNetwork({ method: 'tcl', model: presetFile, data, epochs: RUN.epochs, seed: RUN.seed });

    const rng = new Rng(SEED);
    const pool = [readyProcess(), readyProcess()];
    let kills = 0;
    let insideWrite = 0;
    let rolledForward = 0;
    const progress: string[] = [];
    for (let life = 0; kills < KILLS; life++) {
      const child = pool.shift()!;
      const t0 = Date.now();
      // The run's own command each time; --resume once a checkpoint exists.
      const resume = fs.existsSync(path.join(dir, 'trainer-state.json')) || fs.readdirSync(dir).some((f) => f.endsWith('.ready'));
      child.stdin!.end(JSON.stringify(resume ? [...args, '--resume', dir] : args) + '\n');
      pool.push(readyProcess());
      // The random moment counts from the run's own progress — after 0, 1 or 2 checkpoints it
      // commits — so that a loaded machine's slow start cannot turn every kill into a kill before
      // training, and most lives move the run forward.
      const lock = path.join(dir, LOCK_FILE);
      // One read, no exists-then-read: a life taking over a stale lock renames it away in between.
      const holds = () => readIfThere(lock).includes(`"pid":${child.pid},`);
      while (!holds() && child.exitCode === null) await sleep(5);
      const commits = resume ? Math.floor(rng.next() * 3) : 1; // the first life: until a checkpoint exists
      // One stat, no exists-then-stat: the file may be renamed away between two calls (a resumed life recovering a killed commit).
      const inode = () => fs.statSync(path.join(dir, 'trainer-state.json'), { throwIfNoEntry: false })?.ino ?? -1;
      for (let seen = 0, last = inode(); seen < commits && child.exitCode === null; await sleep(2)) {
        const now = inode();
        if (now !== last && now !== -1) seen++;
        last = now;
      }
      // Then one of three moments, at random: while it trains (0–250 ms on), while it writes the
      // next checkpoint's temp files, or between that checkpoint's renames (the delicate steps).
      const moment = Math.floor(rng.next() * 3);
      const mine = (suffix: string) => fs.readdirSync(dir).some((f) => f.endsWith(suffix) && f.includes(`.${child.pid}.`));
      if (moment === 1) while (!mine('.tmp') && child.exitCode === null) await sleep(1);
      if (moment === 2) while (!mine('.ready') && child.exitCode === null) await sleep(1);
      if (process.env.TFJS_TCL_KILL_DEBUG) console.log(`life ${life}: ${commits} commits, moment ${moment} after ${Date.now() - t0} ms`);
      const exitedEarly = await Promise.race([child.exited.then(() => true), sleep(rng.next() * [250, 10, 300][moment]).then(() => false)]);
      if (exitedEarly) {
        expect.fail(`the run finished after ${kills} kills (life ${life}): make it longer (exit ${await child.exited}, ${child.err.trim().split('\n').at(-1)})`);
      }
      child.kill('SIGKILL');
      await child.exited;
      kills++;

      // What the kill left: a write in progress shows as temp/backup files of the dead process.
      const names = fs.readdirSync(dir);
      const debris = names.filter((f) => /\.(tmp|ready|old)$/.test(f));
      if (debris.length) insideWrite++;
      if (names.some((f) => f.endsWith('.ready')) && !names.includes('trainer-state.json')) rolledForward++;

      // evaluate on a copy (so that the resume below recovers the original itself).
      fs.rmSync(look, { recursive: true, force: true });
      fs.cpSync(dir, look, { recursive: true });
      const { net, info } = await loadNetwork(look);
      expect(net.sizes).toEqual([784, 32, 10]);
      const err = evaluate(net, data.test).error;
      expect(err).toBeGreaterThanOrEqual(0);
      expect(err).toBeLessThanOrEqual(1);
      // One checkpoint, not a mixture: the model, the safetensors export and the state agree.
      const state = JSON.parse(fs.readFileSync(path.join(look, 'trainer-state.json'), 'utf8'));
      expect(info.epochs).toBe(String(state.loop.epoch));
      const st = await readSafetensors(path.join(look, 'weights.safetensors'));
      expectSameValues(st.tensors.W1.data, net.couplingLayers[0].kernel.read().dataSync(), 'W1 in weights.safetensors vs weights.bin');
      expect(fs.readdirSync(look).filter((f) => /\.(tmp|ready|old)$/.test(f))).toEqual([]);
      progress.push(`${state.loop.epoch}.${state.loop.batchIndex}`);
      if (process.env.TFJS_TCL_KILL_DEBUG) console.log(`life ${life}: ${progress.at(-1)} debris ${debris.join(',')} cycle ${Date.now() - t0} ms`);
      net.dispose();
    }
    // The last life runs to the end
    const last = pool.shift()!;
    pool[0].kill('SIGKILL');
    // (with the default cadence, checkpoints at epoch ends: the cadence does not change the result)
    last.stdin!.end(JSON.stringify([...args.filter((a, i) => a !== '--checkpoint-every' && args[i - 1] !== '--checkpoint-every'), '--resume', dir]) + '\n');
    expect(await last.exited, last.err).toBe(0);
    const summary = JSON.parse(last.out.trim().split('\n').at(-1)!);
    expect(summary.epochs).toBe(RUN.epochs);

    const { net } = await loadNetwork(dir);
    const a = reference.net.getWeights();
    const b = net.getWeights();
    expect(b.length).toBe(a.length);
    b.forEach((t, i) => expectSameValues(t.dataSync(), a[i].dataSync(), `weights ${i}`));
    expect(summary.testError).toBe(reference.summary.testError);
    // Some kills landed inside a checkpoint write, some of them after the old set was moved aside.
    console.log(`kill test: ${kills} kills, ${insideWrite} inside a checkpoint write, ${rolledForward} rolled forward; checkpoints (epoch.batch) seen: ${progress.join(' ')}`);
    expect(insideWrite).toBeGreaterThan(0);
    expect(rolledForward).toBeGreaterThan(0);
  }, 300_000); // mostly the start-up of 22 CLI processes (tfjs import ≈ 1.4 s CPU each); slow on a shared machine
});
