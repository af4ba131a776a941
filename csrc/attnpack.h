/* Attention's operand packing and transposes, ordered for the access they make.
 *
 * panelgemm.h's packing walks a panel row by row, reading nr values `n_stride` apart for each
 * row: for K^T (n_stride = D) that is a strided gather with a bounds select per value, and it
 * was about 5% of attention's tiled forward at L = 1024 (one problem per thread, Xeon AVX-512).
 * Here a transposing pack reads each source row (a key's D values) contiguously and writes it
 * down the panel's column, and a row-major source is copied a panel row at a time, so the
 * compiler vectorises it. Same layout as fastnn_pack_panels (one gate block): panel p of the
 * K x cols matrix at dst + p * K * nr, zero past cols. */
#ifndef FASTNN_ATTNPACK_H
#define FASTNN_ATTNPACK_H
#include <stddef.h>
#include <string.h>
#include "cpulevel.h"
#ifdef FASTNN_HAVE_AVX2_BUILD
#include <immintrin.h>  /* outside the target region below (see rowsoftmax.h) */
#endif

#define FASTNN_DEFINE_ATTN_PACK(TYPE, S)                                                              \
static inline void fastnn_attn_pack_##S(const TYPE *b, ptrdiff_t k_stride, ptrdiff_t n_stride,          \
                                        ptrdiff_t K, ptrdiff_t cols, ptrdiff_t nr, TYPE *dst) {          \
    for (ptrdiff_t j0 = 0; j0 < cols; j0 += nr) {                                                       \
        TYPE *panel = dst + j0 / nr * K * nr;                                                           \
        ptrdiff_t w = cols - j0 < nr ? cols - j0 : nr;                                                  \
        if (n_stride == 1) {  /* rows of the panel are contiguous runs of the source */               \
            for (ptrdiff_t k = 0; k < K; k++) {                                                         \
                memcpy(panel + k * nr, b + k * k_stride + j0, (size_t)w * sizeof(TYPE));                \
                for (ptrdiff_t j = w; j < nr; j++) panel[k * nr + j] = 0;                               \
            }                                                                                           \
        } else {  /* column j of the panel is source row j0 + j (k_stride 1 for K^T) */               \
            if (w < nr) memset(panel, 0, (size_t)(K * nr) * sizeof(TYPE));                              \
            for (ptrdiff_t j = 0; j < w; j++) {                                                         \
                const TYPE *src = b + (j0 + j) * n_stride;                                              \
                for (ptrdiff_t k = 0; k < K; k++) panel[k * nr + j] = src[k * k_stride];                \
            }                                                                                           \
        }                                                                                               \
    }                                                                                                   \
}                                                                                                       \
/* dst (cols, rows) = src^T, src's rows ld apart: 8 x 8 blocks, read along rows, written along rows. */ \
static inline void fastnn_attn_transpose_##S(const TYPE *src, ptrdiff_t rows, ptrdiff_t cols,           \
                                             ptrdiff_t ld, TYPE *dst) {                                  \
    ptrdiff_t r0 = 0;                                                                                   \
    for (; r0 + 8 <= rows; r0 += 8) {                                                                   \
        ptrdiff_t c0 = 0;                                                                               \
        for (; c0 + 8 <= cols; c0 += 8) {                                                               \
            TYPE blk[8][8];                                                                             \
            for (int r = 0; r < 8; r++)                                                                 \
                for (int c = 0; c < 8; c++) blk[c][r] = src[(r0 + r) * ld + c0 + c];                     \
            for (int c = 0; c < 8; c++) memcpy(dst + (c0 + c) * rows + r0, blk[c], 8 * sizeof(TYPE));   \
        }                                                                                               \
        for (; c0 < cols; c0++)                                                                         \
            for (int r = 0; r < 8; r++) dst[c0 * rows + r0 + r] = src[(r0 + r) * ld + c0];               \
    }                                                                                                   \
    for (; r0 < rows; r0++)                                                                             \
        for (ptrdiff_t c = 0; c < cols; c++) dst[c * rows + r0] = src[r0 * ld + c];                     \
}
FASTNN_DEFINE_ATTN_PACK(float, f_base)
FASTNN_DEFINE_ATTN_PACK(double, d)
#undef FASTNN_DEFINE_ATTN_PACK

/* Whether x[0:n] holds a NaN: an OR of comparisons, which compilers vectorise (a branch per value ran
 * a scalar loop, 3% of the full backward at L = 256). */
