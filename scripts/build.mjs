#!/usr/bin/env node
/**
 * `npm run build`: compiles src/ into dist/ for the npm package (plain Node, no TypeScript loader).
 *
 *   1. tsc -p tsconfig.build.json → dist/**\/*.js, *.d.ts, *.js.map (the `.ts` import specifiers
 *      rewritten to `.js` by rewriteRelativeImportExtensions);
 *   2. the .d.ts files' relative `.ts` specifiers → `.js` too (tsc keeps them as written there;
 *      a consumer's TypeScript older than 5.x, or one without allowImportingTsExtensions, would
 *      not follow them);
 *   3. every non-TypeScript file under src/ (a .js/.mjs/.cjs child module, .json, .lua, .wasm …)
 *      copied to the same place under dist/, so that code locating files next to
 *      `import.meta.url` finds them in dist/ as in src/. Tests and kernels.as (compiled into
 *      src/perf/kernels-wasm.ts) are left out.
 *
 *   node scripts/build.mjs            # strict: exit 1 on a type error (npm run build)
 *   node scripts/build.mjs --prepare  # `prepare`: strict under npm pack / publish; under npm ci or
 *                                     # install (a clone, a git dependency) it emits and warns on a
 *                                     # type error, and skips when TypeScript is not installed, so
 *                                     # that the install itself never fails (npm run typecheck does)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
// npm sets npm_command to the command that runs the script: install/ci, or pack/publish.
const prepare = process.argv.includes('--prepare') && !['pack', 'publish'].includes(process.env.npm_command ?? '');

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (prepare) {
    console.warn('tfjs-tcl: TypeScript is not installed (npm ci --omit=dev?): dist/ not built; `npx tsx src/cli/main.ts` runs the sources');
    process.exit(0);
  }
  console.error('error: TypeScript is not installed (run npm ci)');
  process.exit(1);
}

const t0 = performance.now();
fs.rmSync(DIST, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
if (r.status !== 0) {
  const emitted = fs.existsSync(path.join(DIST, 'index.js'));
  if (!prepare || !emitted) {
    console.error(`error: tsc failed (exit ${r.status ?? r.signal}); dist/ is incomplete`);
    process.exit(1);
  }
  // tsc emits despite type errors; an install should not fail on one (`npm run typecheck` does).
  console.warn('tfjs-tcl: type errors above; dist/ was emitted anyway (npm run build fails on them)');
}

const TS_SPECIFIER = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\.([mc]?)ts\2/g;
const EXCLUDED = (f) => /\.test\.[cm]?[jt]s$/.test(f) || f.endsWith('.as') || f === 'data/test-fixtures.ts';
let copied = 0;
function walk(dir) {
  for (const e of fs.readdirSync(path.join(SRC, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) walk(rel);
    else if (!/\.[cm]?tsx?$/.test(e.name) && !EXCLUDED(rel)) {
      fs.mkdirSync(path.join(DIST, dir), { recursive: true });
      fs.copyFileSync(path.join(SRC, rel), path.join(DIST, rel));
      copied++;
    }
  }
}
walk('');

let dts = 0;
function fixDts(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) fixDts(f);
    else if (e.name.endsWith('.d.ts')) {
      const text = fs.readFileSync(f, 'utf8');
      const out = text.replace(TS_SPECIFIER, (_m, pre, q, spec, x) => `${pre}${q}${spec}.${x}js${q}`);
      if (out !== text) {
        fs.writeFileSync(f, out);
        dts++;
      }
    }
  }
}
fixDts(DIST);
console.log(`tfjs-tcl: built dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s (${dts} .d.ts specifiers fixed, ${copied} assets copied)`);
