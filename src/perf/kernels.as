// Hot loops of the energy-based network, in AssemblyScript (a TypeScript dialect compiled to
// WebAssembly with 128-bit SIMD). Rebuild with `npx tsx src/perf/build-kernels.ts` after editing;
// the binary is embedded in kernels-wasm.ts. The module imports its memory: the engine (engine.ts)
// instantiates it on the tfjs wasm backend's own heap, so the kernels read and update tensors in
// place. All pointers are byte offsets into that heap; matrices are row-major float32.
// No allocation, no data segment: nothing here may write outside the buffers it is given.

/** C[m, :N] += alpha Σ_k A(m, k) B[k, :N], A(m, k) = A[m*sam + k*sak]; zero entries of A are skipped
 *  (pixels and clipped states are often exactly 0). Vectorised along N: use it when N is large. */
export function gemmAcc(C: usize, ldc: i32, A: usize, sam: i32, sak: i32, B: usize, ldb: i32, M: i32, K: i32, N: i32, alpha: f32): void {
  const N4 = N & ~3;
  for (let m = 0; m < M; m++) {
    const c = C + (<usize>(m * ldc) << 2);
    for (let k = 0; k < K; k++) {
      let a = load<f32>(A + (<usize>(m * sam + k * sak) << 2));
      if (a == 0) continue;
      a *= alpha;
      const va = f32x4.splat(a);
      const b = B + (<usize>(k * ldb) << 2);
      let n = 0;
      for (; n < N4; n += 4) {
        const o = <usize>n << 2;
        v128.store(c + o, f32x4.add(v128.load(c + o), f32x4.mul(va, v128.load(b + o))));
      }
      for (; n < N; n++) {
        const o = <usize>n << 2;
        store<f32>(c + o, load<f32>(c + o) + a * load<f32>(b + o));
      }
    }
  }
}

/** C[m, n] += alpha Σ_k A[m, k] Bt[n, k]  (Bt = Bᵀ, row-major N × K). Vectorised along K: use it when N is small. */
export function gemmDot(C: usize, ldc: i32, A: usize, lda: i32, Bt: usize, ldbt: i32, M: i32, K: i32, N: i32, alpha: f32): void {
  const K4 = K & ~3;
  for (let m = 0; m < M; m++) {
    const a = A + (<usize>(m * lda) << 2);
    for (let n = 0; n < N; n++) {
      const b = Bt + (<usize>(n * ldbt) << 2);
      let acc = f32x4.splat(0);
      let k = 0;
      for (; k < K4; k += 4) {
        const o = <usize>k << 2;
        acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
      }
      let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
      for (; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
      const c = C + (<usize>(m * ldc + n) << 2);
      store<f32>(c, load<f32>(c) + alpha * s);
    }
  }
}

/** dst[m, :] = row[:] for m < M (bias broadcast). */
export function broadcastRows(dst: usize, row: usize, M: i32, N: i32): void {
  const bytes = <usize>N << 2;
  for (let m = 0; m < M; m++) memory.copy(dst + <usize>m * bytes, row, bytes);
}

/** dst[:n] = src[:n]. */
export function copy(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

/** dst[:n] = a[:n] − b[:n]. */
export function sub(dst: usize, a: usize, b: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(a + o) - load<f32>(b + o));
  }
}

/** One relaxation step of a layer, in place on `drive`:
 *    next = clip((1 − eps) s + eps (drive − nudge (s − t)), 0, 1)
 *  (nudge = 2β for the output layer, 0 elsewhere; t is then unused). */
export function relaxUpdate(next: usize, s: usize, t: usize, n: i32, eps: f32, nudge: f32): void {
  const ve = f32x4.splat(eps);
  const vk = f32x4.splat(<f32>1 - eps);
  const vn = f32x4.splat(nudge);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const sv = v128.load(s + o);
    let d = v128.load(next + o);
    if (nudge != 0) d = f32x4.sub(d, f32x4.mul(vn, f32x4.sub(sv, v128.load(t + o))));
    const v = f32x4.add(f32x4.mul(vk, sv), f32x4.mul(ve, d));
    v128.store(next + o, f32x4.min(f32x4.max(v, zero), one));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const sv = load<f32>(s + o);
    let d = load<f32>(next + o);
    if (nudge != 0) d -= nudge * (sv - load<f32>(t + o));
    const v = (<f32>1 - eps) * sv + eps * d;
    store<f32>(next + o, v < 0 ? 0 : v > 1 ? 1 : v);
  }
}

/** dst[:N] += alpha Σ_m A[m, :N] (bias updates: alpha = lr/(β B)). */
export function addColumnSums(dst: usize, A: usize, M: i32, N: i32, alpha: f32): void {
  for (let n = 0; n < N; n++) {
    let s: f32 = 0;
    for (let m = 0; m < M; m++) s += load<f32>(A + (<usize>(m * N + n) << 2));
    const d = dst + (<usize>n << 2);
    store<f32>(d, load<f32>(d) + alpha * s);
  }
}

