/* Elementwise gate arithmetic of one time step of the RNN, LSTM and GRU, forward and
 * backward, over the hidden units [j0, j1) of a (B, H) block (each thread of csrc/rnn.pyx
 * takes its own units). These loops are written so that the compiler vectorises them: one
 * pass over the units, no branches, float32 transcendental functions from fastexp.h.
 *
 * Layouts (row-major): pre-activations and gates are (B, G*H) with the gate blocks in
 * PyTorch's order (LSTM i, f, g, o; GRU r, z, n); states are (B, H).
 */
#ifndef FASTNN_RNNCELL_H
#define FASTNN_RNNCELL_H
#include <math.h>
#include <stddef.h>
#include "fastexp.h"
#include "cpulevel.h"

/* float32: sigmoid and tanh from one vectorisable exp (tanh(x) = 2 sigmoid(2x) - 1 has an
 * absolute error of a few float32 ulps of 1, which is what a float32 network sees anyway). */
static inline float fnn_sigmoidf(float x) { return 1.0f / (1.0f + fastnn_expf(-x)); }
static inline float fnn_tanhf(float x) { return 2.0f / (1.0f + fastnn_expf(-2.0f * x)) - 1.0f; }
/* float64 is the gradcheck and reference-comparison type: libm accuracy. */
static inline double fnn_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static inline double fnn_tanh(double x) { return tanh(x); }

/* No two pointer arguments of one call overlap (rnn.pyx passes distinct buffers); saying so
 * lets GCC vectorise loops with this many streams instead of giving up on alias checks. */
#define FNN_RESTRICT __restrict

#define FNN_RNNCELL(T, S, SIG, TANH)                                                          \
/* LSTM forward over hidden units [j0, j1): a = pre-activations without bias -> activated    \
 * gates (in place); c = f*c_prev + i*g; h = o*tanh(c), h's rows ldh apart (a batch-first    \
 * output's rows are a whole sequence apart). */                                             \
static inline void lstm_step_fwd_##S(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1,   \
                                     T *FNN_RESTRICT a, const T *FNN_RESTRICT bias,          \
                                     const T *FNN_RESTRICT c_prev, T *FNN_RESTRICT c,        \
                                     T *FNN_RESTRICT h, ptrdiff_t ldh) {                     \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        T *ab = a + b * 4 * H;                                                               \
        const T *cp = c_prev + b * H;                                                        \
        T *cb = c + b * H, *hb = h + b * ldh;                                                \
        for (ptrdiff_t j = j0; j < j1; j++) {                                                \
            T i = SIG(ab[j] + bias[j]), f = SIG(ab[H + j] + bias[H + j]);                    \
            T g = TANH(ab[2 * H + j] + bias[2 * H + j]), o = SIG(ab[3 * H + j] + bias[3 * H + j]); \
            T cj = f * cp[j] + i * g;                                                        \
            ab[j] = i; ab[H + j] = f; ab[2 * H + j] = g; ab[3 * H + j] = o;                  \
            cb[j] = cj;                                                                      \
            hb[j] = o * TANH(cj);                                                            \
        }                                                                                    \
    }                                                                                        \
}                                                                                            \
                                                                                             \
/* LSTM backward over hidden units [j0, j1): dh = dh_next + grad_out (gradient reaching h_t); \
 * dc in: gradient reaching c_t from step t+1, out: gradient reaching c_{t-1};               \
 * da: pre-activation gradients; gb (4H) += da summed over the batch (the bias gradient, summed \
 * while da is in L1 rather than in a pass of its own after the sweep). grad_out's rows are  \
 * ldgo apart and da's ldda (a whole sequence, batch first). */                              \
