/* CSR SpMM: out[i, c0:c1] = sum over the entries e of row i of w[e] * x[indices[e], c0:c1] for a
 * range of rows (w NULL: every weight 1), divided by the row's length for the mean. The transposed
 * product (the feature gradient) is the same call on the transposed structure, with the weights put
 * in its entry order first (fastnn_spmm_transposed_weights, which also folds the mean's 1/degree in).
 *
 * Per-head weights (graph attention) weigh their own column blocks; heads narrower than a vector are summed
 * in one pass over the edges into the output row (fastnn_spmm_heads).
 *
 * Shaped for speed where users measure it (issue 24): the sums of a column tile of up to 8 vectors
 * stay in registers and each output element is written once (no zero fill, no read-modify-write);
 * rows wider than a tile are done one at a time, tile by tile from the first vector-aligned column of
 * the output row; narrower rows of an x larger than L2 are prefetched a few edges ahead; x
 * and out take a row stride (0 for a broadcast gradient row). Built for SSE2, AVX2+FMA and AVX-512
 * and picked at run time (cpulevel.h).
 *
 * Memory safety does not rest on the structure having been checked: every row range and index is
 * compared against its bound as it is read (one predictable branch per entry), a bad entry is
 * skipped and counted, and the count is returned so that the caller raises. */
#ifndef FASTNN_SPMMCSR_H
#define FASTNN_SPMMCSR_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif
#include "cpulevel.h"
#include "llcache.h"
#include "vectypes.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FASTNN_SPMM_STREAMS 1
#endif

#define FASTNN_SPMM_TILE_VECS 8
/* Edges ahead whose gathered row is prefetched: measured on Cora x 16 / x 1433 and 100k x 64 (CPU time,
 * Xeon AVX-512): 0 is 1.2-1.9x slower than 6 or 16, 16 a little ahead of 6 on the large cases, 32 behind. */
#define FASTNN_SPMM_AHEAD 16

/* Whether the gathers prefetch: only when the rows of x span more than this core's L2. Gathers from an x
 * that L2 holds wait little, and the prefetch's index load, address and instruction per edge were a third
 * of Cora x 16's time (x 173 KB: 0.014 -> 0.009 ms without, C harness, Xeon AVX-512); x of 1.4-15.5 MB ran
 * alike either way, 100k x 64 (25.6 MB) needs them (19 ms against 25 ms). */
static inline int fastnn_spmm_prefetches(int64_t nx, ptrdiff_t row_bytes) {
    static long l2 = 0;
    long cache = __atomic_load_n(&l2, __ATOMIC_RELAXED);
    if (cache <= 0) {
#ifdef _SC_LEVEL2_CACHE_SIZE
        cache = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
        if (cache <= 0) cache = 512 * 1024;  /* unknown: the smallest L2 of current x86-64 server cores */
        __atomic_store_n(&l2, cache, __ATOMIC_RELAXED);
    }
    return (double)nx * (double)row_bytes > (double)cache;
}

#define T float
#define VEC fastnn_v4f
#define VLANES 4
#define SUFFIX(name) name##_f32_base
#ifdef FASTNN_SPMM_STREAMS
#define FASTNN_SPMM_STREAM(p, v) _mm_stream_ps((p), (__m128)(v))
#endif
#include "spmmcsr_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX
#undef T
#define T double
#define VEC fastnn_v2d
#define VLANES 2
#define SUFFIX(name) name##_f64_base
#ifdef FASTNN_SPMM_STREAMS
#define FASTNN_SPMM_STREAM(p, v) _mm_stream_pd((p), (__m128d)(v))
#endif
#include "spmmcsr_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX
#undef T

#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define T float
#define VEC fastnn_v8f
#define VLANES 8
#define SUFFIX(name) name##_f32_avx2
#define FASTNN_SPMM_STREAM(p, v) _mm256_stream_ps((p), (__m256)(v))
#include "spmmcsr_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX
#undef T
#define T double
#define VEC fastnn_v4d
#define VLANES 4
#define SUFFIX(name) name##_f64_avx2
#define FASTNN_SPMM_STREAM(p, v) _mm256_stream_pd((p), (__m256d)(v))
#include "spmmcsr_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX
#undef T
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
#define T float
#define VEC fastnn_v16f
#define VLANES 16
#define SUFFIX(name) name##_f32_avx512
#define FASTNN_SPMM_STREAM(p, v) _mm512_stream_ps((p), (__m512)(v))
#include "spmmcsr_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX
#undef T
#define T double
#define VEC fastnn_v8d
#define VLANES 8
#define SUFFIX(name) name##_f64_avx512
#define FASTNN_SPMM_STREAM(p, v) _mm512_stream_pd((p), (__m512d)(v))
#include "spmmcsr_impl.h"
#undef VEC
#undef VLANES
#undef SUFFIX
#undef T
#pragma GCC pop_options
#endif

