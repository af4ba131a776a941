/* One row of softmax / log-softmax, forward and backward, for element type T.
 * Included by rowsoftmax.h once per type. Every loop is a plain elementwise loop
 * or a reduction into VEC-wide partial results, shapes that compilers vectorise
 * without -ffast-math. */

/* Maximum of a row. GCC vector extensions (lowered to whatever SIMD the target has)
 * with a compare-and-select, because compilers do not vectorise a scalar max reduction
 * without -ffast-math. NaNs are skipped here; they poison the row in the next pass. */
static inline T SUFFIX(fastnn_row_max)(const T* restrict v, ptrdiff_t C) {
    VEC acc;
    ptrdiff_t c = 0;
    int j;
    for (j = 0; j < VLANES; j++) acc[j] = -INFINITY;
    for (; c + VLANES <= C; c += VLANES) {
        VEC x;
        memcpy(&x, v + c, sizeof x);
        IVEC gt = x > acc;
        acc = (VEC)(((IVEC)x & gt) | ((IVEC)acc & ~gt));
    }
    /* lanes folded in halves: log2(VLANES) dependent steps, not VLANES - 1 (attention calls this per
     * 256-value row, where the chain was a fifth of the row's time) */
    T lane[VLANES];
    memcpy(lane, &acc, sizeof acc);
    for (int w = VLANES / 2; w >= 1; w /= 2)
        for (j = 0; j < w; j++) lane[j] = lane[j + w] > lane[j] ? lane[j + w] : lane[j];
    T m = lane[0];
    for (; c < C; c++) m = v[c] > m ? v[c] : m;
    return m;
}

/* Sums over VEC-wide partial results, two accumulators deep (the adds' latency, not their
 * throughput, bounds one). A plain `part[8]` loop left GCC shuffling lanes in the 16-wide
 * AVX-512 build. */
static inline T SUFFIX(fastnn_row_sum)(const T* restrict v, ptrdiff_t C) {
    VEC a0 = {0}, a1 = {0};
    ptrdiff_t c = 0;
    int j;
    for (; c + 2 * VLANES <= C; c += 2 * VLANES) {
        VEC x0, x1;
        memcpy(&x0, v + c, sizeof x0);
        memcpy(&x1, v + c + VLANES, sizeof x1);
        a0 += x0;
        a1 += x1;
    }
    if (c + VLANES <= C) {
        VEC x0;
        memcpy(&x0, v + c, sizeof x0);
        a0 += x0;
        c += VLANES;
    }
    a0 += a1;
    T s = 0;
    for (j = 0; j < VLANES; j++) s += a0[j];
    for (; c < C; c++) s += v[c];
    return s;
}

static inline T SUFFIX(fastnn_row_dot)(const T* restrict a, const T* restrict b, ptrdiff_t C) {
    VEC a0 = {0}, a1 = {0};
    ptrdiff_t c = 0;
    int j;
    for (; c + 2 * VLANES <= C; c += 2 * VLANES) {
        VEC x0, x1, y0, y1;
        memcpy(&x0, a + c, sizeof x0);
        memcpy(&x1, a + c + VLANES, sizeof x1);
        memcpy(&y0, b + c, sizeof y0);
        memcpy(&y1, b + c + VLANES, sizeof y1);
        a0 += x0 * y0;
        a1 += x1 * y1;
    }
    if (c + VLANES <= C) {
        VEC x0, y0;
        memcpy(&x0, a + c, sizeof x0);
        memcpy(&y0, b + c, sizeof y0);
        a0 += x0 * y0;
        c += VLANES;
    }
    a0 += a1;
    T s = 0;
    for (j = 0; j < VLANES; j++) s += a0[j];
    for (; c < C; c++) s += a[c] * b[c];
    return s;
}

#ifdef FASTNN_ROW_VEXP
/* fastnn_expf (fastexp.h) on VLANES floats at once, for x <= 0 or NaN (a row's logits minus their
 * max): the same arithmetic on vectors, without the overflow branch no such x can take, and
 * without clamping x from below: lanes below the underflow bound (-inf included, whose lanes
 * compute NaN) are set to 0 at the end, as fastnn_expf returns. Written on vectors so a row's
 * exponentials and their sum are one pass. */
