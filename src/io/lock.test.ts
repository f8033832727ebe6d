import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/tmp-dirs.ts';
import { TclError } from '../errors.ts';
import { acquireDirLock, dirLockHolder, LOCK_FILE } from './lock.ts';

const tmp = tempDirs('tcl-lock-');
const BIN = path.resolve('bin/tfjs-tcl.js');
const LOCK_TS = new URL('./lock.ts', import.meta.url).href;

/** A pid that belonged to a process which has exited (so no live process has it, barring reuse). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid!;
  await new Promise((r) => child.on('exit', r));
  return pid;
}

describe('acquireDirLock', () => {
  it('a second holder fails with one line naming the live process (pid and host); release frees the directory', async () => {
    const dir = tmp();
    const lock = await acquireDirLock(dir, 'train');
    const err = await acquireDirLock(dir, 'sweep').catch((e) => e);
    expect(err).toBeInstanceOf(TclError);
    expect(err.message).toContain(`pid ${process.pid} on host ${os.hostname()}`);
    expect(err.message.split('\n')).toHaveLength(1);
    // Another process sees the same.
    const script = `import { acquireDirLock } from ${JSON.stringify(LOCK_TS)};
      try { await acquireDirLock(${JSON.stringify(dir)}, 'sweep'); console.log('acquired'); } catch (e) { console.log(e.name + ': ' + e.message); }`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    expect(stdout.trim()).toBe(`TclError: ${dir}: in use by tfjs-tcl train (pid ${process.pid} on host ${os.hostname()}, since ${lock.holder.since}); wait for it to finish or stop it`);
    expect(dirLockHolder(dir)?.pid).toBe(process.pid);
    await lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    expect(dirLockHolder(dir)).toBeNull();
    const again = await acquireDirLock(dir, 'sweep');
    await again.release();
  });

  it('a stale lock (its process gone) is taken over, and so is a torn lock file', async () => {
    const dir = tmp();
    const pid = await deadPid();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), what: 'train', since: '2026-01-01T00:00:00Z' }));
    expect(dirLockHolder(dir)).toBeNull();
    const lock = await acquireDirLock(dir, 'train');
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await lock.release();
    fs.writeFileSync(path.join(dir, LOCK_FILE), '{"pid": 12'); // killed while writing the lock itself
    const torn = await acquireDirLock(dir, 'train');
    await torn.release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a lock held on another host is refused, naming the host, since its process cannot be checked', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', what: 'sweep', since: 'x' }));
    await expect(acquireDirLock(dir, 'train')).rejects.toThrow(/in use by tfjs-tcl sweep \(pid 1 on host elsewhere, since x\); if that process is gone, delete/);
  });

  it('the lock is removed when its process exits, and left (stale) when it is SIGKILLed', async () => {
    const dir = tmp();
    const hold = (exit: string) =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { acquireDirLock } from ${JSON.stringify(LOCK_TS)};
        await acquireDirLock(${JSON.stringify(dir)}, 'train'); console.log('held'); ${exit}`]);
    const waitHeld = (c: ReturnType<typeof spawn>) => new Promise<void>((r) => c.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && r()));
    const clean = hold('process.exit(0);');
    await new Promise((r) => clean.on('exit', r));
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const killed = hold('setInterval(() => {}, 1000);');
    await waitHeld(killed);
    expect(dirLockHolder(dir)?.pid).toBe(killed.pid);
    killed.kill('SIGKILL');
    await new Promise((r) => killed.on('exit', r));
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(true);
    const lock = await acquireDirLock(dir, 'train');
    await lock.release();
  });

  it('`train --out DIR` into a directory another live process holds fails with one line naming it', async () => {
    const dir = tmp();
    const lock = await acquireDirLock(dir, 'sweep');
    try {
      const r = await promisify(execFile)(process.execPath, [BIN, 'train', '--method', 'ep', '--train-size', '40', '--test-size', '20', '--out', dir]).catch((e) => e);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`error: ${dir}: in use by tfjs-tcl sweep (pid ${process.pid} on host ${os.hostname()}, since ${lock.holder.since}); wait for it to finish or stop it`);
    } finally {
      await lock.release();
    }
  });
});
