/* The pointwise activations ReLU, LeakyReLU, sigmoid, tanh (backward), SiLU, GELU (exact and tanh forms), ELU, softplus,
 * hardsigmoid, hardswish and Mish, and binary cross-entropy with logits, forward and backward in one pass each
 * over [lo, hi). Their NumPy forms make several passes and temporaries each (GELU's
 * erf form six), and NumPy runs them on one core. The element formulas are PyTorch's; the float32 loops are
 * plain so the compiler vectorises them, built for SSE2, AVX2 and AVX-512 and picked at run time (cpulevel.h).
 * float64 calls libm: it is the checking precision, held to what NumPy computes.
 *
 * float32 evaluates exp with fastnn_expf (about 1 ulp), ELU's exp(x) - 1 by a Taylor polynomial near 0, and
 * GELU's Phi(x) from erfc in the form
 * t * exp(-z^2 + P(t)), t = 1 / (1 + z / 2), P a degree-9 polynomial published with a fractional error below
 * 1.2e-7 everywhere (Numerical Recipes' erfcc): relative accuracy in the negative tail too, where
 * (1 + erf(x / sqrt 2)) / 2 would cancel. Rounding -z^2 + P in float32 leaves a relative error of about
 * z^2 * 6e-8 (3e-6 at x = -10, where GELU is -8e-23). tanh in float32 is (1 - e) / (1 + e), e = exp(-2|u|),
 * with u's sign: no overflow, NaN stays NaN. */
#ifndef FASTNN_ACTIVATIONS_H
#define FASTNN_ACTIVATIONS_H
#include <math.h>
#include <stddef.h>
#include "fastexp.h"
#include "cpulevel.h"

#define FASTNN_ACT_INLINE static inline __attribute__((always_inline))

FASTNN_ACT_INLINE float fastnn_act_sigmoidf(float x) {
    float e = fastnn_expf(-fabsf(x));   /* never overflows */
    float r = 1.0f / (1.0f + e);
    return x >= 0 ? r : e * r;
}
FASTNN_ACT_INLINE double fastnn_act_sigmoid(double x) {
    double e = exp(-fabs(x));
    double r = 1.0 / (1.0 + e);
    return x >= 0 ? r : e * r;
}

FASTNN_ACT_INLINE float fastnn_act_tanhf(float u) {
    float e = fastnn_expf(-2.0f * fabsf(u));
    return copysignf((1.0f - e) / (1.0f + e), u);
}
FASTNN_ACT_INLINE double fastnn_act_tanh(double u) { return tanh(u); }

/* Phi(x) = erfc(-x / sqrt 2) / 2; *pdf = phi(x) = exp(-x^2 / 2) / sqrt(2 pi) when pdf is given */
FASTNN_ACT_INLINE float fastnn_act_phif(float x, float *pdf) {
    float z = fabsf(x) * 0.70710678118654752f;
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    float half_erfc = 0.5f * t * fastnn_expf(p - z * z);   /* erfc(|x| / sqrt 2) / 2 = Phi(-|x|) */
    if (pdf)
        *pdf = 0.39894228040143268f * fastnn_expf(-z * z);
    return x < 0 ? half_erfc : 1.0f - half_erfc;
}
FASTNN_ACT_INLINE double fastnn_act_phi(double x, double *pdf) {
    if (pdf)
        *pdf = 0.39894228040143268 * exp(-0.5 * x * x);
    return 0.5 * erfc(-x * 0.70710678118654752);
}

/* exp(x) - 1 for x <= 0 (ELU's negative branch): a degree-8 Taylor polynomial above -0.5 (its first dropped
 * term is below 1e-8 relative there), exp(x) - 1 below, where exp(x) <= 0.61 leaves no cancellation */
