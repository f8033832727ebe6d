/** The README's library example runs as written, and prints what it says it prints. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { tempDirs } from './tmp-dirs.ts';

const tmp = tempDirs('tcl-readme-');

const run = promisify(execFile);

it('the README library example runs as written', async () => {
  const readme = fs.readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Library'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code).toBeTruthy();
  expect(code!.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(15);
  // Run from a temp dir whose node_modules links `tfjs-tcl` to this checkout (and tfjs to ours), as an installed package would be,
  // on the sources (the `tfjs-tcl-source` export condition; test/consumer/ runs the built package).
  const cwd = tmp();
  fs.mkdirSync(path.join(cwd, 'node_modules'));
  fs.symlinkSync(path.resolve('.'), path.join(cwd, 'node_modules', 'tfjs-tcl'), 'dir');
  fs.symlinkSync(path.resolve('node_modules/@tensorflow'), path.join(cwd, 'node_modules', '@tensorflow'), 'dir');
  fs.writeFileSync(path.join(cwd, 'package.json'), JSON.stringify({ type: 'module' }));
  const file = path.join(cwd, 'example.ts');
  fs.writeFileSync(file, code!);
  const { stdout } = await run(process.execPath, ['--conditions=tfjs-tcl-source', '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, file], { cwd, maxBuffer: 1 << 24 });
  expect(stdout).toMatch(/TCL test error \d+\.\d% \((node|wasm|cpu)\)/);
  expect(stdout).toMatch(/same test error after reload: true/);
  expect(stdout).toMatch(/class scores/);
  const err = Number(/TCL test error (\d+\.\d)%/.exec(stdout)![1]);
  expect(err).toBeLessThan(30); // one epoch on 2,000 images learns (untrained: ~90%)
  expect(fs.existsSync(path.join(cwd, 'runs/my-tcl/weights.safetensors'))).toBe(true);
});
