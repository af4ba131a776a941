/* Dropout's keep mask from a counter-based generator, so any element's draw is a pure function
 * of (seed, index): threads split the array freely and the result never depends on how, and
 * backward regenerates the mask instead of storing it. Element pair k takes SplitMix64's k-th
 * output (the Weyl sequence seed + (k+1)*golden through the 64-bit finaliser); the high and low
 * 24-bit fields give the two elements' uniforms u in [0, 2^24). Keep when u >= threshold. */
#ifndef FASTNN_DROPOUTMASK_H
#define FASTNN_DROPOUTMASK_H
#include <stdint.h>
#include <stddef.h>

static inline uint64_t fastnn_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* 1 if u >= threshold else 0, for u, threshold < 2^24, in integer arithmetic: written as a
 * comparison, GCC emits a branch that mispredicts on half of these coin flips (13x slower, measured). */
static inline uint32_t fastnn_keep(uint32_t u, uint32_t threshold) {
    return ((u - threshold) >> 31) ^ 1u;
}

#define FASTNN_DEFINE_DROPOUT(T, SUFFIX)                                                             \
/* out[i] = x[i] * (kept ? scale : 0) for i in [lo, hi), lo even. A multiply, not a branch: the   \
 * keep test is a coin flip the branch predictor would miss half the time (and, as in PyTorch,   \
 * a dropped NaN or inf still gives NaN). */                                                       \
static void fastnn_dropout_##SUFFIX(const T *restrict x, T *restrict out, ptrdiff_t lo, ptrdiff_t hi, \
                                    uint64_t seed, uint32_t threshold, T scale) {                    \
    for (ptrdiff_t i = lo; i < hi; i += 2) {                                                          \
        uint64_t h = fastnn_mix64(seed + ((uint64_t)(i / 2) + 1) * 0x9e3779b97f4a7c15ULL);            \
        out[i] = x[i] * ((T)fastnn_keep((uint32_t)(h >> 40), threshold) * scale);                     \
        if (i + 1 < hi)                                                                               \
            out[i + 1] = x[i + 1] * ((T)fastnn_keep((uint32_t)(h >> 8) & 0xffffff, threshold) * scale); \
    }                                                                                                 \
}

/* Element i's keep flag, the draw fastnn_dropout gives it: one half of pair i / 2's hash. */
static inline uint32_t fastnn_keep_at(uint64_t seed, ptrdiff_t i, uint32_t threshold) {
    uint64_t h = fastnn_mix64(seed + (((uint64_t)i >> 1) + 1) * 0x9e3779b97f4a7c15ULL);
    return fastnn_keep((i & 1) ? (uint32_t)(h >> 8) & 0xffffff : (uint32_t)(h >> 40), threshold);
}

/* The keep flags of elements i and i + 1 (i even) from their pair's one hash: *k0, *k1. */
static inline void fastnn_keep_pair(uint64_t seed, ptrdiff_t i, uint32_t threshold, uint32_t *k0, uint32_t *k1) {
    uint64_t h = fastnn_mix64(seed + (((uint64_t)i >> 1) + 1) * 0x9e3779b97f4a7c15ULL);
    *k0 = fastnn_keep((uint32_t)(h >> 40), threshold);
    *k1 = fastnn_keep((uint32_t)(h >> 8) & 0xffffff, threshold);
}

/* Calls BODY(c, keep) for every column c of the row starting at global element index i0, one hash per
 * aligned element pair (a row of odd start or length has a lone element at either end). */
#define FASTNN_FOR_KEEPS(i0, C, seed, threshold, BODY)                                                \
    do {                                                                                              \
        ptrdiff_t c_ = 0;                                                                             \
        uint32_t k0_, k1_;                                                                            \
        if ((i0) & 1) { BODY(0, fastnn_keep_at(seed, i0, threshold)); c_ = 1; }                      \
        for (; c_ + 1 < (C); c_ += 2) {                                                               \
            fastnn_keep_pair(seed, (i0) + c_, threshold, &k0_, &k1_);                                 \
            BODY(c_, k0_);                                                                            \
            BODY(c_ + 1, k1_);                                                                        \
        }                                                                                             \
        if (c_ < (C)) BODY(c_, fastnn_keep_at(seed, (i0) + c_, threshold));                          \
    } while (0)

