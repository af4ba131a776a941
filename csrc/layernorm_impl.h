/* Layer norm over blocks of rows, for element type T in VEC (VLANES lanes of T); included by
 * layernormrow.h once per build. Sums run in VEC-wide partials of T, four accumulators deep (an
 * add's latency, not its throughput, bounds one chain), each LN_SPAN elements of a row folded into
 * a double: float partials over at most LN_SPAN / (4 * VLANES) terms each keep the statistics near
 * double accuracy at float speed (converting every element to double halved the speed).
 * Elementwise passes are explicit vector loops too, with a scalar tail. */

#define LN_SPAN 1024
#define LN_LOAD(v, p) memcpy(&(v), (p), sizeof(VEC))
#define LN_STORE(p, v) memcpy((p), &(v), sizeof(VEC))

/* Lanes folded in halves: log2(VLANES) dependent adds. */
static inline double SUFFIX(fastnn_ln_hsum)(VEC v) {
    T lane[VLANES];
    memcpy(lane, &v, sizeof v);
    for (int w = VLANES / 2; w >= 1; w /= 2)
        for (int j = 0; j < w; j++) lane[j] += lane[j + w];
    return lane[0];
}

/* Sum over the row of x - shift (pass shift 0) or of (x - shift)^2 (squares set). */
static inline double SUFFIX(fastnn_ln_moment)(const T* restrict x, ptrdiff_t C, T shift, int squares) {
    double total = 0;
    for (ptrdiff_t c0 = 0; c0 < C; c0 += LN_SPAN) {
        ptrdiff_t end = C - c0 < LN_SPAN ? C : c0 + LN_SPAN, c = c0;
        VEC a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        if (squares) {
            for (; c + 4 * VLANES <= end; c += 4 * VLANES) {
                VEC x0, x1, x2, x3;
                LN_LOAD(x0, x + c); LN_LOAD(x1, x + c + VLANES);
                LN_LOAD(x2, x + c + 2 * VLANES); LN_LOAD(x3, x + c + 3 * VLANES);
                x0 -= shift; x1 -= shift; x2 -= shift; x3 -= shift;
                a0 += x0 * x0; a1 += x1 * x1; a2 += x2 * x2; a3 += x3 * x3;
            }
            for (; c + VLANES <= end; c += VLANES) {
                VEC x0;
                LN_LOAD(x0, x + c);
                x0 -= shift;
                a0 += x0 * x0;
            }
        } else {
            for (; c + 4 * VLANES <= end; c += 4 * VLANES) {
                VEC x0, x1, x2, x3;
                LN_LOAD(x0, x + c); LN_LOAD(x1, x + c + VLANES);
                LN_LOAD(x2, x + c + 2 * VLANES); LN_LOAD(x3, x + c + 3 * VLANES);
                a0 += x0; a1 += x1; a2 += x2; a3 += x3;
            }
            for (; c + VLANES <= end; c += VLANES) {
                VEC x0;
                LN_LOAD(x0, x + c);
                a0 += x0;
            }
        }
        double tail = 0;
        for (; c < end; c++) {
            double d = (double)x[c] - shift;
            tail += squares ? d * d : d;
        }
        total += SUFFIX(fastnn_ln_hsum)((a0 + a1) + (a2 + a3)) + tail;
    }
    return total;
}

/* The float mean m and its rounding error dm = mean - m, so that x - mean is taken as (x - m) - dm:
 * in float, x - m is exact near the mean (where the cancellation is), and dm restores what the
 * rounding of the mean lost (a row whose spread is a few ulps of its values needs it). */

/* R rows of C: y = (s - mean) * rstd * w + b with s = x, or s = x + res (written to sum) when res
 * is given, or s = x + dropout(res) when masked: the mask of dropout_mask_apply (dropoutmask.h) over
 * the whole array, whose row `row0` this block's first row is. w and b are never NULL (the caller
 * passes ones and zeros for a missing one). */
#define LN_DROPPED_ADD(c, keep) sr[c] = s[c] + rr[c] * ((T)(keep) * scale)
static inline void SUFFIX(fastnn_ln_rows_forward)(const T* restrict x, const T* restrict res,
        const T* restrict w, const T* restrict b, ptrdiff_t R, ptrdiff_t C, double eps, T* restrict y,
        T* restrict sum, double* restrict mean, double* restrict rstd, ptrdiff_t row0, uint64_t seed,
        uint32_t threshold, T scale, int masked) {
    for (ptrdiff_t r = 0; r < R; r++) {
        const T* s = x + r * C;
        T* yr = y + r * C;
        ptrdiff_t c;
        if (res && masked) {
            const T* rr = res + r * C;
            T* sr = sum + r * C;
            FASTNN_FOR_KEEPS((row0 + r) * C, C, seed, threshold, LN_DROPPED_ADD);
            s = sr;
        } else if (res) {
            const T* rr = res + r * C;
            T* sr = sum + r * C;
            for (c = 0; c + VLANES <= C; c += VLANES) {
                VEC a, d;
                LN_LOAD(a, s + c); LN_LOAD(d, rr + c);
                a += d;
                LN_STORE(sr + c, a);
            }
            for (; c < C; c++) sr[c] = s[c] + rr[c];
            s = sr;
        }
        double mu = SUFFIX(fastnn_ln_moment)(s, C, 0, 0) / C;
        T m = (T)mu, dm = (T)(mu - m);
        double var = SUFFIX(fastnn_ln_moment)(s, C, m, 1) / C - (double)dm * dm;
        double rs = 1.0 / sqrt((var > 0 ? var : 0) + eps);
        mean[r] = mu;
        rstd[r] = rs;
        T k = (T)rs;
        for (c = 0; c + VLANES <= C; c += VLANES) {
            VEC a, wv, bv;
            LN_LOAD(a, s + c); LN_LOAD(wv, w + c); LN_LOAD(bv, b + c);
            a = ((a - m) - dm) * k * wv + bv;
            LN_STORE(yr + c, a);
        }
        for (; c < C; c++) yr[c] = ((s[c] - m) - dm) * k * w[c] + b[c];
    }
}

