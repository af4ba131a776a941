/* One build of the skinny products of skinnygemm.h, stamped once per (type, vector width) with
 * T, VEC and SUFFIX(name) defined (the names of panelgemm_impl.h's build of the same width); T,
 * VEC and SUFFIX are unset at the end. VLANES: the lanes of VEC. */

#define VLANES ((ptrdiff_t)(sizeof(VEC) / sizeof(T)))
#define BROADCAST(x) ((x) - (VEC){0})   /* as in panelgemm_impl.h: x - 0.0 is x, also for -0.0 */

/* C[0:ROWS, 0:nc] (+)= A[0:ROWS, 0:K] @ panel[0:K, 0:nc], a panel one vector wide (rows ldp
 * apart, each read VLANES values): ROWS accumulators, one panel load and ROWS broadcasts per k. */
#define FASTNN_PANEL1_TILE(ROWS)                                                                   \
static inline void SUFFIX(fastnn_panel1_tile##ROWS)(ptrdiff_t K, const T *A, ptrdiff_t lda,         \
        const T *panel, ptrdiff_t ldp, int accumulate, T *C, ptrdiff_t ldc, ptrdiff_t nc) {        \
    VEC acc[ROWS];                                                                                 \
    for (int i = 0; i < ROWS; i++) acc[i] = (VEC){0};                                              \
    for (ptrdiff_t k = 0; k < K; k++) {                                                            \
        VEC b;                                                                                     \
        memcpy(&b, panel + k * ldp, sizeof b);                                                     \
        for (int i = 0; i < ROWS; i++)                                                             \
            acc[i] += BROADCAST(A[i * lda + k]) * b;                                               \
    }                                                                                              \
    for (int i = 0; i < ROWS; i++) {                                                               \
        T row[VLANES], *c = C + i * ldc;                                                           \
        memcpy(row, &acc[i], sizeof row);                                                          \
        for (ptrdiff_t j = 0; j < nc; j++) c[j] = accumulate ? c[j] + row[j] : row[j];             \
    }                                                                                              \
}
FASTNN_PANEL1_TILE(1)
FASTNN_PANEL1_TILE(2)
FASTNN_PANEL1_TILE(3)
FASTNN_PANEL1_TILE(4)
FASTNN_PANEL1_TILE(5)
FASTNN_PANEL1_TILE(6)
FASTNN_PANEL1_TILE(7)
FASTNN_PANEL1_TILE(8)
FASTNN_PANEL1_TILE(9)
FASTNN_PANEL1_TILE(10)
FASTNN_PANEL1_TILE(11)
FASTNN_PANEL1_TILE(12)
#undef FASTNN_PANEL1_TILE

static inline void SUFFIX(fastnn_panel1_gemm)(ptrdiff_t M, ptrdiff_t K, const T *A, ptrdiff_t lda,
                                             const T *panel, ptrdiff_t ldp, int accumulate, T *C,
                                             ptrdiff_t ldc, ptrdiff_t nc) {
    for (ptrdiff_t m = 0; m < M; m += FASTNN_SKINNY_MR) {
        ptrdiff_t left = M - m, rows = left > FASTNN_SKINNY_MR ? FASTNN_SKINNY_MR : left;
        const T *a = A + m * lda;
        T *c = C + m * ldc;
        switch (rows) {
#define FASTNN_CASE(R) case R: SUFFIX(fastnn_panel1_tile##R)(K, a, lda, panel, ldp, accumulate, c, ldc, nc); break;
        FASTNN_CASE(1) FASTNN_CASE(2) FASTNN_CASE(3) FASTNN_CASE(4) FASTNN_CASE(5) FASTNN_CASE(6)
        FASTNN_CASE(7) FASTNN_CASE(8) FASTNN_CASE(9) FASTNN_CASE(10) FASTNN_CASE(11) FASTNN_CASE(12)
#undef FASTNN_CASE
        default: break;
        }
    }
}

/* acc[k, 0:VLANES] += sum_i X[i, k] * G[i, 0:VLANES] for k < kn (acc rows lda_acc apart): the
 * weight gradient's rank-ROWS update, X's rows streamed in order and G's rows held in registers.
 * Each acc element sums its rows in order, as a plain loop over the rows would. */
