/**
 * EnergyNetwork: a layered Hopfield-style net n_0 − n_1 − … − n_L as a tfjs model. Its layers
 * are EnergyDense couplings (saved and loaded by the standard tfjs machinery, memory included);
 * `predict(x)` runs the free-phase relaxation from s = 0 until the prediction stops changing and
 * returns the output states s_L (class scores) — on the wasm kernels in Node (src/perf), else in
 * plain tfjs, the two equal up to float rounding; a BP-trained model (inference 'feedforward')
 * returns the MLP's softmax instead. It subclasses tf.Sequential so that
 * `model.save(...)`, `tf.loadLayersModel(...)`, `model.summary()` work as for any tfjs model.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_NETWORK, type NetworkConfig } from '../network/config.ts';
import { mlpForward } from '../network/feedforward.ts';
import { disposePrepared, prepare, relaxUntilStable, type Couplings } from '../network/dynamics.ts';
import { kernelsForBackend } from '../perf/engine.ts';
import { relaxUntilStableFused } from '../perf/fused-relax.ts';
import { EnergyDense, energyDense } from './energy-dense.ts';

export type RelaxationConfig = Omit<NetworkConfig, 'layers'>;

export interface EnergyNetworkArgs {
  name?: string;
  /** Relaxation hyperparameters stored with the model (eps, freeSteps, schedule, evalMaxSteps). */
  network?: Partial<RelaxationConfig>;
}

export class EnergyNetwork extends tf.Sequential {
  static override className = 'EnergyNetwork';
  relaxation: RelaxationConfig;
  /** Relaxation steps the last `predict` call took. */
  lastPredictSteps = 0;

  constructor(args: EnergyNetworkArgs = {}) {
    super({ name: args.name });
    const { layers: _ignored, ...defaults } = DEFAULT_NETWORK;
    this.relaxation = { ...defaults, ...(args.network ?? {}) };
  }

  /** The EnergyDense couplings, input side first. */
  get couplingLayers(): EnergyDense[] {
    return this.layers as EnergyDense[];
  }

  /** Layer sizes [n_0, …, n_L]. */
  get sizes(): number[] {
    const ls = this.couplingLayers;
    return [ls[0].kernel.shape[0] as number, ...ls.map((l) => l.units)];
  }

  /** The live weight variables (no copies): W[k] and b[k] of coupling k. */
  couplings(): Couplings {
    return {
      W: this.couplingLayers.map((l) => l.kernel.read() as tf.Tensor2D),
      b: this.couplingLayers.map((l) => l.bias.read() as tf.Tensor1D),
    };
  }

  /** Free phase from s = 0 until every prediction is stable (at most evalMaxSteps); returns s_L. */
  override predict(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const input = (Array.isArray(x) ? x[0] : x) as tf.Tensor2D;
    if (this.relaxation.inference === 'feedforward') {
      this.lastPredictSteps = 0;
      return tf.tidy(() => tf.softmax(mlpForward(this.couplings(), input).logits));
    }
    const opts = {
      eps: this.relaxation.eps,
      minSteps: this.relaxation.freeSteps,
      maxSteps: Math.max(this.relaxation.evalMaxSteps, this.relaxation.freeSteps),
      schedule: this.relaxation.schedule,
    };
    // On the wasm backend in Node the relaxation runs on the kernels, as in training (src/perf).
    const kern = kernelsForBackend();
    if (kern && input.dtype === 'float32') {
      const r = relaxUntilStableFused(kern, this.couplings(), input, this.sizes, opts);
      this.lastPredictSteps = r.steps;
      return r.output;
    }
    const p = prepare(this.couplings(), input);
    try {
      const r = relaxUntilStable(p, this.sizes, input.shape[0], opts);
      this.lastPredictSteps = r.steps;
      return r.output;
    } finally {
      disposePrepared(p);
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return this.predict(inputs);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const base = super.getConfig() as unknown as tf.serialization.ConfigDict;
    return { ...base, network: { ...this.relaxation } as unknown as tf.serialization.ConfigDict };
  }
}
tf.serialization.registerClass(EnergyNetwork);

export interface EnergyNetworkOptions extends Partial<RelaxationConfig> {
  /** Layer sizes [n_0, …, n_L]. */
  layers: number[];
  /** Glorot-limit scale (1/2 in the paper's setting). */
  initScale?: number;
  /** Seed for the weight initialisers (coupling k gets seed·1000 + k). */
  seed?: number;
  /** Synapse memory depth per parameter (FIR taps − 1). */
  memoryDepth?: number;
  name?: string;
}

/**
 * Builds an energy-based network.
 *
 *   const net = tcl.energyNetwork({ layers: [784, 500, 10], seed: 0 });
 *   const scores = net.predict(tf.zeros([1, 784]));   // free-phase output states
 */
export function energyNetwork(opts: EnergyNetworkOptions): EnergyNetwork {
  const { layers, initScale, seed, memoryDepth, name, ...relax } = opts;
  if (layers.length < 2) throw new Error('energyNetwork: need at least an input and an output layer');
  const net = new EnergyNetwork({ name, network: relax });
  for (let k = 1; k < layers.length; k++) {
    net.add(
      energyDense({
        units: layers[k],
        inputDim: k === 1 ? layers[0] : undefined,
        initScale,
        seed: seed == null ? undefined : seed * 1000 + k,
        memoryDepth,
        name: `coupling_${k}`,
      }),
    );
  }
  return net;
}
