/**
 * `tfjs-tcl worker --queue redis://HOST:PORT`: takes runs of any sweep started with
 * `sweep --queue` on that Redis, trains them and sends their records back. Runs until Ctrl-C /
 * SIGTERM (runs in progress go back on the queue and resume elsewhere from their checkpoints).
 */
import type { Command } from 'commander';
import { addGlobalOptions, emit, info, intArg, numArg, TclError } from './common.ts';

export function register(program: Command): void {
  const cmd = program
    .command('worker')
    .description('train the runs of sweeps queued in Redis (`sweep --queue`); start any number, on any machines')
    .requiredOption('--queue <url>', 'Redis of the queue: redis://HOST:PORT[/DB]')
    .option('--concurrency <n>', 'runs trained at once by this worker, each in its own process', intArg('--concurrency', 1), 1)
    .option('--exit-idle <seconds>', 'stop after this long without a run to train (default: run until stopped)', numArg('--exit-idle'))
    .option('--lock <seconds>', "how long a dead worker's run waits before another worker takes it (use one value for all workers)", numArg('--lock'), 30);
  addGlobalOptions(cmd).action(async (opts) => {
    if (opts.lock < 1) throw new TclError(`--lock expects at least 1 second, got ${opts.lock}`);
    // BullMQ and the Redis driver load only for this command (not for every tfjs-tcl start).
    const { startQueueWorker } = await import('../sweep/queue-worker.ts');
    const { showUrl } = await import('../sweep/queue-redis.ts');
    const worker = await startQueueWorker({ url: opts.queue, concurrency: opts.concurrency, lockSeconds: opts.lock, exitIdleSeconds: opts.exitIdle, backend: opts.backend, log: (l) => info(`worker: ${l}`) });
    const stop = (sig: string) => {
      info(`worker: ${sig}: putting runs in progress back on the queue and stopping`);
      void worker.close();
    };
    process.once('SIGINT', () => stop('interrupt'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    await worker.done;
    const { done, failed, requeued } = worker.counts;
    emit(opts, { queue: showUrl(opts.queue), ...worker.counts }, [`worker: ${done} run(s) done, ${failed} failed, ${requeued} put back on the queue`]);
    process.exit(0);
  });
}
