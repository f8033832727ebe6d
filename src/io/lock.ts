/**
 * One writer per run directory: `train --out DIR` and `sweep` hold a lock file `DIR/.tfjs-tcl.lock`
 * ({ pid, host, what, since }) while they write there. A second writer fails with one line naming
 * the holder; a lock whose process is gone (SIGKILL, power cut) is taken over.
 *
 *   const lock = await acquireDirLock('runs/tcl-1', 'train');
 *   try { ... } finally { await lock.release(); }
 *
 * The lock file is created with O_EXCL, so two processes never both create it. Taking over a
 * stale lock renames it to a name of our own first and checks that what we renamed is the stale
 * lock we read (another process may have taken it over in between); the lock is released on
 * `release()` and, as a last resort, when the process exits normally or by a signal Node handles.
 * Liveness of a holder on another host cannot be checked: such a lock is refused, naming the host.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TclError } from '../errors.ts';
import { asTclError, processAlive, recoverInterruptedWrites } from './atomic.ts';

export const LOCK_FILE = '.tfjs-tcl.lock';

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /** What holds it, e.g. 'train' or 'sweep'. */
  what: string;
  /** ISO time the lock was taken. */
  since: string;
}

export interface DirLock {
  readonly dir: string;
  readonly holder: LockHolder;
  /** Removes the lock file (idempotent). */
  release(): Promise<void>;
}

const held = new Map<string, string>(); // lock file → its content, for the exit handler
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [file, content] of held) {
      try {
        if (fs.readFileSync(file, 'utf8') === content) fs.rmSync(file, { force: true });
      } catch {
        /* gone already */
      }
    }
  });
}

/** The lock's holder as a phrase for messages: `tfjs-tcl train (pid 123 on host a, since …)`. */
export function describeHolder(h: LockHolder): string {
  return `tfjs-tcl ${h.what} (pid ${h.pid} on host ${h.host}, since ${h.since})`;
}

function readHolder(file: string): LockHolder | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (Number.isInteger(h.pid) && typeof h.host === 'string') return h;
  } catch {
    /* a torn or foreign lock file: treated as stale below */
  }
  return { pid: -1, host: os.hostname(), what: 'unknown', since: 'unknown' };
}

/**
 * Takes the lock on `dir` (created if missing) for `what` ('train', 'sweep'), or throws a
 * TclError naming the live process that holds it. Afterwards, finishes or removes what an
 * interrupted writer left there (see `recoverInterruptedWrites`).
 */
export async function acquireDirLock(dir: string, what: string): Promise<DirLock> {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new TclError(`${dir}: exists and is not a directory`);
    throw asTclError(e, dir, 'create directory');
  }
  const file = path.join(dir, LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), what, since: new Date().toISOString() };
  const content = JSON.stringify(holder) + '\n';
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, content, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw asTclError(e, file, 'create the lock file');
    }
    const other = readHolder(file);
    if (other === null) continue; // released just now: try again
    const sameHost = other.host === os.hostname();
    if (other.pid === process.pid && sameHost) throw new TclError(`${dir}: already in use by this process (${describeHolder(other)})`);
    if (!sameHost) throw new TclError(`${dir}: in use by ${describeHolder(other)}; if that process is gone, delete ${file}`);
    if (processAlive(other.pid)) throw new TclError(`${dir}: in use by ${describeHolder(other)}; wait for it to finish or stop it`);
    if (attempt > 5) throw new TclError(`${file}: cannot take over the stale lock (it keeps changing)`);
    // Stale: move it aside under our own name, and check that we moved the stale one.
    const aside = `${file}.stale.${process.pid}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue; // someone else moved it first
    }
    const moved = readHolder(aside);
    if (moved && moved.pid !== other.pid && processAlive(moved.pid)) {
      // A live process took the lock between our read and our rename: give it back.
      try {
        fs.linkSync(aside, file);
      } catch {
        /* it already made a new one */
      }
      fs.rmSync(aside, { force: true });
      throw new TclError(`${dir}: in use by ${describeHolder(moved)}; wait for it to finish or stop it`);
    }
    fs.rmSync(aside, { force: true });
  }
  held.set(file, content);
  installExitHook();
  await recoverInterruptedWrites(dir);
  let released = false;
  return {
    dir,
    holder,
    async release() {
      if (released) return;
      released = true;
      held.delete(file);
      try {
        if (fs.readFileSync(file, 'utf8') === content) fs.rmSync(file, { force: true });
      } catch {
        /* already gone */
      }
    },
  };
}

/** The live holder of `dir`'s lock, or null when it is free or stale. */
export function dirLockHolder(dir: string): LockHolder | null {
  const h = readHolder(path.join(dir, LOCK_FILE));
  if (!h) return null;
  if (h.host !== os.hostname()) return h;
  return processAlive(h.pid) ? h : null;
}
