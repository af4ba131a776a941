/* Direct stride-1 convolution of one image and group, for the layers where im2col + GEMM
 * spends its time building and packing a matrix much larger than the input: the
 * autoencoder's 16->8 channel 3x3 layer ran at under 20 GFLOP/s that way.
 *
 * The input planes are zero-padded into a buffer `xp` (cin planes of ps = Hp*Wp values,
 * row length Wp), and the output is computed on the ho x Wp grid of the padded rows:
 * output pixel q = oy*Wp + ox reads xp[ci*ps + off[t] + q] for tap t = (i, j), with
 * off[t] = i*dh*Wp + j*dw. Columns ox >= wo are computed and discarded by the caller,
 * so every tap is one straight, vectorisable pass. Rows of L = ho*Wp values are rounded
 * up to FNN_DC_PAD; the caller leaves FNN_DC_PAD + (kw-1)*dw values after the planes so
 * that the last taps of the rounded rows stay inside the buffer.
 */
#ifndef FASTNN_DIRECTCONV_H
#define FASTNN_DIRECTCONV_H
#include <stddef.h>
#include <string.h>
#include "cpulevel.h"

#define FNN_DC_PAD 32     /* multiple of every build's block of output pixels (2 vectors) */
#define FNN_DC_WLANES 16  /* gw holds a vector of partial sums per weight, this many slots apart */

/* acc[co*L + q] = sum over ci, t of w[(co*cin + ci)*taps + t] * xp[ci*ps + off[t] + q], q < L
 * (L a multiple of FNN_DC_PAD). Blocks of CO output channels x 2 vectors of pixels stay in
 * registers while the loop runs over input channels and taps.
 *
 * scatter (the input gradient): acc[ci*ps + off[t] + q] += sum over co of
 * wt[(t*cout + co)*cin + ci] * g[co*L + q], q < L, with g zero in the discarded columns:
 * each output gradient pixel adds into the padded input positions its taps read. Blocks of
 * CO input channels x 2 vectors sum over the output channels in registers per tap.
 *
 * wgrad: gw[(co*cin + ci)*taps + t] += sum over images m < nimg and q < L of
 * g[m*gs + co*L + q] * xp[m*xs + ci*ps + off[t] + q], with g zero in the discarded columns.
 * Each weight's sum is kept as a vector of lane partial sums in FNN_DC_WLANES slots (the
 * caller sums them at the end), and a call covers several images: on LeNet's 8x8 maps,
 * reducing the sums for every image cost more than the products. Blocks of CB output
 * channels x TB taps of vector sums stay in registers over the pixels; each g vector is
 * loaded once per TB taps and each input vector once per CB channels. (A vector reduction: GCC will not vectorise a float
 * sum without -ffast-math, so the vectors are explicit.) CO, CB, TB fit the build's
 * register file: 32 vector registers with AVX-512, 16 otherwise. */
