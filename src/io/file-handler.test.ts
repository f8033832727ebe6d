import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { TclError } from '../errors.ts';
import { fileSystem, loadLayersModelFromFile, registerFileRouter } from './file-handler.ts';

let root: string;
let n = 0;
beforeAll(async () => {
  await initBackend();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tcl-filehandler-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const freshDir = () => path.join(root, `model-${n++}`);

/** A small dense net with a batch-norm layer whose moving statistics (non-trainable) are not the defaults. */
function smallModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [4], units: 6, activation: 'relu' }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  const bn = model.layers[1];
  tf.tidy(() => {
    const [gamma, beta, movingMean, movingVariance] = bn.getWeights();
    bn.setWeights([
      tf.randomUniform(gamma.shape, 0.5, 1.5, 'float32', 1),
      tf.randomNormal(beta.shape, 0, 1, 'float32', 2),
      tf.randomNormal(movingMean.shape, 0, 1, 'float32', 3),
      tf.randomUniform(movingVariance.shape, 0.2, 2, 'float32', 4),
    ]);
  });
  model.setUserDefinedMetadata({ method: 'tcl', epochs: 3 });
  return model;
}

/** Every weight's name and raw float bits. */
function weightBits(model: tf.LayersModel): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const w of model.weights) {
    const values = w.read().dataSync() as Float32Array;
    out[w.originalName] = Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
  }
  return out;
}

function predict(model: tf.LayersModel): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor2d([[0.1, -0.2, 0.3, 0.4], [1, 2, -3, 0.5], [0, 0, 0, 0]]);
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

