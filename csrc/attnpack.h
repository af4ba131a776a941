/* Attention's operand packing and transposes, ordered for the access they make.
 *
 * panelgemm.h's packing walks a panel row by row, reading nr values `n_stride` apart for each
 * row: for K^T (n_stride = D) that is a strided gather with a bounds select per value, and it
 * was about 5% of attention's tiled forward at L = 1024 (one problem per thread, Xeon AVX-512).
 * Here a transposing pack reads each source row (a key's D values) contiguously and writes it
 * down the panel's column, and a row-major source is copied a panel row at a time, so the
 * compiler vectorises it. Same layout as fastnn_pack_panels (one gate block): panel p of the
 * K x cols matrix at dst + p * K * nr, zero past cols. */
#ifndef FASTNN_ATTNPACK_H
#define FASTNN_ATTNPACK_H
#include <stddef.h>
#include <string.h>

#define FASTNN_DEFINE_ATTN_PACK(TYPE, S)                                                              \
static inline void fastnn_attn_pack_##S(const TYPE *b, ptrdiff_t k_stride, ptrdiff_t n_stride,          \
                                        ptrdiff_t K, ptrdiff_t cols, ptrdiff_t nr, TYPE *dst) {          \
    for (ptrdiff_t j0 = 0; j0 < cols; j0 += nr) {                                                       \
        TYPE *panel = dst + j0 / nr * K * nr;                                                           \
        ptrdiff_t w = cols - j0 < nr ? cols - j0 : nr;                                                  \
        if (n_stride == 1) {  /* rows of the panel are contiguous runs of the source */               \
            for (ptrdiff_t k = 0; k < K; k++) {                                                         \
                memcpy(panel + k * nr, b + k * k_stride + j0, (size_t)w * sizeof(TYPE));                \
                for (ptrdiff_t j = w; j < nr; j++) panel[k * nr + j] = 0;                               \
            }                                                                                           \
        } else {  /* column j of the panel is source row j0 + j (k_stride 1 for K^T) */               \
            if (w < nr) memset(panel, 0, (size_t)(K * nr) * sizeof(TYPE));                              \
            for (ptrdiff_t j = 0; j < w; j++) {                                                         \
                const TYPE *src = b + (j0 + j) * n_stride;                                              \
                for (ptrdiff_t k = 0; k < K; k++) panel[k * nr + j] = src[k * k_stride];                \
            }                                                                                           \
        }                                                                                               \
    }                                                                                                   \
}                                                                                                       \
/* dst (cols, rows) = src^T, src's rows ld apart: 8 x 8 blocks, read along rows, written along rows. */ \
static inline void fastnn_attn_transpose_##S(const TYPE *src, ptrdiff_t rows, ptrdiff_t cols,           \
                                             ptrdiff_t ld, TYPE *dst) {                                  \
    ptrdiff_t r0 = 0;                                                                                   \
    for (; r0 + 8 <= rows; r0 += 8) {                                                                   \
        ptrdiff_t c0 = 0;                                                                               \
        for (; c0 + 8 <= cols; c0 += 8) {                                                               \
            TYPE blk[8][8];                                                                             \
            for (int r = 0; r < 8; r++)                                                                 \
                for (int c = 0; c < 8; c++) blk[c][r] = src[(r0 + r) * ld + c0 + c];                     \
            for (int c = 0; c < 8; c++) memcpy(dst + (c0 + c) * rows + r0, blk[c], 8 * sizeof(TYPE));   \
        }                                                                                               \
        for (; c0 < cols; c0++)                                                                         \
            for (int r = 0; r < 8; r++) dst[c0 * rows + r0 + r] = src[(r0 + r) * ld + c0];               \
    }                                                                                                   \
    for (; r0 < rows; r0++)                                                                             \
        for (ptrdiff_t c = 0; c < cols; c++) dst[c * rows + r0] = src[r0 * ld + c];                     \
}
FASTNN_DEFINE_ATTN_PACK(float, f)
FASTNN_DEFINE_ATTN_PACK(double, d)
#undef FASTNN_DEFINE_ATTN_PACK

#endif
