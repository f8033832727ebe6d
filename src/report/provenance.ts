/** What a report records about where it was produced: package versions and the machine. */
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';

/** Versions of tfjs-tcl, Node and the tfjs packages in use ('absent' when not installed). */
export function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const v = (name: string) => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return 'absent';
    }
  };
  return {
    'tfjs-tcl': (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
    node: process.version,
    '@tensorflow/tfjs': v('@tensorflow/tfjs'),
    '@tensorflow/tfjs-backend-wasm': v('@tensorflow/tfjs-backend-wasm'),
  };
}

export interface MachineInfo {
  cpus: number;
  cpu: string;
  memoryGB: number;
}

/** Cores, CPU model and memory of this machine. */
export function machine(): MachineInfo {
  return { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGB: Math.round(os.totalmem() / 2 ** 30) };
}