static inline VEC SUFFIX(fastnn_vexp_nonpos)(VEC x) {
    const float lo = -87.3365447504f, magic = 12582912.0f;
    IVEC under = x < lo;
    VEC t = x * 1.44269504088896341f + magic;
    VEC n = t - magic;
    VEC r = x - n * 0.693359375f + n * 2.12194440e-4f;
    VEC p = r * 1.9875691500e-4f + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    IVEC bits = (__builtin_convertvector(n, IVEC) + 127) << 23;
    VEC y = p * (VEC)bits;
    return (VEC)((IVEC)y & ~under);  /* exp of anything below lo is 0, as in fastnn_expf */
}

/* out = exp(z - m) (out may be z), returns the sum; m is the row's max. */
static inline T SUFFIX(fastnn_row_exp_sum_store)(const T* z, T* out, ptrdiff_t C, T m) {
    VEC acc = {0};
    ptrdiff_t c = 0;
    int j;
    for (; c + VLANES <= C; c += VLANES) {
        VEC v;
        memcpy(&v, z + c, sizeof v);
        v = SUFFIX(fastnn_vexp_nonpos)(v - m);
        memcpy(out + c, &v, sizeof v);
        acc += v;
    }
    T s = 0;
    for (j = 0; j < VLANES; j++) s += acc[j];
    for (; c < C; c++) {
        out[c] = EXP(z[c] - m);
        s += out[c];
    }
    return s;
}

/* sum of exp(z - m), nothing stored. */
static inline T SUFFIX(fastnn_row_exp_sum)(const T* restrict z, ptrdiff_t C, T m) {
    VEC acc = {0};
    ptrdiff_t c = 0;
    int j;
    for (; c + VLANES <= C; c += VLANES) {
        VEC v;
        memcpy(&v, z + c, sizeof v);
        acc += SUFFIX(fastnn_vexp_nonpos)(v - m);
    }
    T s = 0;
    for (j = 0; j < VLANES; j++) s += acc[j];
    for (; c < C; c++) s += EXP(z[c] - m);
    return s;
}
#else
static inline T SUFFIX(fastnn_row_exp_sum_store)(const T* z, T* out, ptrdiff_t C, T m) {
    ptrdiff_t c;
    for (c = 0; c < C; c++) out[c] = EXP(z[c] - m);
    return SUFFIX(fastnn_row_sum)(out, C);
}

static inline T SUFFIX(fastnn_row_exp_sum)(const T* restrict z, ptrdiff_t C, T m) {
    /* exponentials go through a small stack buffer */
    T buf[256], total = 0;
    ptrdiff_t c, i;
    for (c = 0; c < C; c += 256) {
        ptrdiff_t n = C - c < 256 ? C - c : 256;
        for (i = 0; i < n; i++) buf[i] = EXP(z[c + i] - m);
        total += SUFFIX(fastnn_row_sum)(buf, n);
    }
    return total;
}
#endif

/* out = softmax(scale * x + mask) or its log; mask may be NULL. NaN or +inf in the
 * row make the whole row NaN, and a fully masked row (all -inf) is NaN, as in NumPy.
 * Three passes over the row: its max, the exponentials with their sum, the normalisation.
 */
static inline void SUFFIX(fastnn_softmax_row)(const T* restrict x, T* restrict out, ptrdiff_t C, T scale,
                                       const T* restrict mask, int log_output) {
    ptrdiff_t c;
    const T* z = x;
    if (mask || scale != 1) {
        if (mask) {
            for (c = 0; c < C; c++) out[c] = scale * x[c] + mask[c];
        } else {
            for (c = 0; c < C; c++) out[c] = scale * x[c];
        }
        z = out;
    }
    T m = SUFFIX(fastnn_row_max)(z, C);  /* NaN and +inf rows turn NaN below: z - m */
    if (log_output) {
        T shift = (T)log((double)SUFFIX(fastnn_row_exp_sum)(z, C, m));
        for (c = 0; c < C; c++) out[c] = (z[c] - m) - shift;
    } else {
        T inv = (T)1 / SUFFIX(fastnn_row_exp_sum_store)(z, out, C, m);
        for (c = 0; c < C; c++) out[c] = out[c] * inv;
    }
}

