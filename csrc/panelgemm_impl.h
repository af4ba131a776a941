/* One build of the panel GEMM of panelgemm.h, stamped once per (type, vector width) with
 * T, VEC, MR (rows per micro-tile) and SUFFIX(name) defined; T, VEC and SUFFIX are unset at
 * the end.
 * A micro-tile is MR rows x NR = 2 * VLANES columns (VLANES: the lanes of VEC): 2 * MR
 * accumulators, two panel loads and MR broadcasts per k, which keeps the FMA units busy without
 * spilling registers. */

#define VLANES ((ptrdiff_t)(sizeof(VEC) / sizeof(T)))
/* x in every lane. Not `x + (VEC){0}`: x + 0.0 is not x for x = -0.0, so GCC kept a scalar add
 * before each broadcast (the AVX2 micro-kernel ran at 46 GFLOP/s, 81 without it); x - 0.0 is
 * always x, and folds away. */
#define BROADCAST(x) ((x) - (VEC){0})
/* Every loop over a tile's rows is unrolled before GCC decides where the accumulators live: with one
 * left rolled (or an accumulator's address taken), it kept the whole array in memory and each tile began
 * by zeroing 2 * MR vectors on the stack and ended by storing them there and loading them back, a
 * quarter of a 16-deep tile's instructions (the skinny input gradient's). */
#ifndef FASTNN_UNROLL
#define FASTNN_UNROLL _Pragma("GCC unroll 16")
#endif

/* One k of a tile: a panel row times the ROWS values of A's column k, into the accumulators. */
#define FASTNN_PANEL_STEP(ROWS)                                                                   \
    {                                                                                             \
        VEC b0, b1;                                                                               \
        memcpy(&b0, panel + k * ldp, sizeof b0);                                                  \
        memcpy(&b1, panel + k * ldp + VLANES, sizeof b1);                                         \
        FASTNN_UNROLL for (int i = 0; i < ROWS; i++) {                                             \
            VEC a = BROADCAST(A[i * lda + k]);                                                    \
            acc[i][0] += a * b0;                                                                  \
            acc[i][1] += a * b1;                                                                  \
        }                                                                                         \
    }
/* Steps of k between two lines of a prefetch list (fastnn_panel_gemm_pf; ~32 cycles of an 8-row AVX-512 tile), so
 * a list's misses are spread out instead of filling the line-fill buffers at once. Every 8 steps, the LSTM
 * backward's ~800 lines outran its product's k and gained about half as much. (#ifndef: this file is included
 * once per build.) */
#ifndef FASTNN_PF_EVERY
#define FASTNN_PF_EVERY 4
#endif

/* C[0:mr, 0:nc] (+)= A[0:mr, 0:K] @ panel[0:K, 0:nc] for a compile-time mr; panel rows are ldp
 * values apart (NR when packed; a wider matrix read in place, as Winograd's, otherwise). Every
 * row read is 2 * VLANES values, past nc too: the caller keeps those reads inside its buffer. */
