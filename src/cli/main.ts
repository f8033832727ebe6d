/**
 * `tfjs-tcl` — the command-line interface. Each command lives in its own file and only
 * parses flags, calls the library and prints; this file wires them together and turns
 * TclErrors (and commander's usage errors) into one line on stderr and exit code 1.
 */
import { Command, CommanderError } from 'commander';
import { TclError } from '../errors.ts';
import { registerCommands } from './commands.ts';

const program = new Command('tfjs-tcl')
  .description('Temporal Contrastive Learning (TCL), Equilibrium Propagation (EP) and backprop on energy-based networks in TensorFlow.js')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerCommands(program);

const debug = process.argv.includes('--debug');

// `tfjs-tcl … | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

function fail(e: unknown): never {
  if (e instanceof CommanderError) {
    // commander has already printed its one-line message (or the help text).
    process.exit(e.exitCode);
  }
  if (e instanceof TclError) {
    process.stderr.write(`error: ${e.message}\n`);
    if (debug) process.stderr.write((e.stack ?? '') + '\n');
    process.exit(1);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`error: ${err.message.split('\n')[0]}\n`);
  if (debug) process.stderr.write((err.stack ?? '') + '\n');
  else process.stderr.write('(unexpected internal error; rerun with --debug for the stack trace)\n');
  process.exit(1);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  fail(e);
}