/* s = scale * s + mask over the first `active` columns; zeros after. Returns the row max
 * (-inf for nothing to attend to; NaN if a logit is NaN and no other is finite). */
static inline T SUFFIX(fastnn_attention_logits)(T* restrict s, ptrdiff_t C, ptrdiff_t active, T scale,
                                                const T* restrict mask) {
    ptrdiff_t c;
    if (mask) {
        for (c = 0; c < active; c++) s[c] = scale * s[c] + mask[c];
    } else {
        for (c = 0; c < active; c++) s[c] = scale * s[c];
    }
    for (c = active; c < C; c++) s[c] = 0;
    T m = active > 0 ? SUFFIX(fastnn_row_max)(s, active) : -INFINITY;  /* skips NaN */
    if (m == -INFINITY)
        for (c = 0; c < active; c++)
            if (s[c] != s[c]) m = s[c];
    return m;
}

/* s = exp(a * s - b) over n values; returns their sum when `sum` is set (else 0). Whole vectors go
 * through VEXP where the build has one (AVX-512), the rest through EXP. */
static inline T SUFFIX(fastnn_exp_affine)(T* restrict s, ptrdiff_t n, T a, T b, int sum) {
    ptrdiff_t c = 0;
    T total = 0;
#ifdef VEXP
    VEC va = a - (VEC){0}, vb = b - (VEC){0}, acc = {0};
    for (; c + VLANES <= n; c += VLANES) {
        VEC x;
        memcpy(&x, s + c, sizeof x);
        x = VEXP(x * va - vb);
        memcpy(s + c, &x, sizeof x);
        acc += x;
    }
    T lane[VLANES];  /* folded in halves, as in fastnn_row_max */
    memcpy(lane, &acc, sizeof acc);
    for (int w = VLANES / 2; w >= 1; w /= 2)
        for (int j = 0; j < w; j++) lane[j] += lane[j + w];
    total = lane[0];
    for (ptrdiff_t t = c; t < n; t++) s[t] = EXP(s[t] * a - b);
#else
    for (ptrdiff_t t = 0; t < n; t++) s[t] = EXP(s[t] * a - b);
#endif
    if (sum) total += SUFFIX(fastnn_row_sum)(s + c, n - c);
    return total;
}

/* Attention's row, in place: over the first `active` columns (the causal cut-off),
 * s = softmax(scale * s + mask); columns from `active` on become 0. Returns the row's
 * log-sum-exp. A row with nothing to attend to (every logit -inf) becomes zeros and
 * returns -inf, where the plain softmax above gives NaN. */
static inline T SUFFIX(fastnn_attention_row)(T* restrict s, ptrdiff_t C, ptrdiff_t active, T scale,
                                             const T* restrict mask) {
    ptrdiff_t c;
    if (active > C) active = C;
    if (active < 0) active = 0;
    T m = SUFFIX(fastnn_attention_logits)(s, C, active, scale, mask);
    if (m != m || m == -INFINITY) {  /* NaN poisons the row; nothing visible gives zeros */
        for (c = 0; c < C; c++) s[c] = m != m ? m : 0;
        return m;
    }
    for (c = 0; c < active; c++) s[c] = EXP(s[c] - m);
    T total = SUFFIX(fastnn_row_sum)(s, active), inv = (T)1 / total;
    for (c = 0; c < active; c++) s[c] = s[c] * inv;
    return m + (T)log((double)total);
}

/* One key tile of the online (flash) softmax for one query row, in place: s becomes
 * exp(logit - new running max) over the active columns (0 elsewhere), and the running max
 * and sum move on. Returns the factor the row's running output must be scaled by. */
