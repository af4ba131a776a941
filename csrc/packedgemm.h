/* Single-threaded float32 GEMM on the panel micro-kernel of panelgemm.h, for the products
 * blas.pxd's gemm would otherwise hand to OpenBLAS (gemmsplit.pxd calls it for each slice, so
 * the threading stays gemmsplit's).
 *
 * Where it runs: with the AVX-512 build (gemmsplit.pxd asks fastnn_cpu_level() == 2). On a 2-core
 * AMD EPYC (Zen 5) whose OpenBLAS runs its AVX2 kernels (OPENBLAS_CORETYPE=Haswell is set on this
 * project's machines), products of the LSTM's and conv's shapes ran at 160-420 GFLOP/s here
 * against 95-200 through OpenBLAS; the AVX2 build of the same tiles reached 0.75-0.9 of
 * OpenBLAS's AVX2 kernels and the baseline build 0.3, so those builds keep BLAS.
 * Each element of C is one sum in a fixed order (256-deep blocks in turn, k ascending inside
 * each), whatever slice of C a call gets, so a split product does not depend on the thread count.
 *
 * Row-major C = alpha op(A) op(B) + beta C. op(B) is packed KC rows at a time into zero-padded
 * 32-wide panels, alpha folded in; op(A) is read in place when not transposed (the
 * tile broadcasts from MR row streams) unless its rows are a multiple of 4 KB apart (copy_a),
 * else packed MC rows at a time. Each (MC rows, KC) block of A then meets every panel while it
 * is in L2, and each panel stays in L1 for the block's MR-row tiles. */
#ifndef FASTNN_PACKEDGEMM_H
#define FASTNN_PACKEDGEMM_H
#include <stdlib.h>
#include <string.h>
#include "panelgemm.h"

/* KC x 32 floats (the AVX-512 panel) = 32 KB: a panel fits the L1 beside the A rows it meets.
 * MC x KC = 128 KB of A, in L2. */
#define FASTNN_PGEMM_KC 256
#define FASTNN_PGEMM_MC 128

/* The (k, n) operand op(B) packed whole, as fastnn_packed_sgemm_prepacked reads it: the KC-row blocks in turn,
 * each laid out as fastnn_pgemm_pack_b lays out one (32-wide panels of its kc rows, one after the other).
 * A caller that writes B row by row anyway (an LSTM backward stacking [x | h_prev]) writes it here instead, and
 * the product's slices then skip packing it, each of them again. Lanes past n are never read into C. */
static inline ptrdiff_t fastnn_prepacked_size(ptrdiff_t k, ptrdiff_t n) {
    return k * ((n + 31) / 32) * 32;
}

/* Where op(B)[r, c] sits in the layout above, in floats from its start. */
static inline ptrdiff_t fastnn_prepacked_offset(ptrdiff_t k, ptrdiff_t n, ptrdiff_t r, ptrdiff_t c) {
    ptrdiff_t k0 = r - r % FASTNN_PGEMM_KC, kc = k - k0 < FASTNN_PGEMM_KC ? k - k0 : FASTNN_PGEMM_KC;
    return k0 * ((n + 31) / 32) * 32 + (c / 32) * kc * 32 + (r - k0) * 32 + c % 32;
}

/* op(B)[r, c0:c0 + count] = src[0:count] in the layout above. */
static inline void fastnn_prepacked_put(float *dst, ptrdiff_t k, ptrdiff_t n, ptrdiff_t r, ptrdiff_t c0,
                                        ptrdiff_t count, const float *src) {
    while (count > 0) {   /* one run per panel the columns reach */
        ptrdiff_t run = 32 - c0 % 32 < count ? 32 - c0 % 32 : count;
        float *to = dst + fastnn_prepacked_offset(k, n, r, c0);
        if (run == 32)   /* a whole panel row or half of one: copies of known size, in vector moves (not rep movs) */
            memcpy(to, src, 32 * sizeof(float));
        else if (run == 16)
            memcpy(to, src, 16 * sizeof(float));
        else
            memcpy(to, src, (size_t)run * sizeof(float));
        c0 += run;
        src += run;
        count -= run;
    }
}

