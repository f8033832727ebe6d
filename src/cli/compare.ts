import path from 'node:path';
import type { Command } from 'commander';
import { defaultRuns, runComparison } from '../report/compare.ts';
import type { MethodName } from '../training/types.ts';
import { addDataOptions, addGlobalOptions, addNudgingOption, addScheduleOption, addSeedOption, addTclOptions, backendFrom, emit, info, interruptible, intArg, methodsArg } from './common.ts';
import { progressBar, type Progress } from './progress.ts';
import { textTable } from '../report/format.ts';

function timestamp(d: Date): string {
  return d.toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
}

export function register(program: Command): void {
  const cmd = program
    .command('compare')
    .description('train TCL, EP and BP on the same data, seed and budget; print a table and write a report (what `npm start` runs)')
    .option('--methods <list>', 'comma list of methods', methodsArg, ['tcl', 'ep', 'bp'] as MethodName[])
    .option('--epochs <n>', 'epochs per method', intArg('--epochs', 1), 5)
    .option('--full', 'standard split: all 60k training images, 10k test images (default: the paper split, 10k/2k)', false)
    .option('--controls', 'add TCL with the reversed sawtooth (the asymmetry is what learns)', false)
    .option('--model <preset>', 'model preset name or JSON path', 'mnist-784-500-10')
    .option('--out <dir>', 'report directory (default runs/<timestamp>)');
  addDataOptions(cmd);
  addSeedOption(cmd);
  addTclOptions(cmd);
  addNudgingOption(cmd);
  addScheduleOption(cmd);
  addGlobalOptions(cmd).action(async (opts) => {
    const backend = await backendFrom(opts);
    // The report pulls in the plotting stack (vega, resvg): loaded only when a report is written.
    const { resultTable, writeReport } = await import('../report/report.ts');
    const startedAt = new Date();
    const out = opts.out ?? path.join('runs', timestamp(startedAt));
    const split = opts.full ? 'standard' : opts.split;
    const runs = defaultRuns(opts.methods, opts.controls, opts.protocol);
    info(`comparing ${runs.map((r) => r.label).join(', ')} on ${opts.dataDir ?? opts.dataset ?? 'mnist'} (${split} split), ${opts.epochs} epoch(s) each, backend ${backend}; report in ${out}`);
    const interrupt = interruptible('writing the report so far');
    let bar: Progress | undefined;
    try {
      const result = await runComparison({
        runs,
        epochs: opts.epochs,
        seed: opts.seed,
        model: opts.model,
        lrSchedule: opts.lrSchedule,
        nudging: opts.nudging,
        tcl: { protocol: opts.protocol, tclUpdate: opts.tclUpdate, deadZone: opts.deadZone, cycle: opts.cycle },
        out,
        dataset: opts.dataset,
        dataDir: opts.dataDir,
        split,
        trainSize: opts.trainSize,
        testSize: opts.testSize,
        onRunStart: (run, i) => {
          bar = progressBar(`[${i + 1}/${runs.length}] ${run.label.padEnd(4)}`, opts.epochs);
        },
        onBatch: (_run, p) => bar?.update(p.epoch, p.batch, p.batches, p.runningError),
        onRunEnd: () => bar?.stop(),
        shouldStop: interrupt.stopRequested,
      });
      const command = ['tfjs-tcl', ...process.argv.slice(2)].join(' ');
      const elapsed = (Date.now() - startedAt.getTime()) / 1000;
      const files = await writeReport(out, result, { command, backend, startedAt, seconds: elapsed });
      const table = resultTable(result, backend);
      emit(
        opts,
        {
          dataset: result.dataset,
          split: result.split,
          trainSize: result.trainSize,
          testSize: result.testSize,
          backend,
          epochs: opts.epochs,
          seconds: elapsed,
          out,
          files,
          results: result.runs.map((r) => ({
            label: r.label,
            method: r.method,
            protocol: r.protocol ?? null,
            testError: r.summary.testError,
            trainErrorRunning: r.summary.trainErrorRunning,
            epochs: r.summary.epochs,
            secondsPerEpoch: r.summary.secondsPerEpoch,
            examplesPerSecond: r.summary.examplesPerSecond,
            testErrorPerEpoch: r.summary.metrics.map((m) => m.testError),
            model: r.modelDir,
          })),
        },
        () => [
          '',
          `${result.dataset}, ${result.splitDescription} — ${opts.epochs} epoch(s), seed ${opts.seed}`,
          textTable(table),
          '',
          `report: ${path.join(out, 'report.md')} (plots: learning-curves.png, time-to-accuracy.png; models in ${path.join(out, 'models')})`,
        ],
      );
    } finally {
      bar?.stop();
      interrupt.dispose();
    }
  });
}
