/* Row softmax kernels for float and double, stamped from rowsoftmax_impl.h.
 *
 * float32 is built twice on x86-64 with GCC: for the baseline (SSE2) and for
 * AVX2+FMA, picked at run time by CPUID, so a wheel runs on any x86-64 and
 * still uses 8-wide vectors where the CPU has them. */
#ifndef FASTNN_ROWSOFTMAX_H
#define FASTNN_ROWSOFTMAX_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "fastexp.h"
#include "cpulevel.h"
#include "vectypes.h"

#define T float
#define FASTNN_ROW_VEXP 1
#define VEC fastnn_v4f
#define IVEC fastnn_v4i
#define VLANES 4
#define SUFFIX(name) name##_f32_base
#define EXP fastnn_expf
#include "rowsoftmax_impl.h"
#undef VEC
#undef IVEC
#undef VLANES
#undef SUFFIX

#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define VEC fastnn_v8f
#define IVEC fastnn_v8i
#define VLANES 8
#define SUFFIX(name) name##_f32_avx2
#include "rowsoftmax_impl.h"
#undef VEC
#undef IVEC
#undef VLANES
#undef SUFFIX
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
#define VEC fastnn_v16f
#define IVEC fastnn_v16i
#define VLANES 16
#define SUFFIX(name) name##_f32_avx512
#include "rowsoftmax_impl.h"
#undef VEC
#undef IVEC
#undef VLANES
#undef SUFFIX
#pragma GCC pop_options
#endif
#undef T
#undef EXP
#undef FASTNN_ROW_VEXP

#define T double
#define VEC fastnn_v2d
#define IVEC fastnn_v2l
#define VLANES 2
#define SUFFIX(name) name##_f64
#define EXP fastnn_exp
#include "rowsoftmax_impl.h"
#undef T
#undef VEC
#undef IVEC
#undef VLANES
#undef SUFFIX
#undef EXP

/* Asks for `bytes` from p into cache, line by line: the next row, while this one's exponentials run. */
static inline void fastnn_prefetch_bytes(const void* p, ptrdiff_t bytes) {
    for (ptrdiff_t b = 0; b < bytes; b += 64) __builtin_prefetch((const char*)p + b);
}

/* The same for a row about to be written (its lines fetched for ownership early). */
static inline void fastnn_prefetch_bytes_w(void* p, ptrdiff_t bytes) {
    for (ptrdiff_t b = 0; b < bytes; b += 64) __builtin_prefetch((char*)p + b, 1);
}

static inline void fastnn_softmax_row_f32(const float* x, float* out, ptrdiff_t C, float scale,
                                          const float* mask, int log_output) {
    FASTNN_DISPATCH(fastnn_softmax_row_f32, (x, out, C, scale, mask, log_output));
}

static inline float fastnn_attention_row_f32(float* s, ptrdiff_t C, ptrdiff_t active, float scale,
                                             const float* mask) {
    return FASTNN_DISPATCH(fastnn_attention_row_f32, (s, C, active, scale, mask));
}

static inline float fastnn_attention_online_row_f32(float* s, ptrdiff_t C, ptrdiff_t active, float scale,
                                                    const float* mask, double* m_run, double* l_run) {
    return FASTNN_DISPATCH(fastnn_attention_online_row_f32, (s, C, active, scale, mask, m_run, l_run));
}

static inline void fastnn_attention_probs_row_f32(float* s, ptrdiff_t C, ptrdiff_t active, float scale,
                                                  const float* mask, double lse) {
    FASTNN_DISPATCH(fastnn_attention_probs_row_f32, (s, C, active, scale, mask, lse));
}

static inline void fastnn_softmax_row_backward_f32(const float* y, const float* g, float* gx, ptrdiff_t C,
                                                   float scale, int log_output) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    /* The plain softmax backward has no exp; measured here, its AVX-512 build ran at half
     * the speed of the AVX2 one, so only the exp-bound log-softmax backward uses AVX-512. */
    int level = fastnn_cpu_level();
    if (level == 2 && log_output) {
        fastnn_softmax_row_backward_f32_avx512(y, g, gx, C, scale, log_output);
        return;
    }
    if (level >= 1) {
        fastnn_softmax_row_backward_f32_avx2(y, g, gx, C, scale, log_output);
        return;
    }
#endif
    fastnn_softmax_row_backward_f32_base(y, g, gx, C, scale, log_output);
}

static inline void fastnn_ce_row_backward_f32(const float* logp, const float* w, float* gx, ptrdiff_t C,
                                              float a, float b) {
    FASTNN_DISPATCH(fastnn_ce_row_backward_f32, (logp, w, gx, C, a, b));
}

#endif