#ifdef FASTNN_HAVE_AVX2_BUILD
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx2,fma")
/* dst[c * ldd + r] = alpha * src[r * lds + c] for r, c < 8: 8 row loads, 24 shuffles, 8 row stores. */
static inline __attribute__((always_inline)) void fastnn_pgemm_transpose8(const float *src, ptrdiff_t lds, float *dst,
                                                                         ptrdiff_t ldd, __m256 alpha) {
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    /* u0: columns 0 and 4 of rows 0-3, u1: 1 and 5, u2: 2 and 6, u3: 3 and 7; u4-u7: rows 4-7 */
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(dst, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u0, u4, 0x20)));
    _mm256_storeu_ps(dst + ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u1, u5, 0x20)));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u2, u6, 0x20)));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u3, u7, 0x20)));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u0, u4, 0x31)));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u1, u5, 0x31)));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u2, u6, 0x31)));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u3, u7, 0x31)));
}

/* op(B)[k0:k0+kc, :] * alpha into panels: panel p holds columns 32p..32p+31, row-major kc x 32.
 * Transposed B (a Linear layer's x W^T, an LSTM's input projection) goes through 8 x 8 register
 * transposes: its element-by-element copy, 32 floats apart in the panel, took 20% of a GAN step's
 * samples (M = 64 products of 1-3 MB weights, whose packing costs about what their arithmetic does). */
static void fastnn_pgemm_pack_b(int trans_b, const float *b, ptrdiff_t ldb, ptrdiff_t k0, ptrdiff_t kc,
                                ptrdiff_t n, float alpha, ptrdiff_t nr, float *dst) {
    ptrdiff_t panels = (n + nr - 1) / nr, kc8 = kc - kc % 8;
    __m256 alpha8 = _mm256_set1_ps(alpha);
    for (ptrdiff_t p = 0; p < panels; p++) {
        float *panel = dst + p * kc * nr;
        ptrdiff_t j0 = p * nr, nc = n - j0 < nr ? n - j0 : nr, nc8 = nc - nc % 8;
        if (trans_b) {   /* op(B)[k, j] = b[j * ldb + k] */
            for (ptrdiff_t j = 0; j < nc8; j += 8)
                for (ptrdiff_t kk = 0; kk < kc8; kk += 8)
                    fastnn_pgemm_transpose8(b + (j0 + j) * ldb + k0 + kk, ldb, panel + kk * nr + j, nr, alpha8);
            /* the edges: columns past the last full 8, and rows past the last full 8 of the others */
            for (ptrdiff_t j = 0; j < nc; j++) {
                const float *src = b + (j0 + j) * ldb + k0;
                for (ptrdiff_t kk = j < nc8 ? kc8 : 0; kk < kc; kk++) panel[kk * nr + j] = alpha * src[kk];
            }
            for (ptrdiff_t kk = 0; kk < kc; kk++)
                for (ptrdiff_t j = nc; j < nr; j++) panel[kk * nr + j] = 0;
        } else {
            for (ptrdiff_t kk = 0; kk < kc; kk++) {
                float *row = panel + kk * nr;
                const float *src = b + (k0 + kk) * ldb + j0;
                for (ptrdiff_t j = 0; j < nc; j++) row[j] = alpha * src[j];
                for (ptrdiff_t j = nc; j < nr; j++) row[j] = 0;
            }
        }
    }
}

/* A recurrent kernel's panel of W^T (csrc/rnn.pyx's forward W_hh): panel[k * nr + j] = w[j * ldw + k] for
 * j < nc (zero up to nr), k < K, in 8 x 8 register transposes: the element-by-element copy wrote K lines
 * per value of a column and took 84-86 us of each LSTM forward (H = 256, AMD EPYC Zen 5). nr a multiple
 * of 8, nc <= nr. */
