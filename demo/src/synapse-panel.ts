/**
 * The Synapse tab: one integral-feedback synapse driven by a nudging protocol, recomputed as
 * the sliders move with the same functions as `tfjs-tcl synapse` (src/synapse: `runSynapse` for
 * one synapse in time, `amplitudeSweep` for the learning window, on a `SynapseSetup`): s(t),
 * u(t) = (K * s)(t) against the dead zone |u| < θ, the accumulated Δw, and Δw/A over A.
 * The esa kernel (a Markov ladder, DESIGN.md §3b) has a γ slider and shows its entropy production σ.
 */
import { synapse } from '../../src/browser.ts';
import { decimate, formatNumber, renderChart } from './plot.ts';

type Setup = synapse.SynapseSetup;

/** DESIGN.md §3's reference synapse (E. coli kernel, A = 50, tau_f = 1, tau_s = 9, tau_K = 0.05, theta = 100/9): Δw/A ≈ 0.95. */
export const REFERENCE: Setup = synapse.REFERENCE_SETUP;

interface SliderSpec {
  key: 'amplitude' | 'tauFast' | 'tauSlow' | 'tauK' | 'theta' | 'gamma';
  label: string;
  unit: string;
  lo: number;
  hi: number;
}

const SLIDERS: SliderSpec[] = [
  { key: 'amplitude', label: 'amplitude A = |s_c − s_f|', unit: 'signal units', lo: 1, hi: 1000 },
  { key: 'tauFast', label: 'τ_fast (fast ramp)', unit: 'time units', lo: 0.1, hi: 10 },
  { key: 'tauSlow', label: 'τ_slow (slow ramp)', unit: 'time units', lo: 0.5, hi: 100 },
  { key: 'tauK', label: 'τ_K (kernel memory)', unit: 'time units', lo: 0.005, hi: 1 },
  { key: 'theta', label: 'θ (dead zone)', unit: 'signal units / time unit', lo: 0.1, hi: 1000 },
  { key: 'gamma', label: 'γ (esa kernel: 1 = detailed balance)', unit: 'smaller = more dissipation', lo: 1e-5, hi: 1 },
];

/** γ of the esa kernel when none is set (DESIGN.md §3b's γ = 0.01: σ ≈ 4.36). */
const DEFAULT_GAMMA = 0.01;

/** Slider positions are log10 of the value, 1,000 steps over the range. */
const toSlider = (s: SliderSpec, v: number) => String(Math.round((1000 * Math.log(v / s.lo)) / Math.log(s.hi / s.lo)));
const fromSlider = (s: SliderSpec, x: string) => Number((s.lo * Math.pow(s.hi / s.lo, Number(x) / 1000)).toPrecision(3));

/** One cycle after one cycle of adaptation (the synapse starts adapted to s_f), as `tfjs-tcl synapse` runs it. */
export function simulate(p: Setup): synapse.SynapseRun {
  return synapse.runSynapse(p, { adaptCycles: 1, cycles: 1, record: true });
}

/** Δw/A at `n` log-spaced amplitudes around the ideal window [θ τ_fast, θ τ_slow] (periodic steady state). */
export function windowCurve(p: Setup, n = 56): synapse.AmplitudeSweep {
  const { aMin, aMax } = synapse.idealWindow(p);
  const lo = Math.min(aMin / 8, p.amplitude / 2);
  const hi = Math.max(aMax * 8, p.amplitude * 2);
  const amplitudes = Array.from({ length: n }, (_, i) => lo * Math.pow(hi / lo, i / (n - 1)));
  // Sweeps take periodic protocols; the random-sign protocol's update is the sawtooth's (divided by its sign).
  return synapse.amplitudeSweep(p.protocol === 'random-sign' ? { ...p, protocol: 'sawtooth' } : p, amplitudes);
}

const fmt = (v: number) => formatNumber(v);

