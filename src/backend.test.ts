import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend, loaders, resetBackendChoice } from './backend.ts';

const original = { ...loaders };

afterEach(() => {
  Object.assign(loaders, original);
  resetBackendChoice();
});

describe('backend selection', () => {
  it('falls back from tfjs-node (not installable here) to wasm, and says why node was skipped', async () => {
    loaders.node = async () => {
      throw new Error('libtensorflow.so: cannot open shared object file');
    };
    const c = await initBackend();
    expect(c.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(c.skipped[0]).toMatch(/^node: libtensorflow/);
  });

  it('falls back to cpu when wasm fails too (any error, not only MODULE_NOT_FOUND)', async () => {
    loaders.node = async () => {
      throw new TypeError('ABI mismatch');
    };
    loaders.wasm = async () => {
      throw new Error('wasm file missing');
    };
    const c = await initBackend();
    expect(c.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(c.skipped).toHaveLength(2);
  });

  it('--backend names one backend and fails with one clear line when it is unavailable', async () => {
    loaders.node = async () => {
      throw new Error("Cannot find package '@tensorflow/tfjs-node'");
    };
    const err = await initBackend('node').catch((e) => e);
    expect(err.name).toBe('TclError');
    expect(err.message).toMatch(/^backend 'node' is not available here \(node: Cannot find package/);
    expect(err.message.split('\n')).toHaveLength(1);
    const c = await initBackend('cpu');
    expect(c.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects an unknown backend name', async () => {
    const err = await initBackend('gpu' as never).catch((e) => e);
    expect(err.name).toBe('TclError');
    expect(err.message).toMatch(/unknown backend 'gpu'/);
  });
});
