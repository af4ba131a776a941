/* Max pooling over one (H, W) plane, forward: the window's in-bounds taps come from index
 * arithmetic and the running maximum is a select, not a branch. On random data a branch
 * per comparison mispredicts half the time (measured: about 60 cycles per output when the
 * loop was written in Cython). The interior's select is a blend of bit masks: as `take ? v :
 * best` GCC compiled it back into branches (2x2 windows on 24x24 planes, random data: 16.4 ns
 * an output, 6.3 with the blend, 4.0-4.2 in the AVX2 and AVX-512 builds, one thread, AMD EPYC
 * Zen 4). float32 is built for the baseline, AVX2 and AVX-512 and picked at run time.
 * NaN wins, as in PyTorch, and the first NaN of a window stays. */
#ifndef FASTNN_MAXPOOL_H
#define FASTNN_MAXPOOL_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include "cpulevel.h"
#ifdef FASTNN_HAVE_AVX2_BUILD
#include <immintrin.h>  /* outside the target regions (see rowsoftmax.h) */
#endif

static inline __attribute__((always_inline)) ptrdiff_t fnn_first_tap(ptrdiff_t start, ptrdiff_t d) {
    return start >= 0 ? 0 : (d == 1 ? -start : (-start + d - 1) / d);
}

static inline __attribute__((always_inline)) ptrdiff_t fnn_end_tap(ptrdiff_t start, ptrdiff_t d, ptrdiff_t size,
                                                                   ptrdiff_t k) {
    ptrdiff_t room = size - start;
    if (room <= 0) return 0;
    if (d != 1) room = (room + d - 1) / d;
    return room < k ? room : k;
}

/* ceil_mode planes of 2x2 windows up to this many elements, padded, go through a stack buffer (16 KB of
 * float32: a 64x64 plane) */
#define FNN_MAXPOOL_PAD_ELEMS 4096

/* keep (all ones) ? a : b, by bit masks (always inlined: the AVX builds call them, see fastexp.h) */
static inline __attribute__((always_inline)) float fnn_blend_f(ptrdiff_t keep, float a, float b) {
    uint32_t ua, ub, m = (uint32_t)keep;
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    ua = (ua & m) | (ub & ~m);
    memcpy(&a, &ua, 4);
    return a;
}
static inline __attribute__((always_inline)) double fnn_blend_d(ptrdiff_t keep, double a, double b) {
    uint64_t ua, ub, m = (uint64_t)keep;
    memcpy(&ua, &a, 8);
    memcpy(&ub, &b, 8);
    ua = (ua & m) | (ub & ~m);
    memcpy(&a, &ua, 8);
    return a;
}

/* nn.MaxPool2d(2)'s windows (2x2, stride 2, no padding or dilation): maxpool2x2_plane's case. */
static inline int fnn_is_2x2_stride_2(ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph,
                                      ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw) {
    return kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1;
}

/* One output pixel, any window position (the edges). */
#define FNN_MAXPOOL(T, S, B)                                                                      \
__attribute__((always_inline))                                                                  \
static inline void maxpool_pixel_##S(const T *x, ptrdiff_t W, ptrdiff_t y0, ptrdiff_t ilo,      \
                                     ptrdiff_t ihi, ptrdiff_t dh, ptrdiff_t x0, ptrdiff_t jlo,  \
                                     ptrdiff_t jhi, ptrdiff_t dw, T *out, long long *idx) {       \
    T best = 0;                                                                                 \
    int64_t bi = -1;                                                                            \
    if (ilo < ihi && jlo < jhi) { /* always, given padding <= kernel / 2 */                     \
        bi = (y0 + ilo * dh) * W + x0 + jlo * dw;                                               \
        best = x[bi];                                                                           \
        for (ptrdiff_t i = ilo; i < ihi; i++)                                                   \
            for (ptrdiff_t j = jlo; j < jhi; j++) {                                             \
                ptrdiff_t at = (y0 + i * dh) * W + x0 + j * dw;                                 \
                T v = x[at];                                                                    \
                int take = ((v > best) | (v != v)) & (best == best);                            \
                best = take ? v : best;                                                         \
                bi = take ? at : bi;                                                            \
            }                                                                                   \
    }                                                                                           \
    *out = best;                                                                                \
    *idx = bi;                                                                                  \
}                                                                                               \
                                                                                                \
