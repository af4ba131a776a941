/* Transposed 3x3 convolution with stride 2 and padding 1 (a conv autoencoder's or DCGAN's upsampling layer),
 * forward, for output rows at most 16 wide: one image at a time, each output row written once from registers.
 *
 * The general path (csrc/conv_im2col.pxi) multiplies into a column buffer of 9 taps per input pixel and then
 * adds every column into the output (col2im): for N=64 8->16 7x7 that is 1.8 MB of columns and 451k scattered
 * read-modify-writes, 40% of the forward's samples, against 3.6 MFLOP of arithmetic.
 *
 * Here output column ox of a row takes taps by its parity: an even ox = 2q reads input column q through the
 * kernel's middle column (kx = 1); an odd ox = 2q + 1 reads column q through kx = 2 and column q + 1 through
 * kx = 0. Rows alike: an even output row 2m reads input row m through ky = 1, an odd row 2m + 1 reads rows m
 * (ky = 2) and m + 1 (ky = 0). An input row (W <= 8 values) is spread once over 16 lanes, lane ox holding
 * column ox >> 1 (P0) and column (ox + 1) >> 1 (P1); each output row of a channel is then a sum of masked
 * FMAs of those rows with broadcast weights, the even lanes (kx = 1) and the odd lanes (kx = 0 and 2) in
 * separate accumulators. A tap that does not reach a lane is masked out, not multiplied by zero, so an
 * infinite weight or input reaches only the outputs it feeds (as in PyTorch's forward, which scatters
 * products and adds no padding).
 *
 * The backward spreads each output-gradient row the same way (by the input column that reads it) and runs
 * the input gradient image by image and the weight gradient output channel by output channel, each weight
 * gradient a sum in one fixed order over the images whatever the thread count.
 *
 * AVX-512 only: fastnn_convt3s2_pays() says whether this CPU runs it; other builds keep the general path. */
#ifndef FASTNN_CONVTRANSPOSE2X_H
#define FASTNN_CONVTRANSPOSE2X_H
#include <stddef.h>
#include "cpulevel.h"

#define FASTNN_CONVT3S2_MAX_WO 16

#ifdef FASTNN_HAVE_AVX2_BUILD
#include <immintrin.h>

static inline int fastnn_convt3s2_pays(void) { return fastnn_cpu_level() == 2; }

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma")

/* Output channels co0 .. co0 + CB - 1 of output row r (CB a constant after inlining: the accumulators stay
 * in registers). */
static inline __attribute__((always_inline)) void fastnn_convt3s2_row_block(
        ptrdiff_t Cin, ptrdiff_t Cout, ptrdiff_t H, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t r, ptrdiff_t co0,
        const __m512 *rows, const float *w, const float *bias, float *out, __mmask16 even, __mmask16 odd,
        __mmask16 odd0, __mmask16 valid, const int CB) {
    __m512 acc_e[8], acc_o[8];
    for (int k = 0; k < CB; k++)
        acc_e[k] = acc_o[k] = bias ? _mm512_set1_ps(bias[co0 + k]) : _mm512_setzero_ps();
    ptrdiff_t m = r >> 1;
    /* (ky, input row) pairs reaching this output row */
    int taps = 0, ky[2];
    ptrdiff_t iy[2];
    if ((r & 1) == 0) {
        ky[0] = 1, iy[0] = m, taps = 1;
    } else {
        ky[0] = 2, iy[0] = m, taps = 1;
        if (m + 1 < H) ky[1] = 0, iy[1] = m + 1, taps = 2;
    }
    for (ptrdiff_t ci = 0; ci < Cin; ci++) {
        for (int t = 0; t < taps; t++) {
            const __m512 p0 = rows[(ci * H + iy[t]) * 2], p1 = rows[(ci * H + iy[t]) * 2 + 1];
            const float *wk = w + ((ci * Cout + co0) * 3 + ky[t]) * 3;
            for (int k = 0; k < CB; k++) {
                const float *wc = wk + k * 9;
                acc_e[k] = _mm512_mask3_fmadd_ps(_mm512_set1_ps(wc[1]), p0, acc_e[k], even);
                acc_o[k] = _mm512_mask3_fmadd_ps(_mm512_set1_ps(wc[2]), p0, acc_o[k], odd);
                acc_o[k] = _mm512_mask3_fmadd_ps(_mm512_set1_ps(wc[0]), p1, acc_o[k], odd0);
            }
        }
    }
    for (int k = 0; k < CB; k++)
        _mm512_mask_storeu_ps(out + ((co0 + k) * Ho + r) * Wo, valid, _mm512_mask_blend_ps(even, acc_o[k], acc_e[k]));
}

