# 2-D convolution (and its transpose) by im2col + one large GEMM per group and
# batch chunk, or, for stride 1, by direct kernels (csrc/directconv.h) that read
# zero-padded input planes in place of an im2col matrix; each pass of conv2d picks
# whichever its measured rules say is faster (_direct_pays). Max/avg pooling and
# nearest upsampling are direct loops.
#
# Layout is NCHW throughout. im2col turns a chunk of nb images into a matrix
# col[K, nb * P] (K = C/groups * kh * kw rows, P = Ho * Wo output pixels per image),
# so one GEMM per group does the whole chunk: BLAS runs it on all cores, and the
# loops around it (im2col, col2im, scatter, bias) run under OpenMP prange. BLAS is
# never called inside a prange region, so the two thread pools never nest.
from cython.parallel cimport prange, parallel, threadid
from libc.string cimport memcpy, memset
from cython cimport floating
import math
import threading

import numpy as np
from blas cimport gemm
from parallel cimport threads_for

include "checks.pxi"

cdef Py_ssize_t MIN_WORK = 32768
cdef Py_ssize_t COL_BYTES = 8 << 20    # cap on the im2col workspace of one chunk: a quarter of
                                       # L3, so GEMM reads col from cache (ResNet layer 121 -> 105 ms)


# ----------------------------------------------------------------------------- geometry

cdef tuple _pair(object v, str name, bint positive):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
        a, b = v
    else:
        a = b = v
    try:
        a, b = int(a), int(b)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an int or a pair of ints, got {v!r}") from None
    if positive and (a <= 0 or b <= 0):
        raise ValueError(f"{name} must be positive, got {v!r}")
    if not positive and (a < 0 or b < 0):
        raise ValueError(f"{name} must be non-negative, got {v!r}")
    return a, b


