# Winograd F(2x2, 3x3) for 3x3, stride-1, undilated, ungrouped convolutions (Lavin & Gray,
# "Fast Algorithms for Convolutional Neural Networks", 2016). Each 2x2 block of outputs
# ("tile") reads a 4x4 input patch d; with U = G g G^T per (out, in) channel pair and
# V = B^T d B per input channel, the tile is A^T (sum over in channels of U . V) A, so
# the channel sums become 16 GEMMs (one per position xi of the 4x4 transform) of
# U[xi] (cout, cin) by V[xi] (cin, tiles): 16 multiplies per 4 outputs against 36 direct.
# The GEMMs run on the register-blocked micro-kernel of panelgemm.h, reading V[xi] in place
# as its panel (rows of T tiles, a multiple of every panel width), and each thread runs whole
# blocks of tiles, claimed one at a time (gemmpool.h's threads): no BLAS threads to synchronise
# (OpenBLAS's spin-waits were most of the im2col path's time on a busy 2-core machine), and no
# thread's share fixed in advance for a descheduled thread to hold up. The transforms are in
# winograd.h.
#
# The input gradient is the same pass over grad_out with the flipped, channel-swapped
# kernel; the weight gradient is the adjoint of the forward: per xi, S[xi] (cout, cin) =
# sum over tiles of (A dY A^T)[xi] (V[xi])^T, then dL/dg = G^T S G: S[xi]^T = V[xi] Z[xi]
# with Z = A dY A^T stored tile-major (rows of cout_padded >= cout values, a multiple of every panel
# width), Z[xi] the micro-kernel's panel. Its per-thread buffers grow with C * cout (S) and with
# T * (C + cout) (V, Z): above WINO_WGRAD_BYTES in all, the pass runs over blocks of input and
# output channels, each block's S summed into its part of the result.
# Included by conv.pyx.

# Tiles per forward block: V and M of 64 channels are 256 KB each, in L2. CPU time of the ResNet
# layer's forward 15.5-15.9 ms at 64, 15.7-16.0 at 128, 17.3-19.0 at 32 (Xeon AVX-512, load 4).
cdef Py_ssize_t WINO_TILES = 64
# Tiles per weight-gradient block: more tiles mean fewer updates of S per product, but at 256 a
# block's V, Z and S (2.3 MB a thread for 64 x 64 channels) outgrew L2: CPU time of the ResNet
# layer's weight gradient 27.2-28.7 ms at 256, 24.5-25.3 at 128 and 24.9-26.4 at 64 (Xeon
# AVX-512, float32, load 4).
cdef Py_ssize_t WINO_WTILES = 128
# The 16 transformed matrices of a block sit SKEW values further apart than their size: at
# a power-of-two distance the 16 values of one tile fell in one L1 set (transforms ran at
# twice the time of the channel products).
cdef Py_ssize_t WINO_SKEW = 32
# Z's rows (and S's) hold the output channels rounded up to a multiple of this: a multiple of every
# build's panel width (2 vectors: 8 to 32 values), so the products run on whole panels.
cdef Py_ssize_t WINO_COUT_ROUND = 32
# Cap on the weight gradient's workspace, all threads together (uncapped, 512 x 512 channels
# on 16 threads take 387 MiB in float32).
cdef Py_ssize_t WINO_WGRAD_BYTES = 64 << 20
# Output channels whose Z the weight gradient transforms before moving them into Z's rows: 16
# values are one cache line of a float row of Z.
cdef Py_ssize_t WINO_ZGROUP = 16


def _set_winograd_workspace(Py_ssize_t nbytes):
    """Set the weight gradient's workspace cap in bytes (tests use a small one to force
    channel blocks); returns the previous cap."""
    global WINO_WGRAD_BYTES
    if nbytes < 1:
        raise ValueError(f"nbytes must be positive, got {nbytes}")
    old = WINO_WGRAD_BYTES
    WINO_WGRAD_BYTES = nbytes
    return old


