/** `tfjs-tcl sweep SPEC.json --out DIR`: a grid of runs over seeds, on local child processes; one report. */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { SweepEta } from '../sweep/eta.ts';
import { readSpec, type SweepSpec } from '../sweep/spec.ts';
import { runSweep, type SweepOptions, type SweepResult } from '../sweep/sweep.ts';
import type { RunHooks, RunJob, RunRecord } from '../sweep/types.ts';
import { addGlobalOptions, backendFrom, emit, info, interruptible, intArg } from './common.ts';
import { singleBar } from './progress.ts';

function clock(s: number | null): string {
  if (s == null || !Number.isFinite(s)) return '…';
  const t = Math.round(s);
  return t >= 3600 ? `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m` : t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}

/**
 * One bar for the whole sweep on stderr: runs done / failed / running, the overall ETA (SweepEta),
 * and each finished run as a line above it. Plugs into runSweep as `onPlan` + `hooks`.
 */
export function sweepProgress(label: string, workers: number): Pick<SweepOptions, 'onPlan'> & { hooks: RunHooks; stop(): void } {
  const bar = singleBar(`${label} |{bar}| {done}/{runs} runs{failed} · {running} running · {left} left`);
  let eta: SweepEta | undefined;
  let started = false;
  const now = () => Date.now() / 1000;
  const draw = () => {
    if (!eta) return;
    const s = eta.state(now());
    const payload = { done: s.done, runs: s.runs, failed: s.failed ? ` (${s.failed} failed)` : '', running: s.running, left: clock(s.etaSeconds) };
    if (!started) {
      bar.start(1000, Math.round(1000 * s.fraction), payload);
      started = true;
    } else bar.update(Math.round(1000 * s.fraction), payload);
  };
  const timer = setInterval(draw, 1000);
  timer.unref();
  const line = (r: RunRecord) => {
    const s = r.summary;
    const what = r.status === 'done' ? `test error ${(100 * s!.testError).toFixed(2)}% after ${s!.epochs} epoch(s)${r.resumed ? ' (resumed)' : ''}` : `FAILED: ${r.error}`;
    if (started) bar.stop();
    started = false;
    info(`  ${r.id}: ${what}`);
    draw();
  };
  return {
    onPlan: (jobs: RunJob[], finished: RunRecord[]) => {
      eta = new SweepEta(jobs, workers);
      for (const r of finished) eta.skip(r.id);
      if (finished.length) info(`${finished.length} of ${jobs.length} runs finished already (skipped)`);
      draw();
    },
    hooks: {
      onStart: (j) => eta?.start(j.id, now()),
      onProgress: (p) => eta?.progress(p, now()),
      onEnd: (r) => {
        // An interrupted run is neither done nor failed: the same command continues it.
        if (r.interrupted) return;
        eta?.end(r, now());
        line(r);
      },
    },
    stop() {
      clearInterval(timer);
      if (started) {
        draw();
        bar.stop();
      }
      started = false;
    },
  };
}

/** The --json summary line and the text lines of a finished sweep. */
export function sweepSummary(res: SweepResult, backend: string): Record<string, unknown> {
  return {
    name: res.name,
    out: res.out,
    backend,
    ...res.counts,
    interrupted: res.interrupted,
    seconds: res.seconds,
    files: res.files,
    runs: res.records.map((r) => ({
      id: r.id,
      group: r.group,
      seed: r.seed,
      status: r.status,
      ...(r.error ? { error: r.error } : {}),
      testError: r.summary?.testError ?? null,
      epochs: r.summary?.epochs ?? null,
      secondsPerEpoch: r.summary?.secondsPerEpoch ?? null,
      testErrorPerEpoch: r.summary?.metrics.map((m) => m.testError) ?? [],
      dir: r.dir,
    })),
  };
}

/**
 * runSweep as `sweep` and `compare` run it in a terminal: the progress bar, Ctrl-C stopping the
 * runs with resumable checkpoints, the command line recorded in the report, exit code 130 when
 * interrupted.
 */
export async function runSweepInTerminal(spec: SweepSpec, label: string, o: Pick<SweepOptions, 'out' | 'workers' | 'backend' | 'force' | 'executor' | 'kind'>): Promise<SweepResult> {
  const interrupt = interruptible('stopping the runs with resumable checkpoints (the same command continues them)');
  const progress = sweepProgress(label, o.workers ?? os.availableParallelism());
  let res: SweepResult;
  try {
    res = await runSweep(spec, {
      ...o,
      command: ['tfjs-tcl', ...process.argv.slice(2)].join(' '),
      onPlan: progress.onPlan,
      hooks: { ...progress.hooks, shouldStop: interrupt.stopRequested },
    });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  if (res.interrupted) {
    info(`interrupted: ${res.counts.done} of ${res.counts.runs} runs finished; the same command continues the others from their checkpoints`);
    process.exitCode = 130;
  }
  return res;
}

/** One line per failed run, for the terminal summary. */
export function failedLines(res: SweepResult): string[] {
  return res.records.filter((r) => r.status === 'failed').map((r) => `failed: ${r.id}: ${r.error}`);
}

export function register(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('run a grid of training runs (a spec JSON: base settings × grid, seeds included) on local worker processes; resumable; one report with mean ± sd over seeds')
    .argument('<spec>', 'sweep spec JSON: {"name", "base": {...}, "grid": {"key": [values]}} (docs/sweep.md)')
    .option('--out <dir>', 'sweep directory: spec.json, runs/<id>/ and the report (default runs/<spec name>)')
    .option('--workers <n>', `child processes, one run each at a time (default: the number of cores, ${os.availableParallelism()})`, intArg('--workers', 1))
    .option('--force', 'start over when DIR holds a sweep (of this spec or another): its runs are deleted', false)
    .option('--queue <url>', 'train the runs on `tfjs-tcl worker` processes, on any machines, through Redis at redis://HOST:PORT[/DB] instead of local child processes (docs/cluster.md)');
  addGlobalOptions(cmd).action(async (specFile: string, opts) => {
    const spec = await readSpec(specFile);
    const backend = await backendFrom(opts);
    const out = opts.out ?? path.join('runs', spec.name);
    const workers = opts.workers ?? os.availableParallelism();
    // --queue: BullMQ loads only then; an unreachable Redis is one line before anything runs.
    const executor = opts.queue ? new (await import('../sweep/queue.ts')).QueueExecutor({ url: opts.queue, sweep: spec.name, fresh: opts.force, log: info }) : undefined;
    await executor?.connect();
    info(`sweep '${spec.name}' into ${out}, ${executor ? `runs on the queue at ${executor.where} (start \`tfjs-tcl worker --queue ${executor.where}\` anywhere)` : `${workers} worker process(es)`}, backend ${backend}`);
    let res: SweepResult;
    try {
      res = await runSweepInTerminal(spec, `sweep ${spec.name}`, { out, workers, backend: opts.backend, force: opts.force, executor });
    } finally {
      await executor?.close();
    }
    const { seedTable } = await import('../report/seeds.ts');
    emit(opts, sweepSummary(res, backend), () => res.interrupted ? [] : [
      '',
      seedTable(res.records, { kind: 'sweep' }),
      '',
      ...failedLines(res),
      ...(res.files.length ? [`report: ${path.join(res.out, 'report.md')}; runs in ${path.join(res.out, 'runs')}`] : []),
    ]);
  });
}
