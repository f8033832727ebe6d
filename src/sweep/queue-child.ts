/**
 * The process in which a queue worker trains its runs (queue-worker.ts forks one per run slot
 * and keeps it for the slot's next run): takes a run over IPC, trains it with trainRun, sends
 * progress and the record back, and waits for the next.
 *
 * Why a child process: an epoch of the training loop is one synchronous stretch of tfjs calls
 * (seconds to minutes), during which a process cannot renew the job's lock in Redis; the worker
 * process only forwards messages, so its event loop stays free and the lock is renewed on time
 * however long an epoch is. A run that crashes its process takes nothing else down (the next
 * run gets a fresh process).
 *
 * A child must not outlive its worker: a worker killed with SIGKILL cannot take it along, and
 * its run is about to be handed to another worker (maybe into the same run directory). The
 * 'disconnect' event only fires between epochs, so every batch also checks that the parent
 * is still the one that forked it.
 */
import type { BackendName } from '../backend.ts';
import { trainInChild } from './child-run.ts';
import type { RunJob, RunProgress, RunRecord } from './types.ts';

export type QueueChildMessage = { type: 'progress'; progress: RunProgress } | { type: 'end'; record: RunRecord };
export type QueueParentMessage = { type: 'run'; job: RunJob; backend: BackendName | 'auto' };

if (!process.send) throw new Error('queue-child.ts runs as a child process of `tfjs-tcl worker` (fork with an IPC channel)');

const parent = process.ppid;
const orphaned = () => process.ppid !== parent;
process.on('disconnect', () => process.exit(1));

const send = (m: QueueChildMessage) =>
  new Promise<void>((resolve) => {
    if (!process.connected) return resolve();
    process.send!(m, undefined, {}, () => resolve());
  });

// One run at a time (the worker sends the next only after this one's record).
process.on('message', async (m: QueueParentMessage) => {
  if (m?.type !== 'run') return;
  const record = await trainInChild(m.job, m.backend, {
    progressMs: 500,
    everyBatch: () => {
      if (orphaned()) process.exit(1);
    },
    onProgress: (p) => void send({ type: 'progress', progress: p }),
  });
  await send({ type: 'end', record });
});
