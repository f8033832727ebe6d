import type { Command } from 'commander';
import { addGlobalOptions, TclError } from './common.ts';

export function register(program: Command): void {
  addGlobalOptions(program.command('bench').description('(not built yet)')).action(() => {
    throw new TclError("'bench' is not built yet");
  });
}
