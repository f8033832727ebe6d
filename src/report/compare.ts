/**
 * The main job: train TCL, EP and BP (and, on request, TCL with the reversed sawtooth) on the
 * same data, architecture, seed and budget, and collect what the report shows.
 */
import path from 'node:path';
import { loadDataset, type DatasetOptions } from '../data/index.ts';
import type { ProtocolName } from '../training/preset.ts';
import { trainNetwork, type TrainConfig, type TrainSummary } from '../training/train.ts';
import type { MethodName } from '../training/types.ts';

export interface CompareRun {
  /** Label in tables and plots, e.g. 'TCL', 'TCL (reversed sawtooth)'. */
  label: string;
  method: MethodName;
  protocol?: ProtocolName;
}

export interface CompareConfig extends DatasetOptions {
  runs: CompareRun[];
  epochs: number;
  seed: number;
  model?: string;
  /** Learning-rate schedule for every run (default: the preset's). */
  lrSchedule?: string;
  /** Report directory; each run's model goes to <out>/models/<label>. */
  out: string;
  /** Nudging variant for every EP and TCL run (default: the preset's). */
  nudging?: TrainConfig['nudging'];
  /** TCL settings for every TCL run (a run's own protocol, e.g. the reversed control, wins). */
  tcl?: Pick<TrainConfig, 'protocol' | 'tclUpdate' | 'deadZone' | 'cycle'>;
  onRunStart?: (run: CompareRun, index: number) => void;
  onBatch?: (run: CompareRun, p: { epoch: number; batch: number; batches: number; runningError: number }) => void;
  onRunEnd?: (run: CompareRun, s: TrainSummary) => void;
  shouldStop?: () => boolean;
}

export interface CompareResult {
  runs: Array<CompareRun & { summary: TrainSummary; modelDir: string }>;
  dataset: string;
  split: string;
  splitDescription: string;
  trainSize: number;
  testSize: number;
}

/** Runs label → directory-safe name. */
export function slug(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** One run per method; `protocol` other than the sawtooth relabels the TCL run; `controls` adds the reversed sawtooth. */
export function defaultRuns(methods: MethodName[], controls: boolean, protocol?: ProtocolName): CompareRun[] {
  const runs: CompareRun[] = methods.map((m) =>
    m === 'tcl' && protocol && protocol !== 'sawtooth' ? { label: `TCL (${protocol})`, method: m, protocol } : { label: m.toUpperCase(), method: m },
  );
  if (controls && methods.includes('tcl')) runs.push({ label: 'TCL (reversed sawtooth)', method: 'tcl', protocol: 'reversed' });
  return runs;
}

/**
 * Trains every run in turn on the same data.
 *
 *   const r = await runComparison({ runs: defaultRuns(['tcl', 'ep', 'bp'], false), epochs: 3, seed: 0, out: 'runs/x' });
 */
export async function runComparison(cfg: CompareConfig): Promise<CompareResult> {
  const data = await loadDataset(cfg);
  const runs: CompareResult['runs'] = [];
  for (const [i, run] of cfg.runs.entries()) {
    cfg.onRunStart?.(run, i);
    const modelDir = path.join(cfg.out, 'models', slug(run.label));
    const { net, summary } = await trainNetwork({
      method: run.method,
      ...cfg.tcl,
      protocol: run.protocol ?? cfg.tcl?.protocol,
      data,
      model: cfg.model,
      lrSchedule: cfg.lrSchedule,
      nudging: cfg.nudging,
      epochs: cfg.epochs,
      seed: cfg.seed,
      out: modelDir,
      onBatch: (p) => cfg.onBatch?.(run, p),
      shouldStop: cfg.shouldStop,
    });
    net.dispose();
    runs.push({ ...run, summary, modelDir });
    cfg.onRunEnd?.(run, summary);
    if (summary.interrupted) break;
  }
  return { runs, dataset: data.name, split: data.split, splitDescription: data.description, trainSize: data.train.n, testSize: data.test.n };
}
