/* Layer norm, one row at a time, statistics in double. Reductions keep 8 partial sums:
 * a single running sum waits one add latency per element (measured: the whole layer norm
 * ran at a quarter of PyTorch's speed); elementwise loops are plain, so GCC vectorises them. */
#ifndef FASTNN_LAYERNORMROW_H
#define FASTNN_LAYERNORMROW_H
#include <math.h>
#include <stddef.h>
#include "cpulevel.h"

#define FASTNN_LN_PARTS 8

#define FASTNN_DEFINE_LAYERNORM(T, SUFFIX)                                                           \
static inline double fastnn_ln_sum_##SUFFIX(const T *restrict x, ptrdiff_t C, double shift) {        \
    double part[FASTNN_LN_PARTS] = {0}, total = 0;                                                   \
    ptrdiff_t c = 0;                                                                                  \
    for (; c + FASTNN_LN_PARTS <= C; c += FASTNN_LN_PARTS)                                           \
        for (int j = 0; j < FASTNN_LN_PARTS; j++) part[j] += (double)x[c + j] - shift;               \
    for (; c < C; c++) part[0] += (double)x[c] - shift;                                              \
    for (int j = 0; j < FASTNN_LN_PARTS; j++) total += part[j];                                      \
    return total;                                                                                     \
}                                                                                                     \
static inline double fastnn_ln_sumsq_##SUFFIX(const T *restrict x, ptrdiff_t C, double mu) {         \
    double part[FASTNN_LN_PARTS] = {0}, total = 0;                                                   \
    ptrdiff_t c = 0;                                                                                  \
    for (; c + FASTNN_LN_PARTS <= C; c += FASTNN_LN_PARTS)                                           \
        for (int j = 0; j < FASTNN_LN_PARTS; j++) {                                                  \
            double d = (double)x[c + j] - mu;                                                         \
            part[j] += d * d;                                                                         \
        }                                                                                             \
    for (; c < C; c++) part[0] += ((double)x[c] - mu) * ((double)x[c] - mu);                         \
    for (int j = 0; j < FASTNN_LN_PARTS; j++) total += part[j];                                      \
    return total;                                                                                     \
}                                                                                                     \
/* y = (x - mean) * rstd * w + b over one row (w, b may be NULL); returns mean and rstd. */          \
static inline void fastnn_ln_row_forward_##SUFFIX(const T *restrict x, const T *restrict w,           \
        const T *restrict b, ptrdiff_t C, double eps, T *restrict y, double *mean, double *rstd) {    \
    double mu = fastnn_ln_sum_##SUFFIX(x, C, 0.0) / C;                                                \
    double rs = 1.0 / sqrt(fastnn_ln_sumsq_##SUFFIX(x, C, mu) / C + eps);                            \
    *mean = mu;                                                                                       \
    *rstd = rs;                                                                                       \
    ptrdiff_t c;                                                                                      \
    if (w && b) for (c = 0; c < C; c++) y[c] = (T)(((double)x[c] - mu) * rs * w[c] + b[c]);          \
    else if (w) for (c = 0; c < C; c++) y[c] = (T)(((double)x[c] - mu) * rs * w[c]);                 \
    else if (b) for (c = 0; c < C; c++) y[c] = (T)(((double)x[c] - mu) * rs + b[c]);                 \
    else for (c = 0; c < C; c++) y[c] = (T)(((double)x[c] - mu) * rs);                               \
}                                                                                                     \
/* With xhat = (x - mean) * rstd and gh = g * w: gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)). */ \
static inline void fastnn_ln_row_backward_##SUFFIX(const T *restrict x, const T *restrict g,          \
        const T *restrict w, ptrdiff_t C, double mu, double rs, T *restrict gx) {                     \
    double pa[FASTNN_LN_PARTS] = {0}, pb[FASTNN_LN_PARTS] = {0}, a = 0, b = 0;                       \
    ptrdiff_t c = 0;                                                                                  \
    for (; c + FASTNN_LN_PARTS <= C; c += FASTNN_LN_PARTS)                                           \
        for (int j = 0; j < FASTNN_LN_PARTS; j++) {                                                  \
            double gh = w ? (double)g[c + j] * w[c + j] : (double)g[c + j];                           \
            pa[j] += gh;                                                                              \
            pb[j] += gh * (((double)x[c + j] - mu) * rs);                                             \
        }                                                                                             \
    for (; c < C; c++) {                                                                              \
        double gh = w ? (double)g[c] * w[c] : (double)g[c];                                           \
        pa[0] += gh;                                                                                  \
        pb[0] += gh * (((double)x[c] - mu) * rs);                                                     \
    }                                                                                                 \
    for (int j = 0; j < FASTNN_LN_PARTS; j++) {                                                      \
        a += pa[j];                                                                                   \
        b += pb[j];                                                                                   \
    }                                                                                                 \
    a /= C;                                                                                           \
    b /= C;                                                                                           \
    if (w) for (c = 0; c < C; c++)                                                                    \
        gx[c] = (T)(rs * ((double)g[c] * w[c] - a - ((double)x[c] - mu) * rs * b));                  \
    else for (c = 0; c < C; c++)                                                                      \
        gx[c] = (T)(rs * ((double)g[c] - a - ((double)x[c] - mu) * rs * b));                          \
}                                                                                                     \
/* Adds one row's share of grad_weight (g * xhat) and grad_bias (g); either may be NULL. */          \
static inline void fastnn_ln_row_param_grads_##SUFFIX(const T *restrict x, const T *restrict g,       \
        ptrdiff_t C, double mu, double rs, double *restrict gw, double *restrict gb) {                \
    ptrdiff_t c;                                                                                      \
    if (gw) for (c = 0; c < C; c++) gw[c] += (double)g[c] * (((double)x[c] - mu) * rs);              \
    if (gb) for (c = 0; c < C; c++) gb[c] += (double)g[c];                                            \
}

FASTNN_DEFINE_LAYERNORM(double, f64)
FASTNN_DEFINE_LAYERNORM(float, f32_base)

/* float32 also in an AVX2 build (4 doubles per instruction instead of SSE2's 2), picked at run
 * time like the other vector builds (FASTNN_CPU_LEVEL caps it). */
#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
FASTNN_DEFINE_LAYERNORM(float, f32_avx2)
#pragma GCC pop_options
#endif

static inline void fastnn_ln_row_forward_f32(const float *x, const float *w, const float *b, ptrdiff_t C,
                                             double eps, float *y, double *mean, double *rstd) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() >= 1) { fastnn_ln_row_forward_f32_avx2(x, w, b, C, eps, y, mean, rstd); return; }
#endif
    fastnn_ln_row_forward_f32_base(x, w, b, C, eps, y, mean, rstd);
}

static inline void fastnn_ln_row_backward_f32(const float *x, const float *g, const float *w, ptrdiff_t C,
                                              double mu, double rs, float *gx) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() >= 1) { fastnn_ln_row_backward_f32_avx2(x, g, w, C, mu, rs, gx); return; }
#endif
    fastnn_ln_row_backward_f32_base(x, g, w, C, mu, rs, gx);
}

static inline void fastnn_ln_row_param_grads_f32(const float *x, const float *g, ptrdiff_t C, double mu,
                                                 double rs, double *gw, double *gb) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() >= 1) { fastnn_ln_row_param_grads_f32_avx2(x, g, C, mu, rs, gw, gb); return; }
#endif
    fastnn_ln_row_param_grads_f32_base(x, g, C, mu, rs, gw, gb);
}

#endif