#define FASTNN_PANEL_TILE(ROWS, NAME, PF)                                                         \
static inline void SUFFIX(NAME)(ptrdiff_t K, const T *A, ptrdiff_t lda, const T *panel, ptrdiff_t ldp, \
        int accumulate, T *C, ptrdiff_t ldc, ptrdiff_t nc, const void *const *pf, ptrdiff_t npf) {  \
    VEC acc[ROWS][2];                                                                             \
    FASTNN_UNROLL for (int i = 0; i < ROWS; i++) acc[i][0] = acc[i][1] = (VEC){0};                 \
    /* C's lines load while the k loop runs: else the epilogue waits for 2 ROWS lines from L3 or \
     * memory ((4096, 1024) x 1024 on one Xeon AVX-512 core: 150 -> 177 GFLOP/s) */               \
    FASTNN_UNROLL for (int i = 0; i < ROWS; i++) {                                                 \
        __builtin_prefetch(C + i * ldc, 1, 3);                                                    \
        __builtin_prefetch(C + i * ldc + 2 * VLANES - 1, 1, 3);                                   \
    }                                                                                             \
    ptrdiff_t k = 0;                                                                              \
    if (PF) {   /* one line of the caller's list every FASTNN_PF_EVERY steps of k */                 \
        for (ptrdiff_t p = 0; p < npf && k + FASTNN_PF_EVERY <= K; p++) {                          \
            __builtin_prefetch(pf[p]);                                                            \
            for (ptrdiff_t end = k + FASTNN_PF_EVERY; k < end; k++) FASTNN_PANEL_STEP(ROWS)        \
        }                                                                                         \
    }                                                                                             \
    for (; k < K; k++) FASTNN_PANEL_STEP(ROWS)                                                    \
    if (nc == 2 * VLANES) {  /* a full panel: straight from the registers (a loop GCC unrolls) */ \
        FASTNN_UNROLL for (int i = 0; i < ROWS; i++) {                                             \
            T *c = C + i * ldc;                                                                   \
            VEC c0 = acc[i][0], c1 = acc[i][1];                                                   \
            if (accumulate) {                                                                     \
                VEC o0, o1;                                                                       \
                memcpy(&o0, c, sizeof o0);                                                        \
                memcpy(&o1, c + VLANES, sizeof o1);                                               \
                c0 += o0;                                                                         \
                c1 += o1;                                                                         \
            }                                                                                     \
            memcpy(c, &c0, sizeof c0);                                                            \
            memcpy(c + VLANES, &c1, sizeof c1);                                                   \
        }                                                                                         \
        return;                                                                                   \
    }                                                                                             \
    FASTNN_UNROLL for (int i = 0; i < ROWS; i++) {  /* the last, partial panel of a gate block */  \
        T *c = C + i * ldc, row[2 * VLANES];                                                      \
        VEC r0 = acc[i][0], r1 = acc[i][1];                                                       \
        memcpy(row, &r0, sizeof r0);                                                              \
        memcpy(row + VLANES, &r1, sizeof r1);                                                     \
        for (ptrdiff_t j = 0; j < nc; j++) c[j] = accumulate ? c[j] + row[j] : row[j];            \
    }                                                                                             \
}
FASTNN_PANEL_TILE(1, fastnn_panel_tile1, 0)
FASTNN_PANEL_TILE(2, fastnn_panel_tile2, 0)
FASTNN_PANEL_TILE(3, fastnn_panel_tile3, 0)
FASTNN_PANEL_TILE(4, fastnn_panel_tile4, 0)
FASTNN_PANEL_TILE(5, fastnn_panel_tile5, 0)
FASTNN_PANEL_TILE(6, fastnn_panel_tile6, 0)
#if MR > 6
FASTNN_PANEL_TILE(7, fastnn_panel_tile7, 0)
FASTNN_PANEL_TILE(8, fastnn_panel_tile8, 0)
#endif
FASTNN_PANEL_TILE(MR, fastnn_panel_tile_pf, 1)
#undef FASTNN_PANEL_TILE
#undef FASTNN_PANEL_STEP

static inline void SUFFIX(fastnn_panel_rows)(ptrdiff_t rows, ptrdiff_t K, const T *A, ptrdiff_t lda,
                                            const T *panel, ptrdiff_t ldp, int accumulate, T *C, ptrdiff_t ldc,
                                            ptrdiff_t nc) {
    switch (rows) {
    case 1: SUFFIX(fastnn_panel_tile1)(K, A, lda, panel, ldp, accumulate, C, ldc, nc, NULL, 0); break;
    case 2: SUFFIX(fastnn_panel_tile2)(K, A, lda, panel, ldp, accumulate, C, ldc, nc, NULL, 0); break;
    case 3: SUFFIX(fastnn_panel_tile3)(K, A, lda, panel, ldp, accumulate, C, ldc, nc, NULL, 0); break;
    case 4: SUFFIX(fastnn_panel_tile4)(K, A, lda, panel, ldp, accumulate, C, ldc, nc, NULL, 0); break;
    case 5: SUFFIX(fastnn_panel_tile5)(K, A, lda, panel, ldp, accumulate, C, ldc, nc, NULL, 0); break;
    case 6: SUFFIX(fastnn_panel_tile6)(K, A, lda, panel, ldp, accumulate, C, ldc, nc, NULL, 0); break;
#if MR > 6
    case 7: SUFFIX(fastnn_panel_tile7)(K, A, lda, panel, ldp, accumulate, C, ldc, nc, NULL, 0); break;
    case 8: SUFFIX(fastnn_panel_tile8)(K, A, lda, panel, ldp, accumulate, C, ldc, nc, NULL, 0); break;
#endif
    default: break;
    }
}

