import type { Command } from 'commander';
import { addGlobalOptions, TclError } from './common.ts';

export function register(program: Command): void {
  addGlobalOptions(program.command('export').description('(not built yet)')).action(() => {
    throw new TclError("'export' is not built yet");
  });
}
