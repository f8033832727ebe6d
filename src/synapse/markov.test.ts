import { expm as mathExpm, lusolve, matrix, type Matrix } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { entropyProduction, esaGenerator, esaKernel, steadyState } from './markov.ts';

/** DESIGN.md §3b's reference σ (k_B per chain time unit) at the s = 0 steady state. */
const REFERENCE_SIGMA: [number, number][] = [
  [0.1, 1.76],
  [0.03, 3.18],
  [0.01, 4.36],
  [0.001, 6.67],
];

/** The ladder written out from DESIGN.md §3b's sentence, independently of markov.ts: rate(from, to). */
function designRates(s: number, gamma: number, R = 25): (from: [string, number], to: [string, number]) => number {
  const dE = (m: number) => 2 * (1 - m) + Math.log((1 + s / 18.2) / (1 + s / 3000));
  return ([a, m], [b, n]) => {
    if (a === b && a === 'active') return n === m - 1 ? 1 : n === m + 1 ? Math.E * gamma : 0;
    if (a === b && a === 'inactive') return n === m + 1 ? 1 : n === m - 1 ? Math.E * gamma : 0;
    if (m !== n) return 0;
    return a === 'active' ? R * Math.exp(Math.max(dE(m), 0)) : R * Math.exp(Math.max(-dE(m), 0));
  };
}
const STATES: [string, number][] = [0, 1, 2, 3, 4].map((m) => ['active', m] as [string, number]).concat([0, 1, 2, 3, 4].map((m) => ['inactive', m] as [string, number]));

/** Steady state by mathjs's LU solve of W p = 0 with the last row replaced by sum p = 1. */
function mathSteadyState(W: number[][]): number[] {
  const M = W.map((r) => r.slice());
  M[M.length - 1] = M.map(() => 1);
  const b = M.map((_, i) => [i === M.length - 1 ? 1 : 0]);
  return (lusolve(M, b) as number[][]).map((r) => r[0]!);
}

describe('Markov-ladder (ESA) generator', () => {
  it('has the rates DESIGN.md §3b lists, columns summing to zero', () => {
    for (const [s, gamma] of [
      [0, 0.1],
      [200, 0.003],
    ] as const) {
      const W = esaGenerator(s, { gamma });
      const rate = designRates(s, gamma);
      for (let i = 0; i < 10; i++) {
        for (let j = 0; j < 10; j++) if (i !== j) expect(W[i]![j]).toBeCloseTo(rate(STATES[j]!, STATES[i]!), 12);
        expect(W.reduce((a, row) => a + row[i]!, 0)).toBeCloseTo(0, 10);
      }
    }
  });

  it('each plaquette multiplies to gamma² one way round over the other (detailed balance at gamma = 1)', () => {
    for (const gamma of [1, 0.1, 0.001]) {
      const W = esaGenerator(37, { gamma });
      for (let m = 0; m < 4; m++) {
        // active m -> active m+1 -> inactive m+1 -> inactive m -> active m, against the reverse.
        const a = (k: number) => k;
        const ia = (k: number) => 5 + k;
        const fwd = W[a(m + 1)]![a(m)]! * W[ia(m + 1)]![a(m + 1)]! * W[ia(m)]![ia(m + 1)]! * W[a(m)]![ia(m)]!;
        const bwd = W[ia(m)]![a(m)]! * W[ia(m + 1)]![ia(m)]! * W[a(m + 1)]![ia(m + 1)]! * W[a(m)]![a(m + 1)]!;
        expect(fwd / bwd).toBeCloseTo(gamma * gamma, 12);
      }
    }
  });

  it('steady state agrees with an independent LU solve (mathjs)', () => {
    for (const gamma of [0.5, 0.01, 1e-5]) {
      const W = esaGenerator(0, { gamma });
      const p = steadyState(W);
      const q = mathSteadyState(W);
      for (let i = 0; i < 10; i++) expect(p[i]).toBeCloseTo(q[i]!, 12);
    }
  });
});

