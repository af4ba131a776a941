/* Batch norm over one channel of an (N, C, M) array, for element type T in VEC (VLANES lanes of T);
 * included by batchnormplane.h once per build, after layernormrow.h (whose fastnn_ln_moment sums the
 * planes: VEC-wide float partials folded into doubles). The channel is N planes of M contiguous
 * elements, `stride` (= C * M) apart. Statistics in two passes (mean, then the centred squares) and
 * in doubles; x - mean is taken as (x - m) - dm with m the float mean and dm its rounding error, as
 * layer norm does. A channel of N * M float32 values is read from L2 by the later passes when it fits. */

#define BN_SPAN 1024
#define BN_LOAD(v, p) memcpy(&(v), (p), sizeof(VEC))
#define BN_STORE(p, v) memcpy((p), &(v), sizeof(VEC))

/* y = (x - mean) * rstd * w + b over the channel; mean, biased variance and rstd out. */
static inline void SUFFIX(fastnn_bn_channel_forward)(const T* restrict x, ptrdiff_t N, ptrdiff_t stride,
        ptrdiff_t M, double eps, double w, double b, T* restrict y, double* mean, double* var, double* rstd) {
    double count = (double)N * M, total = 0;
    for (ptrdiff_t n = 0; n < N; n++) total += SUFFIX(fastnn_ln_moment)(x + n * stride, M, 0, 0);
    double mu = total / count;
    T m = (T)mu, dm = (T)(mu - m);
    double sq = 0;
    for (ptrdiff_t n = 0; n < N; n++) sq += SUFFIX(fastnn_ln_moment)(x + n * stride, M, m, 1);
    double v = sq / count - (double)dm * dm;
    v = v > 0 ? v : 0;
    double rs = 1.0 / sqrt(v + eps);
    *mean = mu;
    *var = v;
    *rstd = rs;
    T k = (T)(rs * w), shift = (T)b;
    for (ptrdiff_t n = 0; n < N; n++) {
        const T* xp = x + n * stride;
        T* yp = y + n * stride;
        ptrdiff_t i = 0;
        for (; i + VLANES <= M; i += VLANES) {
            VEC a;
            BN_LOAD(a, xp + i);
            a = ((a - m) - dm) * k + shift;
            BN_STORE(yp + i, a);
        }
        for (; i < M; i++) yp[i] = ((xp[i] - m) - dm) * k + shift;
    }
}

/* The channel's sums of g and of g * (x - mean) (doubles; float partials over at most BN_SPAN elements),
 * then, when gx is given, gx = rstd * w * (g - sum_g / count - xhat * sum_gxhat / count) with
 * xhat = (x - mean) * rstd and sum_gxhat = rstd * sum of g * (x - mean). */
static inline void SUFFIX(fastnn_bn_channel_backward)(const T* restrict x, const T* restrict g, ptrdiff_t N,
        ptrdiff_t stride, ptrdiff_t M, double mean, double rstd, double w, T* restrict gx, double* sum_g,
        double* sum_gxhat) {
    T m = (T)mean, dm = (T)(mean - m);
    double sg = 0, sgx = 0;
    for (ptrdiff_t n = 0; n < N; n++) {
        const T* xp = x + n * stride;
        const T* gp = g + n * stride;
        for (ptrdiff_t i0 = 0; i0 < M; i0 += BN_SPAN) {
            ptrdiff_t end = M - i0 < BN_SPAN ? M : i0 + BN_SPAN, i = i0;
            VEC a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0};
            for (; i + 2 * VLANES <= end; i += 2 * VLANES) {
                VEC x0, x1, g0, g1;
                BN_LOAD(x0, xp + i); BN_LOAD(x1, xp + i + VLANES);
                BN_LOAD(g0, gp + i); BN_LOAD(g1, gp + i + VLANES);
                a0 += g0; a1 += g1;
                b0 += g0 * ((x0 - m) - dm); b1 += g1 * ((x1 - m) - dm);
            }
            for (; i + VLANES <= end; i += VLANES) {
                VEC x0, g0;
                BN_LOAD(x0, xp + i); BN_LOAD(g0, gp + i);
                a0 += g0;
                b0 += g0 * ((x0 - m) - dm);
            }
            double ta = 0, tb = 0;
            for (; i < end; i++) {
                ta += gp[i];
                tb += (double)gp[i] * (((double)xp[i] - m) - dm);
            }
            sg += SUFFIX(fastnn_ln_hsum)(a0 + a1) + ta;
            sgx += SUFFIX(fastnn_ln_hsum)(b0 + b1) + tb;
        }
    }
    *sum_g = sg;
    *sum_gxhat = sgx * rstd;
    if (!gx)
        return;
    double count = (double)N * M;
    /* gx = k * g + c1 * ((x - m) - dm) + c0 */
    T k = (T)(rstd * w), c1 = (T)(-rstd * w * rstd * rstd * sgx / count), c0 = (T)(-rstd * w * sg / count);
    for (ptrdiff_t n = 0; n < N; n++) {
        const T* xp = x + n * stride;
        const T* gp = g + n * stride;
        T* op = gx + n * stride;
        ptrdiff_t i = 0;
        for (; i + VLANES <= M; i += VLANES) {
            VEC xv, gv;
            BN_LOAD(xv, xp + i); BN_LOAD(gv, gp + i);
            gv = gv * k + ((xv - m) - dm) * c1 + c0;
            BN_STORE(op + i, gv);
        }
        for (; i < M; i++) op[i] = gp[i] * k + ((xp[i] - m) - dm) * c1 + c0;
    }
}

#undef BN_SPAN
#undef BN_LOAD
#undef BN_STORE
