import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/tmp-dirs.ts';
import { initBackend } from '../backend.ts';
import { loadNetwork, saveNetwork } from '../io/network-io.ts';
import { registerFileRouter } from '../io/index.ts';
import { EnergyDense } from './energy-dense.ts';
import { EnergyNetwork, energyNetwork } from './energy-network.ts';

beforeAll(async () => {
  await initBackend();
});

const tmp = tempDirs('tcl-net-');

describe('EnergyNetwork as a tfjs model', () => {
  it('keeps W and b trainable and the synapse memory non-trainable, like BatchNormalization', () => {
    const net = energyNetwork({ layers: [12, 7, 3], seed: 1 });
    net.build([null, 12]);
    expect(net.trainableWeights.map((w) => w.shape)).toEqual([[12, 7], [7], [7, 3], [3]]);
    expect(net.nonTrainableWeights.map((w) => w.shape)).toEqual([[9, 12, 7], [9, 7], [9, 7, 3], [9, 3]]);
    expect(net.layers[0]).toBeInstanceOf(EnergyDense);
  });

  it('Glorot-uniform x 1/2 init: weights inside 0.5*sqrt(6/(fan_in+fan_out)), biases 0', () => {
    const net = energyNetwork({ layers: [784, 500, 10], seed: 2, initScale: 0.5 });
    net.build([null, 784]);
    const W = net.couplingLayers[0].kernel.read();
    const lim = 0.5 * Math.sqrt(6 / (784 + 500));
    const max = tf.max(tf.abs(W)).dataSync()[0];
    expect(max).toBeLessThanOrEqual(lim);
    expect(max).toBeGreaterThan(0.95 * lim);
    expect(tf.sum(tf.abs(net.couplingLayers[0].bias.read())).dataSync()[0]).toBe(0);
  });

  it('predict() runs the free phase and gives class scores in [0,1] with any number of hidden layers', () => {
    const net = energyNetwork({ layers: [20, 16, 16, 4], seed: 3 });
    const y = net.predict(tf.randomUniform([5, 20], 0, 1, 'float32', 1)) as tf.Tensor;
    expect(y.shape).toEqual([5, 4]);
    const v = y.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(net.lastPredictSteps).toBeGreaterThanOrEqual(20);
  });

  it('predict() called outside tf.tidy leaves only its output behind', () => {
    const net = energyNetwork({ layers: [20, 16, 4], seed: 3 });
    net.build([null, 20]);
    const x = tf.randomUniform([5, 20], 0, 1, 'float32', 1);
    const before = tf.memory().numTensors;
    const y = net.predict(x) as tf.Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    y.dispose();
  });

  it('save -> load reproduces every trainable and non-trainable weight bit-exactly and the same predictions', async () => {
    const net = energyNetwork({ layers: [30, 20, 5], seed: 4, eps: 0.4, freeSteps: 15, schedule: 'sequential' });
    net.build([null, 30]);
    // Give the memory and biases distinctive values so that a loader that skipped them would show.
    net.couplingLayers.forEach((l, k) => {
      l.kernelMemory!.write(tf.randomNormal(l.kernelMemory!.shape as number[], 0, 1, 'float32', 10 + k));
      l.biasMemory!.write(tf.randomNormal(l.biasMemory!.shape as number[], 0, 1, 'float32', 20 + k));
      l.bias.write(tf.randomNormal(l.bias.shape as number[], 0, 0.1, 'float32', 30 + k));
    });
    const dir = tmp();
    await saveNetwork(net, dir, { method: 'tcl' });
    const { net: back, info } = await loadNetwork(dir);
    expect(info.method).toBe('tcl');
    expect(back).toBeInstanceOf(EnergyNetwork);
    expect(back.relaxation).toEqual(net.relaxation);
    const a = net.getWeights();
    const b = back.getWeights();
    expect(b.length).toBe(a.length);
    a.forEach((t, i) => {
      expect(b[i].shape).toEqual(t.shape);
      expect(Buffer.from((b[i].dataSync() as Float32Array).buffer).equals(Buffer.from((t.dataSync() as Float32Array).buffer))).toBe(true);
    });
    const x = tf.randomUniform([7, 30], 0, 1, 'float32', 5);
    expect(Array.from((back.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((net.predict(x) as tf.Tensor).dataSync()));
  });

  it('also loads through plain tf.loadLayersModel("file://…") without tfjs-node', async () => {
    registerFileRouter();
    const net = energyNetwork({ layers: [10, 6, 3], seed: 5 });
    const dir = tmp();
    await net.save(`file://${dir}`);
    const back = await tf.loadLayersModel(`file://${dir}/model.json`);
    expect(back).toBeInstanceOf(EnergyNetwork);
    const x = tf.randomUniform([2, 10], 0, 1, 'float32', 6);
    expect(Array.from((back.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((net.predict(x) as tf.Tensor).dataSync()));
  });

  it('a saved file whose weight shapes do not match its layer config fails with one clear line', async () => {
    const net = energyNetwork({ layers: [10, 6, 3], seed: 5 });
    const dir = tmp();
    await saveNetwork(net, dir);
    const mj = path.join(dir, 'model.json');
    const j = JSON.parse(fs.readFileSync(mj, 'utf8'));
    j.modelTopology.config.layers[0].config.units = 7; // config says 7 hidden units, weights hold 6
    fs.writeFileSync(mj, JSON.stringify(j));
    const err = await loadNetwork(dir).catch((e) => e);
    expect(err.name).toBe('TclError');
    expect(err.message).toMatch(/model\.json/);
    expect(err.message.split('\n')).toHaveLength(1);
  });

  it('a truncated weights.bin fails with a clear error naming the file', async () => {
    const net = energyNetwork({ layers: [10, 6, 3], seed: 5 });
    const dir = tmp();
    await saveNetwork(net, dir);
    const wb = path.join(dir, 'weights.bin');
    fs.truncateSync(wb, 100);
    const err = await loadNetwork(dir).catch((e) => e);
    expect(err.name).toBe('TclError');
    expect(err.message).toMatch(/weights\.bin/);
  });
});
