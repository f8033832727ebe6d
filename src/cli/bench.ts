import { spawn } from 'node:child_process';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { TclError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { setKernelThreads } from '../perf/threads.ts';
import { loadDataset } from '../data/index.ts';
import { amplitudeSweep, REFERENCE_SETUP } from '../synapse/index.ts';
import { parseDeadZone } from '../training/preset.ts';
import { resolvePreset } from '../training/train.ts';
import type { MethodName } from '../training/types.ts';
import { benchMethod, benchScaling, type BenchOptions, type BenchResult, type ScalingPoint } from './bench-run.ts';
import { addDataOptions, addGlobalOptions, addSeedOption, backendFrom, emit, info, intArg, methodsArg } from './common.ts';

/** Seconds to load full MNIST, and for a 2,000-point single-synapse amplitude sweep (DESIGN.md's reference synapse). */
async function otherTimings(): Promise<{ mnistLoadSeconds: number; synapseSweep2000Seconds: number }> {
  const t0 = performance.now();
  await loadDataset({ dataset: 'mnist', split: 'standard' });
  const mnistLoadSeconds = (performance.now() - t0) / 1000;
  const amps = Array.from({ length: 2000 }, (_, i) => 1 + (199 * i) / 1999);
  const t1 = performance.now();
  amplitudeSweep(REFERENCE_SETUP, amps);
  return { mnistLoadSeconds, synapseSweep2000Seconds: (performance.now() - t1) / 1000 };
}

/** One row per run: `key` is the method, or 'tcl:fixed' for the fixed-θ comparison run. */
function table(rs: [string, BenchResult][]): string[] {
  const head = `${'method'.padEnd(9)} ${'s/epoch'.padStart(8)} ${'examples/s'.padStart(10)} ${'test err'.padStart(8)}  ${'relax'.padStart(7)} ${'update'.padStart(7)} ${'data'.padStart(6)} ${'other'.padStart(6)}  ${'GFLOP/s'.padStart(7)}  ${'tensors'.padStart(9)} ${'peak RSS'.padStart(9)}`;
  const rows = rs.map(([key, r]) => {
    const b = r.breakdownMs;
    const ms = (v: number | undefined) => `${Math.round(v ?? 0)}`.padStart(6);
    return `${key.padEnd(9)} ${r.secondsPerEpoch.toFixed(2).padStart(8)} ${Math.round(r.examplesPerSecond).toString().padStart(10)} ${(100 * r.testError).toFixed(2).padStart(7)}%  ${ms(b.relaxation)} ${ms((b['synapse update'] ?? 0) + (b.update ?? 0))} ${ms(b.data)} ${ms(b.other)}  ${r.gflops.toFixed(2).padStart(7)}  ${`${r.numTensorsBefore}→${r.numTensorsAfter}`.padStart(9)} ${`${r.peakRssMB} MB`.padStart(9)}`;
  });
  const r0 = rs[0]?.[1];
  return [
    r0 ? `${r0.dataset} ${r0.split} split, ${r0.trainSize} training / ${r0.testSize} test images, ${r0.layers.join('-')}, batch ${r0.batchSize}, backend ${r0.backend}; one epoch after a warm-up batch, each method in its own process (ms columns: where the epoch's time went; GFLOP/s: dense-equivalent)` : '',
    head,
    ...rows,
    ...rs.map(([key, r]) => `${key}: tfjs matMul ${r.matMulShape[0]}×${r.matMulShape[1]} · ${r.matMulShape[1]}×${r.matMulShape[2]} ${r.matMulGflops.toFixed(2)} GFLOP/s, kernel product ${r.kernelGemmGflops?.toFixed(2) ?? '—'} GFLOP/s (same process)`),
  ];
}

/** Runs one method's benchmark in a child process of this CLI (its own heap, so its own peak RSS) and returns its result. */
function inChild(method: MethodName, o: BenchOptions & { backend: string; threads?: number }): Promise<BenchResult> {
  const args = ['bench', '--child', '--json', '--methods', method, '--backend', o.backend];
  const add = (flag: string, v: unknown) => {
    if (v !== undefined && v !== null) args.push(flag, String(v));
  };
  add('--dataset', o.dataset);
  add('--data-dir', o.dataDir);
  add('--split', o.split);
  add('--train-size', o.trainSize);
  add('--test-size', o.testSize);
  add('--seed', o.seed);
  add('--model', typeof o.model === 'string' ? o.model : undefined);
  add('--threads', o.threads);
  add('--dead-zone', o.deadZone);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new TclError(`bench: the ${method} process exited with code ${code}`));
      try {
        resolve(JSON.parse(last) as BenchResult);
      } catch {
        reject(new TclError(`bench: the ${method} process printed no result`));
      }
    });
  });
}

