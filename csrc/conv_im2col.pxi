# The im2col + GEMM path: a chunk of nb images becomes col[K, nb * P], so one GEMM per
# group covers the chunk; BLAS runs it on all cores and the loops around it (im2col,
# col2im, scatter, gather) run under OpenMP prange, never nesting the two thread pools.
# Included by conv.pyx.

# Values a thread must copy before the copying loops (im2col, col2im, scatter, gather) take a
# second thread: each is its own OpenMP region, and around serial BLAS calls the second thread
# cost more than it saved. conv_transpose2d N=64 8->16 7x7 s2 forward+backward through the layer
# (two 450k-value im2col/col2im passes): 1.87 ms on two threads at 32768, 1.48 on one (Xeon
# AVX-512, load 1.7).
cdef Py_ssize_t COPY_MIN_WORK = 1 << 20


cdef inline Py_ssize_t _run_start(Py_ssize_t sw, Py_ssize_t off, Py_ssize_t wo) noexcept nogil:
    """First output column ox whose input column ox*sw + off is >= 0 (at most wo)."""
    cdef Py_ssize_t a = 0 if off >= 0 else (-off + sw - 1) // sw
    return a if a < wo else wo


cdef inline Py_ssize_t _run_end(Py_ssize_t sw, Py_ssize_t off, Py_ssize_t W, Py_ssize_t wo) noexcept nogil:
    """One past the last output column ox whose input column ox*sw + off is < W (at most wo)."""
    cdef Py_ssize_t b
    if W - 1 - off < 0:
        return 0
    b = (W - 1 - off) // sw + 1
    return b if b < wo else wo


# Stride 1 with as many output as input columns ('same' padding, the common case): a
# tap's col row is the input plane shifted by dy rows and dx columns, so it is one
# contiguous copy over the rows that exist, with the wrapped-around columns zeroed
# after. Rows of a small image are too short for per-row copies to run fast.

cdef inline void _shifted_rows(Py_ssize_t H, Py_ssize_t W, Py_ssize_t ho, Py_ssize_t dy, Py_ssize_t dx,
                               Py_ssize_t* oy0, Py_ssize_t* oy1, Py_ssize_t* qa, Py_ssize_t* qb) noexcept nogil:
    """Output rows [oy0, oy1) read input rows oy + dy inside the plane; flat positions [qa, qb)
    of those rows keep the source index q + dy*W + dx inside the plane. All lie in [0, ho*W]: a
    shift past the plane (padding wider than the image) made them point past the output plane,
    and the copy then zeroed values of the next image's columns."""
    cdef Py_ssize_t shift = dy * W + dx
    oy0[0] = min(ho, max(0, -dy))
    oy1[0] = max(oy0[0], min(ho, H - dy))
    qa[0] = min(max(oy0[0] * W, -shift), oy1[0] * W)
    qb[0] = max(qa[0], min(oy1[0] * W, H * W - shift))


