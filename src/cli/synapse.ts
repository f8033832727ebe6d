/**
 * `tfjs-tcl synapse`: one integral-feedback synapse under a nudging protocol (Δw over one cycle
 * after adaptation, or in §3b's periodic steady state), a sweep over amplitudes / tau_f/tau_K /
 * damping with CSV and charts, or one of the paper's figures (`--figure`, DESIGN.md §3b).
 */
import path from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  dissipationFigure,
  ESA_LIGAND,
  ESA_SWITCH_RATE,
  FIGURE_NAMES,
  learningRangeFigure,
  offsetFigure,
  timescaleFigure,
  type FigureName,
  type FigureProgress,
  type SynapseSolver,
  amplitudeSweep,
  KERNEL_NAMES,
  NONLINEARITY_NAMES,
  parameterSweep,
  regime,
  REFERENCE_SETUP,
  runSynapse,
  setupPeriod,
  SIGNAL_PROTOCOL_NAMES,
  sweepValues,
  SWEEP_KEYS,
  type SweepKey,
  type SweepRange,
  type SynapseSetup,
  updateSign,
} from '../synapse/index.ts';
import { addGlobalOptions, addSeedOption, backendFrom, emit, info, intArg, numArg, TclError } from './common.ts';

function gammaArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0 && n <= 1)) throw new InvalidArgumentError(`--gamma expects a number in (0, 1], got '${v}'`);
  return n;
}

function posArg(flag: string): (v: string) => number {
  const num = numArg(flag);
  return (v: string) => {
    const n = num(v);
    if (!(n > 0)) throw new InvalidArgumentError(`${flag} expects a number > 0, got '${v}'`);
    return n;
  };
}

function nonNegArg(flag: string): (v: string) => number {
  const num = numArg(flag);
  return (v: string) => {
    const n = num(v);
    if (n < 0) throw new InvalidArgumentError(`${flag} expects a number >= 0, got '${v}'`);
    return n;
  };
}

/** `LO:HI:N[:log|:lin]`. */
function parseRange(flag: string, text: string, defaultLog: boolean): SweepRange {
  const parts = text.split(':');
  const bad = () => new InvalidArgumentError(`${flag} expects LO:HI:N[:log|:lin] with LO < HI and N >= 2, got '${text}'`);
  if (parts.length < 3 || parts.length > 4) throw bad();
  const [lo, hi, n] = parts.slice(0, 3).map(Number) as [number, number, number];
  const spacing = parts[3];
  if (spacing !== undefined && spacing !== 'log' && spacing !== 'lin') throw bad();
  const log = spacing ? spacing === 'log' : defaultLog;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi) || !Number.isInteger(n) || n < 2) throw bad();
  if (log && !(lo > 0)) throw new InvalidArgumentError(`${flag}: a log-spaced range needs LO > 0, got '${text}'`);
  return { lo, hi, n, log };
}

function parseSweep(v: string): { key: SweepKey; range: SweepRange } {
  const eq = v.indexOf('=');
  const key = v.slice(0, eq) as SweepKey;
  if (eq < 0 || !SWEEP_KEYS.includes(key)) throw new InvalidArgumentError(`--sweep expects KEY=LO:HI:N with KEY one of ${SWEEP_KEYS.join(', ')}, got '${v}'`);
  const range = parseRange('--sweep', v.slice(eq + 1), key !== 'amplitude');
  if (key !== 'amplitude' && !(range.lo > 0)) throw new InvalidArgumentError(`--sweep ${key} needs values > 0, got '${v}'`);
  return { key, range };
}

const fx = (v: number | null | undefined, d = 3) => (v == null || !Number.isFinite(v) ? '—' : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(d));

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

