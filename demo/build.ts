/**
 * Builds the browser demo into demo/dist: the page (demo/static), the app bundled with esbuild
 * from demo/src (which imports the library through src/browser.ts), the tfjs wasm binaries
 * served next to it, and the MNIST subset as a compact binary.
 *
 *   npx tsx demo/build.ts            # → demo/dist
 */
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { SUBSET, writeMnistSubset } from './mnist-subset.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
export const DIST = path.join(HERE, 'dist');
export const DATA_FILE = 'data/mnist-subset.bin';

/** src/ files import node:* only off the browser path; the bundle gets string-only stand-ins (node-shims.ts). */
const nodeShims: esbuild.Plugin = {
  name: 'node-shims',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, () => ({ path: path.join(HERE, 'node-shims.ts') }));
  },
};

export interface BuildResult {
  outDir: string;
  bundleBytes: number;
  dataBytes: number;
  ms: number;
}

export async function buildDemo(outDir: string = DIST): Promise<BuildResult> {
  const t0 = performance.now();
  await fsp.mkdir(path.join(outDir, 'wasm'), { recursive: true });
  const bundle = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(HERE, 'src/main.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    metafile: true,
    // tfjs-node is loaded only by backend.ts's Node branch (never in a browser).
    external: ['@tensorflow/tfjs-node'],
    // No `process` in a browser. src/perf's fused wasm kernels (and their worker threads) are a
    // Node-side speed-up: the browser takes the plain tfjs path, the reference they are tested against.
    define: { 'process.env.TFJS_TCL_FUSED': '"0"', 'process.env': '{}' },
    plugins: [nodeShims],
    logLevel: 'warning',
  });
  // Folders that read files or run the CLI stay out; src/data/pixels.ts is the one pure module there.
  const forbidden = Object.keys(bundle.metafile.inputs).filter((f) => /^src\/(io|cli|report|data)\//.test(f) && f !== 'src/data/pixels.ts');
  if (forbidden.length) throw new Error(`the browser bundle pulled in Node-only modules: ${forbidden.join(', ')}`);
  for (const f of await fsp.readdir(path.join(HERE, 'static'))) await fsp.copyFile(path.join(HERE, 'static', f), path.join(outDir, f));
  const require = createRequire(import.meta.url);
  const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const f of await fsp.readdir(wasmDir)) if (f.endsWith('.wasm')) await fsp.copyFile(path.join(wasmDir, f), path.join(outDir, 'wasm', f));
  const dataBytes = await writeMnistSubset(path.join(outDir, DATA_FILE), SUBSET.trainSize, SUBSET.testSize);
  const bundleBytes = (await fsp.stat(path.join(outDir, 'app.js'))).size;
  return { outDir, bundleBytes, dataBytes, ms: performance.now() - t0 };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const r = await buildDemo(process.argv[2] ? path.resolve(process.argv[2]) : DIST);
  const mb = (n: number) => (n / 1e6).toFixed(1) + ' MB';
  console.log(`demo built in ${(r.ms / 1000).toFixed(1)} s → ${path.relative(process.cwd(), r.outDir) || '.'} (app.js ${mb(r.bundleBytes)}, MNIST subset ${mb(r.dataBytes)})`);
}