describe('fileSystem IOHandler', () => {
  it('round-trips a model: weights bit-exact (non-trainable ones too), predictions identical', async () => {
    const dir = freshDir();
    const model = smallModel();
    const before = tf.memory().numTensors;
    const result = await model.save(fileSystem(dir));
    expect(tf.memory().numTensors).toBe(before);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(4 * (4 * 6 + 6 + 4 * 6 + 6 * 3 + 3));
    expect((await fs.readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);

    const loaded = await tf.loadLayersModel(fileSystem(path.join(dir, 'model.json')));
    const names = Object.keys(weightBits(model));
    expect(names.some((w) => w.endsWith('moving_mean'))).toBe(true);
    expect(names.some((w) => w.endsWith('moving_variance'))).toBe(true);
    expect(weightBits(loaded)).toEqual(weightBits(model));
    expect(Array.from(predict(loaded))).toEqual(Array.from(predict(model)));
    expect(loaded.getUserDefinedMetadata()).toEqual({ method: 'tcl', epochs: 3 });
    model.dispose();
    loaded.dispose();
  });

  it('writes the standard tfjs model.json layout', async () => {
    const dir = freshDir();
    const model = smallModel();
    await model.save(fileSystem(dir));
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(Object.keys(json)).toEqual(['modelTopology', 'format', 'generatedBy', 'convertedBy', 'weightsManifest', 'userDefinedMetadata']);
    expect(json.format).toBe('layers-model');
    expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v4\.22\.0$/);
    expect(json.convertedBy).toBeNull();
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const specs: { name: string; shape: number[]; dtype: string }[] = json.weightsManifest[0].weights;
    expect(specs.map((s) => s.dtype)).toEqual(Array(specs.length).fill('float32'));
    // weights.bin: the specs' float32 values back to back, nothing else.
    const bytes = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
    expect((await fs.stat(path.join(dir, 'weights.bin'))).size).toBe(bytes);
    model.dispose();
  });

  it('saves over an existing model, leaving no temp or backup files', async () => {
    const dir = freshDir();
    const a = smallModel();
    const b = smallModel();
    await a.save(fileSystem(dir));
    await b.save(fileSystem(dir));
    expect((await fs.readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await tf.loadLayersModel(fileSystem(dir)); // a directory works for load too
    expect(weightBits(loaded)).toEqual(weightBits(b));
    for (const m of [a, b, loaded]) m.dispose();
  });
});

describe('fileSystem load errors are one-line TclErrors naming the file', () => {
  async function savedModel(): Promise<string> {
    const dir = freshDir();
    const model = smallModel();
    await model.save(fileSystem(dir));
    model.dispose();
    return dir;
  }

  it('weights.bin truncated: expected vs actual bytes', async () => {
    const dir = await savedModel();
    const bin = path.join(dir, 'weights.bin');
    const size = (await fs.stat(bin)).size;
    await fs.truncate(bin, size - 10);
    await expect(fileSystem(dir).load()).rejects.toThrow(
      new TclError(`${bin}: has ${size - 10} bytes but the weightsManifest in model.json expects ${size} bytes`),
    );
  });

  it('weights.bin too long', async () => {
    const dir = await savedModel();
    const bin = path.join(dir, 'weights.bin');
    await fs.appendFile(bin, new Uint8Array(4));
    await expect(tf.loadLayersModel(fileSystem(dir))).rejects.toThrow(/weights\.bin: has \d+ bytes but the weightsManifest in model\.json expects \d+ bytes/);
  });

  it('missing model.json, missing weights.bin', async () => {
    const dir = await savedModel();
    await fs.rm(path.join(dir, 'weights.bin'));
    await expect(fileSystem(path.join(dir, 'model.json')).load()).rejects.toThrow(new TclError(`${path.join(dir, 'weights.bin')}: file not found`));
    const missing = path.join(root, 'nowhere');
    await expect(fileSystem(missing).load()).rejects.toThrow(new TclError(`${path.join(missing, 'model.json')}: file not found`));
  });

  it('model.json that is not JSON, or not a tfjs model', async () => {
    const dir = await savedModel();
    const json = path.join(dir, 'model.json');
    await fs.writeFile(json, '{"modelTopology": {');
    await expect(fileSystem(json).load()).rejects.toThrow(TclError);
    await expect(fileSystem(json).load()).rejects.toThrow(new RegExp(`^${json}: invalid JSON \\(`));
    await fs.writeFile(json, '{"hello": 1}');
    await expect(fileSystem(json).load()).rejects.toThrow(`${json}: no modelTopology object (not a tfjs model.json)`);
    await fs.writeFile(json, JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [2], dtype: 'float64' }] }] }));
    await expect(fileSystem(json).load()).rejects.toThrow(`${json}: weightsManifest[0].weights[0] ('w') has unknown dtype "float64"`);
  });

  it('a layer class that is not registered', async () => {
    const dir = await savedModel();
    const json = path.join(dir, 'model.json');
    await fs.writeFile(json, (await fs.readFile(json, 'utf8')).replace('"class_name":"BatchNormalization"', '"class_name":"SynapseMemory"'));
    await expect(loadLayersModelFromFile(dir)).rejects.toThrow(new RegExp(`^${json}: cannot build the model \\(Unknown layer: SynapseMemory\\.`));
  });
});

describe('registerFileRouter', () => {
  it('makes file:// URLs work for model.save and tf.loadLayersModel, once', async () => {
    expect(tf.io.getSaveHandlers('file:///tmp/x')).toHaveLength(0); // no tfjs-node here
    const httpHandlers = tf.io.getSaveHandlers('http://example.com/m').length;
    expect(registerFileRouter()).toBe(true);
    expect(registerFileRouter()).toBe(true);
    expect(tf.io.getSaveHandlers('file:///tmp/x')).toHaveLength(1);
    expect(tf.io.getLoadHandlers('file:///tmp/x/model.json')).toHaveLength(1);
    expect(tf.io.getSaveHandlers('http://example.com/m')).toHaveLength(httpHandlers);

    const dir = freshDir();
    const model = smallModel();
    await model.save(`file://${dir}`);
    const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
    expect(weightBits(loaded)).toEqual(weightBits(model));
    expect(Array.from(predict(loaded))).toEqual(Array.from(predict(model)));
    model.dispose();
    loaded.dispose();
  });
});
