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
 * infinite weight or input reaches only the outputs it feeds (as in PyTorch).
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
#pragma GCC pop_options

#else   /* no vector builds: the general path */
static inline int fastnn_convt3s2_pays(void) { return 0; }
static inline void fastnn_convt3s2_image_f32(ptrdiff_t Cin, ptrdiff_t Cout, ptrdiff_t H, ptrdiff_t W, ptrdiff_t Ho,
                                             ptrdiff_t Wo, const float *x, const float *w, const float *bias,
                                             float *out, void *rows) {
    (void)Cin; (void)Cout; (void)H; (void)W; (void)Ho; (void)Wo; (void)x; (void)w; (void)bias; (void)out;
    (void)rows;
}
#endif

#endif