#define FASTNN_RANK_TILE(ROWS)                                                                     \
static inline void SUFFIX(fastnn_rank_tile##ROWS)(ptrdiff_t kn, const T *X, ptrdiff_t ldx,          \
        const T *G, ptrdiff_t ldg, T *acc, ptrdiff_t lda_acc) {                                    \
    VEC g[ROWS];                                                                                   \
    for (int i = 0; i < ROWS; i++) memcpy(&g[i], G + i * ldg, sizeof g[i]);                        \
    for (ptrdiff_t k = 0; k < kn; k++) {                                                           \
        VEC s;                                                                                     \
        memcpy(&s, acc + k * lda_acc, sizeof s);                                                   \
        for (int i = 0; i < ROWS; i++)                                                             \
            s += BROADCAST(X[i * ldx + k]) * g[i];                                                 \
        memcpy(acc + k * lda_acc, &s, sizeof s);                                                   \
    }                                                                                              \
}
FASTNN_RANK_TILE(1)
FASTNN_RANK_TILE(2)
FASTNN_RANK_TILE(3)
FASTNN_RANK_TILE(4)
FASTNN_RANK_TILE(5)
FASTNN_RANK_TILE(6)
FASTNN_RANK_TILE(7)
FASTNN_RANK_TILE(8)
#undef FASTNN_RANK_TILE

static inline void SUFFIX(fastnn_rank_rows)(ptrdiff_t rows, ptrdiff_t kn, const T *X, ptrdiff_t ldx,
                                           const T *G, ptrdiff_t ldg, T *acc, ptrdiff_t lda_acc) {
    switch (rows) {
#define FASTNN_CASE(R) case R: SUFFIX(fastnn_rank_tile##R)(kn, X, ldx, G, ldg, acc, lda_acc); break;
    FASTNN_CASE(1) FASTNN_CASE(2) FASTNN_CASE(3) FASTNN_CASE(4)
    FASTNN_CASE(5) FASTNN_CASE(6) FASTNN_CASE(7) FASTNN_CASE(8)
#undef FASTNN_CASE
    default: break;
    }
}

/* ---- the three products, each cut into parts that threads claim (skinnygemm.h) ---- */

/* out[rows] = x[rows] @ W^T + bias, W^T packed into panels of pw columns (K rows each). */
static void SUFFIX(fastnn_skinny_forward_part)(void *ctx, int p) {
    const fastnn_skinny_job *j = ctx;
    const T *x = j->x, *packed = j->packed;
    T *out = j->out;
    ptrdiff_t m0 = p * j->step, rows = j->M - m0 < j->step ? j->M - m0 : j->step;
    const T *bias = j->bias;
    out += m0 * j->N;
    for (ptrdiff_t m = 0; m < rows; m++)
        for (ptrdiff_t n = 0; n < j->N; n++)
            out[m * j->N + n] = bias ? bias[n] : 0;
    for (ptrdiff_t q = 0; q * j->pw < j->N; q++) {
        ptrdiff_t nc = j->N - q * j->pw < j->pw ? j->N - q * j->pw : j->pw;
        const T *panel = packed + q * j->K * j->pw;
        if (j->pw == VLANES)
            SUFFIX(fastnn_panel1_gemm)(rows, j->K, x + m0 * j->K, j->K, panel, j->pw, 1, out + q * j->pw, j->N, nc);
        else
            SUFFIX(fastnn_panel_gemm)(rows, j->K, x + m0 * j->K, j->K, panel, j->pw, 1, out + q * j->pw, j->N, nc);
    }
}

/* dst[0:n] = src[0:n], the aligned middle with non-temporal stores: gx (as large as x) goes
 * to memory without first being read into cache, and without evicting x from it. */
static inline void SUFFIX(fastnn_stream_row)(T *dst, const T *src, ptrdiff_t n) {
    ptrdiff_t i = 0;
#ifdef STREAM_STORE
    for (; i < n && ((size_t)(dst + i) % sizeof(VEC)); i++)
        dst[i] = src[i];
    for (; i + VLANES <= n; i += VLANES) {
        VEC v;
        memcpy(&v, src + i, sizeof v);
        STREAM_STORE(dst + i, v);
    }
#endif
    for (; i < n; i++)
        dst[i] = src[i];
}

