/* Elementwise gate arithmetic of one time step of the RNN, LSTM and GRU, forward and
 * backward, over a (B, H) block. The GEMMs around them run in BLAS (csrc/rnn.pyx); these
 * loops are written so that the compiler vectorises them: one pass per gate row, no
 * branches, float32 transcendental functions from fastexp.h.
 *
 * Layouts (row-major): pre-activations and gates are (B, G*H) with the gate blocks in
 * PyTorch's order (LSTM i, f, g, o; GRU r, z, n); states are (B, H).
 */
#ifndef FASTNN_RNNCELL_H
#define FASTNN_RNNCELL_H
#include <math.h>
#include <stddef.h>
#include "fastexp.h"

/* float32: sigmoid and tanh from one vectorisable exp (tanh(x) = 2 sigmoid(2x) - 1 has an
 * absolute error of a few float32 ulps of 1, which is what a float32 network sees anyway). */
static inline float fnn_sigmoidf(float x) { return 1.0f / (1.0f + fastnn_expf(-x)); }
static inline float fnn_tanhf(float x) { return 2.0f / (1.0f + fastnn_expf(-2.0f * x)) - 1.0f; }
/* float64 is the gradcheck and reference-comparison type: libm accuracy. */
static inline double fnn_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static inline double fnn_tanh(double x) { return tanh(x); }

#define FNN_RNNCELL(T, S, SIG, TANH)                                                          \
/* LSTM forward: a = pre-activations without bias -> activated gates (in place);            \
 * c = f*c_prev + i*g; h = o*tanh(c). */                                                     \
static inline void lstm_step_fwd_##S(ptrdiff_t B, ptrdiff_t H, T *a, const T *bias,           \
                                     const T *c_prev, T *c, T *h) {                          \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        T *ab = a + b * 4 * H;                                                               \
        const T *cp = c_prev + b * H;                                                        \
        T *cb = c + b * H, *hb = h + b * H;                                                  \
        for (ptrdiff_t j = 0; j < 2 * H; j++) ab[j] = SIG(ab[j] + bias[j]);                  \
        for (ptrdiff_t j = 2 * H; j < 3 * H; j++) ab[j] = TANH(ab[j] + bias[j]);             \
        for (ptrdiff_t j = 3 * H; j < 4 * H; j++) ab[j] = SIG(ab[j] + bias[j]);              \
        for (ptrdiff_t j = 0; j < H; j++) {                                                  \
            T cj = ab[H + j] * cp[j] + ab[j] * ab[2 * H + j];                                \
            cb[j] = cj;                                                                      \
            hb[j] = ab[3 * H + j] * TANH(cj);                                                \
        }                                                                                    \
    }                                                                                        \
}                                                                                            \
                                                                                             \
/* LSTM backward: dh = dh_next + grad_out (gradient reaching h_t); dc in: gradient reaching  \
 * c_t from step t+1, out: gradient reaching c_{t-1}; da: pre-activation gradients. */        \
static inline void lstm_step_bwd_##S(ptrdiff_t B, ptrdiff_t H, const T *a, const T *c_prev,   \
                                     const T *c, const T *dh_next, const T *grad_out,        \
                                     T *dc, T *da) {                                         \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        const T *ab = a + b * 4 * H, *cp = c_prev + b * H, *cb = c + b * H;                  \
        const T *dn = dh_next + b * H, *go = grad_out + b * H;                               \
        T *dcb = dc + b * H, *dab = da + b * 4 * H;                                          \
        for (ptrdiff_t j = 0; j < H; j++) {                                                  \
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
}                                                                                            \
                                                                                             \
/* GRU forward: xp = W_ih x, hh = W_hh h_prev (both (B, 3H), no bias);                       \
 * gates = (r, z, n, W_hn h_prev + b_hn) (B, 4H), saved for backward. */                     \
static inline void gru_step_fwd_##S(ptrdiff_t B, ptrdiff_t H, const T *xp, const T *hh,       \
                                    const T *b_ih, const T *b_hh, const T *h_prev,           \
                                    T *gates, T *h) {                                        \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        const T *xb = xp + b * 3 * H, *hb = hh + b * 3 * H, *hp = h_prev + b * H;            \
        T *gb = gates + b * 4 * H, *ob = h + b * H;                                          \
        for (ptrdiff_t j = 0; j < 2 * H; j++)                                                \
            gb[j] = SIG(xb[j] + b_ih[j] + hb[j] + b_hh[j]);                                  \
        for (ptrdiff_t j = 0; j < H; j++) {                                                  \
            T hn = hb[2 * H + j] + b_hh[2 * H + j];                                          \
            T n = TANH(xb[2 * H + j] + b_ih[2 * H + j] + gb[j] * hn);                        \
            T z = gb[H + j];                                                                 \
            gb[2 * H + j] = n;                                                               \
            gb[3 * H + j] = hn;                                                              \
            ob[j] = (1 - z) * n + z * hp[j];                                                 \
        }                                                                                    \
    }                                                                                        \
}                                                                                            \
                                                                                             \
/* GRU backward: dgi / dgh are the gradients of the input- and hidden-side pre-activations  \
 * (B, 3H); dh_prev gets the direct path z * dh (the GEMM with W_hh adds the rest). */       \
static inline void gru_step_bwd_##S(ptrdiff_t B, ptrdiff_t H, const T *gates,                 \
                                    const T *h_prev, const T *dh_next, const T *grad_out,    \
                                    T *dgi, T *dgh, T *dh_prev) {                            \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        const T *gb = gates + b * 4 * H, *hp = h_prev + b * H;                               \
        const T *dn = dh_next + b * H, *go = grad_out + b * H;                               \
        T *gi = dgi + b * 3 * H, *gh = dgh + b * 3 * H, *dp = dh_prev + b * H;               \
        for (ptrdiff_t j = 0; j < H; j++) {                                                  \
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
/* Elman RNN forward: h = act(a + bias), a = W_ih x + W_hh h_prev. */                        \
static inline void rnn_step_fwd_##S(ptrdiff_t B, ptrdiff_t H, const T *a, const T *bias,      \
                                    int relu, T *h) {                                        \
    for (ptrdiff_t b = 0; b < B; b++) {                                                      \
        const T *ab = a + b * H;                                                             \
        T *hb = h + b * H;                                                                   \
        if (relu) {                                                                          \
            for (ptrdiff_t j = 0; j < H; j++) { T v = ab[j] + bias[j]; hb[j] = v > 0 ? v : 0; } \
        } else {                                                                             \
            for (ptrdiff_t j = 0; j < H; j++) hb[j] = TANH(ab[j] + bias[j]);                 \
        }                                                                                    \
    }                                                                                        \
}                                                                                            \
                                                                                             \
/* Elman RNN backward: da = (dh_next + grad_out) * act'(h). */                               \
static inline void rnn_step_bwd_##S(ptrdiff_t n, const T *h, const T *dh_next,                \
                                    const T *grad_out, int relu, T *da) {                    \
    if (relu) {                                                                              \
        for (ptrdiff_t j = 0; j < n; j++) da[j] = h[j] > 0 ? dh_next[j] + grad_out[j] : 0;   \
    } else {                                                                                 \
        for (ptrdiff_t j = 0; j < n; j++) da[j] = (dh_next[j] + grad_out[j]) * (1 - h[j] * h[j]); \
    }                                                                                        \
}

FNN_RNNCELL(float, f, fnn_sigmoidf, fnn_tanhf)
FNN_RNNCELL(double, d, fnn_sigmoid, fnn_tanh)

#endif