/* C[0:M, 0:nc] (+)= A[0:M, 0:K] @ panel in tiles of MR rows. A remainder joins the last full
 * tile and the two are split evenly (32 rows of MR = 6: 6,6,6,6,4,4 rather than 6,6,6,6,6,2),
 * since a tile of few rows spends more of its loads than its FMAs. */
static inline void SUFFIX(fastnn_panel_gemm)(ptrdiff_t M, ptrdiff_t K, const T *A, ptrdiff_t lda,
                                            const T *panel, ptrdiff_t ldp, int accumulate, T *C, ptrdiff_t ldc,
                                            ptrdiff_t nc) {
    ptrdiff_t m = 0, rest = M % MR;
    ptrdiff_t full_end = (rest && M > MR) ? M - MR - rest : M - rest;
    for (; m < full_end; m += MR)
        SUFFIX(fastnn_panel_rows)(MR, K, A + m * lda, lda, panel, ldp, accumulate, C + m * ldc, ldc, nc);
    while (m < M) {
        ptrdiff_t left = M - m, rows = left > MR ? (left + 1) / 2 : left;
        SUFFIX(fastnn_panel_rows)(rows, K, A + m * lda, lda, panel, ldp, accumulate, C + m * ldc, ldc, nc);
        m += rows;
    }
}

/* fastnn_panel_gemm, fetching the lines of pf[0:npf] into L1 while it runs: each full tile takes its share of the
 * list, one line every FASTNN_PF_EVERY steps of k; what its k cannot carry, and the share of partial tiles, is
 * fetched at the end. A recurrent step's cell reads rows last touched a whole pass ago: fetched in one burst
 * before the product, the misses filled the line-fill buffers and the core stalled on the prefetches themselves
 * (the LSTM backward block's prefetch loops held 70% of its own samples). */
static inline void SUFFIX(fastnn_panel_gemm_pf)(ptrdiff_t M, ptrdiff_t K, const T *A, ptrdiff_t lda,
                                               const T *panel, ptrdiff_t ldp, int accumulate, T *C, ptrdiff_t ldc,
                                               ptrdiff_t nc, const void *const *pf, ptrdiff_t npf) {
    ptrdiff_t tiles = M / MR, share = tiles > 0 ? (npf + tiles - 1) / tiles : 0, used = 0;
    for (ptrdiff_t t = 0; t < tiles; t++) {
        ptrdiff_t n = npf - used < share ? npf - used : share, fit = K / FASTNN_PF_EVERY;
        n = n < fit ? n : fit;
        SUFFIX(fastnn_panel_tile_pf)(K, A + t * MR * lda, lda, panel, ldp, accumulate, C + t * MR * ldc, ldc, nc,
                                     pf + used, n);
        used += n;
    }
    if (tiles * MR < M)
        SUFFIX(fastnn_panel_gemm)(M - tiles * MR, K, A + tiles * MR * lda, lda, panel, ldp, accumulate,
                                  C + tiles * MR * ldc, ldc, nc);
    for (; used < npf; used++) __builtin_prefetch(pf[used]);
}

#undef BROADCAST
#undef VLANES
#undef SUFFIX
#undef VEC
#undef T
