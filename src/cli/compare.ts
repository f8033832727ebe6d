import type { Command } from 'commander';
import { addGlobalOptions, TclError } from './common.ts';

export function register(program: Command): void {
  addGlobalOptions(program.command('compare').description('(not built yet)')).action(() => {
    throw new TclError("'compare' is not built yet");
  });
}
