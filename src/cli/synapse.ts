/**
 * `tfjs-tcl synapse`: one integral-feedback synapse under a nudging protocol (Δw over one cycle
 * after adaptation), or a sweep over amplitudes / tau_f/tau_K / damping with CSV and charts.
 */
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
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
  solver: 'ode' | 'convolution';
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
    .addOption(new Option('--kernel <k>', 'memory kernel: ecoli (3-variable z-chain) | minimal (u, v integral feedback) | fir (MNIST taps)').choices([...KERNEL_NAMES]).default('ecoli'))
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
    .addOption(new Option('--solver <s>', 'one synapse: ode (step the kernel state) | convolution (direct numerical convolution)').choices(['ode', 'convolution']).default('ode'))
    .option('--sweep <spec>', `sweep: amplitude=LO:HI:N | tau-fast-over-tau-k=LO:HI:N | damping=LO:HI:N (minimal kernel); ':log' or ':lin' appended sets the spacing`, parseSweep)
    .option('--amplitudes <range>', 'amplitudes LO:HI:N of the learning window in tau-fast-over-tau-k / damping sweeps (default theta*tau_f/4:2*theta*tau_s:100:log)', (v: string) => parseRange('--amplitudes', v, false))
    .option('--window-level <q>', 'learning window: amplitudes with Δw/A >= q', posArg('--window-level'), 0.5)
    .option('--out <dir>', 'directory for sweep files (default runs/synapse-<timestamp>/)');
  addSeedOption(cmd);
  addGlobalOptions(cmd).action(async (opts: SynapseOpts) => {
    if (opts.kernel !== 'ecoli' && opts.offsetGain !== 0) throw new TclError(`--offset-gain applies to the ecoli kernel only (got --kernel ${opts.kernel})`);
    if (opts.kernel !== 'minimal' && cmd.getOptionValueSource('damping') === 'cli') throw new TclError(`--damping applies to the minimal kernel only (got --kernel ${opts.kernel})`);
    const backend = await backendFrom(opts);
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
    };
    if (opts.sweep) return runSweep(setup, opts, backend);

    const t0 = performance.now();
    const dt = opts.dt ?? 0.001;
    if (dt > setupPeriod(setup) / 4) throw new TclError(`--dt ${dt} is too coarse for a cycle of ${setupPeriod(setup)} time units`);
    const r = runSynapse(setup, { dt, cycles: opts.cycles, adaptCycles: opts.adaptCycles, method: opts.solver, seed: opts.seed });
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
      dissipation: r.dissipation
        ? { feedbackPower: r.dissipation.power, feedbackPerCycle: r.dissipation.perCycle, drivenHeatPerCycle: r.drivenHeatPerCycle, units: 'k_B T (feedback), energy per signal unit^2 (driven)' }
        : undefined,
      setup,
      solver: setup.kernel === 'fir' ? 'delay-line' : opts.solver,
      dt: r.dt,
      stepsPerCycle: r.stepsPerCycle,
      adaptCycles: opts.adaptCycles,
      cycles: opts.cycles,
      seconds,
    };
    emit(opts, result, () => {
      const lines = [
        `synapse (backend ${backend}; one synapse in plain JS, ${result.solver}, dt ${fx(r.dt, 4)}, ${opts.adaptCycles} adaptation + ${opts.cycles} measured cycle${opts.cycles === 1 ? '' : 's'})`,
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
  const k = s.kernel === 'ecoli' ? `ecoli kernel tau_K ${tauK}, I ${s.offsetGain}` : s.kernel === 'minimal' ? `minimal kernel tau_K ${tauK}, damping ${damping}` : `fir kernel, taps ${tauK} apart`;
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
