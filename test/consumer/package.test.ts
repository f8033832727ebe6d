/**
 * tfjs-tcl as a user gets it from npm: `npm run build`, `npm pack`, the tarball installed with
 * `--omit=dev` into a fresh project (so no tsx, TypeScript or vitest there), then
 *   (a) a plain .mjs script imports it, trains EP (and a little TCL, on the fused wasm kernels and
 *       their worker threads) and saves, loads back and evaluates;
 *   (b) `npx tfjs-tcl --help` and a one-epoch `train` with plain node;
 *   (c) `tsc --noEmit` on a consumer .ts file using the public types (and a wrong one fails);
 *   (d) esbuild bundles a page from the installed `tfjs-tcl/browser` + `@tensorflow/tfjs` that
 *       loads the model saved in (a) with tf.loadLayersModel and predicts; headless Chromium opens
 *       it with no console error and shows the same class as Node.
 * Packages come from the npm cache (--prefer-offline). The browser part skips, saying so, without
 * /usr/bin/chromium.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium } from '../../demo/chromium.ts';
import { serveDemo } from '../../demo/serve.ts';
import { tempDirs } from '../tmp-dirs.ts';

const run = promisify(execFile);
const tmp = tempDirs('tcl-consumer-');
const ROOT = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

/** The environment without the npm_* variables of the `npm test` that may be running us. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
delete env.TFJS_TCL_DIST;

function sh(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}) {
  return run(cmd, args, { cwd, env: { ...env, ...extra }, maxBuffer: 1 << 26, timeout: 240_000 });
}

interface PackFile {
  path: string;
  size: number;
}
interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackFile[];
}

/** Files a package must not carry: tests, test fixtures, the browser test's screenshots, sources, docs images. */
const NOT_SHIPPED = /(^|\/)(test|tests|__tests__|artifacts|demo|src|scripts|experiments|runs)\/|\.test\.|test-fixtures|\.png$|\.tsbuildinfo$/;

let project = '';
let pack: PackResult;
/** What the .mjs of (a) printed. */
let nodeRun: {
  backend: string;
  testError: number;
  reloadedError: number;
  image: number[];
  label: number;
  scores: number[];
  tclTestError: number;
  workers: number;
  kernelModules: number;
};

beforeAll(async () => {
  const t0 = performance.now();
  await sh(process.execPath, ['scripts/build.mjs'], ROOT);
  const out = tmp();
  const { stdout } = await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], ROOT);
  pack = (JSON.parse(stdout) as PackResult[])[0];
  project = tmp();
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  await sh('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(out, pack.filename)], project);
  console.log(`consumer project ready in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${pack.filename}, ${(pack.size / 1e3).toFixed(0)} kB packed, ${(pack.unpackedSize / 1e3).toFixed(0)} kB unpacked, ${pack.entryCount} files`);
}, 480_000);

