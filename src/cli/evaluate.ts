import type { Command } from 'commander';
import { addGlobalOptions, TclError } from './common.ts';

export function register(program: Command): void {
  addGlobalOptions(program.command('evaluate').description('(not built yet)')).action(() => {
    throw new TclError("'evaluate' is not built yet");
  });
}
