import type { Command } from 'commander';
import { addGlobalOptions, TclError } from './common.ts';

export function register(program: Command): void {
  addGlobalOptions(program.command('train').description('(not built yet)')).action(() => {
    throw new TclError("'train' is not built yet");
  });
}