FASTNN_ACT_INLINE float fastnn_act_expm1_negf(float x) {
    float p = 1.0f / 40320;
    p = p * x + 1.0f / 5040;
    p = p * x + 1.0f / 720;
    p = p * x + 1.0f / 120;
    p = p * x + 1.0f / 24;
    p = p * x + 1.0f / 6;
    p = p * x + 0.5f;
    p = p * x * x + x;
    float e = fastnn_expf(x) - 1.0f;
    return x > -0.5f ? p : e;
}
FASTNN_ACT_INLINE double fastnn_act_expm1_neg(double x) { return expm1(x); }

/* log(1 + u) for u in [0, 1] (softplus's log(1 + exp(-|z|))): m = 1 + u rounded, log m from atanh's series in
 * s = (f - 1) / (f + 1) with f = m or m / 2 in [0.71, 1.42] (|s| <= 0.172, five terms: error below 1e-9), and
 * (u - (m - 1)) / m restoring what rounding 1 + u lost */
FASTNN_ACT_INLINE float fastnn_act_log1p_unitf(float u) {
    float m = 1.0f + u;
    float big = m > 1.41421356f ? 1.0f : 0.0f;
    float f = big > 0 ? 0.5f * m : m;
    float s = (f - 1.0f) / (f + 1.0f), s2 = s * s;
    float p = 1.0f / 9;
    p = p * s2 + 1.0f / 7;
    p = p * s2 + 1.0f / 5;
    p = p * s2 + 1.0f / 3;
    p = p * s2 + 1.0f;
    return big * 0.69314718055994531f + 2.0f * s * p + (u - (m - 1.0f)) / m;
}
FASTNN_ACT_INLINE double fastnn_act_log1p_unit(double u) { return log1p(u); }

/* softplus(z) = log(1 + exp(z)) = max(z, 0) + log(1 + exp(-|z|)), never overflowing */
FASTNN_ACT_INLINE float fastnn_act_softplusf(float z) {
    return (z > 0 ? z : 0.0f) + fastnn_act_log1p_unitf(fastnn_expf(-fabsf(z)));
}
FASTNN_ACT_INLINE double fastnn_act_softplus(double z) {
    return (z > 0 ? z : 0.0) + log1p(exp(-fabs(z)));
}

/* tanh(softplus(x)) from one exponential, and sigmoid(x) in *sig when given (Mish): with e = exp(-|x|),
 * (1 + 2e) / (1 + 2e + 2e^2) for x > 0 and (e^2 + 2e) / (e^2 + 2e + 2) otherwise, neither overflowing */
FASTNN_ACT_INLINE float fastnn_act_tanh_softplusf(float x, float *sig) {
    float e = fastnn_expf(-fabsf(x));
    float pos = (1.0f + 2.0f * e) / (1.0f + 2.0f * e + 2.0f * e * e);
    float neg = (e * e + 2.0f * e) / (e * e + 2.0f * e + 2.0f);
    if (sig) {
        float r = 1.0f / (1.0f + e);
        *sig = x > 0 ? r : e * r;
    }
    return x > 0 ? pos : neg;
}
FASTNN_ACT_INLINE double fastnn_act_tanh_softplus(double x, double *sig) {
    if (sig)
        *sig = fastnn_act_sigmoid(x);
    return tanh(x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)));
}

/* GELU's tanh form: 0.5 x (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2 / pi) */
#define FASTNN_GELU_K 0.79788456080286536
#define FASTNN_GELU_C 0.044715

/* A backward's loop over [lo, hi) with G the element's output gradient: g[i], or g[0] for every element when
 * gscalar (a broadcast gradient, as x.sum().backward() sends, read in place rather than copied out first). */
#define FASTNN_GRAD_LOOP(T, ...)                                                                               \
    if (gscalar) {                                                                                          \
        const T G = g[0];                                                                                   \
        for (ptrdiff_t i = lo; i < hi; i++) { __VA_ARGS__; }                                                \
    } else {                                                                                                \
        for (ptrdiff_t i = lo; i < hi; i++) { const T G = g[i]; __VA_ARGS__; }                              \
    }

