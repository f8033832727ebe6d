import { describe, expect, it } from 'vitest';
import { ecoliKernel, ecoliKernelValue, firGain, firKernel, firSynapseKernel, kernelArea, kernelValue, memoryTime, minimalKernel, rampTail, rampTailValue, stateSpace } from './kernels.ts';
import { discretize, expm, impulseResponse, restingState, step, readout, type StateSpace } from './statespace.ts';

/** The ODE's impulse response c exp(A t) b sampled at i h, i = 0..n, by repeated multiplication with exp(A h). */
function sampledImpulseResponse(ss: StateSpace, h: number, n: number): Float64Array {
  const Phi = expm(ss.A.map((row) => row.map((v) => v * h)));
  const out = new Float64Array(n + 1);
  let x = ss.b.slice();
  for (let i = 0; i <= n; i++) {
    out[i] = ss.c.reduce((a, c, j) => a + c * x[j]!, 0);
    x = Phi.map((row) => row.reduce((a, v, j) => a + v * x[j]!, 0));
  }
  return out;
}

/** Simpson's rule on samples y_0..y_n (n even) spaced h. */
function simpsonSamples(y: ArrayLike<number>, h: number, from = 0, to = y.length - 1): number {
  let s = y[from]! + y[to]!;
  for (let i = from + 1; i < to; i++) s += ((i - from) % 2 ? 4 : 2) * y[i]!;
  return (s * h) / 3;
}

