/* The plain row softmax / log-softmax of float32, forward and backward, written for AVX-512
 * (included by rowsoftmax.h inside its AVX-512 target region, after fastnn_exp16_avx512).
 *
 * Why apart from the generic rows of rowsoftmax_impl.h: measured on an AMD EPYC (Zen 4) for
 * (16384, 256), the generic forward spent as long on each row's max and lane folds (serial
 * compare-and-select chains, folds through the stack) as on its exponentials, and its stores
 * read every output line into cache first. Here the max and sums run in four and two
 * accumulators, the exponential is fastnn_exp16_avx512, and with `stream` set the output goes
 * out with non-temporal stores, so a row costs one read of its inputs and one write, with no
 * read of the output's lines.
 * The caller issues fastnn_stream_fence() once its rows are written.
 *
 * Numerics as the generic rows: NaN or +inf in a row make it NaN (z - max), a row of -inf is
 * NaN; exponentials below exp(-87.3) are subnormals here where fastnn_expf flushes them to 0. */

/* Lanes [0, n) of a row tail (n < 16). */
static inline __attribute__((always_inline)) __mmask16 fastnn_tail_mask16(ptrdiff_t n) {
    return (__mmask16)((1u << n) - 1u);
}

/* The values one write pass stores: out[c] = f(a[c], b[c]) for a pass kind known at compile time. */
enum { FASTNN_W_SCALE, FASTNN_W_SHIFT, FASTNN_W_SOFTMAX_GRAD, FASTNN_W_LOG_SOFTMAX_GRAD };

static inline __attribute__((always_inline)) __m512 fastnn_write_value16(int kind, __m512 a, __m512 b, __m512 k0,
                                                                         __m512 k1) {
    switch (kind) {
    case FASTNN_W_SCALE: return _mm512_mul_ps(a, k0);                           /* e * (1 / sum) */
    case FASTNN_W_SHIFT: return _mm512_sub_ps(_mm512_sub_ps(a, k0), k1);        /* (x - m) - log sum */
    case FASTNN_W_SOFTMAX_GRAD:                                                 /* scale * y * (g - dot) */
        return _mm512_mul_ps(k1, _mm512_mul_ps(a, _mm512_sub_ps(b, k0)));
    default:                                                                    /* scale * (g - exp(y) * sum g) */
        return _mm512_mul_ps(k1, _mm512_fnmadd_ps((__m512)fastnn_exp16_avx512((fastnn_v16f)a), k0, b));
    }
}

static inline __attribute__((always_inline)) void fastnn_write_masked16(int kind, const float* a, const float* b,
                                                                        float* out, __mmask16 k, __m512 k0, __m512 k1) {
    __m512 bv = b ? _mm512_maskz_loadu_ps(k, b) : _mm512_setzero_ps();
    _mm512_mask_storeu_ps(out, k, fastnn_write_value16(kind, _mm512_maskz_loadu_ps(k, a), bv, k0, k1));
}

/* The row's one write pass over C values of a (and b, where the kind reads it); out may be a. With `stream` the
 * whole 64-byte lines of out take non-temporal stores (the lines it only partly covers, at either
 * end, ordinary masked ones), so no line of out is read before it is written. */
static inline __attribute__((always_inline)) void fastnn_write_row16(int kind, const float* a, const float* b,
                                                                     float* out,
                                                                     ptrdiff_t C, __m512 k0, __m512 k1, int stream) {
    ptrdiff_t c = 0;
    if (stream) {
        ptrdiff_t head = (ptrdiff_t)(((uintptr_t)0 - (uintptr_t)out) & 63) / 4;  /* floats to a line boundary */
        if (head > C) head = C;
        if (head) fastnn_write_masked16(kind, a, b, out, fastnn_tail_mask16(head), k0, k1);
        for (c = head; c + 16 <= C; c += 16)
            _mm512_stream_ps(out + c, fastnn_write_value16(kind, _mm512_loadu_ps(a + c),
                                                           b ? _mm512_loadu_ps(b + c) : k0, k0, k1));
    } else {
        for (; c + 16 <= C; c += 16)
            _mm512_storeu_ps(out + c, fastnn_write_value16(kind, _mm512_loadu_ps(a + c),
                                                           b ? _mm512_loadu_ps(b + c) : k0, k0, k1));
    }
    if (c < C) fastnn_write_masked16(kind, a + c, b ? b + c : NULL, out + c, fastnn_tail_mask16(C - c), k0, k1);
}

/* Max of a row; NaNs skipped (vmaxps returns its second operand, acc, when x is NaN). */
static inline float fastnn_row_max_f32_avx512v(const float* x, ptrdiff_t C) {
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    __m512 a0 = ninf, a1 = ninf, a2 = ninf, a3 = ninf;
    ptrdiff_t c = 0;
    for (; c + 64 <= C; c += 64) {
        a0 = _mm512_max_ps(_mm512_loadu_ps(x + c), a0);
        a1 = _mm512_max_ps(_mm512_loadu_ps(x + c + 16), a1);
        a2 = _mm512_max_ps(_mm512_loadu_ps(x + c + 32), a2);
        a3 = _mm512_max_ps(_mm512_loadu_ps(x + c + 48), a3);
    }
    for (; c + 16 <= C; c += 16) a0 = _mm512_max_ps(_mm512_loadu_ps(x + c), a0);
    if (c < C) a1 = _mm512_max_ps(_mm512_mask_loadu_ps(ninf, fastnn_tail_mask16(C - c), x + c), a1);
    return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(a0, a1), _mm512_max_ps(a2, a3)));
}