#define FASTNN_ACT_BODIES(T, SUFFIX, F)                                                                        \
static void fastnn_relu_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi) {     \
    /* PyTorch's test: NaN and -0.0 fail x < 0 and pass through */                                           \
    for (ptrdiff_t i = lo; i < hi; i++) y[i] = x[i] < 0 ? (T)0 : x[i];                                         \
}                                                                                                           \
static void fastnn_relu_backward_##SUFFIX(const T *restrict y, const T *restrict g, int gscalar,              \
                                          T *restrict dx, ptrdiff_t lo, ptrdiff_t hi) {                     \
    /* selects (PyTorch's threshold_backward): an inactive unit gets 0 even for an inf or NaN gradient */    \
    FASTNN_GRAD_LOOP(T, dx[i] = y[i] <= 0 ? (T)0 : G)                                                        \
}                                                                                                           \
static void fastnn_sigmoid_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi) {  \
    for (ptrdiff_t i = lo; i < hi; i++) y[i] = fastnn_act_sigmoid##F(x[i]);                                    \
}                                                                                                           \
static void fastnn_sigmoid_backward_##SUFFIX(const T *restrict y, const T *restrict g, int gscalar,           \
                                             T *restrict dx, ptrdiff_t lo, ptrdiff_t hi) {                  \
    FASTNN_GRAD_LOOP(T, dx[i] = G * y[i] * ((T)1 - y[i]))                                                    \
}                                                                                                           \
static void fastnn_tanh_backward_##SUFFIX(const T *restrict y, const T *restrict g, int gscalar,              \
                                          T *restrict dx, ptrdiff_t lo, ptrdiff_t hi) {                     \
    FASTNN_GRAD_LOOP(T, dx[i] = G * ((T)1 - y[i] * y[i]))                                                    \
}                                                                                                           \
static void fastnn_silu_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi) {     \
    for (ptrdiff_t i = lo; i < hi; i++) y[i] = x[i] * fastnn_act_sigmoid##F(x[i]);                             \
}                                                                                                           \
static void fastnn_silu_backward_##SUFFIX(const T *restrict x, const T *restrict g, int gscalar,              \
                                          T *restrict dx, ptrdiff_t lo, ptrdiff_t hi) {                     \
    FASTNN_GRAD_LOOP(T, T s = fastnn_act_sigmoid##F(x[i]); dx[i] = G * s * ((T)1 + x[i] * ((T)1 - s)))       \
}                                                                                                           \
static void fastnn_gelu_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi) {     \
    for (ptrdiff_t i = lo; i < hi; i++) y[i] = x[i] * fastnn_act_phi##F(x[i], NULL);                           \
}                                                                                                           \
static void fastnn_gelu_backward_##SUFFIX(const T *restrict x, const T *restrict g, int gscalar,              \
                                          T *restrict dx, ptrdiff_t lo, ptrdiff_t hi) {                     \
    FASTNN_GRAD_LOOP(T, T pdf; T cdf = fastnn_act_phi##F(x[i], &pdf); dx[i] = G * (cdf + x[i] * pdf))        \
}                                                                                                           \
static void fastnn_elu_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi,     \
                                        T alpha) {                                                          \
    /* PyTorch's test: x <= 0 takes alpha (exp(x) - 1); NaN fails it and passes through */                  \
    for (ptrdiff_t i = lo; i < hi; i++) {                                                                   \
        T v = x[i], neg = alpha * fastnn_act_expm1_neg##F(v <= 0 ? v : (T)0);                               \
        y[i] = v < 0 ? neg : v;   /* a zero keeps its sign, as alpha * expm1(+-0) does */                    \
    }                                                                                                       \
}                                                                                                           \
static void fastnn_elu_backward_##SUFFIX(const T *restrict x, const T *restrict g, int gscalar,               \
                                         T *restrict dx, ptrdiff_t lo, ptrdiff_t hi, T alpha) {             \
    /* a NaN input takes the exp side, so its gradient is NaN (PyTorch's) */                                \
    FASTNN_GRAD_LOOP(T, T v = x[i]; T d = alpha * fastnn_exp##F(v > 0 ? (T)0 : v);                           \
                     dx[i] = v > 0 ? G : G * d)                                                              \
}                                                                                                           \
static void fastnn_softplus_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi, \
                                             T beta, T threshold) {                                         \
    /* PyTorch's: x itself where beta x > threshold, else softplus(beta x) / beta */                        \
    for (ptrdiff_t i = lo; i < hi; i++) {                                                                   \
        T z = x[i] * beta;                                                                                  \
        y[i] = z > threshold ? x[i] : fastnn_act_softplus##F(z) / beta;                                     \
    }                                                                                                       \
}                                                                                                           \
static void fastnn_softplus_backward_##SUFFIX(const T *restrict x, const T *restrict g, int gscalar,          \
                                              T *restrict dx, ptrdiff_t lo, ptrdiff_t hi, T beta,           \
                                              T threshold) {                                                \
    FASTNN_GRAD_LOOP(T, T z = x[i] * beta; dx[i] = z > threshold ? G : G * fastnn_act_sigmoid##F(z))          \
}                                                                                                           \
static void fastnn_bce_logits_forward_##SUFFIX(const T *restrict x, const T *restrict t, T *restrict y,       \
                                               ptrdiff_t lo, ptrdiff_t hi) {                                \
    /* (1 - t) x + softplus(-x): binary cross-entropy of sigmoid(x) against t, stable for any x */           \
    for (ptrdiff_t i = lo; i < hi; i++) y[i] = ((T)1 - t[i]) * x[i] + fastnn_act_softplus##F(-x[i]);         \
}                                                                                                           \
static void fastnn_bce_logits_backward_##SUFFIX(const T *restrict x, const T *restrict t, const T *restrict g, \
                                                int gscalar, T *restrict dx, ptrdiff_t lo, ptrdiff_t hi) {  \
    FASTNN_GRAD_LOOP(T, dx[i] = G * (fastnn_act_sigmoid##F(x[i]) - t[i]))                                    \
}                                                                                                           \
static void fastnn_leaky_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi,   \
                                          T slope) {                                                        \
    /* PyTorch's test, x > 0: a NaN takes the scaled side and stays NaN */                                   \
    for (ptrdiff_t i = lo; i < hi; i++) y[i] = x[i] > 0 ? x[i] : x[i] * slope;                               \
}                                                                                                           \
static void fastnn_leaky_backward_##SUFFIX(const T *restrict x, const T *restrict g, int gscalar,             \
                                           T *restrict dx, ptrdiff_t lo, ptrdiff_t hi, T slope) {           \
    FASTNN_GRAD_LOOP(T, dx[i] = x[i] > 0 ? G : G * slope)                                                    \
}                                                                                                           \
static void fastnn_hardsigmoid_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi) { \
    for (ptrdiff_t i = lo; i < hi; i++) {                                                                   \
        T v = x[i] / (T)6 + (T)0.5;                                                                         \
        y[i] = v < 0 ? (T)0 : (v > 1 ? (T)1 : v);   /* NaN passes */                                         \
    }                                                                                                       \
}                                                                                                           \
static void fastnn_hardsigmoid_backward_##SUFFIX(const T *restrict x, const T *restrict g, int gscalar,       \
                                                 T *restrict dx, ptrdiff_t lo, ptrdiff_t hi) {              \
    FASTNN_GRAD_LOOP(T, dx[i] = x[i] > (T)-3 && x[i] < (T)3 ? G / (T)6 : (T)0)                               \
}                                                                                                           \
static void fastnn_hardswish_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi) { \
    for (ptrdiff_t i = lo; i < hi; i++) {                                                                   \
        T v = x[i] / (T)6 + (T)0.5;                                                                         \
        y[i] = x[i] * (v < 0 ? (T)0 : (v > 1 ? (T)1 : v));                                                  \
    }                                                                                                       \
}                                                                                                           \
static void fastnn_hardswish_backward_##SUFFIX(const T *restrict x, const T *restrict g, int gscalar,         \
                                               T *restrict dx, ptrdiff_t lo, ptrdiff_t hi) {                \
    /* PyTorch's: 0 up to -3, x / 3 + 1/2 below 3, 1 from 3; a NaN input gives NaN */                        \
    FASTNN_GRAD_LOOP(T, T v = x[i];                                                                          \
                     dx[i] = v <= (T)-3 ? (T)0 : (v < (T)3 ? G * (v / (T)3 + (T)0.5) : (v >= (T)3 ? G : v)))  \
}                                                                                                           \
static void fastnn_mish_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi) {     \
    for (ptrdiff_t i = lo; i < hi; i++) y[i] = x[i] * fastnn_act_tanh_softplus##F(x[i], NULL);               \
}                                                                                                           \
static void fastnn_mish_backward_##SUFFIX(const T *restrict x, const T *restrict g, int gscalar,              \
                                          T *restrict dx, ptrdiff_t lo, ptrdiff_t hi) {                     \
    FASTNN_GRAD_LOOP(T, T s; T t = fastnn_act_tanh_softplus##F(x[i], &s);                                    \
                     dx[i] = G * (t + x[i] * s * ((T)1 - t * t)))                                            \
}                                                                                                           \
static void fastnn_gelu_tanh_forward_##SUFFIX(const T *restrict x, T *restrict y, ptrdiff_t lo, ptrdiff_t hi) { \
    for (ptrdiff_t i = lo; i < hi; i++) {                                                                   \
        T v = x[i];                                                                                         \
        T t = fastnn_act_tanh##F((T)FASTNN_GELU_K * (v + (T)FASTNN_GELU_C * v * v * v));                    \
        y[i] = (T)0.5 * v * ((T)1 + t);                                                                     \
    }                                                                                                       \
}                                                                                                           \
static void fastnn_gelu_tanh_backward_##SUFFIX(const T *restrict x, const T *restrict g, int gscalar,         \
                                               T *restrict dx, ptrdiff_t lo, ptrdiff_t hi) {                \
    FASTNN_GRAD_LOOP(T, T v = x[i]; T v2 = v * v;                                                            \
                     T t = fastnn_act_tanh##F((T)FASTNN_GELU_K * (v + (T)FASTNN_GELU_C * v2 * v));           \
                     T inner = (T)FASTNN_GELU_K * ((T)1 + (T)(3 * FASTNN_GELU_C) * v2);                      \
                     dx[i] = G * ((T)0.5 * ((T)1 + t) + (T)0.5 * v * ((T)1 - t * t) * inner))                \
}

