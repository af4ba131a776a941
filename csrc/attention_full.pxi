# The full attention path: the (Lq, Lk) weights are materialised. Included by attention.pyx
# (shares its imports and helpers). Each thread takes whole problems and works through
# blocks of query rows, so a block's logits stay in cache between its product, its row
# pass and the product with V.


# Logits per row block of the full forward: a block's logits are written by one product, read
# by the row pass and by the product with V. 32768 logits are 128 KB in float32 (256 KB in float64),
# chosen by size to stay in L2 in between (2 MB per core on the project's Xeon; more elsewhere is
# common); the block size was not measured against other sizes.
cdef Py_ssize_t FULL_BLOCK = 32768


cdef inline Py_ssize_t _block_rows(Py_ssize_t Lq, Py_ssize_t Lk) noexcept nogil:
    return max(8, min(BQ, FULL_BLOCK // Lk))


cdef void _full_forward(const floating[:, :, :] q, const floating[:, :, :] k, const floating[:, :, :] v,
                        Masks masks, double scale, bint causal, Py_ssize_t nr, floating[:, :, ::1] out,
                        floating[:, :, ::1] w, double[:, ::1] lse):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t N = q.shape[0], Lq = q.shape[1], Lk = k.shape[1], D = q.shape[2], Dv = v.shape[2]
    cdef Py_ssize_t n, i, j, qb, i0, bq, kc, rows = _block_rows(Lq, Lk)
    # per thread: K^T packed (D x Lk), a partial panel of V, one summed mask row
    cdef Py_ssize_t kt_size = _panels(Lk, nr) * D, edge_size = Lk * nr
    cdef int nt = threads_for(N * Lq * Lk, MIN_WORK)
    cdef floating[:, ::1] work = np.empty((nt, kt_size + edge_size + Lk), _float_type(&w[0, 0, 0]))
    cdef floating* kt
    cdef floating* edge
    cdef floating* tmp
    with nogil:
        fastnn_team_begin(&_team, nt)
        for n in prange(N, num_threads=nt, schedule="dynamic"):
            kt = &work[threadid(), 0]
            edge = kt + kt_size
            tmp = edge + edge_size
            _pack(&k[n, 0, 0], 1, D, D, Lk, nr, kt)
            for qb in range((Lq + rows - 1) // rows):
                i0 = qb * rows
                bq = min(rows, Lq - i0)
                kc = min(Lk, i0 + bq) if causal else Lk  # keys any row of the block sees; the rest are 0
                _product(bq, kc, D, &q[n, i0, 0], D, kt, D * nr, nr, False, &w[n, i0, 0], Lk)
                for i in range(i0, i0 + bq):
                    lse[n, i] = _softmax_row(&w[n, i, 0], kc, _active(kc, _causal_limit(causal, i)), scale,
                                              _mask_row(&masks, tmp, n, i, 0, kc))
                    for j in range(kc, Lk):  # a NaN row is NaN throughout, as without the block skip
                        w[n, i, j] = lse[n, i] if lse[n, i] != lse[n, i] else 0
                _product_rows(bq, Dv, kc, &w[n, i0, 0], Lk, &v[n, 0, 0], Dv, nr, False, &out[n, i0, 0], Dv, edge)
        fastnn_team_end(&_team)


cdef void _full_backward(const floating[:, :, :] q, const floating[:, :, :] k, const floating[:, :, :] v,
                         const floating[:, :, :] w, const floating[:, :, :] go, bint has_gw,
                         const floating[:, :, :] gw, double scale, bint causal, Py_ssize_t nr,
                         floating[:, :, ::1] dq, floating[:, :, ::1] dk, floating[:, :, ::1] dv):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t N = q.shape[0], Lq = q.shape[1], Lk = k.shape[1], D = q.shape[2], Dv = v.shape[2]
    cdef Py_ssize_t n, i, j, qb, i0, bq, kc, tq = min(BQ, Lq)
    cdef bint bad
    # per thread: V^T packed (Dv x Lk), dV^T and dK^T (accumulated over the query blocks), a
    # block's dS (tq x Lk), a transposed block of dO or Q, a partial panel
    cdef Py_ssize_t vt_size = _panels(Lk, nr) * Dv
    cdef Py_ssize_t dvt_size = Dv * Lk, dkt_size = D * Lk, ds_size = tq * Lk
    cdef Py_ssize_t at_size = max(D, Dv) * tq, bp_size = max(Lk, tq) * nr
    cdef int nt = threads_for(N * Lq * Lk, MIN_WORK)
    cdef floating[:, ::1] work = np.empty(
        (nt, vt_size + dvt_size + dkt_size + ds_size + at_size + bp_size), _float_type(&dq[0, 0, 0]))
    cdef floating* vt
    cdef floating* dvt
    cdef floating* dkt
    cdef floating* ds
    cdef floating* at
    cdef floating* bp
    with nogil:
        fastnn_team_begin(&_team, nt)
        for n in prange(N, num_threads=nt, schedule="dynamic"):
            vt = &work[threadid(), 0]
            dvt = vt + vt_size
            dkt = dvt + dvt_size
            ds = dkt + dkt_size
            at = ds + ds_size
            bp = at + at_size
            _pack(&v[n, 0, 0], 1, Dv, Dv, Lk, nr, vt)
            for j in range(dvt_size + dkt_size):
                dvt[j] = 0
            bad = False
            for qb in range((Lq + BQ - 1) // BQ):
                i0 = qb * BQ
                bq = min(BQ, Lq - i0)
                # a NaN output gradient reaches all of dK and its column of dV
                bad = bad or _any_nan(&go[n, i0, 0], bq * Dv)
                kc = min(Lk, i0 + bq) if causal else Lk  # weights past it are 0: nothing flows there
                if kc < Lk:
                    for i in range(i0, i0 + bq):  # ... unless a NaN row filled them: then it flows everywhere
                        if w[n, i, kc] != w[n, i, kc]:
                            kc = Lk
                            break
                if has_gw:
                    for i in range(bq):
                        for j in range(kc):
                            ds[i * Lk + j] = gw[n, i0 + i, j]
                # dP = dO V^T (+ the weights' own gradient)
                _product(bq, kc, Dv, &go[n, i0, 0], Dv, vt, Dv * nr, nr, has_gw, ds, Lk)
                # dV^T += dO^T P
                _transpose(&go[n, i0, 0], bq, Dv, Dv, at)
                _product_rows(Dv, kc, bq, at, bq, &w[n, i0, 0], Lk, nr, True, dvt, Lk, bp)
                for i in range(bq):
                    _softmax_grad_row(&w[n, i0 + i, 0], ds + i * Lk, kc, scale,
                                      _dot(&w[n, i0 + i, 0], ds + i * Lk, kc))
                # dQ = dS K ; dK^T += Q^T dS
                _product_rows(bq, D, kc, ds, Lk, &k[n, 0, 0], D, nr, False, &dq[n, i0, 0], D, bp)
                _transpose(&q[n, i0, 0], bq, D, D, at)
                _product_rows(D, kc, bq, at, bq, ds, Lk, nr, True, dkt, Lk, bp)
            _transpose(dvt, Dv, Lk, Lk, &dv[n, 0, 0])
            _transpose(dkt, D, Lk, Lk, &dk[n, 0, 0])
            if bad:  # (0 * NaN through dS and P^T dO) where the causal blocks skipped above left rows finite
                _spread_nan_columns(&go[n, 0, 0], Lq, Dv, &dv[n, 0, 0], Lk)
                _fill_nan(&dk[n, 0, 0], Lk * D)
        fastnn_team_end(&_team)