/** Composite Simpson rule of f on [a, b] with n (even) intervals. */
function simpson(f: (t: number) => number, a: number, b: number, n = 20000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

/** DESIGN.md §3's closed form, written out here independently of the code. */
function designKernel(tauK: number, I: number): (t: number) => number {
  const B = 1 / tauK;
  const a = 3 * I * B * B + B ** 3;
  const c = (B * B + 2 * B * I) / (6 * I + 2 * B);
  return (t) => (t < 0 ? 0 : a * Math.exp(-B * t) * (t - c * t * t));
}

describe('E. coli kernel', () => {
  for (const [tauK, I] of [
    [0.05, 0],
    [0.05, 0.5],
    [0.2, 2],
  ] as const) {
    it(`has int K = I and int t K = -1 to 1e-3 (tau_K ${tauK}, I ${I})`, () => {
      const k = ecoliKernel(tauK, I);
      const T = 60 * tauK;
      expect(Math.abs(simpson((t) => ecoliKernelValue(k, t), 0, T) - I)).toBeLessThan(1e-3);
      expect(Math.abs(simpson((t) => t * ecoliKernelValue(k, t), 0, T) + 1)).toBeLessThan(1e-3);
      expect(kernelArea(k)).toBe(I);
    });

    it(`the 3-variable z-chain ODE has exactly the closed-form kernel as impulse response (tau_K ${tauK}, I ${I})`, () => {
      const k = ecoliKernel(tauK, I);
      const ss = stateSpace(k);
      const K = designKernel(tauK, I);
      const scale = Math.max(...Array.from({ length: 100 }, (_, i) => Math.abs(K((i * tauK) / 10))));
      for (const t of [0, 0.3, 1, 2, 2.5, 4, 8].map((x) => x * tauK)) {
        expect(Math.abs(impulseResponse(ss, t) - K(t)) / scale).toBeLessThan(1e-9);
        expect(Math.abs(kernelValue(k, t) - K(t)) / scale).toBeLessThan(1e-12);
      }
    });
  }

  it('the z-chain stepped in time reproduces the closed-form convolution for a smooth signal', () => {
    const k = ecoliKernel(0.05, 0.3);
    const ss = stateSpace(k);
    const dt = 0.002;
    const d = discretize(ss, dt);
    const s = (t: number) => Math.sin(3 * t) + 0.5 * t;
    const x = restingState(ss, 0);
    let t = 0;
    for (; t < 1 - 1e-12; t += dt) step(d, x, s(t), s(t + dt));
    // u(1) = int_0^1 K(tau) s(1 - tau) dtau (the signal is 0 before t = 0), by Simpson in the test.
    const K = designKernel(0.05, 0.3);
    const direct = simpson((tau) => K(tau) * s(1 - tau), 0, 1, 40000);
    expect(Math.abs(readout(ss, x) - direct)).toBeLessThan(1e-3 * Math.abs(direct) + 1e-4);
  });

  it('resting at a constant signal s gives u = I s (imperfect adaptation only through I)', () => {
    for (const I of [0, 0.4]) {
      const k = ecoliKernel(0.1, I);
      const ss = stateSpace(k);
      expect(readout(ss, restingState(ss, 7))).toBeCloseTo(7 * I, 9);
    }
  });
});

describe('minimal integral-feedback kernel', () => {
  for (const zeta of [0.5, 1, 2]) {
    it(`adapts perfectly and acts as d/dt: int K = 0, int t K = -1 (damping ${zeta})`, () => {
      const k = minimalKernel(0.1, zeta);
      const h = 1e-4;
      const n = 2 * Math.round((40 * memoryTime(k)) / h / 2);
      const K = sampledImpulseResponse(stateSpace(k), h, n);
      expect(Math.abs(simpsonSamples(K, h))).toBeLessThan(1e-3);
      expect(Math.abs(simpsonSamples(K.map((v, i) => v * i * h), h) + 1)).toBeLessThan(1e-3);
      // the closed form used elsewhere agrees with the ODE
      for (const i of [0, 100, 1000, 3000]) expect(kernelValue(k, i * h)).toBeCloseTo(K[i]!, 6);
    });
  }

  it('critical damping gives K(t) = e^{-t/tau}(1 - t/tau)/tau^2', () => {
    const tau = 0.05;
    const k = minimalKernel(tau, 1);
    for (const t of [0, 0.01, 0.05, 0.1, 0.3]) expect(kernelValue(k, t)).toBeCloseTo((Math.exp(-t / tau) * (1 - t / tau)) / tau ** 2, 6);
  });

  it('a constant signal leaves u = 0 at rest (v absorbs it)', () => {
    const ss = stateSpace(minimalKernel(0.1));
    const x = restingState(ss, 42);
    expect(readout(ss, x)).toBeCloseTo(0, 12);
    expect(x[1]).toBeCloseTo(42, 9);
  });
});

describe('ramp tails (the closed-form path of the batched simulator)', () => {
  const kernels = [ecoliKernel(0.05), ecoliKernel(0.1, 0.7), minimalKernel(0.1, 0.4), minimalKernel(0.1, 1), minimalKernel(0.1, 2.5)];
  for (const k of kernels) {
    it(`T(x) = int_x^inf K(t)(x - t) dt, K from the ODE (${k.kind} ${JSON.stringify(k)})`, () => {
      const T = rampTail(k);
      const h = 2.5e-4;
      const n = 2 * Math.round((40 * memoryTime(k) + 0.4) / h / 2);
      const K = sampledImpulseResponse(stateSpace(k), h, n);
      for (const x of [0, 0.02, 0.05, 0.1, 0.2, 0.4]) {
        const i0 = Math.round(x / h);
        const direct = simpsonSamples(K.map((v, i) => v * (x - i * h)), h, i0, n - ((n - i0) % 2));
        expect(Math.abs(rampTailValue(T, x) - direct)).toBeLessThan(1e-6);
      }
    });
  }
});

describe('FIR kernel', () => {
  it('is the ten taps sin(2 pi k / 10) / 3, summing to zero', () => {
    const taps = firKernel();
    expect(taps.length).toBe(10);
    for (let k = 0; k < 10; k++) expect(taps[k]).toBeCloseTo(Math.sin((2 * Math.PI * k) / 10) / 3, 7);
    expect(Math.abs(taps.reduce((a, v) => a + v, 0))).toBeLessThan(1e-6);
  });

  it('is normalised so that sum gain K_k (k h) = -1 (u ≈ ds/dt)', () => {
    const k = firSynapseKernel(0.03);
    const gain = firGain(k);
    let m1 = 0;
    for (let i = 0; i < 10; i++) m1 += gain * k.taps[i]! * i * 0.03;
    expect(m1).toBeCloseTo(-1, 6);
    // the authors' step response: -sum k K_k = 5.1295
    expect(-k.taps.reduce((a, v, i) => a + i * v, 0)).toBeCloseTo(5.12947, 4);
  });
});
