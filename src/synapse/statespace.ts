/**
 * Linear state-space synapses: `x' = A x + b s(t)`, `u = c . x`. The E. coli kernel and the
 * minimal integral-feedback loop are both of this form; `x` is what the synapse stores.
 *
 * Stepping is exact for a signal that is linear between grid points (first-order hold), via
 * the matrix exponential of an augmented system — no step-size error in the kernel, so dt
 * only sets how finely the signal is sampled and how finely `g(u)` is integrated.
 */

/** `x' = A x + b s`, `u = c . x` (dense, small: 2-3 states). */
export interface StateSpace {
  A: number[][];
  b: number[];
  c: number[];
}

/** One exact step of length dt: `x1 = Phi x0 + g0 s0 + g1 (s1 - s0)`. */
export interface Discretized {
  dt: number;
  Phi: number[][];
  g0: number[];
  g1: number[];
}

type Mat = number[][];

function zeros(n: number, m = n): Mat {
  return Array.from({ length: n }, () => new Array<number>(m).fill(0));
}

function matMul(X: Mat, Y: Mat): Mat {
  const n = X.length;
  const m = Y[0]!.length;
  const k = Y.length;
  const Z = zeros(n, m);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < k; l++) {
      const x = X[i]![l]!;
      if (x === 0) continue;
      for (let j = 0; j < m; j++) Z[i]![j]! += x * Y[l]![j]!;
    }
  }
  return Z;
}

/**
 * Matrix exponential by scaling and squaring with a Taylor series (fine for the small,
 * well-conditioned matrices here).
 *
 *   expm([[0, 1], [0, 0]])  // [[1, 1], [0, 1]]
 */
export function expm(M: Mat): Mat {
  const n = M.length;
  let norm = 0;
  for (const row of M) norm = Math.max(norm, row.reduce((a, v) => a + Math.abs(v), 0));
  const squarings = norm > 0.5 ? Math.ceil(Math.log2(norm / 0.5)) : 0;
  const scale = 2 ** -squarings;
  const X = M.map((row) => row.map((v) => v * scale));
  let term: Mat = zeros(n);
  for (let i = 0; i < n; i++) term[i]![i] = 1;
  const E: Mat = term.map((r) => r.slice());
  for (let k = 1; k <= 20; k++) {
    term = matMul(term, X).map((row) => row.map((v) => v / k));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) E[i]![j]! += term[i]![j]!;
  }
  let R = E;
  for (let s = 0; s < squarings; s++) R = matMul(R, R);
  return R;
}

/** Exact first-order-hold discretisation of `ss` for a step dt. */
export function discretize(ss: StateSpace, dt: number): Discretized {
  const n = ss.A.length;
  // Augmented state [x; s; m] with s' = m, m' = 0: exp(Aug dt) maps (x0, s0, m) to x(dt).
  const aug = zeros(n + 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) aug[i]![j] = ss.A[i]![j]! * dt;
    aug[i]![n] = ss.b[i]! * dt;
  }
  aug[n]![n + 1] = dt;
  const E = expm(aug);
  return {
    dt,
    Phi: E.slice(0, n).map((row) => row.slice(0, n)),
    g0: E.slice(0, n).map((row) => row[n]!),
    g1: E.slice(0, n).map((row) => row[n + 1]! / dt),
  };
}

/** Advances `x` in place by one step with the signal going linearly from s0 to s1. */
export function step(d: Discretized, x: number[], s0: number, s1: number): void {
  const n = x.length;
  const ds = s1 - s0;
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let v = d.g0[i]! * s0 + d.g1[i]! * ds;
    const row = d.Phi[i]!;
    for (let j = 0; j < n; j++) v += row[j]! * x[j]!;
    y[i] = v;
  }
  for (let i = 0; i < n; i++) x[i] = y[i]!;
}

/** `c . x`. */
export function readout(ss: StateSpace, x: number[]): number {
  let u = 0;
  for (let i = 0; i < x.length; i++) u += ss.c[i]! * x[i]!;
  return u;
}

/** Solves `M y = r` (Gaussian elimination with partial pivoting). */
export function solve(M: Mat, r: number[]): number[] {
  const n = M.length;
  const a = M.map((row, i) => [...row, r[i]!]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let i = col + 1; i < n; i++) if (Math.abs(a[i]![col]!) > Math.abs(a[piv]![col]!)) piv = i;
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    const p = a[col]![col]!;
    if (p === 0) throw new Error('singular matrix');
    for (let i = 0; i < n; i++) {
      if (i === col) continue;
      const f = a[i]![col]! / p;
      if (f === 0) continue;
      for (let j = col; j <= n; j++) a[i]![j]! -= f * a[col]![j]!;
    }
  }
  return a.map((row, i) => row[n]! / row[i]!);
}

/** The state a synapse holds after resting at a constant signal s: `x = -A^-1 b s`. */
export function restingState(ss: StateSpace, s: number): number[] {
  return solve(ss.A, ss.b.map((v) => -v * s));
}

/** Impulse response `c . exp(A t) b` (the kernel K(t) the state space implements). */
export function impulseResponse(ss: StateSpace, t: number): number {
  const E = expm(ss.A.map((row) => row.map((v) => v * t)));
  let k = 0;
  for (let i = 0; i < ss.c.length; i++) for (let j = 0; j < ss.b.length; j++) k += ss.c[i]! * E[i]![j]! * ss.b[j]!;
  return k;
}
