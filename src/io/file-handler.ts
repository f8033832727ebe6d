/**
 * A `tf.io` IOHandler for local files that needs no tfjs-node: the same layout tfjs-node writes
 * (a directory holding `model.json` + `weights.bin`), written atomically (see `atomic.ts`) and
 * checked on load, so a truncated or mismatched weights.bin is a one-line error rather than a
 * model with garbage weights or a RangeError from inside tfjs.
 *
 *   registerFileRouter();
 *   await model.save('file:///tmp/m');                                  // dir/model.json + weights.bin
 *   const again = await tf.loadLayersModel('file:///tmp/m/model.json');
 */
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TclError } from '../errors.ts';
import { asTclError, writeFilesAtomic } from './atomic.ts';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
const FILE_SCHEME = 'file://';

/** Bytes per value of each weight dtype, and of each quantised storage dtype. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** An IOHandler that can both save and load. */
export interface FileIOHandler extends tf.io.IOHandler {
  save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult>;
  load(): Promise<tf.io.ModelArtifacts>;
}

/**
 * A handler for a model directory, or for a `.json` file path (then weights.bin goes beside it).
 * `load()` also accepts a directory and reads `model.json` inside it.
 *
 *   await model.save(fileSystem('runs/tcl-1'));
 *   const m = await tf.loadLayersModel(fileSystem('runs/tcl-1/model.json'));
 */
export function fileSystem(pathOrDir: string): FileIOHandler {
  return {
    save: (artifacts) => saveArtifacts(pathOrDir, artifacts),
    load: () => loadArtifacts(pathOrDir),
  };
}

async function saveArtifacts(pathOrDir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  const isJson = pathOrDir.endsWith('.json');
  const dir = isJson ? path.dirname(pathOrDir) : pathOrDir;
  const jsonName = isJson ? path.basename(pathOrDir) : MODEL_JSON;
  // model.json is the commit file: it goes in last, so it never points at a half-written weights.bin.
  await writeFilesAtomic(dir, modelFiles(artifacts, path.join(dir, jsonName)), { commitFile: jsonName });
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/**
 * The standard tfjs layout of a model's artifacts as file contents: { 'weights.bin', '<name>.json' }
 * (`jsonPath` names the JSON file and appears in errors). Used to write a model together with
 * other files in one atomic set (training checkpoints).
 */
export function modelFiles(artifacts: tf.io.ModelArtifacts, jsonPath: string): Record<string, string | Uint8Array> {
  const jsonName = path.basename(jsonPath);
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new TclError(`${jsonPath}: saving a binary (GraphDef) model topology is not supported`);
  }
  const specs = artifacts.weightSpecs ?? [];
  const weights = artifacts.weightData == null ? new Uint8Array(0) : new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData));
  const expected = manifestBytes(specs);
  if (expected !== undefined && expected !== weights.byteLength) {
    throw new TclError(`${jsonPath}: refusing to save ${weights.byteLength} bytes of weights for weight specs totalling ${expected} bytes`);
  }

  // Same fields, same order as tfjs-core's getModelJSONForModelArtifacts.
  const modelJSON: Record<string, unknown> = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: specs }],
  };
  for (const key of ['signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature', 'trainingConfig'] as const) {
    if (artifacts[key] != null) modelJSON[key] = artifacts[key];
  }
  if (jsonName === WEIGHTS_BIN) throw new TclError(`${jsonPath}: the model JSON cannot be named ${WEIGHTS_BIN}`);
  return { [WEIGHTS_BIN]: weights, [jsonName]: JSON.stringify(modelJSON) };
}

