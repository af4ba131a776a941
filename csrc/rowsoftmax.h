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
#ifdef FASTNN_HAVE_AVX2_BUILD
/* First outside any target region: included inside one, its intrinsics take that region's target (the
 * headers skip their own target pragmas when __AVX__ is defined) and cannot inline into an AVX2 function. */
#include <immintrin.h>
#endif

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
#include <immintrin.h>
/* fastnn_expf on 16 lanes with 2^n applied by vscalefps, which over- and underflows to inf and 0
 * by itself: the clamps and selects around the scalar version's exponent bit trick go, about 14
 * vector operations instead of 24 (the exponential was a quarter of attention's forward).
 * Same reduction and polynomial, so the same values wherever the result is a normal float; below
 * exp(-87.3) it gives the subnormals the scalar version flushes to 0. NaN stays NaN (vmaxps and
 * vminps return their second operand, x, when it is NaN). */
static inline __attribute__((always_inline)) fastnn_v16f fastnn_exp16_avx512(fastnn_v16f v) {
    __m512 x = _mm512_min_ps(_mm512_set1_ps(88.7f), _mm512_max_ps(_mm512_set1_ps(-110.0f), (__m512)v));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return (fastnn_v16f)_mm512_scalef_ps(p, n);
}
/* Longest row whose exponentials the streamed softmax forward keeps on the stack (8 KB, in L1). */
#define FASTNN_SOFTMAX_STREAM_MAX_C 2048
#include "rowsoftmax_avx512.h"
#define VEXP fastnn_exp16_avx512
#define VEC fastnn_v16f
#define IVEC fastnn_v16i
#define VLANES 16
#define SUFFIX(name) name##_f32_avx512
#include "rowsoftmax_impl.h"
#undef VEXP
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

/* Whether a row of C floats at out can take non-temporal stores: the AVX-512 build, floats on their
 * natural alignment (so whole vectors can reach a line boundary), a row short enough for the
 * forward's stack row. */
static inline int fastnn_row_streamable_f32(const float* out, ptrdiff_t C) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    return fastnn_cpu_level() == 2 && ((uintptr_t)out & 3) == 0 && C <= FASTNN_SOFTMAX_STREAM_MAX_C;
#else
    (void)out; (void)C;
    return 0;
#endif
}

/* Orders this thread's non-temporal stores before what follows (once, after its streamed rows). */
static inline void fastnn_stream_fence(void) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    __builtin_ia32_sfence();
#endif
}

/* stream: write out with non-temporal stores where the row allows it (a wish, checked here). */
static inline void fastnn_softmax_row_f32(const float* x, float* out, ptrdiff_t C, float scale,
                                          const float* mask, int log_output, int stream) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() == 2 && !mask && scale == 1) {
        fastnn_softmax_row_f32_avx512v(x, out, C, log_output, stream && fastnn_row_streamable_f32(out, C));
        return;
    }
#endif
    (void)stream;
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

/* Attention's elementwise rows, in the build this CPU runs (the Cython loops they replace ran
 * the baseline's 4-wide SSE2). */
static inline void fastnn_attention_grad_row_f32(const float* p, float* dp, ptrdiff_t C, float scale, float delta) {
    FASTNN_DISPATCH(fastnn_attention_grad_row_f32, (p, dp, C, scale, delta));
}

static inline void fastnn_scale_row_f32(float* x, ptrdiff_t n, float a) {
    FASTNN_DISPATCH(fastnn_scale_row_f32, (x, n, a));
}

static inline void fastnn_softmax_row_backward_f32(const float* y, const float* g, float* gx, ptrdiff_t C,
                                                   float scale, int log_output, int stream) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    int level = fastnn_cpu_level();
    if (level == 2) {
        fastnn_softmax_row_backward_f32_avx512v(y, g, gx, C, scale, log_output,
                                                stream && fastnn_row_streamable_f32(gx, C));
        return;
    }
    if (level == 1) {
        fastnn_softmax_row_backward_f32_avx2(y, g, gx, C, scale, log_output);
        return;
    }
#endif
    (void)stream;
    fastnn_softmax_row_backward_f32_base(y, g, gx, C, scale, log_output);
}

static inline void fastnn_ce_row_backward_f32(const float* logp, const float* w, float* gx, ptrdiff_t C,
                                              float a, float b) {
    FASTNN_DISPATCH(fastnn_ce_row_backward_f32, (logp, w, gx, C, a, b));
}

#endif
