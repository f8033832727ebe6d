/**
 * The report of runs over seeds — `compare --seeds` (groups are methods: TCL, EP, BP, …) and
 * `sweep` (groups are configurations, everything but the seed):
 *
 *   const s = seedStatistics(records, { kind: 'compare' });   // per group: mean ± sd over seeds; paired TCL − EP, TCL − BP
 *   console.log(seedTable(s));                                 // the terminal version
 *   await writeSeedReport('runs/x', records, { kind: 'compare', command, backend, startedAt, seconds });
 *
 * The headline is the final-epoch test error (mean ± sample sd, min–max, 95 % t-interval, n);
 * the best epoch is shown beside it, labelled as not the headline. No seed is dropped: a failed
 * run is counted and listed with its error, and a paired comparison names the seeds it could
 * not pair.
 *
 * Which pairs are compared (a − b, matched by seed):
 * - compare: the reference group (TCL, else the first) minus every other group — TCL − EP, TCL − BP,
 *   TCL − TCL (reversed sawtooth);
 * - sweep: one factor at a time — for every key that varies, each of its values minus the key's
 *   first value (the spec's order), the other keys held fixed; e.g. deadZone=quantile:0.99 −
 *   deadZone=fixed at protocol=sawtooth;
 * - or the pairs the caller lists (`pairs`).
 */
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { TclError } from '../errors.ts';
import type { RunConfig, RunRecord } from '../sweep/types.ts';
import type { EpochMetrics } from '../training/loop.ts';
import { markdownTable, textTable } from './format.ts';
import { bandChart, dotChart, writeChart } from './plot.ts';
import { machine, versions } from './provenance.ts';
import { pairedDifference, summarize, type PairedDifference, type SampleStats } from './stats.ts';

export interface SeedStatisticsOptions {
  /** 'compare': groups are methods, paired against the reference; 'sweep': groups are configurations, paired one factor at a time. */
  kind: 'compare' | 'sweep';
  /** Group order in tables and plots (default: order of first appearance in the records); groups not listed follow. */
  groups?: string[];
  /** Paired comparisons as [a, b] (a − b), instead of the default rule. */
  pairs?: Array<[string, string]>;
  /** compare: the group the others are compared with (default 'TCL' when present, else the first group). */
  reference?: string;
  /** sweep: the grid, for the order of each key's values (the first value is the baseline of its one-factor comparisons). */
  grid?: Record<string, ReadonlyArray<unknown>>;
}

/** Test error over seeds at one epoch (fractions). */
export interface CurvePoint {
  epoch: number;
  /** Seeds that reached this epoch. */
  n: number;
  mean: number;
  sd: number | null;
  min: number;
  max: number;
  /** Mean cumulative training time to the end of this epoch, seconds (evaluation excluded). */
  seconds: number;
}

export interface GroupStats {
  group: string;
  /** What the group's runs share: their configuration without the seed (from the first run). */
  config: RunConfig;
  /** Every seed of the group, done or failed, ascending. */
  seeds: number[];
  /** Seeds whose run finished with at least one evaluated epoch. */
  done: number[];
  failed: Array<{ seed: number; id: string; error: string }>;
  /** The headline: test error after the last epoch, over the done seeds (fractions). */
  finalTestError: SampleStats;
  /** Per seed the lowest test error of any epoch (not the headline: picking the best epoch on the test set flatters). */
  bestTestError: SampleStats;
  /** Per done seed, in the order of `done`: the final and the best epoch's test error and the best epoch's number. */
  perSeed: Array<{ seed: number; finalTestError: number; bestTestError: number; bestEpoch: number; epochs: number; secondsPerEpoch: number; interrupted: boolean }>;
  /** Completed epochs: min and max over the done seeds (they differ only when a run was interrupted). */
  epochs: { min: number; max: number } | null;
  /** Training seconds per epoch over the done seeds. */
  secondsPerEpoch: SampleStats;
  /** Test error per epoch over the seeds that reached it. */
  curve: CurvePoint[];
}

