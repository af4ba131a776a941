/* Row operations of the CSR SpMM: y += a * x over one feature row. In C with restrict pointers so
 * GCC vectorises them (through Cython's 2-D memoryviews it could not: the output row might alias
 * the gathered one, so every element was reloaded and stored). The prefetch asks for the next
 * neighbour's row while this one is summed: on large graphs the gathers miss the cache. */
#ifndef FASTNN_SPMMROW_H
#define FASTNN_SPMMROW_H
#include <stddef.h>

#define FASTNN_DEFINE_SPMMROW(T, SUFFIX)                                                      \
static inline void fastnn_row_axpy_##SUFFIX(T *restrict y, const T *restrict x, T a, ptrdiff_t n) { \
    for (ptrdiff_t f = 0; f < n; f++) y[f] += a * x[f];                                        \
}                                                                                              \
static inline void fastnn_row_add_##SUFFIX(T *restrict y, const T *restrict x, ptrdiff_t n) {  \
    for (ptrdiff_t f = 0; f < n; f++) y[f] += x[f];                                            \
}                                                                                              \
/* The first 512 bytes of a row: enough for the short rows whose gathers miss; long rows     \
 * stream, and the hardware prefetcher follows them. */                                       \
static inline void fastnn_row_prefetch_##SUFFIX(const T *x, ptrdiff_t n) {                    \
    ptrdiff_t bytes = n * (ptrdiff_t)sizeof(T);                                               \
    for (ptrdiff_t b = 0; b < bytes && b < 512; b += 64) __builtin_prefetch((const char *)x + b); \
}

FASTNN_DEFINE_SPMMROW(float, f32)
FASTNN_DEFINE_SPMMROW(double, f64)

#endif