/* A Transformer feed-forward block's hidden units, rows [r0, r1) of an (R, C) array in place.
 * Forward: a = relu(a + bias) * (kept ? scale : 0), bias may be NULL, masked 0 for no dropout (NaN
 * stays NaN, as in torch.relu): the GEMM's bias, the activation and the dropout in one pass.
 * Backward: g = out > 0 ? g * (kept ? scale : 0) : 0 with out the forward's result (a zero, not
 * 0 * g, where the unit is off: torch's threshold_backward), and gb (C doubles, may be NULL) gains
 * the column sums of the new g, the bias gradient, in the same pass. */
#define FASTNN_RELU_KEEP_FWD(c, keep)                                                                \
    { __typeof__(row[0]) v = bias ? row[c] + bias[c] : row[c]; v = v < 0 ? 0 : v;                    \
      row[c] = v * ((__typeof__(row[0]))(keep) * scale); }
#define FASTNN_RELU_KEEP_BWD(c, keep)                                                                \
    { __typeof__(row[0]) v = row[c] * ((__typeof__(row[0]))(keep) * scale); row[c] = o[c] > 0 ? v : 0; }
#define FASTNN_DEFINE_RELU_DROPOUT(T, SUFFIX)                                                        \
static void fastnn_relu_dropout_rows_##SUFFIX(T *restrict a, const T *restrict bias, ptrdiff_t C,     \
        ptrdiff_t r0, ptrdiff_t r1, uint64_t seed, uint32_t threshold, T scale, int masked) {        \
    for (ptrdiff_t r = r0; r < r1; r++) {                                                             \
        T *row = a + r * C;                                                                           \
        if (!masked && bias)                                                                          \
            for (ptrdiff_t c = 0; c < C; c++) { T v = row[c] + bias[c]; row[c] = v < 0 ? 0 : v; }    \
        else if (!masked)                                                                             \
            for (ptrdiff_t c = 0; c < C; c++) row[c] = row[c] < 0 ? 0 : row[c];                      \
        else {                                                                                        \
            FASTNN_FOR_KEEPS(r * C, C, seed, threshold, FASTNN_RELU_KEEP_FWD);                         \
        }                                                                                             \
    }                                                                                                 \
}                                                                                                     \
static void fastnn_relu_dropout_backward_rows_##SUFFIX(T *restrict g, const T *restrict out,          \
        ptrdiff_t C, ptrdiff_t r0, ptrdiff_t r1, uint64_t seed, uint32_t threshold, T scale, int masked, \
        double *restrict gb) {                                                                        \
    for (ptrdiff_t r = r0; r < r1; r++) {                                                             \
        T *row = g + r * C;                                                                           \
        const T *o = out + r * C;                                                                     \
        if (masked)                                                                                   \
            FASTNN_FOR_KEEPS(r * C, C, seed, threshold, FASTNN_RELU_KEEP_BWD);                         \
        else                                                                                          \
            for (ptrdiff_t c = 0; c < C; c++) row[c] = o[c] > 0 ? row[c] : 0;                        \
        if (gb)                                                                                       \
            for (ptrdiff_t c = 0; c < C; c++) gb[c] += row[c];                                        \
    }                                                                                                 \
}

FASTNN_DEFINE_DROPOUT(float, f32)
FASTNN_DEFINE_DROPOUT(double, f64)
FASTNN_DEFINE_RELU_DROPOUT(float, f32)
FASTNN_DEFINE_RELU_DROPOUT(double, f64)

#endif