static inline int fastnn_attn_any_nan_f(const float *x, ptrdiff_t n) {
    int r = 0;
    for (ptrdiff_t i = 0; i < n; i++) r |= x[i] != x[i];
    return r;
}
static inline int fastnn_attn_any_nan_d(const double *x, ptrdiff_t n) {
    int r = 0;
    for (ptrdiff_t i = 0; i < n; i++) r |= x[i] != x[i];
    return r;
}

#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
/* 16 x 16 floats transposed in registers (unpack, in-lane shuffle, two 128-bit lane shuffles): the
 * baseline's scalar blocks took 11% of the full backward at L = 256 (the dO and Q blocks, dV^T, dK^T). */
static inline void fastnn_attn_transpose16_avx512(const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * lds);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int h = 0; h < 16; h += 8)
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xDD);
        }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
    }
    for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + i * ldd, r[i]);
}

static void fastnn_attn_transpose_f_avx512(const float *src, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t ld,
                                           float *dst) {
    ptrdiff_t r16 = rows - rows % 16, c16 = cols - cols % 16;
    for (ptrdiff_t r0 = 0; r0 < r16; r0 += 16)
        for (ptrdiff_t c0 = 0; c0 < c16; c0 += 16)
            fastnn_attn_transpose16_avx512(src + r0 * ld + c0, ld, dst + c0 * rows + r0, rows);
    for (ptrdiff_t r = 0; r < rows; r++)  /* the edges */
        for (ptrdiff_t c = r < r16 ? c16 : 0; c < cols; c++) dst[c * rows + r] = src[r * ld + c];
}

/* sum(a * b) in double, 16 floats a step (the baseline's two-lane double loop was 2% of the full backward) */
static double fastnn_attn_dot_f_avx512(const float *a, const float *b, ptrdiff_t n) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0;
    ptrdiff_t c = 0;
    for (; c + 16 <= n; c += 16) {
        __m512 x = _mm512_loadu_ps(a + c), y = _mm512_loadu_ps(b + c);
        __m256 xl = _mm512_castps512_ps256(x), yl = _mm512_castps512_ps256(y);
        __m256 xh = _mm512_extractf32x8_ps(x, 1), yh = _mm512_extractf32x8_ps(y, 1);
        s0 = _mm512_fmadd_pd(_mm512_cvtps_pd(xl), _mm512_cvtps_pd(yl), s0);
        s1 = _mm512_fmadd_pd(_mm512_cvtps_pd(xh), _mm512_cvtps_pd(yh), s1);
    }
    double s = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    for (; c < n; c++) s += (double)a[c] * b[c];
    return s;
}
#pragma GCC pop_options
#endif

static inline void fastnn_attn_transpose_f(const float *src, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t ld, float *dst) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() == 2) {
        fastnn_attn_transpose_f_avx512(src, rows, cols, ld, dst);
        return;
    }
#endif
    fastnn_attn_transpose_f_base(src, rows, cols, ld, dst);
}

/* A transposing pack (k_stride 1) of whole 16 x 16 blocks goes through the register transpose; the rest,
 * and every other pack (copies, which vectorise in the baseline build), through the generic one. */
static inline void fastnn_attn_pack_f(const float *b, ptrdiff_t k_stride, ptrdiff_t n_stride, ptrdiff_t K,
                                      ptrdiff_t cols, ptrdiff_t nr, float *dst) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() == 2 && k_stride == 1 && nr % 16 == 0 && K % 16 == 0 && cols % nr == 0) {
        for (ptrdiff_t j0 = 0; j0 < cols; j0 += 16)
            for (ptrdiff_t k0 = 0; k0 < K; k0 += 16)
                fastnn_attn_transpose16_avx512(b + j0 * n_stride + k0, n_stride,
                                               dst + j0 / nr * K * nr + k0 * nr + j0 % nr, nr);
        return;
    }
#endif
    fastnn_attn_pack_f_base(b, k_stride, n_stride, K, cols, nr, dst);
}

/* sum(a * b) in double over n floats: 8 partial sums (one chain of additions would take the adder's
 * latency per value), or the AVX-512 loop */
static inline double fastnn_attn_dot_f(const float *a, const float *b, ptrdiff_t n) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() == 2) return fastnn_attn_dot_f_avx512(a, b, n);
#endif
    double part[8] = {0};
    ptrdiff_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int r = 0; r < 8; r++) part[r] += (double)a[j + r] * b[j + r];
    for (; j < n; j++) part[0] += (double)a[j] * b[j];
    return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

#endif