static inline void lstm_step_bwd_##S(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1,   \
                                     const T *FNN_RESTRICT a, const T *FNN_RESTRICT c_prev,  \
                                     const T *FNN_RESTRICT c, const T *FNN_RESTRICT dh_next, \
                                     const T *FNN_RESTRICT grad_out, ptrdiff_t ldgo,         \
                                     T *FNN_RESTRICT dc, T *FNN_RESTRICT da, ptrdiff_t ldda, \
                                     T *FNN_RESTRICT gb) {                                   \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        const T *ab = a + b * 4 * H, *cp = c_prev + b * H, *cb = c + b * H;                  \
        const T *dn = dh_next + b * H, *go = grad_out + b * ldgo;                            \
        T *dcb = dc + b * H, *dab = da + b * ldda;                                           \
        for (ptrdiff_t j = j0; j < j1; j++) {                                                \
            T i = ab[j], f = ab[H + j], g = ab[2 * H + j], o = ab[3 * H + j];                \
            T dh = dn[j] + go[j];                                                            \
            T tc = TANH(cb[j]);                                                              \
            T dct = dcb[j] + dh * o * (1 - tc * tc);                                         \
            dab[j] = dct * g * i * (1 - i);                                                  \
            dab[H + j] = dct * cp[j] * f * (1 - f);                                          \
            dab[2 * H + j] = dct * i * (1 - g * g);                                          \
            dab[3 * H + j] = dh * tc * o * (1 - o);                                          \
            dcb[j] = dct * f;                                                                \
        }                                                                                    \
    }                                                                                        \
    /* one gate's columns at a time: with the four in one loop GCC saw gb[j] and gb[H + j]  \
     * as possibly overlapping and left the whole cell scalar */                             \
    for (ptrdiff_t b = 0; b < B; b++)                                                        \
        for (ptrdiff_t g = 0; g < 4; g++)                                                    \
            for (ptrdiff_t j = j0; j < j1; j++) gb[g * H + j] += da[b * ldda + g * H + j];   \
}                                                                                            \
                                                                                             \
/* GRU forward over hidden units [j0, j1): xp = W_ih x, hh = W_hh h_prev (both (B, 3H), no  \
 * bias); gates = (r, z, n, W_hn h_prev + b_hn) (B, 4H), saved for backward. */              \
static inline void gru_step_fwd_##S(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1,    \
                                    const T *FNN_RESTRICT xp, const T *FNN_RESTRICT hh,      \
                                    const T *FNN_RESTRICT b_ih, const T *FNN_RESTRICT b_hh,  \
                                    const T *FNN_RESTRICT h_prev, T *FNN_RESTRICT gates,     \
                                    T *FNN_RESTRICT h) {                                     \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        const T *xb = xp + b * 3 * H, *hb = hh + b * 3 * H, *hp = h_prev + b * H;            \
        T *gb = gates + b * 4 * H, *ob = h + b * H;                                          \
        for (ptrdiff_t j = j0; j < j1; j++) {                                                \
            T r = SIG(xb[j] + b_ih[j] + hb[j] + b_hh[j]);                                    \
            T z = SIG(xb[H + j] + b_ih[H + j] + hb[H + j] + b_hh[H + j]);                    \
            T hn = hb[2 * H + j] + b_hh[2 * H + j];                                          \
            T n = TANH(xb[2 * H + j] + b_ih[2 * H + j] + r * hn);                            \
            gb[j] = r; gb[H + j] = z; gb[2 * H + j] = n; gb[3 * H + j] = hn;                 \
            ob[j] = (1 - z) * n + z * hp[j];                                                 \
        }                                                                                    \
    }                                                                                        \
}                                                                                            \
                                                                                             \
/* GRU backward over hidden units [j0, j1): dgi / dgh are the gradients of the input- and   \
 * hidden-side pre-activations (B, 3H); dh_prev gets the direct path z * dh (the GEMM with   \
 * W_hh adds the rest). */                                                                   \
static inline void gru_step_bwd_##S(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1,    \
                                    const T *FNN_RESTRICT gates, const T *FNN_RESTRICT h_prev, \
                                    const T *FNN_RESTRICT dh_next, const T *FNN_RESTRICT grad_out, \
                                    T *FNN_RESTRICT dgi, T *FNN_RESTRICT dgh, T *FNN_RESTRICT dh_prev) { \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        const T *gb = gates + b * 4 * H, *hp = h_prev + b * H;                               \
        const T *dn = dh_next + b * H, *go = grad_out + b * H;                               \
        T *gi = dgi + b * 3 * H, *gh = dgh + b * 3 * H, *dp = dh_prev + b * H;               \
        for (ptrdiff_t j = j0; j < j1; j++) {                                                \
            T r = gb[j], z = gb[H + j], n = gb[2 * H + j], hn = gb[3 * H + j];               \
            T dh = dn[j] + go[j];                                                            \
            T dan = dh * (1 - z) * (1 - n * n);                                              \
            T dar = dan * hn * r * (1 - r);                                                  \
            T daz = dh * (hp[j] - n) * z * (1 - z);                                          \
            gi[j] = dar; gi[H + j] = daz; gi[2 * H + j] = dan;                               \
            gh[j] = dar; gh[H + j] = daz; gh[2 * H + j] = dan * r;                           \
            dp[j] = dh * z;                                                                  \
        }                                                                                    \
    }                                                                                        \
}                                                                                            \
                                                                                             \
