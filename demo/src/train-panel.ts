/**
 * The Train tab: TCL, EP, BP (and TCL's reversed-sawtooth control) trained live on the MNIST
 * subset with the library's own TrainingLoop and methods — the same code and the same preset
 * as `tfjs-tcl train`. The loop runs in chunks of ~CHUNK_MS: its `shouldStop` hook ends a chunk,
 * the page draws and awaits the next frame, and `loop.run()` resumes exactly where it stopped
 * (the loop's resume is exact: same shuffles, beta signs and particles as an uninterrupted run).
 */
import * as tf from '@tensorflow/tfjs';
import {
  TrainingLoop,
  evaluate,
  makeMethod,
  networkFromPreset,
  validatePreset,
  type EnergyNetwork,
  type EpochMetrics,
  type Preset,
  type TrainingMethod,
} from '../../src/browser.ts';
import presetJson from '../../models/mnist-784-500-10.json' with { type: 'json' };
import type { MnistSubset } from './data.ts';
import { renderChart, type Series } from './plot.ts';
import { drawWeightTiles } from './weights.ts';

/** Longest stretch of training between two frames (ms); one TCL batch may take longer. */
const CHUNK_MS = 60;

export type RunKind = 'tcl' | 'tcl-reversed' | 'ep' | 'bp';

export const RUN_KINDS: Record<RunKind, { label: string; color: string }> = {
  tcl: { label: 'TCL (sawtooth)', color: '#1f63c6' },
  ep: { label: 'EP', color: '#e8890c' },
  'tcl-reversed': { label: 'TCL, reversed sawtooth', color: '#d0262b' },
  bp: { label: 'Backprop', color: '#6b6b6b' },
};

export interface RunConfig {
  kind: RunKind;
  trainSize: number;
  epochs: number;
  seed: number;
  /** Measure the test error every this many training images (and at the end of each epoch). */
  evalEvery: number;
}

export interface Point {
  seen: number;
  error: number;
}

export type RunStatus = 'queued' | 'running' | 'paused' | 'done' | 'failed';

/** The paper's MNIST preset (models/mnist-784-500-10.json), validated as the CLI does. */
export const PRESET: Preset = validatePreset(structuredClone(presetJson));

/** The library's method for a run kind: the reversed control is TCL with the ramps swapped. */
function methodFor(kind: RunKind, preset: Preset): TrainingMethod {
  if (kind === 'tcl-reversed') return makeMethod('tcl', { ...preset, tcl: { ...preset.tcl, protocol: 'reversed' } });
  return makeMethod(kind, { ...preset, tcl: { ...preset.tcl, protocol: 'sawtooth' } });
}

export class Run {
  status: RunStatus = 'queued';
  /** Test error vs training images seen (the first point is the untrained network). */
  readonly test: Point[] = [];
  /** Training error of the predictions made just before each update, over the images since the previous point. */
  readonly train: Point[] = [];
  readonly epochs: EpochMetrics[] = [];
  seen = 0;
  /** Training time, without evaluation (s). */
  seconds = 0;
  failure?: string;
  net?: EnergyNetwork;
  /** First-layer weights at the start and at the latest test point (kept after the network is freed). */
  W1start?: Float32Array;
  W1?: Float32Array;
  hiddenUnits = 0;
  private loop?: TrainingLoop;
  private method?: TrainingMethod;
  private lastEvalSeen = 0;
  private wrongSinceEval = 0;
  private seenSinceEval = 0;
  private wrongInEpoch = 0;
  private chunkStart = 0;

  constructor(
    readonly id: number,
    readonly config: RunConfig,
    private readonly subset: MnistSubset,
  ) {}

  get label(): string {
    return `#${this.id} ${RUN_KINDS[this.config.kind].label}`;
  }

  get color(): string {
    return RUN_KINDS[this.config.kind].color;
  }

  get plannedExamples(): number {
    return Math.min(this.config.trainSize, this.subset.trainAvailable) * this.config.epochs;
  }

