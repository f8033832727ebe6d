/**
 * The browser demo in real Chromium: build the page, serve it on localhost, drive Debian's
 * Chromium (headless, playwright-core; no browser download) through a short TCL and EP training
 * and the synapse explorer. Screenshots of both tabs land in test/browser/artifacts/.
 * Skips, saying so, when /usr/bin/chromium is missing (.ci/run installs it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../../demo/build.ts';
import { CHROMIUM_PATH, haveChromium, launchChromium } from '../../demo/chromium.ts';
import { serveDemo, type DemoServer } from '../../demo/serve.ts';
import { initBackend } from '../../src/backend.ts';
import { trainNetwork } from '../../src/training/train.ts';
import { tempDirs } from '../tmp-dirs.ts';

const tmp = tempDirs('tcl-demo-');

const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
/** A short run: the first 600 images of the paper split, one epoch, seed 0, 500 test images. */
const SHORT = { trainSize: 600, testSize: 500, epochs: 1, seed: 0 };

const available = haveChromium();
if (!available) console.warn(`browser test skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium; .ci/run installs it)`);

type Curve = [seen: number, error: number][];

describe.skipIf(!available)('the demo page in headless Chromium', () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const offsite: string[] = [];

  beforeAll(async () => {
    const built = await buildDemo(tmp());
    server = await serveDemo(built.outDir, 0);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(server.url) && !/^(data|blob):/.test(u)) offsite.push(u);
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Starts a run from the page's controls and waits until it is done; returns its row's numbers. */
  async function trainInPage(method: string, id: number, during?: () => Promise<void>) {
    await page.selectOption('#method', method);
    await page.fill('#train-size', String(SHORT.trainSize));
    await page.fill('#epochs', String(SHORT.epochs));
    await page.fill('#seed', String(SHORT.seed));
    await page.fill('#eval-every', '200');
    await page.click('#train');
    const row = `#runs tr[data-run="${id}"]`;
    await during?.();
    await page.waitForSelector(`${row}[data-status=done], ${row}[data-status=failed]`, { timeout: 240_000 });
    expect(await page.getAttribute(row, 'data-status')).toBe('done');
    const curve = JSON.parse((await page.getAttribute(row, 'data-test')) as string) as Curve;
    const epochTest = JSON.parse((await page.getAttribute(row, 'data-epoch-test')) as string) as number[];
    const shown = (await page.textContent(`${row} td.test-now`)) as string;
    return { curve, epochTest, shown };
  }

  /** The same run through the library's trainNetwork, as `tfjs-tcl train` does it. */
  async function trainInNode(method: 'tcl' | 'ep') {
    await initBackend();
    const { summary } = await trainNetwork({ method, split: 'paper', ...SHORT });
    return summary.testError;
  }

  it('trains TCL (stopped and resumed midway) and EP: the test error shown falls and matches the CLI on the same subset and seed', async () => {
    const tcl = await trainInPage('tcl', 1, async () => {
      // Stop after the first test point past 0 images, check that nothing moves, resume.
      await page.waitForFunction(() => (JSON.parse(document.querySelector('#runs tr[data-run="1"]')?.getAttribute('data-test') ?? '[]') as number[][]).length >= 2);
      await page.click('#pause');
      await page.waitForSelector('#panel-train[data-state=paused]');
      const seen = await page.textContent('#runs tr[data-run="1"] td.seen');
      await page.waitForTimeout(700);
      expect(await page.textContent('#runs tr[data-run="1"] td.seen')).toBe(seen);
      expect(await page.textContent('#pause')).toBe('Resume');
      await page.click('#pause');
    });
    const ep = await trainInPage('ep', 2);
    // Finished runs free their networks: no tensor is left behind.
    await expect.poll(() => page.textContent('#train-status')).toMatch(/^Idle · tensors 0$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-train.png') });

    for (const r of [tcl, ep]) {
      const first = r.curve[0];
      const last = r.curve.at(-1) as [number, number];
      expect(first[0]).toBe(0);
      expect(last[0]).toBe(SHORT.trainSize);
      expect(first[1]).toBeGreaterThan(0.7); // untrained: about chance
      expect(last[1]).toBeLessThan(0.5);
      expect(last[1]).toBeLessThan(first[1] - 0.3);
      expect(r.shown).toBe(`${(100 * last[1]).toFixed(1)}%`);
      expect(r.epochTest).toEqual([last[1]]);
    }
    const [tclNode, epNode] = [await trainInNode('tcl'), await trainInNode('ep')];
    console.log(`600 images, seed 0, test on 500: TCL browser ${tcl.epochTest[0]} vs Node ${tclNode}; EP browser ${ep.epochTest[0]} vs Node ${epNode}`);
    // Same code, data and seed; only the backend's float arithmetic may differ (one test image = 0.002).
    expect(Math.abs(tcl.epochTest[0] - tclNode)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(ep.epochTest[0] - epNode)).toBeLessThanOrEqual(0.03);
  }, 300_000);

  it('redraws the synapse plots when a slider moves', async () => {
    await page.click('#tab-synapse');
    await page.waitForSelector('#panel-synapse:not([hidden]) path.syn-u');
    const before = { u: await page.getAttribute('path.syn-u', 'd'), dwa: Number(await page.textContent('#syn-dwa')) };
    expect(before.dwa).toBeGreaterThan(0.9); // DESIGN.md §3's reference synapse: Δw/A ≈ 0.95 at A = 50
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-synapse.png') });
    await page.fill('#syn-amplitude', '250'); // A = 1000^0.25 ≈ 5.6 < θ τ_f: inside the dead zone
    await expect.poll(() => page.getAttribute('path.syn-u', 'd')).not.toBe(before.u);
    expect(Math.abs(Number(await page.textContent('#syn-dwa')))).toBeLessThan(0.05);
    await page.selectOption('#syn-protocol', 'reversed');
    await page.fill('#syn-amplitude', '566'); // A ≈ 50 again, reversed sawtooth: Δw flips sign
    await expect.poll(async () => Number(await page.textContent('#syn-dwa'))).toBeLessThan(-0.5);
  });

  it('offers the esa kernel with a γ slider and shows its entropy production σ (DESIGN.md §3b)', async () => {
    await page.selectOption('#syn-kernel', 'esa');
    await page.waitForSelector('#syn-sigma');
    // γ = 1e-5 · 10^(5 x/1000): x = 800 → γ = 0.1 (σ 1.76), x = 400 → γ = 0.001 (σ 6.67).
    await page.fill('#syn-gamma', '800');
    await expect.poll(async () => Number(await page.textContent('#syn-sigma'))).toBeCloseTo(1.76, 1);
    await page.fill('#syn-gamma', '400');
    await expect.poll(async () => Number(await page.textContent('#syn-sigma'))).toBeCloseTo(6.67, 1);
    expect(await page.isDisabled('#syn-tauK')).toBe(true);
    await page.selectOption('#syn-kernel', 'ecoli');
    await expect.poll(() => page.$('#syn-sigma')).toBeNull();
  });

  it('logged no console error and fetched nothing from outside localhost', () => {
    expect(consoleErrors).toEqual([]);
    expect(offsite).toEqual([]);
  });
});
