/* Branch-free exp for float32 that compilers vectorise (SSE2 baseline, no -ffast-math).
 * exp(x) = 2^n * exp(r) with n = round(x / ln 2), |r| <= ln2 / 2; exp(r) is the
 * degree-6 minimax polynomial published with the Cephes library (about 1 ulp).
 * exp(-inf) = 0 exactly (masked positions), exp(NaN) = NaN. */
#ifndef FASTNN_FASTEXP_H
#define FASTNN_FASTEXP_H
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float fastnn_expf(float x) {
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

static inline double fastnn_exp(double x) { return exp(x); }

#endif
