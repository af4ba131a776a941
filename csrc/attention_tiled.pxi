# The tiled attention path: online softmax over (BQ, BK) tiles, the backward recomputing
# each tile of weights from the saved log-sum-exp (FlashAttention's schedule, one problem
# per thread). Included by attention.pyx (shares its imports and helpers). Key tiles start
# at multiples of BK, a multiple of the panel width, so a tile's columns are whole panels
# of the operands packed once per problem.
#
# Causal tiles that cross the diagonal are cut finer: their query rows go in groups of CG, and a
# group computes only the key panels its last row sees (FlashAttention skips whole tiles; at
# 128 x 256 tiles that left the diagonal tiles' masked halves, a quarter of a causal L = 256
# problem's work). The products that reduce over query rows (dV, dK) start each key panel at
# the first group that sees it.


# Query rows per group on a causal diagonal tile: a multiple of every micro-tile height (6, 8).
cdef Py_ssize_t CG = 24


cdef inline Py_ssize_t _tile_stride(Py_ssize_t tk) noexcept nogil:
    """Row stride of a logits tile: its width plus 16, off the powers of two. At 256 floats (1 KB) the
    rows of a panel read in place fell into a quarter of L1's sets and evicted each other (dV^T +=
    dO^T P ran at 80 GFLOP/s, at 160 with 272; measured on the project's Xeon, AVX-512)."""
    return tk + 16


