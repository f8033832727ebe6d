/**
 * Overall progress of a sweep and its ETA. Runs of one group (one configuration, seeds apart)
 * cost about the same, while groups can differ tenfold (a TCL epoch is ~10 EP epochs here), so
 * a waiting run is estimated from the runs of its own group that finished or are under way
 * (elapsed / fraction done), else from all runs; the remaining run-seconds are spread over the
 * workers.
 */
import type { RunJob, RunProgress, RunRecord } from './types.ts';

interface RunState {
  group: string;
  started?: number;
  /** Fraction of the run done, 0..1. */
  fraction: number;
  ended?: number;
  /** Finished before this sweep started: counts as done, took no time here. */
  skipped?: boolean;
  failed?: boolean;
}

export interface SweepProgressState {
  runs: number;
  done: number;
  failed: number;
  running: number;
  /** Fraction of the whole sweep done, 0..1 (each run weighted by its group's estimated duration). */
  fraction: number;
  /** Seconds left, null until some run has progressed. */
  etaSeconds: number | null;
}

export class SweepEta {
  private readonly runs = new Map<string, RunState>();

  /** Times (`now`) are seconds from any origin, e.g. Date.now() / 1000. */
  constructor(
    jobs: readonly RunJob[],
    private readonly workers: number,
  ) {
    for (const j of jobs) this.runs.set(j.id, { group: j.group, fraction: 0 });
  }

  skip(id: string): void {
    const r = this.runs.get(id);
    if (r) Object.assign(r, { skipped: true, fraction: 1 });
  }

  start(id: string, now: number): void {
    const r = this.runs.get(id);
    if (r) r.started ??= now;
  }

  progress(p: RunProgress, now: number): void {
    const r = this.runs.get(p.id);
    if (!r) return;
    r.started ??= now;
    r.fraction = Math.min(1, (p.epoch - 1 + p.batch / Math.max(1, p.batches)) / Math.max(1, p.epochs));
  }

  end(rec: RunRecord, now: number): void {
    const r = this.runs.get(rec.id);
    if (!r) return;
    if (rec.skipped) return this.skip(rec.id);
    Object.assign(r, { ended: now, fraction: 1, failed: rec.status === 'failed' });
    r.started ??= now;
  }

  /** Projected duration (s) of a run: actual when finished, elapsed / fraction while running. */
  private duration(r: RunState, now: number): number | null {
    if (r.skipped || r.started === undefined) return null;
    if (r.ended !== undefined) return r.failed ? null : r.ended - r.started;
    return r.fraction > 0.02 ? (now - r.started) / r.fraction : null;
  }

  state(now: number): SweepProgressState {
    const all = [...this.runs.values()];
    const known = new Map<string, number[]>();
    for (const r of all) {
      const d = this.duration(r, now);
      if (d != null) known.set(r.group, [...(known.get(r.group) ?? []), d]);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const every = [...known.values()].flat();
    const estimate = (g: string) => (known.has(g) ? mean(known.get(g)!) : every.length ? mean(every) : null);
    let left = 0;
    let total = 0;
    let maxRunning = 0;
    let unknown = false;
    for (const r of all) {
      if (r.skipped) continue;
      const full = this.duration(r, now) ?? estimate(r.group);
      if (r.ended !== undefined) {
        total += full ?? 0;
        continue;
      }
      if (full == null) {
        unknown = true;
        continue;
      }
      const rest = r.started !== undefined ? Math.max(0, full - (now - r.started)) : full;
      left += rest;
      total += full;
      if (r.started !== undefined) maxRunning = Math.max(maxRunning, rest);
    }
    const running = all.filter((r) => r.started !== undefined && r.ended === undefined && !r.skipped).length;
    const waiting = all.filter((r) => r.started === undefined && !r.skipped).length;
    const lanes = Math.max(1, Math.min(this.workers, running + waiting));
    const doneCount = all.filter((r) => r.skipped || (r.ended !== undefined && !r.failed)).length;
    const failed = all.filter((r) => r.failed).length;
    const plain = all.reduce((a, r) => a + r.fraction, 0) / Math.max(1, all.length);
    const todo = all.filter((r) => !r.skipped).length;
    const weighted = total > 0 && !unknown ? (all.length - todo + (todo * (total - left)) / total) / all.length : plain;
    return {
      runs: all.length,
      done: doneCount,
      failed,
      running,
      fraction: Math.min(1, weighted),
      etaSeconds: unknown ? null : Math.max(left / lanes, maxRunning),
    };
  }
}
