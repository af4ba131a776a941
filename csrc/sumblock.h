/* The sum of a run of float32 values in double precision: a large tensor's full sum() (or mean()),
 * one block of values per call, blocks summed on several threads (activation.pyx, sum_float32).
 * Eight double lanes per vector, two vectors: the float32 values are widened as they are loaded, so
 * a block of 64K values loses no more than double rounding (NumPy's float32 pairwise sum rounds in
 * float32). Built for the baseline, AVX2 and AVX-512, picked at run time. */
#ifndef FASTNN_SUMBLOCK_H
#define FASTNN_SUMBLOCK_H
#include <stddef.h>
#include <string.h>
#include "cpulevel.h"

#define FNN_SUMBLOCK(S)                                                                             \
static double fnn_sum_block_f32_##S(const float *x, ptrdiff_t n) {                                 \
    typedef float v8f __attribute__((vector_size(32)));                                            \
    typedef double v8d __attribute__((vector_size(64)));                                           \
    v8d a0 = {0}, a1 = {0};                                                                        \
    ptrdiff_t i = 0;                                                                               \
    for (; i + 16 <= n; i += 16) {                                                                 \
        v8f u, v;                                                                                  \
        memcpy(&u, x + i, sizeof u);                                                               \
        memcpy(&v, x + i + 8, sizeof v);                                                           \
        a0 += __builtin_convertvector(u, v8d);                                                     \
        a1 += __builtin_convertvector(v, v8d);                                                     \
    }                                                                                              \
    a0 += a1;                                                                                      \
    double s = ((a0[0] + a0[1]) + (a0[2] + a0[3])) + ((a0[4] + a0[5]) + (a0[6] + a0[7]));          \
    for (; i < n; i++) s += (double)x[i];                                                          \
    return s;                                                                                      \
}

FNN_SUMBLOCK(base)
#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
FNN_SUMBLOCK(avx2)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
FNN_SUMBLOCK(avx512)
#pragma GCC pop_options
#endif

static inline double fnn_sum_block_f32(const float *x, ptrdiff_t n) {
    return FASTNN_DISPATCH(fnn_sum_block_f32, (x, n));
}

#endif
