#!/usr/bin/env node
// The `tfjs-tcl` command. Installed from npm it runs the compiled CLI (dist/) with plain node. In
// a checkout with the dev dependencies (src/ and tsx present) it runs the sources through tsx's
// ESM loader, so the command is always the code being edited; TFJS_TCL_DIST=1 forces dist/.
import fs from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let tsx = null;
if (process.env.TFJS_TCL_DIST !== '1' && fs.existsSync(source)) {
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    // no tsx (npm ci --omit=dev): the compiled CLI
  }
}
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (fs.existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
  await import('../dist/cli/main.js');
} else {
  process.stderr.write('error: dist/ is not built (run npm run build, or npm ci for the dev dependencies)\n');
  process.exit(1);
}