#define FASTNN_SPMM_DISPATCH(T, SUFFIX)                                                                    \
static inline int64_t fastnn_spmm_rows_##SUFFIX(                                                          \
        const int64_t *indptr, const int64_t *indices, int64_t nnz, const T *w, ptrdiff_t H, int mean,        \
        const T *x, ptrdiff_t ldx, int64_t nx, T *out, ptrdiff_t ldo, ptrdiff_t F, ptrdiff_t r0, ptrdiff_t r1,   \
        int stream) {                                                                                      \
    return FASTNN_DISPATCH(fastnn_spmm_rows_##SUFFIX, (indptr, indices, nnz, w, H, mean, x, ldx, nx, out, ldo, F, \
                           r0, r1, stream));                                                               \
}                                                                                                          \
static inline int64_t fastnn_spmm_edge_dots_##SUFFIX(                                                     \
        const int64_t *indptr, const int64_t *indices, int64_t nnz, const T *g, ptrdiff_t ldg, const T *x,    \
        ptrdiff_t ldx, int64_t nx, ptrdiff_t H, ptrdiff_t C, int mean, T *gv, ptrdiff_t r0, ptrdiff_t r1) {  \
    return FASTNN_DISPATCH(fastnn_spmm_edge_dots_##SUFFIX, (indptr, indices, nnz, g, ldg, x, ldx, nx, H, C,   \
                           mean, gv, r0, r1));                                                            \
}                                                                                                          \
/* tw[k, h] = values[perm[k], h] (1 without values) * rowscale[rows[k]] (1 without rowscale), for the   \
 * nnz entries of a transposed structure: its weights in its own entry order. Entries whose perm or      \
 * rows index is out of range get 0 and are counted. */                                                   \
static inline int64_t fastnn_spmm_transposed_weights_##SUFFIX(                                            \
        const T *values, ptrdiff_t H, const int64_t *perm, int64_t nvalues, const T *rowscale,              \
        const int64_t *rows, int64_t nrows, int64_t nnz, T *tw) {                                          \
    int64_t bad = 0;                                                                                       \
    for (int64_t k = 0; k < nnz; k++) {                                                                   \
        T scale = 1;                                                                                       \
        int64_t p = values ? perm[k] : 0, r = rowscale ? rows[k] : 0;                                      \
        if ((values && (uint64_t)p >= (uint64_t)nvalues) || (rowscale && (uint64_t)r >= (uint64_t)nrows)) { \
            bad++;                                                                                         \
            for (ptrdiff_t h = 0; h < H; h++) tw[k * H + h] = 0;                                           \
            continue;                                                                                      \
        }                                                                                                  \
        if (rowscale) scale = rowscale[r];                                                                 \
        for (ptrdiff_t h = 0; h < H; h++) tw[k * H + h] = values ? values[p * H + h] * scale : scale;       \
    }                                                                                                      \
    return bad;                                                                                            \
}

FASTNN_SPMM_DISPATCH(float, f32)
FASTNN_SPMM_DISPATCH(double, f64)

/* bounds[0..parts]: rows split into `parts` ranges of about equal work (entries + rows, as every row
 * is stored); monotone whatever indptr holds (the kernels check the rows themselves). */
static inline void fastnn_spmm_split(const int64_t *indptr, ptrdiff_t rows, int parts, ptrdiff_t *bounds) {
    int64_t total = indptr[rows] - indptr[0] + rows;
    bounds[0] = 0;
    for (int t = 1; t < parts; t++) {
        int64_t target = indptr[0] + (total / parts) * t;
        ptrdiff_t lo = bounds[t - 1], hi = rows;
        while (lo < hi) {  /* first row whose cost reaches the target */
            ptrdiff_t mid = lo + (hi - lo) / 2;
            if (indptr[mid] + mid < target) lo = mid + 1;
            else hi = mid;
        }
        bounds[t] = lo;
    }
    bounds[parts] = rows;
}

#endif