FASTNN_ACT_BODIES(float, f32_base, f)
FASTNN_ACT_BODIES(double, f64_base, )
#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
FASTNN_ACT_BODIES(float, f32_avx2, f)
FASTNN_ACT_BODIES(double, f64_avx2, )
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
FASTNN_ACT_BODIES(float, f32_avx512, f)
FASTNN_ACT_BODIES(double, f64_avx512, )
#pragma GCC pop_options
#endif
#undef FASTNN_ACT_BODIES
#undef FASTNN_GRAD_LOOP

/* Every pass by op code (activation.pyx's table): a is the forward's input (or, for relu, sigmoid and
 * tanh backward, its output), b the output gradient (unused by a forward; one value for every element when
 * scalar), except for binary cross-entropy, where b is the target and c the output gradient; p0 and p1 are
 * ELU's alpha, LeakyReLU's slope and softplus's beta and threshold. */

#define FASTNN_ACT_DISPATCH(T, SUFFIX)                                                                         \
static void fastnn_act_run_##SUFFIX(int op, const T *a, const T *b, const T *c, int scalar, double p0,        \
                                    double p1, T *out, ptrdiff_t lo, ptrdiff_t hi) {                        \
    switch (op) {                                                                                           \
    case 0: FASTNN_DISPATCH(fastnn_relu_forward_##SUFFIX, (a, out, lo, hi)); break;                            \
    case 1: FASTNN_DISPATCH(fastnn_relu_backward_##SUFFIX, (a, b, scalar, out, lo, hi)); break;                        \
    case 2: FASTNN_DISPATCH(fastnn_sigmoid_forward_##SUFFIX, (a, out, lo, hi)); break;                         \
    case 3: FASTNN_DISPATCH(fastnn_sigmoid_backward_##SUFFIX, (a, b, scalar, out, lo, hi)); break;                     \
    case 4: FASTNN_DISPATCH(fastnn_tanh_backward_##SUFFIX, (a, b, scalar, out, lo, hi)); break;                        \
    case 5: FASTNN_DISPATCH(fastnn_silu_forward_##SUFFIX, (a, out, lo, hi)); break;                            \
    case 6: FASTNN_DISPATCH(fastnn_silu_backward_##SUFFIX, (a, b, scalar, out, lo, hi)); break;                        \
    case 7: FASTNN_DISPATCH(fastnn_gelu_forward_##SUFFIX, (a, out, lo, hi)); break;                            \
    case 8: FASTNN_DISPATCH(fastnn_gelu_backward_##SUFFIX, (a, b, scalar, out, lo, hi)); break;                        \
    case 9: FASTNN_DISPATCH(fastnn_gelu_tanh_forward_##SUFFIX, (a, out, lo, hi)); break;                       \
    case 10: FASTNN_DISPATCH(fastnn_gelu_tanh_backward_##SUFFIX, (a, b, scalar, out, lo, hi)); break;                  \
    case 11: FASTNN_DISPATCH(fastnn_elu_forward_##SUFFIX, (a, out, lo, hi, (T)p0)); break;                      \
    case 12: FASTNN_DISPATCH(fastnn_elu_backward_##SUFFIX, (a, b, scalar, out, lo, hi, (T)p0)); break;         \
    case 13: FASTNN_DISPATCH(fastnn_softplus_forward_##SUFFIX, (a, out, lo, hi, (T)p0, (T)p1)); break;          \
    case 14: FASTNN_DISPATCH(fastnn_softplus_backward_##SUFFIX, (a, b, scalar, out, lo, hi, (T)p0, (T)p1)); break; \
    case 15: FASTNN_DISPATCH(fastnn_bce_logits_forward_##SUFFIX, (a, b, out, lo, hi)); break;                   \
    case 16: FASTNN_DISPATCH(fastnn_bce_logits_backward_##SUFFIX, (a, b, c, scalar, out, lo, hi)); break;       \
    case 17: FASTNN_DISPATCH(fastnn_hardsigmoid_forward_##SUFFIX, (a, out, lo, hi)); break;                     \
    case 18: FASTNN_DISPATCH(fastnn_hardsigmoid_backward_##SUFFIX, (a, b, scalar, out, lo, hi)); break;         \
    case 19: FASTNN_DISPATCH(fastnn_hardswish_forward_##SUFFIX, (a, out, lo, hi)); break;                       \
    case 20: FASTNN_DISPATCH(fastnn_hardswish_backward_##SUFFIX, (a, b, scalar, out, lo, hi)); break;           \
    case 21: FASTNN_DISPATCH(fastnn_mish_forward_##SUFFIX, (a, out, lo, hi)); break;                            \
    case 22: FASTNN_DISPATCH(fastnn_mish_backward_##SUFFIX, (a, b, scalar, out, lo, hi)); break;                \
    case 23: FASTNN_DISPATCH(fastnn_leaky_forward_##SUFFIX, (a, out, lo, hi, (T)p0)); break;                    \
    case 24: FASTNN_DISPATCH(fastnn_leaky_backward_##SUFFIX, (a, b, scalar, out, lo, hi, (T)p0)); break;        \
    }                                                                                                       \
}
FASTNN_ACT_DISPATCH(float, f32)
FASTNN_ACT_DISPATCH(double, f64)
#undef FASTNN_ACT_DISPATCH

#endif
