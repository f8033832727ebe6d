/**
 * Least-squares line fits for the figure analyses of DESIGN.md §3b: an ordinary line (Fig. 6B's
 * offset) and a continuous three-piece linear fit (Figs. 4C and 5C; the authors use the pwlf
 * package for it).
 *
 * The three-piece fit searches every pair of breakpoints on the sample points (each pair's fit is
 * a 4 x 4 normal-equation solve from suffix sums, O(1) per pair), then refines both breakpoints
 * between neighbouring samples by golden-section search — the continuous optimum pwlf aims at.
 */
export interface LineFit {
  slope: number;
  intercept: number;
}

/** Ordinary least squares y ≈ slope x + intercept. */
export function fitLine(x: ArrayLike<number>, y: ArrayLike<number>): LineFit {
  const n = x.length;
  if (n < 2 || y.length !== n) throw new RangeError(`a line fit needs >= 2 points of x and y, got ${n} and ${y.length}`);
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i]!;
    sy += y[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

export interface PiecewiseFit {
  /** [x_first, b1, b2, x_last]. */
  breaks: [number, number, number, number];
  /** Slope and y-intercept (value of the piece's line at x = 0) of each piece. */
  slopes: [number, number, number];
  intercepts: [number, number, number];
  /** Residual sum of squares. */
  sse: number;
}

interface Sums {
  x: Float64Array;
  /** Suffix sums from index a: count, Σx, Σx², Σy, Σxy. */
  c: Float64Array;
  sx: Float64Array;
  sxx: Float64Array;
  sy: Float64Array;
  sxy: Float64Array;
  syy: number;
}

function suffixSums(x: ArrayLike<number>, y: ArrayLike<number>): Sums {
  const n = x.length;
  const s: Sums = { x: Float64Array.from(x), c: new Float64Array(n + 1), sx: new Float64Array(n + 1), sxx: new Float64Array(n + 1), sy: new Float64Array(n + 1), sxy: new Float64Array(n + 1), syy: 0 };
  for (let i = n - 1; i >= 0; i--) {
    const xi = x[i]!;
    const yi = y[i]!;
    s.c[i] = s.c[i + 1]! + 1;
    s.sx[i] = s.sx[i + 1]! + xi;
    s.sxx[i] = s.sxx[i + 1]! + xi * xi;
    s.sy[i] = s.sy[i + 1]! + yi;
    s.sxy[i] = s.sxy[i + 1]! + xi * yi;
    s.syy += yi * yi;
  }
  return s;
}

/** First index with x > b. */
function after(x: Float64Array, b: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! <= b) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const scratch = new Float64Array(20);
const beta4 = new Float64Array(4);

/** Solves the 4 x 4 system in `scratch` (rows of 5: matrix | rhs) into beta4; false when singular. */
function solve4(): boolean {
  const a = scratch;
  for (let col = 0; col < 4; col++) {
    let piv = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(a[r * 5 + col]!) > Math.abs(a[piv * 5 + col]!)) piv = r;
    if (piv !== col) for (let c = 0; c < 5; c++) [a[col * 5 + c], a[piv * 5 + c]] = [a[piv * 5 + c]!, a[col * 5 + c]!];
    const p = a[col * 5 + col]!;
    if (!(Math.abs(p) > 1e-300)) return false;
    for (let r = col + 1; r < 4; r++) {
      const f = a[r * 5 + col]! / p;
      if (f !== 0) for (let c = col; c < 5; c++) a[r * 5 + c]! -= f * a[col * 5 + c]!;
    }
  }
  for (let r = 3; r >= 0; r--) {
    let v = a[r * 5 + 4]!;
    for (let c = r + 1; c < 4; c++) v -= a[r * 5 + c]! * beta4[c]!;
    beta4[r] = v / a[r * 5 + r]!;
  }
  return beta4.every(Number.isFinite);
}

