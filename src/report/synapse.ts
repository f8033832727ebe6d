/**
 * Files of the `synapse` sweeps: CSV tables and charts (SVG + PNG) of Δw/A, the learning window
 * and, for the minimal integral-feedback loop, learning quality against dissipation.
 */
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { idealWindow, type AmplitudeSweep, type ParameterSweep, type SynapseSetup } from '../synapse/sweep.ts';
import { toCsv } from './csv.ts';
import { lineChart, writeChart, type Series } from './plot.ts';

const KERNEL_LABEL = { ecoli: 'E. coli', minimal: 'minimal integral-feedback', fir: 'FIR (MNIST taps)' } as const;
const fmt = (v: number) => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** One line naming the set-up, for chart titles. */
export function describeSetup(s: SynapseSetup, omit: { tauK?: boolean; damping?: boolean } = {}): string {
  const k = [
    `${KERNEL_LABEL[s.kernel]} kernel`,
    omit.tauK ? '' : `τ_K ${fmt(s.tauK)}`,
    s.kernel === 'minimal' && !omit.damping ? `ζ ${fmt(s.damping)}` : '',
    s.kernel === 'ecoli' && s.offsetGain ? `I ${fmt(s.offsetGain)}` : '',
  ].filter(Boolean);
  return `${k.join(', ')}; ${s.protocol} τ_f ${fmt(s.tauFast)} / τ_s ${fmt(s.tauSlow)}; ${s.g} θ ${fmt(s.theta)}`;
}

/** The ideal dead-zone response Δw/A: ±1 for theta·tau_fast < A < theta·tau_slow (sign: which ramp is fast), else 0. */
function idealCurve(s: SynapseSetup, lo: number, hi: number): Series | undefined {
  if (s.g !== 'deadzone' || s.protocol === 'triangle') return undefined;
  const { aMin: a, aMax: b, sign } = idealWindow(s);
  const pts: [number, number][] = [[lo, a < lo && lo < b ? sign : 0]];
  if (a > lo && a < hi) pts.push([a, 0], [a, sign]);
  if (b > lo && b < hi) pts.push([b, sign], [b, 0]);
  pts.push([hi, a < hi && b > hi ? sign : 0]);
  return { name: 'ideal dead zone (no kernel transients)', points: pts };
}

const Y_LABEL = 'Δw/A per cycle (1 = contrastive update)';
const A_LABEL = 'amplitude A = |s_c − s_f| (signal units)';

/** Writes sweep-amplitude.csv and dw-per-amplitude.{svg,png}; returns the paths. */
export async function writeAmplitudeSweep(dir: string, s: SynapseSetup, r: AmplitudeSweep): Promise<string[]> {
  const csv = path.join(dir, 'sweep-amplitude.csv');
  await writeFileAtomic(csv, toCsv(['amplitude', 'dw', 'dw_per_amplitude'], r.amplitudes.map((a, i) => [a, r.dw[i]!, r.dwPerAmplitude[i]!])));
  const series: Series[] = [{ name: 'Δw/A (simulated)', points: r.amplitudes.map((a, i) => [a, r.dwPerAmplitude[i]!]) }];
  const ideal = idealCurve(s, r.amplitudes[0]!, r.amplitudes[r.amplitudes.length - 1]!);
  if (ideal) series.push(ideal);
  const w = r.window;
  const chart = lineChart({
    title: 'Weight change per cycle vs amplitude',
    subtitle: describeSetup(s) + (w.ratio ? `; window ${fmt(w.aMin!)}–${fmt(w.aMax!)} (×${w.ratio.toFixed(2)})` : ''),
    xLabel: A_LABEL,
    yLabel: Y_LABEL,
    series,
    width: 640,
  });
  const files = await writeChart(path.join(dir, 'dw-per-amplitude'), chart);
  return [csv, files.svg, files.png];
}

const VALUE_LABEL = { 'tau-fast-over-tau-k': 'τ_f / τ_K (fast ramp time over kernel memory time)', damping: 'damping ratio ζ of the (u, v) loop' } as const;

/** Indices of at most k values spread over 0..n-1. */
function spread(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  return [...new Set(Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1))))];
}

