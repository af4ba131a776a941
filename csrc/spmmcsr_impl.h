/* CSR SpMM row kernels for one element type and vector width, included by spmmcsr.h once per
 * (T, VEC, VLANES, SUFFIX). See spmmcsr.h for what they compute and why they are shaped so. */

/* Rows r0..r1 of one column tile: K vectors at columns c + k * VLANES, the last at c + last (it may
 * overlap its neighbour, which only rewrites the same values). K and WEIGHTED are constants after
 * inlining, so the accumulators live in registers, the offsets are immediates, each output element is
 * stored once and the loop holds only the work of its weighting. */
static inline __attribute__((always_inline)) void SUFFIX(fastnn_spmm_tile)(
        const int64_t *restrict indptr, const int64_t *restrict indices, int64_t nnz, const T *restrict w,
        ptrdiff_t wstride, int mean, const T *restrict x, ptrdiff_t ldx, int64_t nx, T *restrict out,
        ptrdiff_t ldo, int stream, ptrdiff_t r0, ptrdiff_t r1, int pf, ptrdiff_t c, ptrdiff_t last, const int K,
        const int WEIGHTED, int64_t *bad) {
#define FASTNN_SPMM_OFF(k) ((k) == K - 1 ? last : (ptrdiff_t)(k) * VLANES)
    const ptrdiff_t bytes = (ptrdiff_t)K * VLANES * (ptrdiff_t)sizeof(T);
    /* prefetch addresses in integer arithmetic: an index not yet checked must not form a pointer */
    const uintptr_t tile = (uintptr_t)(x + c), row_bytes = (uintptr_t)ldx * sizeof(T);
    const T *restrict xc = x + c;
    for (ptrdiff_t i = r0; i < r1; i++) {
        int64_t lo = indptr[i], hi = indptr[i + 1];
        VEC acc[FASTNN_SPMM_TILE_VECS];
        for (int k = 0; k < K; k++) acc[k] = (VEC){0};
        if (lo < 0 || hi < lo || hi > nnz) {  /* a structure changed after its check: skip the row */
            (*bad)++;
            lo = hi = 0;
        }
        for (int64_t e = lo; e < hi; e++) {
            if (pf) {  /* the row gathered a few edges on: its cache miss overlaps this sum */
                int64_t ahead = e + FASTNN_SPMM_AHEAD < nnz ? e + FASTNN_SPMM_AHEAD : nnz - 1;
                uintptr_t next = tile + (uintptr_t)indices[ahead] * row_bytes;
                for (ptrdiff_t b = 0; b < bytes; b += 64) __builtin_prefetch((const void *)(next + (uintptr_t)b));
            }
            int64_t j = indices[e];
            if ((uint64_t)j >= (uint64_t)nx) {
                (*bad)++;
                continue;
            }
            const T *xr = xc + j * ldx;
            if (WEIGHTED) {
                T we = w[e * wstride];
                for (int k = 0; k < K; k++) {
                    VEC v;
                    memcpy(&v, xr + FASTNN_SPMM_OFF(k), sizeof v);
                    acc[k] += we * v;
                }
            } else {
                for (int k = 0; k < K; k++) {
                    VEC v;
                    memcpy(&v, xr + FASTNN_SPMM_OFF(k), sizeof v);
                    acc[k] += v;
                }
            }
        }
        if (mean && hi > lo) {
            T count = (T)(hi - lo);
            for (int k = 0; k < K; k++) acc[k] = acc[k] / count;
        }
        T *o = out + i * ldo + c;
        for (int k = 0; k < K; k++) {
#ifdef FASTNN_SPMM_STREAM
            if (stream && (uintptr_t)(o + FASTNN_SPMM_OFF(k)) % sizeof(VEC) == 0) {
                FASTNN_SPMM_STREAM(o + FASTNN_SPMM_OFF(k), acc[k]);
                continue;
            }
#endif
            memcpy(o + FASTNN_SPMM_OFF(k), &acc[k], sizeof acc[k]);
        }
    }
#undef FASTNN_SPMM_OFF
}

/* Heads narrower than one vector (graph attention: 8 heads x 8 features), or rows narrower than one:
 * one pass over the edges for all H heads of C columns, each head scaled by its own weight (w NULL: 1),
 * summed into the output row, which stays in L1. */
