/* A NumPy allocation policy (PyDataMem_Handler, NumPy >= 1.22) whose array data starts on a 64-byte
 * line, as PyTorch's CPU tensors do. NumPy's own policy gives malloc's 16-byte alignment, so a
 * row of 16 float32 (one AVX-512 vector) straddled two cache lines in three arrays of four:
 * gathering such rows (sparse.mm on Cora x 16) ran 8.1 us aligned against 11.3 us misaligned
 * (the kernel alone, AMD EPYC Zen 5), and softmax over (16384, 256) 0.58 against 0.93-1.05 ms.
 *
 * Each block is malloc'd 64 bytes larger; the data starts at the first line boundary after the
 * block's start, and the byte before the data holds how far that is (16..64 bytes), for free and
 * realloc. calloc'd blocks stay zero (the offset byte lies before the data). */
#ifndef FASTNN_ALIGNEDALLOC_H
#define FASTNN_ALIGNEDALLOC_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FASTNN_DATA_ALIGN 64

/* The data's start in block raw (the offset byte not yet written). */
static inline unsigned char *fastnn_aligned_in(void *raw) {
    return (unsigned char *)(((uintptr_t)raw + FASTNN_DATA_ALIGN) & ~(uintptr_t)(FASTNN_DATA_ALIGN - 1));
}

static inline void *fastnn_aligned_start(void *raw) {
    unsigned char *p = fastnn_aligned_in(raw);
    p[-1] = (unsigned char)(p - (unsigned char *)raw);
    return p;
}

static inline void *fastnn_raw_block(void *data) {
    return (unsigned char *)data - ((unsigned char *)data)[-1];
}

static void *fastnn_aligned_malloc(void *ctx, size_t size) {
    (void)ctx;
    if (size > SIZE_MAX - FASTNN_DATA_ALIGN)
        return NULL;
    void *raw = malloc(size + FASTNN_DATA_ALIGN);
    return raw ? fastnn_aligned_start(raw) : NULL;
}

static void *fastnn_aligned_calloc(void *ctx, size_t count, size_t size) {
    (void)ctx;
    if (size && count > (SIZE_MAX - FASTNN_DATA_ALIGN) / size)
        return NULL;
    void *raw = calloc(1, count * size + FASTNN_DATA_ALIGN);
    return raw ? fastnn_aligned_start(raw) : NULL;
}

static void *fastnn_aligned_realloc(void *ctx, void *data, size_t size) {
    if (data == NULL)
        return fastnn_aligned_malloc(ctx, size);
    if (size > SIZE_MAX - FASTNN_DATA_ALIGN)
        return NULL;
    size_t offset = ((unsigned char *)data)[-1];
    unsigned char *raw = realloc(fastnn_raw_block(data), size + FASTNN_DATA_ALIGN);
    if (raw == NULL)
        return NULL;   /* the old block is untouched, as realloc leaves it */
    /* the data kept its offset from the block's start; the new start may need another (moved first:
     * the offset byte of a later start can lie inside the data still at the old offset) */
    unsigned char *moved = fastnn_aligned_in(raw);
    if ((size_t)(moved - raw) != offset)
        memmove(moved, raw + offset, size);
    moved[-1] = (unsigned char)(moved - raw);
    return moved;
}

static void fastnn_aligned_free(void *ctx, void *data, size_t size) {
    (void)ctx;
    (void)size;
    if (data != NULL)
        free(fastnn_raw_block(data));
}
#endif
