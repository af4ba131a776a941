/* The products of a fully connected layer with few outputs (x (M, K) @ W^T, W (N, K), N small):
 * the forward out = x W^T + b, and the gradients gx = g W and gW = g^T x.
 *
 * Such products are memory-bound: each streams x (or writes gx) once for 2N flops a value
 * (Cora's first GCN layer: x is 2708 x 1433, 15.5 MB, N = 16). OpenBLAS runs them as general
 * GEMMs, packing x into its panels first (a second pass over 15.5 MB) and, for gW = g^T x,
 * splitting the long M reduction badly. Here each product reads x in place, once:
 * - forward: W^T (K x N, at most a few hundred KB) packed into panels of one vector (N <= the
 *   lanes) or two; tiles of rows of x against it (panelgemm.h's micro-kernel, and a one-vector
 *   tile of up to FASTNN_SKINNY_MR rows here);
 * - gx = g W: W packed into panels of two vectors (N rows each, zero past K), g's rows
 *   broadcast; a gx of fastnn_skinny_stream_bytes or more goes out through non-temporal stores
 *   (no read for ownership of 15.5 MB, and x stays in cache);
 * - gW^T = x^T g: a block of columns of x per part, its (columns x N) sums kept in L1 and
 *   updated FASTNN_SKINNY_RANK rows of x at a time, with those rows of g held in registers.
 * Parts are rows (forward, gx) or column blocks (gW) that the caller and gemmpool.h's helpers
 * claim one at a time. Every output element is one sum in a fixed order whoever computes it,
 * so results do not depend on the thread count. */
#ifndef FASTNN_SKINNYGEMM_H
#define FASTNN_SKINNYGEMM_H
#include <stdlib.h>
#include <string.h>
#include "panelgemm.h"
#include "gemmpool.h"

#define FASTNN_SKINNY_MR 12      /* rows of the one-vector forward tile: 12 accumulators fit 16 registers */
#define FASTNN_SKINNY_RANK 8     /* rows of x (and of g, in registers) per gW update */
/* a gW part's sums, near L1's size: measured on the GCN shape, one thread, 8 KB blocks 1.42 ms,
 * 16 KB 1.20, 32 KB 1.10, 64 KB 1.09, 128 KB 1.07 (wider blocks read longer runs of each row of x) */
#define FASTNN_SKINNY_BLOCK_BYTES 32768
/* rows of gx computed at a time (then streamed out, when gx is streamed): two tiles per panel of W, which
 * then is read from L2 half as often (the GCN shape, 2 threads, Xeon AVX-512: 16 rows 4% faster than 8) */
#define FASTNN_SKINNY_STAGE 16
/* gx from this size on is streamed: half the last-level cache, since the x the backward has just read
 * is as large (llcache.h's rule). Set when the module loads (csrc/linear.pyx); a variable: tests move it. */
static ptrdiff_t fastnn_skinny_stream_bytes = 16 << 20;
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FASTNN_STREAMS 1
#endif

typedef struct {
    ptrdiff_t M, K, N, pw, step, kp, stream;
    const void *x, *g, *bias, *packed;
    void *out, *work;
} fastnn_skinny_job;

#define T float
#define VEC fastnn_v4f
#define SUFFIX(name) name##_f32_base
#ifdef FASTNN_STREAMS
#define STREAM_STORE(p, v) _mm_stream_ps((p), (__m128)(v))
#endif
#include "skinnygemm_impl.h"
#define T double
#define VEC fastnn_v2d
#define SUFFIX(name) name##_f64_base
#ifdef FASTNN_STREAMS
#define STREAM_STORE(p, v) _mm_stream_pd((p), (__m128d)(v))
#endif
#include "skinnygemm_impl.h"

#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define T float
#define VEC fastnn_v8f
#define SUFFIX(name) name##_f32_avx2
#define STREAM_STORE(p, v) _mm256_stream_ps((p), (__m256)(v))
#include "skinnygemm_impl.h"
#define T double
#define VEC fastnn_v4d
#define SUFFIX(name) name##_f64_avx2
#define STREAM_STORE(p, v) _mm256_stream_pd((p), (__m256d)(v))
#include "skinnygemm_impl.h"
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
#define T float
#define VEC fastnn_v16f
#define SUFFIX(name) name##_f32_avx512
#define STREAM_STORE(p, v) _mm512_stream_ps((p), (__m512)(v))
#include "skinnygemm_impl.h"
#define T double
#define VEC fastnn_v8d
#define SUFFIX(name) name##_f64_avx512
#define STREAM_STORE(p, v) _mm512_stream_pd((p), (__m512d)(v))
#include "skinnygemm_impl.h"
#pragma GCC pop_options
#endif

