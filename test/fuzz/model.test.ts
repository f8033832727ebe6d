/** Saved models: model.json + weights.bin (the tfjs layout) and .safetensors, damaged every way. */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../tmp-dirs.ts';
import { initBackend } from '../../src/backend.ts';
import { TclError } from '../../src/errors.ts';
import { energyNetwork } from '../../src/layers/energy-network.ts';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.ts';
import { loadNetwork, networkTensors, saveNetwork } from '../../src/io/network-io.ts';
import { applyByteEdits, applyEdits, byteEdit, fuzz, jsonEdit, loadsOrRefuses, RUNS } from './harness.ts';

const tmp = tempDirs('tcl-fuzz-model-');
let dir: string;
let modelJson: unknown;
let weightsBin: Uint8Array;
let safetensors: { tensors: ReturnType<typeof networkTensors>['tensors']; metadata: Record<string, string> };

beforeAll(async () => {
  await initBackend();
  const net = energyNetwork({ layers: [4, 3, 2], memoryDepth: 2, seed: 1 });
  net.build([null, 4]);
  const base = tmp();
  await saveNetwork(net, base, { method: 'tcl' });
  modelJson = JSON.parse(fs.readFileSync(path.join(base, 'model.json'), 'utf8'));
  weightsBin = new Uint8Array(fs.readFileSync(path.join(base, 'weights.bin')));
  safetensors = networkTensors(net, { method: 'tcl' });
  net.dispose();
  dir = tmp();
});

async function load(file: string, bytes: number): Promise<'loaded' | 'refused'> {
  return loadsOrRefuses(async () => (await loadNetwork(file)).net.dispose(), bytes, { tensorPeak: true });
}

describe('model.json + weights.bin on arbitrary input', () => {
  const damaged = fc.record({
    json: fc.array(jsonEdit, { maxLength: 3 }),
    text: fc.array(byteEdit, { maxLength: 1 }),
    textDamage: fc.nat({ max: 9 }),
    weights: fc.array(byteEdit, { maxLength: 2 }),
    // Often a size the topology or the manifest claims, set to something large, zero or wrong.
    size: fc.option(fc.record({ which: fc.nat(), value: fc.constantFrom(2 ** 22, 2 ** 40, 0, -1, 1.5, 5) }), { freq: 2 }),
  });
  const sizeFields = (j: any): [Record<string | number, unknown>, string | number][] => [
    ...j.modelTopology.config.layers.flatMap((l: any) => [[l.config, 'units'], [l.config, 'memory_depth']]),
    [j.modelTopology.config.layers[0].config.batch_input_shape, 1],
    ...j.weightsManifest[0].weights.flatMap((w: any) => w.shape.map((_: unknown, i: number) => [w.shape, i])),
  ];
  it('every damaged pair loads or fails with one TclError line (tfjs never throws through)', async () => {
    const seen = await fuzz(damaged, async (d) => {
      const j = structuredClone(modelJson) as any;
      if (d.size) {
        const fields = sizeFields(j);
        const [obj, key] = fields[d.size.which % fields.length];
        obj[key] = d.size.value;
      }
      let text: Uint8Array = new TextEncoder().encode(JSON.stringify(applyEdits(j, d.json)));
      if (d.textDamage === 0) text = applyByteEdits(text, d.text); // now and then, broken JSON text too
      const w = applyByteEdits(weightsBin, d.weights);
      fs.writeFileSync(path.join(dir, 'model.json'), text);
      fs.writeFileSync(path.join(dir, 'weights.bin'), w);
      return load(dir, text.length + w.length);
    });
    expect(seen.loaded).toBeGreaterThan(RUNS / 50);
    expect(seen.refused).toBeGreaterThan(RUNS / 5);
  });

  it('a topology claiming 2^40 units fails before tfjs allocates anything of that size', async () => {
    for (const edit of [
      (j: any) => (j.modelTopology.config.layers[0].config.units = 2 ** 40),
      (j: any) => (j.modelTopology.config.layers[0].config.batch_input_shape = [null, 2 ** 40]),
      (j: any) => (j.modelTopology.config.layers[1].config.memory_depth = 2 ** 40),
      (j: any) => (j.modelTopology.config.layers[1].config.units = 2 ** 20),
    ]) {
      const j = structuredClone(modelJson) as any;
      edit(j);
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(j));
      fs.writeFileSync(path.join(dir, 'weights.bin'), weightsBin);
      const before = process.memoryUsage().arrayBuffers;
      const err = await loadNetwork(dir).catch((e) => e);
      expect(err).toBeInstanceOf(TclError);
      expect(err.message).toMatch(/model\.json: (the topology needs \d+ weights but the weightsManifest declares \d+|the topology claims more weights than a model can hold)$/);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 20);
    }
  });
});