static void SUFFIX(fastnn_spmm_heads)(
        const int64_t *restrict indptr, const int64_t *restrict indices, int64_t nnz, const T *restrict w,
        ptrdiff_t H, ptrdiff_t C, int mean, const T *restrict x, ptrdiff_t ldx, int64_t nx, T *restrict out,
        ptrdiff_t ldo, ptrdiff_t r0, ptrdiff_t r1, int pf, int64_t *bad) {
    const uintptr_t row_bytes = (uintptr_t)ldx * sizeof(T);
    for (ptrdiff_t i = r0; i < r1; i++) {
        int64_t lo = indptr[i], hi = indptr[i + 1];
        T *restrict o = out + i * ldo;
        for (ptrdiff_t f = 0; f < H * C; f++) o[f] = 0;
        if (lo < 0 || hi < lo || hi > nnz) {
            (*bad)++;
            continue;
        }
        for (int64_t e = lo; e < hi; e++) {
            if (pf) {
                int64_t ahead = e + FASTNN_SPMM_AHEAD < nnz ? e + FASTNN_SPMM_AHEAD : nnz - 1;
                __builtin_prefetch((const void *)((uintptr_t)x + (uintptr_t)indices[ahead] * row_bytes));
            }
            int64_t j = indices[e];
            if ((uint64_t)j >= (uint64_t)nx) {
                (*bad)++;
                continue;
            }
            const T *restrict xr = x + j * ldx;
            for (ptrdiff_t h = 0; h < H; h++) {
                T we = w ? w[e * H + h] : (T)1;
                for (ptrdiff_t c = 0; c < C; c++) o[h * C + c] += we * xr[h * C + c];
            }
        }
        if (mean && hi > lo)
            for (ptrdiff_t f = 0; f < H * C; f++) o[f] = o[f] / (T)(hi - lo);
    }
}

#define FASTNN_SPMM_ARGS indptr, indices, nnz, w, wstride, mean, x, ldx, nx, out, ldo, stream

/* Rows r0..r1 of the columns c..c + width (VLANES <= width <= one tile), through the tile kernel built for
 * its number of vectors and weighting. */
static inline __attribute__((always_inline)) void SUFFIX(fastnn_spmm_span)(
        const int64_t *indptr, const int64_t *indices, int64_t nnz, const T *w, ptrdiff_t wstride, int mean,
        const T *x, ptrdiff_t ldx, int64_t nx, T *out, ptrdiff_t ldo, int stream, ptrdiff_t r0, ptrdiff_t r1,
        int pf, ptrdiff_t c, ptrdiff_t width, int64_t *bad) {
    int K = (int)((width + VLANES - 1) / VLANES);
    ptrdiff_t last = width - VLANES;  /* the last vector ends at the span's end */
    switch ((w != NULL) * 8 + K - 1) {
#define FASTNN_SPMM_CASE(W, KK) \
    case W * 8 + KK - 1: SUFFIX(fastnn_spmm_tile)(FASTNN_SPMM_ARGS, r0, r1, pf, c, last, KK, W, bad); break;
#define FASTNN_SPMM_CASES(W) FASTNN_SPMM_CASE(W, 1) FASTNN_SPMM_CASE(W, 2) FASTNN_SPMM_CASE(W, 3) \
    FASTNN_SPMM_CASE(W, 4) FASTNN_SPMM_CASE(W, 5) FASTNN_SPMM_CASE(W, 6) FASTNN_SPMM_CASE(W, 7) FASTNN_SPMM_CASE(W, 8)
    FASTNN_SPMM_CASES(0)
    FASTNN_SPMM_CASES(1)
#undef FASTNN_SPMM_CASES
#undef FASTNN_SPMM_CASE
    }
}

/* Columns c0..c1 (at least one vector wide) of rows r0..r1, one weight per entry (w[e * wstride]).
 * Up to one tile wide: all the rows in one pass. Wider: row by row, each row's columns tile by tile,
 * the tiles starting where the output row is vector-aligned (the columns before go in one unaligned
 * vector), so that no store straddles two vectors' lines; the gathered rows are then read front to
 * back, which the hardware prefetcher follows (so no software prefetch) (Cora x 1433, one core, Zen 4: 3.9 -> 2.0 ms against
 * walking all rows tile by tile, whose 1.4 MB tiles of x did not stay in a 1 MB L2). */
