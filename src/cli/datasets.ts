import type { Command } from 'commander';
import { addGlobalOptions, TclError } from './common.ts';

export function register(program: Command): void {
  addGlobalOptions(program.command('datasets').description('(not built yet)')).action(() => {
    throw new TclError("'datasets' is not built yet");
  });
}