describe('safetensors on arbitrary input', () => {
  const damaged = fc.record({
    header: fc.array(jsonEdit, { maxLength: 3 }),
    lengthField: fc.oneof(fc.constant(null), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(2n ** 40n, 0n, 7n)),
    bytes: fc.array(byteEdit, { maxLength: 2 }),
  });

  /** A file whose header is the edited JSON of the tiny network's file. */
  function build(d: { header: Parameters<typeof applyEdits>[1]; lengthField: bigint | null; bytes: Parameters<typeof applyByteEdits>[1] }): Uint8Array {
    const good = encodeSafetensors(safetensors.tensors, safetensors.metadata);
    const n = Number(new DataView(good.buffer).getBigUint64(0, true));
    const header = applyEdits(JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + n))), d.header);
    const json = new TextEncoder().encode(JSON.stringify(header) ?? 'null');
    const out = new Uint8Array(8 + json.length + good.length - 8 - n);
    new DataView(out.buffer).setBigUint64(0, d.lengthField ?? BigInt(json.length), true);
    out.set(json, 8);
    out.set(good.subarray(8 + n), 8 + json.length);
    return applyByteEdits(out, d.bytes);
  }

  it('decodeSafetensors: every damaged file decodes or fails with one TclError line', async () => {
    const seen = await fuzz(damaged, async (d) => {
      const bytes = build(d);
      return loadsOrRefuses(() => decodeSafetensors(bytes, 'w.safetensors'), bytes.length);
    });
    expect(seen.loaded).toBeGreaterThan(RUNS / 50);
    expect(seen.refused).toBeGreaterThan(RUNS / 5);
  });

  it('loadNetwork(file.safetensors): every damaged file builds a network or fails with one TclError line', async () => {
    const file = path.join(dir, 'w.safetensors');
    await fuzz(damaged, async (d) => {
      const bytes = build(d);
      fs.writeFileSync(file, bytes);
      return load(file, bytes.length);
    });
  });

  it('raw random bytes are refused with one TclError line', async () => {
    await fuzz(fc.uint8Array({ maxLength: 64 }), async (bytes) => loadsOrRefuses(() => decodeSafetensors(bytes, 'w.safetensors'), bytes.length));
  });

  it('a header claiming 2^40 elements, or a 2^40-byte header, fails at once', async () => {
    const big = { W1: { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] } };
    const json = new TextEncoder().encode(JSON.stringify(big));
    const bytes = new Uint8Array(8 + json.length + 16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    expect(() => decodeSafetensors(bytes, 'big.safetensors')).toThrow(/^big\.safetensors: tensor 'W1' has data_offsets \[0, 4398046511104\] beyond the 16-byte data section$/);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(() => decodeSafetensors(bytes, 'big.safetensors')).toThrow(/header length 1099511627776 bytes is larger than/);
    // Metadata claiming 2^40-unit layers: refused from the tensors' real shapes before anything is built.
    const file = path.join(dir, 'layers.safetensors');
    fs.writeFileSync(file, encodeSafetensors(safetensors.tensors, { ...safetensors.metadata, layers: `4,${2 ** 40},2` }));
    await expect(loadNetwork(file)).rejects.toThrow(`${file}: tensor 'W1' has shape [4,3] but layers 4-${2 ** 40}-2 need [4,${2 ** 40}]`);
  });
});
