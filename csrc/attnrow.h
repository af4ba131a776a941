/* Attention's unmasked float32 rows in AVX-512 and AVX2 builds of their own: the online-softmax row of the
 * tiled forward, the recomputed probability row of its backward and the full path's softmax row, the
 * passes between the tile products (a fifth of the tiled forward's time at L = 1024 on the project's
 * Xeon).
 *
 * Against rowsoftmax.h's rows (which run every other case, and the baseline build): the exponent is
 * taken base 2, exp(x) = 2^n * 2^f with f = x * log2(e) - n, without the Cody-Waite split of ln 2 (AVX-512
 * applies 2^n by vscalefps and needs no upper clamp: 13 vector operations per 16 values instead of 17;
 * AVX2 by the exponent bits, x clamped), the max is vmaxps with four partial maxima, and the exponential
 * pass is unrolled twice. 2^f on [-1/2, 1/2] is its degree-6 Taylor polynomial (truncation below 1e-7
 * relative, about one ulp of float32, as fastexp.h's). Rows with a mask, a non-positive scale or a row
 * max that is not finite go to the general rows, so NaN and inf behave as there. */
#ifndef FASTNN_ATTNROW_H
#define FASTNN_ATTNROW_H
#include <math.h>
#include <stddef.h>
#include "rowsoftmax.h"  /* (includes immintrin.h outside its target regions) */

#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")

/* exp(x) for x <= ~0 (lanes below -104, -inf included, give 0; NaN stays NaN: vmaxps returns its
 * second operand when it is NaN). f = x * log2(e) - n in one FMA: |f| <= 1/2 carries no rounding of
 * x * log2(e) itself, so the result is as accurate far below the max as near it. */
static inline __attribute__((always_inline)) __m512 fastnn_attn_exp_avx512(__m512 x) {
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 f = _mm512_fmsub_ps(x, log2e, n);
    __m512 p = _mm512_set1_ps(1.5403530393e-4f);  /* ln2^k / k!, k = 6 .. 0 */
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3333558146e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108665e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650696e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718056e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* max over s[0:C] (NaN skipped), C >= 1 */
static inline __attribute__((always_inline)) float fastnn_attn_max_avx512(const float *s, ptrdiff_t C) {
    __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    ptrdiff_t c = 0;
    for (; c + 64 <= C; c += 64) {
        m0 = _mm512_max_ps(_mm512_loadu_ps(s + c), m0);
        m1 = _mm512_max_ps(_mm512_loadu_ps(s + c + 16), m1);
        m2 = _mm512_max_ps(_mm512_loadu_ps(s + c + 32), m2);
        m3 = _mm512_max_ps(_mm512_loadu_ps(s + c + 48), m3);
    }
    for (; c + 16 <= C; c += 16) m0 = _mm512_max_ps(_mm512_loadu_ps(s + c), m0);
    if (c < C) {
        __mmask16 k = (__mmask16)((1u << (C - c)) - 1);
        m1 = _mm512_max_ps(_mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), k, s + c), m1);
    }
    return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
}

/* s[0:n] = exp(a * s - b), returns the sum when `sum` is set */
static inline __attribute__((always_inline)) float fastnn_attn_exp_affine_avx512(float *s, ptrdiff_t n, float a,
                                                                                 float b, int sum) {
    __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b), t0 = _mm512_setzero_ps(), t1 = t0;
    ptrdiff_t c = 0;
    for (; c + 32 <= n; c += 32) {
        __m512 x0 = fastnn_attn_exp_avx512(_mm512_fmsub_ps(_mm512_loadu_ps(s + c), va, vb));
        __m512 x1 = fastnn_attn_exp_avx512(_mm512_fmsub_ps(_mm512_loadu_ps(s + c + 16), va, vb));
        _mm512_storeu_ps(s + c, x0);
        _mm512_storeu_ps(s + c + 16, x1);
        t0 = _mm512_add_ps(t0, x0);
        t1 = _mm512_add_ps(t1, x1);
    }
    for (; c < n; c += 16) {
        __mmask16 k = n - c >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - c)) - 1);
        __m512 x = fastnn_attn_exp_avx512(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(k, s + c), va, vb));
        _mm512_mask_storeu_ps(s + c, k, x);
        t0 = _mm512_add_ps(t0, _mm512_maskz_mov_ps(k, x));
    }
    return sum ? _mm512_reduce_add_ps(_mm512_add_ps(t0, t1)) : 0.0f;
}

