/* Batch norm per channel of (N, C, M) arrays, stamped from batchnorm_impl.h like layer norm's rows
 * (layernormrow.h, whose plane sums it uses): float64 once, float32 for the baseline, AVX2 and AVX-512,
 * picked at run time (FASTNN_CPU_LEVEL caps it). */
#ifndef FASTNN_BATCHNORMPLANE_H
#define FASTNN_BATCHNORMPLANE_H
#include "layernormrow.h"

#define T double
#define VEC fastnn_v2d
#define VLANES 2
#define SUFFIX(name) name##_f64
#include "batchnorm_impl.h"
#undef T
#undef VEC
#undef VLANES
#undef SUFFIX

#define T float
#define VEC fastnn_v4f
#define VLANES 4
#define SUFFIX(name) name##_f32_base
#include "batchnorm_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX

#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define VEC fastnn_v8f
#define VLANES 8
#define SUFFIX(name) name##_f32_avx2
#include "batchnorm_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
#define VEC fastnn_v16f
#define VLANES 16
#define SUFFIX(name) name##_f32_avx512
#include "batchnorm_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX
#pragma GCC pop_options
#endif
#undef T

static inline void fastnn_bn_channel_forward_f32(const float *x, ptrdiff_t N, ptrdiff_t stride, ptrdiff_t M,
                                                 double eps, double w, double b, float *y, double *mean,
                                                 double *var, double *rstd) {
    FASTNN_DISPATCH(fastnn_bn_channel_forward_f32, (x, N, stride, M, eps, w, b, y, mean, var, rstd));
}

static inline void fastnn_bn_channel_backward_f32(const float *x, const float *g, ptrdiff_t N, ptrdiff_t stride,
                                                  ptrdiff_t M, double mean, double rstd, double w, float *gx,
                                                  double *sum_g, double *sum_gxhat) {
    FASTNN_DISPATCH(fastnn_bn_channel_backward_f32, (x, g, N, stride, M, mean, rstd, w, gx, sum_g, sum_gxhat));
}

#endif
