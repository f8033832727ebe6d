/** The CLI end to end, as a user runs it: real processes, real MNIST, real files. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './tmp-dirs.ts';

const run = promisify(execFile);
const BIN = path.resolve('bin/tfjs-tcl.js');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) as string);
const tmp = tempDirs('tcl-cli-');

describe('tfjs-tcl CLI', () => {
  it('--help lists every command, and every command has its own --help', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    const commands = ['train', 'evaluate', 'compare', 'synapse', 'export', 'bench', 'datasets'];
    for (const c of commands) expect(top.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    for (const c of commands) {
      const h = await cli([c, '--help']);
      expect(h.code, c).toBe(0);
      expect(h.stdout).toMatch(/--json/);
    }
  });

  it('bench --repeat 3: each method reports its median run and every run, the ratios are of the medians and per round', async () => {
    const r = await cli(['bench', '--in-process', '--methods', 'ep,bp', '--repeat', '3', '--train-size', '200', '--test-size', '50', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[1];
    for (const m of ['ep', 'bp']) {
      const runs: number[] = out.methods[m].secondsPerEpochRuns;
      expect(runs).toHaveLength(3);
      expect(out.methods[m].secondsPerEpoch).toBe(median(runs));
    }
    expect(out.ratios.bpOverEp).toBeCloseTo(median(out.methods.bp.secondsPerEpochRuns) / median(out.methods.ep.secondsPerEpochRuns), 12);
    expect(out.ratioRuns).toHaveLength(3);
    out.ratioRuns.forEach((x: { bpOverEp: number }, i: number) => expect(x.bpOverEp).toBeCloseTo(out.methods.bp.secondsPerEpochRuns[i] / out.methods.ep.secondsPerEpochRuns[i], 12));
  });

  it('an unknown option or option value fails with one line and exit code 1', async () => {
    for (const args of [['train', '--bogus'], ['train', '--method', 'sgd'], ['train', '--protocol', 'square'], ['compare', '--methods', 'tcl,xx'], ['train', '--epochs', 'two'], ['train', '--lr-schedule', 'linear'], ['compare', '--lr-schedule', 'exp:2']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')[0]).toMatch(/^error: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('train --json → evaluate → export safetensors → evaluate: the same test error, from real files', async () => {
    const out = tmp();
    const t = await cli(['train', '--method', 'ep', '--train-size', '400', '--test-size', '200', '--epochs', '1', '--out', out, '--json']);
    expect(t.code, t.stderr).toBe(0);
    const s = lastJson(t.stdout);
    for (const k of ['method', 'dataset', 'backend', 'epochs', 'trainError', 'testError', 'secondsPerEpoch', 'examplesPerSecond', 'out']) expect(s).toHaveProperty(k);
    expect(s.backend).toMatch(/^(node|wasm|cpu)$/);
    expect(fs.existsSync(path.join(out, 'metrics.json'))).toBe(true);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.epochs).toHaveLength(1);
    const e = lastJson((await cli(['evaluate', '--model', out, '--test-size', '200', '--json'])).stdout);
    expect(e.testError).toBe(s.testError);
    const st = path.join(tmp(), 'net.safetensors');
    const x = await cli(['export', '--model', out, '--format', 'safetensors', '--out', st, '--json']);
    expect(x.code, x.stderr).toBe(0);
    const e2 = lastJson((await cli(['evaluate', '--model', st, '--test-size', '200', '--json'])).stdout);
    expect(e2.testError).toBe(s.testError);
    // A truncated safetensors file: one clear line naming the file.
    fs.truncateSync(st, 50);
    const bad = await cli(['evaluate', '--model', st]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/net\.safetensors/);
  });

  it('--resume continues with the checkpoint’s method and epoch target, takes the run’s own command, and refuses flags that would change the run', async () => {
    const out = tmp();
    const command = ['train', '--method', 'ep', '--train-size', '200', '--test-size', '100', '--seed', '3', '--out', out, '--json'];
    const first = await cli([...command, '--epochs', '1']);
    expect(first.code, first.stderr).toBe(0);
    // Continue the finished 1-epoch run to 2 epochs without repeating --method: the checkpoint says EP.
    const more = await cli(['train', '--resume', out, '--epochs', '2', '--json']);
    expect(more.code, more.stderr).toBe(0);
    const s = lastJson(more.stdout);
    expect(s.method).toBe('ep');
    expect(s.epochs).toBe(2);
    expect(s.metrics).toHaveLength(2);
    // The same command with --resume appended is accepted (and --epochs still raises the target).
    const same = await cli([...command, '--epochs', '3', '--resume', out]);
    expect(same.code, same.stderr).toBe(0);
    expect(lastJson(same.stdout).metrics).toHaveLength(3);
    const bad = await cli(['train', '--resume', out, '--model', 'mnist-784-500-500-10', '--seed', '4']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      `error: --resume ${out}: a resumed run keeps the checkpoint's settings; these differ: --seed 4 (the checkpoint has 3); --model mnist-784-500-500-10 (its hyperparameters differ from the checkpoint's preset 'mnist-784-500-10')`,
    );
  });

  it('a model whose input size does not match the data fails with a shape-mismatch line', async () => {
    const dir = tmp();
    const preset = JSON.parse(fs.readFileSync('models/mnist-784-500-10.json', 'utf8'));
    preset.layers = [100, 20, 10];
    fs.writeFileSync(path.join(dir, 'p.json'), JSON.stringify(preset));
    const r = await cli(['train', '--method', 'ep', '--model', path.join(dir, 'p.json'), '--train-size', '40', '--test-size', '20']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: shape mismatch: the model's input layer has 100 units but mnist images have 784 pixels$/);
  });

  it('an unknown preset or dataset is named in the error', async () => {
    const r = await cli(['train', '--model', 'nope']);
    expect(r.stderr.trim()).toMatch(/^error: unknown model preset 'nope'/);
    const d = await cli(['train', '--dataset', 'cifar']);
    expect(d.code).toBe(1);
    expect(d.stderr.trim()).toMatch(/^error: .*cifar/);
  });
});