interface SynapseOpts {
  kernel: SynapseSetup['kernel'];
  tauK: number;
  damping: number;
  offsetGain: number;
  tauFast: number;
  tauSlow: number;
  theta: number;
  amplitude: number;
  offset: number;
  g: SynapseSetup['g'];
  sharpness: number;
  protocol: SynapseSetup['protocol'];
  alpha: number;
  cycles: number;
  adaptCycles: number;
  dt?: number;
  solver?: SynapseSolver;
  gamma: number;
  switchRate: number;
  ligand: number;
  figure?: FigureName;
  sweep?: { key: SweepKey; range: SweepRange };
  amplitudes?: SweepRange;
  windowLevel: number;
  out?: string;
  seed: number;
  backend: string;
  json: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('synapse')
    .description('one integral-feedback synapse: Δw over one nudging cycle after adaptation, or sweeps of it (learning window, dissipation)')
    .addOption(new Option('--kernel <k>', 'memory kernel: ecoli (3-variable z-chain) | minimal (u, v integral feedback) | fir (MNIST taps) | esa (Markov ladder, E. coli energy-speed-accuracy model)').choices([...KERNEL_NAMES]).default('ecoli'))
    .option('--gamma <g>', 'esa kernel: gamma in (0, 1], how far the ladder breaks detailed balance (1 = equilibrium; smaller = more dissipation)', gammaArg, 0.01)
    .option('--switch-rate <R>', 'esa kernel: rate scale R of the active/inactive switching (chain time units)', posArg('--switch-rate'), ESA_SWITCH_RATE)
    .option('--ligand <s>', 'esa kernel: ligand step of the step response the kernel is taken from (µM)', posArg('--ligand'), ESA_LIGAND)
    .option('--tau-k <t>', 'kernel memory time tau_K (time units; ecoli 1/B, minimal natural time, fir tap spacing)', posArg('--tau-k'), REFERENCE_SETUP.tauK)
    .option('--damping <zeta>', 'minimal kernel: damping ratio of the (u, v) loop (1 = critical)', posArg('--damping'), 1)
    .option('--offset-gain <I>', 'ecoli kernel: offset gain I = int K (0 = perfect adaptation)', nonNegArg('--offset-gain'), 0)
    .option('--tau-fast <t>', 'fast ramp duration tau_f (time units)', posArg('--tau-fast'), REFERENCE_SETUP.tauFast)
    .option('--tau-slow <t>', 'slow ramp duration tau_s (time units)', posArg('--tau-slow'), REFERENCE_SETUP.tauSlow)
    .addOption(new Option('--theta <th>', 'dead-zone threshold theta (signal units per time unit)').argParser(nonNegArg('--theta')).default(REFERENCE_SETUP.theta, '100/9'))
    .option('--amplitude <A>', 'A = s_c - s_f (signal units)', numArg('--amplitude'), REFERENCE_SETUP.amplitude)
    .option('--offset <s>', 'baseline s_f, the free value (signal units)', numArg('--offset'), 0)
    .addOption(new Option('--g <g>', 'nonlinearity: deadzone | linear | smooth (Hill switch u x^n/(1+x^n), x = |u|/theta)').choices([...NONLINEARITY_NAMES]).default('deadzone'))
    .option('--sharpness <n>', 'Hill exponent n of --g smooth', posArg('--sharpness'), 6)
    .addOption(new Option('--protocol <p>', 'sawtooth (fast up, slow down) | reversed | triangle | random-sign (sawtooth, direction drawn per cycle) | centered (sawtooth from s_f - A to s_f + A: centered nudging; Δw/A is per swing 2A)').choices([...SIGNAL_PROTOCOL_NAMES]).default('sawtooth'))
    .option('--alpha <a>', 'learning rate alpha in dw/dt = alpha g(u)', numArg('--alpha'), 1)
    .option('--cycles <n>', 'measured cycles (Δw is reported per cycle)', intArg('--cycles', 1), 1)
    .option('--adapt-cycles <n>', 'cycles run before measuring (the synapse starts adapted to s_f)', intArg('--adapt-cycles', 0), 1)
    .option('--dt <dt>', 'time step (time units; default 0.001 for one synapse, 0.0025 for sweeps)', posArg('--dt'))
    .addOption(new Option('--solver <s>', 'one synapse: ode (step the kernel state; default) | convolution (direct numerical convolution; default for esa) | periodic (DESIGN §3b: periodic steady state by circular convolution over one period, grid --dt, default 1e-4)').choices(['ode', 'convolution', 'periodic']))
    .addOption(new Option('--figure <name>', "one of the paper's figures (DESIGN §3b), CSV + SVG/PNG: learning-range (Fig. 4C) | offset (Fig. 5C) | dissipation (Fig. 6B, ESA kernels over gamma) | timescale (Fig. 8)").choices([...FIGURE_NAMES]))
    .option('--sweep <spec>', `sweep: amplitude=LO:HI:N | tau-fast-over-tau-k=LO:HI:N | damping=LO:HI:N (minimal kernel); ':log' or ':lin' appended sets the spacing`, parseSweep)
    .option('--amplitudes <range>', 'amplitudes LO:HI:N of the learning window in tau-fast-over-tau-k / damping sweeps (default theta*tau_f/4:2*theta*tau_s:100:log)', (v: string) => parseRange('--amplitudes', v, false))
    .option('--window-level <q>', 'learning window: amplitudes with Δw/A >= q', posArg('--window-level'), 0.5)
    .option('--out <dir>', 'directory for sweep files (default runs/synapse-<timestamp>/)');
  addSeedOption(cmd);
  addGlobalOptions(cmd).action(async (opts: SynapseOpts) => {
    if (opts.kernel !== 'ecoli' && opts.offsetGain !== 0) throw new TclError(`--offset-gain applies to the ecoli kernel only (got --kernel ${opts.kernel})`);
    if (opts.kernel !== 'minimal' && cmd.getOptionValueSource('damping') === 'cli') throw new TclError(`--damping applies to the minimal kernel only (got --kernel ${opts.kernel})`);
    for (const flag of ['gamma', 'switchRate'] as const)
      if (opts.kernel !== 'esa' && !opts.figure && cmd.getOptionValueSource(flag) === 'cli') throw new TclError(`--${flag === 'gamma' ? 'gamma' : 'switch-rate'} applies to the esa kernel (or --figure dissipation) only (got --kernel ${opts.kernel})`);
    if (opts.kernel !== 'esa' && !opts.figure && cmd.getOptionValueSource('ligand') === 'cli') throw new TclError(`--ligand applies to the esa kernel (or --figure dissipation) only (got --kernel ${opts.kernel})`);
    if (opts.figure && opts.sweep) throw new TclError('--figure and --sweep are separate runs: give one of them');
    if (opts.figure) {
      // A figure runs §3b's own settings: only the output flags, the grid step and (dissipation) the ladder's R and ligand apply.
      const allowed = new Set(['figure', 'json', 'out', 'dt', 'backend', 'debug', ...(opts.figure === 'dissipation' ? ['switchRate', 'ligand'] : [])]);
      for (const o of cmd.options) {
        const key = o.attributeName();
        if (!allowed.has(key) && cmd.getOptionValueSource(key) === 'cli') throw new TclError(`--figure ${opts.figure} runs DESIGN §3b's fixed settings: ${o.long} does not apply to it`);
      }
    }
    if (opts.kernel === 'esa' && opts.solver === 'ode') throw new TclError('the esa kernel has no state to step: use --solver convolution (default) or periodic');
    if (opts.kernel === 'fir' && opts.solver === 'periodic') throw new TclError('--solver periodic takes the ecoli, minimal or esa kernel, not fir');
    if (opts.solver === 'periodic' && opts.protocol === 'random-sign') throw new TclError('--solver periodic needs a periodic protocol (sawtooth, reversed, triangle), not random-sign');
    const backend = await backendFrom(opts);
    if (opts.figure) return runFigure(opts.figure, opts, backend);
    const setup: SynapseSetup = {
      kernel: opts.kernel,
      tauK: opts.tauK,
      damping: opts.damping,
      offsetGain: opts.offsetGain,
      protocol: opts.protocol,
      tauFast: opts.tauFast,
      tauSlow: opts.tauSlow,
      amplitude: opts.amplitude,
      baseline: opts.offset,
      g: opts.g,
      theta: opts.theta,
      sharpness: opts.sharpness,
      alpha: opts.alpha,
      ...(opts.kernel === 'esa' ? { gamma: opts.gamma, switchRate: opts.switchRate, ligand: opts.ligand } : {}),
    };
    if (opts.sweep) return runSweep(setup, opts, backend);

    const t0 = performance.now();
    const solver: SynapseSolver = opts.solver ?? (setup.kernel === 'esa' ? 'convolution' : 'ode');
    const dt = opts.dt ?? (solver === 'periodic' ? 1e-4 : 0.001);
    if (dt > setupPeriod(setup) / 4) throw new TclError(`--dt ${dt} is too coarse for a cycle of ${setupPeriod(setup)} time units`);
    let r: ReturnType<typeof runSynapse>;
    try {
      r = runSynapse(setup, { dt, cycles: opts.cycles, adaptCycles: opts.adaptCycles, method: solver, seed: opts.seed });
    } catch (e) {
      if (e instanceof RangeError) throw new TclError(e.message);
      throw e;
    }
    const seconds = (performance.now() - t0) / 1000;
    const reg = setup.protocol === 'triangle' ? null : regime(setup);
    const result = {
      command: 'synapse',
      backend,
      dw: r.dw,
      dwPerAmplitude: r.dwPerAmplitude,
      dwPerCycle: r.dwPerCycle,
      signs: setup.protocol === 'random-sign' ? r.signs : undefined,
      regime: reg,
      uMin: r.uMin,
      uMax: r.uMax,
      passUp: r.passUp,
      passDown: r.passDown,
      // One meaning for every kernel that has one: the power the feedback loop dissipates at rest, k_B T per time unit of its own dynamics.
      dissipation: r.dissipation ? r.dissipation.power : r.markov ? r.markov.entropyProduction : undefined,
      dissipationDetails: r.dissipation
        ? { feedbackPower: r.dissipation.power, feedbackPerCycle: r.dissipation.perCycle, drivenHeatPerCycle: r.drivenHeatPerCycle, units: 'k_B T (feedback), energy per signal unit^2 (driven)' }
        : r.markov
          ? { entropyProduction: r.markov.entropyProduction, kernelArea: r.markov.area, kernelFirstMoment: r.markov.firstMoment, units: 'k_B per time unit of the Markov chain (5 chain units = 1 synapse time unit)' }
          : undefined,
      setup,
      solver: setup.kernel === 'fir' ? 'delay-line' : solver,
      dt: r.dt,
      stepsPerCycle: r.stepsPerCycle,
      adaptCycles: opts.adaptCycles,
      cycles: opts.cycles,
      seconds,
    };
    emit(opts, result, () => {
      const lines = [
        solver === 'periodic'
          ? `synapse (backend ${backend}; one synapse in plain JS, periodic steady state: circular convolution over one period, dt ${fx(r.dt, 5)}, ${r.stepsPerCycle} grid points)`
          : `synapse (backend ${backend}; one synapse in plain JS, ${result.solver}, dt ${fx(r.dt, 4)}, ${opts.adaptCycles} adaptation + ${opts.cycles} measured cycle${opts.cycles === 1 ? '' : 's'})`,
        `  ${describe(setup)}`,
        `Δw = ${fx(r.dw, 4)} per cycle, Δw/A = ${fx(r.dwPerAmplitude, 4)}   (contrastive update: Δw/A = 1)`,
        `u in [${fx(r.uMin, 2)}, ${fx(r.uMax, 2)}]; |u| >= theta during ${(100 * r.passUp).toFixed(1)}% of the up ramp, ${(100 * r.passDown).toFixed(1)}% of the down ramp`,
      ];
      if (setup.protocol === 'random-sign') lines.push(`cycle signs ${r.signs.join(' ')}; raw Δw per cycle ${r.dwPerCycle.map((v) => fx(v, 3)).join(' ')} (Δw above is sign-corrected)`);
      if (reg) {
        const fast = setup.protocol === 'reversed' ? 'slow up, fast down' : 'fast up, slow down';
        lines.push(
          reg === 'window'
            ? `regime: theta*tau_f < A < theta*tau_s — only the fast ramp passes the dead zone (${fast}): learning window`
            : reg === 'below'
              ? 'regime: A < theta*tau_f — neither ramp passes the dead zone: no update'
              : 'regime: A > theta*tau_s — both ramps pass the dead zone and cancel',
        );
      }
      if (r.markov)
        lines.push(
          `Markov ladder: entropy production σ = ${fx(r.markov.entropyProduction, 3)} k_B per chain time unit at rest; kernel area ${fx(r.markov.area, 4)} (imperfect adaptation), first moment ${fx(r.markov.firstMoment, 3)}`,
        );
      if (r.dissipation)
        lines.push(
          `feedback dissipation: ${fx(r.dissipation.power, 2)} k_B T per time unit (= 4/tau_v), ${fx(r.dissipation.perCycle, 1)} k_B T per cycle; driven heat ${fx(r.drivenHeatPerCycle, 2)} per cycle`,
        );
      return lines;
    });
  });
}