# The filter transforms, U = G g G^T and its adjoint G^T S G with G = [[1, 0, 0], [1/2, 1/2, 1/2],
# [1/2, -1/2, 1/2], [0, 0, 1]], written out per channel pair in float64 (as Lavin & Gray's G, whose
# entries are exact in binary). An einsum over the four arrays took 1-1.8 ms a call for 64 x 64 channels:
# 3.9 ms, 11%, of the ResNet layer's forward+backward (AMD EPYC Zen 5).

cdef inline void _g_rows(const double *r0, const double *r1, const double *r2, Py_ssize_t step, Py_ssize_t count,
                         double *out, Py_ssize_t ostep) noexcept nogil:
    # out[0..3] = G (r0, r1, r2), elementwise along `count` values `step` apart; out rows `ostep` apart.
    cdef Py_ssize_t b
    for b in range(count):
        out[b] = r0[b * step]
        out[ostep + b] = 0.5 * (r0[b * step] + r1[b * step] + r2[b * step])
        out[2 * ostep + b] = 0.5 * (r0[b * step] - r1[b * step] + r2[b * step])
        out[3 * ostep + b] = r2[b * step]


cdef inline void _gt_rows(const double *s0, const double *s1, const double *s2, const double *s3, Py_ssize_t step,
                          Py_ssize_t count, double *out, Py_ssize_t ostep) noexcept nogil:
    # out[0..2] = G^T (s0, s1, s2, s3), elementwise along `count` values `step` apart; out rows `ostep` apart.
    cdef Py_ssize_t b
    for b in range(count):
        out[b] = s0[b * step] + 0.5 * (s1[b * step] + s2[b * step])
        out[ostep + b] = 0.5 * (s1[b * step] - s2[b * step])
        out[2 * ostep + b] = 0.5 * (s1[b * step] + s2[b * step]) + s3[b * step]


def _wino_filter(weight, dtype):
    """U (16, cout, C) of the weight (cout, C, 3, 3), of dtype: U[4i + j, o, c] = (G g_oc G^T)[i, j]. Computed
    pair by pair into (pairs, 16) and transposed by NumPy: writing U's 16 rows (one pair count apart, a
    multiple of 4 KB for 64 x 64 channels) pair by pair took 290 us a call, this 55-58 us."""
    cdef Py_ssize_t cout = weight.shape[0], C = weight.shape[1], n = cout * C, p
    cdef const double[:, ::1] w = np.ascontiguousarray(weight, dtype=np.float64).reshape(n, 9)
    u = np.empty((n, 4, 4), np.float64)   # U^T of each pair
    cdef double[:, :, ::1] uv = u
    cdef double t[12]
    with nogil:
        for p in range(n):
            _g_rows(&w[p, 0], &w[p, 3], &w[p, 6], 1, 3, t, 3)       # t (4, 3) = G g
            _g_rows(&t[0], &t[1], &t[2], 3, 4, &uv[p, 0, 0], 4)     # (4, 4) = G t^T = U^T
    return np.ascontiguousarray(u.transpose(2, 1, 0), dtype=dtype).reshape(16, cout, C)


def _wino_filter_grad(s, dtype):
    """The weight gradient (cout, C, 3, 3), of dtype, from S (16, C, cout): G^T S_co G per channel pair, read
    pair by pair from S transposed by NumPy (as _wino_filter)."""
    cdef Py_ssize_t C = s.shape[1], cout = s.shape[2], n = C * cout, p
    cdef const double[:, ::1] sv = np.ascontiguousarray(s.reshape(16, n).T, dtype=np.float64)   # (pairs, 16)
    gw = np.empty((n, 3, 3), np.float64)   # (G^T S G)^T of each pair
    cdef double[:, :, ::1] gv = gw
    cdef double r[12]
    with nogil:
        for p in range(n):
            _gt_rows(&sv[p, 0], &sv[p, 4], &sv[p, 8], &sv[p, 12], 1, 4, r, 4)   # r (3, 4) = G^T S
            _gt_rows(&r[0], &r[1], &r[2], &r[3], 4, 3, &gv[p, 0, 0], 3)         # (3, 3) = G^T r^T = (r G)^T
    return np.ascontiguousarray(gw.reshape(C, cout, 3, 3).transpose(1, 0, 3, 2), dtype=dtype)