/* R rows: with xhat = (x - mean) * rstd and gh = g * w (w never NULL),
 *   gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)) (+ gres, the residual's own gradient);
 * gx may be NULL (only the parameter gradients). pw and pb, both or neither, gain this block's
 * sums of g * xhat and g (the caller zeroes them and folds them into doubles every few rows). */
static inline void SUFFIX(fastnn_ln_rows_backward)(const T* restrict x, const T* restrict g,
        const T* restrict w, const double* restrict mean, const double* restrict rstd, ptrdiff_t R, ptrdiff_t C,
        T* restrict gx, const T* restrict gres, T* restrict pw, T* restrict pb) {
    for (ptrdiff_t r = 0; r < R; r++) {
        const T* xr = x + r * C;
        const T* gr = g + r * C;
        T m = (T)mean[r], dm = (T)(mean[r] - m), k = (T)rstd[r];
        ptrdiff_t c;
        if (pw) {
            for (c = 0; c + VLANES <= C; c += VLANES) {
                VEC xv, gv, p, q;
                LN_LOAD(xv, xr + c); LN_LOAD(gv, gr + c); LN_LOAD(p, pw + c); LN_LOAD(q, pb + c);
                p += gv * (((xv - m) - dm) * k);
                q += gv;
                LN_STORE(pw + c, p); LN_STORE(pb + c, q);
            }
            for (; c < C; c++) {
                pw[c] += gr[c] * (((xr[c] - m) - dm) * k);
                pb[c] += gr[c];
            }
        }
        if (!gx) continue;
        T* gxr = gx + r * C;
        const T* er = gres ? gres + r * C : NULL;
        if (C == 1) {  /* xhat = 0 and gh - mean(gh) = 0 exactly; the general formula's FMA-contracted
                        * g * w - mean(g * w) would leave a rounding error times rstd (1 / sqrt(eps)) */
            gxr[0] = (T)0 * (gr[0] * w[0] * k) + (T)0 * (xr[0] - m) + (er ? er[0] : 0);
            continue;
        }
        double sa = 0, sb = 0;
        for (ptrdiff_t c0 = 0; c0 < C; c0 += LN_SPAN) {
            ptrdiff_t end = C - c0 < LN_SPAN ? C : c0 + LN_SPAN;
            VEC a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0};
            for (c = c0; c + 2 * VLANES <= end; c += 2 * VLANES) {
                VEC x0, x1, g0, g1, w0, w1;
                LN_LOAD(x0, xr + c); LN_LOAD(x1, xr + c + VLANES);
                LN_LOAD(g0, gr + c); LN_LOAD(g1, gr + c + VLANES);
                LN_LOAD(w0, w + c); LN_LOAD(w1, w + c + VLANES);
                g0 *= w0; g1 *= w1;
                a0 += g0; a1 += g1;
                b0 += g0 * (x0 - m); b1 += g1 * (x1 - m);
            }
            for (; c + VLANES <= end; c += VLANES) {
                VEC x0, g0, w0;
                LN_LOAD(x0, xr + c); LN_LOAD(g0, gr + c); LN_LOAD(w0, w + c);
                g0 *= w0;
                a0 += g0;
                b0 += g0 * (x0 - m);
            }
            for (; c < end; c++) {
                T gh = gr[c] * w[c];
                sa += gh;
                sb += (double)gh * (xr[c] - m);
            }
            sa += SUFFIX(fastnn_ln_hsum)(a0 + a1);
            sb += SUFFIX(fastnn_ln_hsum)(b0 + b1);
        }
        /* gx = k * (gh - mean(gh) - (x - mean) * k^2 * mean(gh * (x - mean))); the difference taken before
         * the scaling by k, which is large for near-constant rows */
        double rs = rstd[r];
        sb -= (double)dm * sa;
        T ka = (T)(sa / C), kb = (T)(rs * rs * sb / C);
        for (c = 0; c + VLANES <= C; c += VLANES) {
            VEC xv, gv, wv, o;
            LN_LOAD(xv, xr + c); LN_LOAD(gv, gr + c); LN_LOAD(wv, w + c);
            o = (gv * wv - ka - ((xv - m) - dm) * kb) * k;
            if (er) {
                VEC e;
                LN_LOAD(e, er + c);
                o += e;
            }
            LN_STORE(gxr + c, o);
        }
        for (; c < C; c++) gxr[c] = (gr[c] * w[c] - ka - ((xr[c] - m) - dm) * kb) * k + (er ? er[c] : 0);
    }
}

/* acc (double) += part (T), C values. */
static inline void SUFFIX(fastnn_ln_fold)(const T* restrict part, ptrdiff_t C, double* restrict acc) {
    for (ptrdiff_t c = 0; c < C; c++) acc[c] += part[c];
}

#undef LN_DROPPED_ADD
#undef LN_SPAN
#undef LN_LOAD
#undef LN_STORE