export interface PairedComparison extends PairedDifference {
  /** a − b. */
  a: string;
  b: string;
  /** e.g. 'TCL − EP' or 'deadZone=quantile:0.99 − deadZone=fixed'. */
  label: string;
  /** sweep: what the two groups share of the varying keys (e.g. 'protocol=sawtooth'); '' when nothing else varies. */
  context: string;
  /** Seeds of either group left out of the pairs, and why ('EP failed', 'no EP run'). */
  unpaired: Array<{ seed: number; reason: string }>;
}

export interface SeedStatistics {
  kind: 'compare' | 'sweep';
  groups: GroupStats[];
  /** Of the final-epoch test error, in fractions (0.0035 = 0.35 points). */
  paired: PairedComparison[];
  /** How the pairs were chosen, in words. */
  pairRule: string;
  /** The keys (seed excluded) whose values differ between groups. */
  varyingKeys: string[];
}

const finiteMetrics = (r: RunRecord): EpochMetrics[] => (r.summary?.metrics ?? []).filter((m) => Number.isFinite(m.testError));
/** Finished all its epochs: a run stopped early (interrupted) has a shorter curve and no final-epoch error. */
const isDone = (r: RunRecord): boolean => r.status === 'done' && !r.summary?.interrupted && Number.isFinite(r.summary?.metrics.at(-1)?.testError);

function withoutSeed(c: RunConfig): RunConfig {
  const { seed: _seed, ...rest } = c;
  return rest;
}

const show = (v: unknown): string => (v === undefined ? '(unset)' : String(v));

/**
 * Statistics per group and the paired comparisons, from the sweep's run records; every number
 * is a fraction (test error 0.0435 = 4.35 %). JSON-safe: no NaN, null where a statistic needs
 * more seeds.
 */
export function seedStatistics(records: readonly RunRecord[], options: SeedStatisticsOptions): SeedStatistics {
  const byGroup = new Map<string, RunRecord[]>();
  for (const r of records) {
    const list = byGroup.get(r.group) ?? [];
    if (list.some((x) => x.seed === r.seed)) throw new TclError(`report: group '${r.group}' has seed ${r.seed} twice (runs ${list.find((x) => x.seed === r.seed)!.id} and ${r.id})`);
    list.push(r);
    byGroup.set(r.group, list);
  }
  const order = [...(options.groups ?? []).filter((g) => byGroup.has(g)), ...[...byGroup.keys()].filter((g) => !options.groups?.includes(g))];
  const groups = order.map((g) => groupStats(g, byGroup.get(g)!));

  const configs = groups.map((g) => g.config);
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))];
  const varyingKeys = keys.filter((k) => new Set(configs.map((c) => show(c[k]))).size > 1);

  let pairs: Array<{ a: string; b: string; label: string; context: string }>;
  let pairRule: string;
  if (options.pairs) {
    for (const [a, b] of options.pairs) for (const g of [a, b]) if (!byGroup.has(g)) throw new TclError(`report: paired comparison names group '${g}', which has no runs (groups: ${order.join(', ')})`);
    pairs = options.pairs.map(([a, b]) => ({ a, b, label: `${a} − ${b}`, context: '' }));
    pairRule = 'the pairs the caller listed';
  } else if (options.kind === 'compare') {
    const ref = options.reference ?? (byGroup.has('TCL') ? 'TCL' : order[0]);
    if (ref !== undefined && !byGroup.has(ref)) throw new TclError(`report: reference group '${ref}' has no runs (groups: ${order.join(', ')})`);
    pairs = order.filter((g) => g !== ref).map((g) => ({ a: ref!, b: g, label: `${ref} − ${g}`, context: '' }));
    pairRule = `${ref ?? 'the first group'} minus every other group, matched by seed`;
  } else {
    pairs = oneFactorPairs(groups, varyingKeys, options.grid);
    pairRule = "one factor at a time: for each varying key, each value minus the key's first value, the other keys held fixed, matched by seed";
  }

  const finals = new Map(groups.map((g) => [g.group, g.perSeed.map((p) => ({ seed: p.seed, value: p.finalTestError }))]));
  const stats = new Map(groups.map((g) => [g.group, g]));
  const paired = pairs.map((p) => {
    const d = pairedDifference(finals.get(p.a)!, finals.get(p.b)!);
    const [ga, gb] = [stats.get(p.a)!, stats.get(p.b)!];
    const why = (g: GroupStats, seed: number) => (g.done.includes(seed) ? null : g.seeds.includes(seed) ? `${g.group} failed` : `no ${g.group} run`);
    const unpaired = [...new Set([...ga.seeds, ...gb.seeds])]
      .filter((seed) => !d.seeds.includes(seed))
      .sort((x, y) => x - y)
      .map((seed) => ({ seed, reason: [why(ga, seed), why(gb, seed)].filter(Boolean).join(', ') }));
    return { ...p, ...d, unpaired };
  });
  return { kind: options.kind, groups, paired, pairRule, varyingKeys };
}

