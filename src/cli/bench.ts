import path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../io/atomic.ts';
import { benchMethod, benchScaling, type BenchResult, type ScalingPoint } from '../perf/bench.ts';
import { setKernelThreads } from '../perf/threads.ts';
import { loadDataset } from '../data/index.ts';
import { amplitudeSweep, REFERENCE_SETUP } from '../synapse/index.ts';
import type { MethodName } from '../training/types.ts';
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

function table(rs: BenchResult[]): string[] {
  const head = `${'method'.padEnd(6)} ${'s/epoch'.padStart(8)} ${'examples/s'.padStart(10)} ${'test err'.padStart(8)}  ${'relax'.padStart(7)} ${'update'.padStart(7)} ${'data'.padStart(6)} ${'other'.padStart(6)}  ${'tensors'.padStart(9)} ${'peak RSS'.padStart(9)}`;
  const rows = rs.map((r) => {
    const b = r.breakdownMs;
    const ms = (v: number | undefined) => `${Math.round(v ?? 0)}`.padStart(6);
    return `${r.method.padEnd(6)} ${r.secondsPerEpoch.toFixed(2).padStart(8)} ${Math.round(r.examplesPerSecond).toString().padStart(10)} ${(100 * r.testError).toFixed(2).padStart(7)}%  ${ms(b.relaxation)} ${ms((b['synapse update'] ?? 0) + (b.update ?? 0))} ${ms(b.data)} ${ms(b.other)}  ${`${r.numTensorsBefore}→${r.numTensorsAfter}`.padStart(9)} ${`${r.peakRssMB} MB`.padStart(9)}`;
  });
  const r0 = rs[0];
  return [
    r0 ? `${r0.dataset} ${r0.split} split, ${r0.trainSize} training / ${r0.testSize} test images, ${r0.layers.join('-')}, batch ${r0.batchSize}, backend ${r0.backend}; one epoch after a warm-up batch (ms columns: where the epoch's time went)` : '',
    head,
    ...rows,
  ];
}

export function register(program: Command): void {
  const cmd = program
    .command('bench')
    .description('time one training epoch per method (and, with --scaling, the cost vs hidden size and batch size)')
    .option('--methods <list>', 'comma list of methods', methodsArg, ['tcl', 'ep', 'bp'] as MethodName[])
    .option('--full', 'standard split (60,000 training / 10,000 test images) instead of the paper split', false)
    .option('--model <preset>', 'model preset name or JSON path (default mnist-784-500-10)')
    .option('--threads <n>', 'worker threads for the TCL synapse kernel (default: 2 on 2+ cores)', intArg('--threads', 1))
    .option('--scaling', 'seconds per 1,000 examples for hidden 100/500/2000 and batch 1/20/100; writes CSV and a plot', false)
    .option('--out <dir>', 'write bench.json (and the scaling CSV/plot) here');
  addDataOptions(cmd);
  addSeedOption(cmd);
  addGlobalOptions(cmd).action(async (opts) => {
    const backend = await backendFrom(opts);
    const methods: MethodName[] = opts.methods;
    if (opts.threads) setKernelThreads(opts.threads);
    if (opts.scaling) {
      const points = await benchScaling(methods, {
        seed: opts.seed,
        onPoint: (p: ScalingPoint) => info(`${p.method} hidden ${p.hidden} batch ${p.batchSize}: ${p.secondsPer1k.toFixed(3)} s / 1k examples`),
      });
      const out = opts.out ?? path.join('runs', 'bench');
      const csv = ['method,sweep,hidden,batch_size,seconds_per_1k', ...points.map((p) => `${p.method},${p.sweep},${p.hidden},${p.batchSize},${p.secondsPer1k}`)].join('\n') + '\n';
      await writeFileAtomic(path.join(out, 'scaling.csv'), csv);
      const files: string[] = [path.join(out, 'scaling.csv')];
      try {
        const { lineChart, writeChart } = await import('../report/plot.ts');
        for (const sweep of ['hidden', 'batch'] as const) {
          const chart = lineChart({
            title: sweep === 'hidden' ? 'Training cost vs hidden layer size (batch 20)' : 'Training cost vs batch size (hidden 500)',
            subtitle: `784-H-10, backend ${backend}`,
            xLabel: sweep === 'hidden' ? 'hidden units' : 'batch size',
            yLabel: 'seconds per 1,000 examples',
            logX: true,
            logY: true,
            series: methods.map((m) => ({
              name: m.toUpperCase(),
              points: points.filter((p) => p.method === m && p.sweep === sweep).map((p) => [sweep === 'hidden' ? p.hidden : p.batchSize, p.secondsPer1k] as [number, number]),
            })),
          });
          const w = await writeChart(path.join(out, `scaling-${sweep}`), chart);
          files.push(w.svg, w.png);
        }
      } catch (e) {
        info(`no plot (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); the CSV has the numbers`);
      }
      emit(opts, { backend, scaling: points, files }, () => [
        'method sweep  hidden batch  s/1k examples',
        ...points.map((p) => `${p.method.padEnd(6)} ${p.sweep.padEnd(6)} ${String(p.hidden).padStart(6)} ${String(p.batchSize).padStart(5)}  ${p.secondsPer1k.toFixed(3)}`),
        `written: ${files.join(', ')}`,
      ]);
      return;
    }
    const split = opts.full ? 'standard' : opts.split;
    const results: BenchResult[] = [];
    for (const m of methods) {
      info(`bench: ${m} …`);
      results.push(await benchMethod(m, { dataset: opts.dataset, dataDir: opts.dataDir, split, trainSize: opts.trainSize, testSize: opts.testSize, seed: opts.seed, model: opts.model }));
    }
    // The speed targets of the data and synapse issues live here, not in timed tests.
    const other = await otherTimings();
    const result = { backend, methods: Object.fromEntries(results.map((r) => [r.method, r])), ...other };
    if (opts.out) await writeFileAtomic(path.join(opts.out, 'bench.json'), JSON.stringify(result, null, 2));
    emit(opts, result, () => [
      ...table(results),
      `full MNIST (60k + 10k) loads in ${other.mnistLoadSeconds.toFixed(2)} s (target < 2 s); a 2,000-point synapse amplitude sweep takes ${other.synapseSweep2000Seconds.toFixed(2)} s (target < 10 s)`,
    ]);
  });
}