/* The three rows, stamped per build from its fastnn_attn_max_ISA and fastnn_attn_exp_affine_ISA; other
 * cases go to rowsoftmax.h's rows of the same build. */
#define FASTNN_ATTN_ROWS(ISA)                                                                                 \
static float fastnn_attn_online_row_f32_##ISA(float *s, ptrdiff_t C, ptrdiff_t active, float scale,            \
                                              const float *mask, double *m_run, double *l_run) {              \
    if (active > C) active = C;                                                                                \
    if (!mask && scale > 0 && active > 0) {                                                                    \
        float m = fastnn_attn_max_##ISA(s, active) * scale;                                                    \
        if (m > -INFINITY && m < INFINITY) {                                                                   \
            double m_new = m > *m_run ? (double)m : *m_run;                                                    \
            float alpha = *m_run == -INFINITY ? 0.0f : fastnn_expf((float)(*m_run - m_new));                   \
            float total = fastnn_attn_exp_affine_##ISA(s, active, scale, (float)m_new, 1);                     \
            for (ptrdiff_t c = active; c < C; c++) s[c] = 0;                                                   \
            *l_run = *l_run * alpha + total;                                                                   \
            *m_run = m_new;                                                                                    \
            return alpha;                                                                                      \
        }                                                                                                      \
    }                                                                                                          \
    return fastnn_attention_online_row_f32_##ISA(s, C, active, scale, mask, m_run, l_run);                     \
}                                                                                                              \
/* the full path's row (fastnn_attention_row): max, exponentials with their sum, scaling; zeros after */     \
static float fastnn_attn_row_f32_##ISA(float *s, ptrdiff_t C, ptrdiff_t active, float scale, const float *mask) { \
    if (active > C) active = C;                                                                                \
    if (!mask && scale > 0 && active > 0) {                                                                    \
        float m = fastnn_attn_max_##ISA(s, active) * scale;                                                    \
        if (m > -INFINITY && m < INFINITY) {                                                                   \
            float total = fastnn_attn_exp_affine_##ISA(s, active, scale, m, 1), inv = 1.0f / total;            \
            for (ptrdiff_t c = 0; c < active; c++) s[c] = s[c] * inv;                                          \
            for (ptrdiff_t c = active; c < C; c++) s[c] = 0;                                                   \
            return m + (float)log((double)total);                                                              \
        }                                                                                                      \
    }                                                                                                          \
    return fastnn_attention_row_f32_##ISA(s, C, active, scale, mask);                                          \
}                                                                                                              \
static void fastnn_attn_probs_row_f32_##ISA(float *s, ptrdiff_t C, ptrdiff_t active, float scale,              \
                                            const float *mask, double lse) {                                   \
    if (active > C) active = C;                                                                                \
    if (!mask && lse > -INFINITY && lse < INFINITY && active >= 0) {                                           \
        fastnn_attn_exp_affine_##ISA(s, active, scale, (float)lse, 0);                                         \
        for (ptrdiff_t c = active; c < C; c++) s[c] = 0;                                                       \
        return;                                                                                                \
    }                                                                                                          \
    fastnn_attention_probs_row_f32_##ISA(s, C, active, scale, mask, lse);                                      \
}

FASTNN_ATTN_ROWS(avx512)
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
/* The AVX2 build: 2^n by the exponent bits (no vscalefps), so x is clamped to [-87, 88] and lanes below
 * -87 set to 0 (fastexp.h flushes below -87.3 too); NaN stays NaN (vmaxps, vminps return their second
 * operand, x, when it is NaN, and p is NaN). */
