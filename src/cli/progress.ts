/** Progress bars on stderr (stdout stays clean for --json); silent when stderr is not a terminal unless forced. */
import cliProgress from 'cli-progress';

export interface Progress {
  update(epoch: number, batch: number, batches: number, runningError: number): void;
  stop(): void;
}

/** `epochs` undefined (a resumed run): the bar shows the epoch without a total. */
/** The house progress bar on stderr (TFJS_TCL_PROGRESS=1 also draws it when stderr is not a terminal, every 5 s). */
export function singleBar(format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    { format, barsize: 24, hideCursor: true, clearOnComplete: false, stream: process.stderr, noTTYOutput: !!process.env.TFJS_TCL_PROGRESS, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
}

export function progressBar(label: string, epochs?: number): Progress {
  const bar = singleBar(`${label} |{bar}| epoch {epoch}${epochs ? `/${epochs}` : ''} · batch {value}/{total} · running error {err} · {eta_formatted} left`);
  let started = false;
  let lastEpoch = 0;
  return {
    update(epoch, batch, batches, runningError) {
      const payload = { epoch, err: `${(100 * runningError).toFixed(1)}%` };
      if (!started) {
        bar.start(batches, batch, payload);
        started = true;
      } else if (epoch !== lastEpoch) {
        bar.setTotal(batches);
      }
      lastEpoch = epoch;
      bar.update(batch, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
