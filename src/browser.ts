/**
 * tfjs-tcl in a browser: the parts with no Node module on the training path — the backend
 * choice (webgl → wasm → cpu), the energy network and its layers, the relaxation dynamics, the
 * one training loop with TCL, EP and BP, evaluation, and one synapse's physics. File I/O, the
 * dataset registry (it reads IDX files), presets from models/*.json and the CLI stay in Node:
 * a page brings its own data (`Dataset` is a plain object of typed arrays) and its own preset
 * object.
 *
 *   import * as tcl from 'tfjs-tcl/browser';
 *   tcl.setWasmPaths(new URL('wasm/', location.href).href);   // where the page serves the .wasm files
 *   await tcl.initBackend();                                    // webgl, else wasm, else cpu
 *   const net = tcl.energyNetwork({ layers: [784, 500, 10], seed: 0 });
 *   const loop = new tcl.TrainingLoop(net, data, new tcl.TclMethod(preset.tcl), { epochs: 1, batchSize: 20, seed: 0, persistent: true });
 *   await loop.run();
 */
export { initBackend, BACKENDS, BROWSER_BACKENDS, type BackendName, type BackendChoice } from './backend.ts';
export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { TclError, DivergedError } from './errors.ts';

import { energyDense } from './layers/energy-dense.ts';
export { EnergyDense, energyDense, type EnergyDenseArgs } from './layers/energy-dense.ts';
export { EnergyNetwork, energyNetwork, type EnergyNetworkOptions, type RelaxationConfig } from './layers/energy-network.ts';
/** `tcl.layers.energyDense(...)`, as `tf.layers.dense(...)`. */
export const layers = { energyDense };

export * as dynamics from './network/dynamics.ts';
export { DEFAULT_NETWORK, type NetworkConfig, type Schedule } from './network/config.ts';

export * as synapse from './synapse/index.ts';

export { TrainingLoop, type EpochMetrics, type LoopOptions, type LoopState } from './training/loop.ts';
export { makeMethod, networkFromPreset } from './training/build.ts';
export { evaluate, type EvalResult } from './training/evaluate.ts';
export { EpMethod, epUpdate } from './training/methods/ep.ts';
export { TclMethod, tclUpdate, type Thresholds } from './training/methods/tcl.ts';
export { BpMethod, mlpGradients } from './training/methods/bp.ts';
export { Rng } from './rng.ts';
export { validatePreset, parseDeadZone, type Preset, type EpHyper, type TclHyper, type BpHyper, type ProtocolName } from './training/preset.ts';
export { METHODS, type MethodName, type TrainingMethod, type Batch, type Delta } from './training/types.ts';

export type { Dataset, Examples, SplitName } from './data/index.ts';
export { scalePixels } from './data/pixels.ts';
