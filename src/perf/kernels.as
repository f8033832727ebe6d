// Hot loops of the energy-based network, in AssemblyScript (a TypeScript dialect compiled to
// WebAssembly with 128-bit SIMD). Rebuild with `npx tsx src/perf/build-kernels.ts` after editing;
// the binary is embedded in kernels-wasm.ts. The module imports its memory: the engine (engine.ts)
// instantiates it on the tfjs wasm backend's own heap, so the kernels read and update tensors in
// place. All pointers are byte offsets into that heap; matrices are row-major float32.
// No allocation, no data segment: nothing here may write outside the buffers it is given.

/** Terms of a product taken together: a block of KB consecutive k (`addBlock`). */
const KB = 8;

/** C[m, :N] += alpha Σ_k A(m, k) B[k, :N], A(m, k) = A[m*sam + k*sak]; zero entries of A are skipped
 *  (pixels and clipped states are often exactly 0). Vectorised along N: use it when N is large.
 *  m outer, blocks of k inner (`addBlock`): for the updates' shapes (M = fan-in, K = batch), where
 *  the row of C stays in L1 while its blocks are added. Every C[m, n] adds the nonzero terms in
 *  the order k = 0, 1, …, each rounded as c + (alpha·a)·b: the bits of the plain loop (and of `gemmAccK`). */
export function gemmAcc(C: usize, ldc: i32, A: usize, sam: i32, sak: i32, B: usize, ldb: i32, M: i32, K: i32, N: i32, alpha: f32): void {
  for (let m = 0; m < M; m++) {
    for (let k0 = 0; k0 < K; k0 += KB) addBlock(C + (<usize>(m * ldc) << 2), N, A + (<usize>(m * sam + k0 * sak) << 2), <usize>sak << 2, min(KB, K - k0), B + (<usize>(k0 * ldb) << 2), <usize>ldb << 2, alpha);
  }
}

/** `gemmAcc` with the blocks of k outer and m inner: a block's KB rows of B (16 KB for N = 500) are
 *  read from L1 for all M rows of C — for the relaxation's shapes (M = batch, K × N a coupling: the
 *  500 × 500 couplings of the deep nets are 1 MB, beyond L2). The same terms in the same order as
 *  `gemmAcc`: the same bits. */
export function gemmAccK(C: usize, ldc: i32, A: usize, sam: i32, sak: i32, B: usize, ldb: i32, M: i32, K: i32, N: i32, alpha: f32): void {
  for (let k0 = 0; k0 < K; k0 += KB) {
    const kn = min(KB, K - k0);
    const b = B + (<usize>(k0 * ldb) << 2);
    for (let m = 0; m < M; m++) addBlock(C + (<usize>(m * ldc) << 2), N, A + (<usize>(m * sam + k0 * sak) << 2), <usize>sak << 2, kn, b, <usize>ldb << 2, alpha);
  }
}

/**
 * c[0:N] += Σ_j (alpha·a_j) b_j[0:N] over the kn ≤ KB terms a_j = load(ap + j·aStride) (rows
 * b_j = bp + j·rowB), the zero ones skipped, j ascending: the nonzero terms are gathered first and
 * then added in one pass over c (`addTerms`: up to 4 terms, `addTerms8`: 5–8), so that c is loaded
 * and stored once per block instead of once per term — measured 1.8× faster than a pass per term
 * on 20 × 500 · 500 × 500 with half the states 0 (200 vs 359 µs, one thread, medians of 5 × 300 calls).
 */
@inline
function addBlock(c: usize, N: i32, ap: usize, aStride: usize, kn: i32, bp: usize, rowB: usize, alpha: f32): void {
  let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0, a4: f32 = 0, a5: f32 = 0, a6: f32 = 0, a7: f32 = 0;
  let b0: usize = 0, b1: usize = 0, b2: usize = 0, b3: usize = 0, b4: usize = 0, b5: usize = 0, b6: usize = 0, b7: usize = 0;
  let t = 0;
  for (let j = 0; j < kn; j++) {
    let a = load<f32>(ap + <usize>j * aStride);
    if (a == 0) continue;
    a *= alpha;
    const b = bp + <usize>j * rowB;
    switch (t) {
      case 0: a0 = a; b0 = b; break;
      case 1: a1 = a; b1 = b; break;
      case 2: a2 = a; b2 = b; break;
      case 3: a3 = a; b3 = b; break;
      case 4: a4 = a; b4 = b; break;
      case 5: a5 = a; b5 = b; break;
      case 6: a6 = a; b6 = b; break;
      default: a7 = a; b7 = b;
    }
    t++;
  }
  if (t == 0) return;
  if (t <= 4) addTerms(c, N, t, a0, b0, a1, b1, a2, b2, a3, b3);
  else addTerms8(c, N, t, a0, b0, a1, b1, a2, b2, a3, b3, a4, b4, a5, b5, a6, b6, a7, b7);
}

