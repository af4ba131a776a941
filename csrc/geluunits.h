/* A Transformer feed-forward block's GELU hidden units (exact GELU, x * Phi(x)) with the first bias and
 * dropout, rows [r0, r1) of an (R, C) array; the row loops match dropoutmask.h's ReLU ones.
 * float32 evaluates erf by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7, branch-free, so the loops
 * vectorise with fastnn_expf where libm's erff is a call per element), in its erfc form for negative
 * arguments so that Phi(x) keeps its relative accuracy there; float64 uses libm's erfc and exp. */
#ifndef FASTNN_GELUUNITS_H
#define FASTNN_GELUUNITS_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "fastexp.h"
#include "dropoutmask.h"
#include "cpulevel.h"

/* Phi(x) = (1 + erf(x / sqrt 2)) / 2 and phi(x) = exp(-x^2 / 2) / sqrt(2 pi). */
static inline __attribute__((always_inline)) float fastnn_gelu_cdf_f32(float x, float *pdf) {
    float z = fabsf(x) * 0.70710678118654752f;
    float t = 1.0f / (1.0f + 0.3275911f * z);
    float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    float e = fastnn_expf(-z * z);       /* = sqrt(2 pi) * phi(x) */
    float half_erfc = 0.5f * poly * e;   /* erfc(|x| / sqrt 2) / 2 */
    *pdf = 0.39894228040143268f * e;
    return x < 0 ? half_erfc : 1.0f - half_erfc;
}

static inline double fastnn_gelu_cdf_f64(double x, double *pdf) {
    *pdf = 0.39894228040143268 * exp(-0.5 * x * x);
    return 0.5 * erfc(-x * 0.70710678118654752);
}

/* The unmasked rows (no dropout) as plain loops over restrict pointers, which GCC vectorises; float32
 * built for the baseline, AVX2 and AVX-512 and picked at run time (FASTNN_CPU_LEVEL caps it). */
#define FASTNN_DEFINE_GELU_ROWS(SUFFIX)                                                               \
static inline void fastnn_gelu_row_f32_##SUFFIX(float *restrict a, const float *restrict bias,        \
                                                float *restrict out, ptrdiff_t C) {                  \
    if (bias)                                                                                         \
        for (ptrdiff_t c = 0; c < C; c++) a[c] += bias[c];                                            \
    for (ptrdiff_t c = 0; c < C; c++) {                                                               \
        float pdf, v = a[c];                                                                          \
        out[c] = v * fastnn_gelu_cdf_f32(v, &pdf);                                                    \
    }                                                                                                 \
}                                                                                                     \
static inline void fastnn_gelu_row_backward_f32_##SUFFIX(float *restrict g, const float *restrict pre, \
                                                         ptrdiff_t C) {                               \
    for (ptrdiff_t c = 0; c < C; c++) {                                                               \
        float pdf, cdf = fastnn_gelu_cdf_f32(pre[c], &pdf);                                           \
        g[c] *= cdf + pre[c] * pdf;                                                                   \
    }                                                                                                 \
}

FASTNN_DEFINE_GELU_ROWS(base)
#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
FASTNN_DEFINE_GELU_ROWS(avx2)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
FASTNN_DEFINE_GELU_ROWS(avx512)
#pragma GCC pop_options
#endif

static inline void fastnn_gelu_row_f32(float *a, const float *bias, float *out, ptrdiff_t C) {
    FASTNN_DISPATCH(fastnn_gelu_row_f32, (a, bias, out, C));
}

static inline void fastnn_gelu_row_backward_f32(float *g, const float *pre, ptrdiff_t C) {
    FASTNN_DISPATCH(fastnn_gelu_row_backward_f32, (g, pre, C));
}

#define FASTNN_GELU_KEEP_FWD(c, keep)                                                                 \
    { __typeof__(row[0]) v = bias ? row[c] + bias[c] : row[c], pdf;                                   \
      row[c] = v;                                                                                     \
      out[c] = v * CDF(v, &pdf) * ((__typeof__(row[0]))(keep) * scale); }
#define FASTNN_GELU_KEEP_BWD(c, keep)                                                                 \
    { __typeof__(row[0]) pdf, cdf = CDF(pre[c], &pdf);                                               \
      row[c] = row[c] * ((__typeof__(row[0]))(keep) * scale) * (cdf + pre[c] * pdf); }

/* Forward: pre-activation a += bias (kept for the backward), out = gelu(a) * (kept ? scale : 0).
 * Backward: g = g * (kept ? scale : 0) * gelu'(a), gb (may be NULL) gaining the column sums of g. */
#define FASTNN_DEFINE_GELU(T, SUFFIX)                                                                 \
static void fastnn_gelu_dropout_rows_##SUFFIX(T *restrict a, const T *restrict bias, T *restrict h,   \
        ptrdiff_t C, ptrdiff_t r0, ptrdiff_t r1, uint64_t seed, uint32_t threshold, T scale, int masked) { \
    for (ptrdiff_t r = r0; r < r1; r++) {                                                             \
        T *row = a + r * C, *out = h + r * C;                                                         \
        if (masked)                                                                                   \
            FASTNN_FOR_KEEPS(r * C, C, seed, threshold, FASTNN_GELU_KEEP_FWD);                        \
        else                                                                                          \
            ROW_FWD(row, bias, out, C);                                                               \
    }                                                                                                 \
}                                                                                                     \
static void fastnn_gelu_dropout_backward_rows_##SUFFIX(T *restrict g, const T *restrict a, ptrdiff_t C, \
        ptrdiff_t r0, ptrdiff_t r1, uint64_t seed, uint32_t threshold, T scale, int masked,            \
        double *restrict gb) {                                                                        \
    for (ptrdiff_t r = r0; r < r1; r++) {                                                             \
        T *row = g + r * C;                                                                           \
        const T *pre = a + r * C;                                                                     \
        if (masked)                                                                                   \
            FASTNN_FOR_KEEPS(r * C, C, seed, threshold, FASTNN_GELU_KEEP_BWD);                        \
        else                                                                                          \
            ROW_BWD(row, pre, C);                                                                     \
        if (gb)                                                                                       \
            for (ptrdiff_t c = 0; c < C; c++) gb[c] += row[c];                                        \
    }                                                                                                 \
}

static inline void fastnn_gelu_row_f64(double *a, const double *bias, double *out, ptrdiff_t C) {
    for (ptrdiff_t c = 0; c < C; c++) {
        double pdf, v = bias ? a[c] + bias[c] : a[c];
        a[c] = v;
        out[c] = v * fastnn_gelu_cdf_f64(v, &pdf);
    }
}

static inline void fastnn_gelu_row_backward_f64(double *g, const double *pre, ptrdiff_t C) {
    for (ptrdiff_t c = 0; c < C; c++) {
        double pdf, cdf = fastnn_gelu_cdf_f64(pre[c], &pdf);
        g[c] *= cdf + pre[c] * pdf;
    }
}

#define CDF fastnn_gelu_cdf_f32
#define ROW_FWD fastnn_gelu_row_f32
#define ROW_BWD fastnn_gelu_row_backward_f32
FASTNN_DEFINE_GELU(float, f32)
#undef CDF
#undef ROW_FWD
#undef ROW_BWD
#define CDF fastnn_gelu_cdf_f64
#define ROW_FWD fastnn_gelu_row_f64
#define ROW_BWD fastnn_gelu_row_backward_f64
FASTNN_DEFINE_GELU(double, f64)
#undef CDF
#undef ROW_FWD
#undef ROW_BWD

#endif