  private setup(): void {
    const data = this.subset.dataset(this.config.trainSize);
    const p = PRESET;
    // trainNetwork's construction (networkFromPreset), so that the same seed gives the same run as the CLI.
    const method = this.config.kind === 'tcl-reversed' ? 'tcl' : this.config.kind;
    const net = networkFromPreset(p, this.config.seed, method);
    this.net = net;
    this.method = methodFor(this.config.kind, p);
    const B = p.batchSize;
    this.loop = new TrainingLoop(net, data, this.method, {
      epochs: this.config.epochs,
      batchSize: B,
      seed: this.config.seed,
      persistent: p.persistent,
      onBatch: ({ epoch, batch, batches, runningError }) => {
        this.seen = ((epoch - 1) * batches + batch) * B;
        if (batch === 1) this.wrongInEpoch = 0;
        const wrong = Math.round(runningError * batch * B);
        this.wrongSinceEval += wrong - this.wrongInEpoch;
        this.wrongInEpoch = wrong;
        this.seenSinceEval += B;
      },
      onEpoch: (m) => {
        this.epochs.push(m);
        this.addPoint(m.testError);
      },
      // End a chunk after CHUNK_MS, or when the next test point is due (points at multiples of evalEvery).
      shouldStop: () => performance.now() - this.chunkStart > CHUNK_MS || this.seen - this.lastEvalSeen >= this.config.evalEvery,
    });
    this.hiddenUnits = net.sizes[1];
    this.addPoint(evaluate(net, data.test).error);
    this.W1start = this.W1;
  }

  private addPoint(testError: number): void {
    this.W1 = (this.net as EnergyNetwork).couplingLayers[0].kernel.read().dataSync().slice() as Float32Array;
    this.test.push({ seen: this.seen, error: testError });
    if (this.seenSinceEval > 0) this.train.push({ seen: this.seen, error: this.wrongSinceEval / this.seenSinceEval });
    this.wrongSinceEval = 0;
    this.seenSinceEval = 0;
    this.lastEvalSeen = this.seen;
  }

  /** Trains until done or `pause()` says stop; resumable. */
  async drive(pause: () => boolean, notify: () => void): Promise<void> {
    try {
      if (!this.loop) {
        this.setup();
        notify();
        await tf.nextFrame();
      }
      const loop = this.loop as TrainingLoop;
      this.status = 'running';
      while (!loop.finished) {
        if (pause()) {
          this.status = 'paused';
          return;
        }
        this.chunkStart = performance.now();
        const evalBefore = this.epochs.reduce((a, m) => a + m.evalSeconds, 0);
        await loop.run();
        const evalInChunk = this.epochs.reduce((a, m) => a + m.evalSeconds, 0) - evalBefore;
        this.seconds += (performance.now() - this.chunkStart) / 1000 - evalInChunk;
        if (!loop.finished && this.seen - this.lastEvalSeen >= this.config.evalEvery) {
          this.addPoint(evaluate(this.net as EnergyNetwork, loop.data.test).error);
        }
        notify();
        await tf.nextFrame();
      }
      this.status = 'done';
    } catch (e) {
      this.status = 'failed';
      this.failure = e instanceof Error ? e.message : String(e);
      console.error(e);
    } finally {
      if (this.status === 'done' || this.status === 'failed') {
        this.method?.dispose?.();
        this.dispose();
      }
      notify();
    }
  }

  /** Frees the network (~17 MB with its synapse memory) and the persistent particles; the weight snapshots stay. */
  dispose(): void {
    this.net?.dispose();
    this.net = undefined;
    if (this.loop) this.loop.particles = null;
  }
}

/** Runs one run at a time from a queue; pause/resume applies to the active one. */
export class Trainer {
  readonly runs: Run[] = [];
  active?: Run;
  paused = false;
  private driving = false;
  private nextId = 1;

  constructor(
    private readonly subset: MnistSubset,
    private readonly onChange: () => void,
  ) {}

  enqueue(config: RunConfig): Run {
    const run = new Run(this.nextId++, config, this.subset);
    this.runs.push(run);
    this.paused = false;
    void this.pump();
    return run;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    void this.pump();
  }

