/**
 * Trains TCL, EP, the reversed sawtooth and backprop in the page (headless Debian Chromium) and
 * saves the two README screenshots, docs/demo-train.png and docs/demo-synapse.png; prints each
 * run's end-of-epoch test error.
 *
 *   npx tsx demo/screenshots.ts [--train-size 3000] [--epochs 1] [--out docs] [--raw]
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildDemo } from './build.ts';
import { launchChromium } from './chromium.ts';
import { serveDemo } from './serve.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const trainSize = arg('--train-size', '3000');
const epochs = arg('--epochs', '1');
const out = path.resolve(arg('--out', 'docs'));

const built = await buildDemo();
const server = await serveDemo(built.outDir, 0);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && console.error('page console error:', m.text()));
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready=true]');
  await page.fill('#train-size', trainSize);
  await page.fill('#epochs', epochs);
  const t0 = Date.now();
  await page.click('#compare');
  await page.waitForFunction(() => document.querySelectorAll('#runs tr[data-status=done]').length === 4, null, { timeout: 3_600_000, polling: 1000 });
  console.log(`backend: ${await page.textContent('#backend')}; all four runs in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const row of await page.$$('#runs tbody tr')) {
    const cells = await row.$$eval('td', (tds) => tds.map((td) => td.textContent));
    console.log(`  ${cells[0]}: ${cells[1]} — test error after each epoch ${cells[5]} (${cells[6]})`);
  }
  // Show TCL's first-layer weights beside the curves.
  await page.click('#runs tr[data-run="1"]');
  if (process.argv.includes('--raw')) await page.uncheck('#weights-delta');
  await page.waitForTimeout(300);
  fs.mkdirSync(out, { recursive: true });
  await page.screenshot({ path: path.join(out, 'demo-train.png') });
  await page.click('#tab-synapse');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'demo-synapse.png') });
  console.log(`screenshots in ${path.relative(process.cwd(), out)}/demo-train.png, demo-synapse.png`);
} finally {
  await browser.close();
  await server.close();
}
