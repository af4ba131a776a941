/* LeakyReLU forward and backward in one pass each (the NumPy form, np.where(x > 0, x, s * x), makes a
 * mask, a scaled copy and a select: three passes and two temporaries). The element test is PyTorch's,
 * x > 0 (so a NaN takes the scaled branch and stays NaN); the loops are plain so the compiler vectorises
 * them as blends, built for SSE2, AVX2 and AVX-512 and picked at run time (cpulevel.h). */
#ifndef FASTNN_LEAKYRELU_H
#define FASTNN_LEAKYRELU_H
#include <stddef.h>
#include "cpulevel.h"

#define FASTNN_LEAKY_BODIES(T, SUFFIX)                                                                    \
static void fastnn_leaky_forward_##SUFFIX(const T *restrict x, T *restrict out, ptrdiff_t lo, ptrdiff_t hi, \
                                          T slope) {                                                   \
    for (ptrdiff_t i = lo; i < hi; i++) out[i] = x[i] > 0 ? x[i] : x[i] * slope;                         \
}                                                                                                      \
static void fastnn_leaky_backward_##SUFFIX(const T *restrict x, const T *restrict g, T *restrict out,     \
                                           ptrdiff_t lo, ptrdiff_t hi, T slope) {                        \
    for (ptrdiff_t i = lo; i < hi; i++) out[i] = x[i] > 0 ? g[i] : g[i] * slope;                         \
}

FASTNN_LEAKY_BODIES(float, f32_base)
FASTNN_LEAKY_BODIES(double, f64_base)
#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
FASTNN_LEAKY_BODIES(float, f32_avx2)
FASTNN_LEAKY_BODIES(double, f64_avx2)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
FASTNN_LEAKY_BODIES(float, f32_avx512)
FASTNN_LEAKY_BODIES(double, f64_avx512)
#pragma GCC pop_options
#endif
#undef FASTNN_LEAKY_BODIES

#define FASTNN_LEAKY_DISPATCH(T, SUFFIX)                                                                  \
static inline void fastnn_leaky_forward_##SUFFIX(const T *x, T *out, ptrdiff_t lo, ptrdiff_t hi, T slope) {  \
    FASTNN_DISPATCH(fastnn_leaky_forward_##SUFFIX, (x, out, lo, hi, slope));                             \
}                                                                                                      \
static inline void fastnn_leaky_backward_##SUFFIX(const T *x, const T *g, T *out, ptrdiff_t lo, ptrdiff_t hi, \
                                                  T slope) {                                           \
    FASTNN_DISPATCH(fastnn_leaky_backward_##SUFFIX, (x, g, out, lo, hi, slope));                         \
}
FASTNN_LEAKY_DISPATCH(float, f32)
FASTNN_LEAKY_DISPATCH(double, f64)
#undef FASTNN_LEAKY_DISPATCH

#endif
