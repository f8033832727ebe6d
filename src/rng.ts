/**
 * The project's one seeded PRNG (mulberry32): same seed → same shuffles, beta signs and random
 * protocols on every backend.
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9;
  }

  /** An Rng that starts from the raw mulberry32 state `state` (no seed scrambling). */
  static fromState(state: number): Rng {
    const r = new Rng(0);
    r.snapshot = state;
    return r;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** ±1 with equal probability. */
  sign(): number {
    return this.next() < 0.5 ? -1 : 1;
  }
  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
  /** The full state, for checkpoints. */
  get snapshot(): number {
    return this.state;
  }
  set snapshot(s: number) {
    this.state = s >>> 0;
  }
}
