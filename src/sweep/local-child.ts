/**
 * A child process of the local executor (local.ts): takes runs over IPC, one at a time, trains
 * each with trainRun, sends progress (at most every 250 ms, and each epoch's last batch) and the
 * record back, then waits for the next (the parent disconnects it when there is none). It
 * stops after the current batch with a resumable checkpoint on a 'stop' message or a Ctrl-C (the terminal sends SIGINT to the whole process group), and exits at once
 * when the sweep process is gone (the IPC channel closes), so that no orphan keeps writing into
 * a run directory that a re-run is about to use.
 */
import type { BackendName } from '../backend.ts';
import { trainInChild } from './child-run.ts';
import type { RunJob, RunRecord } from './types.ts';

export type ChildMessage =
  | { type: 'progress'; id: string; epoch: number; epochs: number; batch: number; batches: number; runningError: number }
  | { type: 'start'; id: string }
  | { type: 'end'; record: RunRecord };

export type ParentMessage = { type: 'run'; job: RunJob; backend: BackendName | 'auto' } | { type: 'stop' };

if (!process.send) throw new Error('local-child.ts runs as a child process of the local sweep executor (fork with an IPC channel)');

let stop = false;
process.on('SIGINT', () => {
  stop = true;
});
process.on('disconnect', () => process.exit(1));

const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

process.on('message', async (m: ParentMessage) => {
  if (m.type === 'stop') {
    stop = true;
    return;
  }
  if (m.type !== 'run') return;
  const record = await trainInChild(m.job, m.backend, {
    progressMs: 250,
    onStart: (job) => void send({ type: 'start', id: job.id }),
    onProgress: (p) => void send({ type: 'progress', ...p }),
    shouldStop: () => stop,
  });
  await send({ type: 'end', record });
});
