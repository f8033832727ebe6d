import { describe, expect, it } from 'vitest';
import { mean, pairedDifference, summarize, sampleSd, tInterval, tQuantile } from './stats.ts';

// The measurement (paper split, 5 epochs, default preset, seeds 0–3), test error in %.
const TCL = [5.6, 4.85, 4.35, 4.4];
const EP = [4.6, 4.8, 4.1, 4.3];
const bySeed = (xs: number[]) => xs.map((value, seed) => ({ seed, value }));

describe('one sample', () => {
  it('mean, sample sd (n − 1) and the 95 % t-interval of 5.60, 4.85, 4.35 match a hand computation', () => {
    // mean = 14.80 / 3 = 4.9333…
    // deviations +2/3, −1/12, −7/12 → squares 64/144 + 1/144 + 49/144 = 114/144
    // sd = √(114/144 / 2) = √57 / 12 = 0.62915
    // t_{0.975, 2} = 4.303 (any t table) → half-width 4.303 · 0.62915 / √3 = 1.5630
    const xs = [5.6, 4.85, 4.35];
    const s = summarize(xs);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(4.93333, 4);
    expect(s.sd).toBeCloseTo(0.62915, 4);
    expect(s.min).toBe(4.35);
    expect(s.max).toBe(5.6);
    expect(s.ci95!.df).toBe(2);
    expect(s.ci95!.level).toBe(0.95);
    expect(s.ci95!.halfWidth).toBeCloseTo(1.563, 3);
    expect(s.ci95!.low).toBeCloseTo(4.93333 - 1.563, 3);
    expect(s.ci95!.high).toBeCloseTo(4.93333 + 1.563, 3);
    expect(mean(xs)).toBe(s.mean);
    expect(sampleSd(xs)).toBe(s.sd);
  });

  it('t quantiles are those of a t table (4.303 for df 2, 3.182 for df 3, 2.776 for df 4, 1.960 as df → ∞)', () => {
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.303, 3);
    expect(tQuantile(0.975, 3)).toBeCloseTo(3.182, 3);
    expect(tQuantile(0.975, 4)).toBeCloseTo(2.776, 3);
    expect(tQuantile(0.975, 1e6)).toBeCloseTo(1.96, 2);
    expect(tQuantile(0.95, 9)).toBeCloseTo(1.833, 3);
  });

  it('a 90 % interval uses t_{0.95}', () => {
    // [1, 2, 3]: sd 1, t_{0.95, 2} = 2.920 → half-width 2.920 / √3 = 1.686
    expect(tInterval([1, 2, 3], 0.9)!.halfWidth).toBeCloseTo(1.686, 3);
  });

  it('one value: mean, min and max, but sd and interval are null (not NaN); no values: all null', () => {
    expect(summarize([0.05])).toEqual({ n: 1, mean: 0.05, sd: null, min: 0.05, max: 0.05, ci95: null });
    expect(summarize([])).toEqual({ n: 0, mean: null, sd: null, min: null, max: null, ci95: null });
    expect(JSON.stringify(summarize([0.05]))).not.toContain('NaN');
  });

  it('two equal values: sd 0, a zero-width interval', () => {
    const s = summarize([3, 3]);
    expect(s.sd).toBe(0);
    expect(s.ci95!.halfWidth).toBe(0);
  });

  it('a non-finite value is a clear error, not a NaN statistic', () => {
    expect(() => summarize([1, NaN])).toThrow(/not a finite number/);
    expect(() => tQuantile(1, 3)).toThrow(/not in \(0, 1\)/);
    expect(() => tInterval([1, 2], 95)).toThrow(/confidence level 95/);
  });
});

describe('paired difference', () => {
  it('TCL − EP on the issue’s four seeds is 0.35 ± 0.44 points, 95 % CI −0.35 to 1.05', () => {
    // differences 1.00, 0.05, 0.25, 0.10 → mean 1.40 / 4 = 0.35
    // deviations 0.65, −0.30, −0.10, −0.25 → squares 0.4225 + 0.09 + 0.01 + 0.0625 = 0.585
    // sd = √(0.585 / 3) = √0.195 = 0.44159;  t_{0.975, 3} = 3.182 → half-width 3.182 · 0.44159 / 2 = 0.7026
    const d = pairedDifference(bySeed(TCL), bySeed(EP));
    expect(d.n).toBe(4);
    expect(d.seeds).toEqual([0, 1, 2, 3]);
    expect(d.mean).toBeCloseTo(0.35, 10);
    expect(d.sd).toBeCloseTo(0.44159, 4);
    expect(d.ci95!.halfWidth).toBeCloseTo(0.7026, 3);
    expect(d.ci95!.low).toBeCloseTo(-0.3526, 3);
    expect(d.ci95!.high).toBeCloseTo(1.0526, 3);
    expect(d.differences.map((x) => +x.toFixed(10))).toEqual([1, 0.05, 0.25, 0.1]);
    expect(d.onlyA).toEqual([]);
    expect(d.onlyB).toEqual([]);
  });

  it('pairs by seed, not by position, and lists the seeds only one side has', () => {
    // EP's seed 1 failed; TCL has no seed 9. Pairs: seeds 0, 2, 3 → differences 1.00, 0.25, 0.10.
    const ep = new Map([[3, 4.3], [0, 4.6], [2, 4.1], [9, 5.0]]);
    const d = pairedDifference(bySeed(TCL), ep);
    expect(d.seeds).toEqual([0, 2, 3]);
    expect(d.mean).toBeCloseTo(1.35 / 3, 10);
    expect(d.onlyA).toEqual([1]);
    expect(d.onlyB).toEqual([9]);
  });

  it('one shared seed: the difference, but no sd or interval', () => {
    const d = pairedDifference([{ seed: 4, value: 2 }], [{ seed: 4, value: 1.5 }]);
    expect(d.n).toBe(1);
    expect(d.mean).toBe(0.5);
    expect(d.sd).toBeNull();
    expect(d.ci95).toBeNull();
  });

  it('a seed listed twice is an error naming it', () => {
    expect(() => pairedDifference([{ seed: 1, value: 1 }, { seed: 1, value: 2 }], [])).toThrow(/seed 1 appears twice/);
  });
});