/* exp(x - m) for x <= m or NaN: the lower clamp keeps -inf (and -inf - -inf's NaN aside) finite
 * for the range reduction; vscalefps underflows to 0 by itself. */
static inline __attribute__((always_inline)) __m512 fastnn_exp_shifted16(__m512 x, __m512 m) {
    return (__m512)fastnn_exp16_avx512((fastnn_v16f)_mm512_sub_ps(x, m));
}

/* out = softmax(x) or log_softmax(x) over one row of C values. */
static inline void fastnn_softmax_row_f32_avx512v(const float* restrict x, float* restrict out, ptrdiff_t C,
                                                  int log_output, int stream) {
    const __m512 vm = _mm512_set1_ps(fastnn_row_max_f32_avx512v(x, C));
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    ptrdiff_t c = 0;
    __mmask16 tail = fastnn_tail_mask16(C % 16);
    if (log_output) {  /* out = (x - m) - log(sum exp(x - m)): the exponentials are not kept */
        for (; c + 32 <= C; c += 32) {
            s0 = _mm512_add_ps(s0, fastnn_exp_shifted16(_mm512_loadu_ps(x + c), vm));
            s1 = _mm512_add_ps(s1, fastnn_exp_shifted16(_mm512_loadu_ps(x + c + 16), vm));
        }
        for (; c + 16 <= C; c += 16) s0 = _mm512_add_ps(s0, fastnn_exp_shifted16(_mm512_loadu_ps(x + c), vm));
        if (c < C)
            s1 = _mm512_mask_add_ps(s1, tail, s1, fastnn_exp_shifted16(_mm512_maskz_loadu_ps(tail, x + c), vm));
        const __m512 shift = _mm512_set1_ps((float)log((double)_mm512_reduce_add_ps(_mm512_add_ps(s0, s1))));
        fastnn_write_row16(FASTNN_W_SHIFT, x, NULL, out, C, vm, shift, stream);
        return;
    }
    /* The exponentials wait in a stack row (in L1) when out is streamed, else in out itself. */
    float scratch[FASTNN_SOFTMAX_STREAM_MAX_C] __attribute__((aligned(64)));
    float* e = stream ? scratch : out;
    for (; c + 32 <= C; c += 32) {
        __m512 e0 = fastnn_exp_shifted16(_mm512_loadu_ps(x + c), vm);
        __m512 e1 = fastnn_exp_shifted16(_mm512_loadu_ps(x + c + 16), vm);
        _mm512_storeu_ps(e + c, e0);
        _mm512_storeu_ps(e + c + 16, e1);
        s0 = _mm512_add_ps(s0, e0);
        s1 = _mm512_add_ps(s1, e1);
    }
    for (; c + 16 <= C; c += 16) {
        __m512 e0 = fastnn_exp_shifted16(_mm512_loadu_ps(x + c), vm);
        _mm512_storeu_ps(e + c, e0);
        s0 = _mm512_add_ps(s0, e0);
    }
    if (c < C) {
        __m512 e0 = fastnn_exp_shifted16(_mm512_maskz_loadu_ps(tail, x + c), vm);
        _mm512_mask_storeu_ps(e + c, tail, e0);
        s1 = _mm512_mask_add_ps(s1, tail, s1, e0);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(_mm512_add_ps(s0, s1)));
    fastnn_write_row16(FASTNN_W_SCALE, e, NULL, out, C, inv, inv, stream);
}

/* softmax:     gx = scale * y * (g - sum(g * y))
 * log-softmax: gx = scale * (g - exp(y) * sum(g)) */
static inline void fastnn_softmax_row_backward_f32_avx512v(const float* restrict y, const float* restrict g,
                                                           float* restrict gx, ptrdiff_t C, float scale,
                                                           int log_output, int stream) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    ptrdiff_t c = 0;
    __mmask16 tail = fastnn_tail_mask16(C % 16);
    if (log_output) {
        for (; c + 32 <= C; c += 32) {
            s0 = _mm512_add_ps(s0, _mm512_loadu_ps(g + c));
            s1 = _mm512_add_ps(s1, _mm512_loadu_ps(g + c + 16));
        }
        for (; c + 16 <= C; c += 16) s0 = _mm512_add_ps(s0, _mm512_loadu_ps(g + c));
        if (c < C) s1 = _mm512_add_ps(s1, _mm512_maskz_loadu_ps(tail, g + c));
    } else {
        for (; c + 32 <= C; c += 32) {
            s0 = _mm512_fmadd_ps(_mm512_loadu_ps(g + c), _mm512_loadu_ps(y + c), s0);
            s1 = _mm512_fmadd_ps(_mm512_loadu_ps(g + c + 16), _mm512_loadu_ps(y + c + 16), s1);
        }
        for (; c + 16 <= C; c += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(g + c), _mm512_loadu_ps(y + c), s0);
        if (c < C) s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, g + c), _mm512_maskz_loadu_ps(tail, y + c), s1);
    }
    const __m512 acc = _mm512_set1_ps(_mm512_reduce_add_ps(_mm512_add_ps(s0, s1)));
    fastnn_write_row16(log_output ? FASTNN_W_LOG_SOFTMAX_GRAD : FASTNN_W_SOFTMAX_GRAD, y, g, gx, C, acc,
                       _mm512_set1_ps(scale), stream);
}