export function mountSynapsePanel(root: HTMLElement): { params: Setup; update: () => void } {
  const params: Setup = { ...REFERENCE, gamma: DEFAULT_GAMMA };
  const controls = root.querySelector('#syn-controls') as HTMLElement;
  const svgS = root.querySelector('#syn-s') as SVGSVGElement;
  const svgU = root.querySelector('#syn-u') as SVGSVGElement;
  const svgW = root.querySelector('#syn-w') as SVGSVGElement;
  const svgWin = root.querySelector('#syn-window') as SVGSVGElement;
  const readout = root.querySelector('#syn-readout') as HTMLElement;
  const windowReadout = root.querySelector('#syn-window-readout') as HTMLElement;

  const outputs = new Map<string, HTMLOutputElement>();
  const inputs = new Map<string, HTMLInputElement>();
  for (const s of SLIDERS) {
    const row = document.createElement('label');
    row.className = 'slider';
    row.innerHTML = `<span class="name">${s.label}</span><output></output><input type="range" min="0" max="1000" step="1" id="syn-${s.key}" aria-label="${s.label}"><span class="unit">${s.unit}</span>`;
    const input = row.querySelector('input') as HTMLInputElement;
    input.value = toSlider(s, params[s.key] ?? DEFAULT_GAMMA);
    input.addEventListener('input', () => {
      params[s.key] = fromSlider(s, input.value);
      schedule();
    });
    outputs.set(s.key, row.querySelector('output') as HTMLOutputElement);
    inputs.set(s.key, input);
    controls.appendChild(row);
  }
  const select = (id: string, label: string, options: readonly string[], value: string, onChange: (v: string) => void) => {
    const row = document.createElement('label');
    row.className = 'select';
    row.innerHTML = `<span class="name">${label}</span><select id="${id}">${options.map((o) => `<option value="${o}">${o}</option>`).join('')}</select>`;
    const sel = row.querySelector('select') as HTMLSelectElement;
    sel.value = value;
    sel.addEventListener('change', () => {
      onChange(sel.value);
      schedule();
    });
    controls.appendChild(row);
    return sel;
  };
  const protocolSel = select('syn-protocol', 'protocol', synapse.SIGNAL_PROTOCOL_NAMES, params.protocol, (v) => (params.protocol = v as Setup['protocol']));
  const gSel = select('syn-g', 'nonlinearity g(u)', synapse.NONLINEARITY_NAMES, params.g, (v) => (params.g = v as Setup['g']));
  const kernelSel = select('syn-kernel', 'memory kernel', synapse.KERNEL_NAMES, params.kernel, (v) => (params.kernel = v as Setup['kernel']));
  const reset = document.createElement('button');
  reset.textContent = 'Reset to the reference synapse';
  reset.id = 'syn-reset';
  reset.addEventListener('click', () => {
    Object.assign(params, REFERENCE, { gamma: DEFAULT_GAMMA });
    for (const s of SLIDERS) (inputs.get(s.key) as HTMLInputElement).value = toSlider(s, params[s.key] ?? DEFAULT_GAMMA);
    protocolSel.value = params.protocol;
    gSel.value = params.g;
    kernelSel.value = params.kernel;
    schedule();
  });
  controls.appendChild(reset);

  let frame = 0;
  const update = () => {
    frame = 0;
    const t0 = performance.now();
    for (const s of SLIDERS) (outputs.get(s.key) as HTMLOutputElement).textContent = fmt(params[s.key] ?? DEFAULT_GAMMA);
    const esa = params.kernel === 'esa';
    // τ_K does not apply to the ladder, γ only to it.
    (inputs.get('gamma') as HTMLInputElement).disabled = !esa;
    (inputs.get('tauK') as HTMLInputElement).disabled = esa;
    const r = simulate(params);
    const tr = r.trace as NonNullable<synapse.SimulationResult['trace']>;
    const period = r.stepsPerCycle * r.dt;
    const measured = { x0: period, x1: 2 * period, color: 'rgba(90,120,200,0.07)' };
    const s = decimate(tr.t, tr.s);
    renderChart(svgS, {
      width: 620, height: 170, title: `signal s(t) = ρ(pre)ρ(post) — ${params.protocol}`,
      x: { label: 't (time units)' }, y: { label: 's (signal units)' },
      series: [{ x: s.x, y: s.y, color: '#333', cls: 'syn-s' }], bands: [{ ...measured, label: 'measured cycle (after one cycle of adaptation)' }],
    });
    const u = decimate(tr.t, tr.u);
    const deadZone = params.g === 'linear' ? [] : [{ y0: -params.theta, y1: params.theta, color: 'rgba(200,60,60,0.13)', label: `dead zone |u| < θ = ${fmt(params.theta)}` }];
    renderChart(svgU, {
      width: 620, height: 190, title: 'synapse variable u(t) = (K ∗ s)(t) ≈ ds/dt',
      x: { label: 't (time units)' }, y: { label: 'u (signal units / time unit)' },
      series: [{ x: u.x, y: u.y, color: '#1f63c6', cls: 'syn-u' }], bands: [measured, ...deadZone],
    });
    const w = decimate(tr.t, tr.w);
    renderChart(svgW, {
      width: 620, height: 170, title: 'accumulated weight change w(t) = ∫ α g(u) dt (α = 1)',
      x: { label: 't (time units)' }, y: { label: 'w (signal units)' },
      series: [{ x: w.x, y: w.y, color: '#2a8a3a', cls: 'syn-w' }], bands: [measured],
      markers: [{ y: params.amplitude, color: '#999', label: 'A (ideal Δw per cycle)' }],
    });
    const ideal = synapse.idealWindow(params);
    const regime = {
      below: `A < θ·τ_fast = ${fmt(ideal.aMin)}: even the fast ramp stays inside the dead zone`,
      above: `A > θ·τ_slow = ${fmt(ideal.aMax)}: the slow ramp passes the dead zone too and cancels the update`,
      window: `θ·τ_fast < A < θ·τ_slow: only the fast ramp passes the dead zone — the contrastive update`,
    }[synapse.regime(params)];
    readout.innerHTML =
      `<b>Δw over the measured cycle = <span id="syn-dw">${fmt(r.dw)}</span></b> (signal units), ` +
      `Δw/A = <span id="syn-dwa">${r.dwPerAmplitude.toFixed(3)}</span> · |u| ≥ θ during ${(100 * r.passUp).toFixed(0)}% of the up ramp and ${(100 * r.passDown).toFixed(0)}% of the down ramp · ${regime}.`;
    if (r.markov)
      readout.innerHTML +=
        ` <br>Markov ladder (γ = ${fmt(params.gamma ?? DEFAULT_GAMMA)}): entropy production <b>σ = <span id="syn-sigma">${r.markov.entropyProduction.toFixed(3)}</span></b> k_B per chain time unit at rest` +
        ` · kernel area ${r.markov.area.toFixed(3)} (what imperfect adaptation leaves; the offset it gives shrinks as σ grows).`;
    root.dataset.dw = String(r.dw);
    root.dataset.sigma = r.markov ? String(r.markov.entropyProduction) : '';

    // The esa kernel's sweep is the period-based protocol, which takes the dead zone or a linear g.
    const wc = windowCurve(esa && params.g === 'smooth' ? { ...params, g: 'deadzone' } : params);
    const win = wc.window;
    renderChart(svgWin, {
      width: 460, height: 360, title: 'learning window: Δw/A over the amplitude A',
      x: { label: 'A = |s_c − s_f| (signal units, log scale)', log: true },
      y: { label: 'Δw / A (1 = ideal contrastive update)', min: Math.min(-0.1, ...wc.dwPerAmplitude) - 0.05, max: Math.max(1.1, ...wc.dwPerAmplitude) + 0.05 },
      series: [{ x: wc.amplitudes, y: wc.dwPerAmplitude, color: '#7a3db8', dots: true, cls: 'syn-window' }],
      bands: [{ x0: ideal.aMin, x1: ideal.aMax, color: 'rgba(40,160,70,0.12)', label: 'θτ_fast … θτ_slow' }],
      markers: [
        { x: params.amplitude, color: '#1f63c6', label: `A = ${fmt(params.amplitude)}` },
        { y: 0, color: '#888', dash: '2 2' },
      ],
    });
    // The window is measured on the contrastive update's sign: −Δw/A for the reversed sawtooth.
    const q = synapse.updateSign(params) < 0 ? '−Δw/A' : 'Δw/A';
    windowReadout.textContent =
      win.aMin != null && win.aMax != null
        ? `${q} ≥ ½ for ${fmt(win.aMin)} ≤ A ≤ ${fmt(win.aMax)}: range A_max/A_min = ${win.ratio ? win.ratio.toFixed(1) : '—'} (at most τ_slow/τ_fast = ${(ideal.aMax / ideal.aMin).toFixed(1)}); peak ${q} = ${win.peak.toFixed(2)} at A = ${fmt(win.peakAmplitude)}.`
        : `No amplitude reaches ${q} ≥ ½ (peak ${win.peak.toFixed(2)}): no learning window for these settings.`;
    windowReadout.title = `computed in ${Math.round(performance.now() - t0)} ms`;
    root.dataset.updateMs = String(Math.round(performance.now() - t0));
  };
  const schedule = () => {
    frame ||= requestAnimationFrame(update);
  };
  update();
  return { params, update };
}
