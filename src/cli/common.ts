/**
 * The CLI's shared vocabulary: every command that takes a flag below takes it with the same
 * meaning, and every command ends its output the same way (a JSON object as the last stdout
 * line under --json).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKENDS, initBackend, type BackendName } from '../backend.ts';
import { TclError } from '../errors.ts';
import { NUDGINGS, parseLrSchedule } from '../training/preset.ts';
import { METHODS, type MethodName } from '../training/types.ts';

export interface GlobalOptions {
  backend: BackendName | 'auto';
  json: boolean;
  debug: boolean;
}

/** Parses a non-negative integer flag value, with a one-line error naming the flag. */
export function intArg(flag: string, min = 0): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} expects an integer >= ${min}, got '${v}'`);
    return n;
  };
}

/** Parses a finite number flag value. */
export function numArg(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${flag} expects a number, got '${v}'`);
    return n;
  };
}

/** Parses `--methods tcl,ep,bp`, naming an unknown method in a one-line error. */
export function methodsArg(v: string): MethodName[] {
  const ms = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of ms) if (!METHODS.includes(m as MethodName)) throw new InvalidArgumentError(`unknown method '${m}' (expected a comma list of ${METHODS.join(', ')})`);
  return ms as MethodName[];
}

/** `--backend`, `--json`, `--debug`: added to every command. */
export function addGlobalOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--backend <name>', 'tfjs backend').choices([...BACKENDS, 'auto']).default('auto'))
    .option('--json', 'print one JSON object as the last line of stdout', false)
    .option('--debug', 'show stack traces of errors', false);
}

/** `--dataset`, `--data-dir`, `--split`, `--train-size`, `--test-size`: every command that reads data. */
/** `defaults.split: null` leaves --split unset when not given (evaluate takes the model's own split then). */
export function addDataOptions(cmd: Command, defaults: { split?: string | null } = {}): Command {
  return cmd
    .option('--dataset <name>', 'mnist (default) | fashion-mnist | idx (any directory of the four IDX files, with --data-dir)')
    .option('--data-dir <dir>', 'directory holding train/t10k IDX files (implies --dataset idx unless --dataset is given)')
    .addOption(new Option('--split <split>', 'paper: train[0:10000] / train[10000:12000]; standard: train / t10k files').choices(['paper', 'standard']).default(defaults.split === null ? undefined : (defaults.split ?? 'paper')))
    .option('--train-size <n>', 'use the first N training examples of the split', intArg('--train-size', 1))
    .option('--test-size <n>', 'use the first N test examples of the split', intArg('--test-size', 1));
}

/** `--protocol`, `--tcl-update`, `--dead-zone`, `--cycle`: TCL's knobs, shared by train and compare. */
export function addTclOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--protocol <p>', 'TCL nudging protocol: sawtooth (fast up, slow down) | reversed | triangle').choices(['sawtooth', 'reversed', 'triangle']))
    .addOption(new Option('--tcl-update <mode>', "TCL synapse update: fast (kernel linearity) | faithful (each synapse's memory stepped in time)").choices(['fast', 'faithful']))
    .option('--dead-zone <mode>', "TCL dead zone: fixed (the paper's thresholds) | quantile:Q (ours: per-batch Q-quantile of |u|)")
    .addOption(new Option('--cycle <c>', "TCL cycle: authors (levels relaxed from the free state) | continuous").choices(['authors', 'continuous']));
}

/** `--nudging`: how β is applied per batch, for EP and TCL alike (train, compare). */
export function addNudgingOption(cmd: Command): Command {
  return cmd.addOption(
    new Option('--nudging <n>', "EP and TCL nudging: random-sign (the paper's: ±beta, sign per batch) | positive | negative (one-sided) | centered (+beta and -beta; TCL: a cycle from -beta to +beta) (default: the preset's)").choices([...NUDGINGS]),
  );
}

/** `--lr-schedule`: one learning-rate schedule for every method, in train and compare. */
export function addScheduleOption(cmd: Command): Command {
  const check = (v: string) => {
    try {
      parseLrSchedule(v);
    } catch {
      throw new InvalidArgumentError('expected constant, exp:G with 0 < G <= 1, or cosine[:F] with 0 <= F <= 1.');
    }
    return v;
  };
  return cmd.option('--lr-schedule <s>', "learning-rate schedule for every method: constant (the paper's) | exp:G (x G after each epoch) | cosine[:F] (per batch from 1 down to F over the run) (default: the preset's)", check);
}

/** `--seed`: the one seed for init, shuffling and beta signs. */
export function addSeedOption(cmd: Command): Command {
  return cmd.option('--seed <n>', 'random seed (init, shuffling, beta signs)', intArg('--seed'), 0);
}

/** Parses `--seeds N` (seeds 0..N-1) or `--seeds 3,7,11` (those seeds), with a one-line error. */
export function seedsArg(v: string): number[] {
  const bad = () => new InvalidArgumentError(`--seeds expects a count N (seeds 0..N-1) or a comma list of seeds like 3,7,11, got '${v}'`);
  if (/^\d+$/.test(v.trim())) {
    const n = Number(v);
    if (n < 1) throw bad();
    return Array.from({ length: n }, (_, i) => i);
  }
  const seeds = v.split(',').map((s) => s.trim());
  if (!seeds.every((s) => /^\d+$/.test(s))) throw bad();
  const list = seeds.map(Number);
  if (new Set(list).size !== list.length) throw new InvalidArgumentError(`--seeds lists a seed twice: '${v}'`);
  return list;
}

/** Initialises the backend the options ask for and returns its name. */
export async function backendFrom(opts: { backend?: string }): Promise<BackendName> {
  const choice = await initBackend((opts.backend ?? 'auto') as BackendName | 'auto');
  return choice.name;
}

/**
 * Prints the command's result: human-readable `lines` to stdout unless --json, then (with --json)
 * the result as one JSON object on the last line.
 */
export function emit(opts: { json?: boolean }, result: object, lines: string[] | (() => string[])): void {
  if (opts.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const text = typeof lines === 'function' ? lines() : lines;
    for (const l of text) process.stdout.write(l + '\n');
  }
}

/** Progress/diagnostic text: stderr, so that stdout stays clean for --json. */
export function info(msg: string): void {
  process.stderr.write(msg + '\n');
}

/**
 * Ctrl-C handling for long runs: the first Ctrl-C asks the loop to stop after the current batch
 * (`stopRequested()` turns true, `what` says what happens then), a second one exits at once.
 */
export function interruptible(what: string): { stopRequested: () => boolean; dispose: () => void } {
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    info(`\ninterrupt: finishing this batch, ${what} (Ctrl-C again to abort)`);
  };
  process.on('SIGINT', onSigint);
  return { stopRequested: () => stop, dispose: () => process.off('SIGINT', onSigint) };
}

export { TclError };