static inline void fastnn_pack_wt(const float *w, ptrdiff_t ldw, ptrdiff_t K, ptrdiff_t nc, ptrdiff_t nr,
                                  float *panel) {
    ptrdiff_t nc8 = nc - nc % 8, K8 = K - K % 8;
    __m256 one = _mm256_set1_ps(1.0f);
    for (ptrdiff_t j = 0; j < nc8; j += 8)
        for (ptrdiff_t k = 0; k < K8; k += 8)
            fastnn_pgemm_transpose8(w + j * ldw + k, ldw, panel + k * nr + j, nr, one);
    /* the edges: rows of K past the last full 8, and columns past the last full 8 */
    for (ptrdiff_t j = 0; j < nc; j++)
        for (ptrdiff_t k = j < nc8 ? K8 : 0; k < K; k++) panel[k * nr + j] = w[j * ldw + k];
    for (ptrdiff_t k = 0; k < K; k++)
        for (ptrdiff_t j = nc; j < nr; j++) panel[k * nr + j] = 0;
}
#pragma GCC pop_options

/* The packed engine runs on the AVX-512 build only (fastnn_packed_sgemm_pays), so its transposing pack of A
 * uses 512-bit registers. */
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma")
/* dst[c * ldd + r] = src[r * lds + c] for r, c < 16: 16 row loads (a whole cache line each where src is
 * aligned), 64 shuffles, 16 row stores. */
static inline __attribute__((always_inline)) void fastnn_pgemm_transpose16(const float *src, ptrdiff_t lds,
                                                                          float *dst, ptrdiff_t ldd) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * lds);
    for (int i = 0; i < 16; i += 2) {   /* t[2j], t[2j+1]: rows 2j and 2j+1 interleaved */
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {   /* r[4a + b]: in each 128-bit lane, column b's values of rows 4a..4a+3 */
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; i++) {   /* then the 128-bit lanes: even and odd ones of row groups (a, a + 1) */
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD);
    }
    for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + i * ldd, r[i]);
}

/* op(A)[m0:m0+mc, k0:k0+kc] with op = transpose, into dst (mc x kc, row-major): op(A)[i, k] =
 * a[k * lda + i], in 16 x 16 register transposes, 16 rows of a at a time across the block's columns. A
 * weight gradient's A (an LSTM's (T*B, 4H) pre-activation gradients, a Linear layer's output gradient) often has
 * rows 4 KB apart, which share one L1 set: the 8 x 8 transposes, column block outermost, came back for the
 * second half of each line after 256 rows had evicted it. (1600, 1024)^T in 128 x 256 blocks on one Xeon core
 * (AVX-512), best of 30: 0.49 -> 0.30 ms; rows 1040 floats apart 0.29 -> 0.28. */
static void fastnn_pgemm_pack_at(const float *a, ptrdiff_t lda, ptrdiff_t m0, ptrdiff_t mc, ptrdiff_t k0,
                                 ptrdiff_t kc, float *dst) {
    ptrdiff_t mc16 = mc - mc % 16, kc16 = kc - kc % 16;
    for (ptrdiff_t kk = 0; kk < kc16; kk += 16)
        for (ptrdiff_t i0 = 0; i0 < mc16; i0 += 16)
            fastnn_pgemm_transpose16(a + (k0 + kk) * lda + m0 + i0, lda, dst + i0 * kc + kk, kc);
    /* the edges: rows past the last full 16, and columns past the last full 16 of the others */
    for (ptrdiff_t kk = 0; kk < kc; kk++) {
        const float *src = a + (k0 + kk) * lda + m0;
        for (ptrdiff_t i = kk < kc16 ? mc16 : 0; i < mc; i++) dst[i * kc + kk] = src[i];
    }
}
#pragma GCC pop_options