cdef inline Py_ssize_t _group_cols(bint tri, Py_ssize_t reach, Py_ssize_t bk, Py_ssize_t nr) noexcept nogil:
    """Key columns of a tile that a row group computes: all bk, or on a diagonal tile (tri) the
    `reach` keys its last row sees, rounded up to whole panels (0: the group sees none)."""
    if not tri:
        return bk
    if reach <= 0:
        return 0
    return min(bk, (reach + nr - 1) // nr * nr)


cdef inline void _product_rows_tri(Py_ssize_t M, Py_ssize_t cols, Py_ssize_t K, const floating* A, Py_ssize_t lda,
                                   const floating* B, Py_ssize_t ldb, Py_ssize_t nr, floating* C, Py_ssize_t ldc,
                                   floating* edge, bint tri, Py_ssize_t offset, Py_ssize_t G) noexcept nogil:
    """C[:M, :cols] += A[:M, ks:K] @ B[ks:K, :cols], one panel of nr columns at a time, B read in place;
    ks = 0, or on a diagonal tile (tri) the first row of the first group of G rows that sees the
    panel (offset = k0 - i0: rows before it see none of the panel's keys, their B rows are zero)."""
    cdef Py_ssize_t p, ks, nc
    for p in range((cols + nr - 1) // nr):
        ks = min(max(0, p * nr + offset) // G, (K - 1) // G) * G if tri else 0  # the last group may be short
        if ks >= K:
            break  # later panels start later still
        nc = min(nr, cols - p * nr)
        if nc == nr:
            panel_gemm(M, K - ks, A + ks, lda, B + ks * ldb + p * nr, ldb, True, C + p * nr, ldc, nr)
        else:  # a partial last panel is copied, so no read passes a row's end
            _pack(B + ks * ldb + p * nr, ldb, 1, K - ks, nc, nr, edge)
            panel_gemm(M, K - ks, A + ks, lda, edge, nr, True, C + p * nr, ldc, nc)


cdef void _tiled_forward(const floating[:, :, :] q, const floating[:, :, :] k, const floating[:, :, :] v,
                         Masks masks, double scale, bint causal, Py_ssize_t nr, floating[:, :, ::1] out,
                         double[:, ::1] lse):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t N = q.shape[0], Lq = q.shape[1], Lk = k.shape[1], D = q.shape[2], Dv = v.shape[2]
    cdef Py_ssize_t n, i, qb, kb, i0, k0, bq, bk, g, gi, r0, gr, cols, tq = min(BQ, Lq), tk = min(BK, Lk)
    cdef Py_ssize_t ls = _tile_stride(tk)
    cdef bint tri
    # per thread: K^T (D x Lk) and V (Lk x Dv) packed, a logits tile, a summed mask row. V is packed
    # too: read in place, a panel's rows (one per key, Dv values apart) fell into a fraction of L1's sets
    cdef Py_ssize_t kt_size = _panels(Lk, nr) * D, vp_size = _panels(Dv, nr) * Lk
    cdef int nt = threads_for(N * Lq * Lk, MIN_WORK)
    cdef floating[:, ::1] work = np.empty((nt, kt_size + vp_size + tq * ls + tk), _float_type(&out[0, 0, 0]))
    cdef double[:, ::1] m_all = np.empty((nt, tq)), l_all = np.empty((nt, tq))
    cdef double* m_run
    cdef double* l_run
    cdef floating* kt
    cdef floating* vp
    cdef floating* s
    cdef floating* tmp
    with nogil:
        fastnn_team_begin(&_team, nt)
        for n in prange(N, num_threads=nt, schedule="dynamic"):
            kt = &work[threadid(), 0]
            vp = kt + kt_size
            s = vp + vp_size
            tmp = s + tq * ls
            m_run = &m_all[threadid(), 0]
            l_run = &l_all[threadid(), 0]
            _pack(&k[n, 0, 0], 1, D, D, Lk, nr, kt)
            _pack(&v[n, 0, 0], Dv, 1, Lk, Dv, nr, vp)
            for qb in range((Lq + BQ - 1) // BQ):
                i0 = qb * BQ
                bq = min(BQ, Lq - i0)
                for i in range(bq):
                    m_run[i] = -INFINITY
                    l_run[i] = 0
                for kb in range((Lk + BK - 1) // BK):
                    k0 = kb * BK
                    if causal and k0 > i0 + bq - 1:
                        break  # every later key is in the future of every query of the block
                    bk = min(BK, Lk - k0)
                    tri = causal and k0 + bk - 1 > i0
                    g = CG if tri else bq
                    for gi in range((bq + g - 1) // g):
                        r0 = gi * g
                        gr = min(g, bq - r0)
                        cols = _group_cols(tri, i0 + r0 + gr - k0, bk, nr)
                        if cols == 0:
                            continue
                        _product(gr, cols, D, &q[n, i0 + r0, 0], D, kt + k0 // nr * D * nr, D * nr, nr, False,
                                 s + r0 * ls, ls)
                        for i in range(r0, r0 + gr):
                            _online_row(s + i * ls, cols, scale, _mask_row(&masks, tmp, n, i0 + i, k0, cols),
                                        _causal_limit(causal, i0 + i) - k0, &m_run[i], &l_run[i],
                                        &out[n, i0 + i, 0], Dv)
                        _product(gr, Dv, cols, s + r0 * ls, ls, vp + k0 * nr, Lk * nr, nr, True,
                                 &out[n, i0 + r0, 0], Dv)
                for i in range(bq):
                    _finish_row(&out[n, i0 + i, 0], Dv, m_run[i], l_run[i], &lse[n, i0 + i])
        fastnn_team_end(&_team)


cdef inline void _finish_row(floating* o, Py_ssize_t Dv, double m, double l, double* lse) noexcept nogil:
    cdef Py_ssize_t j
    cdef double inv
    if l == 0:
        for j in range(Dv):
            o[j] = 0
        lse[0] = -INFINITY
        return
    inv = 1.0 / l
    for j in range(Dv):
        o[j] = <floating>(o[j] * inv)
    lse[0] = m + log(l)


cdef void _tiled_backward(const floating[:, :, :] q, const floating[:, :, :] k, const floating[:, :, :] v,
                          const floating[:, :, :] go, const floating[:, :, :] o, const double[:, ::1] lse,
                          Masks masks, double scale, bint causal, Py_ssize_t nr, floating[:, :, ::1] dq,
                          floating[:, :, ::1] dk, floating[:, :, ::1] dv):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t N = q.shape[0], Lq = q.shape[1], Lk = k.shape[1], D = q.shape[2], Dv = v.shape[2]
    cdef Py_ssize_t n, i, j, qb, kb, i0, k0, bq, bk, g, gi, r0, gr, cols, tq = min(BQ, Lq), tk = min(BK, Lk)
    cdef Py_ssize_t ls = _tile_stride(tk)
    cdef bint tri, bad_k, bad_v, bad_go
    # per thread: K^T (D x Lk), V^T (Dv x Lk) and K (Lk x D, for dQ) packed; dV^T and dK^T, accumulated over the query
    # blocks (products by the transposed dO and Q blocks, the tiles P and dS read in place); those
    # blocks; a partial panel; the tiles P and dS; a summed mask row
    cdef Py_ssize_t kt_size = _panels(Lk, nr) * D, vt_size = _panels(Lk, nr) * Dv, kp_size = _panels(D, nr) * Lk
    cdef Py_ssize_t dvt_size = Dv * Lk, dkt_size = D * Lk, gt_size = Dv * tq, qt_size = D * tq
    cdef Py_ssize_t edge_size = tq * nr, tile = tq * ls
    cdef int nt = threads_for(N * Lq * Lk, MIN_WORK)
    cdef floating[:, ::1] work = np.empty(
        (nt, kt_size + vt_size + kp_size + dvt_size + dkt_size + gt_size + qt_size + edge_size + 2 * tile + tk),
        _float_type(&dq[0, 0, 0]))
    cdef double[:, ::1] delta_all = np.empty((nt, tq))  # per query row of a block: rowsum(dO * O)
    cdef double* delta
    cdef floating* kt
    cdef floating* vt
    cdef floating* kp
    cdef floating* dvt
    cdef floating* dkt
    cdef floating* gt
    cdef floating* qt
    cdef floating* edge
    cdef floating* s
    cdef floating* ds
    cdef floating* tmp
    with nogil:
        fastnn_team_begin(&_team, nt)
        for n in prange(N, num_threads=nt, schedule="dynamic"):
            kt = &work[threadid(), 0]
            vt = kt + kt_size
            kp = vt + vt_size
            dvt = kp + kp_size
            dkt = dvt + dvt_size
            gt = dkt + dkt_size
            qt = gt + gt_size
            edge = qt + qt_size
            s = edge + edge_size
            ds = s + tile
            tmp = ds + tile
            _pack(&k[n, 0, 0], 1, D, D, Lk, nr, kt)
            _pack(&v[n, 0, 0], 1, Dv, Dv, Lk, nr, vt)
            _pack(&k[n, 0, 0], D, 1, Lk, D, nr, kp)
            for j in range(dvt_size + dkt_size):
                dvt[j] = 0
            bad_k = bad_v = bad_go = False
            for qb in range((Lq + BQ - 1) // BQ):
                i0 = qb * BQ
                bq = min(BQ, Lq - i0)
                _transpose(&go[n, i0, 0], bq, Dv, Dv, gt)
                delta = &delta_all[threadid(), 0]
                for i in range(bq):
                    delta[i] = _dot(&go[n, i0 + i, 0], &o[n, i0 + i, 0], Dv)
                    # A NaN probability row (NaN log-sum-exp) reaches every value of dV (0 * NaN), a NaN in the
                    # output gradient its column of dV, and a NaN delta (from either, or a NaN output) every
                    # value of dK through dS; the causal tiles skipped below would leave some rows finite.
                    bad_k = bad_k or delta[i] != delta[i]
                    bad_v = bad_v or lse[n, i0 + i] != lse[n, i0 + i]
                    bad_go = bad_go or _any_nan(&go[n, i0 + i, 0], Dv)
                _transpose(&q[n, i0, 0], bq, D, D, qt)
                for kb in range((Lk + BK - 1) // BK):
                    k0 = kb * BK
                    if causal and k0 > i0 + bq - 1:
                        break
                    bk = min(BK, Lk - k0)
                    tri = causal and k0 + bk - 1 > i0
                    g = CG if tri else bq
                    for gi in range((bq + g - 1) // g):
                        r0 = gi * g
                        gr = min(g, bq - r0)
                        cols = _group_cols(tri, i0 + r0 + gr - k0, bk, nr)
                        if cols == 0:
                            continue
                        # P (recomputed) and dP = dO_i V_j^T, then dS in place of dP
                        _product(gr, cols, D, &q[n, i0 + r0, 0], D, kt + k0 // nr * D * nr, D * nr, nr, False,
                                 s + r0 * ls, ls)
                        for i in range(r0, r0 + gr):
                            _probs_row(s + i * ls, cols, _active(cols, _causal_limit(causal, i0 + i) - k0),
                                                scale, _mask_row(&masks, tmp, n, i0 + i, k0, cols), lse[n, i0 + i])
                        _product(gr, cols, Dv, &go[n, i0 + r0, 0], Dv, vt + k0 // nr * Dv * nr, Dv * nr, nr, False,
                                 ds + r0 * ls, ls)
                        for i in range(r0, r0 + gr):
                            _softmax_grad_row(s + i * ls, ds + i * ls, cols, scale, delta[i])
                        # dQ_i += dS K_j
                        _product(gr, D, cols, ds + r0 * ls, ls, kp + k0 * nr, Lk * nr, nr, True, &dq[n, i0 + r0, 0], D)
                    # dV_j^T += dO_i^T P ; dK_j^T += Q_i^T dS
                    cols = _group_cols(tri, i0 + bq - k0, bk, nr)  # the last group's: the most any computed
                    _product_rows_tri(Dv, cols, bq, gt, bq, s, ls, nr, dvt + k0, Lk, edge, tri, k0 - i0, g)
                    _product_rows_tri(D, cols, bq, qt, bq, ds, ls, nr, dkt + k0, Lk, edge, tri, k0 - i0, g)
            _transpose(dvt, Dv, Lk, Lk, &dv[n, 0, 0])
            _transpose(dkt, D, Lk, Lk, &dk[n, 0, 0])
            if bad_v:
                _fill_nan(&dv[n, 0, 0], Lk * Dv)
            elif bad_go:
                _spread_nan_columns(&go[n, 0, 0], Lq, Dv, &dv[n, 0, 0], Lk)
            if bad_k:
                _fill_nan(&dk[n, 0, 0], Lk * D)
        fastnn_team_end(&_team)
