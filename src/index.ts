/**
 * tfjs-tcl — Temporal Contrastive Learning for TensorFlow.js.
 *
 *   import * as tcl from 'tfjs-tcl';
 *   await tcl.initBackend();
 *   const { net, summary } = await tcl.trainNetwork({ method: 'tcl', epochs: 1, trainSize: 2000 });
 *   await tcl.saveNetwork(net, 'my-model', { method: 'tcl' });
 */
export { initBackend, BACKENDS, type BackendName, type BackendChoice } from './backend.ts';
export { TclError, DivergedError } from './errors.ts';
export { Rng } from './rng.ts';

// Layers and the network model (tfjs-layers style: class + factory, registered for serialization).
import { energyDense } from './layers/energy-dense.ts';
export { EnergyDense, energyDense, type EnergyDenseArgs } from './layers/energy-dense.ts';
export { EnergyNetwork, energyNetwork, type EnergyNetworkOptions, type RelaxationConfig } from './layers/energy-network.ts';
/** `tcl.layers.energyDense(...)`, as `tf.layers.dense(...)`. */
export const layers = { energyDense };

// Network dynamics (DESIGN.md §1).
export * as dynamics from './network/dynamics.ts';
export { DEFAULT_NETWORK, type NetworkConfig, type Schedule } from './network/config.ts';

// One synapse's physics (DESIGN.md §3).
export * as synapse from './synapse/index.ts';

// Training: the one loop, the three methods, presets.
export { trainNetwork, resolvePreset, type TrainConfig, type TrainSummary } from './training/train.ts';
export { makeMethod, networkFromPreset } from './training/build.ts';
export { TrainingLoop, type EpochMetrics, type LoopOptions } from './training/loop.ts';
export { evaluate, type EvalResult } from './training/evaluate.ts';
export { EpMethod, epUpdate } from './training/methods/ep.ts';
export { TclMethod, tclUpdate, type Thresholds } from './training/methods/tcl.ts';
export { BpMethod, mlpGradients } from './training/methods/bp.ts';
export { loadPreset, listPresets, DEFAULT_PRESET, MODELS_DIR } from './training/preset-files.ts';
export { validatePreset, parseDeadZone, type Preset, type EpHyper, type TclHyper, type BpHyper, type ProtocolName } from './training/preset.ts';
export { METHODS, type MethodName, type TrainingMethod, type Batch, type Delta } from './training/types.ts';

// Data.
export { loadDataset, listDatasets, oneHot, type Dataset, type DatasetOptions, type Examples, type SplitName } from './data/index.ts';

// Files.
export { saveNetwork, loadNetwork, networkTensors, SAFETENSORS_FILE, type TrainingInfo } from './io/network-io.ts';
export * from './io/index.ts';

// The comparison and its report.
export { runComparison, defaultRuns, type CompareConfig, type CompareResult, type CompareRun } from './report/compare.ts';
export { writeReport } from './report/report.ts';
