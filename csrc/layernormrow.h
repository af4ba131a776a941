/* Layer norm over blocks of rows, stamped from layernorm_impl.h: float64 once (the baseline's
 * 2-wide vectors), float32 for the baseline, AVX2 and AVX-512, picked at run time like the other
 * vector builds (FASTNN_CPU_LEVEL caps it). Row means and inverse deviations are doubles. */
#ifndef FASTNN_LAYERNORMROW_H
#define FASTNN_LAYERNORMROW_H
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "cpulevel.h"
#include "vectypes.h"
#include "dropoutmask.h"

#define T double
#define VEC fastnn_v2d
#define VLANES 2
#define SUFFIX(name) name##_f64
#include "layernorm_impl.h"
#undef T
#undef VEC
#undef VLANES
#undef SUFFIX

#define T float
#define VEC fastnn_v4f
#define VLANES 4
#define SUFFIX(name) name##_f32_base
#include "layernorm_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX

#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define VEC fastnn_v8f
#define VLANES 8
#define SUFFIX(name) name##_f32_avx2
#include "layernorm_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
#define VEC fastnn_v16f
#define VLANES 16
#define SUFFIX(name) name##_f32_avx512
#include "layernorm_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX
#pragma GCC pop_options
#endif
#undef T

static inline void fastnn_ln_rows_forward_f32(const float *x, const float *res, const float *w, const float *b,
                                              ptrdiff_t R, ptrdiff_t C, double eps, float *y, float *sum,
                                              double *mean, double *rstd, ptrdiff_t row0, uint64_t seed,
                                              uint32_t threshold, float scale, int masked) {
    FASTNN_DISPATCH(fastnn_ln_rows_forward_f32, (x, res, w, b, R, C, eps, y, sum, mean, rstd, row0, seed, threshold,
                                                 scale, masked));
}

static inline void fastnn_ln_rows_backward_f32(const float *x, const float *g, const float *w, const double *mean,
                                               const double *rstd, ptrdiff_t R, ptrdiff_t C, float *gx,
                                               const float *gres, float *pw, float *pb) {
    FASTNN_DISPATCH(fastnn_ln_rows_backward_f32, (x, g, w, mean, rstd, R, C, gx, gres, pw, pb));
}

static inline void fastnn_ln_fold_f32(const float *part, ptrdiff_t C, double *acc) {
    fastnn_ln_fold_f32_base(part, C, acc);
}

#endif