/* Whether fastnn_pack_wt may run: an AVX2 CPU level (FASTNN_CPU_LEVEL caps it) and a panel width of whole
 * 8 x 8 blocks. */
static inline int fastnn_pack_wt_pays(ptrdiff_t nr) {
    return fastnn_cpu_level() >= 1 && nr % 8 == 0;
}

/* fastnn_packed_sgemm, and with `bpacked` non-NULL op(B) already packed (fastnn_prepacked_put's layout, alpha
 * 1): trans_b, b and ldb are then unused. */
static int fastnn_packed_sgemm_core(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                                    const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                                    float *c, ptrdiff_t ldc, const float *bias, const float *bpacked) {
    const ptrdiff_t nr = 32;   /* the AVX-512 tile's width: two 16-lane vectors */
    ptrdiff_t panels = (n + nr - 1) / nr;
    ptrdiff_t kc_max = k < FASTNN_PGEMM_KC ? k : FASTNN_PGEMM_KC;
    ptrdiff_t mc_max = m < FASTNN_PGEMM_MC ? m : FASTNN_PGEMM_MC;
    /* A's rows a multiple of 4 KB apart fall in the same L1 sets, and a tile's MR row streams then evict one
     * another and the panel: such an A is copied block by block (rows kc apart) where n >= 512 columns share
     * each copy. One core of the Xeon (AVX-512), medians of 6 alternating runs: (4096, 1024) x 1024 180 -> 186
     * GFLOP/s, (4096, 1024) x 512 184 -> 189, (2048, 1024) x 1024 177 -> 183, 1024 x 1024 x 1024 176 -> 181;
     * rows 2 KB or 4000 bytes apart gained nothing, and (1600, 1024) x 128 lost 5-10% (each copy serves 4
     * panels). The same sums in the same order: only where A is read from changes. */
    int copy_a = !trans_a && lda % 1024 == 0 && n >= 512;
    float *bpack = bpacked ? NULL : malloc(sizeof(float) * (size_t)(panels * kc_max * nr));
    float *apack = trans_a || copy_a ? malloc(sizeof(float) * (size_t)(mc_max * kc_max)) : NULL;
    if ((!bpacked && !bpack) || ((trans_a || copy_a) && !apack)) {
        free(bpack);
        free(apack);
        return 0;
    }
    if (beta != 0 && beta != 1)
        for (ptrdiff_t i = 0; i < m; i++)
            for (ptrdiff_t j = 0; j < n; j++) c[i * ldc + j] *= beta;
    for (ptrdiff_t k0 = 0; k0 < k; k0 += FASTNN_PGEMM_KC) {
        ptrdiff_t kc = k - k0 < FASTNN_PGEMM_KC ? k - k0 : FASTNN_PGEMM_KC;
        int accumulate = k0 > 0 || beta != 0 || bias != NULL;
        const float *bblk = bpacked ? bpacked + k0 * panels * nr : bpack;
        if (!bpacked)
            fastnn_pgemm_pack_b(trans_b, b, ldb, k0, kc, n, alpha, nr, bpack);
        for (ptrdiff_t m0 = 0; m0 < m; m0 += FASTNN_PGEMM_MC) {
            ptrdiff_t mc = m - m0 < FASTNN_PGEMM_MC ? m - m0 : FASTNN_PGEMM_MC;
            if (k0 == 0 && bias != NULL)
                for (ptrdiff_t i = m0; i < m0 + mc; i++) memcpy(c + i * ldc, bias, (size_t)n * sizeof(float));
            const float *ablk;
            ptrdiff_t ald;
            if (trans_a) {
                fastnn_pgemm_pack_at(a, lda, m0, mc, k0, kc, apack);
                ablk = apack;
                ald = kc;
            } else if (copy_a) {
                for (ptrdiff_t i = 0; i < mc; i++)
                    memcpy(apack + i * kc, a + (m0 + i) * lda + k0, (size_t)kc * sizeof(float));
                ablk = apack;
                ald = kc;
            } else {
                ablk = a + m0 * lda + k0;
                ald = lda;
            }
            for (ptrdiff_t p = 0; p < panels; p++) {
                ptrdiff_t j0 = p * nr, nc = n - j0 < nr ? n - j0 : nr;
                fastnn_panel_gemm_f32_avx512(mc, kc, ablk, ald, bblk + p * kc * nr, nr, accumulate,
                                             c + m0 * ldc + j0, ldc, nc);
            }
        }
    }
    free(bpack);
    free(apack);
    return 1;
}