/* gx[rows] = g[rows] @ W, W packed into panels of pw columns (N rows each, zero past K, so that the
 * last panel's full-width reads stay inside it; read in place from a copy with rows kp long, a panel's
 * rows were 5.7 KB apart on the GCN shape and their loads held up the tiles). Rows are
 * computed FASTNN_SKINNY_STAGE at a time into this part's staging block (kp wide), then
 * streamed out, when gx is too large to stay in cache (j->stream). */
static void SUFFIX(fastnn_skinny_grad_input_part)(void *ctx, int p) {
    const fastnn_skinny_job *j = ctx;
    const T *packed = j->packed, *g = j->g;
    T *out = j->out, *stage = (T *)j->work + p * FASTNN_SKINNY_STAGE * j->kp;
    ptrdiff_t m0 = p * j->step, m1 = j->M - m0 < j->step ? j->M : m0 + j->step;
    for (ptrdiff_t m = m0; m < m1; m += FASTNN_SKINNY_STAGE) {
        ptrdiff_t rows = m1 - m < FASTNN_SKINNY_STAGE ? m1 - m : FASTNN_SKINNY_STAGE;
        if (!j->stream) {   /* small enough to stay in cache for its next use */
            for (ptrdiff_t c0 = 0; c0 < j->K; c0 += j->pw)
                SUFFIX(fastnn_panel_gemm)(rows, j->N, g + m * j->N, j->N, packed + c0 * j->N, j->pw, 0,
                                          out + m * j->K + c0, j->K, j->K - c0 < j->pw ? j->K - c0 : j->pw);
            continue;
        }
        for (ptrdiff_t c0 = 0; c0 < j->K; c0 += j->pw)
            SUFFIX(fastnn_panel_gemm)(rows, j->N, g + m * j->N, j->N, packed + c0 * j->N, j->pw, 0, stage + c0,
                                      j->kp, j->pw);
        for (ptrdiff_t i = 0; i < rows; i++)
            SUFFIX(fastnn_stream_row)(out + (m + i) * j->K, stage + i * j->kp, j->K);
    }
#ifdef STREAM_STORE
    if (j->stream)
        _mm_sfence();   /* the streamed stores are visible before the part counts as done */
#endif
}

/* gw[:, k0:k0+step] = g^T @ x[:, k0:k0+step]: a (step x pw) block summed over all rows in
 * rank-FASTNN_SKINNY_RANK updates (g copied with rows pw long, zero past N), then transposed. */
static void SUFFIX(fastnn_skinny_grad_weight_part)(void *ctx, int p) {
    const fastnn_skinny_job *j = ctx;
    const T *x = j->x, *packed = j->packed;
    T *out = j->out;
    ptrdiff_t k0 = p * j->step, kn = j->K - k0 < j->step ? j->K - k0 : j->step;
    T *acc = (T *)j->work + p * j->step * j->pw;   /* this part's block */
    memset(acc, 0, (size_t)(kn * j->pw) * sizeof(T));
    for (ptrdiff_t m = 0; m < j->M; m += FASTNN_SKINNY_RANK) {
        ptrdiff_t rows = j->M - m < FASTNN_SKINNY_RANK ? j->M - m : FASTNN_SKINNY_RANK;
        for (ptrdiff_t v = 0; v < j->pw; v += VLANES)
            SUFFIX(fastnn_rank_rows)(rows, kn, x + m * j->K + k0, j->K, packed + m * j->pw + v, j->pw,
                                     acc + v, j->pw);
    }
    for (ptrdiff_t n = 0; n < j->N; n++)
        for (ptrdiff_t k = 0; k < kn; k++)
            out[n * j->K + k0 + k] = acc[k * j->pw + n];
}

#undef STREAM_STORE
#undef BROADCAST
#undef VLANES
#undef SUFFIX
#undef VEC
#undef T