  /** Removes every run that is not training or waiting. */
  clear(): void {
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const r = this.runs[i];
      if (r !== this.active && r.status !== 'queued') {
        r.dispose();
        this.runs.splice(i, 1);
      }
    }
    this.onChange();
  }

  /** A run picked in the table to show the weights of (else the active or latest run). */
  picked?: Run;

  /** The run whose weights are shown. */
  get shown(): Run | undefined {
    if (this.picked && this.runs.includes(this.picked) && this.picked.W1) return this.picked;
    return this.active ?? [...this.runs].reverse().find((r) => r.W1);
  }

  private async pump(): Promise<void> {
    if (this.driving) return;
    this.driving = true;
    try {
      while (!this.paused) {
        const run = this.active ?? this.runs.find((r) => r.status === 'queued');
        if (!run) break;
        this.active = run;
        await run.drive(() => this.paused, this.onChange);
        if (run.status === 'done' || run.status === 'failed') this.active = undefined;
      }
    } finally {
      this.driving = false;
      this.onChange();
    }
  }
}

const pct = (v: number | undefined) => (v == null || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)}%`);

/** Wires the tab's controls, plot, weights and table to a Trainer. */
export function mountTrainPanel(root: HTMLElement, subset: MnistSubset): Trainer {
  const $ = <T extends HTMLElement>(sel: string) => root.querySelector(sel) as T;
  const method = $<HTMLSelectElement>('#method');
  const trainSize = $<HTMLInputElement>('#train-size');
  const epochs = $<HTMLInputElement>('#epochs');
  const seed = $<HTMLInputElement>('#seed');
  const evalEvery = $<HTMLInputElement>('#eval-every');
  const trainBtn = $<HTMLButtonElement>('#train');
  const compareBtn = $<HTMLButtonElement>('#compare');
  const pauseBtn = $<HTMLButtonElement>('#pause');
  const clearBtn = $<HTMLButtonElement>('#clear');
  const curve = root.querySelector('#curve') as SVGSVGElement;
  const legend = $<HTMLUListElement>('#curve-legend');
  const weights = $<HTMLCanvasElement>('#weights');
  const weightsDelta = $<HTMLInputElement>('#weights-delta');
  const weightsCaption = $<HTMLElement>('#weights-caption');
  const tbody = $<HTMLTableSectionElement>('#runs tbody');
  const status = $<HTMLElement>('#train-status');
  trainSize.max = String(subset.trainAvailable);

  const config = (kind: RunKind): RunConfig => ({
    kind,
    trainSize: Math.max(20, Math.min(subset.trainAvailable, Number(trainSize.value) || subset.trainAvailable)),
    epochs: Math.max(1, Math.min(50, Number(epochs.value) || 1)),
    seed: Math.max(0, Math.floor(Number(seed.value) || 0)),
    evalEvery: Math.max(20, Number(evalEvery.value) || 300),
  });

  let frame = 0;
  let weightsDrawnAt = -1;
  let weightsRun: Run | undefined;
  const render = () => {
    frame = 0;
    const runs = trainer.runs;
    const series: Series[] = [];
    for (const r of runs) {
      series.push({ x: r.train.map((p) => p.seen), y: r.train.map((p) => 100 * p.error), color: r.color, dash: '5 4', width: 1.3 });
      series.push({ label: r.label, x: r.test.map((p) => p.seen), y: r.test.map((p) => 100 * p.error), color: r.color, dots: true, width: 2.2, cls: `test-run-${r.id}` });
    }
    const xmax = Math.max(600, ...runs.map((r) => r.plannedExamples));
    renderChart(curve, {
      width: 720,
      height: 400,
      title: 'Learning curves — solid: test error (500 held-out images), dashed: training error',
      x: { label: 'training images seen', min: 0, max: xmax },
      y: { label: 'error (%)', min: 0, max: 100 },
      series,
      markers: [{ y: 10, color: '#999', label: '10%' }],
    });
    legend.replaceChildren(
      ...runs.map((r) => {
        const li = document.createElement('li');
        li.innerHTML = `<span class="swatch" style="background:${r.color}"></span>${r.label}`;
        return li;
      }),
    );
    // Weights: redraw when the shown run has a new test point (the network changed noticeably).
    const shown = trainer.shown;
    const stamp = shown ? shown.test.length * 1e6 + shown.id + (weightsDelta.checked ? 0.5 : 0) : -1;
    if (shown?.W1 && (stamp !== weightsDrawnAt || shown !== weightsRun)) {
      const W = shown.W1;
      const start = shown.W1start as Float32Array;
      const shownW = weightsDelta.checked ? W.map((v, i) => v - start[i]) : W;
      const seenAt = shown.test.at(-1)?.seen ?? 0;
      drawWeightTiles(weights, shownW, W.length / shown.hiddenUnits, shown.hiddenUnits, [28, 28], { units: 40, cols: 8, zoom: 3, gap: 4 });
      weightsCaption.textContent = `${weightsDelta.checked ? 'Change since the start, ΔW₁,' : 'First-layer weights W₁'} of hidden units 1–40 after ${seenAt.toLocaleString('en')} images — ${shown.label} (click a row of the table to show another run).`;
      weightsDrawnAt = stamp;
      weightsRun = shown;
    }
    tbody.replaceChildren(
      ...runs.map((r) => {
        const tr = document.createElement('tr');
        tr.dataset.run = String(r.id);
        if (r === weightsRun) tr.classList.add('shown');
        tr.addEventListener('click', () => {
          trainer.picked = r;
          schedule();
        });
        tr.dataset.kind = r.config.kind;
        tr.dataset.status = r.status;
        tr.dataset.test = JSON.stringify(r.test.map((p) => [p.seen, p.error]));
        tr.dataset.epochTest = JSON.stringify(r.epochs.map((m) => m.testError));
        const cells = [
          `<span class="swatch" style="background:${r.color}"></span>${r.label}`,
          `${Math.min(r.config.trainSize, subset.trainAvailable).toLocaleString('en')} × ${r.config.epochs}, seed ${r.config.seed}`,
          escapeHtml(r.status + (r.failure ? `: ${r.failure}` : '')),
          r.seen.toLocaleString('en'),
          pct(r.test.at(-1)?.error),
          r.epochs.map((m) => pct(m.testError)).join(', ') || '—',
          r.seconds ? `${r.seconds.toFixed(1)} s (${Math.round(r.seen / r.seconds)}/s)` : '—',
        ];
        tr.innerHTML = cells.map((c, i) => `<td class="${['run', 'size', 'status', 'seen', 'test-now', 'test-epochs', 'time'][i]}">${c}</td>`).join('');
        return tr;
      }),
    );
    const active = trainer.active;
    pauseBtn.disabled = !active;
    pauseBtn.textContent = trainer.paused && active ? 'Resume' : 'Stop';
    status.textContent = active
      ? `${trainer.paused ? 'Stopped' : 'Training'} ${active.label}: ${active.seen.toLocaleString('en')} / ${active.plannedExamples.toLocaleString('en')} images · tensors ${tf.memory().numTensors}`
      : `Idle · tensors ${tf.memory().numTensors}`;
    root.dataset.state = active ? (trainer.paused ? 'paused' : 'training') : 'idle';
  };
  const schedule = () => {
    frame ||= requestAnimationFrame(render);
  };
  const trainer = new Trainer(subset, schedule);

  trainBtn.addEventListener('click', () => trainer.enqueue(config(method.value as RunKind)));
  compareBtn.addEventListener('click', () => {
    for (const kind of ['tcl', 'ep', 'tcl-reversed', 'bp'] as RunKind[]) trainer.enqueue(config(kind));
  });
  pauseBtn.addEventListener('click', () => {
    if (trainer.paused) trainer.resume();
    else trainer.pause();
    schedule();
  });
  clearBtn.addEventListener('click', () => trainer.clear());
  weightsDelta.addEventListener('change', schedule);
  render();
  return trainer;
}

/** Text for innerHTML (an error message may contain markup characters). */
function escapeHtml(t: string): string {
  return t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
