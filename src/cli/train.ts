import type { Command } from 'commander';
import { Option } from 'commander';
import { pct } from '../report/format.ts';
import { trainNetwork, type TrainSummary } from '../training/train.ts';
import { addDataOptions, addGlobalOptions, addNudgingOption, addScheduleOption, addSeedOption, addTclOptions, backendFrom, emit, interruptible, intArg, TclError } from './common.ts';
import { progressBar } from './progress.ts';

export function formatSummary(s: TrainSummary): string[] {
  return [
    `${s.method.toUpperCase()}${s.protocol && s.protocol !== 'sawtooth' ? ` (${s.protocol})` : ''} on ${s.dataset} (${s.splitDescription}), ${s.layers.join('-')}, backend ${s.backend}`,
    ...s.metrics.map((m) => `  epoch ${m.epoch}: test error ${pct(m.testError)}, running train error ${pct(m.trainErrorRunning)}${m.trainError != null ? `, train error ${pct(m.trainError)}` : ''}, ${m.seconds.toFixed(1)} s (${Math.round(m.examplesPerSecond)} examples/s)`),
    `test error ${pct(s.testError)} after ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}${s.interrupted ? ' (interrupted; resume with --resume ' + s.out + ')' : ''}`,
    ...(s.out ? [`model and metrics in ${s.out}`] : []),
  ];
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train an energy-based network with TCL, EP or backprop')
    .addOption(new Option('--method <m>', 'training method (default tcl; with --resume, the checkpoint’s)').choices(['tcl', 'ep', 'bp']))
    .option('--model <preset>', 'model preset name (models/*.json) or path to a preset JSON (default mnist-784-500-10)')
    .option('--epochs <n>', 'training epochs in all (default 1; with --resume, the checkpoint’s target)', intArg('--epochs', 1))
    .option('--batch-size <n>', 'batch size (default: the preset’s, 20)', intArg('--batch-size', 1))
    .option('--out <dir>', 'directory for the saved model, metrics.json and checkpoints')
    .option('--resume <dir>', 'continue the run checkpointed in DIR (repeating the run’s own flags is fine; a differing one is refused)')
    .option('--checkpoint-every <n>', 'also checkpoint every N batches (default: at the end of each epoch and on Ctrl-C)', intArg('--checkpoint-every', 1))
    .option('--eval-train', 'also measure the error on the whole training set after each epoch', false);
  addDataOptions(cmd, { split: null });
  addSeedOption(cmd);
  addTclOptions(cmd);
  addNudgingOption(cmd);
  addScheduleOption(cmd);
  addGlobalOptions(cmd).action(async (opts) => {
    const backend = await backendFrom(opts);
    const interrupt = interruptible('writing a checkpoint');
    // With --resume, only flags typed on the command line are passed (defaults such as --seed 0
    // are not): the library accepts those equal to the checkpoint's and names any that differ.
    const given = (k: string) => (!opts.resume || cmd.getOptionValueSource(k) === 'cli' ? opts[k] : undefined);
    const label = (opts.method ?? (opts.resume ? 'resumed' : 'tcl')).toUpperCase();
    const bar = progressBar(`${label} (${backend})`, opts.epochs ?? (opts.resume ? undefined : 1));
    try {
      const { summary } = await trainNetwork({
        method: opts.method ?? (opts.resume ? undefined : 'tcl'),
        checkpointEvery: opts.checkpointEvery,
        model: given('model'),
        dataset: given('dataset'),
        dataDir: given('dataDir'),
        split: given('split'),
        trainSize: given('trainSize'),
        testSize: given('testSize'),
        epochs: opts.epochs ?? (opts.resume ? undefined : 1),
        batchSize: given('batchSize'),
        seed: given('seed'),
        protocol: given('protocol'),
        tclUpdate: given('tclUpdate'),
        deadZone: given('deadZone'),
        cycle: given('cycle'),
        nudging: given('nudging'),
        lrSchedule: given('lrSchedule'),
        out: opts.out,
        resume: opts.resume,
        evalTrain: opts.evalTrain,
        onBatch: (p) => bar.update(p.epoch, p.batch, p.batches, p.runningError),
        shouldStop: interrupt.stopRequested,
      });
      bar.stop();
      emit(opts, summary, () => formatSummary(summary));
    } finally {
      bar.stop();
      interrupt.dispose();
    }
  });
}
