# Winograd F(2x2, 3x3) for 3x3, stride-1, undilated, ungrouped convolutions (Lavin & Gray,
# "Fast Algorithms for Convolutional Neural Networks", 2016). Each 2x2 block of outputs
# ("tile") reads a 4x4 input patch d; with U = G g G^T per (out, in) channel pair and
# V = B^T d B per input channel, the tile is A^T (sum over in channels of U . V) A, so
# the channel sums become 16 GEMMs (one per position xi of the 4x4 transform) of
# U[xi] (cout, cin) by V[xi] (cin, tiles): 16 multiplies per 4 outputs against 36 direct.
# The GEMMs run through the direct kernels of directconv.h with one "input channel" and
# a tap per real channel (tap t reads row t of V[xi]), so they keep the register blocking
# each vector build was tuned for, and each thread runs whole blocks of tiles under one
# OpenMP loop: no BLAS threads to synchronise (OpenBLAS's spin-waits were most of the
# im2col path's time on a busy 2-core machine).
#
# The input gradient is the same pass over grad_out with the flipped, channel-swapped
# kernel; the weight gradient is the adjoint of the forward: per xi, S[xi] (cout, cin) =
# sum over tiles of (A dY A^T)[xi] (V[xi])^T, then dL/dg = G^T S G; there the tiles are the
# taps of the direct kernel and the input channels its pixels. Included by conv.pyx.

cdef Py_ssize_t WINO_TILES = 64     # tiles per forward block: V and M of 64 channels, 256 KB each, stay in L2
cdef Py_ssize_t WINO_WTILES = 256   # per weight-gradient block: fewer updates of the lane sums per product
# The 16 transformed matrices of a block sit SKEW values further apart than their size: at
# a power-of-two distance the 16 values of one tile fell in one L1 set (transforms ran at
# twice the time of the channel products).
cdef Py_ssize_t WINO_SKEW = 32

_WINO_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])