function groupStats(group: string, runs: RunRecord[]): GroupStats {
  const sorted = [...runs].sort((x, y) => x.seed - y.seed);
  const done = sorted.filter(isDone);
  const failed = sorted
    .filter((r) => !isDone(r))
    .map((r) => ({
      seed: r.seed,
      id: r.id,
      error:
        r.status === 'failed'
          ? r.error ?? 'failed (no error message)'
          : r.summary?.interrupted
            ? `interrupted after ${finiteMetrics(r).length} epoch(s)`
            : r.summary?.metrics.length
              ? `test error of the last epoch (${r.summary.metrics.at(-1)!.epoch}) is ${r.summary.metrics.at(-1)!.testError}`
              : 'finished without an evaluated epoch',
    }));
  const perSeed = done.map((r) => {
    const ms = finiteMetrics(r);
    const best = ms.reduce((b, m) => (m.testError < b.testError ? m : b));
    return {
      seed: r.seed,
      finalTestError: ms.at(-1)!.testError,
      bestTestError: best.testError,
      bestEpoch: best.epoch,
      epochs: ms.at(-1)!.epoch,
      secondsPerEpoch: r.summary!.secondsPerEpoch,
      interrupted: r.summary!.interrupted,
    };
  });
  // Test error per epoch over the seeds that reached it, and the mean cumulative training time there.
  const byEpoch = new Map<number, { errors: number[]; seconds: number[] }>();
  for (const r of done) {
    let t = 0;
    for (const m of r.summary!.metrics) {
      t += m.seconds;
      if (!Number.isFinite(m.testError)) continue;
      const e = byEpoch.get(m.epoch) ?? { errors: [], seconds: [] };
      e.errors.push(m.testError);
      e.seconds.push(t);
      byEpoch.set(m.epoch, e);
    }
  }
  const curve = [...byEpoch.entries()]
    .sort(([a], [b]) => a - b)
    .map(([epoch, e]) => {
      const s = summarize(e.errors);
      return { epoch, n: s.n, mean: s.mean!, sd: s.sd, min: s.min!, max: s.max!, seconds: summarize(e.seconds).mean! };
    });
  const epochs = perSeed.map((p) => p.epochs);
  return {
    group,
    config: withoutSeed(sorted[0]!.config),
    seeds: sorted.map((r) => r.seed),
    done: done.map((r) => r.seed),
    failed,
    finalTestError: summarize(perSeed.map((p) => p.finalTestError)),
    bestTestError: summarize(perSeed.map((p) => p.bestTestError)),
    perSeed,
    epochs: epochs.length ? { min: Math.min(...epochs), max: Math.max(...epochs) } : null,
    secondsPerEpoch: summarize(perSeed.map((p) => p.secondsPerEpoch).filter(Number.isFinite)),
    curve,
  };
}