/** Writes the parameter sweep's CSVs and charts; returns the paths. */
export async function writeParameterSweep(dir: string, s: SynapseSetup, r: ParameterSweep): Promise<string[]> {
  const files: string[] = [];
  const key = r.key;
  const sym = key === 'damping' ? 'ζ' : 'τ_f/τ_K';
  const hasDiss = r.rows.some((x) => x.dissipationPerCycle !== undefined);
  const table = path.join(dir, `sweep-${key}.csv`);
  await writeFileAtomic(
    table,
    toCsv(
      [key, ...(key === 'damping' ? [] : ['damping']), 'tau_k', `dw_per_amplitude_at_A${s.amplitude}`, 'peak_dw_per_amplitude', 'a_min', 'a_max', 'window_ratio', 'dissipation_per_cycle_kT', 'dissipation_power_kT_per_time'],
      r.rows.map((x) => [x.value, ...(key === 'damping' ? [] : [s.kernel === 'minimal' ? x.damping : null]), x.tauK, x.dwPerAmplitude, x.window.peak, x.window.aMin, x.window.aMax, x.window.ratio, x.dissipationPerCycle, x.dissipationPower]),
    ),
  );
  const curves = path.join(dir, `sweep-${key}-curves.csv`);
  await writeFileAtomic(curves, toCsv([key, 'amplitude', 'dw_per_amplitude'], r.rows.flatMap((x) => r.amplitudes.map((a, i) => [x.value, a, x.curve[i]!]))));
  files.push(table, curves);

  const omit = { tauK: key === 'tau-fast-over-tau-k', damping: key === 'damping' };
  const what = describeSetup(s, omit);
  const logX = key === 'tau-fast-over-tau-k' || r.rows.every((x) => x.value > 0);
  const chosen = spread(r.rows.length, 6).map((i) => r.rows[i]!);
  const dw = lineChart({
    title: `Weight change per cycle vs amplitude, for several ${sym}`,
    subtitle: what,
    xLabel: A_LABEL,
    yLabel: Y_LABEL,
    series: chosen.map((x) => ({ name: `${sym} = ${fmt(x.value)}`, points: r.amplitudes.map((a, i) => [a, x.curve[i]!]) })),
    width: 640,
  });
  const slowFast = s.tauSlow / s.tauFast;
  const win = lineChart({
    title: `Learning window vs ${sym}`,
    subtitle: what,
    xLabel: VALUE_LABEL[key],
    yLabel: `A_max / A_min (Δw/A ≥ ${r.rows[0]?.window.level ?? 0.5})`,
    series: [
      { name: 'learning window A_max/A_min', points: r.rows.filter((x) => x.window.ratio !== null).map((x) => [x.value, x.window.ratio!]) },
      { name: 'τ_s/τ_f (ideal bound)', points: r.rows.map((x) => [x.value, slowFast]) },
    ],
    logX,
    width: 640,
  });
  const qualitySeries = (xOf: (row: ParameterSweep['rows'][number]) => number | undefined): Series[] => [
    { name: `Δw/A at A = ${fmt(s.amplitude)}`, points: r.rows.map((x) => [xOf(x) ?? NaN, x.dwPerAmplitude]) },
    { name: 'peak Δw/A over A', points: r.rows.map((x) => [xOf(x) ?? NaN, x.window.peak]) },
    { name: 'window ratio ÷ (τ_s/τ_f)', points: r.rows.map((x) => [xOf(x) ?? NaN, (x.window.ratio ?? NaN) / slowFast]) },
  ];
  const quality = lineChart({
    title: `Learning quality vs ${sym}`,
    subtitle: what,
    xLabel: VALUE_LABEL[key],
    yLabel: 'learning quality (1 = ideal)',
    series: qualitySeries((x) => x.value),
    logX,
    width: 640,
  });
  for (const [name, chart] of [
    ['dw-per-amplitude', dw],
    ['window', win],
    ['quality', quality],
  ] as const) {
    const f = await writeChart(path.join(dir, name), chart);
    files.push(f.svg, f.png);
  }
  if (hasDiss) {
    const diss = lineChart({
      title: `Learning quality vs dissipation of the feedback loop (${sym} swept)`,
      subtitle: what,
      xLabel: 'heat dissipated by the (u, v) feedback loop per cycle (k_B T)',
      yLabel: 'learning quality (1 = ideal)',
      series: qualitySeries((x) => x.dissipationPerCycle),
      logX: true,
      width: 640,
    });
    const f = await writeChart(path.join(dir, 'quality-vs-dissipation'), diss);
    files.push(f.svg, f.png);
  }
  return files;
}
