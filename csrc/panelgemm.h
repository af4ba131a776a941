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

typedef float fastnn_pg_v4f __attribute__((vector_size(16)));
typedef float fastnn_pg_v8f __attribute__((vector_size(32)));
typedef float fastnn_pg_v16f __attribute__((vector_size(64)));
typedef double fastnn_pg_v2d __attribute__((vector_size(16)));
typedef double fastnn_pg_v4d __attribute__((vector_size(32)));
typedef double fastnn_pg_v8d __attribute__((vector_size(64)));

/* Each build: set T, MR, VEC, VLANES, BROADCAST and SUFFIX, include the implementation, unset
 * them. BROADCAST spells out every lane: GCC's `(VEC){0} + x` costs a scalar add before the
 * broadcast, since x + 0.0 is not x for x = -0.0. */
#define FASTNN_LANES2(x) (x), (x)
#define FASTNN_LANES4(x) FASTNN_LANES2(x), FASTNN_LANES2(x)
#define FASTNN_LANES8(x) FASTNN_LANES4(x), FASTNN_LANES4(x)
#define FASTNN_LANES16(x) FASTNN_LANES8(x), FASTNN_LANES8(x)
#define T float
#define MR 6
#define VEC fastnn_pg_v4f
#define VLANES 4
#define BROADCAST(x) ((VEC){FASTNN_LANES4(x)})
#define SUFFIX(name) name##_f32_base
#include "panelgemm_impl.h"
#undef VEC
#undef VLANES
#undef BROADCAST
#undef SUFFIX
#undef T
#define T double
#define VEC fastnn_pg_v2d
#define VLANES 2
#define BROADCAST(x) ((VEC){FASTNN_LANES2(x)})
#define SUFFIX(name) name##_f64_base
#include "panelgemm_impl.h"
#undef VEC
#undef VLANES
#undef BROADCAST
#undef SUFFIX
#undef T
#undef MR

#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define MR 6
#define T float
#define VEC fastnn_pg_v8f
#define VLANES 8
#define BROADCAST(x) ((VEC){FASTNN_LANES8(x)})
#define SUFFIX(name) name##_f32_avx2
#include "panelgemm_impl.h"
#undef VEC
#undef VLANES
#undef BROADCAST
#undef SUFFIX
#undef T
#define T double
#define VEC fastnn_pg_v4d
#define VLANES 4
#define BROADCAST(x) ((VEC){FASTNN_LANES4(x)})
#define SUFFIX(name) name##_f64_avx2
#include "panelgemm_impl.h"
#undef VEC
#undef VLANES
#undef BROADCAST
#undef SUFFIX
#undef T
#undef MR
#pragma GCC pop_options

/* 32 vector registers: 8-row tiles (16 accumulators). */
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
#define MR 8
#define T float
#define VEC fastnn_pg_v16f
#define VLANES 16
#define BROADCAST(x) ((VEC){FASTNN_LANES16(x)})
#define SUFFIX(name) name##_f32_avx512
#include "panelgemm_impl.h"
#undef VEC
#undef VLANES
#undef BROADCAST
#undef SUFFIX
#undef T
#define T double
#define VEC fastnn_pg_v8d
#define VLANES 8
#define BROADCAST(x) ((VEC){FASTNN_LANES8(x)})
#define SUFFIX(name) name##_f64_avx512
#include "panelgemm_impl.h"
#undef VEC
#undef VLANES
#undef BROADCAST
#undef SUFFIX
#undef T
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
#ifdef FASTNN_HAVE_AVX2_BUILD
    switch (fastnn_cpu_level()) {
    case 2: fastnn_panel_gemm_f32_avx512(M, K, A, lda, panel, ldp, accumulate, C, ldc, nc); return;
    case 1: fastnn_panel_gemm_f32_avx2(M, K, A, lda, panel, ldp, accumulate, C, ldc, nc); return;
    }
#endif
    fastnn_panel_gemm_f32_base(M, K, A, lda, panel, ldp, accumulate, C, ldc, nc);
}
static inline void fastnn_panel_gemm_d(ptrdiff_t M, ptrdiff_t K, const double *A, ptrdiff_t lda,
                                       const double *panel, ptrdiff_t ldp, int accumulate, double *C,
                                       ptrdiff_t ldc, ptrdiff_t nc) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    switch (fastnn_cpu_level()) {
    case 2: fastnn_panel_gemm_f64_avx512(M, K, A, lda, panel, ldp, accumulate, C, ldc, nc); return;
    case 1: fastnn_panel_gemm_f64_avx2(M, K, A, lda, panel, ldp, accumulate, C, ldc, nc); return;
    }
#endif
    fastnn_panel_gemm_f64_base(M, K, A, lda, panel, ldp, accumulate, C, ldc, nc);
}

/* Pack B(k, n) = w[k * k_stride + n * n_stride] (K rows, gates * H columns) into panels of
 * width nr: panel (q, g) starts at dst + (q * gates + g) * K * nr. dst holds
 * ceil(H / nr) * gates * K * nr values. */
#define FASTNN_DEFINE_PACK(TYPE, S)                                                                 \
static inline void fastnn_pack_panels_##S(const TYPE *w, ptrdiff_t k_stride, ptrdiff_t n_stride,      \
                                          ptrdiff_t K, ptrdiff_t gates, ptrdiff_t H, ptrdiff_t nr,    \
                                          TYPE *dst) {                                                \
    ptrdiff_t blocks = (H + nr - 1) / nr;                                                             \
    for (ptrdiff_t q = 0; q < blocks; q++)                                                            \
        for (ptrdiff_t g = 0; g < gates; g++) {                                                       \
            TYPE *panel = dst + (q * gates + g) * K * nr;                                             \
            for (ptrdiff_t k = 0; k < K; k++)                                                         \
                for (ptrdiff_t j = 0; j < nr; j++) {                                                  \
                    ptrdiff_t unit = q * nr + j;                                                      \
                    panel[k * nr + j] = unit < H ? w[k * k_stride + (g * H + unit) * n_stride] : 0;   \
                }                                                                                     \
        }                                                                                             \
}
FASTNN_DEFINE_PACK(float, f)
FASTNN_DEFINE_PACK(double, d)
#undef FASTNN_DEFINE_PACK

#endif
