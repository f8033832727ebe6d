/**
 * The comparison report: report.md (table, how it was produced), results.json, and plots
 * (test error vs epoch; test error vs training time) as SVG and PNG.
 */
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import type { CompareResult } from './compare.ts';
import { markdownTable, pct } from './format.ts';
import { lineChart, writeChart } from './plot.ts';
import { machine, versions } from './provenance.ts';

export interface ReportContext {
  command: string;
  backend: string;
  startedAt: Date;
  seconds: number;
}


/** One row per run, as printed by the CLI and written to report.md. */
export function resultTable(r: CompareResult, backend: string): string[][] {
  const head = ['method', 'test error', 'train error', 'epochs', 's / epoch', 'examples / s', 'backend'];
  const rows = r.runs.map((x) => [
    x.label,
    pct(x.summary.testError),
    pct(x.summary.trainError ?? x.summary.trainErrorRunning),
    String(x.summary.epochs),
    x.summary.secondsPerEpoch.toFixed(x.summary.secondsPerEpoch < 10 ? 2 : 1),
    String(Math.round(x.summary.examplesPerSecond)),
    backend,
  ]);
  return [head, ...rows];
}

/** Writes report.md, results.json and the plots into `dir`; returns the files written. */
export async function writeReport(dir: string, r: CompareResult, ctx: ReportContext): Promise<string[]> {
  const curves = lineChart({
    title: `Test error per epoch — ${r.dataset}, ${r.splitDescription}`,
    xLabel: 'epoch',
    yLabel: 'test error (%)',
    series: r.runs.map((x) => ({ name: x.label, points: x.summary.metrics.map((m) => [m.epoch, 100 * m.testError] as [number, number]) })),
  });
  const tta = lineChart({
    title: 'Time to accuracy',
    xLabel: 'training time (s, cumulative, evaluation excluded)',
    yLabel: 'test error (%)',
    series: r.runs.map((x) => {
      let t = 0;
      return { name: x.label, points: x.summary.metrics.map((m) => [(t += m.seconds), 100 * m.testError] as [number, number]) };
    }),
    logX: true,
  });
  await writeChart(path.join(dir, 'learning-curves'), curves);
  await writeChart(path.join(dir, 'time-to-accuracy'), tta);
  const vers = versions();
  const results = {
    dataset: r.dataset,
    split: r.split,
    splitDescription: r.splitDescription,
    trainSize: r.trainSize,
    testSize: r.testSize,
    backend: ctx.backend,
    command: ctx.command,
    startedAt: ctx.startedAt.toISOString(),
    seconds: ctx.seconds,
    machine: machine(),
    versions: vers,
    runs: r.runs.map((x) => ({ ...x.summary, label: x.label, protocol: x.protocol ?? null, preset: x.summary.model, model: path.relative(dir, x.modelDir), out: undefined })),
  };
  await writeFileAtomic(path.join(dir, 'results.json'), JSON.stringify(results, null, 2));
  const md = [
    `# TCL vs EP vs BP — ${r.dataset}`,
    '',
    `Trained on ${r.trainSize} examples, tested on ${r.testSize} (${r.split} split: ${r.splitDescription}), same architecture, seed and epochs for every method.`,
    '',
    markdownTable(resultTable(r, ctx.backend)),
    '',
    '![test error per epoch](learning-curves.png)',
    '',
    '![time to accuracy](time-to-accuracy.png)',
    '',
    '## Per epoch',
    '',
    markdownTable([
      ['method', 'epoch', 'test error', 'running train error', 'seconds', 'eval relaxation steps'],
      ...r.runs.flatMap((x) => x.summary.metrics.map((m) => [x.label, String(m.epoch), pct(m.testError), pct(m.trainErrorRunning), m.seconds.toFixed(1), String(m.evalRelaxationSteps)])),
    ]),
    '',
    '## How this was produced',
    '',
    '```',
    ctx.command,
    '```',
    '',
    `Started ${ctx.startedAt.toISOString()}, took ${ctx.seconds.toFixed(0)} s. Backend: ${ctx.backend}. ` +
      `Machine: ${results.machine.cpus} × ${results.machine.cpu}, ${results.machine.memoryGB} GiB.`,
    '',
    Object.entries(vers).map(([k, v]) => `- ${k} ${v}`).join('\n'),
    '',
    'Models (tfjs `model.json` + `weights.bin`, and `weights.safetensors`) are in `models/`; `results.json` has every number above.',
    '',
  ].join('\n');
  await writeFileAtomic(path.join(dir, 'report.md'), md);
  return ['report.md', 'results.json', 'learning-curves.svg', 'learning-curves.png', 'time-to-accuracy.svg', 'time-to-accuracy.png'].map((f) => path.join(dir, f));
}
