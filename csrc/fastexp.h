/* Branch-free exp for float32 that compilers vectorise (SSE2 baseline, no -ffast-math).
 * exp(x) = 2^n * exp(r) with n = round(x / ln 2), |r| <= ln2 / 2; exp(r) is the
 * degree-6 minimax polynomial published with the Cephes library (about 1 ulp).
 * exp(-inf) = 0 exactly (masked positions), exp(NaN) = NaN.
 *
 * The one exponential of the softmax kernels (attention, row softmax, graph segment softmax)
 * and the recurrent cells. float32 uses fastnn_expf: measured over every float32 in
 * [-87.34, 0] (the softmax range z - max <= 0) against exp in double, max 0.99 ulp and mean
 * 0.066 ulp (glibc expf: 0.50 / 0.064), and in a contiguous loop it vectorises where libm's
 * expf is a call per element: 3.5 / 1.4 / 1.0 ns per element (SSE2 / AVX2 / AVX-512 builds)
 * against 6.0 / 5.3 / 4.9 for glibc expf, on the project's Intel Xeon (AVX-512, 2 busy cores).
 * float64 uses libm's exp: it is what the float64 gradient checks and NumPy references are
 * held to, and float64 is the checking precision, not the fast one. */
#ifndef FASTNN_FASTEXP_H
#define FASTNN_FASTEXP_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Always inlined: a call from a kernel compiled for AVX-512 (or AVX2) into one out-of-line copy
 * compiled for the SSE2 baseline ran the legacy-SSE code with the wide registers' upper halves
 * live, and each call stalled: attention's float32 forward took 190 ms instead of 3 ms at
 * (256 problems, 64 x 64, d 16) on the project's Xeon, when GCC stopped inlining it. */
#if defined(__GNUC__)
#define FASTNN_EXP_INLINE static inline __attribute__((always_inline))
#else
#define FASTNN_EXP_INLINE static inline
#endif

FASTNN_EXP_INLINE float fastnn_expf(float x) {
    const float hi = 88.3762626647949f, lo = -87.3365447504f;
    float xc = x > hi ? hi : x;
    xc = xc < lo ? lo : xc;
    /* round to nearest by the 1.5 * 2^23 trick (exact under the default rounding mode) */
    float t = xc * 1.44269504088896341f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float two_n;
    memcpy(&two_n, &bits, sizeof two_n);
    float y = p * two_n;
    y = x < lo ? 0.0f : y;
    return x > hi ? INFINITY : y;
}

FASTNN_EXP_INLINE double fastnn_exp(double x) { return exp(x); }

/* x[i] = exp(x[i]) over a contiguous run, so the float32 loop vectorises (segment softmax). */
static inline void fastnn_expf_inplace(float *x, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) x[i] = fastnn_expf(x[i]);
}
static inline void fastnn_exp_inplace(double *x, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) x[i] = fastnn_exp(x[i]);
}

#endif
