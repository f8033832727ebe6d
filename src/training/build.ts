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