/** Pairs of groups that differ in exactly one varying key: each value against the key's first value. */
function oneFactorPairs(groups: GroupStats[], varyingKeys: string[], grid?: Record<string, ReadonlyArray<unknown>>): Array<{ a: string; b: string; label: string; context: string }> {
  const pairs: Array<{ a: string; b: string; label: string; context: string }> = [];
  for (const key of varyingKeys) {
    const seen = [...new Set(groups.map((g) => show(g.config[key])))];
    const fromGrid = grid?.[key]?.map(show).filter((v) => seen.includes(v)) ?? [];
    const values = [...fromGrid, ...seen.filter((v) => !fromGrid.includes(v))];
    const baseline = values[0];
    const others = varyingKeys.filter((k) => k !== key);
    const sig = (g: GroupStats) => others.map((k) => `${k}=${show(g.config[k])}`).join(', ');
    for (const b of groups.filter((g) => show(g.config[key]) === baseline)) {
      for (const a of groups) {
        if (a === b || show(a.config[key]) === baseline || sig(a) !== sig(b)) continue;
        pairs.push({ a: a.group, b: b.group, label: `${key}=${show(a.config[key])} − ${key}=${baseline}`, context: sig(b) });
      }
    }
  }
  return pairs;
}

// ---- text ----

/** A fraction as a percentage with two decimals, with a true minus sign. */
const p2 = (v: number) => (100 * v).toFixed(2).replace(/^-/, '−');
const signed = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(100 * v).toFixed(2)}`;

/** 'mean ± sd%' of error rates, or '5.60% (one seed)', or '—' for none. */
export function meanSd(s: SampleStats): string {
  if (s.mean == null) return '—';
  if (s.sd == null) return `${p2(s.mean)}% (one seed)`;
  return `${p2(s.mean)} ± ${p2(s.sd)}%`;
}

const range = (s: SampleStats) => (s.min == null ? '—' : s.n === 1 ? `${p2(s.min)}%` : `${p2(s.min)}–${p2(s.max!)}%`);
const ci = (s: SampleStats) => (s.ci95 ? `${p2(s.ci95.low)} to ${p2(s.ci95.high)}%` : '—');
const secs = (v: number | null) => (v == null ? '—' : v.toFixed(v < 10 ? 2 : 1));

/**
 * The per-group table (header first). `compact` gives the terminal's shorter headers (the
 * meaning goes in a line under the table: see seedTable).
 */
export function seedRows(s: SeedStatistics, compact = false): string[][] {
  const head = compact
    ? [s.kind === 'compare' ? 'method' : 'configuration', 'final test error', 'min–max', '95 % CI', 'done/failed', 'epochs', 's/epoch', 'best epoch*']
    : [s.kind === 'compare' ? 'method' : 'configuration', 'test error, final epoch (mean ± sd)', 'min–max', '95 % CI of the mean', 'seeds done / failed', 'epochs', 's / epoch', 'best epoch (not the headline)'];
  const rows = s.groups.map((g) => [
    g.group,
    meanSd(g.finalTestError),
    range(g.finalTestError),
    ci(g.finalTestError),
    `${g.done.length} / ${g.failed.length}`,
    g.epochs ? (g.epochs.min === g.epochs.max ? String(g.epochs.max) : `${g.epochs.min}–${g.epochs.max}`) : '—',
    secs(g.secondsPerEpoch.mean),
    meanSd(g.bestTestError),
  ]);
  return [head, ...rows];
}

/**
 * One line per paired comparison, e.g. 'TCL − EP: +0.35 ± 0.44 points (mean ± sd of the per-seed
 * differences; 95 % CI −0.35 to +1.05), n = 4 seeds (0, 1, 2, 3); the interval contains 0: …'.
 * `compact`: 'TCL − EP: +0.35 ± 0.44 points, 95 % CI −0.35 to +1.05, n = 4 (seeds 0, 1, 2, 3): contains 0'.
 */
export function pairedLine(p: PairedComparison, compact = false): string {
  const where = p.context ? ` [${p.context}]` : '';
  const missing = p.unpaired.length ? `; not paired: ${p.unpaired.map((u) => `seed ${u.seed} (${u.reason})`).join(', ')}` : '';
  if (p.mean == null) return `${p.label}${where}: no shared seed${missing}`;
  const seeds = `n = ${p.n} seed${p.n === 1 ? '' : 's'} (${p.seeds.join(', ')})`;
  if (p.ci95 == null) return `${p.label}${where}: ${signed(p.mean)} points, one seed: no interval; ${seeds}${missing}`;
  const excludes = p.ci95.low > 0 || p.ci95.high < 0;
  if (compact) {
    return `${p.label}${where}: ${signed(p.mean)} ± ${p2(p.sd!)} points, 95 % CI ${signed(p.ci95.low)} to ${signed(p.ci95.high)}, n = ${p.n} (seeds ${p.seeds.join(', ')}): ${excludes ? 'excludes 0' : 'contains 0'}${missing}`;
  }
  const verdict = excludes ? 'the interval excludes 0' : 'the interval contains 0: not told apart from seed noise';
  return `${p.label}${where}: ${signed(p.mean)} ± ${p2(p.sd!)} points (mean ± sd of the per-seed differences; 95 % CI ${signed(p.ci95.low)} to ${signed(p.ci95.high)}), ${seeds}; ${verdict}${missing}`;
}

/** One line per failed run: 'EP seed 2 (method-ep_seed-2): error: …'. */
export function failedLines(s: SeedStatistics): string[] {
  return s.groups.flatMap((g) => g.failed.map((f) => `${g.group} seed ${f.seed} (${f.id}) failed: ${f.error}`));
}

/**
 * The terminal version of the report: the per-group table, the paired differences and every
 * failed run.
 */
export function seedTable(x: SeedStatistics | readonly RunRecord[], options: SeedStatisticsOptions = { kind: 'compare' }): string {
  const s = Array.isArray(x) ? seedStatistics(x as readonly RunRecord[], options) : (x as SeedStatistics);
  const lines = [textTable(seedRows(s, true)), 'final test error: after the last epoch, mean ± sample sd over the seeds; 95 % CI: t-interval of the mean; *best epoch: not the headline'];
  if (s.paired.length) {
    lines.push('', 'paired differences of the final test error (a − b on the same seeds; mean ± sd of the differences):', ...s.paired.map((p) => `  ${pairedLine(p, true)}`));
  }
  const failed = failedLines(s);
  if (failed.length) lines.push('', ...failed);
  return lines.join('\n');
}

// ---- files ----

export interface SeedReportMeta extends SeedStatisticsOptions {
  /** Heading of report.md (default: 'TCL vs EP vs BP — mnist' for compare, 'Sweep <name>' for a sweep). */
  title?: string;
  /** The command line that produced it. */
  command: string;
  backend: string;
  startedAt: Date;
  /** Wall-clock seconds of the whole compare / sweep. */
  seconds: number;
  /** The sweep's spec, copied into results.json (its `name` titles the report; its `grid` orders the values). */
  spec?: Record<string, unknown>;
}

const BAND = 'mean ± 1 sample sd';

/** The settings every group has in common (dataset, split, epochs, …), as one line; none when there is one group. */
function sharedLine(s: SeedStatistics): string[] {
  if (s.groups.length < 2) return s.groups.length === 1 ? [`Settings: ${configText(s.groups[0]!.config) || 'the defaults'}.`] : [];
  const first = s.groups[0]!.config;
  const common = Object.fromEntries(Object.entries(first).filter(([k, v]) => !s.varyingKeys.includes(k) && s.groups.every((g) => show(g.config[k]) === show(v))));
  const text = configText(common);
  return text ? [`Settings shared by every run: ${text}.`] : [];
}

const configText = (c: RunConfig): string =>
  Object.entries(c)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** 'Seeds 0, 1, 2 for every method (3 runs each).' or, when they differ, the seeds of each group. */
function seedsLine(s: SeedStatistics, kind: 'compare' | 'sweep'): string {
  const unit = kind === 'compare' ? 'method' : 'configuration';
  const failed = (g: GroupStats) => (g.failed.length ? `, ${g.failed.length} failed` : '');
  const lists = new Set(s.groups.map((g) => g.seeds.join(', ')));
  if (lists.size === 1) {
    const g0 = s.groups[0];
    if (!g0) return 'No runs.';
    const nFailed = s.groups.reduce((n, g) => n + g.failed.length, 0);
    return `Seed${g0.seeds.length === 1 ? '' : 's'} ${g0.seeds.join(', ')} for every ${unit} (n = ${g0.seeds.length} each${nFailed ? `; ${nFailed} run${nFailed === 1 ? '' : 's'} failed, listed below` : ''}).`;
  }
  return `Seeds per ${unit}: ${s.groups.map((g) => `${g.group} ${g.seeds.join(', ')} (n = ${g.seeds.length}${failed(g)})`).join('; ')}.`;
}

/** The data description shared by all runs ('mnist, paper split (…), 10000 train / 2000 test'), or each distinct one. */
function dataLine(records: readonly RunRecord[]): string {
  const d = new Set(records.filter((r) => r.summary).map((r) => `${r.summary!.dataset}, ${r.summary!.split} split (${r.summary!.splitDescription}): trained on ${r.summary!.trainSize} examples, tested on ${r.summary!.testSize}`));
  return [...d].join('; ');
}

/**
 * Writes DIR/report.md, results.json and the plots (learning-curves, time-to-accuracy; .svg and
 * .png), each file atomically; returns the paths written.
 *
 * results.json has every record (failed ones with their error), every seed's per-epoch metrics,
 * the group statistics and the paired comparisons; error rates are fractions.
 */
export async function writeSeedReport(out: string, records: readonly RunRecord[], meta: SeedReportMeta): Promise<string[]> {
  const specGrid = meta.spec?.grid;
  const grid = meta.grid ?? (specGrid && typeof specGrid === 'object' ? (specGrid as Record<string, ReadonlyArray<unknown>>) : undefined);
  const specName = typeof meta.spec?.name === 'string' ? meta.spec.name : undefined;
  const s = seedStatistics(records, { ...meta, grid });
  const datasets = [...new Set(records.map((r) => r.summary?.dataset).filter(Boolean))];
  const title = meta.title ?? (meta.kind === 'compare' ? `${s.groups.map((g) => g.group).join(' vs ')}${datasets.length ? ` — ${datasets.join(', ')}` : ''}` : `Sweep ${specName ?? path.basename(path.resolve(out))}`);
  const nLabel = (g: GroupStats) => `${g.group} (n = ${g.done.length}${g.failed.length ? `, ${g.failed.length} failed` : ''})`;
  const byGroup = new Map<string, RunRecord[]>();
  for (const r of records) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
  const dataShort = [...new Set(records.filter((r) => r.summary).map((r) => `${r.summary!.dataset}, ${r.summary!.split} split, ${r.summary!.trainSize} / ${r.summary!.testSize} images`))].join('; ');
  const subtitle = `thick line: mean over seeds; band: ${BAND}; thin lines: each seed`;

  const curves = bandChart({
    title: `Test error per epoch${dataShort ? ` — ${dataShort}` : ''}`,
    subtitle,
    xLabel: 'epoch',
    integerX: true,
    yLabel: 'test error (%)',
    series: s.groups.map((g) => ({
      name: nLabel(g),
      centre: g.curve.map((c) => [c.epoch, 100 * c.mean]),
      band: g.curve.filter((c) => c.sd != null).map((c) => [c.epoch, 100 * (c.mean - c.sd!), 100 * (c.mean + c.sd!)]),
      members: (byGroup.get(g.group) ?? []).filter(isDone).map((r) => ({ name: `seed ${r.seed}`, points: finiteMetrics(r).map((m) => [m.epoch, 100 * m.testError] as [number, number]) })),
    })),
  });
  const tta = bandChart({
    title: 'Time to accuracy',
    subtitle: 'thick line: mean error at the mean time of each epoch; thin lines: each seed',
    xLabel: 'training time (s, cumulative, evaluation excluded)',
    yLabel: 'test error (%)',
    logX: true,
    series: s.groups.map((g) => ({
      name: nLabel(g),
      centre: g.curve.map((c) => [c.seconds, 100 * c.mean]),
      // No band: the seeds reach an epoch at different times, so a vertical band would mislead.
      band: [],
      members: (byGroup.get(g.group) ?? []).filter(isDone).map((r) => {
        let t = 0;
        return { name: `seed ${r.seed}`, points: finiteMetrics(r).map((m) => [(t += m.seconds), 100 * m.testError] as [number, number]) };
      }),
    })),
  });
  const finalDots = dotChart({
    title: 'Final-epoch test error per seed',
    subtitle: 'dot: one seed; tick: mean; bar: 95 % t-interval of the mean (none for one seed)',
    xLabel: 'test error after the last epoch (%)',
    groups: s.groups.map((g) => ({
      name: nLabel(g),
      values: g.perSeed.map((p) => ({ member: `seed ${p.seed}`, x: 100 * p.finalTestError })),
      centre: g.finalTestError.mean == null ? null : 100 * g.finalTestError.mean,
      interval: g.finalTestError.ci95 ? [100 * g.finalTestError.ci95.low, 100 * g.finalTestError.ci95.high] : null,
    })),
  });
  const files: string[] = [];
  for (const [name, chart] of [['learning-curves', curves], ['final-error', finalDots], ['time-to-accuracy', tta]] as const) {
    const w = await writeChart(path.join(out, name), chart);
    files.push(w.svg, w.png);
  }

  const vers = versions();
  const mach = machine();
  const results = {
    kind: meta.kind,
    title,
    command: meta.command,
    backend: meta.backend,
    startedAt: meta.startedAt.toISOString(),
    seconds: meta.seconds,
    machine: mach,
    versions: vers,
    ...(meta.spec ? { spec: meta.spec } : {}),
    units: 'error rates and their differences are fractions (0.0435 = 4.35 %; 0.0035 = 0.35 points)',
    headline: 'final-epoch test error',
    band: BAND,
    pairRule: s.pairRule,
    varyingKeys: s.varyingKeys,
    groups: s.groups,
    paired: s.paired,
    runs: records.map((r) => ({
      id: r.id,
      group: r.group,
      seed: r.seed,
      status: r.status,
      error: r.error ?? null,
      config: r.config,
      dir: path.relative(out, r.dir) || '.',
      summary: r.summary ? { ...r.summary, out: r.summary.out == null ? null : path.relative(out, r.summary.out) } : null,
    })),
  };
  const resultsFile = path.join(out, 'results.json');
  await writeFileAtomic(resultsFile, JSON.stringify(results, null, 2));

  const failed = failedLines(s);
  const md = [
    `# ${title}`,
    '',
    dataLine(records) ? `${dataLine(records)}.` : 'No run finished.',
    '',
    seedsLine(s, meta.kind),
    '',
    ...sharedLine(s).flatMap((l) => [l, '']),
    `Headline: the test error after the last epoch, mean ± sample sd over the seeds (min–max and the 95 % t-interval of the mean beside it). ` +
      'The best epoch is shown for reference only: picking it on the test set flatters.',
    '',
    markdownTable(seedRows(s)),
    '',
    ...(s.paired.length
      ? [
          '## Paired differences',
          '',
          `Final-epoch test error, a − b on the seeds both have (${s.pairRule}); positive means a has the higher error. ` +
            'Mean ± sd of the per-seed differences, the 95 % t-interval of the mean difference, and n.',
          '',
          markdownTable([
            ['a − b', ...(s.kind === 'sweep' ? ['other keys'] : []), 'mean ± sd (points)', '95 % CI (points)', 'n', 'seeds', '95 % CI contains 0', 'not paired'],
            ...s.paired.map((p) => [
              p.label,
              ...(s.kind === 'sweep' ? [p.context || '—'] : []),
              p.mean == null ? '—' : p.sd == null ? `${signed(p.mean)} (one seed)` : `${signed(p.mean)} ± ${p2(p.sd)}`,
              p.ci95 ? `${signed(p.ci95.low)} to ${signed(p.ci95.high)}` : '—',
              String(p.n),
              p.seeds.join(', ') || '—',
              p.ci95 ? (p.ci95.low > 0 || p.ci95.high < 0 ? 'no' : 'yes: not told apart from seed noise') : '—',
              p.unpaired.map((u) => `seed ${u.seed} (${u.reason})`).join(', ') || '—',
            ]),
          ]),
          '',
        ]
      : []),
    ...(failed.length ? ['## Failed runs', '', 'Counted in the table, not in the statistics:', '', ...failed.map((f) => `- ${f}`), ''] : []),
    `![test error per epoch](learning-curves.png)`,
    '',
    `Test error per epoch: ${subtitle}.`,
    '',
    '![final-epoch test error per seed](final-error.png)',
    '',
    '![time to accuracy](time-to-accuracy.png)',
    '',
    '## Per epoch',
    '',
    `Test error over the seeds that reached the epoch; training time cumulative, evaluation excluded.`,
    '',
    markdownTable([
      [meta.kind === 'compare' ? 'method' : 'configuration', 'epoch', 'n', 'test error (mean ± sd)', 'min–max', 'training s (mean)'],
      ...s.groups.flatMap((g) =>
        g.curve.map((c) => {
          const st = { n: c.n, mean: c.mean, sd: c.sd, min: c.min, max: c.max, ci95: null };
          return [g.group, String(c.epoch), String(c.n), meanSd(st), range(st), secs(c.seconds)];
        }),
      ),
    ]),
    '',
    '## Every seed',
    '',
    markdownTable([
      [meta.kind === 'compare' ? 'method' : 'configuration', 'seed', 'status', 'final test error', 'best test error (epoch)', 'epochs', 's / epoch', 'run'],
      ...s.groups.flatMap((g) =>
        (byGroup.get(g.group) ?? [])
          .slice()
          .sort((a, b) => a.seed - b.seed)
          .map((r) => {
            const p = g.perSeed.find((x) => x.seed === r.seed);
            const f = g.failed.find((x) => x.seed === r.seed);
            return [
              g.group,
              String(r.seed),
              p ? (p.interrupted ? 'interrupted' : 'done') : f ? 'failed (see above)' : '—',
              p ? `${p2(p.finalTestError)}%` : '—',
              p ? `${p2(p.bestTestError)}% (${p.bestEpoch})` : '—',
              p ? String(p.epochs) : '—',
              p ? secs(p.secondsPerEpoch) : '—',
              path.relative(out, r.dir) || '.',
            ];
          }),
      ),
    ]),
    '',
    '## How this was produced',
    '',
    '```',
    meta.command,
    '```',
    '',
    `Started ${meta.startedAt.toISOString()}, took ${meta.seconds.toFixed(0)} s. Backend: ${meta.backend}. Machine: ${mach.cpus} × ${mach.cpu}, ${mach.memoryGB} GiB.`,
    '',
    Object.entries(vers).map(([k, v]) => `- ${k} ${v}`).join('\n'),
    '',
    '`results.json` has every number above, every seed’s per-epoch curve and the failed runs’ errors (error rates as fractions).',
    '',
  ].join('\n');
  const mdFile = path.join(out, 'report.md');
  await writeFileAtomic(mdFile, md);
  return [mdFile, resultsFile, ...files];
}