describe('entropy production', () => {
  it("matches DESIGN.md §3b's σ within 1% at gamma = 0.1, 0.03, 0.01, 0.001", () => {
    for (const [gamma, sigma] of REFERENCE_SIGMA) {
      const got = entropyProduction(esaGenerator(0, { gamma }));
      expect(Math.abs(got / sigma - 1)).toBeLessThan(0.01);
    }
  });

  it('is zero at detailed balance (gamma = 1)', () => {
    expect(Math.abs(entropyProduction(esaGenerator(0, { gamma: 1 })))).toBeLessThan(1e-10);
  });

  it('equals Schnakenberg cycle form: the plaquette currents times their affinity ln(1/gamma²)', () => {
    // On the ladder each top edge (active m -> m+1) belongs to one plaquette only, so its net current
    // is that plaquette's cycle current; every plaquette has affinity 2 ln(1/gamma).
    for (const gamma of [0.3, 0.02, 1e-4]) {
      const W = esaGenerator(0, { gamma });
      const p = mathSteadyState(W);
      let cycles = 0;
      for (let m = 0; m < 4; m++) cycles += W[m + 1]![m]! * p[m]! - W[m]![m + 1]! * p[m + 1]!;
      expect(entropyProduction(W)).toBeCloseTo(-cycles * 2 * Math.log(1 / gamma), 9);
    }
  });
});

describe('ESA kernel', () => {
  /** P(active)(t) = 1_active exp(W t) p0 by mathjs's expm (Padé), independently of markov.ts's stepping. */
  function activeAt(gamma: number, t: number): number {
    const p0 = mathSteadyState(esaGenerator(0, { gamma }));
    const W = esaGenerator(200, { gamma });
    const E = (mathExpm(matrix(W.map((r) => r.map((v) => v * t)))) as Matrix).toArray() as number[][];
    let a = 0;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 10; j++) a += E[i]![j]! * p0[j]!;
    return a;
  }

  it('is minus the derivative of P(active) after the ligand step, averaged over each step (against mathjs expm)', () => {
    const gamma = 0.01;
    const k = esaKernel({ gamma });
    // Unnormalised kernel: −(P(t + step) − P(t)) / step at chain times t = i step, P from mathjs's expm.
    const d = (t: number) => -(activeAt(gamma, t + 5e-4) - activeAt(gamma, t)) / 5e-4;
    const ts = [0, 0.05, 0.5, 1.5, 3];
    const scale = k.samples[Math.round(ts[0]! / 5e-4)]! / d(ts[0]!);
    for (const t of ts.slice(1)) expect(k.samples[Math.round(t / 5e-4)]! / scale).toBeCloseTo(d(t), 5);
    expect(k.activeBefore).toBeCloseTo(activeAt(gamma, 0), 12);
    expect(k.activeAfter).toBeCloseTo(activeAt(gamma, 5), 9);
  });

  it('rescales time by 1/5, has first moment −1 while adapting, and its area is the unadapted drop of P(active)', () => {
    for (const gamma of [0.1, 0.001]) {
      const k = esaKernel({ gamma });
      expect(k.dt).toBeCloseTo(1e-4, 15);
      expect(k.samples.length).toBe(10000);
      expect(k.firstMoment).toBeCloseTo(-1, 9);
      // ∫K dt' = −(P(5) − P(0)) / 5 / |m1'| with m1' = ∫ t' dP/dt' dt' on the rescaled axis; check via the ratio area/|first moment|
      // against an independent trapezoid of the mathjs P(active) curve: ∫ t dP = t P| − ∫ P dt (integration by parts).
      // Trapezoids, fine over the fast switching transient at the start.
      let intP = 0;
      for (const [a, b, n] of [
        [0, 0.02, 200],
        [0.02, 5, 300],
      ] as const) {
        const h = (b - a) / n;
        for (let i = 0; i <= n; i++) intP += (i === 0 || i === n ? 0.5 : 1) * activeAt(gamma, a + i * h) * h;
      }
      const P0 = activeAt(gamma, 0);
      const P5 = activeAt(gamma, 5);
      const m1Chain = 5 * P5 - intP; // ∫_0^5 t dP/dt dt
      const areaExpected = (-(P5 - P0) / 5) / Math.abs(m1Chain / 25);
      expect(Math.abs(k.area / areaExpected - 1)).toBeLessThan(0.002);
    }
  });

  it('adapts better with more dissipation: the area left falls as gamma falls', () => {
    const areas = [0.1, 0.01, 0.001].map((gamma) => esaKernel({ gamma }).area);
    expect(areas[1]).toBeLessThan(areas[0]!);
    expect(areas[2]).toBeLessThan(areas[1]!);
  });

  it('refuses gamma outside (0, 1] and a non-positive ligand step', () => {
    expect(() => esaKernel({ gamma: 0 })).toThrow(/gamma/);
    expect(() => esaKernel({ gamma: 1.5 })).toThrow(/gamma/);
    expect(() => esaKernel({ gamma: 0.1, ligand: 0 })).toThrow(/ligand/);
  });
});
