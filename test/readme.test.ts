/** The README's library example runs as written, and prints what it says it prints. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('the README library example runs as written', async () => {
  const readme = fs.readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Library'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code).toBeTruthy();
  expect(code!.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(15);
  // Inside the package so that `import 'tfjs-tcl'` resolves to this checkout; run from a temp dir.
  const dir = fs.mkdtempSync(path.join('test', '.readme-'));
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'tcl-readme-'));
  try {
    const file = path.resolve(dir, 'example.ts');
    fs.writeFileSync(file, code!);
    const { stdout } = await run(process.execPath, ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, file], { cwd, maxBuffer: 1 << 24 });
    expect(stdout).toMatch(/TCL test error \d+\.\d% \(wasm\)/);
    expect(stdout).toMatch(/same test error after reload: true/);
    expect(stdout).toMatch(/class scores/);
    const err = Number(/TCL test error (\d+\.\d)%/.exec(stdout)![1]);
    expect(err).toBeLessThan(30); // one epoch on 2,000 images learns (untrained: ~90%)
    expect(fs.existsSync(path.join(cwd, 'runs/my-tcl/weights.safetensors'))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});