/** Fit with basis 1, x, (x − b1)+, (x − b2)+ (i, j: first samples past b1, b2): SSE, coefficients in beta4 (Infinity when degenerate). */
function sseAt(s: Sums, b1: number, b2: number, i = after(s.x, b1), j = after(s.x, b2)): number {
  const p1 = s.sx[i]! - b1 * s.c[i]!; // Σ_{>b1} (x − b1)
  const p2 = s.sx[j]! - b2 * s.c[j]!;
  const xp1 = s.sxx[i]! - b1 * s.sx[i]!; // Σ x (x − b1)
  const xp2 = s.sxx[j]! - b2 * s.sx[j]!;
  const pp11 = s.sxx[i]! - 2 * b1 * s.sx[i]! + b1 * b1 * s.c[i]!;
  const pp12 = s.sxx[j]! - (b1 + b2) * s.sx[j]! + b1 * b2 * s.c[j]!;
  const pp22 = s.sxx[j]! - 2 * b2 * s.sx[j]! + b2 * b2 * s.c[j]!;
  const r0 = s.sy[0]!;
  const r1 = s.sxy[0]!;
  const r2 = s.sxy[i]! - b1 * s.sy[i]!;
  const r3 = s.sxy[j]! - b2 * s.sy[j]!;
  scratch.set([s.c[0]!, s.sx[0]!, p1, p2, r0, s.sx[0]!, s.sxx[0]!, xp1, xp2, r1, p1, xp1, pp11, pp12, r2, p2, xp2, pp12, pp22, r3]);
  if (!solve4()) return Infinity;
  return s.syy - (beta4[0]! * r0 + beta4[1]! * r1 + beta4[2]! * r2 + beta4[3]! * r3);
}

function golden(f: (b: number) => number, lo: number, hi: number, iters = 40): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let k = 0; k < iters; k++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}

/**
 * Continuous three-piece linear least-squares fit of y(x), x sorted ascending (>= 8 points).
 *
 *   fitThreePieces(x, y).breaks[2]   // where the third piece starts
 */
export function fitThreePieces(x: ArrayLike<number>, y: ArrayLike<number>): PiecewiseFit {
  const n = x.length;
  if (n < 8 || y.length !== n) throw new RangeError(`a three-piece fit needs >= 8 points of x and y, got ${n} and ${y.length}`);
  for (let i = 1; i < n; i++) if (!(x[i]! > x[i - 1]!)) throw new RangeError('x must increase strictly');
  const s = suffixSums(x, y);
  let best = { i: 1, j: 3, sse: Infinity };
  // Breakpoints on samples, at least two samples inside every piece.
  for (let i = 1; i < n - 3; i++) {
    for (let j = i + 2; j < n - 1; j++) {
      const sse = sseAt(s, s.x[i]!, s.x[j]!, i + 1, j + 1);
      if (sse < best.sse) best = { i, j, sse };
    }
  }
  let b1 = s.x[best.i]!;
  let b2 = s.x[best.j]!;
  for (let round = 0; round < 3; round++) {
    const lo1 = s.x[Math.max(0, after(s.x, b1) - 2)]!;
    const hi1 = Math.min(s.x[Math.min(n - 1, after(s.x, b1))]!, b2);
    b1 = golden((b) => sseAt(s, b, b2), lo1, hi1);
    const lo2 = Math.max(s.x[Math.max(0, after(s.x, b2) - 2)]!, b1);
    const hi2 = s.x[Math.min(n - 1, after(s.x, b2))]!;
    b2 = golden((b) => sseAt(s, b1, b), lo2, hi2);
  }
  let sse = sseAt(s, b1, b2);
  if (!(sse <= best.sse)) {
    b1 = s.x[best.i]!;
    b2 = s.x[best.j]!;
    sse = sseAt(s, b1, b2);
  }
  const [c0, c1, c2, c3] = Array.from(beta4) as [number, number, number, number];
  const slopes: [number, number, number] = [c1, c1 + c2, c1 + c2 + c3];
  const intercepts: [number, number, number] = [c0, c0 - c2 * b1, c0 - c2 * b1 - c3 * b2];
  return { breaks: [s.x[0]!, b1, b2, s.x[n - 1]!], slopes, intercepts, sse };
}
