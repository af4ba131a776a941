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
}                                                                                                     \
/* A Transformer feed-forward block's hidden units, in place over [lo, hi) (lo even): forward        \
 * a = relu(a) * (kept ? scale : 0) (masked 0: the ReLU alone; NaN stays NaN as in torch.relu);     \
 * backward g = h > 0 ? g * (kept ? scale : 0) : 0 with h the forward's output (a zero, not 0 * g,  \
 * where the unit is off: torch's threshold_backward). The same draws as fastnn_dropout's. */      \
static void fastnn_relu_dropout_##SUFFIX(T *restrict a, ptrdiff_t lo, ptrdiff_t hi, uint64_t seed,  \
                                         uint32_t threshold, T scale, int masked) {                  \
    if (!masked) {                                                                                    \
        for (ptrdiff_t i = lo; i < hi; i++) a[i] = a[i] < 0 ? 0 : a[i];                              \
        return;                                                                                       \
    }                                                                                                 \
    for (ptrdiff_t i = lo; i < hi; i += 2) {                                                          \
        uint64_t h = fastnn_mix64(seed + ((uint64_t)(i / 2) + 1) * 0x9e3779b97f4a7c15ULL);            \
        T v = a[i] < 0 ? 0 : a[i];                                                                    \
        a[i] = v * ((T)fastnn_keep((uint32_t)(h >> 40), threshold) * scale);                          \
        if (i + 1 < hi) {                                                                             \
            v = a[i + 1] < 0 ? 0 : a[i + 1];                                                          \
            a[i + 1] = v * ((T)fastnn_keep((uint32_t)(h >> 8) & 0xffffff, threshold) * scale);        \
        }                                                                                             \
    }                                                                                                 \
}                                                                                                     \
static void fastnn_relu_dropout_backward_##SUFFIX(T *restrict g, const T *restrict out, ptrdiff_t lo, \
        ptrdiff_t hi, uint64_t seed, uint32_t threshold, T scale, int masked) {                       \
    if (!masked) {                                                                                    \
        for (ptrdiff_t i = lo; i < hi; i++) g[i] = out[i] > 0 ? g[i] : 0;                            \
        return;                                                                                       \
    }                                                                                                 \
    for (ptrdiff_t i = lo; i < hi; i += 2) {                                                          \
        uint64_t h = fastnn_mix64(seed + ((uint64_t)(i / 2) + 1) * 0x9e3779b97f4a7c15ULL);            \
        T v = g[i] * ((T)fastnn_keep((uint32_t)(h >> 40), threshold) * scale);                        \
        g[i] = out[i] > 0 ? v : 0;                                                                    \
        if (i + 1 < hi) {                                                                             \
            v = g[i + 1] * ((T)fastnn_keep((uint32_t)(h >> 8) & 0xffffff, threshold) * scale);       \
            g[i + 1] = out[i + 1] > 0 ? v : 0;                                                        \
        }                                                                                             \
    }                                                                                                 \
}

FASTNN_DEFINE_DROPOUT(float, f32)
FASTNN_DEFINE_DROPOUT(double, f64)

#endif