/** C[0:N] += Σ_{j<t} a_j b_j[0:N] in one pass (t = 1 … 4 terms, in order). */
@inline
function addTerms(c: usize, N: i32, t: i32, a0: f32, b0: usize, a1: f32, b1: usize, a2: f32, b2: usize, a3: f32, b3: usize): void {
  const N4 = N & ~3;
  const v0 = f32x4.splat(a0), v1 = f32x4.splat(a1), v2 = f32x4.splat(a2), v3 = f32x4.splat(a3);
  let n = 0;
  if (t == 1) {
    for (; n < N4; n += 4) {
      const o = <usize>n << 2;
      v128.store(c + o, f32x4.add(v128.load(c + o), f32x4.mul(v0, v128.load(b0 + o))));
    }
  } else if (t == 2) {
    for (; n < N4; n += 4) {
      const o = <usize>n << 2;
      let x = f32x4.add(v128.load(c + o), f32x4.mul(v0, v128.load(b0 + o)));
      x = f32x4.add(x, f32x4.mul(v1, v128.load(b1 + o)));
      v128.store(c + o, x);
    }
  } else if (t == 3) {
    for (; n < N4; n += 4) {
      const o = <usize>n << 2;
      let x = f32x4.add(v128.load(c + o), f32x4.mul(v0, v128.load(b0 + o)));
      x = f32x4.add(x, f32x4.mul(v1, v128.load(b1 + o)));
      x = f32x4.add(x, f32x4.mul(v2, v128.load(b2 + o)));
      v128.store(c + o, x);
    }
  } else {
    for (; n < N4; n += 4) {
      const o = <usize>n << 2;
      let x = f32x4.add(v128.load(c + o), f32x4.mul(v0, v128.load(b0 + o)));
      x = f32x4.add(x, f32x4.mul(v1, v128.load(b1 + o)));
      x = f32x4.add(x, f32x4.mul(v2, v128.load(b2 + o)));
      x = f32x4.add(x, f32x4.mul(v3, v128.load(b3 + o)));
      v128.store(c + o, x);
    }
  }
  for (; n < N; n++) {
    const o = <usize>n << 2;
    let x = load<f32>(c + o) + a0 * load<f32>(b0 + o);
    if (t > 1) x += a1 * load<f32>(b1 + o);
    if (t > 2) x += a2 * load<f32>(b2 + o);
    if (t > 3) x += a3 * load<f32>(b3 + o);
    store<f32>(c + o, x);
  }
}