/* Elman RNN forward over hidden units [j0, j1): h = act(a + bias), a = W_ih x + W_hh h_prev. */ \
static inline void rnn_step_fwd_##S(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1,    \
                                    const T *FNN_RESTRICT a, const T *FNN_RESTRICT bias,     \
                                    int relu, T *FNN_RESTRICT h) {                           \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        const T *ab = a + b * H;                                                             \
        T *hb = h + b * H;                                                                   \
        if (relu) {                                                                          \
            for (ptrdiff_t j = j0; j < j1; j++) { T v = ab[j] + bias[j]; hb[j] = v > 0 ? v : 0; } \
        } else {                                                                             \
            for (ptrdiff_t j = j0; j < j1; j++) hb[j] = TANH(ab[j] + bias[j]);               \
        }                                                                                    \
    }                                                                                        \
}                                                                                            \
                                                                                             \
/* Elman RNN backward over hidden units [j0, j1): da = (dh_next + grad_out) * act'(h). */    \
static inline void rnn_step_bwd_##S(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1,    \
                                    const T *FNN_RESTRICT h, const T *FNN_RESTRICT dh_next,  \
                                    const T *FNN_RESTRICT grad_out, int relu, T *FNN_RESTRICT da) { \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        const T *hb = h + b * H, *dn = dh_next + b * H, *go = grad_out + b * H;              \
        T *db = da + b * H;                                                                  \
        if (relu) {                                                                          \
            for (ptrdiff_t j = j0; j < j1; j++) db[j] = hb[j] > 0 ? dn[j] + go[j] : 0;       \
        } else {                                                                             \
            for (ptrdiff_t j = j0; j < j1; j++) db[j] = (dn[j] + go[j]) * (1 - hb[j] * hb[j]); \
        }                                                                                    \
    }                                                                                        \
}

/* float32 is stamped for the baseline, AVX2+FMA and AVX-512 and picked at run time (the
 * gate math is exp-bound: measured on a (32, 256) LSTM step, 108 us baseline, 27 us AVX2). */
FNN_RNNCELL(float, f_base, fnn_sigmoidf, fnn_tanhf)
#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
FNN_RNNCELL(float, f_avx2, fnn_sigmoidf, fnn_tanhf)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
FNN_RNNCELL(float, f_avx512, fnn_sigmoidf, fnn_tanhf)
#pragma GCC pop_options
#endif
FNN_RNNCELL(double, d, fnn_sigmoid, fnn_tanh)

static inline void lstm_step_fwd_f(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1, float *a,
                                   const float *bias, const float *c_prev, float *c, float *h, ptrdiff_t ldh) {
    FASTNN_DISPATCH(lstm_step_fwd_f, (B, H, j0, j1, a, bias, c_prev, c, h, ldh));
}
static inline void lstm_step_bwd_f(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1, const float *a,
                                   const float *c_prev, const float *c, const float *dh_next,
                                   const float *grad_out, ptrdiff_t ldgo, float *dc, float *da, ptrdiff_t ldda,
                                   float *gb) {
    FASTNN_DISPATCH(lstm_step_bwd_f, (B, H, j0, j1, a, c_prev, c, dh_next, grad_out, ldgo, dc, da, ldda, gb));
}
static inline void gru_step_fwd_f(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1, const float *xp,
                                  const float *hh, const float *b_ih, const float *b_hh, const float *h_prev,
                                  float *gates, float *h) {
    FASTNN_DISPATCH(gru_step_fwd_f, (B, H, j0, j1, xp, hh, b_ih, b_hh, h_prev, gates, h));
}
static inline void gru_step_bwd_f(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1, const float *gates,
                                  const float *h_prev, const float *dh_next, const float *grad_out, float *dgi,
                                  float *dgh, float *dh_prev) {
    FASTNN_DISPATCH(gru_step_bwd_f, (B, H, j0, j1, gates, h_prev, dh_next, grad_out, dgi, dgh, dh_prev));
}
static inline void rnn_step_fwd_f(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1, const float *a,
                                  const float *bias, int relu, float *h) {
    FASTNN_DISPATCH(rnn_step_fwd_f, (B, H, j0, j1, a, bias, relu, h));
}
static inline void rnn_step_bwd_f(ptrdiff_t B, ptrdiff_t H, ptrdiff_t j0, ptrdiff_t j1, const float *h,
                                  const float *dh_next, const float *grad_out, int relu, float *da) {
    FASTNN_DISPATCH(rnn_step_bwd_f, (B, H, j0, j1, h, dh_next, grad_out, relu, da));
}

#endif