describe('the packed package', () => {
  it('ships dist/, bin, presets, the dataset catalogue, README and LICENSE, and no test, source or screenshot', () => {
    const files = pack.files.map((f) => f.path);
    expect(files.filter((f) => NOT_SHIPPED.test(f))).toEqual([]);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/tfjs-tcl.js', 'datasets/catalogue.json', 'models/mnist-784-500-10.json', 'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/browser.js', 'dist/browser.d.ts', 'dist/cli/main.js']) {
      expect(files).toContain(f);
    }
    expect(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
  });

  it("matches the README's size and file count (within 25%: update the README's Install line when it drifts)", () => {
    const m = /tarball (\d+) kB, (\d+) files/.exec(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(m, 'README: "tarball N kB, M files"').toBeTruthy();
    const [kB, files] = [Number(m![1]), Number(m![2])];
    expect(Math.abs(pack.size / 1e3 - kB) / kB, `packed ${(pack.size / 1e3).toFixed(0)} kB, README ${kB} kB`).toBeLessThan(0.25);
    expect(Math.abs(pack.entryCount - files) / files, `${pack.entryCount} files, README ${files}`).toBeLessThan(0.25);
  });

  it('installs without the dev tools: no tsx, TypeScript, vitest, esbuild or playwright in the project', () => {
    for (const p of ['tsx', 'typescript', 'vitest', 'esbuild', 'playwright-core']) {
      expect(fs.existsSync(path.join(project, 'node_modules', p)), p).toBe(false);
    }
    // One tfjs for the page and the library (a peer dependency): a second copy would not know EnergyDense.
    expect(fs.existsSync(path.join(project, 'node_modules/@tensorflow/tfjs/package.json'))).toBe(true);
    expect(fs.existsSync(path.join(project, 'node_modules/tfjs-tcl/node_modules/@tensorflow'))).toBe(false);
  });

  it('(a) a plain .mjs imports it, trains EP one epoch on 500 images, saves, loads back: the same test error; TCL runs on the fused kernels and worker threads', async () => {
    fs.writeFileSync(
      path.join(project, 'train.mjs'),
      `// Counts worker threads and WebAssembly modules made, to see the fused kernels (src/perf) run from dist/.
import wt from 'node:worker_threads';
import { syncBuiltinESMExports } from 'node:module';
let workers = 0, kernelModules = 0;
const W = wt.Worker;
wt.Worker = class extends W { constructor(...a) { super(...a); workers++; } };
syncBuiltinESMExports();
WebAssembly.Module = new Proxy(WebAssembly.Module, { construct(t, a) { kernelModules++; return Reflect.construct(t, a); } });

const tf = await import('@tensorflow/tfjs');
const tcl = await import('tfjs-tcl');
const backend = (await tcl.initBackend()).name;
const data = await tcl.loadDataset({ dataset: 'mnist', split: 'paper', trainSize: 500, testSize: 500 });
const { net, summary } = await tcl.trainNetwork({ method: 'ep', data, epochs: 1, seed: 0 });
await tcl.saveNetwork(net, 'runs/ep', { method: 'ep' });
const { net: back } = await tcl.loadNetwork('runs/ep');
const reloadedError = tcl.evaluate(back, data.test).error;
const image = Array.from(data.test.images.subarray(0, 784));
const scores = Array.from(tf.tidy(() => back.predict(tf.tensor2d(image, [1, 784]))).dataSync());
const small = await tcl.loadDataset({ dataset: 'mnist', split: 'paper', trainSize: 100, testSize: 100 });
const tclRun = await tcl.trainNetwork({ method: 'tcl', data: small, epochs: 1, seed: 0 });
console.log(JSON.stringify({ backend, testError: summary.testError, reloadedError, image, label: data.test.labels[0], scores, tclTestError: tclRun.summary.testError, workers, kernelModules }));
`,
    );
    const { stdout } = await sh(process.execPath, ['train.mjs'], project);
    nodeRun = JSON.parse(stdout.trim().split('\n').at(-1)!);
    console.log(`installed package: EP 1 epoch, 500 images: test error ${nodeRun.testError} (reloaded ${nodeRun.reloadedError}) on ${nodeRun.backend}; TCL on 100: ${nodeRun.tclTestError}; ${nodeRun.workers} worker threads, ${nodeRun.kernelModules} kernel modules`);
    expect(nodeRun.backend).toBe('wasm'); // no tfjs-node here (an optional peer dependency)
    expect(nodeRun.testError).toBeLessThan(0.5); // one epoch on 500 images learns (untrained: ~0.9)
    expect(nodeRun.reloadedError).toBe(nodeRun.testError);
    expect(fs.existsSync(path.join(project, 'runs/ep/weights.safetensors'))).toBe(true);
    expect(nodeRun.scores).toHaveLength(10);
    expect(nodeRun.tclTestError).toBeLessThan(0.9);
    // The fused kernels compiled (tfjs-heap build + shared-memory build) and the TCL pool started its thread(s).
    expect(nodeRun.kernelModules).toBeGreaterThanOrEqual(2);
    expect(nodeRun.workers).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it('(b) `npx tfjs-tcl --help` and a one-epoch `train` run with plain node', async () => {
    const help = await sh('npx', ['tfjs-tcl', '--help'], project);
    expect(help.stdout).toMatch(/^Usage: tfjs-tcl/m);
    for (const cmd of ['train', 'compare', 'evaluate', 'export', 'synapse', 'datasets']) expect(help.stdout).toContain(cmd);
    const out = path.join(project, 'runs/cli');
    const train = await sh('npx', ['tfjs-tcl', 'train', '--method', 'ep', '--epochs', '1', '--train-size', '500', '--test-size', '200', '--out', out, '--json'], project);
    const r = JSON.parse(train.stdout.trim().split('\n').at(-1)!) as { testError: number; epochs: number; backend: string };
    expect(r.epochs).toBe(1);
    expect(r.testError).toBeLessThan(0.5);
    expect(fs.existsSync(path.join(out, 'model.json'))).toBe(true);
    // Bad input: one line, no stack trace, from the compiled CLI too.
    const bad = await sh('npx', ['tfjs-tcl', 'train', '--method', 'nope'], project).catch((e: { stderr: string; code: number }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stderr: string }).stderr.trim().split('\n')[0]).toMatch(/^error: .*nope/);
    expect((bad as { stderr: string }).stderr).not.toMatch(/\n\s+at /);
  }, 240_000);

  it('(c) tsc --noEmit passes on a consumer .ts using the public types, and fails on a wrong use of them', async () => {
    fs.writeFileSync(
      path.join(project, 'consumer.ts'),
      `import * as tf from '@tensorflow/tfjs';
import * as tcl from 'tfjs-tcl';
import type { EpochMetrics, Preset, TrainingMethod, TrainSummary } from 'tfjs-tcl';
import { energyNetwork, type EnergyNetwork } from 'tfjs-tcl/browser';

const preset: Preset = tcl.loadPreset('mnist-784-500-10');
const method: TrainingMethod = new tcl.EpMethod(preset.ep);
const net: EnergyNetwork = energyNetwork({ layers: [784, 500, 10], seed: 0 });
const line = (m: EpochMetrics): string => \`epoch \${m.epoch}: \${(100 * m.testError).toFixed(2)}%\`;
export async function main(): Promise<TrainSummary> {
  const { summary } = await tcl.trainNetwork({ method: method.name, epochs: 1, trainSize: 500, onEpoch: (m) => console.log(line(m)) });
  const y = net.predict(tf.zeros([1, 784])) as tf.Tensor;
  y.dispose();
  return summary;
}
`,
    );
    fs.writeFileSync(
      path.join(project, 'wrong.ts'),
      `import type { EpochMetrics, TrainSummary } from 'tfjs-tcl';
export const m: EpochMetrics = { epoch: 'one' };
export const method: TrainSummary['method'] = 'nope';
`,
    );
    // One tsc run over both files (tsc is slow here): consumer.ts must have no error, wrong.ts exactly its two.
    // skipLibCheck as most projects set it: tfjs 4.22's own .d.ts do not pass a library check.
    const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')] };
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts', 'wrong.ts'] }));
    const tsc = require.resolve('typescript/bin/tsc'); // the checkout's TypeScript; the project has none (--omit=dev)
    const r = await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], project).then(
      () => ({ stdout: '' }),
      (e: { stdout: string }) => e,
    );
    const errors = r.stdout.split('\n').filter((l) => /error TS/.test(l));
    expect(errors.filter((l) => !l.startsWith('wrong.ts'))).toEqual([]);
    // The types are real, not `any`: EpochMetrics' fields, and MethodName reached through TrainSummary (another .d.ts).
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^wrong\.ts\(2,\d+\): error TS2322/);
    expect(errors[1]).toMatch(/^wrong\.ts\(3,\d+\): error TS2322: Type '"nope"' is not assignable to type 'MethodName'/);
  }, 120_000);

  describe.skipIf(!haveChromium())('(d) in a browser', () => {
    it('esbuild bundles a page from tfjs-tcl/browser + @tensorflow/tfjs; Chromium loads the saved model with tf.loadLayersModel and shows the same prediction as Node, with no console error', async () => {
      expect(nodeRun, 'needs the model saved by (a)').toBeTruthy();
      const site = path.join(project, 'site');
      fs.mkdirSync(path.join(site, 'wasm'), { recursive: true });
      fs.cpSync(path.join(project, 'runs/ep'), path.join(site, 'model'), { recursive: true });
      const wasmDist = path.join(project, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
      for (const f of fs.readdirSync(wasmDist)) if (f.endsWith('.wasm')) fs.copyFileSync(path.join(wasmDist, f), path.join(site, 'wasm', f));
      fs.writeFileSync(path.join(site, 'image.json'), JSON.stringify(nodeRun.image));
      fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>tfjs-tcl</title><link rel="icon" href="data:,"><p id="out">loading…</p><script type="module" src="page.js"></script>\n');
      fs.writeFileSync(
        path.join(project, 'page.js'),
        `import * as tf from '@tensorflow/tfjs';
import * as tcl from 'tfjs-tcl/browser';

tcl.setWasmPaths(new URL('wasm/', location.href).href);
const backend = (await tcl.initBackend()).name;
const model = await tf.loadLayersModel('model/model.json');
const image = await (await fetch('image.json')).json();
const scores = tf.tidy(() => model.predict(tf.tensor2d(image, [1, 784])).dataSync());
const predicted = scores.indexOf(Math.max(...scores));
const out = document.getElementById('out');
out.textContent = \`predicted digit \${predicted} (\${backend}, \${model.constructor.name})\`;
out.dataset.scores = JSON.stringify(Array.from(scores));
document.body.dataset.predicted = String(predicted);
`,
      );
      // What a consumer would write: no plugins, no defines, no externals.
      await esbuild.build({ absWorkingDir: project, entryPoints: ['page.js'], outfile: path.join(site, 'page.js'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'silent' });
      const server = await serveDemo(site, 0);
      const browser = await launchChromium();
      const errors: string[] = [];
      try {
        const page = await browser.newPage();
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
        page.on('response', (r) => {
          if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
        });
        await page.goto(server.url);
        await page.waitForSelector('body[data-predicted]', { timeout: 90_000 }).catch(() => undefined);
        const text = await page.textContent('#out');
        const scores = JSON.parse((await page.getAttribute('#out', 'data-scores')) ?? '[]') as number[];
        console.log(`browser page: "${text}"; Node predicted ${nodeRun.scores.indexOf(Math.max(...nodeRun.scores))} (label ${nodeRun.label})`);
        expect(errors).toEqual([]);
        const argmax = nodeRun.scores.indexOf(Math.max(...nodeRun.scores));
        expect(text).toMatch(new RegExp(`^predicted digit ${argmax} \\((webgl|wasm|cpu), EnergyNetwork\\)$`));
        // Same relaxation of the same weights; only the backend's float arithmetic may differ.
        for (let i = 0; i < 10; i++) expect(Math.abs(scores[i] - nodeRun.scores[i])).toBeLessThan(1e-3);
      } finally {
        await browser.close();
        await server.close();
      }
    }, 180_000);
  });
});
