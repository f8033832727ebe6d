/**
 * tfjs-tcl — Temporal Contrastive Learning for TensorFlow.js.
 *
 *   import * as tcl from 'tfjs-tcl';
 *   await tcl.initBackend();
 *   const { net, summary } = await tcl.trainNetwork({ method: 'tcl', epochs: 1, trainSize: 2000 });
 *   await tcl.saveNetwork(net, 'my-model', { method: 'tcl' });
 *
 * Everything the browser build has (src/browser.ts: backend, layers, dynamics, the training
 * loop and methods, synapse physics), plus what needs Node: files, datasets, presets from
 * models/, whole training runs with checkpoints, the comparison report.
 */
export * from './browser.ts';

// Whole runs: data, preset, loop, checkpoints.
export { trainNetwork, resolvePreset, type TrainConfig, type TrainSummary } from './training/train.ts';
export { loadPreset, listPresets, DEFAULT_PRESET, MODELS_DIR } from './training/preset-files.ts';

// Data.
export { loadDataset, listDatasets, oneHot, type DatasetOptions } from './data/index.ts';

// Files.
export { saveNetwork, loadNetwork, networkFiles, networkTensors, SAFETENSORS_FILE, type TrainingInfo } from './io/network-io.ts';
export * from './io/index.ts';

// The comparison and its report.
export { runComparison, defaultRuns, type CompareConfig, type CompareResult, type CompareRun } from './report/compare.ts';
export { writeReport } from './report/report.ts';

// Statistics over seeds and the seed report (compare --seeds, sweep).
export { mean, sampleSd, tQuantile, tInterval, summarize, pairedDifference, type Interval, type SampleStats, type PairedDifference, type SeedValues } from './report/stats.ts';
export {
  seedStatistics,
  seedTable,
  seedRows,
  pairedLine,
  writeSeedReport,
  type SeedStatistics,
  type SeedStatisticsOptions,
  type SeedReportMeta,
  type GroupStats,
  type PairedComparison,
  type CurvePoint,
} from './report/seeds.ts';

// Sweeps: grids of runs over seeds, local child processes or any RunExecutor (e.g. a BullMQ queue).
export { runSweep, type SweepOptions, type SweepResult } from './sweep/sweep.ts';
export { readSpec, validateSpec, expandSpec, canonicalSpec, SPEC_KEYS, type SweepSpec, type SpecRun, type SpecValue } from './sweep/spec.ts';
export { trainRun, finishedRun } from './sweep/run.ts';
export { LocalExecutor, type LocalExecutorOptions } from './sweep/local.ts';
export type { RunConfig, RunRecord, RunJob, RunHooks, RunProgress, RunExecutor } from './sweep/types.ts';
