/**
 * Building a run from a preset: the network (as every entry point builds it, so that one seed
 * gives one run in the CLI, the benchmark and the browser) and the training method. No file
 * access: the browser bundle uses it too.
 */
import { TclError } from '../errors.ts';
import { EnergyNetwork, energyNetwork } from '../layers/energy-network.ts';
import { BpMethod } from './methods/bp.ts';
import { EpMethod } from './methods/ep.ts';
import { TclMethod } from './methods/tcl.ts';
import type { Preset } from './preset.ts';
import type { MethodName, TrainingMethod } from './types.ts';

/** 2^28 float32 values (1 GiB), weights and synapse memory together. */
const MAX_NETWORK_VALUES = 2 ** 28;

export function makeMethod(name: MethodName, preset: Preset): TrainingMethod {
  switch (name) {
    case 'ep':
      return new EpMethod(preset.ep);
    case 'bp':
      return new BpMethod(preset.bp);
    case 'tcl':
      return new TclMethod(preset.tcl);
    default:
      throw new TclError(`unknown method '${name as string}' (expected tcl, ep or bp)`);
  }
}

/**
 * The preset's network, built, with Glorot × initScale weights from `seed`. Only TCL's synapses
 * carry integral-feedback memory; EP and BP networks stay at their weights' size.
 */
export function networkFromPreset(preset: Preset, seed: number, method: MethodName): EnergyNetwork {
  // A preset's layer sizes size the allocation: refuse, in one line, what float32 arrays cannot hold.
  const weights = preset.layers.slice(1).reduce((a, n, k) => a + (preset.layers[k] + 1) * n, 0) * (method === 'tcl' ? 10 : 1);
  if (!(weights <= MAX_NETWORK_VALUES)) throw new TclError(`model preset '${preset.name}': layers ${preset.layers.join('-')} need ${weights} values, more than the ${MAX_NETWORK_VALUES} this builds`);
  const net = energyNetwork({
    layers: preset.layers,
    eps: preset.eps,
    freeSteps: preset.freeSteps,
    schedule: preset.schedule,
    evalMaxSteps: preset.evalMaxSteps,
    initScale: preset.initScale,
    seed,
    memoryDepth: method === 'tcl' ? undefined : 0,
  });
  net.build([null, preset.layers[0]]);
  return net;
}
