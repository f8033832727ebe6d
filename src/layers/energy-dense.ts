/**
 * EnergyDense: one coupling of the layered Hopfield net — the symmetric weight W (n_in × n_out)
 * and the bias of the layer it feeds (trainable), plus the synapses' integral-feedback memory
 * (non-trainable, like BatchNormalization's moving statistics, so it is saved with the model).
 *
 * The memory is the state the FIR synapse kernel needs to continue in time: the last
 * `memoryDepth` samples of each synapse's local signal, as absolute values (K has 10 taps, so
 * 9 samples; DESIGN.md §3; the kernel's zero area makes the level irrelevant to u). The
 * faithful TCL update steps it through each cycle; the fast update writes the same final state.
 *
 * Feed-forward `call(x)` gives the bottom-up drive ρ(x) W + b — what the layer contributes when
 * it is used outside a relaxation; the network model runs the actual relaxation.
 */
import * as tf from '@tensorflow/tfjs';

export interface EnergyDenseArgs {
  /** Size of the layer this coupling feeds (n_out). */
  units: number;
  /** Size of the layer below (n_in); required for the first layer of a model. */
  inputDim?: number;
  /** Scale of the Glorot-uniform limit (DESIGN.md: 1/2). */
  initScale?: number;
  /** Seed of the weight initialiser. */
  seed?: number;
  /** Samples of synapse memory per weight and per bias (FIR kernel taps − 1 = 9; 0 = no memory). */
  memoryDepth?: number;
  name?: string;
  trainable?: boolean;
  inputShape?: number[];
  batchInputShape?: number[];
}

export class EnergyDense extends tf.layers.Layer {
  static className = 'EnergyDense';
  readonly units: number;
  readonly initScale: number;
  readonly seed: number | undefined;
  readonly memoryDepth: number;
  kernel!: tf.LayerVariable;
  bias!: tf.LayerVariable;
  /** Synapse memory of the weights, [memoryDepth, n_in, n_out]. */
  kernelMemory: tf.LayerVariable | null = null;
  /** Synapse memory of the biases, [memoryDepth, n_out]. */
  biasMemory: tf.LayerVariable | null = null;

  constructor(args: EnergyDenseArgs) {
    const base: EnergyDenseArgs = { ...args };
    if (args.inputDim != null && args.inputShape == null && args.batchInputShape == null) base.inputShape = [args.inputDim];
    super(base as unknown as tf.serialization.ConfigDict);
    this.units = args.units;
    this.initScale = args.initScale ?? 0.5;
    this.seed = args.seed;
    this.memoryDepth = args.memoryDepth ?? 9;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const nIn = shape[shape.length - 1] as number;
    // Glorot uniform has variance 2/(fan_in+fan_out); a limit scaled by s is a variance scaled by s².
    const init = tf.initializers.varianceScaling({
      scale: this.initScale * this.initScale,
      mode: 'fanAvg',
      distribution: 'uniform',
      seed: this.seed,
    });
    this.kernel = this.addWeight('kernel', [nIn, this.units], 'float32', init, undefined, true);
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros(), undefined, true);
    if (this.memoryDepth > 0) {
      this.kernelMemory = this.addWeight('kernel_memory', [this.memoryDepth, nIn, this.units], 'float32', tf.initializers.zeros(), undefined, false);
      this.biasMemory = this.addWeight('bias_memory', [this.memoryDepth, this.units], 'float32', tf.initializers.zeros(), undefined, false);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.add(tf.matMul(tf.clipByValue(x, 0, 1) as tf.Tensor2D, this.kernel.read() as tf.Tensor2D), this.bias.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, initScale: this.initScale, seed: this.seed ?? null, memoryDepth: this.memoryDepth };
  }
}
tf.serialization.registerClass(EnergyDense);

/** Factory, tfjs-layers style: `tcl.layers.energyDense({ units: 500, inputDim: 784 })`. */
export function energyDense(args: EnergyDenseArgs): EnergyDense {
  return new EnergyDense(args);
}
