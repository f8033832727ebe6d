// Every committed study spec under experiments/ must pass the sweep's own checks (presets resolve
// relative to the spec file): a spec that fails only when someone reruns it is a broken promise.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expandSpec, readSpec } from '../src/sweep/spec.ts';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'experiments');
const specs = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('experiments/*.json', () => {
  it('there are specs to check', () => {
    expect(specs.length).toBeGreaterThanOrEqual(5);
  });
  for (const f of specs) {
    it(`${f} validates and expands into runs over at least 3 seeds`, async () => {
      const spec = await readSpec(path.join(dir, f));
      const runs = expandSpec(spec, '/tmp/unused');
      expect(runs.length).toBeGreaterThan(0);
      const seeds = new Set(runs.map((r) => r.seed));
      expect(seeds.size).toBeGreaterThanOrEqual(3);
    });
  }
});
