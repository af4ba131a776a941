/* One row of softmax / log-softmax, forward and backward, for element type T.
 * Included by rowsoftmax.h once per type. Reductions use LANES partial accumulators
 * so the compiler can keep them in vector registers without -ffast-math. */

#define LANES 8

/* out = softmax(scale * x + mask) or its log; mask may be NULL. NaN or +inf in the
 * row make the whole row NaN, and a fully masked row (all -inf) is NaN, as in NumPy. */
FASTNN_VECTOR_CLONES
static void SUFFIX(fastnn_softmax_row)(const T* restrict x, T* restrict out, ptrdiff_t C, T scale,
                                       const T* restrict mask, int log_output) {
    ptrdiff_t c, j;
    T part[LANES];
    /* pass 1: logits and their maximum */
    for (j = 0; j < LANES; j++) part[j] = -INFINITY;
    for (c = 0; c + LANES <= C; c += LANES)
        for (j = 0; j < LANES; j++) {
            T z = scale * x[c + j] + (mask ? mask[c + j] : 0);
            out[c + j] = z;
            part[j] = z > part[j] ? z : part[j];
        }
    for (; c < C; c++) {
        T z = scale * x[c] + (mask ? mask[c] : 0);
        out[c] = z;
        part[0] = z > part[0] ? z : part[0];
    }
    T m = part[0];
    for (j = 1; j < LANES; j++) m = part[j] > m ? part[j] : m;

    /* pass 2: shifted exponentials and their sum (NaN appears here for NaN / inf rows) */
    for (j = 0; j < LANES; j++) part[j] = 0;
    for (c = 0; c + LANES <= C; c += LANES)
        for (j = 0; j < LANES; j++) {
            T z = out[c + j] - m;
            T e = EXP(z);
            out[c + j] = log_output ? z : e;
            part[j] += e;
        }
    for (; c < C; c++) {
        T z = out[c] - m;
        T e = EXP(z);
        out[c] = log_output ? z : e;
        part[0] += e;
    }
    T total = 0;
    for (j = 0; j < LANES; j++) total += part[j];

    /* pass 3: normalise */
    if (log_output) {
        T shift = (T)log((double)total);
        for (c = 0; c < C; c++) out[c] = out[c] - shift;
    } else {
        T inv = (T)1 / total;
        for (c = 0; c < C; c++) out[c] = out[c] * inv;
    }
}

/* softmax:     gx = scale * y * (g - sum(g * y))
 * log-softmax: gx = scale * (g - exp(y) * sum(g)) */
FASTNN_VECTOR_CLONES
static void SUFFIX(fastnn_softmax_row_backward)(const T* restrict y, const T* restrict g, T* restrict gx,
                                                ptrdiff_t C, T scale, int log_output) {
    ptrdiff_t c, j;
    T part[LANES];
    for (j = 0; j < LANES; j++) part[j] = 0;
    for (c = 0; c + LANES <= C; c += LANES)
        for (j = 0; j < LANES; j++) part[j] += log_output ? g[c + j] : g[c + j] * y[c + j];
    for (; c < C; c++) part[0] += log_output ? g[c] : g[c] * y[c];
    T acc = 0;
    for (j = 0; j < LANES; j++) acc += part[j];
    if (log_output) {
        for (c = 0; c < C; c++) gx[c] = scale * (g[c] - EXP(y[c]) * acc);
    } else {
        for (c = 0; c < C; c++) gx[c] = scale * y[c] * (g[c] - acc);
    }
}

#undef LANES
