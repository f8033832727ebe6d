import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TclError } from '../errors.ts';
import { fsOps, recoverInterruptedWrites, writeFileAtomic, writeFilesAtomic } from './atomic.ts';

let root: string;
let n = 0;
const realRename = fsOps.rename;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tcl-atomic-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});
afterEach(() => {
  fsOps.rename = realRename;
});

async function freshDir(): Promise<string> {
  const dir = path.join(root, `case-${n++}`);
  await fs.mkdir(dir);
  return dir;
}

async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await fs.readdir(dir)).sort()) out[name] = await fs.readFile(path.join(dir, name), 'utf8');
  return out;
}

const diskFull = () => Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC', syscall: 'rename' });

describe('writeFileAtomic', () => {
  it('creates parent directories and leaves only the target file', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'a', 'b', 'out.txt');
    await writeFileAtomic(file, 'hello');
    await writeFileAtomic(file, new Uint8Array([104, 105]));
    expect(await contents(path.dirname(file))).toEqual({ 'out.txt': 'hi' });
  });

  it('keeps the old file and removes its temp file when writing the data fails', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'keep.txt');
    await writeFileAtomic(file, 'old');
    // Not a string or bytes: the write of the temp file throws after the temp file was opened.
    await expect(writeFileAtomic(file, 42 as unknown as string)).rejects.toThrow();
    expect(await contents(dir)).toEqual({ 'keep.txt': 'old' });
  });

  it('keeps the old file when the final rename fails, and reports a one-line TclError naming it', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'keep.txt');
    await writeFileAtomic(file, 'old');
    fsOps.rename = async () => {
      throw diskFull();
    };
    await expect(writeFileAtomic(file, 'new')).rejects.toThrow(new TclError(`${file}: cannot write (ENOSPC: no space left on device)`));
    expect(await contents(dir)).toEqual({ 'keep.txt': 'old' });
  });

  it('refuses to write over a path whose parent is a file', async () => {
    const dir = await freshDir();
    await fs.writeFile(path.join(dir, 'plain'), 'x');
    await expect(writeFileAtomic(path.join(dir, 'plain', 'f.txt'), 'y')).rejects.toThrow(TclError);
  });
});

describe('writeFilesAtomic', () => {
  const oldSet = { 'weights.bin': 'old weights', 'model.json': 'old json' };
  const newSet = { 'weights.bin': 'new weights', 'model.json': 'new json' };

  it('replaces the set and keeps unrelated files in the directory', async () => {
    const dir = await freshDir();
    await fs.writeFile(path.join(dir, 'notes.txt'), 'mine');
    await writeFilesAtomic(dir, oldSet);
    await writeFilesAtomic(dir, newSet);
    expect(await contents(dir)).toEqual({ ...newSet, 'notes.txt': 'mine' });
  });

  it('never exposes a commit file next to weights of another version', async () => {
    const dir = await freshDir();
    await writeFilesAtomic(dir, oldSet);
    const seen: Record<string, string>[] = [];
    fsOps.rename = async (from, to) => {
      seen.push(await contents(dir));
      await realRename(from, to);
      seen.push(await contents(dir));
    };
    await writeFilesAtomic(dir, newSet);
    for (const state of seen) {
      if (!('model.json' in state)) continue; // no commit file: nothing loads
      const version = state['model.json'].split(' ')[0];
      expect(state['weights.bin']).toBe(`${version} weights`);
    }
    expect(seen.some((s) => !('model.json' in s))).toBe(true);
    expect(await contents(dir)).toEqual(newSet);
  });

  it('rolls back to the old set when a rename fails half-way', async () => {
    const dir = await freshDir();
    await writeFilesAtomic(dir, oldSet);
    fsOps.rename = async (from, to) => {
      if (from.endsWith('.ready') && path.basename(to) === 'model.json') throw diskFull(); // weights.bin already replaced
      await realRename(from, to);
    };
    await expect(writeFilesAtomic(dir, newSet)).rejects.toThrow(`${path.join(dir, 'model.json')}: cannot write (ENOSPC`);
    expect(await contents(dir)).toEqual(oldSet);
  });

  it('leaves no loadable mixture when the process dies between the renames', async () => {
    const dir = await freshDir();
    await writeFilesAtomic(dir, oldSet);
    // A child process writes the new set and is killed (exit without cleanup) right after
    // weights.bin has been renamed into place, before model.json is.
    const script = path.join(dir, '..', `crash-${n}.mts`);
    await fs.writeFile(
      script,
      `import path from 'node:path';
       import { fsOps, writeFilesAtomic } from ${JSON.stringify(new URL('./atomic.ts', import.meta.url).href)};
       const real = fsOps.rename;
       fsOps.rename = async (from, to) => {
         await real(from, to);
         if (from.endsWith('.tmp') && path.basename(to) === 'weights.bin') process.exit(3);
       };
       await writeFilesAtomic(${JSON.stringify(dir)}, ${JSON.stringify(newSet)});`,
    );
    const repoRoot = fileURLToPath(new URL('../../', import.meta.url)); // where `--import tsx` resolves
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot });
    await expect(run).rejects.toMatchObject({ code: 3 });

    const after = await contents(dir);
    expect(after['model.json']).toBeUndefined();
    expect(after['weights.bin']).toBe('new weights');
    // The old set survives under backup names, the new model.json under its temp name.
    const leftovers = Object.entries(after).filter(([name]) => name !== 'weights.bin');
    expect(leftovers.find(([name]) => /^\.model\.json\..*\.old$/.test(name))?.[1]).toBe('old json');
    expect(leftovers.find(([name]) => /^\.weights\.bin\..*\.old$/.test(name))?.[1]).toBe('old weights');
    expect(leftovers.find(([name]) => /^\.model\.json\..*\.ready$/.test(name))?.[1]).toBe('new json');
    // The next reader finishes the write: the new set, nothing else.
    const report = await recoverInterruptedWrites(dir);
    expect(report.rolledForward).toEqual([path.join(dir, 'model.json')]);
    expect(await contents(dir)).toEqual(newSet);
  });

  it('removes the temp files of the whole set when one file fails to write', async () => {
    const dir = await freshDir();
    await writeFilesAtomic(dir, oldSet);
    await expect(writeFilesAtomic(dir, { 'weights.bin': 'new', 'model.json': 7 as unknown as string })).rejects.toThrow();
    expect(await contents(dir)).toEqual(oldSet);
  });

  it('rejects names that are not plain file names', async () => {
    const dir = await freshDir();
    await expect(writeFilesAtomic(dir, { '../escape.txt': 'x' })).rejects.toThrow(TclError);
    await expect(writeFilesAtomic(dir, { 'a.txt': 'x' }, { commitFile: 'b.txt' })).rejects.toThrow(TclError);
    expect(await contents(dir)).toEqual({});
  });
});