/* One image: x (Cin, H, W), w (Cin, Cout, 3, 3), bias (Cout) or NULL, out (Cout, Ho, Wo) with Ho in
 * {2H - 1, 2H} and Wo in {2W - 1, 2W} <= 16 (output_padding 0 or 1); rows: scratch of 2 * Cin * H vectors. */
static void fastnn_convt3s2_image_f32(ptrdiff_t Cin, ptrdiff_t Cout, ptrdiff_t H, ptrdiff_t W, ptrdiff_t Ho,
                                      ptrdiff_t Wo, const float *x, const float *w, const float *bias, float *out,
                                      __m512 *rows) {
    /* lane ox reads column ox >> 1 (P0) and (ox + 1) >> 1 (P1); _mm512_set_epi32 lists lanes 15 .. 0 */
    const __m512i idx0 = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i idx1 = _mm512_set_epi32(8, 7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0);
    const __mmask16 in_row = (__mmask16)((1u << W) - 1), valid = (__mmask16)((1u << Wo) - 1);
    const __mmask16 even = valid & 0x5555, odd = valid & 0xAAAA;
    /* kx = 0 reaches odd ox only while (ox + 1) >> 1 < W, i.e. ox <= 2W - 3 */
    const __mmask16 odd0 = odd & (__mmask16)((1u << (2 * W - 2)) - 1);
    for (ptrdiff_t i = 0; i < Cin * H; i++) {
        __m512 v = _mm512_maskz_loadu_ps(in_row, x + i * W);
        rows[2 * i] = _mm512_permutexvar_ps(idx0, v);
        rows[2 * i + 1] = _mm512_permutexvar_ps(idx1, v);
    }
    ptrdiff_t full = Cout - Cout % 8;
    for (ptrdiff_t r = 0; r < Ho; r++) {
        for (ptrdiff_t co = 0; co < full; co += 8)
            fastnn_convt3s2_row_block(Cin, Cout, H, Ho, Wo, r, co, rows, w, bias, out, even, odd, odd0, valid, 8);
        for (ptrdiff_t co = full; co < Cout; co++)
            fastnn_convt3s2_row_block(Cin, Cout, H, Ho, Wo, r, co, rows, w, bias, out, even, odd, odd0, valid, 1);
    }
}
/* The backward, from the output gradient g. Each g row (Wo <= 16 values) is spread once into three 8-lane
 * vectors by the input column q that reads it: E[q] = g[2q] (kx = 1), O[q] = g[2q + 1] (kx = 2) and
 * S[q] = g[2q - 1] (kx = 0). Columns -1 and Wo (the padding) and lanes past the row are zero, and are
 * multiplied like the rest (see fastnn_convt3s2_zero_rows). spread: Co * Ho * 3 vectors of one image; sums:
 * each channel's sum of g over the image (the bias gradient, summed over images by the caller). */
static void fastnn_convt3s2_spread_f32(ptrdiff_t Co, ptrdiff_t Ho, ptrdiff_t Wo, const float *g, __m256 *spread,
                                       float *sums) {
    const __m512i idx_e = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i idx_o = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 15, 13, 11, 9, 7, 5, 3, 1);
    const __m512i idx_s = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 13, 11, 9, 7, 5, 3, 1, 0);
    const __mmask16 in_row = (__mmask16)((1u << Wo) - 1);
    for (ptrdiff_t co = 0; co < Co; co++) {
        __m512 total = _mm512_setzero_ps();   /* the bias gradient's share of this image: every g value */
        for (ptrdiff_t i = co * Ho; i < (co + 1) * Ho; i++) {
            __m512 v = _mm512_maskz_loadu_ps(in_row, g + i * Wo);
            total = _mm512_add_ps(total, v);
            spread[3 * i] = _mm512_castps512_ps256(_mm512_permutexvar_ps(idx_e, v));
            spread[3 * i + 1] = _mm512_castps512_ps256(_mm512_permutexvar_ps(idx_o, v));
            spread[3 * i + 2] = _mm512_castps512_ps256(_mm512_maskz_permutexvar_ps(0xFE, idx_s, v));
        }
        sums[co] = _mm512_reduce_add_ps(total);
    }
}

