import { describe, expect, it } from 'vitest';
import { Rng } from '../../rng.ts';
import { absQuantile, selectKth } from './tcl-synapses.ts';

describe('selectKth (the adaptive dead zone’s quantile)', () => {
  it('returns what a full sort puts at index k, for random, tied, sorted and tiny arrays', () => {
    const rng = new Rng(7);
    const cases: Float32Array[] = [new Float32Array([3]), new Float32Array([2, 1]), new Float32Array([1, 1, 1]), new Float32Array([5, 4, 3, 2, 1, 0])];
    for (let c = 0; c < 60; c++) {
      const n = 1 + Math.floor(rng.next() * 3000);
      const levels = c % 3 === 0 ? 4 : 1e9; // every third array has heavy ties
      cases.push(Float32Array.from({ length: n }, () => Math.floor(rng.next() * levels) / 7));
    }
    cases.push(Float32Array.from({ length: 5000 }, (_, i) => i)); // sorted
    cases.push(Float32Array.from({ length: 5000 }, (_, i) => -i)); // reversed
    for (const a of cases) {
      const sorted = a.slice().sort();
      for (const k of [0, a.length - 1, Math.floor(a.length / 2), Math.floor(0.99 * a.length)]) {
        expect(selectKth(a.slice(), k)).toBe(sorted[k]);
      }
    }
  });

  it('absQuantile is the q-quantile of |v| (all values when there are at most 65,536)', () => {
    const v = Float32Array.from({ length: 10000 }, (_, i) => (i % 2 ? -1 : 1) * i);
    expect(absQuantile(v, 0.99)).toBe(9900);
    expect(absQuantile(v, 0.5)).toBe(5000);
  });
});
