/**
 * Crash-safe file writes.
 *
 * One file: the bytes go to a temp file in the same directory (`.name.<pid>.<random>.tmp`), are
 * fsynced, and the temp file is renamed over the target. rename(2) within one directory is
 * atomic, so a reader sees the old file or the new one, never a prefix. The directory is fsynced
 * afterwards so that the rename itself survives a power cut.
 *
 * A set of files (model.json + weights.bin) cannot be swapped by one rename short of replacing
 * the whole directory, which would also delete whatever else the user keeps there. So a set has
 * a *commit file* (model.json: it is what readers open, and it names the others) and is written
 * in five steps, every file of one set tagged `<pid>.<random>`:
 *
 *   1. every file to its temp file, fsynced, commit last   crash → old set intact, stray .tmp files
 *   2. the commit's temp renamed to `.name.<tag>.ready`    (marks step 1 complete)
 *   3. old files renamed to `.name.<tag>.old`, commit first crash → no commit file: nothing loads
 *   4. temp files renamed into place, commit last          crash → no commit file: nothing loads
 *   5. directory fsynced, `.old` files removed             crash → new set complete
 *
 * So a reader that goes through the commit file sees the old set, no set, or the new set — never
 * a new weights.bin under an old model.json. A crash in steps 3–4 (SIGKILL, power cut) leaves a
 * `.ready` file and no commit file: every new file is complete, in place or under its temp name,
 * so `recoverInterruptedWrites` rolls the set forward (like SQLite's hot-journal recovery, done
 * by the next reader or writer once the writer's process is gone). If a step fails with an error
 * (disk full, permissions), steps 3–4 are rolled back and the old set is put back in place.
 *
 * One writer per directory at a time (`acquireDirLock` in lock.ts); two concurrent writers of
 * the same set can interleave.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TclError } from '../errors.ts';

/** The renames and data writes; swapped out in tests to make one of them fail (ENOSPC, EACCES). */
export const fsOps = {
  rename: (from: string, to: string): Promise<void> => fs.rename(from, to),
  /** `target` is the file the temp file is for (tests pick the file to fail by it). */
  writeFile: (handle: fs.FileHandle, data: string | Uint8Array, _target: string): Promise<void> => handle.writeFile(data),
};

/**
 * Test-only: milliseconds to sleep between the renames of a set (env TFJS_TCL_TEST_WRITE_DELAY_MS),
 * so that a kill at a random moment often lands between them (steps 3–4, the delicate ones).
 */
const testDelayMs = Number(process.env.TFJS_TCL_TEST_WRITE_DELAY_MS ?? 0) || 0;
const pause = () => (testDelayMs > 0 ? new Promise<void>((r) => setTimeout(r, testDelayMs)) : Promise.resolve());

export interface WriteFilesOptions {
  /**
   * The file readers open first, which names the others (default: the last key of `files`). It
   * is moved aside first and renamed into place last.
   */
  commitFile?: string;
}

/**
 * Writes one file atomically: readers see the old content or the new one, never a part.
 * Parent directories are created.
 *
 *   await writeFileAtomic('runs/a/report.json', JSON.stringify(report));
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await writeFilesAtomic(path.dirname(file), { [path.basename(file)]: data });
}

/**
 * Writes a set of files into `dir` so that they appear together (see the module comment for
 * the protocol and what a crash leaves behind). `files` maps bare file names to contents.
 *
 *   await writeFilesAtomic('models/m', { 'weights.bin': bytes, 'model.json': json });
 */
