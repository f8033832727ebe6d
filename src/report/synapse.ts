/**
 * Files of the `synapse` sweeps: CSV tables and charts (SVG + PNG) of Δw/A, the learning window
 * and, for the minimal integral-feedback loop, learning quality against dissipation.
 */
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import type { DissipationFigure, LearningRangeFigure, OffsetFigure, TimescaleFigure } from '../synapse/figures.ts';
import { idealWindow, type AmplitudeSweep, type ParameterSweep, type SynapseSetup } from '../synapse/sweep.ts';

export type FigureResult = LearningRangeFigure | OffsetFigure | DissipationFigure | TimescaleFigure;
import { toCsv } from './csv.ts';
import { lineChart, writeChart, type Series } from './plot.ts';

const KERNEL_LABEL = { ecoli: 'E. coli', minimal: 'minimal integral-feedback', fir: 'FIR (MNIST taps)', esa: 'Markov-ladder (ESA)' } as const;
const fmt = (v: number) => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** One line naming the set-up, for chart titles. */
export function describeSetup(s: SynapseSetup, omit: { tauK?: boolean; damping?: boolean } = {}): string {
  const k = [
    `${KERNEL_LABEL[s.kernel]} kernel`,
    omit.tauK || s.kernel === 'esa' ? '' : `τ_K ${fmt(s.tauK)}`,
    s.kernel === 'minimal' && !omit.damping ? `ζ ${fmt(s.damping)}` : '',
    s.kernel === 'ecoli' && s.offsetGain ? `I ${fmt(s.offsetGain)}` : '',
    s.kernel === 'esa' ? `γ ${fmt(s.gamma ?? 0.01)}` : '',
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

// ---------------------------------------------------------------------------------------------
// The paper's figures (DESIGN.md §3b): CSV of every grid point, the figure as SVG + PNG.

/** Writes a figure's CSV and chart(s) under `dir`; returns the paths. */
export async function writeFigure(dir: string, f: FigureResult): Promise<string[]> {
  const files: string[] = [];
  const chart = async (name: string, c: ReturnType<typeof lineChart>) => {
    const w = await writeChart(path.join(dir, name), c);
    files.push(w.svg, w.png);
  };
  const csv = async (name: string, header: string[], rows: (number | null | undefined)[][]) => {
    const p = path.join(dir, name);
    await writeFileAtomic(p, toCsv(header, rows));
    files.push(p);
  };
  switch (f.figure) {
    case 'learning-range': {
      await csv('learning-range.csv', ['t1', 't2', 't1_over_tau_k', 'ln_t2_over_t1', 'a_min_over_a_max', 'ln_a_max_over_a_min', 'slope', 'intercept'], f.rows.map((r) => [r.t1, r.t2, r.t1OverTauK, r.lnT2OverT1, r.aMinOverAMax, r.lnRange, r.slope, r.intercept]));
      const groups = [...new Set(f.rows.map((r) => r.t1OverTauK))];
      const maxX = Math.max(...f.rows.map((r) => r.lnT2OverT1));
      await chart(
        'learning-range',
        lineChart({
          title: 'Learning range against the ideal window (Fig. 4C)',
          subtitle: `E. coli kernel τ_K ${fmt(f.settings.tauK)}, I = 0, <s> = 0, A_max ${fmt(f.settings.aMax)}, θ = A_max/t2; three-piece fit over ${f.settings.amplitudes} amplitudes`,
          xLabel: 'ln(t2/t1)',
          yLabel: 'ln(A_max/A_min)',
          series: [
            ...groups.map((g) => ({ name: `t1/τ_K = ${fmt(g)}`, points: f.rows.filter((r) => r.t1OverTauK === g).map((r) => [r.lnT2OverT1, r.lnRange] as [number, number]) })),
            { name: 'ideal: ln(A_max/A_min) = ln(t2/t1)', points: [[0, 0], [maxX, maxX]] },
          ],
          points: true,
          width: 600,
        }),
      );
      break;
    }
    case 'offset': {
      await csv('offset.csv', ['t1', 't2', 't1_over_tau_k', 'intercept', 'slope', 'a_min_over_a_max', 'predicted_I_s_t1_over_a_max'], f.rows.map((r) => [r.t1, r.t2, r.t1OverTauK, r.intercept, r.slope, r.aMinOverAMax, (f.settings.offsetGain * f.settings.mean * r.t1) / f.settings.aMax]));
      const st = f.settings;
      await chart(
        'offset',
        lineChart({
          title: 'Offset of the update from a leaky kernel and a background signal (Fig. 5C)',
          subtitle: `E. coli kernel τ_K ${fmt(st.tauK)}, I ${fmt(st.offsetGain)}, <s> ${fmt(st.mean)}, A_max ${fmt(st.aMax)}, θ = A_max/t2; intercepts outside (0, 0.5] dropped`,
          xLabel: 't1/τ_K',
          yLabel: 'offset: intercept of Δw/A_max vs A/A_max',
          series: [
            ...st.t2s.map((t2) => ({ name: `t2 = ${fmt(t2)}`, points: f.rows.filter((r) => r.t2 === t2 && r.intercept > 0 && r.intercept <= 0.5).map((r) => [r.t1OverTauK, r.intercept] as [number, number]) })),
            { name: 'I <s> t1 / A_max', points: f.intercepts.map((r) => [r.t1OverTauK, r.predicted] as [number, number]) },
          ],
          points: true,
          width: 600,
        }),
      );
      break;
    }
    case 'dissipation': {
      await csv('dissipation.csv', ['gamma', 'entropy_production', 'kernel_area', 'theta', 'a_min_over_a_max', 'slope', 'offset', 'ln_abs_offset_over_s'], f.rows.map((r) => [r.gamma, r.dissipation, r.area, r.theta, r.aMinOverAMax, r.slope, r.offset, r.lnOffset]));
      const st = f.settings;
      await chart(
        'dissipation',
        lineChart({
          title: 'Offset against dissipation, Markov-ladder kernels (Fig. 6B)',
          subtitle: `ESA ladder R ${fmt(st.switchRate)}, step to ${fmt(st.ligand)} µM; sawtooth t1 ${fmt(st.t1)} / t2 ${fmt(st.t2)}, <s> ${fmt(st.mean)}, A_max ${fmt(st.aMax)}`,
          xLabel: 'entropy production σ at rest (k_B per chain time unit)',
          yLabel: 'ln |offset / <s>|',
          series: [{ name: 'ESA kernels over γ', points: f.rows.map((r) => [r.dissipation, r.lnOffset] as [number, number]) }],
          points: true,
          width: 600,
        }),
      );
      break;
    }
    case 'timescale': {
      await csv('timescale.csv', ['t1', 't1_over_tau_k', 'theta', 'dw_per_amplitude'], f.rows.map((r) => [r.t1, r.t1OverTauK, r.theta, r.dwPerAmplitude]));
      const st = f.settings;
      await chart(
        'timescale',
        lineChart({
          title: 'Update against the fast ramp in kernel memory times (Fig. 8)',
          subtitle: `E. coli kernel τ_K ${fmt(st.tauK)}, I = 0; A ${fmt(st.amplitude)} around 0, period ${fmt(st.period)}; θ halfway between the two ramps' |u|`,
          xLabel: 't1/τ_K',
          yLabel: 'Δw/A per period (1 = contrastive update)',
          series: [{ name: 'Δw/A', points: f.rows.map((r) => [r.t1OverTauK, r.dwPerAmplitude] as [number, number]) }],
          logX: true,
          points: true,
          width: 600,
        }),
      );
      break;
    }
  }
  return files;
}
