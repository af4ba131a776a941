/* The tile transforms of Winograd F(2x2, 3x3) (csrc/conv_winograd.pxi), over T tiles at
 * once: value k of tile t sits at [k*T + t] (gathered patches) or [xi*stride + t] (the 16
 * transformed matrices), so every loop runs over t and vectorises; `restrict` tells the
 * compiler the streams do not overlap (it gives up on checking 16 of them at run time).
 *
 * input:  v[xi*vs + t] = (B^T d_t B)[xi], d_t the 4x4 patch d[k*T + t]
 * grad:   z[xi*zs + t*ts] = (A g_t A^T)[xi], g_t the 2x2 patch g[k*T + t]
 * output: y[k*T + t] = (A^T m_t A)[k], k < 4, m_t = m[xi*ms + t]
 * with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] and A^T = [1 1 1 0; 0 1 -1 -1]. */
#ifndef FASTNN_WINOGRAD_H
#define FASTNN_WINOGRAD_H
#include <stddef.h>
#include "cpulevel.h"

#define FNN_WINOGRAD(T_, S)                                                                     \
static void wino_input_##S(const T_ *restrict d, ptrdiff_t T, T_ *restrict v, ptrdiff_t vs) {     \
    for (ptrdiff_t t = 0; t < T; t++) {                                                          \
        T_ e[16];                                                                                \
        for (int r = 0; r < 4; r++) {                                                            \
            const T_ *dr = d + r * 4 * T + t;                                                    \
            e[r * 4 + 0] = dr[0] - dr[2 * T];                                                    \
            e[r * 4 + 1] = dr[T] + dr[2 * T];                                                    \
            e[r * 4 + 2] = dr[2 * T] - dr[T];                                                    \
            e[r * 4 + 3] = dr[T] - dr[3 * T];                                                    \
        }                                                                                        \
        for (int c = 0; c < 4; c++) {                                                            \
            v[(0 + c) * vs + t] = e[c] - e[8 + c];                                               \
            v[(4 + c) * vs + t] = e[4 + c] + e[8 + c];                                           \
            v[(8 + c) * vs + t] = e[8 + c] - e[4 + c];                                           \
            v[(12 + c) * vs + t] = e[4 + c] - e[12 + c];                                         \
        }                                                                                        \
    }                                                                                            \
}                                                                                               \
static void wino_grad_##S(const T_ *restrict g, ptrdiff_t T, T_ *restrict z, ptrdiff_t zs,        \
                          ptrdiff_t ts) {                                                       \
    for (ptrdiff_t t = 0; t < T; t++) {                                                          \
        T_ e[8];                                                                                 \
        for (int r = 0; r < 2; r++) {                                                            \
            T_ a = g[(r * 2) * T + t], b = g[(r * 2 + 1) * T + t];                               \
            e[r * 4 + 0] = a;                                                                    \
            e[r * 4 + 1] = a + b;                                                                \
            e[r * 4 + 2] = a - b;                                                                \
            e[r * 4 + 3] = -b;                                                                   \
        }                                                                                        \
        for (int c = 0; c < 4; c++) {                                                            \
            z[(0 + c) * zs + t * ts] = e[c];                                                     \
            z[(4 + c) * zs + t * ts] = e[c] + e[4 + c];                                          \
            z[(8 + c) * zs + t * ts] = e[c] - e[4 + c];                                          \
            z[(12 + c) * zs + t * ts] = -e[4 + c];                                               \
        }                                                                                        \
    }                                                                                            \
}                                                                                               \
static void wino_output_##S(const T_ *restrict m, ptrdiff_t ms, ptrdiff_t T, T_ *restrict y) {    \
    for (ptrdiff_t t = 0; t < T; t++) {                                                          \
        T_ s[8];                                                                                 \
        for (int c = 0; c < 4; c++) {                                                            \
            s[c] = m[c * ms + t] + m[(4 + c) * ms + t] + m[(8 + c) * ms + t];                    \
            s[4 + c] = m[(4 + c) * ms + t] - m[(8 + c) * ms + t] - m[(12 + c) * ms + t];         \
        }                                                                                        \
        for (int a = 0; a < 2; a++) {                                                            \
            y[(a * 2) * T + t] = s[a * 4] + s[a * 4 + 1] + s[a * 4 + 2];                         \
            y[(a * 2 + 1) * T + t] = s[a * 4 + 1] - s[a * 4 + 2] - s[a * 4 + 3];                 \
        }                                                                                        \
    }                                                                                            \
}

FNN_WINOGRAD(float, f_base)
FNN_WINOGRAD(double, d_base)
#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
FNN_WINOGRAD(float, f_avx2)
FNN_WINOGRAD(double, d_avx2)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
FNN_WINOGRAD(float, f_avx512)
FNN_WINOGRAD(double, d_avx512)
#pragma GCC pop_options
#endif

static inline void wino_input_f(const float *d, ptrdiff_t T, float *v, ptrdiff_t vs) {
    FASTNN_DISPATCH(wino_input_f, (d, T, v, vs));
}
static inline void wino_input_d(const double *d, ptrdiff_t T, double *v, ptrdiff_t vs) {
    FASTNN_DISPATCH(wino_input_d, (d, T, v, vs));
}
static inline void wino_grad_f(const float *g, ptrdiff_t T, float *z, ptrdiff_t zs, ptrdiff_t ts) {
    FASTNN_DISPATCH(wino_grad_f, (g, T, z, zs, ts));
}
static inline void wino_grad_d(const double *g, ptrdiff_t T, double *z, ptrdiff_t zs, ptrdiff_t ts) {
    FASTNN_DISPATCH(wino_grad_d, (g, T, z, zs, ts));
}
static inline void wino_output_f(const float *m, ptrdiff_t ms, ptrdiff_t T, float *y) {
    FASTNN_DISPATCH(wino_output_f, (m, ms, T, y));
}
static inline void wino_output_d(const double *m, ptrdiff_t ms, ptrdiff_t T, double *y) {
    FASTNN_DISPATCH(wino_output_d, (m, ms, T, y));
}

#endif
