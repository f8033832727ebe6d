/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser build), with the flags
 * this machine needs: headless, no sandbox as root, no GPU, no background network traffic
 * (Chromium's own connections are refused on a closed network). playwright-core starts every
 * launch with a fresh, empty --user-data-dir of its own (it refuses one passed in `args`).
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function haveChromium(): boolean {
  return fs.existsSync(CHROMIUM_PATH);
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Debian Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