cdef Py_ssize_t _conv_out(Py_ssize_t size, Py_ssize_t k, Py_ssize_t s, Py_ssize_t p, Py_ssize_t d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


cdef object _check_conv(x, weight, bias, stride, padding, dilation, groups, bint transposed):
    check_float(x, "input", 4)
    check_same_dtype(weight, "weight", x, "input", 4)
    st = _pair(stride, "stride", True)
    pd = _pair(padding, "padding", False)
    dl = _pair(dilation, "dilation", True)
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    C = x.shape[1]
    if transposed:
        if weight.shape[0] != C:
            raise ValueError(f"weight must have {C} input channels in dim 0 (input has {C} channels), got shape {weight.shape}")
        if C % groups:
            raise ValueError(f"groups ({groups}) must divide the input channels ({C})")
        cout = weight.shape[1] * groups
    else:
        if C % groups or weight.shape[0] % groups:
            raise ValueError(f"groups ({groups}) must divide both input channels ({C}) and output channels ({weight.shape[0]})")
        if weight.shape[1] * groups != C:
            raise ValueError(f"weight expects {weight.shape[1] * groups} input channels (shape {weight.shape}, groups={groups}), "
                             f"but input has {C}")
        cout = weight.shape[0]
    if bias is not None:
        check_same_dtype(bias, "bias", x, "input", 1)
        if bias.shape[0] != cout:
            raise ValueError(f"bias must have shape ({cout},), got {bias.shape}")
    return st, pd, dl


# ----------------------------------------------------------------------------- im2col / col2im

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
    of those rows keep the source index q + dy*W + dx inside the plane."""
    cdef Py_ssize_t shift = dy * W + dx
    oy0[0] = 0 if dy >= 0 else -dy
    oy1[0] = ho if H - dy > ho else H - dy
    if oy1[0] < oy0[0]:
        oy1[0] = oy0[0]
    qa[0] = oy0[0] * W if oy0[0] * W + shift >= 0 else -shift
    qb[0] = oy1[0] * W if oy1[0] * W + shift <= H * W else H * W - shift
    if qb[0] < qa[0]:
        qb[0] = qa[0]


cdef void _shifted_plane_copy(floating* plane, floating* dst, Py_ssize_t H, Py_ssize_t W, Py_ssize_t ho,
                              Py_ssize_t dy, Py_ssize_t dx, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """dst[oy * W + ox] = plane[oy + dy, ox + dx] for oy < ho, ox < W (0 outside the plane)."""
    cdef Py_ssize_t oy0, oy1, qa, qb, q, oy, ox
    cdef floating* src = plane + dy * W + dx
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


cdef void _im2col(floating[:, :, :, ::1] x, Py_ssize_t n0, Py_ssize_t nb, Py_ssize_t c0, Py_ssize_t cg,
                  Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw,
                  Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho, Py_ssize_t wo, floating[:, ::1] col) noexcept nogil:
    """col[(c, i, j), b * P + oy * wo + ox] = x[n0 + b, c0 + c, oy*sh - ph + i*dh, ox*sw - pw + j*dw] (0 outside).

    Rows are filled as zero margins around one gather of the in-bounds run (a straight copy
    for stride 1), so the inner loop has no bounds tests and vectorises."""
    cdef Py_ssize_t H = x.shape[2], W = x.shape[3], P = ho * wo
    cdef Py_ssize_t task, k, b, c, i, j, oy, ox, iy, off, lo, hi
    cdef Py_ssize_t tasks = cg * kh * kw * nb
    cdef int nt = threads_for(tasks * P, MIN_WORK)
    cdef floating* dst
    cdef floating* src
    for task in prange(tasks, num_threads=nt, schedule="static"):
        k = task // nb
        b = task % nb
        c = k // (kh * kw)
        i = (k // kw) % kh
        j = k % kw
        off = j * dw - pw
        lo = _run_start(sw, off, wo)
        hi = _run_end(sw, off, W, wo)
        if hi < lo:
            hi = lo
        if sh == 1 and sw == 1 and wo == W:
            _shifted_plane_copy(&x[n0 + b, c0 + c, 0, 0], &col[k, b * P], H, W, ho, i * dh - ph, off, lo, hi)
            continue
        for oy in range(ho):
            dst = &col[k, b * P + oy * wo]
            iy = oy * sh - ph + i * dh
            if iy < 0 or iy >= H:
                for ox in range(wo):
                    dst[ox] = 0
                continue
            src = &x[n0 + b, c0 + c, iy, 0] + off
            for ox in range(lo):
                dst[ox] = 0
            if sw == 1:
                for ox in range(lo, hi):
                    dst[ox] = src[ox]
            else:
                for ox in range(lo, hi):
                    dst[ox] = src[ox * sw]
            for ox in range(hi, wo):
                dst[ox] = 0


cdef void _col2im(floating[:, ::1] col, Py_ssize_t n0, Py_ssize_t nb, Py_ssize_t c0, Py_ssize_t cg,
                  Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw,
                  Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho, Py_ssize_t wo, floating[:, :, :, ::1] gx) noexcept nogil:
    """Adjoint of _im2col: gx[n0 + b, c0 + c] += every col entry that was read from it."""
    cdef Py_ssize_t H = gx.shape[2], W = gx.shape[3], P = ho * wo
    cdef Py_ssize_t plane, b, c, i, j, k, oy, ox, iy, off, lo, hi
    cdef int nt = threads_for(nb * cg * kh * kw * P, MIN_WORK)
    cdef floating* dst
    cdef floating* src
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


cdef void _scatter_out(floating[:, ::1] tmp, floating[:, :, ::1] out, Py_ssize_t n0, Py_ssize_t nb,
                       Py_ssize_t co0, floating* bias, bint accumulate) noexcept nogil:
    """out[n0 + b, co0 + co, :] (+)= tmp[co, b * P : (b + 1) * P] (+ bias[co0 + co])."""
    cdef Py_ssize_t coutg = tmp.shape[0], P = out.shape[2], task, b, co, p
    cdef floating add
    cdef int nt = threads_for(coutg * nb * P, MIN_WORK)
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


cdef void _gather_out(floating[:, :, ::1] g, floating[:, ::1] tmp, Py_ssize_t n0, Py_ssize_t nb,
                      Py_ssize_t co0) noexcept nogil:
    """tmp[co, b * P + p] = g[n0 + b, co0 + co, p] (inverse of _scatter_out)."""
    cdef Py_ssize_t coutg = tmp.shape[0], P = g.shape[2], task, b, co, p
    cdef int nt = threads_for(coutg * nb * P, MIN_WORK)
    for task in prange(nb * coutg, num_threads=nt, schedule="static"):
        b = task // coutg
        co = task % coutg
        for p in range(P):
            tmp[co, b * P + p] = g[n0 + b, co0 + co, p]


# ----------------------------------------------------------------------------- direct path (csrc/directconv.h)

cdef extern from "directconv.h" nogil:
    int FNN_DC_PAD
    int FNN_DC_WLANES
    void direct_acc_f(const float* xp, Py_ssize_t cin, Py_ssize_t ps, const float* w, Py_ssize_t cout,
                      const Py_ssize_t* off, Py_ssize_t taps, float* acc, Py_ssize_t L)
    void direct_acc_d(const double* xp, Py_ssize_t cin, Py_ssize_t ps, const double* w, Py_ssize_t cout,
                      const Py_ssize_t* off, Py_ssize_t taps, double* acc, Py_ssize_t L)
    void direct_scatter_f(const float* g, Py_ssize_t cout, const float* wt, Py_ssize_t cin, const Py_ssize_t* off,
                          Py_ssize_t taps, float* acc, Py_ssize_t ps, Py_ssize_t L)
    void direct_wgrad_f(const float* xp, Py_ssize_t cin, Py_ssize_t ps, Py_ssize_t xs, const float* g, Py_ssize_t cout,
                        Py_ssize_t gs, Py_ssize_t nimg, const Py_ssize_t* off, Py_ssize_t taps, float* gw, Py_ssize_t L)
    void direct_scatter_d(const double* g, Py_ssize_t cout, const double* wt, Py_ssize_t cin, const Py_ssize_t* off,
                          Py_ssize_t taps, double* acc, Py_ssize_t ps, Py_ssize_t L)
    void direct_wgrad_d(const double* xp, Py_ssize_t cin, Py_ssize_t ps, Py_ssize_t xs, const double* g, Py_ssize_t cout,
                        Py_ssize_t gs, Py_ssize_t nimg, const Py_ssize_t* off, Py_ssize_t taps, double* gw, Py_ssize_t L)

# Which path each pass takes: "auto" decides by the rules in _direct_pays; tests force
# "im2col", "direct" or "scatter" (direct, with the scatter input gradient) to check each.
cdef str CONV_PATH = "auto"


def _set_conv_path(path):
    """Force a path for tests; returns the previous one."""
    global CONV_PATH
    if path not in ("auto", "im2col", "direct", "scatter"):
        raise ValueError(f"path must be 'auto', 'im2col', 'direct' or 'scatter', got {path!r}")
    old = CONV_PATH
    CONV_PATH = path
    return old


cdef Py_ssize_t _rounded_grid(Py_ssize_t rows, Py_ssize_t row_len):
    return (rows * row_len + FNN_DC_PAD - 1) // FNN_DC_PAD * FNN_DC_PAD


cdef bint _direct_pays(_Geometry G, Py_ssize_t out_channels, Py_ssize_t grid, double max_extra):
    """Stride 1 only. In "auto": the direct kernels block 4-8 output channels, so fewer than 4
    waste most of them; `grid` (their output positions, padded columns included) over the
    ho*wo useful ones is their extra work. Measured (float32, AVX-512): they beat im2col +
    GEMM up to max_extra of it, and up to the ResNet layer's 64 x 576 weight matrix (beyond
    that, unmeasured: GEMM)."""
    if G.sh != 1 or G.sw != 1 or CONV_PATH == "im2col":
        return False
    if CONV_PATH != "auto":
        return True
    # (the whole weight, all groups: the weight gradient keeps 16 partial sums of each per thread)
    return out_channels >= 4 and grid <= max_extra * G.ho * G.wo and G.cout * G.K <= 64 * 576


cdef bint _direct_forward_pays(_Geometry G):
    # LeNet's second layer ran faster direct at 1.5x extra (1.9 vs 3.0 ms) and at 2.0x, with
    # rows rounded to 64 values (2.2 vs 2.7 ms)
    return _direct_pays(G, G.coutg, _rounded_grid(G.ho, G.W + 2 * G.pw), 2.0)


cdef bint _direct_weight_grad_pays(_Geometry G):
    # ... but its weight gradient (1.5x) did not (4.0 vs 3.6 ms); LeNet-1's (1.17x) and the
    # autoencoder's (1.14x) did (0.6 vs 2.0 ms, 0.5 vs 1.4 ms)
    return _direct_pays(G, G.coutg, _rounded_grid(G.ho, G.W + 2 * G.pw), 1.4)


cdef str _input_grad_path(_Geometry G):
    """"flipped": the convolution of grad_out (padded by dilation*(k-1) - padding) with the
    flipped kernel; all reductions in registers, but it computes the zero border, 4x extra
    work on LeNet-2 (3.8 vs 2.6 ms im2col) against 1.3x on the autoencoder (0.4 vs 1.1 ms)
    and ResNet (19 vs 30 ms). "scatter": grad_out pixels added through the taps into padded
    input planes; forward-sized work (LeNet-2: 2.3 ms) but a read-modify-write per tap."""
    flipped_legal = G.ph <= G.dh * (G.kh - 1) and G.pw <= G.dw * (G.kw - 1)
    if not _direct_pays(G, G.cg, _rounded_grid(G.ho, G.W + 2 * G.pw), 1.6):
        return "im2col"
    if CONV_PATH == "scatter" or not flipped_legal:
        return "scatter"
    if CONV_PATH == "direct":
        return "flipped"
    if _rounded_grid(G.H, G.wo + 2 * (G.dw * (G.kw - 1) - G.pw)) <= 1.6 * G.ho * G.wo:
        return "flipped"
    return "scatter"


cdef int _direct_threads(Py_ssize_t tasks, Py_ssize_t work):
    """Threads for `tasks` independent tasks of `work` multiply-adds in all (at least 1)."""
    return max(1, min(threads_for(work, MIN_WORK), tasks))


cdef class _DirectPlan:
    """Padded-plane geometry: rows of Wp values, planes of ps, outputs on the ho x Wp grid
    (L values, rounded up to La), tap t = (i, j) reading at off[t] = i*dh*Wp + j*dw."""
    cdef public Py_ssize_t Wp, ps, L, La, xlen
    cdef public object off

    def __init__(self, Py_ssize_t H, Py_ssize_t W, Py_ssize_t cg, Py_ssize_t kh, Py_ssize_t kw,
                 Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho):
        self.Wp = W + 2 * pw
        self.ps = (H + 2 * ph) * self.Wp
        self.L = ho * self.Wp
        self.La = (self.L + FNN_DC_PAD - 1) // FNN_DC_PAD * FNN_DC_PAD
        self.xlen = cg * self.ps + FNN_DC_PAD + (kw - 1) * dw   # rounded rows read past the planes
        i, j = np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij")
        self.off = np.ascontiguousarray((i * dh * self.Wp + j * dw).ravel(), dtype=np.intp)


cdef inline void _pad_planes(floating[:, :, :, ::1] x, Py_ssize_t n, Py_ssize_t c0, Py_ssize_t cg,
                             Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t Wp, Py_ssize_t ps,
                             floating* xp, Py_ssize_t xlen) noexcept nogil:
    """xp[c*ps + (y+ph)*Wp + x+pw] = x[n, c0+c, y, x]; the first xlen values zeroed first
    (0 when the caller zeroed the buffer already)."""
    cdef Py_ssize_t c, y, H = x.shape[2], W = x.shape[3]
    if xlen:
        memset(xp, 0, xlen * sizeof(floating))
    for c in range(cg):
        for y in range(H):
            memcpy(xp + c * ps + (y + ph) * Wp + pw, &x[n, c0 + c, y, 0], W * sizeof(floating))


cdef inline void _grid_rows(floating[:, :, :, ::1] gout, Py_ssize_t n, Py_ssize_t co0, Py_ssize_t coutg,
                            Py_ssize_t Wp, Py_ssize_t La, floating* gp) noexcept nogil:
    """gp[co*La + oy*Wp + ox] = gout[n, co0+co, oy, ox]; zero in the discarded columns (ox >= wo),
    so that they add nothing to sums over the grid."""
    cdef Py_ssize_t co, oy, ho = gout.shape[2], wo = gout.shape[3]
    memset(gp, 0, coutg * La * sizeof(floating))
    for co in range(coutg):
        for oy in range(ho):
            memcpy(gp + co * La + oy * Wp, &gout[n, co0 + co, oy, 0], wo * sizeof(floating))


cdef void _direct_forward(floating[:, :, :, ::1] x, floating[:, :, :, ::1] w, floating* bias,
                          Py_ssize_t groups, Py_ssize_t ph, Py_ssize_t pw, _DirectPlan plan,
                          Py_ssize_t[::1] off, floating[:, :, :, ::1] out,
                          floating[:, ::1] xbuf, floating[:, ::1] abuf) noexcept nogil:
    """out = conv(x, w) + bias, one (image, group) per task; xbuf/abuf rows are per thread."""
    cdef Py_ssize_t cg = w.shape[1], coutg = w.shape[0] // groups, taps = w.shape[2] * w.shape[3]
    cdef Py_ssize_t ho = out.shape[2], wo = out.shape[3], Wp = plan.Wp, La = plan.La
    cdef Py_ssize_t tasks = x.shape[0] * groups, task, n, g, co, oy, ox, tid
    cdef floating b
    cdef floating* acc
    cdef int nt = xbuf.shape[0]
    with parallel(num_threads=nt):
        for task in prange(tasks, schedule="static"):
            tid = threadid()
            n = task // groups
            g = task % groups
            _pad_planes(x, n, g * cg, cg, ph, pw, Wp, plan.ps, &xbuf[tid, 0], plan.xlen)
            acc = &abuf[tid, 0]
            if floating is float:
                direct_acc_f(&xbuf[tid, 0], cg, plan.ps, &w[g * coutg, 0, 0, 0], coutg, &off[0], taps, acc, La)
            else:
                direct_acc_d(&xbuf[tid, 0], cg, plan.ps, &w[g * coutg, 0, 0, 0], coutg, &off[0], taps, acc, La)
            for co in range(coutg):
                b = bias[g * coutg + co] if bias != NULL else 0
                for oy in range(ho):
                    for ox in range(wo):
                        out[n, g * coutg + co, oy, ox] = acc[co * La + oy * Wp + ox] + b


cdef void _direct_wgrad(floating[:, :, :, ::1] x, floating[:, :, :, ::1] gout, Py_ssize_t groups, Py_ssize_t cg,
                        Py_ssize_t taps, Py_ssize_t ph, Py_ssize_t pw, _DirectPlan plan, Py_ssize_t[::1] off,
                        Py_ssize_t per_task, floating[:, ::1] gwt, floating[:, ::1] xbuf,
                        floating[:, ::1] gbuf) noexcept nogil:
    """gwt[thread] += weight gradient (as lane partial sums) of the tasks that thread ran; a task
    is up to per_task images of one group, laid out one after another in the thread's buffers."""
    cdef Py_ssize_t N = x.shape[0], coutg = gout.shape[1] // groups
    cdef Py_ssize_t Wp = plan.Wp, La = plan.La, xs = cg * plan.ps, gs = coutg * La
    cdef Py_ssize_t chunks = (N + per_task - 1) // per_task, task, n0, nimg, m, g, tid
    cdef floating* gp
    cdef int nt = xbuf.shape[0]
    with parallel(num_threads=nt):
        for task in prange(chunks * groups, schedule="static"):
            tid = threadid()
            g = task % groups
            n0 = (task // groups) * per_task
            nimg = min(per_task, N - n0)
            gp = &gbuf[tid, 0]
            memset(&xbuf[tid, 0], 0, xbuf.shape[1] * sizeof(floating))  # padding and the tail rounded rows read
            for m in range(nimg):
                _pad_planes(x, n0 + m, g * cg, cg, ph, pw, Wp, plan.ps, &xbuf[tid, m * xs], 0)
                _grid_rows(gout, n0 + m, g * coutg, coutg, Wp, La, gp + m * gs)
            if floating is float:
                direct_wgrad_f(&xbuf[tid, 0], cg, plan.ps, xs, gp, coutg, gs, nimg, &off[0], taps,
                               &gwt[tid, g * coutg * cg * taps * FNN_DC_WLANES], La)
            else:
                direct_wgrad_d(&xbuf[tid, 0], cg, plan.ps, xs, gp, coutg, gs, nimg, &off[0], taps,
                               &gwt[tid, g * coutg * cg * taps * FNN_DC_WLANES], La)


cdef void _direct_scatter(floating[:, :, :, ::1] gout, floating[:, :, :, ::1] wt, Py_ssize_t groups,
                          Py_ssize_t ph, Py_ssize_t pw, _DirectPlan plan, Py_ssize_t[::1] off,
                          floating[:, :, :, ::1] gx, floating[:, ::1] abuf, floating[:, ::1] gbuf) noexcept nogil:
    """gx = input gradient, one (image, group) per task: grad_out rows on the padded grid are
    scattered through the taps into padded input planes, whose interior is gx."""
    cdef Py_ssize_t cg = gx.shape[1] // groups, coutg = gout.shape[1] // groups, taps = wt.shape[1]
    cdef Py_ssize_t H = gx.shape[2], W = gx.shape[3], Wp = plan.Wp, La = plan.La, ps = plan.ps
    cdef Py_ssize_t tasks = gout.shape[0] * groups, task, n, g, c, y, tid
    cdef floating* acc
    cdef floating* gp
    cdef int nt = abuf.shape[0]
    with parallel(num_threads=nt):
        for task in prange(tasks, schedule="static"):
            tid = threadid()
            n = task // groups
            g = task % groups
            gp = &gbuf[tid, 0]
            acc = &abuf[tid, 0]
            _grid_rows(gout, n, g * coutg, coutg, Wp, La, gp)
            memset(acc, 0, abuf.shape[1] * sizeof(floating))
            if floating is float:
                direct_scatter_f(gp, coutg, &wt[g, 0, 0, 0], cg, &off[0], taps, acc, ps, La)
            else:
                direct_scatter_d(gp, coutg, &wt[g, 0, 0, 0], cg, &off[0], taps, acc, ps, La)
            for c in range(cg):
                for y in range(H):
                    memcpy(&gx[n, g * cg + c, y, 0], acc + c * ps + (y + ph) * Wp + pw, W * sizeof(floating))


def _direct_input_grad_scatter(x_shape, weight, gout, Py_ssize_t groups, pd, dl):
    cdef Py_ssize_t N = x_shape[0], cout = weight.shape[0], cg = weight.shape[1]
    cdef Py_ssize_t kh = weight.shape[2], kw = weight.shape[3]
    cdef _DirectPlan plan = _DirectPlan(x_shape[2], x_shape[3], cg, kh, kw, pd[0], pd[1], dl[0], dl[1],
                                        gout.shape[2])
    cdef int nt = _direct_threads(N * groups, N * cout * cg * kh * kw * plan.L)
    # weights as (group, tap, out channel of the group, in channel): the kernel reads in channels in a row
    wt = np.ascontiguousarray(weight.reshape(groups, cout // groups, cg, kh * kw).transpose(0, 3, 1, 2))
    gx = np.empty(x_shape, gout.dtype)
    abuf = np.empty((nt, plan.xlen), gout.dtype)
    gbuf = np.empty((nt, cout // groups * plan.La), gout.dtype)
    if gout.dtype == np.float32:
        _direct_scatter[float](gout, wt, groups, pd[0], pd[1], plan, plan.off, gx, abuf, gbuf)
    else:
        _direct_scatter[double](gout, wt, groups, pd[0], pd[1], plan, plan.off, gx, abuf, gbuf)
    return gx


def _direct_conv(x, weight, bias, Py_ssize_t groups, pd, dl, Py_ssize_t ho, Py_ssize_t wo):
    """Stride-1 convolution by the direct path: (N, C, H, W) -> (N, Cout, ho, wo)."""
    cdef Py_ssize_t N = x.shape[0], cg = weight.shape[1], kh = weight.shape[2], kw = weight.shape[3]
    cdef _DirectPlan plan = _DirectPlan(x.shape[2], x.shape[3], cg, kh, kw, pd[0], pd[1], dl[0], dl[1], ho)
    cdef int nt = _direct_threads(N * groups, N * weight.shape[0] * cg * kh * kw * plan.L)
    out = np.empty((N, weight.shape[0], ho, wo), x.dtype)
    xbuf = np.empty((nt, plan.xlen), x.dtype)
    abuf = np.empty((nt, weight.shape[0] // groups * plan.La), x.dtype)
    if x.dtype == np.float32:
        _direct_forward[float](x, weight, _fptr(bias), groups, pd[0], pd[1], plan, plan.off, out, xbuf, abuf)
    else:
        _direct_forward[double](x, weight, _dptr(bias), groups, pd[0], pd[1], plan, plan.off, out, xbuf, abuf)
    return out


def _direct_input_grad_flipped(x_shape, weight, gout, Py_ssize_t groups, pd, dl):
    """The input gradient is the convolution of grad_out, padded by the kernel's reach less
    the forward padding, with the kernel flipped and its channel axes swapped."""
    cout, cg, kh, kw = weight.shape
    coutg = cout // groups
    wt = weight.reshape(groups, coutg, cg, kh, kw).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    wt = np.ascontiguousarray(wt.reshape(groups * cg, coutg, kh, kw))
    pad_t = (dl[0] * (kh - 1) - pd[0], dl[1] * (kw - 1) - pd[1])
    return _direct_conv(gout, wt, None, groups, pad_t, dl, x_shape[2], x_shape[3])


cdef Py_ssize_t WGRAD_TASK_BYTES = 256 << 10   # one task's images fit in L2 with room to spare


def _direct_weight_grad(x, weight, gout, Py_ssize_t groups, pd, dl):
    cdef Py_ssize_t N = x.shape[0], cout = weight.shape[0], cg = weight.shape[1]
    cdef Py_ssize_t kh = weight.shape[2], kw = weight.shape[3]
    cdef _DirectPlan plan = _DirectPlan(x.shape[2], x.shape[3], cg, kh, kw, pd[0], pd[1], dl[0], dl[1],
                                        gout.shape[2])
    cdef Py_ssize_t work = N * cout * cg * kh * kw * plan.L
    cdef Py_ssize_t per_image = cg * plan.ps + cout // groups * plan.La
    # several images per task (fewer lane-sum updates), but at least 4 tasks per thread
    cdef int nt = threads_for(work, MIN_WORK)
    per_task = max(1, min(WGRAD_TASK_BYTES // (per_image * x.itemsize), -(-N // (4 * nt))))
    nt = _direct_threads(-(-N // per_task) * groups, work)
    gwt = np.zeros((nt, weight.size * FNN_DC_WLANES), x.dtype)
    xbuf = np.empty((nt, (per_task - 1) * cg * plan.ps + plan.xlen), x.dtype)   # planes, then the slack
    gbuf = np.empty((nt, per_task * (cout // groups) * plan.La), x.dtype)
    if x.dtype == np.float32:
        _direct_wgrad[float](x, gout, groups, cg, kh * kw, pd[0], pd[1], plan, plan.off, per_task, gwt, xbuf, gbuf)
    else:
        _direct_wgrad[double](x, gout, groups, cg, kh * kw, pd[0], pd[1], plan, plan.off, per_task, gwt, xbuf, gbuf)
    return gwt.reshape(nt, weight.size, FNN_DC_WLANES).sum(axis=(0, 2)).reshape(weight.shape)


# ----------------------------------------------------------------------------- the three GEMM passes

cdef class _Geometry:
    cdef public Py_ssize_t N, C, H, W, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups, ho, wo, cg, coutg, K, P, chunk

    def __init__(self, x_shape, w_shape, st, pd, dl, groups, ho, wo, itemsize):
        self.N, self.C, self.H, self.W = x_shape
        self.kh, self.kw = w_shape[2], w_shape[3]
        self.sh, self.sw = st
        self.ph, self.pw = pd
        self.dh, self.dw = dl
        self.groups = groups
        self.cg = self.C // groups
        self.ho, self.wo = ho, wo
        self.P = ho * wo
        self.K = self.cg * self.kh * self.kw
        self.chunk = max(1, min(self.N, COL_BYTES // max(1, self.K * self.P * itemsize)))


cdef void _forward(floating[:, :, :, ::1] x, floating[:, ::1] w2, floating* bias, _Geometry G,
                   floating[:, :, ::1] out, floating[:, ::1] col, floating[:, ::1] tmp):
    """out (N, cout, P) = conv(x) with weights w2 (cout, K). col and tmp are chunk-wide
    workspaces; the last chunk may use only part of each row, so leading dimensions
    come from the workspace widths."""
    cdef Py_ssize_t n0, nb, g, cols
    for n0 in range(0, G.N, G.chunk):
        nb = min(G.chunk, G.N - n0)
        cols = nb * G.P
        for g in range(G.groups):
            with nogil:
                _im2col(x, n0, nb, g * G.cg, G.cg, G.kh, G.kw, G.sh, G.sw, G.ph, G.pw, G.dh, G.dw, G.ho, G.wo, col)
                gemm(False, False, <int>G.coutg, <int>cols, <int>G.K, <floating>1, &w2[g * G.coutg, 0], <int>G.K,
                     &col[0, 0], <int>col.shape[1], <floating>0, &tmp[0, 0], <int>tmp.shape[1])
                _scatter_out(tmp, out, n0, nb, g * G.coutg, bias, False)


cdef void _backward(floating[:, :, :, ::1] x, floating[:, ::1] w2, floating[:, :, ::1] gout, _Geometry G,
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


_scratch = threading.local()   # per thread: kernels run without the GIL, so threads must not share it
cdef Py_ssize_t KEEP_BYTES = 160 << 20  # larger workspaces are not kept between calls


def _workspaces(_Geometry G, dtype):
    """col (K, chunk*P) and tmp (coutg, chunk*P), carved from one buffer kept between calls:
    fresh buffers of tens of MB page-faulted on every call (4% of a ResNet layer's time)."""
    cols = G.chunk * G.P
    need = (G.K + G.coutg) * cols
    dtype = np.dtype(dtype)
    kept = getattr(_scratch, "buffers", None)
    if kept is None:
        kept = _scratch.buffers = {}
    buf = kept.get(dtype)
    if buf is None or buf.size < need:
        buf = np.empty(need, dtype)
        if need * dtype.itemsize <= KEEP_BYTES:
            kept[dtype] = buf
    return buf[:G.K * cols].reshape(G.K, cols), buf[G.K * cols:need].reshape(G.coutg, cols)


cdef _Geometry _geometry(x_shape, w_shape, st, pd, dl, groups, cout, itemsize):
    ho = _conv_out(x_shape[2], w_shape[2], st[0], pd[0], dl[0])
    wo = _conv_out(x_shape[3], w_shape[3], st[1], pd[1], dl[1])
    if ho <= 0 or wo <= 0:
        raise ValueError(f"kernel size {tuple(w_shape[2:])} (dilation {dl}) is larger than the padded input "
                         f"{(x_shape[2] + 2 * pd[0], x_shape[3] + 2 * pd[1])}")
    G = _Geometry(x_shape, w_shape, st, pd, dl, groups, ho, wo, itemsize)
    G.cout = cout
    G.coutg = cout // groups
    return G


def _run_forward(x, w2, bias, _Geometry G):
    out = np.empty((G.N, G.cout, G.P), x.dtype)
    if out.size == 0:
        return out
    col, tmp = _workspaces(G, x.dtype)
    if x.dtype == np.float32:
        _forward[float](x, w2, _fptr(bias), G, out, col, tmp)
    else:
        _forward[double](x, w2, _dptr(bias), G, out, col, tmp)
    return out


cdef float* _fptr(object a):
    cdef float[::1] v
    if a is None or a.shape[0] == 0:
        return NULL
    v = a
    return &v[0]


cdef double* _dptr(object a):
    cdef double[::1] v
    if a is None or a.shape[0] == 0:
        return NULL
    v = a
    return &v[0]


def _run_backward(x, w2, gout, _Geometry G, bint need_x, bint need_w):
    gx = np.zeros((G.N, G.C, G.H, G.W), x.dtype) if need_x else np.zeros((1, 1, 1, 1), x.dtype)
    gw2 = np.zeros(w2.shape, x.dtype)
    if G.N == 0 or G.P == 0 or (not need_x and not need_w):
        return (gx if need_x else None), (gw2 if need_w else None)
    col, tmp = _workspaces(G, x.dtype)
    if x.dtype == np.float32:
        _backward[float](x, w2, gout, G, gx, gw2, need_x, need_w, col, tmp)
    else:
        _backward[double](x, w2, gout, G, gx, gw2, need_x, need_w, col, tmp)
    return (gx if need_x else None), (gw2 if need_w else None)


# ----------------------------------------------------------------------------- public: conv2d

def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation of x (N, C, H, W) with weight (Cout, C/groups, kh, kw), plus bias (Cout,).

    stride, padding (zeros), dilation: ints or pairs. Returns (N, Cout, Ho, Wo).
    """
    st, pd, dl = _check_conv(x, weight, bias, stride, padding, dilation, groups, False)
    G = _geometry(x.shape, weight.shape, st, pd, dl, groups, weight.shape[0], x.itemsize)
    if G.N > 0 and G.cout > 0 and _direct_forward_pays(G):
        return _direct_conv(x, weight, bias, groups, pd, dl, G.ho, G.wo)
    w2 = weight.reshape(weight.shape[0], math.prod(weight.shape[1:]))  # -1 fails when shape[0] == 0
    return _run_forward(x, w2, bias, G).reshape(G.N, G.cout, G.ho, G.wo)


def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1, groups=1,
                    need_input=True, need_weight=True, need_bias=True):
    """Gradients of conv2d_forward: (grad_input, grad_weight, grad_bias); None where not needed."""
    st, pd, dl = _check_conv(x, weight, None, stride, padding, dilation, groups, False)
    G = _geometry(x.shape, weight.shape, st, pd, dl, groups, weight.shape[0], x.itemsize)
    check_same_dtype(grad_out, "grad_out", x, "input", 4)
    if grad_out.shape != (G.N, G.cout, G.ho, G.wo):
        raise ValueError(f"grad_out must have shape {(G.N, G.cout, G.ho, G.wo)}, got {grad_out.shape}")
    gb = grad_out.sum(axis=(0, 2, 3)) if need_bias else None
    # each pass takes whichever path pays for it (see _direct_pays)
    # (likewise an inf or NaN weight: the direct input gradients multiply it by padding zeros)
    direct_x_ok = need_input and G.N > 0 and G.cout > 0 and np.isfinite(weight.sum(dtype=weight.dtype))
    x_path = _input_grad_path(G) if direct_x_ok else "im2col"
    direct_x = x_path != "im2col"
    # The direct weight gradient also multiplies discarded positions' inputs by zero, which
    # turns an inf or NaN input into NaN in other weights' gradients: such inputs take im2col.
    # (A float sum is inf or NaN when any term is, and far cheaper than the conv.)
    direct_w = (need_weight and G.N > 0 and G.cout > 0 and _direct_weight_grad_pays(G)
                and np.isfinite(x.sum(dtype=x.dtype)))
    w2 = weight.reshape(weight.shape[0], math.prod(weight.shape[1:]))  # -1 fails when shape[0] == 0
    gx, gw2 = _run_backward(x, w2, grad_out.reshape(G.N, G.cout, G.P), G,
                            need_input and not direct_x, need_weight and not direct_w)
    gw = gw2.reshape(weight.shape) if need_weight and not direct_w else None
    if x_path == "flipped":
        gx = _direct_input_grad_flipped(x.shape, weight, grad_out, groups, pd, dl)
    elif x_path == "scatter":
        gx = _direct_input_grad_scatter(x.shape, weight, grad_out, groups, pd, dl)
    if direct_w:
        gw = _direct_weight_grad(x, weight, grad_out, groups, pd, dl)
    return gx, gw, gb


# ----------------------------------------------------------------------------- public: conv_transpose2d
# conv_transpose2d(x, W) is the input-gradient of a conv2d whose output is x: its
# forward is that conv's backward-data pass, and its own gradients are the conv's
# forward (for the input) and weight pass with the roles of input and output swapped.

cdef tuple _transpose_geometry(x, weight, st, pd, op, dl, groups):
    N, Cin, H, W = x.shape
    kh, kw = weight.shape[2], weight.shape[3]
    for o, s, d, name in ((op[0], st[0], dl[0], "height"), (op[1], st[1], dl[1], "width")):
        if o >= s and o >= d:
            raise ValueError(f"output_padding ({o}) must be smaller than stride or dilation in {name}")
    Ho = (H - 1) * st[0] - 2 * pd[0] + dl[0] * (kh - 1) + op[0] + 1
    Wo = (W - 1) * st[1] - 2 * pd[1] + dl[1] * (kw - 1) + op[1] + 1
    if Ho <= 0 or Wo <= 0:
        raise ValueError(f"conv_transpose2d output size ({Ho}, {Wo}) is not positive: padding {pd} is too large")
    cout = weight.shape[1] * groups
    # the conv2d that maps (N, cout, Ho, Wo) -> x
    G = _Geometry((N, cout, Ho, Wo), (Cin, weight.shape[1], kh, kw), st, pd, dl, groups, H, W, x.itemsize)
    G.cout = Cin
    G.coutg = Cin // groups
    return G, Ho, Wo


def conv_transpose2d_forward(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution of x (N, Cin, H, W) with weight (Cin, Cout/groups, kh, kw). Returns (N, Cout, Ho, Wo)."""
    st, pd, dl = _check_conv(x, weight, bias, stride, padding, dilation, groups, True)
    op = _pair(output_padding, "output_padding", False)
    G, Ho, Wo = _transpose_geometry(x, weight, st, pd, op, dl, groups)
    w2 = weight.reshape(weight.shape[0], math.prod(weight.shape[1:]))  # -1 fails when shape[0] == 0
    out, _ = _run_backward(np.empty((1, 1, 1, 1), x.dtype), w2, x.reshape(G.N, G.cout, G.P), G, True, False)
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1)
    return out


def conv_transpose2d_backward(x, weight, grad_out, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                              need_input=True, need_weight=True, need_bias=True):
    """Gradients of conv_transpose2d_forward: (grad_input, grad_weight, grad_bias)."""
    st, pd, dl = _check_conv(x, weight, None, stride, padding, dilation, groups, True)
    op = _pair(output_padding, "output_padding", False)
    G, Ho, Wo = _transpose_geometry(x, weight, st, pd, op, dl, groups)
    check_same_dtype(grad_out, "grad_out", x, "input", 4)
    if grad_out.shape != (G.N, G.C, Ho, Wo):
        raise ValueError(f"grad_out must have shape {(G.N, G.C, Ho, Wo)}, got {grad_out.shape}")
    w2 = weight.reshape(weight.shape[0], math.prod(weight.shape[1:]))  # -1 fails when shape[0] == 0
    gx = gw = gb = None
    if need_input:
        gx = _run_forward(grad_out, w2, None, G).reshape(x.shape)
    if need_weight:
        # weight gradient of the conv (grad_out -> x): input grad_out, output gradient x
        _, gw2 = _run_backward(grad_out, w2, x.reshape(G.N, G.cout, G.P), G, False, True)
        gw = gw2.reshape(weight.shape)
    if need_bias:
        gb = grad_out.sum(axis=(0, 2, 3))
    return gx, gw, gb


# ----------------------------------------------------------------------------- pooling

cdef Py_ssize_t _pool_out(Py_ssize_t size, Py_ssize_t k, Py_ssize_t s, Py_ssize_t p, Py_ssize_t d, bint ceil_mode):
    cdef Py_ssize_t span = size + 2 * p - d * (k - 1) - 1
    cdef Py_ssize_t out
    if span < 0:
        return 0
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    # PyTorch: the last window must start inside the input or the left padding
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


cdef tuple _check_pool(x, kernel_size, stride, padding, dilation, ceil_mode):
    check_float(x, "input", 4)
    ks = _pair(kernel_size, "kernel_size", True)
    st = ks if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else _pair(stride, "stride", True)
    pd = _pair(padding, "padding", False)
    dl = _pair(dilation, "dilation", True)
    if pd[0] * 2 > ks[0] or pd[1] * 2 > ks[1]:
        raise ValueError(f"padding {pd} must be at most half of kernel_size {ks}")
    ho = _pool_out(x.shape[2], ks[0], st[0], pd[0], dl[0], ceil_mode)
    wo = _pool_out(x.shape[3], ks[1], st[1], pd[1], dl[1], ceil_mode)
    if ho <= 0 or wo <= 0:
        raise ValueError(f"kernel_size {ks} (dilation {dl}) is larger than the padded input {x.shape[2:]}")
    return ks, st, pd, dl, ho, wo


cdef extern from "maxpool.h" nogil:
    void maxpool_plane_f(const float *x, Py_ssize_t H, Py_ssize_t W, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh,
                         Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho,
                         Py_ssize_t wo, float *out, long long *idx)
    void maxpool_plane_d(const double *x, Py_ssize_t H, Py_ssize_t W, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh,
                         Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho,
                         Py_ssize_t wo, double *out, long long *idx)


cdef void _max_pool(floating[:, :, ::1] x, floating[:, :, ::1] out, long long[:, :, ::1] idx,
                    Py_ssize_t H, Py_ssize_t W, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
                    Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho, Py_ssize_t wo) noexcept nogil:
    cdef Py_ssize_t plane
    cdef int nt = threads_for(x.shape[0] * ho * wo * kh * kw, MIN_WORK)
    for plane in prange(x.shape[0], num_threads=nt, schedule="static"):
        if floating is float:
            maxpool_plane_f(&x[plane, 0, 0], H, W, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, &out[plane, 0, 0],
                            &idx[plane, 0, 0])
        else:
            maxpool_plane_d(&x[plane, 0, 0], H, W, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, &out[plane, 0, 0],
                            &idx[plane, 0, 0])


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max over windows of x (N, C, H, W). Returns (out, indices): indices are flat positions in each H*W plane."""
    ks, st, pd, dl, ho, wo = _check_pool(x, kernel_size, stride, padding, dilation, ceil_mode)
    N, C, H, W = x.shape
    out = np.empty((N, C, ho, wo), x.dtype)
    idx = np.empty((N, C, ho, wo), np.int64)
    if out.size:
        x3, o3, i3 = x.reshape(N * C, H, W), out.reshape(N * C, ho, wo), idx.reshape(N * C, ho, wo)
        if x.dtype == np.float32:
            _max_pool[float](x3, o3, i3, H, W, ks[0], ks[1], st[0], st[1], pd[0], pd[1], dl[0], dl[1], ho, wo)
        else:
            _max_pool[double](x3, o3, i3, H, W, ks[0], ks[1], st[0], st[1], pd[0], pd[1], dl[0], dl[1], ho, wo)
    return out, idx


cdef void _max_unpool_add(floating[:, ::1] g, long long[:, ::1] idx, floating[:, ::1] gx) noexcept nogil:
    cdef Py_ssize_t plane, p
    cdef int nt = threads_for(g.shape[0] * g.shape[1], MIN_WORK)
    for plane in prange(g.shape[0], num_threads=nt, schedule="static"):
        for p in range(g.shape[1]):
            gx[plane, idx[plane, p]] += g[plane, p]


def max_pool2d_backward(grad_out, indices, input_shape):
    """Route grad_out (N, C, Ho, Wo) to the argmax positions `indices` in an input of input_shape."""
    check_float(grad_out, "grad_out", 4)
    if not isinstance(indices, np.ndarray) or indices.dtype != np.int64 or indices.shape != grad_out.shape \
            or not indices.flags.c_contiguous:
        raise ValueError(f"indices must be a C-contiguous int64 array of shape {grad_out.shape}")
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 4 or shape[:2] != grad_out.shape[:2]:
        raise ValueError(f"input_shape {input_shape} does not match grad_out {grad_out.shape}")
    N, C, H, W = shape
    if indices.size and (indices.min() < 0 or indices.max() >= H * W):
        raise IndexError(f"indices must lie in [0, {H * W})")
    gx = np.zeros(shape, grad_out.dtype)
    if grad_out.size:
        g2 = grad_out.reshape(N * C, -1)
        i2 = indices.reshape(N * C, -1)
        if grad_out.dtype == np.float32:
            _max_unpool_add[float](g2, i2, gx.reshape(N * C, H * W))
        else:
            _max_unpool_add[double](g2, i2, gx.reshape(N * C, H * W))
    return gx


cdef void _avg_pool(floating[:, :, ::1] x, floating[:, :, ::1] out, bint backward,
                    Py_ssize_t H, Py_ssize_t W, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
                    Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t ho, Py_ssize_t wo, bint count_include_pad) noexcept nogil:
    """Forward: out = window means of x. Backward (x is grad_out, out is grad_input, zeroed): spread each
    gradient evenly over its window. Divisor as PyTorch: the window clipped to the padded input, or
    to the input itself when count_include_pad is false."""
    cdef Py_ssize_t plane, oy, ox, y0, x0, y1, x1, iy, ix, cnt
    cdef double acc
    cdef floating share
    cdef int nt = threads_for(x.shape[0] * ho * wo * kh * kw, MIN_WORK)
    for plane in prange(x.shape[0], num_threads=nt, schedule="static"):
        for oy in range(ho):
            for ox in range(wo):
                y0 = oy * sh - ph
                x0 = ox * sw - pw
                y1 = min(y0 + kh, H + ph)
                x1 = min(x0 + kw, W + pw)
                cnt = (y1 - y0) * (x1 - x0)
                y0 = max(y0, 0)
                x0 = max(x0, 0)
                y1 = min(y1, H)
                x1 = min(x1, W)
                if not count_include_pad:
                    cnt = (y1 - y0) * (x1 - x0)
                if backward:
                    share = <floating>(x[plane, oy, ox] / (cnt if cnt > 0 else 1))
                    for iy in range(y0, y1):
                        for ix in range(x0, x1):
                            out[plane, iy, ix] += share
                else:
                    acc = 0
                    for iy in range(y0, y1):
                        for ix in range(x0, x1):
                            acc = acc + x[plane, iy, ix]
                    out[plane, oy, ox] = <floating>(acc / (cnt if cnt > 0 else 1))


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of x (N, C, H, W)."""
    ks, st, pd, dl, ho, wo = _check_pool(x, kernel_size, stride, padding, 1, ceil_mode)
    N, C, H, W = x.shape
    out = np.empty((N, C, ho, wo), x.dtype)
    if out.size:
        args = (H, W, ks[0], ks[1], st[0], st[1], pd[0], pd[1], ho, wo, bool(count_include_pad))
        if x.dtype == np.float32:
            _avg_pool[float](x.reshape(N * C, H, W), out.reshape(N * C, ho, wo), False, *args)
        else:
            _avg_pool[double](x.reshape(N * C, H, W), out.reshape(N * C, ho, wo), False, *args)
    return out


def avg_pool2d_backward(grad_out, input_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True):
    """Gradient of avg_pool2d_forward with respect to its input of shape input_shape."""
    check_float(grad_out, "grad_out", 4)
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 4 or shape[:2] != grad_out.shape[:2]:
        raise ValueError(f"input_shape {input_shape} does not match grad_out {grad_out.shape}")
    ks, st, pd, dl, ho, wo = _check_pool(np.empty(shape, grad_out.dtype), kernel_size, stride, padding, 1, ceil_mode)
    if grad_out.shape[2:] != (ho, wo):
        raise ValueError(f"grad_out must have spatial size {(ho, wo)}, got {grad_out.shape[2:]}")
    N, C, H, W = shape
    gx = np.zeros(shape, grad_out.dtype)
    if grad_out.size:
        args = (H, W, ks[0], ks[1], st[0], st[1], pd[0], pd[1], ho, wo, bool(count_include_pad))
        if grad_out.dtype == np.float32:
            _avg_pool[float](grad_out.reshape(N * C, ho, wo), gx.reshape(N * C, H, W), True, *args)
        else:
            _avg_pool[double](grad_out.reshape(N * C, ho, wo), gx.reshape(N * C, H, W), True, *args)
    return gx


# ----------------------------------------------------------------------------- nearest upsampling

cdef void _upsample(floating[:, :, ::1] src, floating[:, :, ::1] dst, Py_ssize_t fh, Py_ssize_t fw,
                    bint backward) noexcept nogil:
    """Forward: dst (planes, H*fh, W*fw) repeats src. Backward: dst (planes, H, W) sums src's blocks."""
    cdef Py_ssize_t plane, y, x, H, W
    cdef int nt = threads_for(src.shape[0] * src.shape[1] * src.shape[2], MIN_WORK)
    if backward:
        H = dst.shape[1]
        W = dst.shape[2]
        for plane in prange(src.shape[0], num_threads=nt, schedule="static"):
            for y in range(H * fh):
                for x in range(W * fw):
                    dst[plane, y // fh, x // fw] += src[plane, y, x]
    else:
        for plane in prange(src.shape[0], num_threads=nt, schedule="static"):
            for y in range(dst.shape[1]):
                for x in range(dst.shape[2]):
                    dst[plane, y, x] = src[plane, y // fh, x // fw]


def upsample_nearest2d_forward(x, scale_h, scale_w):
    """Repeat each pixel of x (N, C, H, W) scale_h x scale_w times."""
    check_float(x, "input", 4)
    fh, fw = _pair((scale_h, scale_w), "scale_factor", True)
    N, C, H, W = x.shape
    out = np.empty((N, C, H * fh, W * fw), x.dtype)
    if out.size:
        if x.dtype == np.float32:
            _upsample[float](x.reshape(N * C, H, W), out.reshape(N * C, H * fh, W * fw), fh, fw, False)
        else:
            _upsample[double](x.reshape(N * C, H, W), out.reshape(N * C, H * fh, W * fw), fh, fw, False)
    return out


def upsample_nearest2d_backward(grad_out, scale_h, scale_w):
    """Sum grad_out (N, C, H*scale_h, W*scale_w) over each pixel's block."""
    check_float(grad_out, "grad_out", 4)
    fh, fw = _pair((scale_h, scale_w), "scale_factor", True)
    N, C, Ho, Wo = grad_out.shape
    if Ho % fh or Wo % fw:
        raise ValueError(f"grad_out spatial size {(Ho, Wo)} is not a multiple of the scale factors {(fh, fw)}")
    gx = np.zeros((N, C, Ho // fh, Wo // fw), grad_out.dtype)
    if gx.size:
        if grad_out.dtype == np.float32:
            _upsample[float](grad_out.reshape(N * C, Ho, Wo), gx.reshape(N * C, Ho // fh, Wo // fw), fh, fw, True)
        else:
            _upsample[double](grad_out.reshape(N * C, Ho, Wo), gx.reshape(N * C, Ho // fh, Wo // fw), fh, fw, True)
    return gx