#ifdef FASTNN_HAVE_AVX2_BUILD
#define FASTNN_SKINNY_PICK(stem, S)                                                                  \
    (fastnn_cpu_level() == 2 ? stem##_##S##_avx512 : fastnn_cpu_level() == 1 ? stem##_##S##_avx2 : stem##_##S##_base)
#else
#define FASTNN_SKINNY_PICK(stem, S) (stem##_##S##_base)
#endif

/* The threads a product of 2 M N K flops is worth: a part hands off in microseconds (more on a
 * busy machine), so a part should hold some tens of microseconds of work. */
#define FASTNN_SKINNY_PART_FLOPS 4000000
static inline int fastnn_skinny_threads(ptrdiff_t M, ptrdiff_t K, ptrdiff_t N, int threads) {
    double worth = 2.0 * (double)M * (double)K * (double)N / FASTNN_SKINNY_PART_FLOPS;
    return worth < threads ? (worth < 1 ? 1 : (int)worth) : threads;
}

/* Rows per part of the forward and gx: about 4 parts a thread (a late thread holds up one), at
 * least 48 rows (a part's hand-off costs some microseconds). */
static inline ptrdiff_t fastnn_skinny_row_step(ptrdiff_t M, int threads) {
    ptrdiff_t step = threads > 1 ? (M + 4 * threads - 1) / (4 * threads) : M;
    if (step < 48) step = 48;
    return (step + 23) / 24 * 24;
}

static inline void fastnn_skinny_run(ptrdiff_t extent, ptrdiff_t step, int threads, fastnn_part_fn fn,
                                     fastnn_skinny_job *j) {
    int parts = (int)((extent + step - 1) / step);
    j->step = step;
    if (parts > 1 && threads > 1)
        fastnn_pool_run(parts, threads, fn, j);
    else
        for (int p = 0; p < parts; p++)
            fn(j, p);
}

/* Each returns 0, or -1 when a workspace could not be allocated. M, K, N > 0; all arrays
 * C-contiguous; bias may be NULL. */
#define FASTNN_DEFINE_SKINNY(TYPE, S, BITS)                                                          \
static inline int fastnn_skinny_forward_##S(ptrdiff_t M, ptrdiff_t K, ptrdiff_t N, const TYPE *x,       \
                                            const TYPE *w, const TYPE *bias, TYPE *out, int threads) {  \
    ptrdiff_t lanes = fastnn_panel_width_##S() / 2, pw = N <= lanes ? lanes : 2 * lanes;             \
    threads = fastnn_skinny_threads(M, K, N, threads);                                               \
    ptrdiff_t panels = (N + pw - 1) / pw;                                                            \
    TYPE *packed = (TYPE *)malloc((size_t)(panels * K * pw) * sizeof(TYPE));                        \
    if (packed == NULL) return -1;                                                                   \
    fastnn_pack_panels_##S(w, 1, K, K, 1, N, pw, packed);                                           \
    fastnn_skinny_job j = {M, K, N, pw, 0, 0, 0, x, NULL, bias, packed, out, NULL};                     \
    fastnn_skinny_run(M, fastnn_skinny_row_step(M, threads), threads,                                \
                      FASTNN_SKINNY_PICK(fastnn_skinny_forward_part, BITS), &j);                     \
    free(packed);                                                                                    \
    return 0;                                                                                        \
}                                                                                                    \
static inline int fastnn_skinny_grad_input_##S(ptrdiff_t M, ptrdiff_t K, ptrdiff_t N, const TYPE *g,   \
                                               const TYPE *w, TYPE *gx, int threads) {              \
    ptrdiff_t pw = fastnn_panel_width_##S(), kp = (K + pw - 1) / pw * pw;                            \
    threads = fastnn_skinny_threads(M, K, N, threads);                                               \
    ptrdiff_t step = fastnn_skinny_row_step(M, threads), parts = (M + step - 1) / step;              \
    TYPE *packed = (TYPE *)malloc((size_t)(N * kp + parts * FASTNN_SKINNY_STAGE * kp) * sizeof(TYPE)); \
    if (packed == NULL) return -1;                                                                   \
    fastnn_pack_panels_##S(w, K, 1, N, 1, K, pw, packed);                                            \
    fastnn_skinny_job j = {M, K, N, pw, 0, kp, M * K * (ptrdiff_t)sizeof(TYPE) >= fastnn_skinny_stream_bytes,    \
                           NULL, g, NULL, packed, gx, packed + N * kp};          \
    fastnn_skinny_run(M, step, threads, FASTNN_SKINNY_PICK(fastnn_skinny_grad_input_part, BITS), &j); \
    free(packed);                                                                                    \
    return 0;                                                                                        \
}                                                                                                    \
static inline int fastnn_skinny_grad_weight_##S(ptrdiff_t M, ptrdiff_t K, ptrdiff_t N, const TYPE *x,  \
                                                const TYPE *g, TYPE *gw, int threads) {             \
    ptrdiff_t lanes = fastnn_panel_width_##S() / 2, pw = (N + lanes - 1) / lanes * lanes;            \
    threads = fastnn_skinny_threads(M, K, N, threads);                                               \
    ptrdiff_t step = FASTNN_SKINNY_BLOCK_BYTES / (pw * (ptrdiff_t)sizeof(TYPE)) / 16 * 16;           \
    if (step < 16) step = 16;                                                                        \
    ptrdiff_t parts = (K + step - 1) / step;                                                         \
    parts = (parts + threads - 1) / threads * threads;   /* the same number of parts per thread */  \
    step = ((K + parts - 1) / parts + 15) / 16 * 16;                                                 \
    parts = (K + step - 1) / step;                                                                   \
    TYPE *padded = (TYPE *)malloc((size_t)(M * pw + parts * step * pw) * sizeof(TYPE));             \
    if (padded == NULL) return -1;                                                                   \
    for (ptrdiff_t m = 0; m < M; m++) {                                                              \
        memcpy(padded + m * pw, g + m * N, (size_t)N * sizeof(TYPE));                               \
        memset(padded + m * pw + N, 0, (size_t)(pw - N) * sizeof(TYPE));                            \
    }                                                                                                \
    fastnn_skinny_job j = {M, K, N, pw, 0, 0, 0, x, NULL, NULL, padded, gw, padded + M * pw};           \
    fastnn_skinny_run(K, step, threads, FASTNN_SKINNY_PICK(fastnn_skinny_grad_weight_part, BITS), &j); \
    free(padded);                                                                                    \
    return 0;                                                                                        \
}
FASTNN_DEFINE_SKINNY(float, f, f32)
FASTNN_DEFINE_SKINNY(double, d, f64)
#undef FASTNN_DEFINE_SKINNY

#endif