function describe(s: SynapseSetup, swept?: SweepKey): string {
  const tauK = swept === 'tau-fast-over-tau-k' ? 'swept' : s.tauK;
  const damping = swept === 'damping' ? 'swept' : s.damping;
  const k =
    s.kernel === 'ecoli'
      ? `ecoli kernel tau_K ${tauK}, I ${s.offsetGain}`
      : s.kernel === 'minimal'
        ? `minimal kernel tau_K ${tauK}, damping ${damping}`
        : s.kernel === 'esa'
          ? `esa kernel gamma ${s.gamma}, R ${s.switchRate}, step to ${s.ligand} µM`
          : `fir kernel, taps ${tauK} apart`;
  const g = s.g === 'linear' ? 'linear g' : `${s.g} theta ${fx(s.theta, 3)}${s.g === 'smooth' ? ` (n ${s.sharpness})` : ''}`;
  return `${k}; ${s.protocol} tau_f ${s.tauFast} / tau_s ${s.tauSlow}, A ${s.amplitude}, s_f ${s.baseline}; ${g}; alpha ${s.alpha}`;
}

/** Log-spaced from theta*tau_f/4 to 2*theta*tau_s (the ideal window and some of each side), 100 points. */
function defaultAmplitudes(s: SynapseSetup): SweepRange {
  const lo = (s.theta * Math.min(s.tauFast, s.tauSlow)) / 4;
  const hi = 2 * s.theta * Math.max(s.tauFast, s.tauSlow);
  return lo > 0 ? { lo, hi, n: 100, log: true } : { lo: 1, hi: 200, n: 100, log: true };
}