/* The spread rows of the padding around g (row -1, and row Ho when output_padding is 0): zeros that the
 * backward multiplies like any other row, as the general path's im2col and the NumPy reference do, so both
 * paths agree on where an infinite weight or input next to the border gives NaN. (PyTorch's CPU backward
 * skips padded taps and gives fewer NaN there; matching it would change every path and the reference.) */
static const float fastnn_convt3s2_zero_rows[24] __attribute__((aligned(32))) = {0};

/* Input channels ci0 .. ci0 + CB - 1 of input row iy of one image's input gradient. */
static inline __attribute__((always_inline)) void fastnn_convt3s2_gx_block(
        ptrdiff_t Co, ptrdiff_t H, ptrdiff_t W, ptrdiff_t Ho, ptrdiff_t iy, ptrdiff_t ci0, const __m256 *spread,
        const float *w, float *gx, __mmask8 me, const int CB) {
    __m256 acc[8];
    for (int k = 0; k < CB; k++) acc[k] = _mm256_setzero_ps();
    for (int ky = 0; ky < 3; ky++) {
        ptrdiff_t row = 2 * iy - 1 + ky;
        int pad = row < 0 || row >= Ho;
        for (ptrdiff_t co = 0; co < Co; co++) {
            const __m256 *sp = pad ? (const __m256 *)fastnn_convt3s2_zero_rows : spread + (co * Ho + row) * 3;
            const __m256 e = sp[0], o = sp[1], sv = sp[2];
            const float *wk = w + (ci0 * Co + co) * 9 + ky * 3;
            for (int k = 0; k < CB; k++) {
                const float *wc = wk + k * Co * 9;
                acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(wc[1]), e, acc[k]);
                acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(wc[2]), o, acc[k]);
                acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(wc[0]), sv, acc[k]);
            }
        }
    }
    for (int k = 0; k < CB; k++) _mm256_mask_storeu_ps(gx + ((ci0 + k) * H + iy) * W, me, acc[k]);
}

/* One image's input gradient gx (Ci, H, W) from its spread output gradient, w (Ci, Co, 3, 3). */
static void fastnn_convt3s2_input_grad_f32(ptrdiff_t Ci, ptrdiff_t Co, ptrdiff_t H, ptrdiff_t W, ptrdiff_t Ho,
                                           ptrdiff_t Wo, const __m256 *spread, const float *w, float *gx) {
    const __mmask8 me = (__mmask8)((1u << W) - 1);   /* the row's columns: lanes past them are not stored */
    ptrdiff_t full = Ci - Ci % 8;
    (void)Wo;
    for (ptrdiff_t iy = 0; iy < H; iy++) {
        for (ptrdiff_t ci = 0; ci < full; ci += 8)
            fastnn_convt3s2_gx_block(Co, H, W, Ho, iy, ci, spread, w, gx, me, 8);
        for (ptrdiff_t ci = full; ci < Ci; ci++)
            fastnn_convt3s2_gx_block(Co, H, W, Ho, iy, ci, spread, w, gx, me, 1);
    }
}

static inline float fastnn_convt3s2_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Weight gradient of input channels ci0 .. ci0 + CB - 1 and output channel co, over all N images, in a fixed
 * order (images, then rows), whichever thread runs it: gw[ci, co, ky, kx] = sum of x rows times spread rows. */
