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
 * in four steps:
 *
 *   1. every file to its temp file, fsynced            crash → old set intact, stray .tmp files
 *   2. old files renamed to `.name.*.old`, commit first  crash → no commit file: nothing loads
 *   3. temp files renamed into place, commit last        crash → no commit file: nothing loads
 *   4. directory fsynced, `.old` files removed           crash → new set complete
 *
 * So a reader that goes through the commit file sees the old set, no set, or the new set — never
 * a new weights.bin under an old model.json. After a crash in steps 2–3 the old set is in the
 * `.old` files and the new one in the `.tmp` files; nothing deletes them automatically, since
 * they might belong to a writer that is still running. If a step fails with an error (disk full,
 * permissions), steps 2–3 are rolled back and the old set is put back in place.
 *
 * One writer per directory at a time; two concurrent writers of the same set can interleave.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TclError } from '../errors.ts';

/** The renames of steps 2–3; swapped out in tests to make one of them fail. */
export const fsOps = {
  rename: (from: string, to: string): Promise<void> => fs.rename(from, to),
};

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

  // Step 1: temp files.
  const temps = new Map<string, string>();
  try {
    for (const name of [...others, commit]) temps.set(name, await writeTemp(target(name), files[name]));
  } catch (e) {
    await removeQuietly([...temps.values()]);
    throw asTclError(e, target(commit), 'write');
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

  // Steps 2–3: old set aside (commit first), new set in (commit last).
  const backups = new Map<string, string>();
  const placed: string[] = [];
  try {
    for (const name of [commit, ...others]) {
      const backup = siblingName(target(name), 'old');
      try {
        await fsOps.rename(target(name), backup);
        backups.set(name, backup);
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
    }
    for (const name of [...others, commit]) {
      await fsOps.rename(temps.get(name)!, target(name));
      temps.delete(name);
      placed.push(name);
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

  // Step 4.
  await fsyncDir(dir);
  await removeQuietly([...backups.values()]);
}

/** `.name.<pid>.<random>.<suffix>` beside `file`: hidden, unique, same filesystem. */
function siblingName(file: string, suffix: 'tmp' | 'old'): string {
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  return path.join(path.dirname(file), `.${path.basename(file)}.${tag}.${suffix}`);
}

/** Writes `data` to a fresh temp file beside `file`, fsyncs it and returns its path. */
async function writeTemp(file: string, data: string | Uint8Array): Promise<string> {
  const tmp = siblingName(file, 'tmp');
  const handle = await fs.open(tmp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await removeQuietly([tmp]);
    throw e;
  }
  return tmp;
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
