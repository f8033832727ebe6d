/** The list of commands; each file registers one command on the program. */
import type { Command } from 'commander';
import { register as datasets } from './datasets.ts';
import { register as synapse } from './synapse.ts';
import { register as train } from './train.ts';
import { register as evaluate } from './evaluate.ts';
import { register as compare } from './compare.ts';
import { register as exportCmd } from './export.ts';
import { register as bench } from './bench.ts';
import { register as sweep } from './sweep.ts';
import { register as worker } from './worker.ts';

export function registerCommands(program: Command): void {
  for (const r of [train, evaluate, compare, synapse, exportCmd, bench, datasets, sweep, worker]) r(program);
}