static inline __attribute__((always_inline)) void fastnn_convt3s2_gw_block(
        ptrdiff_t N, ptrdiff_t Ci, ptrdiff_t Co, ptrdiff_t H, ptrdiff_t W, ptrdiff_t Ho, ptrdiff_t ci0, ptrdiff_t co,
        const float *x, const __m256 *spread, float *gw, __mmask8 me, const int CB) {
    __m256 acc[2][9];
    for (int k = 0; k < CB; k++)
        for (int t = 0; t < 9; t++) acc[k][t] = _mm256_setzero_ps();
    for (ptrdiff_t n = 0; n < N; n++) {
        const __m256 *sn = spread + (n * Co + co) * Ho * 3;
        for (ptrdiff_t iy = 0; iy < H; iy++) {
            __m256 xv[2];
            for (int k = 0; k < CB; k++) xv[k] = _mm256_maskz_loadu_ps(me, x + ((n * Ci + ci0 + k) * H + iy) * W);
            for (int ky = 0; ky < 3; ky++) {
                ptrdiff_t row = 2 * iy - 1 + ky;
                const __m256 *sp = row < 0 || row >= Ho ? (const __m256 *)fastnn_convt3s2_zero_rows : sn + row * 3;
                for (int k = 0; k < CB; k++) {   /* x's lanes past W are zero, as are the spread rows' */
                    acc[k][ky * 3 + 1] = _mm256_fmadd_ps(xv[k], sp[0], acc[k][ky * 3 + 1]);
                    acc[k][ky * 3 + 2] = _mm256_fmadd_ps(xv[k], sp[1], acc[k][ky * 3 + 2]);
                    acc[k][ky * 3 + 0] = _mm256_fmadd_ps(xv[k], sp[2], acc[k][ky * 3 + 0]);
                }
            }
        }
    }
    for (int k = 0; k < CB; k++)
        for (int t = 0; t < 9; t++) gw[((ci0 + k) * Co + co) * 9 + t] = fastnn_convt3s2_hsum(acc[k][t]);
}

/* gw[:, co] (every input channel, two at a time) from x (N, Ci, H, W) and every image's spread gradient. */
static void fastnn_convt3s2_weight_grad_f32(ptrdiff_t N, ptrdiff_t Ci, ptrdiff_t Co, ptrdiff_t H, ptrdiff_t W,
                                            ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t co, const float *x,
                                            const __m256 *spread, float *gw) {
    const __mmask8 me = (__mmask8)((1u << W) - 1);
    ptrdiff_t ci = 0;
    (void)Wo;
    for (; ci + 2 <= Ci; ci += 2) fastnn_convt3s2_gw_block(N, Ci, Co, H, W, Ho, ci, co, x, spread, gw, me, 2);
    if (ci < Ci) fastnn_convt3s2_gw_block(N, Ci, Co, H, W, Ho, ci, co, x, spread, gw, me, 1);
}
#pragma GCC pop_options

#else   /* no vector builds: the general path */
static inline int fastnn_convt3s2_pays(void) { return 0; }
static inline void fastnn_convt3s2_image_f32(ptrdiff_t Cin, ptrdiff_t Cout, ptrdiff_t H, ptrdiff_t W, ptrdiff_t Ho,
                                             ptrdiff_t Wo, const float *x, const float *w, const float *bias,
                                             float *out, void *rows) {
    (void)Cin; (void)Cout; (void)H; (void)W; (void)Ho; (void)Wo; (void)x; (void)w; (void)bias; (void)out;
    (void)rows;
}
static inline void fastnn_convt3s2_spread_f32(ptrdiff_t Co, ptrdiff_t Ho, ptrdiff_t Wo, const float *g, void *spread,
                                              float *sums) {
    (void)Co; (void)Ho; (void)Wo; (void)g; (void)spread; (void)sums;
}
static inline void fastnn_convt3s2_input_grad_f32(ptrdiff_t Ci, ptrdiff_t Co, ptrdiff_t H, ptrdiff_t W, ptrdiff_t Ho,
                                                  ptrdiff_t Wo, const void *spread, const float *w, float *gx) {
    (void)Ci; (void)Co; (void)H; (void)W; (void)Ho; (void)Wo; (void)spread; (void)w; (void)gx;
}
static inline void fastnn_convt3s2_weight_grad_f32(ptrdiff_t N, ptrdiff_t Ci, ptrdiff_t Co, ptrdiff_t H, ptrdiff_t W,
                                                   ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t co, const float *x,
                                                   const void *spread, float *gw) {
    (void)N; (void)Ci; (void)Co; (void)H; (void)W; (void)Ho; (void)Wo; (void)co; (void)x; (void)spread; (void)gw;
}
#endif

#endif
