/**
 * The shipped presets in models/: the CLI and the library accept a preset name (file stem in
 * models/) or a path to a JSON file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TclError } from '../errors.ts';
import { validatePreset, type Preset } from './preset.ts';

/** Directory holding the shipped presets. */
export const MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models');

export function listPresets(): string[] {
  return fs
    .readdirSync(MODELS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** The paper's MNIST network. */
export const DEFAULT_PRESET = 'mnist-784-500-10';

/**
 * Loads a preset by name (`mnist-784-500-10`) or JSON path, validating every field.
 *
 *   const p = loadPreset('mnist-784-500-10');  p.tcl.theta.W  // [1.2e-6, 2e-5]
 */
export function loadPreset(nameOrPath: string = DEFAULT_PRESET): Preset {
  const file = nameOrPath.endsWith('.json') || nameOrPath.includes('/') ? nameOrPath : path.join(MODELS_DIR, `${nameOrPath}.json`);
  if (!fs.existsSync(file)) {
    throw new TclError(`unknown model preset '${nameOrPath}' (presets: ${listPresets().join(', ')}; or give a path to a JSON file)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TclError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return validatePreset(raw, file);
}