/** `addTerms` for t = 5 … 8 terms. */
@inline
function addTerms8(c: usize, N: i32, t: i32, a0: f32, b0: usize, a1: f32, b1: usize, a2: f32, b2: usize, a3: f32, b3: usize, a4: f32, b4: usize, a5: f32, b5: usize, a6: f32, b6: usize, a7: f32, b7: usize): void {
  const N4 = N & ~3;
  const v0 = f32x4.splat(a0), v1 = f32x4.splat(a1), v2 = f32x4.splat(a2), v3 = f32x4.splat(a3), v4 = f32x4.splat(a4), v5 = f32x4.splat(a5), v6 = f32x4.splat(a6), v7 = f32x4.splat(a7);
  let n = 0;
  if (t == 5) {
    for (; n < N4; n += 4) {
      const o = <usize>n << 2;
      let x = f32x4.add(v128.load(c + o), f32x4.mul(v0, v128.load(b0 + o)));
      x = f32x4.add(x, f32x4.mul(v1, v128.load(b1 + o)));
      x = f32x4.add(x, f32x4.mul(v2, v128.load(b2 + o)));
      x = f32x4.add(x, f32x4.mul(v3, v128.load(b3 + o)));
      x = f32x4.add(x, f32x4.mul(v4, v128.load(b4 + o)));
      v128.store(c + o, x);
    }
  } else if (t == 6) {
    for (; n < N4; n += 4) {
      const o = <usize>n << 2;
      let x = f32x4.add(v128.load(c + o), f32x4.mul(v0, v128.load(b0 + o)));
      x = f32x4.add(x, f32x4.mul(v1, v128.load(b1 + o)));
      x = f32x4.add(x, f32x4.mul(v2, v128.load(b2 + o)));
      x = f32x4.add(x, f32x4.mul(v3, v128.load(b3 + o)));
      x = f32x4.add(x, f32x4.mul(v4, v128.load(b4 + o)));
      x = f32x4.add(x, f32x4.mul(v5, v128.load(b5 + o)));
      v128.store(c + o, x);
    }
  } else if (t == 7) {
    for (; n < N4; n += 4) {
      const o = <usize>n << 2;
      let x = f32x4.add(v128.load(c + o), f32x4.mul(v0, v128.load(b0 + o)));
      x = f32x4.add(x, f32x4.mul(v1, v128.load(b1 + o)));
      x = f32x4.add(x, f32x4.mul(v2, v128.load(b2 + o)));
      x = f32x4.add(x, f32x4.mul(v3, v128.load(b3 + o)));
      x = f32x4.add(x, f32x4.mul(v4, v128.load(b4 + o)));
      x = f32x4.add(x, f32x4.mul(v5, v128.load(b5 + o)));
      x = f32x4.add(x, f32x4.mul(v6, v128.load(b6 + o)));
      v128.store(c + o, x);
    }
  } else {
    for (; n < N4; n += 4) {
      const o = <usize>n << 2;
      let x = f32x4.add(v128.load(c + o), f32x4.mul(v0, v128.load(b0 + o)));
      x = f32x4.add(x, f32x4.mul(v1, v128.load(b1 + o)));
      x = f32x4.add(x, f32x4.mul(v2, v128.load(b2 + o)));
      x = f32x4.add(x, f32x4.mul(v3, v128.load(b3 + o)));
      x = f32x4.add(x, f32x4.mul(v4, v128.load(b4 + o)));
      x = f32x4.add(x, f32x4.mul(v5, v128.load(b5 + o)));
      x = f32x4.add(x, f32x4.mul(v6, v128.load(b6 + o)));
      x = f32x4.add(x, f32x4.mul(v7, v128.load(b7 + o)));
      v128.store(c + o, x);
    }
  }
  for (; n < N; n++) {
    const o = <usize>n << 2;
    let x = load<f32>(c + o) + a0 * load<f32>(b0 + o);
    if (t > 1) x += a1 * load<f32>(b1 + o);
    if (t > 2) x += a2 * load<f32>(b2 + o);
    if (t > 3) x += a3 * load<f32>(b3 + o);
    if (t > 4) x += a4 * load<f32>(b4 + o);
    if (t > 5) x += a5 * load<f32>(b5 + o);
    if (t > 6) x += a6 * load<f32>(b6 + o);
    if (t > 7) x += a7 * load<f32>(b7 + o);
    store<f32>(c + o, x);
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
 * Record mode of the TCL synapse kernels (the adaptive dead zone): instead of adding Σ_j w_j g(u_j)
 * into W, every computed u with |u| ≥ the floor is appended to a record list, and |u| is counted in
 * a histogram of its float bits >> 19 (4096 bins, 1/16 octave wide), so that the caller can select
 * the exact quantile and then add the records that pass it. rec is an i32 table (one per thread):
 *   [0] capacity, [1] records seen (may exceed the capacity: then only the histogram is complete),
 *   [2] recU (f32 u), [3] recWU (f32 w_j u), [4] recIdx (i32 weight index), [5] hist (4096 i32),
 *   [6] need: the pass may raise its floor to a bin edge once `need` records lie at or above it
 *   (0: never), [7] out: the floor at the end of the pass (f32; see `tclSynapses`), [8] extrap
 *   (f32; 0: off): also raise the floor on an extrapolation of the records so far (see there).
 * The kernel keeps the count and the addresses in locals (`record` returns the new count).
 */
@inline
function record(n: i32, cap: i32, recU: usize, recWU: usize, recIdx: usize, hist: usize, u: f32, wj: f32, idx: i32): i32 {
  if (n < cap) {
    const o = <usize>n << 2;
    store<f32>(recU + o, u);
    store<f32>(recWU + o, wj * u);
    store<i32>(recIdx + o, idx);
  }
  const hb = hist + (<usize>(reinterpret<u32>(abs<f32>(u)) >> 19) << 2);
  store<i32>(hb, load<i32>(hb) + 1);
  return n + 1;
}

/**
 * The level changes e_l of a hidden→hidden (or hidden→output) weight group, rows i0 … i1−1, in the
 * bilinear form of `tclSynapses` (exactly; see there):
 *   E_l[i, :] = Σ_b (α_l[b, i]/B) c_l[b, :] + (a_{l−1}[b, i]/B) γ_l[b, :],   l = 1 … S1
 * with α = a_l − a_{l−1} (f32), each term skipped when its coefficient is exactly 0, and the terms
 * added in the order b = 0, 1, …, α-term before a-term — the order in which `tclSynapses` sums the
 * same terms when the caller lists them, so either way gives the same bits.
 * A: presynaptic states [S × B × nIn]; H: postsynaptic states [S × B × nP]; Gm: γ [S1 × B × nP];
 * E: [S1 × nIn × nP], rows i0 … i1−1 overwritten (nP a multiple of 4); list: scratch of 16 words (the
 * thread's own). The nonzero terms of a row are gathered 8 at a time and added in one pass over it
 * (E loaded and stored once per 8 terms instead of once per term).
 */
export function bilinearE(E: usize, nP: i32, A: usize, nIn: i32, H: usize, Gm: usize, B: i32, S1: i32, i0: i32, i1: i32, list: usize): void {
  if (nP == 16) {
    bilinearE16(E, A, nIn, H, Gm, B, S1, i0, i1);
    return;
  }
  const fB = <f32>B;
  const rowB = <usize>nP << 2;
  const layerA = <usize>(B * nIn) << 2;
  const layerH = <usize>B * rowB;
  for (let i = i0; i < i1; i++) {
    for (let l = 0; l < S1; l++) {
      const e = E + (<usize>(l * nIn + i)) * rowB;
      memory.fill(e, 0, rowB);
      const ap = A + <usize>l * layerA + (<usize>i << 2);
      const an = ap + layerA;
      const c = H + <usize>(l + 1) * layerH;
      const g = Gm + <usize>l * layerH;
      // The nonzero terms in order, 8 at a time through the term list (`addList`).
      let t = 0;
      for (let b = 0; b < B; b++) {
        const bo = <usize>(b * nIn) << 2;
        const a0 = load<f32>(ap + bo);
        const alpha = load<f32>(an + bo) - a0;
        const rb = <usize>b * rowB;
        if (alpha != 0) t = pushTerm(e, nP, list, t, alpha / fB, c + rb);
        if (a0 != 0) t = pushTerm(e, nP, list, t, a0 / fB, g + rb);
      }
      if (t) addList(e, nP, list, t);
    }
  }
}

/** Appends the term (v, row) as the list's (t+1)-th; a full list (8) is added into c and emptied. Returns the new count. */
@inline
function pushTerm(c: usize, N: i32, list: usize, t: i32, v: f32, row: usize): i32 {
  store<f32>(list + (<usize>t << 2), v);
  store<i32>(list + 32 + (<usize>t << 2), <i32>row);
  if (++t < 8) return t;
  addList(c, N, list, 8);
  return 0;
}

/** c[0:N] += Σ_{j<t} v_j row_j[0:N] (t = 1 … 8, in order) for a term list in memory: f32 v_j at list + 4j, i32 row_j at list + 32 + 4j. */
@inline
function addList(c: usize, N: i32, list: usize, t: i32): void {
  const a0 = load<f32>(list), a1 = load<f32>(list + 4), a2 = load<f32>(list + 8), a3 = load<f32>(list + 12);
  const b0 = <usize>load<i32>(list + 32), b1 = <usize>load<i32>(list + 36), b2 = <usize>load<i32>(list + 40), b3 = <usize>load<i32>(list + 44);
  if (t <= 4) {
    addTerms(c, N, t, a0, b0, a1, b1, a2, b2, a3, b3);
    return;
  }
  const a4 = load<f32>(list + 16), a5 = load<f32>(list + 20), a6 = load<f32>(list + 24), a7 = load<f32>(list + 28);
  const b4 = <usize>load<i32>(list + 48), b5 = <usize>load<i32>(list + 52), b6 = <usize>load<i32>(list + 56), b7 = <usize>load<i32>(list + 60);
  addTerms8(c, N, t, a0, b0, a1, b1, a2, b2, a3, b3, a4, b4, a5, b5, a6, b6, a7, b7);
}

/**
 * `bilinearE` for a postsynaptic width of 16 (an output layer of ≤ 16 units): the row of E_l in
 * four registers instead of a load and a store of it per term (a chain through memory). The same
 * operations in the same order: the same bits.
 */
function bilinearE16(E: usize, A: usize, nIn: i32, H: usize, Gm: usize, B: i32, S1: i32, i0: i32, i1: i32): void {
  const fB = <f32>B;
  const layerA = <usize>(B * nIn) << 2;
  const layerH = <usize>B << 6;
  for (let i = i0; i < i1; i++) {
    for (let l = 0; l < S1; l++) {
      let e0 = f32x4.splat(0), e1 = f32x4.splat(0), e2 = f32x4.splat(0), e3 = f32x4.splat(0);
      const ap = A + <usize>l * layerA + (<usize>i << 2);
      const an = ap + layerA;
      const c = H + <usize>(l + 1) * layerH;
      const g = Gm + <usize>l * layerH;
      for (let b = 0; b < B; b++) {
        const bo = <usize>(b * nIn) << 2;
        const a0 = load<f32>(ap + bo);
        const alpha = load<f32>(an + bo) - a0;
        const rb = <usize>b << 6;
        if (alpha != 0) {
          const v = f32x4.splat(alpha / fB);
          const q = c + rb;
          e0 = f32x4.add(e0, f32x4.mul(v, v128.load(q)));
          e1 = f32x4.add(e1, f32x4.mul(v, v128.load(q + 16)));
          e2 = f32x4.add(e2, f32x4.mul(v, v128.load(q + 32)));
          e3 = f32x4.add(e3, f32x4.mul(v, v128.load(q + 48)));
        }
        if (a0 != 0) {
          const v = f32x4.splat(a0 / fB);
          const q = g + rb;
          e0 = f32x4.add(e0, f32x4.mul(v, v128.load(q)));
          e1 = f32x4.add(e1, f32x4.mul(v, v128.load(q + 16)));
          e2 = f32x4.add(e2, f32x4.mul(v, v128.load(q + 32)));
          e3 = f32x4.add(e3, f32x4.mul(v, v128.load(q + 48)));
        }
      }
      const e = E + (<usize>(l * nIn + i) << 6);
      v128.store(e, e0);
      v128.store(e + 16, e1);
      v128.store(e + 32, e2);
      v128.store(e + 48, e3);
    }
  }
}

/** out[i] (i32) = 1 if any of A[r, i] (r < rows, row-major rows × n) is nonzero, else 0. */
export function nonzeroColumns(out: usize, A: usize, rows: i32, n: i32): void {
  memory.fill(out, 0, <usize>n << 2);
  const n4 = n & ~3;
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const a = A + (<usize>(r * n) << 2);
    let i = 0;
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, v128.or(v128.load(out + o), v128.and(f32x4.ne(v128.load(a + o), zero), i32x4.splat(1))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      if (load<f32>(a + o) != 0) store<i32>(out + o, 1);
    }
  }
}

/**
 * The records of one `tclSynapses` pass in record mode, once θ's histogram bin `tb` is known
 * (bins: the float bits of |u| >> `shift`): a record in a higher bin passes, its w_j·u is added to
 * sum[idx]; the records inside bin `tb` (candidates for the exact selection) are moved to the
 * front, |u| in place of u; records below are dropped. Same order of additions as a loop over the
 * records. out[0] = candidates, out[1] = records that passed.
 */
export function applyRecords(sum: usize, u: usize, wu: usize, idx: usize, n: i32, tb: i32, shift: i32, out: usize): void {
  let m = 0;
  let passed = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const bits = load<u32>(u + o) & 0x7fffffff;
    const b = <i32>(bits >> <u32>shift);
    if (b > tb) {
      const p = sum + (<usize>load<i32>(idx + o) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(wu + o));
      passed++;
    } else if (b == tb) {
      const d = <usize>m << 2;
      store<u32>(u + d, bits);
      store<f32>(wu + d, load<f32>(wu + o));
      store<i32>(idx + d, load<i32>(idx + o));
      m++;
    }
  }
  store<i32>(out, m);
  store<i32>(out + 4, passed);
}