/* 1 on success, 0 (nothing written) when a buffer could not be allocated. m, n, k > 0. With `bias` (n values;
 * beta must then be 0), C = alpha op(A) op(B) + bias in every row: each block of MC rows is set to the bias just
 * before its first products add to it, while it is in cache, instead of in a pass of its own over C (a Linear
 * layer's forward: with the separate fill (64, 800) -> 500 took 0.27 ms against 0.25 without a bias; fused,
 * the difference stayed within the Xeon's noise). */
static inline int fastnn_packed_sgemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                                      float *c, ptrdiff_t ldc, const float *bias) {
    return fastnn_packed_sgemm_core(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, NULL);
}

/* C (m, n) = op(A) (m, k) @ B with B packed whole (fastnn_prepacked_put). Every element of C is the same sum,
 * in the same order, as fastnn_packed_sgemm gives; only when a transposed A's block buffer cannot be allocated
 * does a plain loop over the packed B take over (the same sums, rounded once at the end of each block less). */
static inline void fastnn_packed_sgemm_prepacked(int trans_a, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a,
                                                 ptrdiff_t lda, const float *bpacked, float *c, ptrdiff_t ldc) {
    if (fastnn_packed_sgemm_core(trans_a, 0, m, n, k, 1.0f, a, lda, NULL, 0, 0.0f, c, ldc, NULL, bpacked))
        return;
    for (ptrdiff_t i = 0; i < m; i++)
        for (ptrdiff_t j = 0; j < n; j++) {
            float sum = 0;
            for (ptrdiff_t r = 0; r < k; r++)
                sum += (trans_a ? a[r * lda + i] : a[i * lda + r]) * bpacked[fastnn_prepacked_offset(k, n, r, j)];
            c[i * ldc + j] = sum;
        }
}
/* The rule that picks the engine: the AVX-512 build (FASTNN_CPU_LEVEL caps it, so the lower
 * builds' rule is tested on any AVX-512 machine) and every side at least 8 (below that a tile is
 * mostly padding, and BLAS's small-matrix paths are cheaper than packing). */
static inline int fastnn_packed_sgemm_pays(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k) {
    return fastnn_cpu_level() == 2 && m >= 8 && n >= 8 && k >= 8;
}
#else   /* no vector builds (not GCC on x86-64): BLAS for every product */
static inline int fastnn_pack_wt_pays(ptrdiff_t nr) {
    (void)nr;
    return 0;
}
static inline void fastnn_pack_wt(const float *w, ptrdiff_t ldw, ptrdiff_t K, ptrdiff_t nc, ptrdiff_t nr,
                                  float *panel) {
    (void)w; (void)ldw; (void)K; (void)nc; (void)nr; (void)panel;
}
static inline int fastnn_packed_sgemm_pays(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k) {
    (void)m; (void)n; (void)k;
    return 0;
}
static inline void fastnn_packed_sgemm_prepacked(int trans_a, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a,
                                                 ptrdiff_t lda, const float *bpacked, float *c, ptrdiff_t ldc) {
    (void)trans_a; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)bpacked; (void)c; (void)ldc;
}
static inline int fastnn_packed_sgemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                                      float *c, ptrdiff_t ldc, const float *bias) {
    (void)trans_a; (void)trans_b; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)b; (void)ldb;
    (void)beta; (void)c; (void)ldc; (void)bias;
    return 0;
}
#endif

#endif
