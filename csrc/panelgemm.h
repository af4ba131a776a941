/* GEMM against a matrix packed once into column panels: C (+)= A @ P.
 *
 * The recurrent layers multiply by the same W_hh at every time step. A BLAS call per step
 * re-packs W_hh each time (measured on the (32, 256) LSTM: a quarter of the whole
 * forward+backward in OpenBLAS's copy routines, another tenth in its thread hand-offs).
 * Here W_hh is packed once per sequence into panels of NR columns, K rows each, laid out so
 * that the micro-kernel reads one panel row (NR contiguous values) per k; the caller splits
 * panels over its own threads. A matrix whose rows are already NR-aligned runs in place, its
 * row stride as the panel's (Winograd's transformed tiles, csrc/conv_winograd.pxi).
 *
 * Panels come in "gate blocks": the packed matrix has `gates` column blocks of H columns each
 * (LSTM i, f, g, o ...), and panel (q, g) holds columns g*H + q*NR ... + NR - 1 of block g, zero
 * past H. A thread that owns hidden units [q0*NR, q1*NR) then owns every gate of them.
 *
 * Builds: float and double, each for the x86-64 baseline, AVX2+FMA and AVX-512, picked at run
 * time by fastnn_cpu_level(); NR follows the build, so the packing asks for the same width. */
#ifndef FASTNN_PANELGEMM_H
#define FASTNN_PANELGEMM_H
#include <stddef.h>
#include <string.h>
#include "cpulevel.h"
#include "vectypes.h"

/* Each build sets T, MR, VEC and SUFFIX and includes the implementation, which unsets all but MR. */
#define MR 6
#define T float
#define VEC fastnn_v4f
#define SUFFIX(name) name##_f32_base
#include "panelgemm_impl.h"
#define T double
#define VEC fastnn_v2d
#define SUFFIX(name) name##_f64_base
#include "panelgemm_impl.h"
#undef MR

#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define MR 6
#define T float
#define VEC fastnn_v8f
#define SUFFIX(name) name##_f32_avx2
#include "panelgemm_impl.h"
#define T double
#define VEC fastnn_v4d
#define SUFFIX(name) name##_f64_avx2
#include "panelgemm_impl.h"
#undef MR
#pragma GCC pop_options

/* 32 vector registers: 8-row tiles (16 accumulators). */
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
#define MR 8
#define T float
#define VEC fastnn_v16f
#define SUFFIX(name) name##_f32_avx512
#include "panelgemm_impl.h"
#define T double
#define VEC fastnn_v8d
#define SUFFIX(name) name##_f64_avx512
#include "panelgemm_impl.h"
#undef MR
#pragma GCC pop_options
#endif

/* Panel width (columns) of the build this CPU runs: two vectors. */
static inline ptrdiff_t fastnn_panel_width_f(void) {
    static const ptrdiff_t width[3] = {8, 16, 32};
    return width[fastnn_cpu_level()];
}
static inline ptrdiff_t fastnn_panel_width_d(void) {
    static const ptrdiff_t width[3] = {4, 8, 16};
    return width[fastnn_cpu_level()];
}

static inline void fastnn_panel_gemm_f(ptrdiff_t M, ptrdiff_t K, const float *A, ptrdiff_t lda, const float *panel,
                                       ptrdiff_t ldp, int accumulate, float *C, ptrdiff_t ldc, ptrdiff_t nc) {
    FASTNN_DISPATCH(fastnn_panel_gemm_f32, (M, K, A, lda, panel, ldp, accumulate, C, ldc, nc));
}
static inline void fastnn_panel_gemm_d(ptrdiff_t M, ptrdiff_t K, const double *A, ptrdiff_t lda,
                                       const double *panel, ptrdiff_t ldp, int accumulate, double *C,
                                       ptrdiff_t ldc, ptrdiff_t nc) {
    FASTNN_DISPATCH(fastnn_panel_gemm_f64, (M, K, A, lda, panel, ldp, accumulate, C, ldc, nc));
}