static inline T SUFFIX(fastnn_attention_online_row)(T* restrict s, ptrdiff_t C, ptrdiff_t active, T scale,
                                                    const T* restrict mask, double* m_run, double* l_run) {
    ptrdiff_t c;
    if (active > C) active = C;
    if (active < 0) active = 0;
    if (!mask && scale > 0 && active > 0) {
        /* Unmasked, positive scale: the scaled row's max is scale times the raw max, and the
         * scale folds into the exponent (one FMA), so the row is read three times (max, exp,
         * sum) and written once, not scaled and stored first. Rows whose max is not finite
         * (NaN, +inf) take the general path below. */
        T m = SUFFIX(fastnn_row_max)(s, active) * scale;
        if (m > -INFINITY && m < INFINITY) {
            double m_new = m > *m_run ? (double)m : *m_run;
            T alpha = *m_run == -INFINITY ? (T)0 : EXP((T)(*m_run - m_new)), shift = (T)m_new;
            T total = SUFFIX(fastnn_exp_affine)(s, active, scale, shift, 1);
            for (c = active; c < C; c++) s[c] = 0;
            *l_run = *l_run * alpha + total;
            *m_run = m_new;
            return alpha;
        }
    }
    T m = SUFFIX(fastnn_attention_logits)(s, C, active, scale, mask);
    if (m == -INFINITY) {  /* nothing to attend to in this tile */
        for (c = 0; c < active; c++) s[c] = 0;
        return 1;
    }
    double m_new = (m > *m_run || m != m) ? (double)m : *m_run;
    T alpha = *m_run == -INFINITY ? (T)0 : EXP((T)(*m_run - m_new));
    for (c = 0; c < active; c++) s[c] = EXP(s[c] - (T)m_new);
    *l_run = *l_run * alpha + SUFFIX(fastnn_row_sum)(s, active);
    *m_run = m_new;
    return alpha;
}

/* One row of attention weights recomputed in place from its logits and saved log-sum-exp. */
static inline void SUFFIX(fastnn_attention_probs_row)(T* restrict s, ptrdiff_t C, ptrdiff_t active, T scale,
                                                      const T* restrict mask, double lse) {
    ptrdiff_t c;
    if (active > C) active = C;
    if (active < 0) active = 0;
    if (!mask && lse > -INFINITY) {  /* one pass: the scale folds into the exponent, no max is needed */
        SUFFIX(fastnn_exp_affine)(s, active, scale, (T)lse, 0);
        for (c = active; c < C; c++) s[c] = 0;
        return;
    }
    SUFFIX(fastnn_attention_logits)(s, C, active, scale, mask);
    if (lse == -INFINITY) {
        for (c = 0; c < C; c++) s[c] = 0;
        return;
    }
    for (c = 0; c < active; c++) s[c] = EXP(s[c] - (T)lse);
}

/* Attention backward's row, in place: dp = scale * p * (dp - delta). */
static inline void SUFFIX(fastnn_attention_grad_row)(const T* restrict p, T* restrict dp, ptrdiff_t C, T scale,
                                                     T delta) {
    for (ptrdiff_t c = 0; c < C; c++) dp[c] = scale * p[c] * (dp[c] - delta);
}

/* x *= a over n values (the online softmax's running output, rescaled to a new row max). */
static inline void SUFFIX(fastnn_scale_row)(T* restrict x, ptrdiff_t n, T a) {
    for (ptrdiff_t c = 0; c < n; c++) x[c] = x[c] * a;
}

/* softmax:     gx = scale * y * (g - sum(g * y))
 * log-softmax: gx = scale * (g - exp(y) * sum(g)) */
static inline void SUFFIX(fastnn_softmax_row_backward)(const T* restrict y, const T* restrict g, T* restrict gx,
                                                ptrdiff_t C, T scale, int log_output) {
    ptrdiff_t c;
    if (log_output) {
        T acc = SUFFIX(fastnn_row_sum)(g, C);
        for (c = 0; c < C; c++) gx[c] = scale * (g[c] - EXP(y[c]) * acc);
    } else {
        T acc = SUFFIX(fastnn_row_dot)(g, y, C);
        for (c = 0; c < C; c++) gx[c] = scale * y[c] * (g[c] - acc);
    }
}

/* Cross-entropy gradient row: gx = a * exp(logp) - b * w. */
static inline void SUFFIX(fastnn_ce_row_backward)(const T* restrict logp, const T* restrict w, T* restrict gx,
                                                  ptrdiff_t C, T a, T b) {
    ptrdiff_t c;
    for (c = 0; c < C; c++) gx[c] = a * EXP(logp[c]) - b * w[c];
}