static int64_t SUFFIX(fastnn_spmm_cols)(
        const int64_t *indptr, const int64_t *indices, int64_t nnz, const T *w, ptrdiff_t wstride, int mean,
        const T *x, ptrdiff_t ldx, int64_t nx, T *out, ptrdiff_t ldo, int stream, ptrdiff_t r0, ptrdiff_t r1,
        int pf, ptrdiff_t c0, ptrdiff_t c1) {
    const ptrdiff_t tile = FASTNN_SPMM_TILE_VECS * VLANES, vbytes = VLANES * (ptrdiff_t)sizeof(T);
    int64_t bad = 0;
    if (c1 - c0 <= tile) {
        SUFFIX(fastnn_spmm_span)(FASTNN_SPMM_ARGS, r0, r1, pf, c0, c1 - c0, &bad);
        return bad;
    }
    for (ptrdiff_t i = r0; i < r1; i++) {
        ptrdiff_t a = c0 + (ptrdiff_t)(((uintptr_t)0 - (uintptr_t)(out + i * ldo + c0)) % (uintptr_t)vbytes / sizeof(T));
        if (a != c0)
            SUFFIX(fastnn_spmm_span)(FASTNN_SPMM_ARGS, i, i + 1, 0, c0, VLANES, &bad);
        for (ptrdiff_t c = a; c < c1; c += tile)
            SUFFIX(fastnn_spmm_span)(FASTNN_SPMM_ARGS, i, i + 1, 0, c, c1 - c < tile ? c1 - c : tile, &bad);
    }
    return bad;
}

#undef FASTNN_SPMM_ARGS

/* Rows r0..r1 of out (F columns, every element written): w NULL (weights 1) or (nnz, H), head h weighing
 * columns h * F / H .. (h + 1) * F / H. Returns the number of entries found out of range. */
static int64_t SUFFIX(fastnn_spmm_rows)(
        const int64_t *indptr, const int64_t *indices, int64_t nnz, const T *w, ptrdiff_t H, int mean,
        const T *x, ptrdiff_t ldx, int64_t nx, T *out, ptrdiff_t ldo, ptrdiff_t F, ptrdiff_t r0, ptrdiff_t r1,
        int stream) {
    int64_t bad = 0;
    ptrdiff_t C = F / H;
    int pf = fastnn_spmm_prefetches(nx, ldx * (ptrdiff_t)sizeof(T));
    if (C < VLANES) {
        SUFFIX(fastnn_spmm_heads)(indptr, indices, nnz, w, H, C, mean, x, ldx, nx, out, ldo, r0, r1, pf, &bad);
        return bad;
    }
    for (ptrdiff_t h = 0; h < H; h++)
        bad += SUFFIX(fastnn_spmm_cols)(indptr, indices, nnz, w ? w + h : NULL, H, mean, x, ldx, nx, out, ldo, stream,
                                        r0, r1, pf, h * C, (h + 1) * C);
#ifdef FASTNN_SPMM_STREAM
    if (stream) _mm_sfence();  /* the streamed rows are visible before the range counts as done */
#endif
    return bad;
}

/* gv[e * H + h] = scale_i * <g[i, head h], x[j, head h]> for the edges e = (j -> i) of rows r0..r1,
 * heads of C columns; scale_i = 1 / degree(i) for the mean. */
static int64_t SUFFIX(fastnn_spmm_edge_dots)(
        const int64_t *restrict indptr, const int64_t *restrict indices, int64_t nnz, const T *restrict g,
        ptrdiff_t ldg, const T *restrict x, ptrdiff_t ldx, int64_t nx, ptrdiff_t H, ptrdiff_t C, int mean,
        T *restrict gv, ptrdiff_t r0, ptrdiff_t r1) {
    int64_t bad = 0;
    for (ptrdiff_t i = r0; i < r1; i++) {
        int64_t lo = indptr[i], hi = indptr[i + 1];
        if (lo < 0 || hi < lo || hi > nnz) {
            bad++;
            continue;
        }
        T scale = (mean && hi > lo) ? (T)1 / (T)(hi - lo) : (T)1;
        const T *gr = g + i * ldg;
        for (int64_t e = lo; e < hi; e++) {
            int64_t j = indices[e];
            if ((uint64_t)j >= (uint64_t)nx) {
                bad++;
                continue;
            }
            const T *xr = x + j * ldx;
            for (ptrdiff_t h = 0; h < H; h++) {
                const T *a = gr + h * C, *b = xr + h * C;
                T dot = 0;
                ptrdiff_t c = 0;
                if (C >= 2 * VLANES) {  /* two vector sums, added across lanes once */
                    VEC s0 = {0}, s1 = {0};
                    for (; c + 2 * VLANES <= C; c += 2 * VLANES) {
                        VEC a0, a1, b0, b1;
                        memcpy(&a0, a + c, sizeof a0);
                        memcpy(&a1, a + c + VLANES, sizeof a1);
                        memcpy(&b0, b + c, sizeof b0);
                        memcpy(&b1, b + c + VLANES, sizeof b1);
                        s0 += a0 * b0;
                        s1 += a1 * b1;
                    }
                    s0 += s1;
                    for (int l = 0; l < VLANES; l++) dot += s0[l];
                }
                for (; c < C; c++) dot += a[c] * b[c];
                gv[e * H + h] = scale * dot;
            }
        }
    }
    return bad;
}

#undef FASTNN_SPMM_STREAM