#define FNN_DIRECTCONV(T, S, VBYTES, CO, CB, TB)                                                 \
typedef T fnn_dc_vec_##S __attribute__((vector_size(VBYTES)));                                  \
enum { FNN_DC_LANES_##S = VBYTES / sizeof(T) };                                                 \
static inline fnn_dc_vec_##S fnn_dc_load_##S(const T *p) {                                      \
    fnn_dc_vec_##S v;                                                                           \
    memcpy(&v, p, sizeof v);                                                                    \
    return v;                                                                                   \
}                                                                                               \
static void direct_acc_##S(const T *xp, ptrdiff_t cin, ptrdiff_t ps, const T *w, ptrdiff_t cout, \
                           const ptrdiff_t *off, ptrdiff_t taps, T *acc, ptrdiff_t L) {         \
    enum { V = FNN_DC_LANES_##S };                                                              \
    for (ptrdiff_t co0 = 0; co0 < cout; co0 += CO) {                                             \
        ptrdiff_t nco = cout - co0 < CO ? cout - co0 : CO;                                       \
        for (ptrdiff_t q0 = 0; q0 < L; q0 += 2 * V) {                                            \
            fnn_dc_vec_##S a[CO][2] = {{0}};                                                     \
            for (ptrdiff_t ci = 0; ci < cin; ci++) {                                             \
                const T *src = xp + ci * ps + q0;                                                \
                const T *wc = w + (co0 * cin + ci) * taps;                                       \
                for (ptrdiff_t t = 0; t < taps; t++) {                                           \
                    fnn_dc_vec_##S s0 = fnn_dc_load_##S(src + off[t]);                           \
                    fnn_dc_vec_##S s1 = fnn_dc_load_##S(src + off[t] + V);                       \
                    for (int k = 0; k < CO; k++) {                                               \
                        T wk = k < nco ? wc[k * cin * taps + t] : (T)0;                          \
                        a[k][0] += wk * s0;                                                      \
                        a[k][1] += wk * s1;                                                      \
                    }                                                                            \
                }                                                                                \
            }                                                                                    \
            for (int k = 0; k < nco; k++) {                                                      \
                memcpy(acc + (co0 + k) * L + q0, &a[k][0], sizeof a[k][0]);                      \
                memcpy(acc + (co0 + k) * L + q0 + V, &a[k][1], sizeof a[k][1]);                  \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
}                                                                                               \
static void direct_scatter_##S(const T *g, ptrdiff_t cout, const T *wt, ptrdiff_t cin,              \
                               const ptrdiff_t *off, ptrdiff_t taps, T *acc, ptrdiff_t ps, ptrdiff_t L) { \
    enum { V = FNN_DC_LANES_##S };                                                              \
    for (ptrdiff_t t = 0; t < taps; t++) {                                                       \
        const T *wtt = wt + t * cout * cin;                                                      \
        for (ptrdiff_t q0 = 0; q0 < L; q0 += 2 * V) {                                            \
            for (ptrdiff_t ci0 = 0; ci0 < cin; ci0 += CO) {                                      \
                ptrdiff_t nci = cin - ci0 < CO ? cin - ci0 : CO;                                 \
                fnn_dc_vec_##S a[CO][2] = {{0}};                                                 \
                for (ptrdiff_t co = 0; co < cout; co++) {                                        \
                    fnn_dc_vec_##S g0 = fnn_dc_load_##S(g + co * L + q0);                        \
                    fnn_dc_vec_##S g1 = fnn_dc_load_##S(g + co * L + q0 + V);                    \
                    const T *wc = wtt + co * cin + ci0;                                          \
                    for (int k = 0; k < CO; k++) {                                               \
                        T wk = k < nci ? wc[k] : (T)0;                                           \
                        a[k][0] += wk * g0;                                                      \
                        a[k][1] += wk * g1;                                                      \
                    }                                                                            \
                }                                                                                \
                for (int k = 0; k < nci; k++) {                                                  \
                    T *dst = acc + (ci0 + k) * ps + off[t] + q0;                                 \
                    fnn_dc_vec_##S d0 = fnn_dc_load_##S(dst) + a[k][0];                          \
                    fnn_dc_vec_##S d1 = fnn_dc_load_##S(dst + V) + a[k][1];                      \
                    memcpy(dst, &d0, sizeof d0);                                                 \
                    memcpy(dst + V, &d1, sizeof d1);                                             \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
}                                                                                               \
static void direct_wgrad_##S(const T *xp, ptrdiff_t cin, ptrdiff_t ps, ptrdiff_t xs, const T *g, ptrdiff_t cout, \
                             ptrdiff_t gs, ptrdiff_t nimg, const ptrdiff_t *off, ptrdiff_t taps, T *gw, ptrdiff_t L) { \
    enum { V = FNN_DC_LANES_##S };                                                              \
    const fnn_dc_vec_##S zero = {0};                                                            \
    for (ptrdiff_t ci = 0; ci < cin; ci++) {                                                     \
        for (ptrdiff_t t0 = 0; t0 < taps; t0 += TB) {                                            \
            ptrdiff_t ntb = taps - t0 < TB ? taps - t0 : TB;                                     \
            for (ptrdiff_t co0 = 0; co0 < cout; co0 += CB) {                                     \
                ptrdiff_t nco = cout - co0 < CB ? cout - co0 : CB;                               \
                fnn_dc_vec_##S a[CB][TB];                                                        \
                for (int k = 0; k < CB; k++)                                                     \
                    for (int u = 0; u < TB; u++) a[k][u] = zero;                                 \
                for (ptrdiff_t img = 0; img < nimg; img++) {                                     \
                    const T *src = xp + img * xs + ci * ps;                                      \
                    const T *gi = g + img * gs + co0 * L;                                        \
                    for (ptrdiff_t q = 0; q < L; q += V) {                                       \
                        fnn_dc_vec_##S gk[CB];                                                   \
                        for (int k = 0; k < CB; k++)                                             \
                            gk[k] = k < nco ? fnn_dc_load_##S(gi + k * L + q) : zero;            \
                        for (int u = 0; u < TB; u++) {                                           \
                            if (u < ntb) {                                                       \
                                fnn_dc_vec_##S s = fnn_dc_load_##S(src + off[t0 + u] + q);       \
                                for (int k = 0; k < CB; k++) a[k][u] += gk[k] * s;               \
                            }                                                                    \
                        }                                                                        \
                    }                                                                            \
                }                                                                                \
                for (int k = 0; k < nco; k++)                                                    \
                    for (int u = 0; u < ntb; u++) {                                              \
                        T *slot = gw + (((co0 + k) * cin + ci) * taps + t0 + u) * FNN_DC_WLANES;  \
                        fnn_dc_vec_##S sum = fnn_dc_load_##S(slot) + a[k][u];                     \
                        memcpy(slot, &sum, sizeof sum);                                          \
                    }                                                                            \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
}

/* channel blocks (CO, CB): 16 vector registers, and 32 with AVX-512 */
#define FNN_DC_CO_16 4
#define FNN_DC_CB_16 2
#define FNN_DC_CO_32 8
#define FNN_DC_CB_32 4
FNN_DIRECTCONV(float, f_base, 16, FNN_DC_CO_16, FNN_DC_CB_16, 6)
FNN_DIRECTCONV(double, d_base, 16, FNN_DC_CO_16, FNN_DC_CB_16, 6)
#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
FNN_DIRECTCONV(float, f_avx2, 32, FNN_DC_CO_16, FNN_DC_CB_16, 6)
FNN_DIRECTCONV(double, d_avx2, 32, FNN_DC_CO_16, FNN_DC_CB_16, 6)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
FNN_DIRECTCONV(float, f_avx512, 64, FNN_DC_CO_32, FNN_DC_CB_32, 6)
FNN_DIRECTCONV(double, d_avx512, 64, FNN_DC_CO_32, FNN_DC_CB_32, 6)
#pragma GCC pop_options
#endif

/* The channel blocks of the build this CPU runs: direct_acc and direct_scatter compute their
 * output channels CO at a time, direct_wgrad CB at a time, a short last block at full cost
 * (conv.pyx counts its idle channels as work when it picks a path). */
static inline ptrdiff_t direct_acc_block(void) {
    return fastnn_cpu_level() == 2 ? FNN_DC_CO_32 : FNN_DC_CO_16;
}
static inline ptrdiff_t direct_wgrad_block(void) {
    return fastnn_cpu_level() == 2 ? FNN_DC_CB_32 : FNN_DC_CB_16;
}

static inline void direct_acc_f(const float *xp, ptrdiff_t cin, ptrdiff_t ps, const float *w, ptrdiff_t cout,
                                const ptrdiff_t *off, ptrdiff_t taps, float *acc, ptrdiff_t L) {
    FASTNN_DISPATCH(direct_acc_f, (xp, cin, ps, w, cout, off, taps, acc, L));
}
static inline void direct_acc_d(const double *xp, ptrdiff_t cin, ptrdiff_t ps, const double *w, ptrdiff_t cout,
                                const ptrdiff_t *off, ptrdiff_t taps, double *acc, ptrdiff_t L) {
    FASTNN_DISPATCH(direct_acc_d, (xp, cin, ps, w, cout, off, taps, acc, L));
}
static inline void direct_scatter_f(const float *g, ptrdiff_t cout, const float *wt, ptrdiff_t cin, const ptrdiff_t *off,
                                    ptrdiff_t taps, float *acc, ptrdiff_t ps, ptrdiff_t L) {
    FASTNN_DISPATCH(direct_scatter_f, (g, cout, wt, cin, off, taps, acc, ps, L));
}
static inline void direct_wgrad_f(const float *xp, ptrdiff_t cin, ptrdiff_t ps, ptrdiff_t xs, const float *g,
                                  ptrdiff_t cout, ptrdiff_t gs, ptrdiff_t nimg, const ptrdiff_t *off, ptrdiff_t taps,
                                  float *gw, ptrdiff_t L) {
    FASTNN_DISPATCH(direct_wgrad_f, (xp, cin, ps, xs, g, cout, gs, nimg, off, taps, gw, L));
}
static inline void direct_scatter_d(const double *g, ptrdiff_t cout, const double *wt, ptrdiff_t cin, const ptrdiff_t *off,
                                    ptrdiff_t taps, double *acc, ptrdiff_t ps, ptrdiff_t L) {
    FASTNN_DISPATCH(direct_scatter_d, (g, cout, wt, cin, off, taps, acc, ps, L));
}
static inline void direct_wgrad_d(const double *xp, ptrdiff_t cin, ptrdiff_t ps, ptrdiff_t xs, const double *g,
                                  ptrdiff_t cout, ptrdiff_t gs, ptrdiff_t nimg, const ptrdiff_t *off, ptrdiff_t taps,
                                  double *gw, ptrdiff_t L) {
    FASTNN_DISPATCH(direct_wgrad_d, (xp, cin, ps, xs, g, cout, gs, nimg, off, taps, gw, L));
}

#endif
