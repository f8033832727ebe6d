/**
 * What the child processes of both executors (local-child.ts, queue-child.ts) do with one job:
 * start the backend, train with trainRun, pass progress on at most every `progressMs` (and each
 * epoch's last batch). A backend that cannot start is the run's failure, as a record.
 */
import { initBackend, type BackendName } from '../backend.ts';
import { trainRun } from './run.ts';
import type { RunHooks, RunJob, RunProgress, RunRecord } from './types.ts';

export async function trainInChild(
  job: RunJob,
  backend: BackendName | 'auto',
  opts: { progressMs: number; onProgress: (p: RunProgress) => void; /** Called on every batch, before the throttle. */ everyBatch?: () => void } & Pick<RunHooks, 'onStart' | 'shouldStop'>,
): Promise<RunRecord> {
  try {
    await initBackend(backend);
  } catch (e) {
    const { id, config, group, seed, dir } = job;
    return { id, config, group, seed, dir, status: 'failed', error: (e as Error).message.split('\n')[0] };
  }
  let last = 0;
  return trainRun(job, {
    onStart: opts.onStart,
    shouldStop: opts.shouldStop,
    onProgress: (p) => {
      opts.everyBatch?.();
      const now = Date.now();
      if (now - last < opts.progressMs && p.batch < p.batches) return;
      last = now;
      opts.onProgress(p);
    },
  });
}