export async function writeFilesAtomic(
  dir: string,
  files: Record<string, string | Uint8Array>,
  options: WriteFilesOptions = {},
): Promise<void> {
  const names = Object.keys(files);
  if (names.length === 0) return;
  for (const name of names) {
    if (name === '' || name === '.' || name === '..' || name !== path.basename(name)) {
      throw new TclError(`${path.join(dir, name)}: '${name}' is not a plain file name`);
    }
  }
  const commit = options.commitFile ?? names[names.length - 1];
  if (!names.includes(commit)) {
    throw new TclError(`${path.join(dir, commit)}: commit file '${commit}' is not one of the files written`);
  }
  const others = names.filter((n) => n !== commit);
  const target = (name: string) => path.join(dir, name);

  await ensureDir(dir);
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const sibling = (name: string, suffix: Suffix) => path.join(dir, `.${name}.${tag}.${suffix}`);

  // Step 1: temp files, the commit file's last. A failed write names the file it was for.
  const temps = new Map<string, string>();
  for (const name of [...others, commit]) {
    try {
      await writeTemp(sibling(name, 'tmp'), files[name], target(name));
      temps.set(name, sibling(name, 'tmp'));
    } catch (e) {
      await removeQuietly([...temps.values(), sibling(name, 'tmp')]);
      throw asTclError(e, target(name), 'write');
    }
  }

  if (others.length === 0) {
    // A single file needs no backup: one rename replaces it atomically.
    try {
      await fsOps.rename(temps.get(commit)!, target(commit));
    } catch (e) {
      await removeQuietly([...temps.values()]);
      throw asTclError(e, target(commit), 'write');
    }
    await fsyncDir(dir);
    return;
  }

  // Steps 2–4: step 1 marked complete, old set aside (commit first), new set in (commit last).
  const backups = new Map<string, string>();
  const placed: string[] = [];
  try {
    await fsOps.rename(temps.get(commit)!, sibling(commit, 'ready'));
    temps.set(commit, sibling(commit, 'ready'));
    await fsyncDir(dir);
    for (const name of [commit, ...others]) {
      const backup = sibling(name, 'old');
      try {
        await fsOps.rename(target(name), backup);
        backups.set(name, backup);
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
      await pause();
    }
    for (const name of [...others, commit]) {
      await fsOps.rename(temps.get(name)!, target(name));
      temps.delete(name);
      placed.push(name);
      await pause();
    }
  } catch (e) {
    // Roll back with the real rename: new files out, old ones back, commit file last.
    await removeQuietly(placed.map(target));
    for (const name of [...others, commit]) {
      const backup = backups.get(name);
      if (backup) await fs.rename(backup, target(name)).catch(() => undefined);
    }
    await removeQuietly([...temps.values()]);
    throw asTclError(e, target(commit), 'write');
  }

  // Step 5.
  await fsyncDir(dir);
  await removeQuietly([...backups.values()]);
}

type Suffix = 'tmp' | 'ready' | 'old';
const SIBLING = /^\.(.+)\.(\d+)\.([0-9a-f]{8})\.(tmp|ready|old)$/;

/** What `recoverInterruptedWrites` did: sets rolled forward, and sets still being written by a live process. */
export interface RecoveryReport {
  /** Commit files of the sets completed from their temp files. */
  rolledForward: string[];
  /** Commit files (or temp files) of sets whose writer is still running: left alone. */
  inProgress: string[];
}

/**
 * Finishes or cleans up what writers that died (SIGKILL, power cut) left in `dir`: a set killed
 * in steps 3–4 is rolled forward to the new set (every new file is complete by then); stray temp
 * and backup files of dead writers are removed. Files of a writer that is still running are left
 * alone. Cheap (one readdir) when there is nothing to do; readers of a directory call it first.
 *
 *   await recoverInterruptedWrites('runs/tcl-1');
 */
export async function recoverInterruptedWrites(dir: string): Promise<RecoveryReport> {
  const report: RecoveryReport = { rolledForward: [], inProgress: [] };
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return report; // not a directory (or unreadable): the caller's own read names the problem
  }
  const sets = new Map<string, { pid: number; files: { name: string; suffix: Suffix; file: string }[] }>();
  for (const f of names) {
    const m = SIBLING.exec(f);
    if (!m) continue;
    const tag = `${m[2]}.${m[3]}`;
    const set = sets.get(tag) ?? { pid: Number(m[2]), files: [] };
    set.files.push({ name: m[1], suffix: m[4] as Suffix, file: path.join(dir, f) });
    sets.set(tag, set);
  }
  for (const set of sets.values()) {
    const ready = set.files.find((f) => f.suffix === 'ready');
    if (set.pid === process.pid || processAlive(set.pid)) {
      if (ready) report.inProgress.push(path.join(dir, ready.name));
      continue;
    }
    if (ready && !names.includes(ready.name)) {
      // Killed in steps 3–4: put the new files in place, the commit file last.
      // ENOENT: another reader is finishing the same set right now.
      for (const f of [...set.files.filter((f) => f.suffix === 'tmp'), ready]) {
        await fs.rename(f.file, path.join(dir, f.name)).catch((e: unknown) => {
          if (errnoCode(e) !== 'ENOENT') throw asTclError(e, path.join(dir, ready.name), 'finish an interrupted write');
        });
      }
      await fsyncDir(dir);
      report.rolledForward.push(path.join(dir, ready.name));
    }
    // What is left is debris: the commit file in place is consistent (old set: killed in steps
    // 1–2; new set: killed in step 5, or just rolled forward).
    await removeQuietly(set.files.map((f) => f.file));
  }
  return report;
}

/**
 * Makes `dir` readable: recovers what dead writers left (`recoverInterruptedWrites`) and, while a
 * live writer is between its renames (steps 3–4), waits for it (up to `timeoutMs`).
 *
 *   await settleDir('runs/tcl-1');  // then read model.json
 */
export async function settleDir(dir: string, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while ((await recoverInterruptedWrites(dir)).inProgress.length > 0 && Date.now() - t0 < timeoutMs) {
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Whether a process with this pid exists on this machine (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

/** Writes `data` to the fresh file `tmp` and fsyncs it. */
async function writeTemp(tmp: string, data: string | Uint8Array, target: string): Promise<void> {
  const handle = await fs.open(tmp, 'wx');
  try {
    await fsOps.writeFile(handle, data, target);
    await handle.sync();
    await handle.close();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await removeQuietly([tmp]);
    throw e;
  }
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new TclError(`${dir}: exists and is not a directory`);
    throw asTclError(e, dir, 'create directory');
  }
}

/** Best effort: makes renames durable on POSIX; opening a directory fails on Windows, which is fine. */
async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* durability only, never correctness */
  }
}

async function removeQuietly(files: string[]): Promise<void> {
  await Promise.all(files.map((f) => fs.rm(f, { force: true }).catch(() => undefined)));
}

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/**
 * System errors (EACCES, ENOSPC, …) become one-line TclErrors naming the target file rather than
 * the temp file; anything else (a bug) is rethrown as it is.
 */
export function asTclError(e: unknown, file: string, action: string): unknown {
  if (e instanceof TclError) return e;
  if (e instanceof Error && 'syscall' in e) {
    const what = e.message.split(',')[0]; // "ENOSPC: no space left on device, write" → code and text
    return new TclError(`${file}: cannot ${action} (${what})`);
  }
  return e;
}