async function runSweep(setup: SynapseSetup, opts: SynapseOpts, backend: string): Promise<void> {
  const { key, range } = opts.sweep!;
  if (setup.protocol === 'random-sign' || setup.protocol === 'centered') throw new TclError(`--sweep needs a periodic protocol (sawtooth, reversed, triangle), not ${setup.protocol}`);
  if (key === 'damping' && setup.kernel !== 'minimal') throw new TclError('--sweep damping needs --kernel minimal');
  if (key !== 'amplitude' && setup.kernel === 'esa') throw new TclError(`--sweep ${key} does not apply to the esa kernel (it has no tau_K or damping): sweep gamma with --figure dissipation`);
  if (setup.kernel === 'esa' && setup.g === 'smooth') throw new TclError('sweeps of the esa kernel take --g deadzone or linear');
  const out = opts.out ?? path.join('runs', `synapse-${timestamp()}`);
  const dt = opts.dt ?? 0.0025;
  // The plotting stack (vega, resvg) is only loaded for sweeps.
  const report = await import('../report/synapse.ts');
  if (key === 'amplitude') {
    const amplitudes = sweepValues(range);
    const r = amplitudeSweep(setup, amplitudes, { dt, level: opts.windowLevel });
    const files = await report.writeAmplitudeSweep(out, setup, r);
    const w = r.window;
    const result = { command: 'synapse', backend, sweep: key, points: amplitudes.length, seconds: r.seconds, stepsPerCycle: r.stepsPerCycle, window: w, setup, files };
    emit(opts, result, [
      `synapse sweep amplitude (backend ${backend}): ${amplitudes.length} synapses in ${r.seconds.toFixed(2)} s (${r.stepsPerCycle} grid points per cycle)`,
      `  ${describe(setup)}`,
      w.ratio !== null
        ? `learning window (Δw/A >= ${w.level}): A_min ${fx(w.aMin, 2)}, A_max ${fx(w.aMax, 2)}, ratio ${fx(w.ratio, 2)} (tau_s/tau_f = ${fx(setup.tauSlow / setup.tauFast, 2)}); peak Δw/A ${fx(w.peak, 3)} at A ${fx(w.peakAmplitude, 1)}`
        : `learning window (Δw/A >= ${w.level}): empty (peak Δw/A ${fx(w.peak, 3)} at A ${fx(w.peakAmplitude, 1)})`,
      ...(updateSign(setup) < 0 ? ['(reversed protocol: the window and the peak are those of -Δw/A)'] : []),
      `files: ${files.join(', ')}`,
    ]);
    return;
  }
  const amplitudes = sweepValues(opts.amplitudes ?? defaultAmplitudes(setup));
  const values = sweepValues(range);
  info(`synapse sweep ${key}: ${values.length} values x ${amplitudes.length + 1} amplitudes ...`);
  const r = parameterSweep(setup, key, values, amplitudes, { dt, level: opts.windowLevel });
  const files = await report.writeParameterSweep(out, setup, r);
  const rows = r.rows.map(({ curve: _curve, ...row }) => row);
  const result = { command: 'synapse', backend, sweep: key, points: r.points, seconds: r.seconds, amplitudes: { lo: amplitudes[0], hi: amplitudes[amplitudes.length - 1], n: amplitudes.length }, rows, setup, files };
  const sym = key === 'damping' ? 'zeta' : 'tau_f/tau_K';
  const hasDiss = r.rows.some((x) => x.dissipationPerCycle !== undefined);
  emit(opts, result, () => [
    `synapse sweep ${key} (backend ${backend}): ${r.points} synapses in ${r.seconds.toFixed(2)} s`,
    `  ${describe(setup, key)}`,
    `  ${sym.padStart(11)}  ${'tau_K'.padStart(8)}  ${`Δw/A@${setup.amplitude}`.padStart(9)}  ${'peak'.padStart(6)}  ${'A_min'.padStart(7)}  ${'A_max'.padStart(7)}  ${'ratio'.padStart(6)}${hasDiss ? `  ${'kT/cycle'.padStart(9)}` : ''}`,
    ...r.rows.map(
      (x) =>
        `  ${fx(x.value, 3).padStart(11)}  ${fx(x.tauK, 4).padStart(8)}  ${fx(x.dwPerAmplitude, 3).padStart(9)}  ${fx(x.window.peak, 3).padStart(6)}  ${fx(x.window.aMin, 1).padStart(7)}  ${fx(x.window.aMax, 1).padStart(7)}  ${fx(x.window.ratio, 2).padStart(6)}${hasDiss ? `  ${fx(x.dissipationPerCycle, 1).padStart(9)}` : ''}`,
    ),
    `learning window = amplitudes with ${updateSign(setup) < 0 ? '-Δw/A (reversed protocol)' : 'Δw/A'} >= ${opts.windowLevel}; tau_s/tau_f = ${fx(setup.tauSlow / setup.tauFast, 2)}`,
    `files: ${files.join(', ')}`,
  ]);
}