/**
 * TCL update of the input weights (DESIGN.md §3), for one nudging cycle, added in place to W.
 * With the input clamped, every weight's grid response is linear in the per-level Hebbian changes
 *   e_l[i, h] = Σ_b x[b, i] (H_l − H_{l−1})[b, h] / B,      l = 1 … S−1  (H_0 = free state)
 * so  u_j = Σ_l C[j, l] e_l  with C the cycle's grid map in this difference basis, and
 *   W[i, h] += scale · Σ_j w_j g(u_j),   g(u) = u if |u| ≥ θ else 0.
 * Per group of 4 hidden units the e_l stay in L1 and u never leaves registers. The grid is cut into
 * blocks; a block is skipped when its bound Σ_l A[blk, l] |e_l| (A = max over the block of |C|)
 * is below θ for all 4 units — exact, since then no u_j of the block passes the dead zone.
 *
 * rows: nR active input rows; rowStart[nR+1], nzB[], nzX[]: CSR of x (batch index, x/B) per row;
 * rowIndex[nR]: the row of W; dH: (S−1) × B × n1 level differences; coef: G × (S−1);
 * jLo/jHi: the nonzero range of each coef row; blkStart[nBlk+1], blkA: nBlk × (S−1), blkLo/blkHi;
 * wgt: G trapezoid weights; e: scratch 2 (S−1) × 4 floats; counts[0] += passing (weight, grid) pairs,
 * counts[1] += grid points computed.
 */
export function tclInputWeights(
  W: usize, n1: i32, scale: f32, theta: f32,
  nR: i32, rowIndex: usize, rowStart: usize, nzB: usize, nzX: usize,
  dH: usize, B: i32, S1: i32,
  coef: usize, jLo: usize, jHi: usize, wgt: usize,
  nBlk: i32, blkStart: usize, blkA: usize, blkLo: usize, blkHi: usize,
  e: usize, counts: usize,
): void {
  // coef, wgt and blkA hold each value splatted to 4 lanes (v128 tables); e holds e_l then |e_l|.
  const vth = f32x4.splat(theta);
  const levelStride = <usize>(B * n1) << 2;
  const absOff = <usize>S1 << 4;
  let passed: i64 = 0;
  let computed: i64 = 0;
  for (let r = 0; r < nR; r++) {
    const p0 = load<i32>(rowStart + (<usize>r << 2));
    const p1 = load<i32>(rowStart + (<usize>(r + 1) << 2));
    const wRow = W + (<usize>(load<i32>(rowIndex + (<usize>r << 2)) * n1) << 2);
    for (let h = 0; h < n1; h += 4) {
      // e_l = Σ_b x_b dH_l[b, h:h+4]
      const ho = <usize>h << 2;
      for (let l = 0; l < S1; l++) {
        let acc = f32x4.splat(0);
        const base = dH + <usize>l * levelStride + ho;
        for (let p = p0; p < p1; p++) {
          const b = load<i32>(nzB + (<usize>p << 2));
          acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(nzX + (<usize>p << 2))), v128.load(base + (<usize>(b * n1) << 2))));
        }
        v128.store(e + (<usize>l << 4), acc);
        v128.store(e + absOff + (<usize>l << 4), f32x4.abs(acc));
      }
      let sum = f32x4.splat(0);
      let cnt = i32x4.splat(0);
      for (let blk = 0; blk < nBlk; blk++) {
        // Bound on |u_j| over the block.
        let bound = f32x4.splat(0);
        const hi = load<i32>(blkHi + (<usize>blk << 2));
        const aRow = blkA + (<usize>(blk * S1) << 4);
        for (let l = load<i32>(blkLo + (<usize>blk << 2)); l < hi; l++) {
          bound = f32x4.add(bound, f32x4.mul(v128.load(aRow + (<usize>l << 4)), v128.load(e + absOff + (<usize>l << 4))));
        }
        if (!v128.any_true(f32x4.ge(bound, vth))) continue;
        const j0 = load<i32>(blkStart + (<usize>blk << 2));
        const j1 = load<i32>(blkStart + (<usize>(blk + 1) << 2));
        computed += j1 - j0;
        for (let j = j0; j < j1; j++) {
          let u = f32x4.splat(0);
          const cRow = coef + (<usize>(j * S1) << 4);
          const l1 = load<i32>(jHi + (<usize>j << 2));
          for (let l = load<i32>(jLo + (<usize>j << 2)); l < l1; l++) {
            u = f32x4.add(u, f32x4.mul(v128.load(cRow + (<usize>l << 4)), v128.load(e + (<usize>l << 4))));
          }
          const pass = f32x4.ge(f32x4.abs(u), vth);
          sum = f32x4.add(sum, f32x4.mul(v128.load(wgt + (<usize>j << 4)), v128.and(u, pass)));
          cnt = i32x4.sub(cnt, pass);
        }
      }
      passed += <i64>(i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3));
      const wp = wRow + ho;
      v128.store(wp, f32x4.add(v128.load(wp), f32x4.mul(f32x4.splat(scale), sum)));
    }
  }
  store<f64>(counts, load<f64>(counts) + <f64>passed);
  store<f64>(counts + 8, load<f64>(counts + 8) + <f64>computed);
}