static inline void fastnn_panel_gemm_pf_f(ptrdiff_t M, ptrdiff_t K, const float *A, ptrdiff_t lda, const float *panel,
                                          ptrdiff_t ldp, int accumulate, float *C, ptrdiff_t ldc, ptrdiff_t nc,
                                          const void *const *pf, ptrdiff_t npf) {
    FASTNN_DISPATCH(fastnn_panel_gemm_pf_f32, (M, K, A, lda, panel, ldp, accumulate, C, ldc, nc, pf, npf));
}
static inline void fastnn_panel_gemm_pf_d(ptrdiff_t M, ptrdiff_t K, const double *A, ptrdiff_t lda,
                                          const double *panel, ptrdiff_t ldp, int accumulate, double *C,
                                          ptrdiff_t ldc, ptrdiff_t nc, const void *const *pf, ptrdiff_t npf) {
    FASTNN_DISPATCH(fastnn_panel_gemm_pf_f64, (M, K, A, lda, panel, ldp, accumulate, C, ldc, nc, pf, npf));
}

/* The cache lines of rows [off, off + bytes) of `rows` rows row_bytes apart, appended to list[*n:cap], a prefetch
 * list for fastnn_panel_gemm_pf; lines past cap (a large batch's) are fetched at once instead. */
static inline void fastnn_prefetch_list_rows(const void **list, ptrdiff_t *n, ptrdiff_t cap, const void *base,
                                             ptrdiff_t rows, ptrdiff_t row_bytes, ptrdiff_t off, ptrdiff_t bytes) {
    const char *p = (const char *)base + off;
    for (ptrdiff_t r = 0; r < rows; r++, p += row_bytes)
        for (ptrdiff_t b = 0; b < bytes; b += 64) {
            if (*n < cap)
                list[(*n)++] = p + b;
            else
                __builtin_prefetch(p + b);
        }
}

/* Pack B(k, n) = w[k * k_stride + n * n_stride] (K rows, gates * H columns) into panels of
 * width nr: panel (q, g) starts at dst + (q * gates + g) * K * nr. dst holds
 * ceil(H / nr) * gates * K * nr values. Along w's rows either way: row by row when a panel row is
 * contiguous in w (n_stride 1, the backward's W_hh: 0.09-0.12 -> 0.03 ms for H = 256, AMD EPYC Zen 5),
 * else column by column (the forward's W_hh^T). */
#define FASTNN_DEFINE_PACK(TYPE, S)                                                                 \
static inline void fastnn_pack_panels_##S(const TYPE *w, ptrdiff_t k_stride, ptrdiff_t n_stride,      \
                                          ptrdiff_t K, ptrdiff_t gates, ptrdiff_t H, ptrdiff_t nr,    \
                                          TYPE *dst) {                                                \
    ptrdiff_t blocks = (H + nr - 1) / nr;                                                             \
    for (ptrdiff_t q = 0; q < blocks; q++)                                                            \
        for (ptrdiff_t g = 0; g < gates; g++) {                                                       \
            TYPE *panel = dst + (q * gates + g) * K * nr;                                             \
            ptrdiff_t nc = H - q * nr < nr ? H - q * nr : nr;                                         \
            const TYPE *src = w + (g * H + q * nr) * n_stride;                                        \
            if (n_stride == 1) {                                                                      \
                for (ptrdiff_t k = 0; k < K; k++) {                                                   \
                    for (ptrdiff_t j = 0; j < nc; j++) panel[k * nr + j] = src[k * k_stride + j];      \
                    for (ptrdiff_t j = nc; j < nr; j++) panel[k * nr + j] = 0;                         \
                }                                                                                     \
            } else {                                                                                  \
                for (ptrdiff_t j = 0; j < nc; j++)                                                    \
                    for (ptrdiff_t k = 0; k < K; k++) panel[k * nr + j] = src[j * n_stride + k * k_stride]; \
                for (ptrdiff_t j = nc; j < nr; j++)                                                   \
                    for (ptrdiff_t k = 0; k < K; k++) panel[k * nr + j] = 0;                          \
            }                                                                                         \
        }                                                                                             \
}
FASTNN_DEFINE_PACK(float, f)
FASTNN_DEFINE_PACK(double, d)
#undef FASTNN_DEFINE_PACK

#endif
