import { describe, expect, it } from 'vitest';
import { cycleSamples, makeProtocol } from './protocols.ts';

describe('cycleSamples (the trainers\' beta schedule)', () => {
  it('sawtooth: 9 levels up over the first 10% of the cycle, back down over the rest (DESIGN.md: 17 samples)', () => {
    const { times, betaRel } = cycleSamples('sawtooth', 9);
    expect(times.length).toBe(17);
    const want = [...Array.from({ length: 9 }, (_, i) => (0.1 * i) / 8), ...Array.from({ length: 8 }, (_, k) => 0.1 + (0.9 * (k + 1)) / 8)];
    times.forEach((t, i) => expect(t).toBeCloseTo(want[i]!, 12));
    expect(betaRel).toEqual([0, 1 / 8, 2 / 8, 3 / 8, 4 / 8, 5 / 8, 6 / 8, 7 / 8, 1, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8, 0]);
  });

  it('reversed: slow up over 90%, fast down; triangle: 50/50', () => {
    const r = cycleSamples('reversed', 9);
    expect(r.times[8]).toBeCloseTo(0.9, 12);
    expect(r.times[9]).toBeCloseTo(0.9 + 0.1 / 8, 12);
    expect(r.betaRel[8]).toBe(1);
    const t = cycleSamples('triangle', 5);
    expect(t.times).toEqual([0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1]);
    expect(t.betaRel).toEqual([0, 0.25, 0.5, 0.75, 1, 0.75, 0.5, 0.25, 0]);
  });

  it('honours fastFraction', () => {
    const t = cycleSamples('sawtooth', 3, 0.2).times;
    [0, 0.1, 0.2, 0.6, 1].forEach((v, i) => expect(t[i]).toBeCloseTo(v, 12));
  });
});

describe('protocols', () => {
  it('sawtooth: up to s_f + A in tau_f, back to s_f in tau_s, on any time grid', () => {
    const p = makeProtocol('sawtooth', { tauFast: 1, tauSlow: 9, amplitude: 50, baseline: 3 });
    expect(p.period).toBe(10);
    expect(Array.from(p.sample([-1, 0, 0.5, 1, 5.5, 10, 10.5]))).toEqual([3, 3, 28, 53, 28, 3, 28]);
    expect(p.slope(0.5)).toBe(50);
    expect(p.slope(2)).toBeCloseTo(-50 / 9, 12);
    expect(p.level(1)).toBe(1);
  });

  it('reversed and triangle swap / equalise the ramps', () => {
    const r = makeProtocol('reversed', { tauFast: 1, tauSlow: 9, amplitude: 9 });
    expect(r.signal(9)).toBe(9);
    expect(r.slope(9.5)).toBe(-9);
    const t = makeProtocol('triangle', { tauFast: 1, tauSlow: 9, amplitude: 10 });
    expect(t.signal(5)).toBe(10);
    expect(t.slope(1)).toBe(2);
    expect(t.slope(6)).toBe(-2);
  });

  it('breakpoints are the slope changes (they sum to the current slope)', () => {
    const p = makeProtocol('sawtooth', { tauFast: 1, tauSlow: 9, amplitude: 18 });
    const b = p.breakpoints(0, 25);
    expect(b.map((x) => x.time)).toEqual([0, 1, 10, 11, 20, 21]);
    const sum = b.filter((x) => x.time <= 12).reduce((a, x) => a + x.slopeChange, 0);
    expect(sum).toBeCloseTo(p.slope(12), 12);
  });

  it('random-sign draws ±1 per cycle, reproducibly from the seed', () => {
    const a = makeProtocol('random-sign', { tauFast: 1, tauSlow: 9, amplitude: 5, seed: 7 });
    const b = makeProtocol('random-sign', { tauFast: 1, tauSlow: 9, amplitude: 5, seed: 7 });
    const signs = Array.from({ length: 200 }, (_, c) => a.sign(c));
    expect(signs).toEqual(Array.from({ length: 200 }, (_, c) => b.sign(c)));
    expect(new Set(signs)).toEqual(new Set([1, -1]));
    const c = signs.findIndex((s) => s === -1);
    expect(a.signal(c * 10 + 1)).toBe(-5);
    const sum = a.breakpoints(0, c * 10 + 2).reduce((acc, x) => acc + x.slopeChange, 0);
    expect(sum).toBeCloseTo(a.slope(c * 10 + 2), 12);
  });
});