ctypedef struct _WinoJob:
    # One pass over blocks of T tiles, for float (single) or double arrays. Forward: x (N, C, H, W),
    # u (16, cout, C), bias or NULL, out (N, cout, ho, wo); work holds M. Weight gradient: x's
    # channels [c0, c0 + C) of xC, gout's [o0, o0 + cout) of its oC, s_partial (parts, 16, C,
    # cout_padded); work holds Z, and zg its channel groups. Each part's workspace is at
    # part * its *_len. Blocks are claimed through `next`.
    bint single
    const void* x
    const void* u
    const void* bias
    void* out
    const void* gout
    void* s_partial
    void* buf
    void* v
    void* work
    void* zg
    Py_ssize_t buf_len, v_len, work_len, zg_len
    Py_ssize_t N, C, H, W, cout, ho, wo, ph, pw, th, tw, ntiles, T, panel_width
    Py_ssize_t xC, c0, oC, o0, cout_padded
    Py_ssize_t blocks, next
    Py_ssize_t runs      # the weight gradient's: runs of blocks, one S each (_claim_run)
    Py_ssize_t not_finite   # forward: set when an output is inf or NaN


cdef inline Py_ssize_t _segment(Py_ssize_t tile, Py_ssize_t left, Py_ssize_t th, Py_ssize_t tw,
                                Py_ssize_t* n, Py_ssize_t* y0, Py_ssize_t* x0) noexcept nogil:
    """Image and top-left output pixel of tile number `tile` (tiles run row-major per image),
    and how many tiles from it on (at most `left`) lie in its tile row."""
    n[0] = tile // (th * tw)
    y0[0] = (tile // tw) % th * 2
    x0[0] = tile % tw * 2
    return min(left, tw - tile % tw)


cdef void _transform_inputs(const floating* x, Py_ssize_t xC, Py_ssize_t H, Py_ssize_t W, Py_ssize_t c0,
                            Py_ssize_t nc, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t tile0, Py_ssize_t ntiles,
                            Py_ssize_t th, Py_ssize_t tw, Py_ssize_t T, floating* buf, floating* v,
                            Py_ssize_t v_stride) noexcept nogil:
    """v[xi * v_stride + c * T + t] = V of channel c0 + c, c < nc, of x (N, xC, H, W) for tiles
    tile0 + t, t < T (zero past ntiles)."""
    cdef Py_ssize_t nin = min(T, ntiles - tile0), c, pos, seg, n, y0, x0, xi
    for c in range(nc):
        pos = 0
        while pos < nin:
            seg = _segment(tile0 + pos, nin - pos, th, tw, &n, &y0, &x0)
            wino_input(x + (n * xC + c0 + c) * H * W, H, W, y0 - ph, x0 - pw, seg, v + c * T + pos, v_stride, buf)
            pos += seg
        if nin < T:
            for xi in range(16):
                memset(v + xi * v_stride + c * T + nin, 0, (T - nin) * sizeof(floating))


cdef void _forward_blocks(_WinoJob* j, int part, floating* kind) noexcept nogil:
    """Claim blocks of out's tiles until none is left; each: transform, 16 channel products,
    inverse transform. (kind only selects the type.)"""
    cdef Py_ssize_t T = j.T, C = j.C, cout = j.cout, pw_ = j.panel_width, blk, tile0, nin, xi, p, co, n, y0, x0, pos, seg
    cdef Py_ssize_t v_stride = C * T + WINO_SKEW, m_stride = cout * T + WINO_SKEW
    cdef const floating* u = <const floating*>j.u
    cdef const floating* bias = <const floating*>j.bias
    cdef floating* out = <floating*>j.out
    cdef floating* buf = <floating*>j.buf + part * j.buf_len
    cdef floating* v = <floating*>j.v + part * j.v_len
    cdef floating* m = <floating*>j.work + part * j.work_len
    cdef int bad = 0
    while True:
        blk = fnn_claim(&j.next)
        if blk >= j.blocks:
            if bad:
                fnn_flag(&j.not_finite)
            return
        tile0 = blk * T
        nin = min(T, j.ntiles - tile0)
        _transform_inputs(<const floating*>j.x, C, j.H, j.W, 0, C, j.ph, j.pw, tile0, j.ntiles, j.th, j.tw, T,
                          buf, v, v_stride)
        for xi in range(16):   # M[xi] (cout, T) = U[xi] (cout, C) @ V[xi] (C, T)
            for p in range(T // pw_):
                panel_gemm(cout, C, u + xi * cout * C, C, v + xi * v_stride + p * pw_, T, False,
                           m + xi * m_stride + p * pw_, T, pw_)
        for co in range(cout):
            pos = 0
            while pos < nin:
                seg = _segment(tile0 + pos, nin - pos, j.th, j.tw, &n, &y0, &x0)
                bad |= wino_output(m + co * T + pos, m_stride, seg, bias[co] if bias != NULL else 0,
                                   out + (n * cout + co) * j.ho * j.wo, j.ho, j.wo, y0, x0, buf)
                pos += seg


cdef void _z_transform(const floating* gout, Py_ssize_t oC, Py_ssize_t ho, Py_ssize_t wo, Py_ssize_t o0,
                       Py_ssize_t cout, Py_ssize_t tile0, Py_ssize_t ntiles, Py_ssize_t th, Py_ssize_t tw,
                       Py_ssize_t T, Py_ssize_t cout_padded, floating* buf, floating* zg, floating* z,
                       Py_ssize_t z_stride) noexcept nogil:
    """z[xi * z_stride + t * cout_padded + co] = Z of output channel o0 + co, co < cout, of gout
    (N, oC, ho, wo) for tiles tile0 + t, t < T (zero past ntiles). The transform writes
    WINO_ZGROUP channels channel-major into zg, which are then moved into Z's rows: written
    straight there, each value was a store to another cache line. The channels sit zs = 16 T +
    WINO_SKEW values apart: at 16 T, the 16 values moved into one row of Z fell in one L1 set."""
    cdef Py_ssize_t nin = min(T, ntiles - tile0), g0 = 0, ng, k, pos, seg, n, y0, x0
    cdef Py_ssize_t zs = 16 * T + WINO_SKEW
    while g0 < cout:
        ng = min(WINO_ZGROUP, cout - g0)
        for k in range(ng):
            if nin < T:
                memset(zg + k * zs, 0, 16 * T * sizeof(floating))
            pos = 0
            while pos < nin:
                seg = _segment(tile0 + pos, nin - pos, th, tw, &n, &y0, &x0)
                wino_grad(gout + (n * oC + o0 + g0 + k) * ho * wo, ho, wo, y0, x0, seg, zg + k * zs + pos, T, buf)
                pos += seg
        wino_regroup(zg, zs, T, ng, z + g0, z_stride, cout_padded)
        g0 += ng


cdef void _wgrad_blocks_run(_WinoJob* j, int part, floating* kind) noexcept nogil:
    """Claim runs of blocks of tiles until none is left (_claim_run); each block of run r adds V[xi] (C, T) @
    Z[xi] (T, cout_padded) into S of that run (s_partial[r, xi]), through this part's workspace."""
    cdef Py_ssize_t blk
    cdef floating* buf = <floating*>j.buf + part * j.buf_len
    cdef floating* v = <floating*>j.v + part * j.v_len
    cdef floating* z = <floating*>j.work + part * j.work_len
    cdef floating* zg = <floating*>j.zg + part * j.zg_len
    cdef floating* s
    cdef Py_ssize_t run, first, end
    while True:
        run = _claim_run(&j.next, j.runs, j.blocks, &first, &end)
        if run < 0:
            return
        s = <floating*>j.s_partial + run * 16 * j.C * j.cout_padded
        for blk in range(first, end):
            _wgrad_block(j, blk, buf, v, z, zg, s)


cdef void _wgrad_block(_WinoJob* j, Py_ssize_t blk, floating* buf, floating* v, floating* z, floating* zg,
                       floating* s) noexcept nogil:
    """s += V[xi] (C, T) @ Z[xi] (T, cout_padded) of block blk, for every xi, through the part's workspace."""
    cdef Py_ssize_t T = j.T, C = j.C, cp = j.cout_padded, pw_ = j.panel_width, xi, p
    cdef Py_ssize_t v_stride = C * T + WINO_SKEW, z_stride = T * cp + WINO_SKEW
    _transform_inputs(<const floating*>j.x, j.xC, j.H, j.W, j.c0, C, j.ph, j.pw, blk * T, j.ntiles, j.th, j.tw,
                      T, buf, v, v_stride)
    _z_transform(<const floating*>j.gout, j.oC, j.ho, j.wo, j.o0, j.cout, blk * T, j.ntiles, j.th, j.tw, T, cp,
                 buf, zg, z, z_stride)
    for xi in range(16):
        for p in range(cp // pw_):
            panel_gemm(C, T, v + xi * v_stride, T, z + xi * z_stride + p * pw_, cp, True,
                       s + xi * C * cp + p * pw_, cp, pw_)


cdef void _forward_part(void* ctx, int part) noexcept nogil:
    if (<_WinoJob*>ctx).single:
        _forward_blocks(<_WinoJob*>ctx, part, <float*>NULL)
    else:
        _forward_blocks(<_WinoJob*>ctx, part, <double*>NULL)


cdef void _wgrad_part(void* ctx, int part) noexcept nogil:
    if (<_WinoJob*>ctx).single:
        _wgrad_blocks_run(<_WinoJob*>ctx, part, <float*>NULL)
    else:
        _wgrad_blocks_run(<_WinoJob*>ctx, part, <double*>NULL)


def _winograd_forward(const floating[:, :, :, ::1] x, const floating[:, :, ::1] u, const floating[::1] bias,
                      Py_ssize_t ph, Py_ssize_t pw, floating[:, :, :, ::1] out, Py_ssize_t panel_width,
                      floating[:, ::1] patches, floating[:, ::1] v_transformed, floating[:, ::1] m_products):
    """out = conv(x) + bias with U = u (16, cout, C); the workspace rows are per part. Returns
    False if an output is inf or NaN."""
    cdef _WinoJob j
    j.single = floating is float
    j.x, j.u, j.bias, j.out = &x[0, 0, 0, 0], &u[0, 0, 0], const_data_or_null(bias), &out[0, 0, 0, 0]
    j.buf, j.v, j.work = &patches[0, 0], &v_transformed[0, 0], &m_products[0, 0]
    j.buf_len, j.v_len, j.work_len = patches.shape[1], v_transformed.shape[1], m_products.shape[1]
    j.N, j.C, j.H, j.W, j.cout, j.ho, j.wo = x.shape[0], x.shape[1], x.shape[2], x.shape[3], out.shape[1], out.shape[2], out.shape[3]
    j.ph, j.pw, j.th, j.tw, j.T, j.panel_width = ph, pw, (j.ho + 1) // 2, (j.wo + 1) // 2, WINO_TILES, panel_width
    j.ntiles = j.N * j.th * j.tw
    j.blocks = (j.ntiles + j.T - 1) // j.T
    j.not_finite = 0
    with nogil:
        _run_parts(&j.next, <int>v_transformed.shape[0], _forward_part, &j)
    return not j.not_finite


def _winograd_wgrad(const floating[:, :, :, ::1] x, const floating[:, :, :, ::1] gout, Py_ssize_t c0,
                    Py_ssize_t C, Py_ssize_t o0, Py_ssize_t cout, Py_ssize_t ph, Py_ssize_t pw,
                    Py_ssize_t panel_width, floating[:, :, :, ::1] s_partial, floating[:, ::1] patches,
                    floating[:, ::1] v_transformed, floating[:, ::1] z_group, floating[:, ::1] z_transformed):
    """For the input channels [c0, c0 + C) and output channels [o0, o0 + cout):
    s_partial[part, xi] (C, cout_padded) += S[xi]^T = V[xi] (C, T) @ Z[xi] (T, cout_padded) over
    that part's blocks of tiles; Z is stored tile-major, rows of cout_padded = s_partial.shape[3]
    values (zero past cout)."""
    cdef _WinoJob j
    j.single = floating is float
    j.x, j.gout, j.s_partial = &x[0, 0, 0, 0], &gout[0, 0, 0, 0], &s_partial[0, 0, 0, 0]
    j.buf, j.v, j.work, j.zg = &patches[0, 0], &v_transformed[0, 0], &z_transformed[0, 0], &z_group[0, 0]
    j.buf_len, j.v_len, j.work_len, j.zg_len = (patches.shape[1], v_transformed.shape[1], z_transformed.shape[1],
                                                 z_group.shape[1])
    j.N, j.xC, j.H, j.W, j.c0, j.C = x.shape[0], x.shape[1], x.shape[2], x.shape[3], c0, C
    j.oC, j.ho, j.wo, j.o0, j.cout, j.cout_padded = gout.shape[1], gout.shape[2], gout.shape[3], o0, cout, s_partial.shape[3]
    j.ph, j.pw, j.th, j.tw, j.T, j.panel_width = ph, pw, (j.ho + 1) // 2, (j.wo + 1) // 2, WINO_WTILES, panel_width
    j.ntiles = j.N * j.th * j.tw
    j.blocks, j.runs = (j.ntiles + j.T - 1) // j.T, s_partial.shape[0]
    with nogil:
        _run_parts(&j.next, <int>v_transformed.shape[0], _wgrad_part, &j)


cdef Py_ssize_t _panel_width(dtype):
    return fastnn_panel_width_f() if dtype == np.float32 else fastnn_panel_width_d()


cdef int _winograd_threads(Py_ssize_t blocks, Py_ssize_t work):
    """Threads for `blocks` blocks of tiles, `work` multiply-adds in all (at least 1)."""
    return max(1, min(threads_for(work, MIN_WORK), blocks))


def _winograd_conv(x, weight, bias, Py_ssize_t ph, Py_ssize_t pw):
    """conv2d of x (N, C, H, W) with the 3x3 weight (cout, C, 3, 3), stride 1, padding (ph, pw);
    None if an output is inf or NaN. Winograd's transforms subtract neighbouring values, turning
    one inf into NaN across its tile, so such results are left to the other paths; an inf or NaN
    input always gives one (they never become finite through sums and products), and checking the
    outputs as they are written costs no pass over the inputs."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], cout = weight.shape[0], T = WINO_TILES
    ho, wo = x.shape[2] + 2 * ph - 2, x.shape[3] + 2 * pw - 2
    ntiles = N * ((ho + 1) // 2) * ((wo + 1) // 2)
    nt = _winograd_threads(-(-ntiles // T), ntiles * 16 * cout * C)
    u = _wino_filter(weight, x.dtype)
    out = np.empty((N, cout, ho, wo), x.dtype)
    if not _winograd_forward(x, u, bias, ph, pw, out, _panel_width(x.dtype), np.empty((nt, 16 * T), x.dtype),
                             np.empty((nt, 16 * (C * T + WINO_SKEW)), x.dtype),
                             np.empty((nt, 16 * (cout * T + WINO_SKEW)), x.dtype)):
        return None
    return out


def _winograd_input_grad(weight, gout, Py_ssize_t ph, Py_ssize_t pw):
    """The input gradient: grad_out convolved with the flipped kernel, channel axes swapped,
    padded so that the output has the input's size (None if not finite, as _winograd_conv)."""
    wt = np.ascontiguousarray(weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
    return _winograd_conv(gout, wt, None, 2 - ph, 2 - pw)


cdef Py_ssize_t _cout_rounded(Py_ssize_t n):
    return (n + WINO_COUT_ROUND - 1) // WINO_COUT_ROUND * WINO_COUT_ROUND


cpdef Py_ssize_t _wgrad_bytes(Py_ssize_t cb, Py_ssize_t ob, int nt, Py_ssize_t itemsize):
    """The weight gradient's workspace for blocks of cb input and ob output channels."""
    cdef Py_ssize_t T = WINO_WTILES, cout_padded = _cout_rounded(ob)
    return nt * itemsize * 16 * (T + (cb * T + WINO_SKEW) + (T * cout_padded + WINO_SKEW) + cb * cout_padded
                                 + WINO_ZGROUP * (T + WINO_SKEW))


cpdef tuple _wgrad_blocks(Py_ssize_t C, Py_ssize_t cout, int nt, Py_ssize_t itemsize):
    """Channel blocks (input, output) whose workspace fits WINO_WGRAD_BYTES: halve the larger
    until it fits (output blocks stay multiples of WINO_COUT_ROUND), or the smallest blocks."""
    cdef Py_ssize_t cb = C, ob = cout
    while _wgrad_bytes(cb, ob, nt, itemsize) > WINO_WGRAD_BYTES and (cb > 1 or ob > WINO_COUT_ROUND):
        if cb >= _cout_rounded(ob) or ob <= WINO_COUT_ROUND:
            cb = (cb + 1) // 2
        else:
            ob = _cout_rounded((ob + 1) // 2)
    return cb, ob


def _winograd_weight_grad(x, weight, gout, Py_ssize_t ph, Py_ssize_t pw):
    """The weight gradient (None if not finite, as _winograd_conv)."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], cout = weight.shape[0], T = WINO_WTILES
    ntiles = N * ((gout.shape[2] + 1) // 2) * ((gout.shape[3] + 1) // 2)
    nt = _winograd_threads(-(-ntiles // T), ntiles * 16 * _cout_rounded(cout) * C)
    cb, ob = _wgrad_blocks(C, cout, nt, x.itemsize)
    cout_padded, panel_width = _cout_rounded(ob), _panel_width(x.dtype)
    s_partial = np.empty((nt, 16, cb, cout_padded), x.dtype)
    patches = np.empty((nt, 16 * T), x.dtype)
    v_transformed = np.empty((nt, 16 * (cb * T + WINO_SKEW)), x.dtype)
    z_group = np.empty((nt, WINO_ZGROUP * (16 * T + WINO_SKEW)), x.dtype)
    z_transformed = np.empty((nt, 16 * (T * cout_padded + WINO_SKEW)), x.dtype)
    s = np.empty((16, C, cout), x.dtype)
    for c0 in range(0, C, cb):
        c1 = min(C, c0 + cb)
        for o0 in range(0, cout, ob):
            o1 = min(cout, o0 + ob)
            s_partial.fill(0)
            z_transformed.fill(0)   # the columns past this block's output channels must stay zero
            _winograd_wgrad(x, gout, c0, c1 - c0, o0, o1 - o0, ph, pw, panel_width, s_partial, patches,
                            v_transformed, z_group, z_transformed)
            s[:, c0:c1, o0:o1] = s_partial[:, :, :c1 - c0, :o1 - o0].sum(axis=0)
    gw = _wino_filter_grad(s, x.dtype)
    return gw if np.isfinite(gw.sum(dtype=gw.dtype)) else None   # as _winograd_conv: inf or NaN inputs give one

