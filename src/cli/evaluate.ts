import type { Command } from 'commander';
import { loadDataset } from '../data/index.ts';
import { loadNetwork } from '../io/network-io.ts';
import { evaluate } from '../training/evaluate.ts';
import { TclError } from '../errors.ts';
import { addDataOptions, addGlobalOptions, backendFrom, emit } from './common.ts';

export function register(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('recompute the test error of a saved model (tfjs directory, model.json or .safetensors)')
    .requiredOption('--model <path>', 'saved model: a directory written by train, its model.json, or a .safetensors file');
  addDataOptions(cmd, { split: null });
  addGlobalOptions(cmd).action(async (opts) => {
    const backend = await backendFrom(opts);
    const { net, info } = await loadNetwork(opts.model);
    const data = await loadDataset({
      dataset: opts.dataset ?? (opts.dataDir ? undefined : info.dataset),
      dataDir: opts.dataDir,
      // A model is tested on the split it was trained on unless told otherwise (its test images are never its training images).
      split: opts.split ?? (info.split === 'standard' ? 'standard' : 'paper'),
      trainSize: opts.trainSize,
      testSize: opts.testSize,
    });
    if (net.sizes[0] !== data.inputSize) {
      throw new TclError(`shape mismatch: ${opts.model} expects ${net.sizes[0]} inputs but ${data.name} images have ${data.inputSize} pixels`);
    }
    const t0 = performance.now();
    const r = evaluate(net, data.test);
    const seconds = (performance.now() - t0) / 1000;
    const result = {
      model: opts.model,
      method: info.method ?? null,
      dataset: data.name,
      split: data.split,
      splitDescription: data.description,
      backend,
      layers: net.sizes,
      testSize: data.test.n,
      testError: r.error,
      relaxationSteps: r.relaxationSteps,
      seconds,
    };
    emit(opts, result, [
      `${opts.model} (${result.method ?? 'unknown method'}, ${net.sizes.join('-')}) on ${data.name} ${data.description}, backend ${backend}`,
      `test error ${(100 * r.error).toFixed(2)}% on ${data.test.n} examples` +
        (net.relaxation.inference === 'relaxation' ? `; relaxed from 0 until predictions were stable (${r.relaxationSteps} steps)` : ' (feed-forward)'),
    ]);
  });
}
