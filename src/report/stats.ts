/**
 * Statistics over seeds: what every table of the project reports instead of one seed's number.
 *
 *   summarize([0.056, 0.0485, 0.0435])
 *   // { n: 3, mean: 0.04933, sd: 0.00629, min: 0.0435, max: 0.056,
 *   //   ci95: { low: 0.03370, high: 0.06497, halfWidth: 0.01563, level: 0.95, df: 2 } }
 *   pairedDifference(tclBySeed, epBySeed)   // TCL − EP on the seeds both have: mean, sd, 95 % t-interval, n
 *
 * The interval for a mean is Student's t: mean ± t_{1−α/2, n−1} · sd / √n, with the t quantile
 * from @stdlib (not a hand-written table). With one value there is no spread to estimate: sd and
 * the interval are null (never NaN), and tables print '—'.
 */
import tQuantileStdlib from '@stdlib/stats-base-dists-t-quantile';
import { TclError } from '../errors.ts';

/** A two-sided confidence interval for a mean. */
export interface Interval {
  low: number;
  high: number;
  /** high − mean = mean − low. */
  halfWidth: number;
  /** Coverage, e.g. 0.95. */
  level: number;
  /** Degrees of freedom of the t quantile used (n − 1). */
  df: number;
}

/** Summary of a sample; every field is null when it cannot be computed (no values; sd and the interval need n ≥ 2). */
export interface SampleStats {
  n: number;
  mean: number | null;
  /** Sample standard deviation (divisor n − 1). */
  sd: number | null;
  min: number | null;
  max: number | null;
  /** 95 % t-interval for the mean. */
  ci95: Interval | null;
}

/** A paired comparison a − b, matched by seed. */
export interface PairedDifference extends SampleStats {
  /** Seeds both samples have, ascending: the pairs the statistics are over. */
  seeds: number[];
  /** a − b per paired seed, in the order of `seeds`. */
  differences: number[];
  /** Seeds only `a` has (b's run failed or is missing): not in the statistics, listed so that no seed is silently lost. */
  onlyA: number[];
  /** Seeds only `b` has. */
  onlyB: number[];
}

/** Values keyed by seed: a Map, or an array of { seed, value }. */
export type SeedValues = ReadonlyMap<number, number> | ReadonlyArray<{ seed: number; value: number }>;

function checkFinite(xs: readonly number[], what: string): void {
  for (const x of xs) if (!Number.isFinite(x)) throw new TclError(`${what}: value ${x} is not a finite number`);
}

/** Arithmetic mean; null for no values. */
export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  checkFinite(xs, 'mean');
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation √(Σ(x − x̄)² / (n − 1)); null for fewer than two values. */
export function sampleSd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

/**
 * Quantile of Student's t distribution with `df` degrees of freedom (@stdlib's implementation).
 *
 *   tQuantile(0.975, 2)   // 4.3027
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new TclError(`t quantile: probability ${p} is not in (0, 1)`);
  if (!(df > 0)) throw new TclError(`t quantile: degrees of freedom ${df} must be positive`);
  return tQuantileStdlib(p, df);
}

/**
 * The t-interval mean ± t_{(1+level)/2, n−1} · sd / √n for the mean of `xs`; null for fewer than two values.
 *
 *   tInterval([5.60, 4.85, 4.35])   // 4.933 ± 4.303 · 0.629 / √3 = 4.933 ± 1.563
 */
export function tInterval(xs: readonly number[], level = 0.95): Interval | null {
  if (!(level > 0 && level < 1)) throw new TclError(`confidence level ${level} is not in (0, 1)`);
  const sd = sampleSd(xs);
  if (sd == null) return null;
  const m = mean(xs)!;
  const df = xs.length - 1;
  const halfWidth = (tQuantile((1 + level) / 2, df) * sd) / Math.sqrt(xs.length);
  return { low: m - halfWidth, high: m + halfWidth, halfWidth, level, df };
}

/** n, mean, sample sd, min, max and the 95 % t-interval of `xs`. */
export function summarize(xs: readonly number[]): SampleStats {
  checkFinite(xs, 'statistics');
  return {
    n: xs.length,
    mean: mean(xs),
    sd: sampleSd(xs),
    min: xs.length ? Math.min(...xs) : null,
    max: xs.length ? Math.max(...xs) : null,
    ci95: tInterval(xs),
  };
}

function toMap(v: SeedValues, what: string): Map<number, number> {
  if (v instanceof Map) return new Map(v);
  const m = new Map<number, number>();
  for (const { seed, value } of v as ReadonlyArray<{ seed: number; value: number }>) {
    if (m.has(seed)) throw new TclError(`paired difference: seed ${seed} appears twice in ${what}`);
    m.set(seed, value);
  }
  return m;
}

/**
 * The paired difference a − b over the seeds both have (a run and its partner see the same
 * initial weights and example order, so the per-seed difference removes that shared noise):
 * mean difference, its sample sd, the 95 % t-interval and n. Seeds only one side has are
 * returned in `onlyA` / `onlyB`.
 *
 *   pairedDifference([{ seed: 0, value: 5.60 }, …], [{ seed: 0, value: 4.60 }, …])
 */
export function pairedDifference(a: SeedValues, b: SeedValues): PairedDifference {
  const ma = toMap(a, 'the first sample');
  const mb = toMap(b, 'the second sample');
  const seeds = [...ma.keys()].filter((s) => mb.has(s)).sort((x, y) => x - y);
  const differences = seeds.map((s) => ma.get(s)! - mb.get(s)!);
  return {
    ...summarize(differences),
    seeds,
    differences,
    onlyA: [...ma.keys()].filter((s) => !mb.has(s)).sort((x, y) => x - y),
    onlyB: [...mb.keys()].filter((s) => !ma.has(s)).sort((x, y) => x - y),
  };
}