/** dst[rows × n] (row-major) = the column tiles src[⌈n/16⌉ × rows × 16] of `tclSynapses`' sums, padding dropped. */
export function untile(dst: usize, src: usize, rows: i32, n: i32): void {
  const full = n & ~15;
  const tileBytes = <usize>rows << 6;
  for (let i = 0; i < rows; i++) {
    const d = dst + (<usize>(i * n) << 2);
    let s = src + (<usize>i << 6);
    let h = 0;
    for (; h < full; h += 16) {
      const o = <usize>h << 2;
      v128.store(d + o, v128.load(s));
      v128.store(d + o + 16, v128.load(s + 16));
      v128.store(d + o + 32, v128.load(s + 32));
      v128.store(d + o + 48, v128.load(s + 48));
      s += tileBytes;
    }
    for (let c = 0; h < n; h++, c++) store<f32>(d + (<usize>h << 2), load<f32>(s + (<usize>c << 2)));
  }
}

/**
 * TCL update of one weight group (DESIGN.md §3) for one nudging cycle: Σ_j w_j g(u_j) added to W.
 * A weight's signal at cycle state m is s_m = Σ_b a_m[b, i] c_m[b, h] / B (a: presynaptic layer,
 * c: postsynaptic), so with the kernel's zero area its grid response is linear in the per-level changes
 *   u_j = Σ_l C[j, l] e_l,   e_l = s_l − s_{l−1},   C[j, l] = Σ_{m≥l} toU[j, m]     (l = 1 … S−1)
 * and e_l is bilinear in the level differences α_l = a_l − a_{l−1}, γ_l = c_l − c_{l−1} (exactly):
 *   B e_l[i, h] = Σ_b α_l[b, i] c_l[b, h] + a_{l−1}[b, i] γ_l[b, h]
 * (input weights: a = x is clamped, α = 0). The caller lists, per weight row, the nonzero terms as
 * (address of a postsynaptic row at level 1, coefficient), and the byte stride from one level's
 * row to the next's, so the kernel needs no layout knowledge:
 *   e_l[i, h:h+4] = Σ_p val_p · row_p[h + (l−1)·stride : …+4]
 * (input weights: rows γ_l[b, :], coefficient x[b, i]/B, the same examples at every level; hidden
 * groups: the caller's E_l rows from `bilinearE`, coefficient 1).
 * Per group of 16 weights (four SIMD accumulators per sum, so that the loop-carried additions of
 * e_l, the bounds and u overlap: with one accumulator the kernel was latency-bound, 1.5–1.8×
 * slower) the e_l stay in L1 and u never leaves registers. The grid is cut into blocks; a block is
 * skipped when its bound Σ_l A[blk, l] |e_l| (A = max over the block of |C|) is below θ for all 16
 * weights — exact, since then no u_j of the block passes the dead zone.
 *
 * W: sum buffer in column tiles, [n1/16 × nW × 16] (n1: postsynaptic width, a multiple of 16; nW:
 * rows of the weight matrix), so that the order in which this kernel visits weights (column
 * blocks outer, rows inner) walks it sequentially — also in the records' weight indices, which
 * `applyRecords` scatters into it (row-major, with its 2 KB stride, cost `applyRecords` ~1.7× the
 * time); theta0: θ, or in record mode the initial floor; rows: nR weight rows,
 * rowIndex[nR]: the row of W; entStart[nR + 1]: each row's terms entAddr[] (byte addresses at
 * level 1), entVal[]; levelStride: bytes from a term's row at one level to the next; coef: G × (S−1); jLo/jHi: the nonzero range of each coef row;
 * blkStart[nBlk+1], blkA: nBlk × (S−1), blkLo/blkHi; tileA: S−1 (the bound over the whole grid);
 * supStart[nSup+1] (blocks), supA: nSup × (S−1), supLo/supHi: super-blocks of a few blocks, whose
 * bound (the largest coefficients of their blocks) is tested first — in float arithmetic too it
 * is ≥ each of its blocks' bounds, so a skipped super-block holds only blocks that would be
 * skipped (adaptive preset: ~10 % less CPU time for the input group); wgt: G trapezoid weights;
 * e: scratch (2 (S−1) + 1) × 16 floats; counts[0] += passing (weight, grid) pairs, counts[1] += grid points
 * computed (per 4 weights); rec: 0, or the record table (record mode, see `record`; the floor
 * rises before each row, as below, and the final floor is reported).
 *
 * Record mode's floor (the adaptive dead zone) rises as the pass goes: before each weight row it
 * moves to the lower edge of the highest histogram bin fb such that at least `need` of the values
 * recorded so far lie in bin fb or above. If the caller's population has N values and
 * need = N − ⌊qN⌋, the q-quantile is ≥ that edge, so values below it are not needed: the rest of
 * the pass skips them (and the blocks whose bound is below it), and the caller ignores the
 * histogram below the final floor's bin. A value ≥ the final floor was recorded wherever it
 * occurred (a floor only rises), so the selection above it is exact. The search is incremental:
 * `below` counts the records in bins under fb (fixed once the floor is above them), so the count at
 * or above fb is (records − below) and a raise moves fb up bin by bin — O(1) per row amortised.
 * Each thread counts only its own records, so the floor it reaches depends on its rows alone, not
 * on the timing (counting the other threads' histograms as they grow made 3 of 9 identical
 * training runs on 2 threads end with other weights — not understood).
 */
