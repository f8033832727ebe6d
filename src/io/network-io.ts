/**
 * Saving and loading energy-based networks: the tfjs layout (model.json + weights.bin, every
 * trainable weight and every synapse-memory variable) and a `weights.safetensors` export that
 * numpy/PyTorch/JAX code can read (W1…WL as [fan_in, fan_out], W1 connecting the input; b1…bL).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TclError } from '../errors.ts';
import { EnergyNetwork, energyNetwork } from '../layers/energy-network.ts';
import { settleDir, writeFilesAtomic } from './atomic.ts';
import { loadLayersModelFromFile, MODEL_JSON, modelFiles } from './file-handler.ts';
import { encodeSafetensors, readSafetensors, type SafeTensors } from './safetensors.ts';

export const SAFETENSORS_FILE = 'weights.safetensors';

/** What a saved model says about how it was trained (strings, as safetensors metadata must be). */
export type TrainingInfo = Partial<Record<'method' | 'dataset' | 'split' | 'test_error' | 'epochs' | 'seed' | 'preset', string>>;

/** The safetensors tensors and metadata of a network. */
export function networkTensors(net: EnergyNetwork, info: TrainingInfo = {}): { tensors: SafeTensors; metadata: Record<string, string> } {
  const tensors: SafeTensors = {};
  net.couplingLayers.forEach((l, k) => {
    const W = l.kernel.read();
    const b = l.bias.read();
    tensors[`W${k + 1}`] = { dtype: 'F32', shape: W.shape, data: W.dataSync() as Float32Array };
    tensors[`b${k + 1}`] = { dtype: 'F32', shape: b.shape, data: b.dataSync() as Float32Array };
  });
  const r = net.relaxation;
  const metadata: Record<string, string> = {
    format: 'tfjs-tcl',
    layers: net.sizes.join(','),
    activation: r.inference === 'feedforward' ? 'sigmoid' : 'hard_sigmoid',
    inference: r.inference,
    eps: String(r.eps),
    free_steps: String(r.freeSteps),
    eval_max_steps: String(r.evalMaxSteps),
    schedule: r.schedule,
  };
  for (const [k, v] of Object.entries(info)) if (v != null) metadata[k] = v;
  return { tensors, metadata };
}

/**
 * The files of a saved network, as contents: model.json + weights.bin (tfjs layout, with `info`
 * in userDefinedMetadata) and weights.safetensors. Written with `writeFilesAtomic`, alone
 * (`saveNetwork`) or together with a training checkpoint's other files.
 */