cdef void _shifted_plane_copy(const floating* plane, floating* dst, Py_ssize_t H, Py_ssize_t W, Py_ssize_t ho,
                              Py_ssize_t dy, Py_ssize_t dx, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """dst[oy * W + ox] = plane[oy + dy, ox + dx] for oy < ho, ox < W (0 outside the plane)."""
    cdef Py_ssize_t oy0, oy1, qa, qb, q, oy, ox
    cdef const floating* src = plane + dy * W + dx
    _shifted_rows(H, W, ho, dy, dx, &oy0, &oy1, &qa, &qb)
    for q in range(oy0 * W):
        dst[q] = 0
    for q in range(oy0 * W, qa):
        dst[q] = 0
    for q in range(qa, qb):
        dst[q] = src[q]
    for q in range(qb, ho * W):
        dst[q] = 0
    for oy in range(oy0, oy1):
        for ox in range(lo):
            dst[oy * W + ox] = 0
        for ox in range(hi, W):
            dst[oy * W + ox] = 0


cdef void _shifted_plane_add(floating* src, floating* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t ho,
                             Py_ssize_t dy, Py_ssize_t dx, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """Adjoint of _shifted_plane_copy: plane[oy + dy, ox + dx] += src[oy * W + ox] where inside.
    Zeroes src's wrapped-around columns first (src is workspace) so the add is one straight loop."""
    cdef Py_ssize_t oy0, oy1, qa, qb, q, oy, ox
    cdef floating* dst = plane + dy * W + dx
    _shifted_rows(H, W, ho, dy, dx, &oy0, &oy1, &qa, &qb)
    for oy in range(oy0, oy1):
        for ox in range(lo):
            src[oy * W + ox] = 0
        for ox in range(hi, W):
            src[oy * W + ox] = 0
    for q in range(qa, qb):
        dst[q] += src[q]


cdef void _im2col(const floating[:, :, :, ::1] x, Py_ssize_t n0, Py_ssize_t nb, Py_ssize_t c0, Py_ssize_t cg,
                  Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw,
                  Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho, Py_ssize_t wo, floating[:, ::1] col) noexcept nogil:
    """col[(c, i, j), b * P + oy * wo + ox] = x[n0 + b, c0 + c, oy*sh - ph + i*dh, ox*sw - pw + j*dw] (0 outside).

    Rows are filled as zero margins around one gather of the in-bounds run (a straight copy
    for stride 1), so the inner loop has no bounds tests and vectorises."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t H = x.shape[2], W = x.shape[3], P = ho * wo
    cdef Py_ssize_t task, k, b
    cdef Py_ssize_t tasks = cg * kh * kw * nb
    cdef int nt = threads_for(tasks * P, COPY_MIN_WORK)
    fastnn_team_begin(&_team, nt)
    for task in prange(tasks, num_threads=nt, schedule="static"):
        k = task // nb
        b = task % nb
        _im2col_row(&x[n0 + b, c0 + k // (kh * kw), 0, 0], H, W, (k // kw) % kh, k % kw, sh, sw, ph, pw, dh, dw,
                    ho, wo, &col[k, b * P])
    fastnn_team_end(&_team)


cdef inline void _im2col_row(const floating* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t i, Py_ssize_t j,
                             Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh,
                             Py_ssize_t dw, Py_ssize_t ho, Py_ssize_t wo, floating* dst) noexcept nogil:
    """dst[oy * wo + ox] = plane[oy*sh - ph + i*dh, ox*sw - pw + j*dw] (0 outside the H x W plane):
    one row of im2col, tap (i, j) of one input channel of one image."""
    cdef Py_ssize_t oy, ox, iy, off = j * dw - pw
    cdef Py_ssize_t lo = _run_start(sw, off, wo), hi = _run_end(sw, off, W, wo)
    cdef floating* d
    cdef const floating* src
    if hi < lo:
        hi = lo
    if sh == 1 and sw == 1 and wo == W:
        _shifted_plane_copy(plane, dst, H, W, ho, i * dh - ph, off, lo, hi)
        return
    if lo == 0 and hi == wo and i * dh >= ph and (ho - 1) * sh + i * dh - ph < H:
        # a window inside the plane (LeNet's valid convolutions, the inner taps of padded
        # ones): rows without tests
        src = plane + (i * dh - ph) * W + off
        if sw == 1:
            for oy in range(ho):
                for ox in range(wo):
                    dst[oy * wo + ox] = src[oy * sh * W + ox]
        else:
            for oy in range(ho):
                for ox in range(wo):
                    dst[oy * wo + ox] = src[oy * sh * W + ox * sw]
        return
    for oy in range(ho):
        d = dst + oy * wo
        iy = oy * sh - ph + i * dh
        if iy < 0 or iy >= H:
            for ox in range(wo):
                d[ox] = 0
            continue
        src = plane + iy * W + off
        for ox in range(lo):
            d[ox] = 0
        if sw == 1:
            for ox in range(lo, hi):
                d[ox] = src[ox]
        else:
            for ox in range(lo, hi):
                d[ox] = src[ox * sw]
        for ox in range(hi, wo):
            d[ox] = 0


cdef void _col2im(floating[:, ::1] col, Py_ssize_t n0, Py_ssize_t nb, Py_ssize_t c0, Py_ssize_t cg,
                  Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw,
                  Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho, Py_ssize_t wo, floating[:, :, :, ::1] gx) noexcept nogil:
    """Adjoint of _im2col: gx[n0 + b, c0 + c] += every col entry that was read from it."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t H = gx.shape[2], W = gx.shape[3], P = ho * wo
    cdef Py_ssize_t plane, b, c, i, j, k, oy, ox, iy, off, lo, hi
    cdef int nt = threads_for(nb * cg * kh * kw * P, COPY_MIN_WORK)
    cdef floating* dst
    cdef floating* src
    fastnn_team_begin(&_team, nt)
    for plane in prange(nb * cg, num_threads=nt, schedule="static"):  # one thread per output plane
        b = plane // cg
        c = plane % cg
        for i in range(kh):
            for j in range(kw):
                k = (c * kh + i) * kw + j
                off = j * dw - pw
                lo = _run_start(sw, off, wo)
                hi = _run_end(sw, off, W, wo)
                if hi < lo:
                    hi = lo
                if sh == 1 and sw == 1 and wo == W:
                    _shifted_plane_add(&col[k, b * P], &gx[n0 + b, c0 + c, 0, 0], H, W, ho, i * dh - ph, off, lo, hi)
                    continue
                if lo == 0 and hi == wo and i * dh >= ph and (ho - 1) * sh + i * dh - ph < H:
                    # a window inside the plane, as in _im2col_row: rows without tests
                    src = &col[k, b * P]
                    dst = &gx[n0 + b, c0 + c, i * dh - ph, 0] + off
                    for oy in range(ho):
                        for ox in range(wo):
                            dst[oy * sh * W + ox * sw] += src[oy * wo + ox]
                    continue
                for oy in range(ho):
                    iy = oy * sh - ph + i * dh
                    if iy < 0 or iy >= H:
                        continue
                    src = &col[k, b * P + oy * wo]
                    dst = &gx[n0 + b, c0 + c, iy, 0] + off
                    if sw == 1:
                        for ox in range(lo, hi):
                            dst[ox] += src[ox]
                    else:
                        for ox in range(lo, hi):
                            dst[ox * sw] += src[ox]
    fastnn_team_end(&_team)


cdef void _scatter_out(floating[:, ::1] tmp, floating[:, :, ::1] out, Py_ssize_t n0, Py_ssize_t nb,
                       Py_ssize_t co0, const floating* bias, bint accumulate) noexcept nogil:
    """out[n0 + b, co0 + co, :] (+)= tmp[co, b * P : (b + 1) * P] (+ bias[co0 + co])."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t coutg = tmp.shape[0], P = out.shape[2], task, b, co, p
    cdef floating add
    cdef int nt = threads_for(coutg * nb * P, COPY_MIN_WORK)
    fastnn_team_begin(&_team, nt)
    for task in prange(nb * coutg, num_threads=nt, schedule="static"):
        b = task // coutg
        co = task % coutg
        add = bias[co0 + co] if bias != NULL else 0
        if accumulate:
            for p in range(P):
                out[n0 + b, co0 + co, p] += tmp[co, b * P + p] + add
        else:
            for p in range(P):
                out[n0 + b, co0 + co, p] = tmp[co, b * P + p] + add
    fastnn_team_end(&_team)


cdef void _gather_out(const floating[:, :, ::1] g, floating[:, ::1] tmp, Py_ssize_t n0, Py_ssize_t nb,
                      Py_ssize_t co0) noexcept nogil:
    """tmp[co, b * P + p] = g[n0 + b, co0 + co, p] (inverse of _scatter_out)."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t coutg = tmp.shape[0], P = g.shape[2], task, b, co, p
    cdef int nt = threads_for(coutg * nb * P, COPY_MIN_WORK)
    fastnn_team_begin(&_team, nt)
    for task in prange(nb * coutg, num_threads=nt, schedule="static"):
        b = task // coutg
        co = task % coutg
        for p in range(P):
            tmp[co, b * P + p] = g[n0 + b, co0 + co, p]
    fastnn_team_end(&_team)


def _forward(const floating[:, :, :, ::1] x, const floating[:, ::1] w2, const floating[::1] bias, _Geometry G,
             floating[:, :, ::1] out, floating[:, ::1] col, floating[:, ::1] tmp):
    """out (N, cout, P) = conv(x) with weights w2 (cout, K). col and tmp are chunk-wide
    workspaces; the last chunk may use only part of each row, so leading dimensions
    come from the workspace widths."""
    cdef Py_ssize_t n0, nb, g, cols
    cdef const floating* b = const_data_or_null(bias)
    for n0 in range(0, G.N, G.chunk):
        nb = min(G.chunk, G.N - n0)
        cols = nb * G.P
        for g in range(G.groups):
            with nogil:
                _im2col(x, n0, nb, g * G.cg, G.cg, G.kh, G.kw, G.sh, G.sw, G.ph, G.pw, G.dh, G.dw, G.ho, G.wo, col)
                gemm(False, False, <int>G.coutg, <int>cols, <int>G.K, <floating>1, &w2[g * G.coutg, 0], <int>G.K,
                     &col[0, 0], <int>col.shape[1], <floating>0, &tmp[0, 0], <int>tmp.shape[1])
                _scatter_out(tmp, out, n0, nb, g * G.coutg, b, False)


def _backward(const floating[:, :, :, ::1] x, const floating[:, ::1] w2, const floating[:, :, ::1] gout, _Geometry G,
              floating[:, :, :, ::1] gx, floating[:, ::1] gw2, bint need_x, bint need_w,
              floating[:, ::1] col, floating[:, ::1] tmp):
    """gx (zeroed by the caller) += conv's input gradient; gw2 (cout, K) = its weight gradient."""
    cdef Py_ssize_t n0, nb, g, cols
    for n0 in range(0, G.N, G.chunk):
        nb = min(G.chunk, G.N - n0)
        cols = nb * G.P
        for g in range(G.groups):
            with nogil:
                _gather_out(gout, tmp, n0, nb, g * G.coutg)
                if need_w:
                    _im2col(x, n0, nb, g * G.cg, G.cg, G.kh, G.kw, G.sh, G.sw, G.ph, G.pw, G.dh, G.dw, G.ho, G.wo, col)
                    gemm(False, True, <int>G.coutg, <int>G.K, <int>cols, <floating>1, &tmp[0, 0], <int>tmp.shape[1],
                         &col[0, 0], <int>col.shape[1], <floating>(0 if n0 == 0 else 1), &gw2[g * G.coutg, 0], <int>G.K)
                if need_x:
                    gemm(True, False, <int>G.K, <int>cols, <int>G.coutg, <floating>1, &w2[g * G.coutg, 0], <int>G.K,
                         &tmp[0, 0], <int>tmp.shape[1], <floating>0, &col[0, 0], <int>col.shape[1])
                    _col2im(col, n0, nb, g * G.cg, G.cg, G.kh, G.kw, G.sh, G.sw, G.ph, G.pw, G.dh, G.dw, G.ho, G.wo, gx)


def _forward_and_weight_grad(const floating[:, :, :, ::1] x, const floating[:, ::1] w2,
                             const floating[:, :, ::1] gout, _Geometry G, floating[:, :, ::1] out,
                             floating[:, ::1] gw2, bint need_out, bint need_w, floating[:, ::1] col,
                             floating[:, ::1] tmp):
    """out (N, cout, P) = conv(x) with weights w2 (cout, K), and gw2 (cout, K) = its weight
    gradient for the output gradient gout, from one im2col of each chunk (conv_transpose2d's
    backward: both of its gradients are passes of this conv over grad_out)."""
    cdef Py_ssize_t n0, nb, g, cols
    for n0 in range(0, G.N, G.chunk):
        nb = min(G.chunk, G.N - n0)
        cols = nb * G.P
        for g in range(G.groups):
            with nogil:
                _im2col(x, n0, nb, g * G.cg, G.cg, G.kh, G.kw, G.sh, G.sw, G.ph, G.pw, G.dh, G.dw, G.ho, G.wo, col)
                if need_out:
                    gemm(False, False, <int>G.coutg, <int>cols, <int>G.K, <floating>1, &w2[g * G.coutg, 0], <int>G.K,
                         &col[0, 0], <int>col.shape[1], <floating>0, &tmp[0, 0], <int>tmp.shape[1])
                    _scatter_out(tmp, out, n0, nb, g * G.coutg, NULL, False)
                if need_w:
                    _gather_out(gout, tmp, n0, nb, g * G.coutg)
                    gemm(False, True, <int>G.coutg, <int>G.K, <int>cols, <floating>1, &tmp[0, 0], <int>tmp.shape[1],
                         &col[0, 0], <int>col.shape[1], <floating>(0 if n0 == 0 else 1), &gw2[g * G.coutg, 0], <int>G.K)


# Small layers run im2col's passes in chunks of about this many bytes of im2col, each chunk whole on one
# thread (its im2col, GEMM and scatter or col2im stay in that core's L2) and the threads taking chunks in
# turn; a weight gradient is summed per chunk, then over the chunks in order. One chunk of the whole batch
# (the 8 MB cap) left col in L3 and the copies on one thread: the autoencoder's first layer (N=128, 1 -> 16,
# 28x28) took 1.0-1.5 ms for its input gradient on two threads, 0.8 ms on one thread in 1 MB chunks (AMD EPYC
# Zen 5). A layer qualifies when one image's im2col fits a chunk.
cdef Py_ssize_t SMALL_CHUNK_BYTES = 256 << 10


def _small_chunk_bytes(object nbytes=None):
    """SMALL_CHUNK_BYTES; with nbytes, set it first (0: no layer takes the per-thread chunks). For tests.
    Returns the value in force before the call."""
    global SMALL_CHUNK_BYTES
    before = SMALL_CHUNK_BYTES
    if nbytes is not None:
        SMALL_CHUNK_BYTES = nbytes
    return before


cdef Py_ssize_t _small_chunk(_Geometry G, Py_ssize_t itemsize):
    """Images per chunk of the per-thread path, or 0 when the layer does not qualify. Depends on the shape
    only, so the chunks (and every result) are the same on any number of threads."""
    cdef Py_ssize_t per_image = G.K * G.P * itemsize
    if G.N < 2 or per_image == 0 or per_image > SMALL_CHUNK_BYTES:
        return 0
    return max(1, min(G.N, SMALL_CHUNK_BYTES // per_image))


def _chunk_passes(const floating[:, :, :, ::1] x, const floating[:, ::1] w2, const floating[::1] bias,
                  const floating[:, :, ::1] gout, _Geometry G, floating[:, :, :, ::1] gx, floating[:, :, ::1] out,
                  floating[:, :, ::1] partial, bint need_x, bint need_out, bint need_w, floating[:, :, ::1] col,
                  floating[:, :, ::1] tmp, Py_ssize_t chunk, int nt):
    """_forward (need_out: out = conv(x) + bias), _backward's input gradient (need_x: gx, zeroed by the caller)
    and the weight gradient (need_w: chunk ci's into partial[ci]) over chunks of `chunk` images, each whole on
    one of nt threads; col and tmp hold one workspace per thread."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t ci, n0, nb, g, cols, chunks = (G.N + chunk - 1) // chunk
    cdef int tid
    cdef const floating* b = const_data_or_null(bias)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for ci in prange(chunks, num_threads=nt, schedule="dynamic", chunksize=1):
            tid = threadid()
            n0 = ci * chunk
            nb = min(chunk, G.N - n0)
            cols = nb * G.P
            for g in range(G.groups):
                if need_w or need_out:
                    _im2col(x, n0, nb, g * G.cg, G.cg, G.kh, G.kw, G.sh, G.sw, G.ph, G.pw, G.dh, G.dw, G.ho, G.wo,
                            col[tid])
                if need_out:
                    gemm(False, False, <int>G.coutg, <int>cols, <int>G.K, <floating>1, &w2[g * G.coutg, 0],
                         <int>G.K, &col[tid, 0, 0], <int>col.shape[2], <floating>0, &tmp[tid, 0, 0],
                         <int>tmp.shape[2])
                    _scatter_out(tmp[tid], out, n0, nb, g * G.coutg, b, False)
                if need_w or need_x:
                    _gather_out(gout, tmp[tid], n0, nb, g * G.coutg)
                if need_w:
                    gemm(False, True, <int>G.coutg, <int>G.K, <int>cols, <floating>1, &tmp[tid, 0, 0],
                         <int>tmp.shape[2], &col[tid, 0, 0], <int>col.shape[2], <floating>0,
                         &partial[ci, g * G.coutg, 0], <int>G.K)
                if need_x:
                    gemm(True, False, <int>G.K, <int>cols, <int>G.coutg, <floating>1, &w2[g * G.coutg, 0],
                         <int>G.K, &tmp[tid, 0, 0], <int>tmp.shape[2], <floating>0, &col[tid, 0, 0],
                         <int>col.shape[2])
                    _col2im(col[tid], n0, nb, g * G.cg, G.cg, G.kh, G.kw, G.sh, G.sw, G.ph, G.pw, G.dh, G.dw,
                            G.ho, G.wo, gx)
        fastnn_team_end(&_team)


def _run_chunks(x, w2, bias, gout, _Geometry G, gx, out, bint need_x, bint need_out, bint need_w, Py_ssize_t chunk):
    """_chunk_passes with its workspaces (one per thread, the threads no more than the chunks); returns the
    weight gradient summed over the chunks in chunk order (the same sum on any thread count), or None.
    Arrays of passes not asked for (gx, out, gout) may be None."""
    chunks = (G.N + chunk - 1) // chunk
    nt = max(1, min(fastnn_max_threads(), chunks))
    cols = chunk * G.P
    col = np.empty((nt, G.K, cols), x.dtype)
    tmp = np.empty((nt, G.coutg, cols), x.dtype)
    partial = np.empty((chunks if need_w else 1,) + w2.shape, x.dtype)
    unused = np.empty((1, 1, 1), x.dtype)
    _chunk_passes(x, w2, bias, unused if gout is None else gout, G, unused[None] if gx is None else gx,
                  unused if out is None else out, partial, need_x, need_out, need_w, col, tmp, chunk, nt)
    if not need_w:
        return None
    total = partial[0].copy()
    for p in partial[1:]:
        total += p
    return total


def _run_forward(x, w2, bias, _Geometry G):
    out = np.empty((G.N, G.cout, G.P), x.dtype)
    if out.size == 0:
        return out
    chunk = _small_chunk(G, x.itemsize)
    if chunk:
        _run_chunks(x, w2, bias, None, G, None, out, False, True, False, chunk)
        return out
    col, tmp = _workspaces(G, x.dtype)
    _forward(x, w2, bias, G, out, col, tmp)
    return out


def _run_backward(x, w2, gout, _Geometry G, bint need_x, bint need_w):
    gx = np.zeros((G.N, G.C, G.H, G.W), x.dtype) if need_x else np.zeros((1, 1, 1, 1), x.dtype)
    gw2 = np.zeros(w2.shape, x.dtype)
    if G.N == 0 or G.P == 0 or (not need_x and not need_w):
        return (gx if need_x else None), (gw2 if need_w else None)
    chunk = _small_chunk(G, x.itemsize)
    if chunk:
        gw2 = _run_chunks(x, w2, None, gout, G, gx, None, need_x, False, need_w, chunk)
        return (gx if need_x else None), gw2
    col, tmp = _workspaces(G, x.dtype)
    _backward(x, w2, gout, G, gx, gw2, need_x, need_w, col, tmp)
    return (gx if need_x else None), (gw2 if need_w else None)


def _run_forward_and_weight_grad(x, w2, gout, _Geometry G, bint need_out, bint need_w):
    """(out (N, cout, P) or None, gw2 (cout, K) or None): see _forward_and_weight_grad."""
    out = np.empty((G.N, G.cout, G.P), x.dtype) if need_out else np.empty((1, 1, 1), x.dtype)
    gw2 = np.zeros(w2.shape, x.dtype)
    if G.N > 0 and G.P > 0 and G.cout > 0 and (need_out or need_w):
        chunk = _small_chunk(G, x.itemsize)
        if chunk:
            gw2 = _run_chunks(x, w2, None, gout, G, None, out, False, need_out, need_w, chunk)
        else:
            col, tmp = _workspaces(G, x.dtype)
            _forward_and_weight_grad(x, w2, gout, G, out, gw2, need_out, need_w, col, tmp)
    return (out if need_out else None), (gw2 if need_w else None)