/** A progress bar on stderr for the figure's grid points (silent when stderr is not a terminal, unless TFJS_TCL_PROGRESS is set). */
function figureBar(label: string, quiet: boolean): { onProgress: FigureProgress; stop: () => void } {
  if (quiet) return { onProgress: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} |{bar}| {value}/{total} points · {eta_formatted} left`, barsize: 24, hideCursor: true, stream: process.stderr, noTTYOutput: !!process.env.TFJS_TCL_PROGRESS, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

const REFERENCE_6B: Record<string, { sigma: number; lnOffset: number }> = {
  '0.1': { sigma: 1.76, lnOffset: -1.66 },
  '0.03': { sigma: 3.18, lnOffset: -2.85 },
  '0.01': { sigma: 4.36, lnOffset: -3.64 },
  '0.001': { sigma: 6.67, lnOffset: -4.36 },
};

async function runFigure(name: FigureName, opts: SynapseOpts, backend: string): Promise<void> {
  const out = opts.out ?? path.join('runs', `synapse-figure-${name}-${timestamp()}`);
  const report = await import('../report/synapse.ts');
  const bar = figureBar(`synapse --figure ${name}`, false);
  const dt = opts.dt;
  let f: import('../report/synapse.ts').FigureResult;
  try {
    if (name === 'learning-range') f = learningRangeFigure({ dt, onProgress: bar.onProgress });
    else if (name === 'offset') f = offsetFigure({ dt, onProgress: bar.onProgress });
    else if (name === 'dissipation') f = dissipationFigure({ dt, switchRate: opts.switchRate, ligand: opts.ligand, onProgress: bar.onProgress });
    else f = timescaleFigure({ dt, onProgress: bar.onProgress });
  } catch (e) {
    if (e instanceof RangeError) throw new TclError(e.message);
    throw e;
  } finally {
    bar.stop();
  }
  const files = await report.writeFigure(out, f);
  const lines: string[] = [`synapse --figure ${name} (backend ${backend}; plain JS, periodic steady state on a ${f.settings.dt} grid): ${f.rows.length} points in ${f.seconds.toFixed(1)} s`];
  if (f.figure === 'learning-range') {
    lines.push(
      `t1/tau_K >= 20: ln(A_max/A_min) − ln(t2/t1) = ${fx(f.onDiagonal.mean, 3)} ± ${fx(f.onDiagonal.sd, 3)} (mean ± sd, n = ${f.onDiagonal.n}; 0 = on the diagonal)`,
      `largest ln(A_max/A_min) reached: ${f.saturation.map((x) => `${fx(x.maxLnRange, 2)} at t1/tau_K ${fx(x.t1OverTauK, 0)}`).join(', ')}`,
    );
  } else if (f.figure === 'offset') {
    lines.push(`offset (intercept of Δw/A_max vs A/A_max), mean ± sd over t2 >= ${f.settings.headlineT2Min} (n each), against I <s> t1 / A_max:`);
    for (const x of f.intercepts) lines.push(`  t1/tau_K ${fx(x.t1OverTauK, 0).padStart(3)}: ${fx(x.mean, 4)} ± ${fx(x.sd, 4)} (n = ${x.n})   estimate ${fx(x.predicted, 4)}`);
    lines.push(`by t2: ${f.settings.t2s.map((t2) => `t2 ${t2}: ${f.rows.filter((r) => r.t2 === t2 && r.t1 === 1).map((r) => fx(r.intercept, 4)).join('')}`).join(', ')} (t1 = 1)`);
  } else if (f.figure === 'dissipation') {
    lines.push(`  ${'gamma'.padStart(8)}  ${'σ'.padStart(7)}  ${'area'.padStart(7)}  ${'offset'.padStart(8)}  ${'ln|off/<s>|'.padStart(11)}   (§3b: σ, ln|off/<s>|)`);
    for (const r of f.rows) {
      const ref = REFERENCE_6B[String(r.gamma)];
      lines.push(`  ${String(r.gamma).padStart(8)}  ${fx(r.dissipation, 3).padStart(7)}  ${fx(r.area, 4).padStart(7)}  ${fx(r.offset, 4).padStart(8)}  ${fx(r.lnOffset, 3).padStart(11)}${ref ? `   (${ref.sigma}, ${ref.lnOffset})` : ''}`);
    }
    lines.push(`ln|offset/<s>| ${f.monotone ? 'falls monotonically' : 'does NOT fall monotonically'} with σ (largest rise ${fx(f.maxRise, 3)}, resolution ${f.tolerance}); slope ${fx(f.initialSlope, 3)} per k_B at the low-σ end, ${fx(f.finalSlope, 5)} at the high-σ end (levelled off)`);
  } else {
    const pick = [2.2, 4.3, 8.4, 20.7, 49, 156].map((x) => f.rows.reduce((a, b) => (Math.abs(b.t1OverTauK - x) < Math.abs(a.t1OverTauK - x) ? b : a)));
    lines.push(`Δw/A at t1/tau_K: ${pick.map((r) => `${fx(r.t1OverTauK, 1)} → ${fx(r.dwPerAmplitude, 3)}`).join(', ')}`);
  }
  lines.push(`files: ${files.join(', ')}`);
  emit(opts, { command: 'synapse', backend, ...f, files }, lines);
}
