/**
 * safetensors files on disk: written atomically, read with every offset checked. The format
 * itself (and the fs-free `encodeSafetensors` / `decodeSafetensors`) is in `safetensors-codec.ts`.
 */
import fs from 'node:fs/promises';
import { TclError } from '../errors.ts';
import { asTclError, writeFileAtomic } from './atomic.ts';
import { decodeSafetensors, encodeSafetensors, type SafeTensors, type SafetensorsContent } from './safetensors-codec.ts';

export { decodeSafetensors, encodeSafetensors, type SafeTensor, type SafeTensors, type SafetensorsContent } from './safetensors-codec.ts';

/**
 * Writes tensors (in key order) and optional string metadata to `path`, atomically.
 *
 *   await writeSafetensors('ckpt/w.safetensors', { w1: { dtype: 'F32', shape: [784, 500], data } }, { epoch: '3' });
 */
export async function writeSafetensors(path: string, tensors: SafeTensors, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata, path));
}

/**
 * Reads and validates a safetensors file; any problem is a TclError naming `path`.
 *
 *   const { tensors, metadata } = await readSafetensors('ckpt/w.safetensors');
 */
export async function readSafetensors(path: string): Promise<SafetensorsContent> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') throw new TclError(`${path}: file not found`);
    throw asTclError(e, path, 'read');
  }
  return decodeSafetensors(bytes, path);
}