export function tclSynapses(
  W: usize, n1: i32, nW: i32, theta0: f32,
  nR: i32, rowIndex: usize, entStart: usize, entAddr: usize, entVal: usize, levelStride: i32, S1: i32,
  coef: usize, jLo: usize, jHi: usize, wgt: usize,
  nBlk: i32, blkStart: usize, blkA: usize, blkLo: usize, blkHi: usize, tileA: usize,
  nSup: i32, supStart: usize, supA: usize, supLo: usize, supHi: usize,
  e: usize, counts: usize, rec: usize,
): void {
  let theta = theta0;
  let vth = f32x4.splat(theta);
  // Record mode: the table's count and addresses in locals, the count stored back at the end.
  let rn = 0, rCap = 0, need = 0;
  let extrap: f32 = 0;
  let rU: usize = 0, rWU: usize = 0, rIdx: usize = 0, rHist: usize = 0;
  if (rec) {
    rCap = load<i32>(rec);
    rn = load<i32>(rec + 4);
    rU = <usize>load<i32>(rec + 8);
    rWU = <usize>load<i32>(rec + 12);
    rIdx = <usize>load<i32>(rec + 16);
    rHist = <usize>load<i32>(rec + 20);
    need = load<i32>(rec + 24);
    extrap = load<f32>(rec + 32);
  }
  // Record mode: the floor's histogram bin and the records below it (see the doc comment).
  let fb = <i32>(reinterpret<u32>(theta0) >> 19);
  let below = 0;
  const tiles = <f32>((n1 >> 4) * nR);
  const absOff = <usize>S1 << 6;
  const ub = e + (absOff << 1);
  let passed: i64 = 0;
  let computed: i64 = 0;
  // Columns outer, rows inner: the postsynaptic rows the terms point at are read 64 bytes at a
  // time, and one column block of them (levels × examples × 64 B) stays in L1 over all rows.
  for (let h = 0; h < n1; h += 16) {
    const ho = <usize>h << 2;
    for (let r = 0; r < nR; r++) {
      // Record mode: before each row, the floor rises as far as this thread's records so far allow.
      if (need > 0) {
        // Extrapolated (extrap > 0, from an eighth of the pass on): a floor with extrap·need·φ
        // records at or above it (φ: the fraction of the thread's 16-weight tiles done), about as
        // many as the rest of the pass needs if the part done is typical — a guess, which the
        // caller detects when it fails (fewer than need in the end) and repeats without.
        let needNow = need;
        if (extrap > 0) {
          const phi = <f32>((h >> 4) * nR + r) / tiles;
          if (phi >= 0.125) needNow = min(need, <i32>Mathf.ceil(extrap * <f32>need * phi));
        }
        let moved = false;
        while (fb < 4095) {
          const c = load<i32>(rHist + (<usize>fb << 2));
          if (rn - below - c < needNow) break;
          below += c;
          fb++;
          moved = true;
        }
        if (moved) {
          const f = reinterpret<f32>(<u32>fb << 19);
          if (f > theta) {
            theta = f;
            vth = f32x4.splat(f);
          }
        }
      }
      const row = load<i32>(rowIndex + (<usize>r << 2));
      const wi = ((h >> 4) * nW + row) << 4;
      const t0 = load<i32>(entStart + (<usize>r << 2));
      const t1 = load<i32>(entStart + (<usize>(r + 1) << 2));
      for (let l = 0; l < S1; l++) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        const lo = ho + <usize>(l * levelStride);
        for (let p = t0; p < t1; p++) {
          const po = <usize>p << 2;
          const v = f32x4.splat(load<f32>(entVal + po));
          const q = <usize>load<i32>(entAddr + po) + lo;
          a0 = f32x4.add(a0, f32x4.mul(v, v128.load(q)));
          a1 = f32x4.add(a1, f32x4.mul(v, v128.load(q + 16)));
          a2 = f32x4.add(a2, f32x4.mul(v, v128.load(q + 32)));
          a3 = f32x4.add(a3, f32x4.mul(v, v128.load(q + 48)));
        }
        const eo = e + (<usize>l << 6);
        v128.store(eo, a0);
        v128.store(eo + 16, a1);
        v128.store(eo + 32, a2);
        v128.store(eo + 48, a3);
        v128.store(eo + absOff, f32x4.abs(a0));
        v128.store(eo + absOff + 16, f32x4.abs(a1));
        v128.store(eo + absOff + 32, f32x4.abs(a2));
        v128.store(eo + absOff + 48, f32x4.abs(a3));
      }
      // The bound over the whole grid first (tileA[l] = max over blocks of blkA[·, l]): 16 weights
      // far below θ skip all the block bounds.
      {
        let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
        for (let l = 0; l < S1; l++) {
          const A = v128.load(tileA + (<usize>l << 4));
          const ea = e + absOff + (<usize>l << 6);
          b0 = f32x4.add(b0, f32x4.mul(A, v128.load(ea)));
          b1 = f32x4.add(b1, f32x4.mul(A, v128.load(ea + 16)));
          b2 = f32x4.add(b2, f32x4.mul(A, v128.load(ea + 32)));
          b3 = f32x4.add(b3, f32x4.mul(A, v128.load(ea + 48)));
        }
        if (!v128.any_true(v128.or(v128.or(f32x4.ge(b0, vth), f32x4.ge(b1, vth)), v128.or(f32x4.ge(b2, vth), f32x4.ge(b3, vth))))) continue;
      }
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let cnt = i32x4.splat(0);
      // Super-blocks (a few blocks each: the largest of their coefficients) first, then their blocks.
      for (let sb = 0; sb < nSup; sb++) {
        {
          let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
          const hi = load<i32>(supHi + (<usize>sb << 2));
          const aRow = supA + (<usize>(sb * S1) << 4);
          for (let l = load<i32>(supLo + (<usize>sb << 2)); l < hi; l++) {
            const A = v128.load(aRow + (<usize>l << 4));
            const ea = e + absOff + (<usize>l << 6);
            b0 = f32x4.add(b0, f32x4.mul(A, v128.load(ea)));
            b1 = f32x4.add(b1, f32x4.mul(A, v128.load(ea + 16)));
            b2 = f32x4.add(b2, f32x4.mul(A, v128.load(ea + 32)));
            b3 = f32x4.add(b3, f32x4.mul(A, v128.load(ea + 48)));
          }
          if (!v128.any_true(v128.or(v128.or(f32x4.ge(b0, vth), f32x4.ge(b1, vth)), v128.or(f32x4.ge(b2, vth), f32x4.ge(b3, vth))))) continue;
        }
        const blk1 = load<i32>(supStart + (<usize>(sb + 1) << 2));
        for (let blk = load<i32>(supStart + (<usize>sb << 2)); blk < blk1; blk++) {
          let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
          const hi = load<i32>(blkHi + (<usize>blk << 2));
          const aRow = blkA + (<usize>(blk * S1) << 4);
          for (let l = load<i32>(blkLo + (<usize>blk << 2)); l < hi; l++) {
            const A = v128.load(aRow + (<usize>l << 4));
            const ea = e + absOff + (<usize>l << 6);
            b0 = f32x4.add(b0, f32x4.mul(A, v128.load(ea)));
            b1 = f32x4.add(b1, f32x4.mul(A, v128.load(ea + 16)));
            b2 = f32x4.add(b2, f32x4.mul(A, v128.load(ea + 32)));
            b3 = f32x4.add(b3, f32x4.mul(A, v128.load(ea + 48)));
          }
          if (!v128.any_true(v128.or(v128.or(f32x4.ge(b0, vth), f32x4.ge(b1, vth)), v128.or(f32x4.ge(b2, vth), f32x4.ge(b3, vth))))) continue;
          const j0 = load<i32>(blkStart + (<usize>blk << 2));
          const j1 = load<i32>(blkStart + (<usize>(blk + 1) << 2));
          computed += (j1 - j0) * 4;
          for (let j = j0; j < j1; j++) {
            let u0 = f32x4.splat(0), u1 = f32x4.splat(0), u2 = f32x4.splat(0), u3 = f32x4.splat(0);
            const cRow = coef + (<usize>(j * S1) << 4);
            const l1 = load<i32>(jHi + (<usize>j << 2));
            for (let l = load<i32>(jLo + (<usize>j << 2)); l < l1; l++) {
              const c = v128.load(cRow + (<usize>l << 4));
              const el = e + (<usize>l << 6);
              u0 = f32x4.add(u0, f32x4.mul(c, v128.load(el)));
              u1 = f32x4.add(u1, f32x4.mul(c, v128.load(el + 16)));
              u2 = f32x4.add(u2, f32x4.mul(c, v128.load(el + 32)));
              u3 = f32x4.add(u3, f32x4.mul(c, v128.load(el + 48)));
            }
            const p0 = f32x4.ge(f32x4.abs(u0), vth);
            const p1 = f32x4.ge(f32x4.abs(u1), vth);
            const p2 = f32x4.ge(f32x4.abs(u2), vth);
            const p3 = f32x4.ge(f32x4.abs(u3), vth);
            if (rec) {
              // The passing lanes as a bit mask, visited in lane order (the order of the weights):
              // no branch per lane. u goes through the scratch row ub to be read by lane.
              let m = i32x4.bitmask(p0) | (i32x4.bitmask(p1) << 4) | (i32x4.bitmask(p2) << 8) | (i32x4.bitmask(p3) << 12);
              if (m) {
                const wj = load<f32>(wgt + (<usize>j << 4));
                v128.store(ub, u0);
                v128.store(ub + 16, u1);
                v128.store(ub + 32, u2);
                v128.store(ub + 48, u3);
                do {
                  const lane = ctz(m);
                  m &= m - 1;
                  rn = record(rn, rCap, rU, rWU, rIdx, rHist, load<f32>(ub + (<usize>lane << 2)), wj, wi + lane);
                } while (m);
              }
            } else {
              const w = v128.load(wgt + (<usize>j << 4));
              s0 = f32x4.add(s0, f32x4.mul(w, v128.and(u0, p0)));
              s1 = f32x4.add(s1, f32x4.mul(w, v128.and(u1, p1)));
              s2 = f32x4.add(s2, f32x4.mul(w, v128.and(u2, p2)));
              s3 = f32x4.add(s3, f32x4.mul(w, v128.and(u3, p3)));
              cnt = i32x4.sub(i32x4.sub(cnt, p0), p1);
              cnt = i32x4.sub(i32x4.sub(cnt, p2), p3);
            }
          }
        }
      }
      if (!rec) {
        passed += <i64>(i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3));
        const wp = W + (<usize>wi << 2);
        v128.store(wp, f32x4.add(v128.load(wp), s0));
        v128.store(wp + 16, f32x4.add(v128.load(wp + 16), s1));
        v128.store(wp + 32, f32x4.add(v128.load(wp + 32), s2));
        v128.store(wp + 48, f32x4.add(v128.load(wp + 48), s3));
      }
    }
  }
  if (rec) {
    store<i32>(rec + 4, rn);
    store<f32>(rec + 28, theta);
  }
  store<f64>(counts, load<f64>(counts) + <f64>passed);
  store<f64>(counts + 8, load<f64>(counts + 8) + <f64>computed);
}