static inline __attribute__((always_inline)) __m256 fastnn_attn_exp_avx2(__m256 x) {
    const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
    __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(-87.0f), _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 f = _mm256_fmsub_ps(x, log2e, n);
    __m256 p = _mm256_set1_ps(1.5403530393e-4f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.3333558146e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.6181291076e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.5504108665e-2f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.4022650696e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.9314718056e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

static inline __attribute__((always_inline)) float fastnn_attn_max_avx2(const float *s, ptrdiff_t C) {
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    ptrdiff_t c = 0;
    for (; c + 32 <= C; c += 32) {
        m0 = _mm256_max_ps(_mm256_loadu_ps(s + c), m0);
        m1 = _mm256_max_ps(_mm256_loadu_ps(s + c + 8), m1);
        m2 = _mm256_max_ps(_mm256_loadu_ps(s + c + 16), m2);
        m3 = _mm256_max_ps(_mm256_loadu_ps(s + c + 24), m3);
    }
    for (; c + 8 <= C; c += 8) m0 = _mm256_max_ps(_mm256_loadu_ps(s + c), m0);
    float lane[8];
    _mm256_storeu_ps(lane, _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
    float m = lane[0];
    for (int j = 1; j < 8; j++) m = lane[j] > m ? lane[j] : m;
    for (; c < C; c++) m = s[c] > m ? s[c] : m;
    return m;
}

static inline __attribute__((always_inline)) float fastnn_attn_exp_affine_avx2(float *s, ptrdiff_t n, float a,
                                                                               float b, int sum) {
    __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b), t0 = _mm256_setzero_ps(), t1 = t0;
    ptrdiff_t c = 0;
    for (; c + 16 <= n; c += 16) {
        __m256 x0 = fastnn_attn_exp_avx2(_mm256_fmsub_ps(_mm256_loadu_ps(s + c), va, vb));
        __m256 x1 = fastnn_attn_exp_avx2(_mm256_fmsub_ps(_mm256_loadu_ps(s + c + 8), va, vb));
        _mm256_storeu_ps(s + c, x0);
        _mm256_storeu_ps(s + c + 8, x1);
        t0 = _mm256_add_ps(t0, x0);
        t1 = _mm256_add_ps(t1, x1);
    }
    float lane[8], total = 0;
    _mm256_storeu_ps(lane, _mm256_add_ps(t0, t1));
    for (int j = 0; j < 8; j++) total += lane[j];
    for (; c < n; c++) {
        s[c] = fastnn_expf(s[c] * a - b);
        total += s[c];
    }
    return sum ? total : 0.0f;
}

FASTNN_ATTN_ROWS(avx2)
#pragma GCC pop_options
#undef FASTNN_ATTN_ROWS
#endif

static inline float fastnn_attn_row_f32(float *s, ptrdiff_t C, ptrdiff_t active, float scale, const float *mask) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() == 2) return fastnn_attn_row_f32_avx512(s, C, active, scale, mask);
    if (fastnn_cpu_level() == 1) return fastnn_attn_row_f32_avx2(s, C, active, scale, mask);
#endif
    return fastnn_attention_row_f32(s, C, active, scale, mask);
}

static inline float fastnn_attn_online_row_f32(float *s, ptrdiff_t C, ptrdiff_t active, float scale,
                                               const float *mask, double *m_run, double *l_run) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() == 2) return fastnn_attn_online_row_f32_avx512(s, C, active, scale, mask, m_run, l_run);
    if (fastnn_cpu_level() == 1) return fastnn_attn_online_row_f32_avx2(s, C, active, scale, mask, m_run, l_run);
#endif
    return fastnn_attention_online_row_f32(s, C, active, scale, mask, m_run, l_run);
}

static inline void fastnn_attn_probs_row_f32(float *s, ptrdiff_t C, ptrdiff_t active, float scale, const float *mask,
                                             double lse) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    if (fastnn_cpu_level() == 2) {
        fastnn_attn_probs_row_f32_avx512(s, C, active, scale, mask, lse);
        return;
    }
    if (fastnn_cpu_level() == 1) {
        fastnn_attn_probs_row_f32_avx2(s, C, active, scale, mask, lse);
        return;
    }
#endif
    fastnn_attention_probs_row_f32(s, C, active, scale, mask, lse);
}

#endif