async function loadArtifacts(pathOrDir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = await resolveModelJson(pathOrDir);
  const text = (await readOrFail(jsonPath)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new TclError(`${jsonPath}: invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const modelJSON = checkModelJSON(parsed, jsonPath);
  const dir = path.dirname(jsonPath);

  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of modelJSON.weightsManifest) {
    const files = group.paths.map((p) => path.join(dir, p));
    const contents = await Promise.all(files.map(readOrFail));
    const actual = contents.reduce((sum, b) => sum + b.byteLength, 0);
    const expected = manifestBytes(group.weights);
    if (expected !== undefined && actual !== expected) {
      const what = files.length === 1 ? `${files[0]}: has` : `${files.join(' + ')}: have`;
      throw new TclError(`${what} ${actual} bytes but the weightsManifest in ${path.basename(jsonPath)} expects ${expected} bytes`);
    }
    specs.push(...group.weights);
    buffers.push(...contents);
  }
  const weightData = concat(buffers);
  return tf.io.getModelArtifactsForJSON(modelJSON, async () => [specs, weightData]);
}

/** A `.json` path as given; a directory → its model.json. */
async function resolveModelJson(pathOrDir: string): Promise<string> {
  if (pathOrDir.endsWith('.json')) return pathOrDir;
  try {
    if ((await fs.stat(pathOrDir)).isDirectory()) return path.join(pathOrDir, MODEL_JSON);
    return pathOrDir;
  } catch {
    return path.join(pathOrDir, MODEL_JSON); // so the error names the file that was looked for
  }
}

async function readOrFail(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? e.code : undefined;
    if (code === 'ENOENT') throw new TclError(`${file}: file not found`);
    if (code === 'EISDIR') throw new TclError(`${file}: is a directory, expected a file`);
    throw asTclError(e, file, 'read');
  }
}

/** Checks the parts of model.json this handler and tfjs-layers rely on. */
function checkModelJSON(json: unknown, file: string): tf.io.ModelJSON {
  function fail(problem: string): never {
    throw new TclError(`${file}: ${problem}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('not a JSON object');
  const { modelTopology, weightsManifest } = json as Record<string, unknown>;
  if (typeof modelTopology !== 'object' || modelTopology === null) return fail('no modelTopology object (not a tfjs model.json)');
  if (!Array.isArray(weightsManifest)) return fail('no weightsManifest array (not a tfjs model.json)');
  weightsManifest.forEach((group: unknown, g) => {
    const { paths, weights } = (group ?? {}) as Record<string, unknown>;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p !== '')) {
      fail(`weightsManifest[${g}].paths is not a list of file names`);
    }
    if (!Array.isArray(weights)) return fail(`weightsManifest[${g}].weights is not a list`);
    weights.forEach((w: unknown, i) => {
      const { name, shape, dtype, quantization } = (w ?? {}) as Record<string, unknown>;
      const where = `weightsManifest[${g}].weights[${i}]`;
      if (typeof name !== 'string') fail(`${where} has no name`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        fail(`${where} ('${name}') has invalid shape ${JSON.stringify(shape)}`);
      }
      if (!(typeof dtype === 'string' && (dtype === 'string' || Object.hasOwn(DTYPE_BYTES, dtype)))) {
        fail(`${where} ('${name}') has unknown dtype ${JSON.stringify(dtype)}`);
      }
      if (quantization != null) {
        const q = (quantization as Record<string, unknown>).dtype;
        if (!(typeof q === 'string' && Object.hasOwn(QUANTIZED_BYTES, q))) {
          fail(`${where} ('${name}') has unknown quantization dtype ${JSON.stringify(q)}`);
        }
      }
    });
  });
  return json as tf.io.ModelJSON;
}

/**
 * Bytes the weights of one manifest group occupy; undefined when a string weight makes the
 * size depend on the data (tfjs stores strings with per-value length prefixes).
 */
function manifestBytes(weights: tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const w of weights) {
    if (w.dtype === 'string') return undefined;
    const per = w.quantization ? QUANTIZED_BYTES[w.quantization.dtype] : DTYPE_BYTES[w.dtype];
    total += per * w.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out.buffer;
}

type IORouter = Parameters<typeof tf.io.registerSaveRouter>[0];

/** `file://<path>` → a handler, as tfjs-node's router does (the rest of the URL is a plain path). */
const fileRouter = ((url: string | string[]) => {
  if (typeof url !== 'string' || !url.startsWith(FILE_SCHEME)) return null;
  // tfjs-node registers its own file:// router on import; if it was loaded after us, defer to it
  // rather than make tfjs fail with "more than one handler".
  if (tf.findBackendFactory('tensorflow') != null) return null;
  return fileSystem(url.slice(FILE_SCHEME.length));
}) as IORouter;

let routerRegistered = false;

/**
 * Makes `model.save('file://dir')` and `tf.loadLayersModel('file://dir/model.json')` use this
 * module, unless something (tfjs-node) already handles file:// URLs. Idempotent. Returns whether
 * file:// now goes through this module.
 *
 *   registerFileRouter();
 *   await model.save('file:///tmp/m');
 */
export function registerFileRouter(): boolean {
  if (routerRegistered) return true;
  const probe = `${FILE_SCHEME}/tfjs-tcl-probe`;
  const saveTaken = tf.io.getSaveHandlers(probe).length > 0;
  const loadTaken = tf.io.getLoadHandlers(probe).length > 0;
  if (saveTaken && loadTaken) return false;
  if (!saveTaken) tf.io.registerSaveRouter(fileRouter);
  if (!loadTaken) tf.io.registerLoadRouter(fileRouter);
  routerRegistered = true;
  return true;
}

/**
 * Loads a LayersModel from a model directory or model.json; tfjs's own errors (an unregistered
 * custom layer class, weights that don't match the topology) become one-line TclErrors naming
 * the file. Custom layers must be registered (`serialization.registerClass`) before this call.
 *
 *   const model = await loadLayersModelFromFile('runs/tcl-1');
 */
export async function loadLayersModelFromFile(pathOrDir: string, options: { strict?: boolean } = {}): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(fileSystem(pathOrDir), options);
  } catch (e) {
    if (e instanceof TclError || !(e instanceof Error)) throw e;
    throw new TclError(`${await resolveModelJson(pathOrDir)}: cannot build the model (${e.message.split('\n')[0]})`);
  }
}
