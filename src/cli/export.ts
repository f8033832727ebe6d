import type { Command } from 'commander';
import { Option } from 'commander';
import { writeFileAtomic } from '../io/atomic.ts';
import { fileSystem } from '../io/file-handler.ts';
import { loadNetwork, networkTensors } from '../io/network-io.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import { addGlobalOptions, backendFrom, emit } from './common.ts';

export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description('convert a saved model: tfjs (model.json + weights.bin), safetensors, or json (plain nested arrays)')
    .requiredOption('--model <path>', 'saved model: directory, model.json, or .safetensors')
    .addOption(new Option('--format <f>', 'output format').choices(['tfjs', 'safetensors', 'json']).makeOptionMandatory())
    .requiredOption('--out <path>', 'output: a directory for tfjs, a file for safetensors/json');
  addGlobalOptions(cmd).action(async (opts) => {
    const backend = await backendFrom(opts);
    const { net, info } = await loadNetwork(opts.model);
    const out: string = opts.out;
    // The atomic writers create missing directories and name the path in a one-line error.
    if (opts.format === 'tfjs') {
      net.setUserDefinedMetadata({ tfjsTcl: info });
      await net.save(fileSystem(out));
    } else {
      const { tensors, metadata } = networkTensors(net, info);
      if (opts.format === 'safetensors') {
        await writeSafetensors(out, tensors, metadata);
      } else {
        const json = {
          metadata,
          tensors: Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { shape: t.shape, data: Array.from(t.data) }])),
        };
        await writeFileAtomic(out, JSON.stringify(json));
      }
    }
    emit(opts, { model: opts.model, format: opts.format, out, layers: net.sizes, backend }, [`wrote ${opts.format} export of ${opts.model} (${net.sizes.join('-')}) to ${out}`]);
  });
}
