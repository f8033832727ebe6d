/** The `synapse` command, run in-process (the CLI file lives in src/cli/synapse.ts). */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { register } from '../cli/synapse.ts';
import { TclError } from '../errors.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command('tfjs-tcl').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: (s) => void (err += s), writeOut: () => {} });
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'tfjs-tcl', 'synapse', ...args]);
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  return { out, err };
}

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

describe('tfjs-tcl synapse', () => {
  it('--json prints dw and dwPerAmplitude for one cycle after adaptation, and the backend', async () => {
    const r = lastJson((await cli('--json')).out);
    expect(r.backend).toMatch(/^(node|wasm|cpu)$/);
    expect(r.dwPerAmplitude).toBeGreaterThan(0.93);
    expect(r.dwPerAmplitude).toBeLessThan(0.97);
    expect(r.dw).toBeCloseTo(50 * r.dwPerAmplitude, 9);
    expect(r.regime).toBe('window');
  });

  it('passes the knobs through (reversed protocol, linear g, minimal kernel with its dissipation)', async () => {
    expect(lastJson((await cli('--json', '--protocol', 'reversed')).out).dwPerAmplitude).toBeLessThan(-0.9);
    expect(Math.abs(lastJson((await cli('--json', '--g', 'linear', '--amplitude', '150')).out).dw)).toBeLessThan(0.1);
    const m = lastJson((await cli('--json', '--kernel', 'minimal', '--tau-k', '0.1')).out);
    expect(m.dissipation).toBeCloseTo(20, 6); // 4 / tau_v, tau_v = 2 tau_K
    expect(m.dissipationDetails.feedbackPower).toBe(m.dissipation);
  });

  it("--kernel esa --gamma G --json gives the ladder's entropy production as dissipation (DESIGN.md §3b's σ within 1%)", async () => {
    for (const [gamma, sigma] of [
      ['0.1', 1.76],
      ['0.01', 4.36],
      ['0.001', 6.67],
    ] as const) {
      const r = lastJson((await cli('--kernel', 'esa', '--gamma', gamma, '--json')).out);
      expect(Math.abs(r.dissipation / sigma - 1)).toBeLessThan(0.01);
      expect(r.solver).toBe('convolution');
    }
    // The same synapse in §3b's periodic steady state.
    const a = lastJson((await cli('--kernel', 'esa', '--json')).out);
    const p = lastJson((await cli('--kernel', 'esa', '--solver', 'periodic', '--json')).out);
    expect(Math.abs(p.dwPerAmplitude - a.dwPerAmplitude)).toBeLessThan(0.01 * Math.abs(a.dwPerAmplitude));
  });

  it('--figure dissipation writes CSV + SVG + PNG and reports a monotone, levelling offset', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tcl-synapse-'));
    dirs.push(dir);
    const r = lastJson((await cli('--figure', 'dissipation', '--json', '--out', dir)).out);
    expect(r.figure).toBe('dissipation');
    expect(r.monotone).toBe(true);
    const g01 = r.rows.find((x: { gamma: number }) => x.gamma === 0.1);
    expect(Math.abs(g01.lnOffset - -1.66)).toBeLessThan(0.05);
    expect((await fs.readdir(dir)).sort()).toEqual(['dissipation.csv', 'dissipation.png', 'dissipation.svg']);
  });

  it('rejects unknown values and misplaced options with one-line errors', async () => {
    await expect(cli('--gamma', '2', '--kernel', 'esa')).rejects.toBeInstanceOf(CommanderError);
    await expect(cli('--gamma', '0.1')).rejects.toThrow(/esa kernel/);
    await expect(cli('--kernel', 'esa', '--solver', 'ode')).rejects.toBeInstanceOf(TclError);
    await expect(cli('--figure', 'bogus')).rejects.toBeInstanceOf(CommanderError);
    await expect(cli('--figure', 'offset', '--kernel', 'esa')).rejects.toThrow(/--kernel does not apply/);
    await expect(cli('--figure', 'timescale', '--ligand', '100')).rejects.toThrow(/--ligand does not apply/);
    await expect(cli('--kernel', 'esa', '--sweep', 'tau-fast-over-tau-k=1:10:3')).rejects.toBeInstanceOf(TclError);
    await expect(cli('--kernel', 'bogus')).rejects.toBeInstanceOf(CommanderError);
    await expect(cli('--tau-k', '-1')).rejects.toBeInstanceOf(CommanderError);
    await expect(cli('--sweep', 'amplitude=5:1:10')).rejects.toBeInstanceOf(CommanderError);
    await expect(cli('--kernel', 'minimal', '--offset-gain', '0.5')).rejects.toBeInstanceOf(TclError);
    await expect(cli('--sweep', 'damping=0.5:2:3')).rejects.toThrow(/minimal/);
  });

  it('an amplitude sweep writes CSV + SVG + PNG and prints the learning window', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tcl-synapse-'));
    dirs.push(dir);
    const r = lastJson((await cli('--json', '--sweep', 'amplitude=2:200:200', '--out', dir)).out);
    expect(r.points).toBe(200);
    expect(r.window.ratio).toBeGreaterThan(8);
    expect(r.window.ratio).toBeLessThan(9.3);
    expect((await fs.readdir(dir)).sort()).toEqual(['dw-per-amplitude.png', 'dw-per-amplitude.svg', 'sweep-amplitude.csv']);
    const csv = (await fs.readFile(path.join(dir, 'sweep-amplitude.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('amplitude,dw,dw_per_amplitude');
    expect(csv.length).toBe(201);
  });

  it('a tau-fast-over-tau-k sweep of the minimal loop also plots quality against dissipation', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tcl-synapse-'));
    dirs.push(dir);
    const { out } = await cli('--json', '--kernel', 'minimal', '--sweep', 'tau-fast-over-tau-k=2:50:4', '--amplitudes', '3:200:60:log', '--out', dir);
    const r = lastJson(out);
    expect(r.rows.length).toBe(4);
    const d = r.rows.map((x: { dissipationPerCycle: number }) => x.dissipationPerCycle);
    const q = r.rows.map((x: { dwPerAmplitude: number }) => x.dwPerAmplitude);
    for (let i = 1; i < 4; i++) {
      expect(d[i]).toBeGreaterThan(d[i - 1]); // faster kernel: more dissipation …
      expect(q[i]).toBeGreaterThan(q[i - 1]); // … and better learning
    }
    const files = await fs.readdir(dir);
    for (const f of ['quality-vs-dissipation.png', 'window.png', 'dw-per-amplitude.png', 'sweep-tau-fast-over-tau-k.csv']) expect(files).toContain(f);
  });
});
