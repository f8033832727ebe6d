/** Preset JSON (models/*.json or a user's file): every edit of a real preset, and broken text. */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../tmp-dirs.ts';
import { TclError } from '../../src/errors.ts';
import { networkFromPreset } from '../../src/training/build.ts';
import { validatePreset } from '../../src/training/preset.ts';
import { loadPreset } from '../../src/training/preset-files.ts';
import { applyByteEdits, applyEdits, byteEdit, fuzz, jsonEdit, loadsOrRefuses, RUNS } from './harness.ts';

const tmp = tempDirs('tcl-fuzz-preset-');
const base = JSON.parse(fs.readFileSync('models/mnist-784-500-10.json', 'utf8'));

describe('preset parser on arbitrary input', () => {
  it('every edited preset validates or fails with one TclError line', async () => {
    const seen = await fuzz(fc.array(jsonEdit, { maxLength: 3 }), async (edits) => {
      const raw = applyEdits(base, edits);
      return loadsOrRefuses(() => validatePreset(raw, 'p.json'));
    });
    expect(seen.loaded).toBeGreaterThan(RUNS / 50);
    expect(seen.refused).toBeGreaterThan(RUNS / 5);
  });

  it('every damaged preset file loads or fails with one TclError line', async () => {
    const file = path.join(tmp(), 'p.json');
    const text = new TextEncoder().encode(JSON.stringify(base));
    await fuzz(fc.array(byteEdit, { minLength: 1, maxLength: 3 }), async (edits) => {
      const bytes = applyByteEdits(text, edits);
      fs.writeFileSync(file, bytes);
      return loadsOrRefuses(() => loadPreset(file), bytes.length);
    });
  });

  it('a preset claiming a 2^40-unit layer validates (it is only numbers) but is refused before anything is allocated', () => {
    const p = validatePreset({ ...structuredClone(base), layers: [784, 2 ** 40, 10] }, 'big.json');
    expect(() => networkFromPreset(p, 0, 'ep')).toThrow(new TclError(`model preset 'mnist-784-500-10': layers 784-1099511627776-10 need ${785 * 2 ** 40 + (2 ** 40 + 1) * 10} values, more than the 268435456 this builds`));
  });
});