cdef inline void _tile_origin(Py_ssize_t tile, Py_ssize_t th, Py_ssize_t tw,
                              Py_ssize_t* n, Py_ssize_t* y0, Py_ssize_t* x0) noexcept nogil:
    """Image and top-left output pixel of tile number `tile` (tiles run row-major per image)."""
    n[0] = tile // (th * tw)
    y0[0] = (tile // tw) % th * 2
    x0[0] = tile % tw * 2


cdef inline void _next_tile(Py_ssize_t th, Py_ssize_t tw, Py_ssize_t* n, Py_ssize_t* y0, Py_ssize_t* x0) noexcept nogil:
    """Step _tile_origin's answer to the next tile, without its divisions."""
    x0[0] += 2
    if x0[0] >= 2 * tw:
        x0[0] = 0
        y0[0] += 2
        if y0[0] >= 2 * th:
            y0[0] = 0
            n[0] += 1


cdef inline void _input_tile(const floating* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t y, Py_ssize_t x,
                             floating* v, Py_ssize_t vs) noexcept nogil:
    """v[xi * vs] = (B^T d B)[xi] for the 4x4 patch d of plane at (y, x), zero outside the plane."""
    cdef floating d[16]
    cdef floating e[16]
    cdef Py_ssize_t r, c
    if 0 <= y and y + 4 <= H and 0 <= x and x + 4 <= W:
        for r in range(4):
            for c in range(4):
                d[r * 4 + c] = plane[(y + r) * W + x + c]
    else:
        for r in range(4):
            for c in range(4):
                d[r * 4 + c] = plane[(y + r) * W + x + c] if 0 <= y + r < H and 0 <= x + c < W else 0
    for r in range(4):   # columns of each row: d . B
        e[r * 4 + 0] = d[r * 4 + 0] - d[r * 4 + 2]
        e[r * 4 + 1] = d[r * 4 + 1] + d[r * 4 + 2]
        e[r * 4 + 2] = d[r * 4 + 2] - d[r * 4 + 1]
        e[r * 4 + 3] = d[r * 4 + 1] - d[r * 4 + 3]
    for c in range(4):   # then rows: B^T . e
        v[(0 + c) * vs] = e[0 + c] - e[8 + c]
        v[(4 + c) * vs] = e[4 + c] + e[8 + c]
        v[(8 + c) * vs] = e[8 + c] - e[4 + c]
        v[(12 + c) * vs] = e[4 + c] - e[12 + c]


cdef inline void _grad_tile(const floating* plane, Py_ssize_t ho, Py_ssize_t wo, Py_ssize_t y, Py_ssize_t x,
                            floating* z, Py_ssize_t zs) noexcept nogil:
    """z[xi * zs] = (A dY A^T)[xi] for the 2x2 grad_out patch dY at (y, x), zero past the edge."""
    cdef floating d[4]
    cdef floating e[8]
    cdef Py_ssize_t r, c
    for r in range(2):
        for c in range(2):
            d[r * 2 + c] = plane[(y + r) * wo + x + c] if y + r < ho and x + c < wo else 0
    for r in range(2):   # columns of each row: dY . A^T
        e[r * 4 + 0] = d[r * 2]
        e[r * 4 + 1] = d[r * 2] + d[r * 2 + 1]
        e[r * 4 + 2] = d[r * 2] - d[r * 2 + 1]
        e[r * 4 + 3] = -d[r * 2 + 1]
    for c in range(4):   # then rows: A . e
        z[(0 + c) * zs] = e[c]
        z[(4 + c) * zs] = e[c] + e[4 + c]
        z[(8 + c) * zs] = e[c] - e[4 + c]
        z[(12 + c) * zs] = -e[4 + c]


cdef inline void _output_tile(const floating* m, Py_ssize_t ms, floating add, floating* plane,
                              Py_ssize_t ho, Py_ssize_t wo, Py_ssize_t y, Py_ssize_t x) noexcept nogil:
    """plane[y + a, x + b] = (A^T m A)[a, b] + add for the transformed tile m[xi * ms], inside the plane."""
    cdef floating s[8]
    cdef Py_ssize_t a, b, c
    for c in range(4):   # rows: A^T . m
        s[c] = m[c * ms] + m[(4 + c) * ms] + m[(8 + c) * ms]
        s[4 + c] = m[(4 + c) * ms] - m[(8 + c) * ms] - m[(12 + c) * ms]
    for a in range(2):   # then columns: s . A
        if y + a < ho:
            plane[(y + a) * wo + x] = s[a * 4] + s[a * 4 + 1] + s[a * 4 + 2] + add
            if x + 1 < wo:
                plane[(y + a) * wo + x + 1] = s[a * 4 + 1] - s[a * 4 + 2] - s[a * 4 + 3] + add


cdef void _transform_inputs(floating[:, :, :, ::1] x, Py_ssize_t tile0, Py_ssize_t ntiles, Py_ssize_t th,
                            Py_ssize_t tw, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t T, floating* v,
                            Py_ssize_t vs, Py_ssize_t cs, Py_ssize_t ts) noexcept nogil:
    """v[xi * vs + c * cs + t * ts] = V of channel c for tiles tile0 + t, t < T (zero past ntiles)."""
    cdef Py_ssize_t C = x.shape[1], H = x.shape[2], W = x.shape[3], c, t, n, y0, x0, xi
    cdef Py_ssize_t nin = min(T, ntiles - tile0)
    for c in range(C):
        _tile_origin(tile0, th, tw, &n, &y0, &x0)
        for t in range(nin):
            _input_tile(&x[n, c, 0, 0], H, W, y0 - ph, x0 - pw, v + c * cs + t * ts, vs)
            _next_tile(th, tw, &n, &y0, &x0)
        for xi in range(16):
            for t in range(nin, T):
                v[xi * vs + c * cs + t * ts] = 0


cdef void _winograd_block(floating[:, :, :, ::1] x, floating* u, floating* bias, Py_ssize_t ph, Py_ssize_t pw,
                          floating[:, :, :, ::1] out, Py_ssize_t tile0, Py_ssize_t ntiles, Py_ssize_t th,
                          Py_ssize_t tw, Py_ssize_t T, Py_ssize_t* off, floating* v, floating* m) noexcept nogil:
    """out's tiles tile0 .. tile0+T-1: transform, 16 channel products, inverse transform."""
    cdef Py_ssize_t C = x.shape[1], cout = out.shape[1], ho = out.shape[2], wo = out.shape[3]
    cdef Py_ssize_t xi, co, t, n, y0, x0, vs = C * T + WINO_SKEW, ms = cout * T + WINO_SKEW
    cdef floating add
    _transform_inputs(x, tile0, ntiles, th, tw, ph, pw, T, v, vs, T, 1)
    for xi in range(16):
        direct_acc(v + xi * vs, 1, 0, u + xi * cout * C, cout, off, C, m + xi * ms, T)
    for co in range(cout):
        add = bias[co] if bias != NULL else 0
        _tile_origin(tile0, th, tw, &n, &y0, &x0)
        for t in range(min(T, ntiles - tile0)):
            _output_tile(m + co * T + t, ms, add, &out[n, co, 0, 0], ho, wo, y0, x0)
            _next_tile(th, tw, &n, &y0, &x0)


def _winograd_forward(floating[:, :, :, ::1] x, floating[:, :, ::1] u, floating[::1] bias,
                      Py_ssize_t ph, Py_ssize_t pw, floating[:, :, :, ::1] out, Py_ssize_t[::1] off,
                      floating[:, ::1] vbuf, floating[:, ::1] mbuf):
    """out = conv(x) + bias with U = u (16, cout, C); the *buf rows are per thread."""
    cdef Py_ssize_t T = WINO_TILES, th = (out.shape[2] + 1) // 2, tw = (out.shape[3] + 1) // 2
    cdef Py_ssize_t ntiles = x.shape[0] * th * tw, blk, tid
    cdef floating* bp = data_or_null(bias)
    cdef int nt = vbuf.shape[0]
    with nogil, parallel(num_threads=nt):
        for blk in prange((ntiles + T - 1) // T, schedule="static"):
            tid = threadid()
            _winograd_block(x, &u[0, 0, 0], bp, ph, pw, out, blk * T, ntiles, th, tw, T, &off[0],
                            &vbuf[tid, 0], &mbuf[tid, 0])


def _winograd_wgrad(floating[:, :, :, ::1] x, floating[:, :, :, ::1] gout, Py_ssize_t ph, Py_ssize_t pw,
                    Py_ssize_t[::1] off, floating[:, :, :, ::1] sbuf, floating[:, ::1] vbuf,
                    floating[:, ::1] zbuf, floating[:, :, ::1] abuf):
    """sbuf[thread, xi] (cout, Cp) += S[xi] over that thread's blocks of tiles. Per block, V is
    stored tile-major (rows of Cp = sbuf.shape[3] channels, zero past C) so that the product
    over tiles is the direct kernel's: tap t reads row t of V, weighted by Z[xi][co, t]."""
    cdef Py_ssize_t T = WINO_WTILES, C = x.shape[1], cout = gout.shape[1], Cp = sbuf.shape[3]
    cdef Py_ssize_t ho = gout.shape[2], wo = gout.shape[3], th = (ho + 1) // 2, tw = (wo + 1) // 2
    cdef Py_ssize_t ntiles = x.shape[0] * th * tw, blk, tid, co, c, t, n, y0, x0, xi, tile0, nin
    cdef Py_ssize_t vs = T * Cp + WINO_SKEW, zs = cout * T + WINO_SKEW
    cdef floating* z
    cdef floating* acc
    cdef int nt = vbuf.shape[0]
    with nogil, parallel(num_threads=nt):
        for blk in prange((ntiles + T - 1) // T, schedule="static"):
            tid = threadid()
            tile0 = blk * T
            nin = min(T, ntiles - tile0)
            z = &zbuf[tid, 0]
            acc = &abuf[tid, 0, 0]
            _transform_inputs(x, tile0, ntiles, th, tw, ph, pw, T, &vbuf[tid, 0], vs, 1, Cp)
            for co in range(cout):
                _tile_origin(tile0, th, tw, &n, &y0, &x0)
                for t in range(nin):
                    _grad_tile(&gout[n, co, 0, 0], ho, wo, y0, x0, z + co * T + t, zs)
                    _next_tile(th, tw, &n, &y0, &x0)
                for xi in range(16):
                    for t in range(nin, T):
                        z[xi * zs + co * T + t] = 0
            for xi in range(16):
                direct_acc(&vbuf[tid, xi * vs], 1, 0, z + xi * zs, cout, &off[0], T, acc, Cp)
                for co in range(cout):
                    for c in range(C):
                        sbuf[tid, xi, co, c] += acc[co * Cp + c]


cdef int _winograd_threads(Py_ssize_t blocks, Py_ssize_t work):
    """Threads for `blocks` blocks of tiles, `work` multiply-adds in all (at least 1)."""
    return max(1, min(threads_for(work, MIN_WORK), blocks))


def _winograd_conv(x, weight, bias, Py_ssize_t ph, Py_ssize_t pw):
    """conv2d of x (N, C, H, W) with the 3x3 weight (cout, C, 3, 3), stride 1, padding (ph, pw)."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], cout = weight.shape[0], T = WINO_TILES
    ho, wo = x.shape[2] + 2 * ph - 2, x.shape[3] + 2 * pw - 2
    ntiles = N * ((ho + 1) // 2) * ((wo + 1) // 2)
    nt = _winograd_threads(-(-ntiles // T), ntiles * 16 * cout * C)
    u = np.ascontiguousarray(np.einsum("ia,ocab,jb->ijoc", _WINO_G, weight, _WINO_G).reshape(16, cout, C),
                             dtype=x.dtype)
    out = np.empty((N, cout, ho, wo), x.dtype)
    _winograd_forward(x, u, bias, ph, pw, out, np.arange(C, dtype=np.intp) * T, np.empty((nt, 16 * (C * T + WINO_SKEW)), x.dtype),
                      np.empty((nt, 16 * (cout * T + WINO_SKEW)), x.dtype))
    return out


def _winograd_input_grad(weight, gout, Py_ssize_t ph, Py_ssize_t pw):
    """The input gradient: grad_out convolved with the flipped kernel, channel axes swapped,
    padded so that the output has the input's size."""
    wt = np.ascontiguousarray(weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
    return _winograd_conv(gout, wt, None, 2 - ph, 2 - pw)


def _winograd_weight_grad(x, weight, gout, Py_ssize_t ph, Py_ssize_t pw):
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], cout = weight.shape[0], T = WINO_WTILES
    cdef Py_ssize_t Cp = (C + FNN_DC_PAD - 1) // FNN_DC_PAD * FNN_DC_PAD
    ntiles = N * ((gout.shape[2] + 1) // 2) * ((gout.shape[3] + 1) // 2)
    nt = _winograd_threads(-(-ntiles // T), ntiles * 16 * cout * Cp)
    sbuf = np.zeros((nt, 16, cout, Cp), x.dtype)
    _winograd_wgrad(x, gout, ph, pw, np.arange(T, dtype=np.intp) * Cp, sbuf,
                    np.zeros((nt, 16 * (T * Cp + WINO_SKEW)), x.dtype),   # zero: the channels past C stay so
                    np.empty((nt, 16 * (cout * T + WINO_SKEW)), x.dtype), np.empty((nt, cout, Cp), x.dtype))
    s = sbuf[..., :C].sum(axis=0).reshape(4, 4, cout, C)
    return np.einsum("ia,ijoc,jb->ocab", _WINO_G, s, _WINO_G).astype(x.dtype)
