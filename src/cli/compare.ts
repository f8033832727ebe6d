/**
 * `tfjs-tcl compare` (what `npm start` runs): TCL, EP and BP (and the reversed-sawtooth control)
 * on the same data, network and budget, each over the same seeds. It is a sweep over method ×
 * seed (runSweep with a `runs` list and a seed grid) on local worker processes, so the runs spread
 * over the cores, the output directory resumes like any sweep, and the report gives mean ± sd per
 * method and the paired differences.
 */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultRuns } from '../report/compare.ts';
import type { SpecRun, SweepSpec } from '../sweep/spec.ts';
import type { RunConfig } from '../sweep/types.ts';
import { loadPreset } from '../training/preset-files.ts';
import type { MethodName } from '../training/types.ts';
import { addDataOptions, addGlobalOptions, addNudgingOption, addScheduleOption, addSeedOption, addTclOptions, backendFrom, emit, info, intArg, methodsArg, seedsArg, TclError } from './common.ts';
import { failedLines, runSweepInTerminal } from './sweep.ts';

function timestamp(d: Date): string {
  return d.toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
}

/** The comparison as a sweep spec: base settings from the flags, one `runs` entry per method (and control), a seed grid. */
export function compareSpec(opts: {
  methods: MethodName[];
  controls: boolean;
  seeds: number[];
  epochs: number;
  model: string;
  split: string;
  dataset?: string;
  dataDir?: string;
  trainSize?: number;
  testSize?: number;
  lrSchedule?: string;
  protocol?: 'sawtooth' | 'reversed' | 'triangle';
  tclUpdate?: string;
  deadZone?: string;
  cycle?: string;
  /** EP and TCL nudging variant (issue 16's --nudging; passed on when the flag exists). */
  nudging?: string;
}): SweepSpec {
  const base: RunConfig = {};
  const set = (k: string, v: string | number | undefined) => {
    if (v !== undefined) base[k] = v;
  };
  set('dataset', opts.dataset);
  set('dataDir', opts.dataDir);
  set('split', opts.split);
  set('trainSize', opts.trainSize);
  set('testSize', opts.testSize);
  set('model', opts.model);
  set('epochs', opts.epochs);
  set('lrSchedule', opts.lrSchedule);
  set('tclUpdate', opts.tclUpdate);
  set('deadZone', opts.deadZone);
  set('cycle', opts.cycle);
  set('nudging', opts.nudging);
  const runs: SpecRun[] = defaultRuns(opts.methods, opts.controls, opts.protocol).map((r) => ({
    label: r.method === 'bp' ? bpLabel(opts.model) : r.label,
    method: r.method,
    ...(r.protocol ? { protocol: r.protocol } : {}),
  }));
  return { name: 'compare', base, runs, grid: { seed: opts.seeds } };
}

/** BP's label names its optimiser, so a table never hides which baseline it shows (the paper's SGD or a tuned Adam). */
function bpLabel(model: string): string {
  const bp = loadPreset(model).bp;
  return `BP (${bp.optimizer === 'adam' ? 'Adam' : 'SGD'}, lr ${bp.lr.map((x) => String(x)).filter((x, i, a) => a.indexOf(x) === i).join('/')})`;
}

export function register(program: Command): void {
  const cmd = program
    .command('compare')
    .description('train TCL, EP and BP on the same data and budget over the same seeds, on worker processes; print mean ± sd and write a report (what `npm start` runs)')
    .option('--methods <list>', 'comma list of methods', methodsArg, ['tcl', 'ep', 'bp'] as MethodName[])
    .option('--epochs <n>', 'epochs per run', intArg('--epochs', 1), 5)
    .option('--seeds <n|list>', 'seeds per method: a count N (seeds 0..N-1) or a list like 3,7,11 (default: the one --seed)', seedsArg)
    .option('--full', 'standard split: all 60k training images, 10k test images (default: the paper split, 10k/2k)', false)
    .option('--controls', 'add TCL with the reversed sawtooth (the asymmetry is what learns)', false)
    .option('--model <preset>', 'model preset name or JSON path', 'mnist-784-500-10')
    .option('--workers <n>', `worker processes, one run each at a time (default: the number of cores, ${os.availableParallelism()})`, intArg('--workers', 1))
    .option('--out <dir>', 'report directory (default runs/<timestamp>); the same --out again continues it')
    .option('--force', 'start over when --out holds a comparison with other settings', false);
  addDataOptions(cmd);
  addSeedOption(cmd);
  addTclOptions(cmd);
  addNudgingOption(cmd);
  addScheduleOption(cmd);
  addGlobalOptions(cmd).action(async (opts) => {
    if (opts.seeds && cmd.getOptionValueSource('seed') === 'cli') throw new TclError('give --seed S (one seed) or --seeds N|LIST, not both');
    const backend = await backendFrom(opts);
    const startedAt = new Date();
    const out = opts.out ?? path.join('runs', timestamp(startedAt));
    const seeds: number[] = opts.seeds ?? [opts.seed];
    const split = opts.full ? 'standard' : opts.split;
    const spec = compareSpec({ ...opts, split, seeds });
    const workers = opts.workers ?? os.availableParallelism();
    const labels = spec.runs!.map((r) => r.label).join(', ');
    info(
      `comparing ${labels} on ${opts.dataDir ?? opts.dataset ?? 'mnist'} (${split} split), ${opts.epochs} epoch(s) each, seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}: ` +
        `${spec.runs!.length * seeds.length} runs on ${workers} worker process(es), backend ${backend}; report in ${out}`,
    );
    const res = await runSweepInTerminal(spec, 'compare', { out, workers, backend: opts.backend, force: opts.force, kind: 'compare' });
    const { seedStatistics, seedTable } = await import('../report/seeds.ts');
    const stats = seedStatistics(res.records, { kind: 'compare' });
    const first = res.records.find((r) => r.summary)?.summary;
    emit(
      opts,
      {
        dataset: first?.dataset ?? null,
        split: first?.split ?? split,
        trainSize: first?.trainSize ?? null,
        testSize: first?.testSize ?? null,
        backend,
        epochs: opts.epochs,
        seeds,
        seconds: res.seconds,
        out: res.out,
        files: res.files,
        ...res.counts,
        interrupted: res.interrupted,
        statistics: stats,
        results: res.records.map((r) => ({
          label: r.group,
          method: r.config.method,
          protocol: r.config.protocol ?? null,
          seed: r.seed,
          status: r.status,
          ...(r.error ? { error: r.error } : {}),
          testError: r.summary?.testError ?? null,
          trainErrorRunning: r.summary?.trainErrorRunning ?? null,
          epochs: r.summary?.epochs ?? null,
          secondsPerEpoch: r.summary?.secondsPerEpoch ?? null,
          examplesPerSecond: r.summary?.examplesPerSecond ?? null,
          testErrorPerEpoch: r.summary?.metrics.map((m) => m.testError) ?? [],
          model: r.dir,
        })),
      },
      () => res.interrupted ? [] : [
        '',
        `${first?.dataset ?? ''}, ${first?.splitDescription ?? split} — ${opts.epochs} epoch(s), seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}`,
        seedTable(stats),
        '',
        ...failedLines(res),
        ...(res.files.length ? [`report: ${path.join(res.out, 'report.md')} (models in ${path.join(res.out, 'runs')}/<run>/)`] : []),
      ],
    );
  });
}