/* nn.MaxPool2d(2): 2x2 windows, stride 2, no padding or dilation. The four taps as a tree,      \
 * (t0 vs t1) and (t2 vs t3), then the later pair wins only if strictly greater or the only NaN: \
 * the tap the generic row-by-row scan picks (the first NaN, else the first maximum), with two   \
 * short dependency chains instead of one long one. Rows nh by nw whole windows; the data's rows  \
 * lie ld apart, indices count in a plane W wide. */                                              \
static inline __attribute__((always_inline)) void maxpool2x2_whole_##S(                          \
        const T *__restrict x, ptrdiff_t ld, ptrdiff_t W, ptrdiff_t nh, ptrdiff_t nw, ptrdiff_t wo, \
        T *__restrict out, long long *__restrict idx) {                                          \
    for (ptrdiff_t oy = 0; oy < nh; oy++) {                                                     \
        T *o = out + oy * wo;                                                                   \
        long long *b = idx + oy * wo;                                                           \
        const T *r0 = x + 2 * oy * ld, *r1 = r0 + ld;                                           \
        for (ptrdiff_t ox = 0; ox < nw; ox++) {                                                 \
            T v0 = r0[2 * ox], v1 = r0[2 * ox + 1], v2 = r1[2 * ox], v3 = r1[2 * ox + 1];       \
            ptrdiff_t k1 = (ptrdiff_t)(((v1 > v0) | (v1 != v1)) & (v0 == v0)) - 1;              \
            ptrdiff_t k3 = (ptrdiff_t)(((v3 > v2) | (v3 != v3)) & (v2 == v2)) - 1;              \
            T top = fnn_blend_##B(k1, v0, v1), bottom = fnn_blend_##B(k3, v2, v3);             \
            ptrdiff_t ti = 2 * oy * W + 2 * ox + (1 & ~k1), bi = ti - (1 & ~k1) + W + (1 & ~k3); \
            ptrdiff_t kb = (ptrdiff_t)(((bottom > top) | (bottom != bottom)) & (top == top)) - 1; \
            o[ox] = fnn_blend_##B(kb, top, bottom);                                             \
            b[ox] = (ti & kb) | (bi & ~kb);                                                     \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* A plane with windows cut short by ceil_mode (odd H or W). A small one is copied into a buffer  \
 * of whole windows whose missing taps are -inf: such a tap is never strictly greater and never   \
 * NaN, so it never wins, and every window runs the branch-free loop, vectorised over whole rows.  \
 * 1024 planes of 7x7 (16 windows, 7 cut), one thread, AMD EPYC Zen 5: 56 us with the cut windows  \
 * scanned tap by tap (a mispredict per window), 64 us with them branch-free from x (3 whole windows \
 * a row do not fill a vector), 44 us through the buffer. A large plane scans its cut windows.     */ \
static void maxpool2x2_plane_##S(const T *__restrict x, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ho,   \
                                 ptrdiff_t wo, T *__restrict out, long long *__restrict idx) {   \
    ptrdiff_t full_h = H / 2 < ho ? H / 2 : ho, full_w = W / 2 < wo ? W / 2 : wo;               \
    if (full_h == ho && full_w == wo) {                                                         \
        maxpool2x2_whole_##S(x, W, W, ho, wo, wo, out, idx);                                    \
        return;                                                                                 \
    }                                                                                           \
    if (4 * ho * wo <= FNN_MAXPOOL_PAD_ELEMS) {                                                 \
        T pad[FNN_MAXPOOL_PAD_ELEMS];                                                           \
        ptrdiff_t ld = 2 * wo;                                                                  \
        /* one select per element: split into copies and fills, GCC called memcpy per short row */ \
        for (ptrdiff_t y = 0; y < 2 * ho; y++)                                                  \
            for (ptrdiff_t c = 0; c < ld; c++)                                                  \
                pad[y * ld + c] = y < H && c < W ? x[y * W + c] : -(T)INFINITY;                 \
        maxpool2x2_whole_##S(pad, ld, W, ho, wo, wo, out, idx);                                 \
        return;                                                                                 \
    }                                                                                           \
    maxpool2x2_whole_##S(x, W, W, full_h, full_w, wo, out, idx);                                \
    for (ptrdiff_t oy = 0; oy < ho; oy++) {                                                     \
        T *o = out + oy * wo;                                                                   \
        long long *b = idx + oy * wo;                                                           \
        ptrdiff_t y0 = 2 * oy, first = oy < full_h ? full_w : 0;                                \
        for (ptrdiff_t ox = first; ox < wo; ox++) { /* a window cut short: taps in scan order */ \
            ptrdiff_t x0 = 2 * ox, at = y0 * W + x0, bi = at;                                   \
            int right = x0 + 1 < W, below = y0 + 1 < H;                                         \
            T best = x[at];                                                                     \
            for (int t = 1; t < 4; t++) {                                                       \
                if ((t & 1 && !right) || (t & 2 && !below)) continue;                           \
                ptrdiff_t p = at + (t & 1) + (t >> 1) * W;                                      \
                T v = x[p];                                                                     \
                if (((v > best) | (v != v)) & (best == best)) { best = v; bi = p; }             \
            }                                                                                   \
            o[ox] = best;                                                                       \
            b[ox] = bi;                                                                         \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* A whole plane. Columns whose window lies inside the row are done tap by tap across the   \
 * row (a loop over ox that vectorises); the edge columns one pixel at a time. */              \
static void maxpool_plane_##S(const T *__restrict x, ptrdiff_t H, ptrdiff_t W, ptrdiff_t kh, ptrdiff_t kw, \
                              ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw,           \
                              ptrdiff_t dh, ptrdiff_t dw, ptrdiff_t ho, ptrdiff_t wo,           \
                              T *__restrict out, long long *__restrict idx) {                                        \
    if (fnn_is_2x2_stride_2(kh, kw, sh, sw, ph, pw, dh, dw)) {                                 \
        maxpool2x2_plane_##S(x, H, W, ho, wo, out, idx);                                        \
        return;                                                                                 \
    }                                                                                           \
    ptrdiff_t span = (kw - 1) * dw;                                                             \
    ptrdiff_t in_lo = (pw + sw - 1) / sw;                   /* first ox with x0 >= 0 */        \
    ptrdiff_t in_hi = W - 1 - span + pw >= 0 ? (W - 1 - span + pw) / sw + 1 : 0;               \
    if (in_hi > wo) in_hi = wo;                                                                 \
    if (in_lo > in_hi) in_lo = in_hi;                                                           \
    for (ptrdiff_t oy = 0; oy < ho; oy++) {                                                     \
        ptrdiff_t y0 = oy * sh - ph;                                                            \
        ptrdiff_t ilo = fnn_first_tap(y0, dh), ihi = fnn_end_tap(y0, dh, H, kh);               \
        T *o = out + oy * wo;                                                                   \
        long long *b = idx + oy * wo;                                                             \
        for (ptrdiff_t ox = 0; ox < wo; ox++) {                                                 \
            if (ox == in_lo && in_lo < in_hi && ilo < ihi) { ox = in_hi - 1; continue; }       \
            ptrdiff_t x0 = ox * sw - pw;                                                        \
            maxpool_pixel_##S(x, W, y0, ilo, ihi, dh, x0, fnn_first_tap(x0, dw),               \
                              fnn_end_tap(x0, dw, W, kw), dw, o + ox, b + ox);                  \
        }                                                                                       \
        if (in_lo >= in_hi || ilo >= ihi) continue;                                             \
        ptrdiff_t first = (y0 + ilo * dh) * W - pw;                                             \
        for (ptrdiff_t ox = in_lo; ox < in_hi; ox++) {                                          \
            o[ox] = x[first + ox * sw];                                                         \
            b[ox] = first + ox * sw;                                                            \
        }                                                                                       \
        for (ptrdiff_t i = ilo; i < ihi; i++)                                                   \
            for (ptrdiff_t j = 0; j < kw; j++) {                                                \
                if (i == ilo && j == 0) continue;                                               \
                ptrdiff_t base = (y0 + i * dh) * W - pw + j * dw;                               \
                for (ptrdiff_t ox = in_lo; ox < in_hi; ox++) {                                  \
                    ptrdiff_t at = base + ox * sw;                                              \
                    T v = x[at], best = o[ox];                                                  \
                    /* all ones where the old maximum stays */                                  \
                    ptrdiff_t keep = (ptrdiff_t)(((v > best) | (v != v)) & (best == best)) - 1; \
                    o[ox] = fnn_blend_##B(keep, best, v);                                       \
                    b[ox] = (b[ox] & keep) | (at & ~keep);                                      \
                }                                                                               \
            }                                                                                   \
    }                                                                                           \
}

FNN_MAXPOOL(float, f_base, f)
FNN_MAXPOOL(double, d, d)
#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
FNN_MAXPOOL(float, f_avx2, f)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
FNN_MAXPOOL(float, f_avx512, f)

/* 2x2 windows, stride 2, on planes at most 16 wide: a row pair per step in two masked 16-lane loads
 * (lanes past the row, and the row below the last of an odd H, read -inf: never strictly greater,
 * never NaN, so a tap ceil_mode cuts never wins), split into even and odd columns by a permute, and
 * the tap tree of maxpool2x2_plane on 8 lanes at once. The scalar loop kept 3-4 windows a row from
 * filling a vector (1024 planes of 7x7, ceil_mode, one thread, AMD EPYC Zen 5: 43 us through the padded buffer, 20 us here). */
static void maxpool2x2_narrow_f_avx512(const float *x, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ho, ptrdiff_t wo,
                                       float *out, long long *idx) {
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15);
    const __m256i col = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14), one = _mm256_set1_epi32(1);
    const __mmask16 row = (__mmask16)((1u << W) - 1);
    const __mmask8 outs = (__mmask8)((1u << wo) - 1);
    for (ptrdiff_t oy = 0; oy < ho; oy++) {
        ptrdiff_t y0 = 2 * oy;
        __m512 r0 = _mm512_mask_loadu_ps(ninf, row, x + y0 * W);
        __m512 r1 = y0 + 1 < H ? _mm512_mask_loadu_ps(ninf, row, x + (y0 + 1) * W) : ninf;
        __m256 v0 = _mm512_castps512_ps256(_mm512_permutexvar_ps(even, r0));
        __m256 v1 = _mm512_castps512_ps256(_mm512_permutexvar_ps(odd, r0));
        __m256 v2 = _mm512_castps512_ps256(_mm512_permutexvar_ps(even, r1));
        __m256 v3 = _mm512_castps512_ps256(_mm512_permutexvar_ps(odd, r1));
        /* the later tap wins if strictly greater, or NaN where the earlier is not */
        __mmask8 k1 = (_mm256_cmp_ps_mask(v1, v0, _CMP_GT_OQ) | _mm256_cmp_ps_mask(v1, v1, _CMP_UNORD_Q)) &
                      _mm256_cmp_ps_mask(v0, v0, _CMP_ORD_Q);
        __mmask8 k3 = (_mm256_cmp_ps_mask(v3, v2, _CMP_GT_OQ) | _mm256_cmp_ps_mask(v3, v3, _CMP_UNORD_Q)) &
                      _mm256_cmp_ps_mask(v2, v2, _CMP_ORD_Q);
        __m256 top = _mm256_mask_blend_ps(k1, v0, v1), bottom = _mm256_mask_blend_ps(k3, v2, v3);
        __mmask8 kb = (_mm256_cmp_ps_mask(bottom, top, _CMP_GT_OQ) |
                       _mm256_cmp_ps_mask(bottom, bottom, _CMP_UNORD_Q)) & _mm256_cmp_ps_mask(top, top, _CMP_ORD_Q);
        __m256i base = _mm256_add_epi32(col, _mm256_set1_epi32((int)(y0 * W)));
        __m256i ti = _mm256_mask_add_epi32(base, k1, base, one);
        __m256i below = _mm256_add_epi32(base, _mm256_set1_epi32((int)W));
        __m256i bi = _mm256_mask_add_epi32(below, k3, below, one);
        _mm256_mask_storeu_ps(out + oy * wo, outs, _mm256_mask_blend_ps(kb, top, bottom));
        _mm512_mask_storeu_epi64(idx + oy * wo, outs, _mm512_cvtepi32_epi64(_mm256_mask_blend_epi32(kb, ti, bi)));
    }
}
#pragma GCC pop_options
#endif

static inline void maxpool_plane_f(const float *x, ptrdiff_t H, ptrdiff_t W, ptrdiff_t kh, ptrdiff_t kw,
                                   ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh,
                                   ptrdiff_t dw, ptrdiff_t ho, ptrdiff_t wo, float *out, long long *idx) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() == 2 && W <= 16 && H * W < ((ptrdiff_t)1 << 30) &&
        fnn_is_2x2_stride_2(kh, kw, sh, sw, ph, pw, dh, dw)) {
        maxpool2x2_narrow_f_avx512(x, H, W, ho, wo, out, idx);
        return;
    }
    /* 2x2 windows on the AVX2 build also where AVX-512 runs: GCC's 16-lane loop over a row of
     * 4-8 outputs was 3.5x slower than its 8-lane one (1024 planes of 8x8, AMD EPYC Zen 5) */
    if (fastnn_cpu_level() >= 1 && fnn_is_2x2_stride_2(kh, kw, sh, sw, ph, pw, dh, dw)) {
        maxpool2x2_plane_f_avx2(x, H, W, ho, wo, out, idx);
        return;
    }
#endif
    FASTNN_DISPATCH(maxpool_plane_f, (x, H, W, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, out, idx));
}

#endif