export function register(program: Command): void {
  const cmd = program
    .command('bench')
    .description('time one training epoch per method, each in its own process (and, with --scaling, the cost vs hidden size, batch size and depth)')
    .option('--methods <list>', 'comma list of methods', methodsArg, ['tcl', 'ep', 'bp'] as MethodName[])
    .option('--full', 'standard split (60,000 training / 10,000 test images) instead of the paper split', false)
    .option('--model <preset>', 'model preset name or JSON path (default mnist-784-500-10)')
    .option('--dead-zone <mode>', "TCL dead zone: fixed (the paper's thresholds) | quantile:Q (default: the preset's; a quantile preset is also timed with fixed thresholds)")
    .option('--threads <n>', 'worker threads for the TCL synapse kernel (default: 2 on 2+ cores)', intArg('--threads', 1))
    .option('--in-process', 'run every method in this process (peak RSS is then the largest so far)', false)
    .option('--repeat <n>', 'time every method n times, in interleaved rounds (tcl, ep, … then again): each method reports its median run, the ratios are of the medians, and ratioRuns has each round\'s ratios (this host\'s speed drifts between processes minutes apart)', intArg('--repeat', 1), 1)
    .addOption(new Option('--child').hideHelp())
    .option('--scaling', 'seconds per 1,000 examples for hidden 100/500/2000, batch 1/20/100 and 1/2/3 hidden layers of 500; writes CSV and a plot', false)
    .option('--out <dir>', 'write bench.json (and the scaling CSV/plot) here');
  addDataOptions(cmd);
  addSeedOption(cmd);
  addGlobalOptions(cmd).action(async (opts) => {
    const methods: MethodName[] = opts.methods;
    if (opts.deadZone) {
      try {
        parseDeadZone(opts.deadZone);
      } catch (e) {
        throw new TclError(`--dead-zone: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const split = opts.full ? 'standard' : opts.split;
    const bo: BenchOptions = { dataset: opts.dataset, dataDir: opts.dataDir, split, trainSize: opts.trainSize, testSize: opts.testSize, seed: opts.seed, model: opts.model, deadZone: opts.deadZone };
    if (opts.child) {
      // One method for a parent `bench`: its result only.
      await backendFrom(opts);
      if (opts.threads) setKernelThreads(opts.threads);
      emit(opts, await benchMethod(methods[0], bo), () => []);
      return;
    }
    if (opts.scaling) return scaling(opts, methods);
    const backend = opts.inProcess ? await backendFrom(opts) : (opts.backend as string);
    if (opts.threads) setKernelThreads(opts.threads);
    const run = async (m: MethodName, o: BenchOptions) => (opts.inProcess ? benchMethod(m, o) : inChild(m, { ...o, backend, threads: opts.threads }));
    // A quantile dead zone is also timed with the preset's fixed thresholds (the issue's ≤ 1.3× target).
    const tclPreset = methods.includes('tcl') ? resolvePreset({ model: opts.model, deadZone: opts.deadZone }) : null;
    const jobs: [string, MethodName, BenchOptions][] = methods.map((m) => [m, m, bo]);
    if (tclPreset && !opts.deadZone && parseDeadZone(tclPreset.tcl.deadZone).kind === 'quantile') jobs.push(['tcl:fixed', 'tcl', { ...bo, deadZone: 'fixed' }]);
    const rounds: Record<string, BenchResult>[] = [];
    for (let r = 0; r < opts.repeat; r++) {
      const round: Record<string, BenchResult> = {};
      for (const [name, m, o] of jobs) {
        info(`bench: ${name === 'tcl:fixed' ? 'tcl with fixed thresholds' : m}${opts.repeat > 1 ? ` (round ${r + 1} of ${opts.repeat})` : ''} …`);
        round[name] = await run(m, o);
      }
      rounds.push(round);
    }
    // Per method its median run (the lower middle one for an even count), with every run's seconds.
    const results: [string, BenchResult][] = jobs.map(([name]) => {
      const runs = rounds.map((rd) => rd[name]).sort((x, y) => x.secondsPerEpoch - y.secondsPerEpoch);
      const med = runs[Math.floor((runs.length - 1) / 2)];
      return [name, opts.repeat > 1 ? { ...med, secondsPerEpochRuns: rounds.map((rd) => rd[name].secondsPerEpoch) } : med];
    });
    const by = Object.fromEntries(results);
    const ratiosOf = (b: Record<string, BenchResult>) => {
      const ratio = (x: string, y: string) => (b[x] && b[y] ? b[x].secondsPerEpoch / b[y].secondsPerEpoch : undefined);
      return { tclOverEp: ratio('tcl', 'ep'), tclQuantileOverFixed: ratio('tcl', 'tcl:fixed'), bpOverEp: ratio('bp', 'ep') };
    };
    const ratios = ratiosOf(by);
    const ratioRuns = opts.repeat > 1 ? rounds.map(ratiosOf) : undefined;
    // The speed targets of the data and synapse issues live here, not in timed tests.
    const other = await otherTimings();
    const result = { backend: results[0]?.[1].backend ?? backend, methods: by, ratios, ...(ratioRuns ? { ratioRuns } : {}), ...other };
    if (opts.out) await writeFileAtomic(path.join(opts.out, 'bench.json'), JSON.stringify(result, null, 2));
    emit(opts, result, () => [
      ...table(results),
      `per epoch${opts.repeat > 1 ? ` (medians of ${opts.repeat} runs)` : ''}: TCL/EP ${ratios.tclOverEp?.toFixed(2) ?? '—'}, TCL quantile/fixed ${ratios.tclQuantileOverFixed?.toFixed(2) ?? '—'}, BP/EP ${ratios.bpOverEp?.toFixed(2) ?? '—'}`,
      ...(ratioRuns ? [`per round: TCL/EP ${ratioRuns.map((x) => x.tclOverEp?.toFixed(2) ?? '—').join(', ')}`] : []),
      `full MNIST (60k + 10k) loads in ${other.mnistLoadSeconds.toFixed(2)} s (target < 2 s); a 2,000-point synapse amplitude sweep takes ${other.synapseSweep2000Seconds.toFixed(2)} s (target < 10 s)`,
    ]);
  });
}

/** `bench --scaling`: every point in this process (the output is time, not memory). */
async function scaling(opts: { backend?: string; seed: number; out?: string; json?: boolean; threads?: number }, methods: MethodName[]): Promise<void> {
  const backend = await backendFrom(opts);
  if (opts.threads) setKernelThreads(opts.threads);
  const points = await benchScaling(methods, {
    seed: opts.seed,
    onPoint: (p: ScalingPoint) => info(`${p.method} ${p.sweep}: hidden ${p.hidden} × ${p.depth}, batch ${p.batchSize}: ${p.secondsPer1k.toFixed(3)} s / 1k examples`),
  });
  const out = opts.out ?? path.join('runs', 'bench');
  const csv = ['method,sweep,hidden,depth,batch_size,seconds_per_1k', ...points.map((p) => `${p.method},${p.sweep},${p.hidden},${p.depth},${p.batchSize},${p.secondsPer1k}`)].join('\n') + '\n';
  await writeFileAtomic(path.join(out, 'scaling.csv'), csv);
  const files: string[] = [path.join(out, 'scaling.csv')];
  try {
    const { lineChart, writeChart } = await import('../report/plot.ts');
    const sweeps = { hidden: ['Training cost vs hidden layer size (784-H-10, batch 20)', 'hidden units'], batch: ['Training cost vs batch size (784-500-10)', 'batch size'], depth: ['Training cost vs depth (hidden layers of 500, batch 20)', 'hidden layers'] } as const;
    for (const sweep of ['hidden', 'batch', 'depth'] as const) {
      const x = (p: ScalingPoint) => (sweep === 'hidden' ? p.hidden : sweep === 'batch' ? p.batchSize : p.depth);
      const chart = lineChart({
        title: sweeps[sweep][0],
        subtitle: `backend ${backend}`,
        xLabel: sweeps[sweep][1],
        yLabel: 'seconds per 1,000 examples',
        logX: sweep !== 'depth',
        logY: true,
        series: methods.map((m) => ({ name: m.toUpperCase(), points: points.filter((p) => p.method === m && p.sweep === sweep).map((p) => [x(p), p.secondsPer1k] as [number, number]) })),
      });
      const w = await writeChart(path.join(out, `scaling-${sweep}`), chart);
      files.push(w.svg, w.png);
    }
  } catch (e) {
    info(`no plot (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); the CSV has the numbers`);
  }
  // Per-image cost relative to one hidden layer, per method (the issue's deep/shallow targets).
  const depthRatios = Object.fromEntries(
    methods.map((m) => {
      const d = points.filter((p) => p.method === m && p.sweep === 'depth');
      const d1 = d.find((p) => p.depth === 1);
      return [m, Object.fromEntries(d.map((p) => [p.depth, d1 ? p.secondsPer1k / d1.secondsPer1k : null]))];
    }),
  );
  emit(opts, { backend, scaling: points, depthRatios, files }, () => [
    'method sweep  hidden depth batch  s/1k examples',
    ...points.map((p) => `${p.method.padEnd(6)} ${p.sweep.padEnd(6)} ${String(p.hidden).padStart(6)} ${String(p.depth).padStart(5)} ${String(p.batchSize).padStart(5)}  ${p.secondsPer1k.toFixed(3)}`),
    ...methods.map((m) => `${m}: per-image cost vs 1 hidden layer: ${Object.entries(depthRatios[m]).map(([d, r]) => `${d} → ${r == null ? '—' : `${r.toFixed(1)}×`}`).join(', ')}`),
    `written: ${files.join(', ')}`,
  ]);
}
