/** The paper's figures against DESIGN.md §3b's reference values and the closed-form estimates it quotes. */
import { describe, expect, it } from 'vitest';
import { dissipationFigure, learningRangeFigure, offsetFigure, timescaleFigure } from './figures.ts';

describe("the paper's single-synapse figures (DESIGN.md §3b)", () => {
  it('Fig. 4C: t1/tau_K = 20 sits on the diagonal ln(A_max/A_min) = ln(t2/t1); t1/tau_K = 2 falls below and saturates', () => {
    const f = learningRangeFigure({ t1s: [0.1, 1], logRatios: [1, 2, 3, 5] });
    for (const r of f.rows.filter((r) => r.t1 === 1)) expect(Math.abs(r.lnRange - r.lnT2OverT1)).toBeLessThan(0.05);
    const short = f.rows.filter((r) => r.t1 === 0.1);
    for (const r of short) expect(r.lnRange).toBeLessThan(r.lnT2OverT1 - 0.4);
    expect(short.at(-1)!.lnRange).toBeLessThan(3.2); // ln(t2/t1) = 5
  });

  it('Fig. 5C: the offsets are 0.0125, 0.025, 0.06 at t1/tau_K = 20, 40, 96 within 10%, for t2 >= 30', () => {
    const f = offsetFigure({ t1s: [1, 2, 4.8], t2s: [30, 40] });
    const reference = [0.0125, 0.025, 0.06];
    f.intercepts.forEach((x, i) => {
      expect(x.n).toBe(2);
      expect(Math.abs(x.mean / reference[i]! - 1)).toBeLessThan(0.1);
    });
  });

  it('Fig. 6B: σ and ln|offset/<s>| at gamma = 0.1, 0.03, 0.01, 0.001 as §3b; the offset falls with σ and levels off', () => {
    const f = dissipationFigure({ gammas: [0.1, 0.03, 0.01, 0.001, 1e-5] });
    const reference = [
      [1.76, -1.66],
      [3.18, -2.85],
      [4.36, -3.64],
      [6.67, -4.36],
    ];
    reference.forEach(([sigma, ln], i) => {
      expect(Math.abs(f.rows[i]!.dissipation / sigma! - 1)).toBeLessThan(0.01);
      expect(Math.abs(f.rows[i]!.lnOffset - ln!)).toBeLessThan(0.05);
    });
    expect(f.monotone).toBe(true);
    expect(Math.abs(f.finalSlope)).toBeLessThan(0.05 * Math.abs(f.initialSlope));
  });

  it('Fig. 8: Δw/A rises with t1/tau_K as §3b lists (0.29 … 0.98)', () => {
    const t1s = [2.25, 4.3, 8.4, 20.69, 49.37, 155.9].map((x) => x * 0.05);
    const f = timescaleFigure({ t1s });
    [0.29, 0.67, 0.83, 0.92, 0.96, 0.98].forEach((v, i) => expect(Math.abs(f.rows[i]!.dwPerAmplitude - v)).toBeLessThan(0.01));
  });
});