/**
 * A whole relaxation (fused-relax.ts `FusedBatch.relax`) of B examples, every step and layer in one
 * call, so that threads relaxing disjoint examples need one hand-off per phase. Each example's
 * arithmetic is `relax`'s own (the same kernels on its rows), so any split of the rows gives the
 * same bits. `desc` (i32): [L, n_1 … n_L, the four state sets' layer pointers (set s, layer m at
 * 1 + L + s·L + m − 1: 0 = from, 1 = to, 2 and 3 = the ping-pong spares), inputDrive, target,
 * b_1 … b_{L−1}, W_1 … W_{L−1}, Wt_1 … Wt_{L−1}]; every state pointer already offset to the first
 * of these rows. from = to is allowed (the same pointers).
 */
export function relaxRows(desc: usize, B: i32, steps: i32, eps: f32, nudge: f32, sequential: i32): void {
  const L = load<i32>(desc);
  const sets = desc + (<usize>(1 + L) << 2);
  const tail = sets + (<usize>(4 * L) << 2);
  const inputDrive = <usize>load<i32>(tail);
  const target = <usize>load<i32>(tail + 4);
  const to0 = load<i32>(sets + (<usize>L << 2));
  let cur = 0;
  for (let step = 0; step < steps; step++) {
    const curP = load<i32>(sets + (<usize>(cur * L) << 2));
    // As `relax`: the last step goes straight into `to` when that is not the set being read.
    let out = cur == 2 ? 3 : 2;
    if (step == steps - 1 && curP != to0) out = 1;
    const below = sequential ? out : cur;
    for (let m = 1; m <= L; m++) {
      const n = load<i32>(desc + (<usize>m << 2));
      const dst = <usize>load<i32>(sets + (<usize>(out * L + m - 1) << 2));
      if (m == 1) copy(dst, inputDrive, B * n);
      else {
        const c = m - 1;
        broadcastRows(dst, <usize>load<i32>(tail + (<usize>(1 + c) << 2)), B, n);
        const s = <usize>load<i32>(sets + (<usize>(below * L + m - 2) << 2));
        relaxProduct(dst, s, load<i32>(desc + (<usize>(m - 1) << 2)), n, <usize>load<i32>(tail + (<usize>(L + c) << 2)), <usize>load<i32>(tail + (<usize>(2 * L - 1 + c) << 2)), B);
      }
      if (m < L) {
        const s = <usize>load<i32>(sets + (<usize>(cur * L + m) << 2));
        relaxProduct(dst, s, load<i32>(desc + (<usize>(m + 1) << 2)), n, <usize>load<i32>(tail + (<usize>(2 * L - 1 + m) << 2)), <usize>load<i32>(tail + (<usize>(L + m) << 2)), B);
      }
      relaxUpdate(dst, <usize>load<i32>(sets + (<usize>(cur * L + m - 1) << 2)), target, B * n, eps, m == L ? nudge : 0);
    }
    cur = out;
  }
  // A result left in a spare (from = to) goes back to `to`.
  if (cur >= 2) {
    for (let m = 1; m <= L; m++) {
      const n = load<i32>(desc + (<usize>m << 2));
      copy(<usize>load<i32>(sets + (<usize>(L + m - 1) << 2)), <usize>load<i32>(sets + (<usize>(cur * L + m - 1) << 2)), B * n);
    }
  }
}

/** dst += s·mat (s: B × nIn, mat: nIn × nOut row-major, matT its transpose): `FusedBatch.product`'s choice of kernel. */
function relaxProduct(dst: usize, s: usize, nIn: i32, nOut: i32, mat: usize, matT: usize, B: i32): void {
  if (nOut >= 16 || matT == 0) gemmAccK(dst, nOut, s, nIn, 1, mat, nOut, B, nIn, nOut, 1);
  else gemmDot(dst, nOut, s, nIn, matT, nIn, B, nIn, nOut, 1);
}