export async function networkFiles(net: EnergyNetwork, dir: string, info: TrainingInfo = {}): Promise<Record<string, string | Uint8Array>> {
  const { tensors, metadata } = networkTensors(net, info);
  net.setUserDefinedMetadata({ tfjsTcl: info });
  let files: Record<string, string | Uint8Array> = {};
  await net.save(
    tf.io.withSaveHandler(async (artifacts) => {
      files = modelFiles(artifacts, path.join(dir, MODEL_JSON));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return { [SAFETENSORS_FILE]: encodeSafetensors(tensors, metadata, path.join(dir, SAFETENSORS_FILE)), ...files };
}

/**
 * Saves `net` into `dir`: model.json + weights.bin (tfjs) and weights.safetensors, written as
 * one atomic set (model.json last). `info` goes into model.json's userDefinedMetadata and the
 * safetensors metadata.
 *
 *   await saveNetwork(net, 'runs/tcl', { method: 'tcl', dataset: 'mnist' });
 */
export async function saveNetwork(net: EnergyNetwork, dir: string, info: TrainingInfo = {}): Promise<void> {
  await writeFilesAtomic(dir, await networkFiles(net, dir, info), { commitFile: MODEL_JSON });
}

/** Builds a network from a safetensors file written by `saveNetwork` (or by anyone with the same names). */
export async function loadNetworkFromSafetensors(file: string): Promise<{ net: EnergyNetwork; metadata: Record<string, string> }> {
  const { tensors, metadata } = await readSafetensors(file);
  const layers = (metadata.layers ?? '').split(',').map(Number);
  if (layers.length < 2 || layers.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new TclError(`${file}: metadata 'layers' is missing or invalid (expected e.g. "784,500,10")`);
  }
  // Every tensor is checked before the network is built, so that the metadata's claim of layer
  // sizes never sizes an allocation: the tensors' data (bounded by the file) does.
  for (let k = 0; k + 1 < layers.length; k++) {
    for (const [name, shape] of [
      [`W${k + 1}`, [layers[k], layers[k + 1]]],
      [`b${k + 1}`, [layers[k + 1]]],
    ] as const) {
      const t = tensors[name];
      if (!t) throw new TclError(`${file}: tensor '${name}' is missing`);
      if (t.shape.join(',') !== shape.join(',')) {
        throw new TclError(`${file}: tensor '${name}' has shape [${t.shape}] but layers ${layers.join('-')} need [${shape}]`);
      }
    }
  }
  const net = energyNetwork({
    layers,
    eps: Number(metadata.eps ?? 0.5),
    freeSteps: Number(metadata.free_steps ?? 20),
    evalMaxSteps: Number(metadata.eval_max_steps ?? 200),
    schedule: metadata.schedule === 'sequential' ? 'sequential' : 'synchronous',
    inference: metadata.inference === 'feedforward' ? 'feedforward' : 'relaxation',
    memoryDepth: 0,
  });
  net.build([null, layers[0]]);
  net.couplingLayers.forEach((l, k) => {
    for (const [name, v, shape] of [
      [`W${k + 1}`, l.kernel, [layers[k], layers[k + 1]]],
      [`b${k + 1}`, l.bias, [layers[k + 1]]],
    ] as const) {
      const t = tensors[name];
      tf.tidy(() => {
        v.write(tf.tensor(t.data, [...shape]));
      });
    }
  });
  return { net, metadata };
}

/**
 * Loads a network saved by `saveNetwork`: a directory (model.json), a model.json path, or a
 * .safetensors file.
 */
export async function loadNetwork(pathOrDir: string): Promise<{ net: EnergyNetwork; info: TrainingInfo }> {
  if (!fs.existsSync(pathOrDir)) throw new TclError(`${pathOrDir}: no such model file or directory`);
  const isDir = fs.statSync(pathOrDir).isDirectory();
  // A training run killed inside a checkpoint write leaves it to the next reader to finish.
  await settleDir(isDir ? pathOrDir : path.dirname(pathOrDir));
  if (pathOrDir.endsWith('.safetensors')) {
    const { net, metadata } = await loadNetworkFromSafetensors(pathOrDir);
    return { net, info: metadata as TrainingInfo };
  }
  if (isDir && !fs.existsSync(path.join(pathOrDir, MODEL_JSON)) && fs.existsSync(path.join(pathOrDir, SAFETENSORS_FILE))) {
    return loadNetwork(path.join(pathOrDir, SAFETENSORS_FILE));
  }
  checkEnergyTopology(isDir ? path.join(pathOrDir, MODEL_JSON) : pathOrDir);
  const model = await loadLayersModelFromFile(pathOrDir);
  if (!(model instanceof EnergyNetwork)) {
    model.dispose();
    throw new TclError(`${pathOrDir}: not a tfjs-tcl energy network (model class '${model.getClassName()}')`);
  }
  const meta = model.getUserDefinedMetadata() as { tfjsTcl?: TrainingInfo } | undefined;
  return { net: model, info: meta?.tfjsTcl ?? {} };
}

/**
 * Checks model.json's topology before tfjs builds it: building allocates every weight at the
 * sizes the topology claims, so a claim of 2^40 units must fail here, against the bytes that the
 * weight files really hold. Problems reading or parsing the file are left to the loader's messages.
 */
function checkEnergyTopology(jsonPath: string): void {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  } catch {
    return;
  }
  const topology = (json as { modelTopology?: unknown } | null)?.modelTopology as { class_name?: unknown; config?: { layers?: unknown } } | undefined;
  if (typeof topology !== 'object' || topology === null) return;
  const fail = (problem: string): never => {
    throw new TclError(`${jsonPath}: ${problem}`);
  };
  if (topology.class_name !== EnergyNetwork.className) fail(`not a tfjs-tcl energy network (model class '${String(topology.class_name)}')`);
  const layers = topology.config?.layers;
  if (!Array.isArray(layers) || layers.length === 0) fail('the EnergyNetwork topology has no layers');
  const count = (v: unknown, what: string, min: number): number => {
    if (!Number.isSafeInteger(v) || (v as number) < min) fail(`${what} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  let values = 0;
  let fanIn = -1;
  (layers as unknown[]).forEach((layer, i) => {
    const { class_name: cls, config } = (layer ?? {}) as { class_name?: unknown; config?: Record<string, unknown> };
    if (cls !== 'EnergyDense' || typeof config !== 'object' || config === null) fail(`layer ${i} is not an EnergyDense layer`);
    if (i === 0) {
      const shape = (config as Record<string, unknown>).batch_input_shape;
      if (!Array.isArray(shape) || shape.length !== 2) fail('layer 0 has no batch_input_shape [null, inputs]');
      fanIn = count((shape as unknown[])[1], 'the input size', 1);
    }
    const units = count((config as Record<string, unknown>).units, `layer ${i} units`, 1);
    const depth = count((config as Record<string, unknown>).memory_depth ?? 9, `layer ${i} memory_depth`, 0);
    values += (fanIn * units + units) * (1 + depth);
    fanIn = units;
    if (!Number.isSafeInteger(values * 4)) fail('the topology claims more weights than a model can hold');
  });
  // Against what the manifest declares: the loader checks the weight files against the manifest
  // (naming weights.bin) before tfjs builds anything.
  const manifest = (json as { weightsManifest?: { weights?: unknown }[] }).weightsManifest;
  let declared = 0;
  for (const group of Array.isArray(manifest) ? manifest : []) {
    for (const w of Array.isArray(group?.weights) ? group.weights : []) {
      const shape = (w as { shape?: unknown } | null)?.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return; // the loader names it
      declared += (shape as number[]).reduce((a, b) => a * b, 1);
    }
  }
  if (values > declared) fail(`the topology needs ${values} weights but the weightsManifest declares ${declared}`);
}
