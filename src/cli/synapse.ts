import type { Command } from 'commander';
import { addGlobalOptions, TclError } from './common.ts';

export function register(program: Command): void {
  addGlobalOptions(program.command('synapse').description('(not built yet)')).action(() => {
    throw new TclError("'synapse' is not built yet");
  });
}
