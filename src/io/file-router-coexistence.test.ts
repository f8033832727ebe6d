// A separate file: vitest gives each test file fresh modules, so tfjs's router registry starts empty here.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { registerFileRouter } from './file-handler.ts';

describe('registerFileRouter next to tfjs-node', () => {
  it('stays out of the way when file:// already has handlers, and when tfjs-node loads later', async () => {
    // Stand-in for tfjs-node's router, registered on import of @tensorflow/tfjs-node.
    const nodeLike: tf.io.IOHandler = { save: async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) };
    const nodeRouter = ((url: string | string[]) => (typeof url === 'string' && url.startsWith('file://') ? nodeLike : null)) as Parameters<
      typeof tf.io.registerSaveRouter
    >[0];

    expect(registerFileRouter()).toBe(true);
    expect(tf.io.getSaveHandlers('file:///m')).toHaveLength(1);

    // tfjs-node arriving afterwards registers its 'tensorflow' backend and its routers; ours must step aside.
    tf.registerBackend('tensorflow', () => tf.findBackend('cpu')!, -1);
    tf.io.registerSaveRouter(nodeRouter);
    tf.io.registerLoadRouter(nodeRouter);
    expect(tf.io.getSaveHandlers('file:///m')).toEqual([nodeLike]);
    expect(tf.io.getLoadHandlers('file:///m/model.json')).toEqual([nodeLike]);

    // A process where tfjs-node came first: a fresh copy of our module declines to register.
    vi.resetModules();
    const fresh = await import('./file-handler.ts');
    expect(fresh.registerFileRouter()).toBe(false);
    expect(tf.io.getSaveHandlers('file:///m')).toEqual([nodeLike]);
  });
});
