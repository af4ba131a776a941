# 2-D convolution (and its transpose), pooling and nearest upsampling over NCHW arrays:
# one extension module, fastnn.kernels._conv, in several files by algorithm.
#
#   conv.pyx            the public entry points, argument checks, geometry and the path
#                       choice: each pass of conv2d takes whichever of im2col + GEMM and the
#                       stride-1 direct kernels its measured rules say is faster (_direct_pays)
#   conv_im2col.pxi     im2col / col2im and the GEMM passes over chunks of images
#   conv_parts.pxi      a kernel's tasks claimed one at a time on gemmpool.h's threads
#   conv_workspace.pxi  the per-thread im2col workspace kept between calls
#   conv_direct.pxi     the direct-kernel drivers (kernels in directconv.h)
#   conv_winograd.pxi   Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions
#   conv_wgrad_panel.pxi  the im2col weight gradient in blocks of images on the panel micro-kernel
#   conv_transpose_s2.pxi the transposed 3x3 stride-2 layer on narrow rows, both ways (convtranspose2x.h)
#   conv_pool.pxi       max / avg pooling and nearest upsampling
#
# Each wrapper checks what memory safety needs (dtypes, ranks, shapes, contiguity, sizes
# and index ranges) before entering nogil code; argument conveniences are the Python
# layer's. The float/double choice is Cython's fused-type dispatch of the `def` drivers.
from cython.parallel cimport prange, parallel, threadid
from libc.string cimport memcpy, memset
from cython cimport floating
import math
import operator
import threading

import numpy as np
from blas cimport gemm
from parallel cimport threads_for, fastnn_max_threads
from parallel cimport fastnn_team_steer, fastnn_team_begin, fastnn_team_end
from flatarray cimport const_data_or_null
from directconv cimport (FNN_DC_PAD, FNN_DC_WLANES, direct_acc, direct_scatter, direct_wgrad, direct_acc_block,
                         direct_wgrad_block)
from maxpool cimport maxpool_plane
cdef extern from "sumblock.h" nogil:
    double fnn_sum_block_f32(const float *x, Py_ssize_t n)
from winograd cimport wino_input, wino_grad, wino_output, wino_regroup
from panelgemm cimport panel_gemm, fastnn_panel_width_f, fastnn_panel_width_d
from gemmsplit cimport fastnn_pool_run, FASTNN_HAVE_POOL, fastnn_part_fn

include "checks.pxi"

cdef Py_ssize_t MIN_WORK = 32768
cdef Py_ssize_t WINO_MIN_CHANNELS = 48
cdef Py_ssize_t GEMM_FULL_CHANNELS = 32   # output channels per group from which im2col's GEMMs run near peak
cdef Py_ssize_t COL_BYTES = 8 << 20    # cap on the im2col workspace of one chunk: a quarter of
                                       # L3, so GEMM reads col from cache (ResNet layer 121 -> 105 ms)


# ----------------------------------------------------------------------------- geometry

cdef tuple _pair(object v, str name, bint positive):
    """(a, b) from an int or a 2-tuple/list of ints (the Python layer normalises other forms);
    the sign check keeps sizes from reaching the loops as out-of-bounds offsets."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
        a, b = v
    else:
        a = b = v
    try:
        a, b = operator.index(a), operator.index(b)
    except TypeError:
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


cdef class _Geometry:
    """Sizes of one convolution pass: input (N, C, H, W), kernel kh x kw, stride, padding,
    dilation, groups, output ho x wo (P pixels), K = C/groups*kh*kw rows of im2col, and the
    images per im2col chunk."""
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


# ----------------------------------------------------------------------------- path choice

# Which path each pass takes: "auto" decides by the rules in _winograd_pays and _direct_pays;
# tests force "im2col", "direct", "scatter" (direct, with the scatter input gradient) or
# "winograd" (where legal; other shapes as "auto") to check each.
cdef str CONV_PATH = "auto"


def _set_conv_path(path):
    """Force a path for tests; returns the previous one."""
    global CONV_PATH
    if path not in ("auto", "im2col", "direct", "scatter", "winograd"):
        raise ValueError(f"path must be 'auto', 'im2col', 'direct', 'scatter' or 'winograd', got {path!r}")
    old = CONV_PATH
    CONV_PATH = path
    return old


cdef bint _winograd_pays(_Geometry G):
    """F(2x2, 3x3) needs a 3x3, stride-1, undilated, ungrouped kernel, and padding of at most 2
    (the input gradient pads grad_out by 2 - padding). In "auto" it takes every such layer
    with at least WINO_MIN_CHANNELS channels on each side: it does 16 multiplies for every 36
    of the direct and im2col paths whatever the vector width, and the channel sums are what
    its transforms are amortised over."""
    if CONV_PATH not in ("auto", "winograd"):
        return False
    if not (G.kh == 3 and G.kw == 3 and G.sh == 1 and G.sw == 1 and G.dh == 1 and G.dw == 1
            and G.groups == 1 and G.ph <= 2 and G.pw <= 2 and G.N > 0 and G.C > 0 and G.cout > 0):
        return False
    return CONV_PATH == "winograd" or min(G.C, G.cout) >= WINO_MIN_CHANNELS


cdef Py_ssize_t _rounded_grid(Py_ssize_t rows, Py_ssize_t row_len):
    return (rows * row_len + FNN_DC_PAD - 1) // FNN_DC_PAD * FNN_DC_PAD


cdef double _im2col_loss(_Geometry G):
    """How many times more an im2col multiply-add costs than on a wide layer. Every GEMM of a pass
    has the group's output channels on its short side (the rows of the forward and weight-gradient
    products, the sum of the input gradient's), and below GEMM_FULL_CHANNELS of them the GEMM and
    the im2col copy it amortises run far below peak: measured im2col forward, float32, one thread,
    AMD EPYC Zen 4 AVX-512, 1.4 GMAC/s with 1 output channel, 5-7 with 8, 15 with 16, 19 with 50;
    the direct kernels 30-43 on the positions they compute, on the AVX2 build alike."""
    return max(1.0, <double>GEMM_FULL_CHANNELS / max(1, G.coutg))


cdef double _block_fill(Py_ssize_t channels, Py_ssize_t block):
    """Channels a direct kernel computes (whole blocks) over the channels it needs."""
    channels = max(1, channels)
    return <double>((channels + block - 1) // block * block) / channels


cdef bint _direct_pays(_Geometry G, Py_ssize_t grid, double fill, double max_extra):
    """Stride 1 only. In "auto": the direct kernels' extra work, `grid` (their output positions,
    padded columns included) over the ho*wo useful ones times `fill` (their idle channels), against
    im2col + GEMM's, which measured (float32, AVX-512) on layers of 50-64 output channels as
    max_extra; below that im2col loses _im2col_loss(G) more. The 8 -> 8 channel layers on 8x8 and
    4x4 maps (1.5x and 2x extra) run their passes 2.4-3.3x faster direct (1 thread, CPU time, AMD
    EPYC Zen 4, AVX-512 and AVX2 builds). The whole weight (all groups) stays within the ResNet
    layer's 64 x 576 (beyond that, unmeasured: GEMM); the weight gradient keeps 16 partial sums of
    each per thread."""
    if G.sh != 1 or G.sw != 1 or CONV_PATH == "im2col":
        return False
    if CONV_PATH not in ("auto", "winograd"):
        return True
    return (grid * fill <= max_extra * _im2col_loss(G) * G.ho * G.wo
            and G.cout * G.K <= 64 * 576)


cdef bint _direct_forward_pays(_Geometry G):
    # LeNet's second layer ran faster direct at 1.5x extra (1.9 vs 3.0 ms) and at 2.0x, with
    # rows rounded to 64 values (2.2 vs 2.7 ms)
    return _direct_pays(G, _rounded_grid(G.ho, G.W + 2 * G.pw), _block_fill(G.coutg, direct_acc_block()), 2.0)


cdef bint _direct_weight_grad_pays(_Geometry G):
    # ... but its weight gradient (1.5x) did not (4.0 vs 3.6 ms; 5.5 vs 3.9 ms on Zen 4); LeNet-1's
    # (1.17x) did (0.6 vs 2.0 ms)
    return _direct_pays(G, _rounded_grid(G.ho, G.W + 2 * G.pw), _block_fill(G.coutg, direct_wgrad_block()), 1.4)


cdef bint _panel_wgrad_pays(_Geometry G):
    """The im2col weight gradient in blocks on the panel kernel (conv_wgrad_panel.pxi) rather than
    one BLAS product over the whole batch: ungrouped layers whose im2col of one image fits its
    block (in float64, so the rule does not depend on the dtype), with K >= 64 rows and at least
    16 output channels (the panels hold them rounded up to 32). Measured, CPU ms of the pass on one
    thread, float32, Xeon AVX-512 (AVX2 build against OpenBLAS's Haswell kernels in brackets),
    panel / BLAS: LeNet-2 (K 500, 50 out) 1.93 / 2.43 (2.86 / 3.20); 8 -> 16 on 16x16 (K 72) 1.22
    / 1.44 (1.61 / 1.72); but LeNet-1 (K 25, 20 out) 1.5 / 1.1 and 16 -> 8 on 14x14 (8 out) 2.4 /
    2.4 (3.2 / 2.9), before rows inside the plane were copied without tests (load 5-6)."""
    return (G.groups == 1 and G.N > 0 and G.P > 0 and G.K >= 64 and G.cout >= 16
            and G.K * G.P * 8 <= WGRAD_BLOCK_BYTES)


cdef str _input_grad_path(_Geometry G):
    """"flipped": the convolution of grad_out (padded by dilation*(k-1) - padding) with the
    flipped kernel; all reductions in registers, but it computes the zero border, 4x extra
    work on LeNet-2 (3.8 vs 2.6 ms im2col) against 1.3x on the autoencoder (0.4 vs 1.1 ms)
    and ResNet (19 vs 30 ms). "scatter": grad_out pixels added through the taps into padded
    input planes; forward-sized work (LeNet-2: 2.3 ms) but a read-modify-write per tap, which
    made it 1.5-1.7x slower per position than flipped (16 -> 8 on 14x14, 8 -> 8 on 8x8 and 7x7;
    1 thread, Zen 4, AVX-512). Both compute the input channels in the forward kernel's blocks:
    with one input channel (a first layer) they leave 3 or 7 of every 4 or 8 idle."""
    flipped_legal = G.ph <= G.dh * (G.kh - 1) and G.pw <= G.dw * (G.kw - 1)
    scatter_grid = _rounded_grid(G.ho, G.W + 2 * G.pw)
    if not _direct_pays(G, scatter_grid, _block_fill(G.cg, direct_acc_block()), 1.6):
        return "im2col"
    if CONV_PATH == "scatter" or not flipped_legal:
        return "scatter"
    if CONV_PATH == "direct":
        return "flipped"
    if _rounded_grid(G.H, G.wo + 2 * (G.dw * (G.kw - 1) - G.pw)) <= 1.5 * scatter_grid:
        return "flipped"
    return "scatter"



include "conv_parts.pxi"
include "conv_workspace.pxi"
include "conv_im2col.pxi"
include "conv_direct.pxi"
include "conv_winograd.pxi"
include "conv_wgrad_panel.pxi"
include "conv_transpose_s2.pxi"


# ----------------------------------------------------------------------------- public: conv2d

def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation plus bias, as torch.nn.functional.conv2d.

    Parameters
    ----------
    x : ndarray, (N, C, H, W), float32 or float64, C-contiguous
    weight : ndarray, (Cout, C/groups, kh, kw), x's dtype, C-contiguous
    bias : ndarray (Cout,) of x's dtype, C-contiguous; or None
    stride, dilation : int or pair of ints, positive
    padding : int or pair of ints, non-negative (zeros)
    groups : int, positive; divides the input and output channels

    Returns
    -------
    out : ndarray, (N, Cout, Ho, Wo), x's dtype
    """
    st, pd, dl = _check_conv(x, weight, bias, stride, padding, dilation, groups, False)
    G = _geometry(x.shape, weight.shape, st, pd, dl, groups, weight.shape[0], x.itemsize)
    if _winograd_pays(G):
        out = _winograd_conv(x, weight, bias, G.ph, G.pw)   # None: not finite, left to the other paths
        if out is not None:
            return out
    if G.N > 0 and G.cout > 0 and _direct_forward_pays(G):
        return _direct_conv(x, weight, bias, groups, pd, dl, G.ho, G.wo)
    w2 = weight.reshape(weight.shape[0], math.prod(weight.shape[1:]))  # -1 fails when shape[0] == 0
    return _run_forward(x, w2, bias, G).reshape(G.N, G.cout, G.ho, G.wo)


def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1, groups=1,
                    need_input=True, need_weight=True, need_bias=True):
    """Gradients of conv2d_forward.

    Parameters
    ----------
    x, weight, stride, padding, dilation, groups : as given to conv2d_forward
    grad_out : ndarray, (N, Cout, Ho, Wo), x's dtype, C-contiguous
    need_input, need_weight, need_bias : bool
        Compute the input, weight or bias gradient; a gradient not needed is returned as None.

    Returns
    -------
    grad_input : ndarray (N, C, H, W) or None
    grad_weight : ndarray (Cout, C/groups, kh, kw) or None
    grad_bias : ndarray (Cout,) or None
    """
    st, pd, dl = _check_conv(x, weight, None, stride, padding, dilation, groups, False)
    G = _geometry(x.shape, weight.shape, st, pd, dl, groups, weight.shape[0], x.itemsize)
    check_same_dtype(grad_out, "grad_out", x, "input", 4)
    if grad_out.shape != (G.N, G.cout, G.ho, G.wo):
        raise ValueError(f"grad_out must have shape {(G.N, G.cout, G.ho, G.wo)}, got {grad_out.shape}")
    gb = _bias_grad(grad_out, G.N, G.cout, G.P) if need_bias else None
    # each pass takes whichever path pays for it (see _winograd_pays and _direct_pays); a
    # Winograd result that is not finite (None) is left to the other paths
    wino_gx = _winograd_input_grad(weight, grad_out, G.ph, G.pw) if need_input and _winograd_pays(G) else None
    wino_gw = _winograd_weight_grad(x, weight, grad_out, G.ph, G.pw) if need_weight and _winograd_pays(G) else None
    need_input, need_weight = need_input and wino_gx is None, need_weight and wino_gw is None
    # An inf or NaN weight takes im2col: the direct input gradients multiply it by padding zeros.
    direct_x_ok = need_input and G.N > 0 and G.cout > 0 and np.isfinite(weight.sum(dtype=weight.dtype))
    x_path = _input_grad_path(G) if direct_x_ok else "im2col"
    direct_x = x_path != "im2col"
    # The direct weight gradient also multiplies discarded positions' inputs by zero, which
    # turns an inf or NaN input into NaN in other weights' gradients; but it sums every product
    # im2col does (and zeros): when its result is finite it is im2col's, else im2col redoes it.
    # (Checking the small result, not the input, saved a sum of x: 0.06 ms on the 8x8 layer.)
    gw = None
    if need_weight and G.N > 0 and G.cout > 0 and _direct_weight_grad_pays(G):
        gw = _direct_weight_grad(x, weight, grad_out, groups, pd, dl)
        if not np.isfinite(gw).all():
            gw = None
    direct_w = gw is not None
    panel_w = need_weight and not direct_w and _panel_wgrad_pays(G)
    w2 = weight.reshape(weight.shape[0], math.prod(weight.shape[1:]))  # -1 fails when shape[0] == 0
    gx, gw2 = _run_backward(x, w2, grad_out.reshape(G.N, G.cout, G.P), G,
                            need_input and not direct_x, need_weight and not direct_w and not panel_w)
    if need_weight and not direct_w and not panel_w:
        gw = gw2.reshape(weight.shape)
    if panel_w:
        gw = _run_panel_wgrad(x, grad_out.reshape(G.N, G.cout, G.P), G).reshape(weight.shape)
    if x_path == "flipped":
        gx = _direct_input_grad_flipped(x.shape, weight, grad_out, groups, pd, dl)
    elif x_path == "scatter":
        gx = _direct_input_grad_scatter(x.shape, weight, grad_out, groups, pd, dl)
    if wino_gx is not None:
        gx = wino_gx
    if wino_gw is not None:
        gw = wino_gw
    return gx, gw, gb


# Values from which a float32 bias gradient is summed natively (rows of each (image, channel) on fastnn's threads,
# in double precision): below, NumPy's sum costs less than a parallel region. The conv autoencoder's seven
# bias gradients (up to (128, 16, 28, 28)) took 0.9 ms of its 18 ms step in NumPy.
cdef Py_ssize_t BIAS_NATIVE_MIN = 1 << 16


cdef object _bias_grad(grad_out, Py_ssize_t N, Py_ssize_t C, Py_ssize_t P):
    """grad_out (N, C, P) summed over images and positions: one sum per (image, channel) row, then over images
    in order (the same bits on any number of threads)."""
    cdef fastnn_team_steer _team
    if not is_single(grad_out) or N * C * P < BIAS_NATIVE_MIN:
        # (sums of contiguous rows first: half the time of a sum over axes (0, 2, 3))
        return grad_out.reshape(N * C, P).sum(axis=1).reshape(N, C).sum(axis=0)
    sums = np.empty((N, C), np.float64)
    cdef const float *gp = <const float *>data_of(grad_out)
    cdef double *sp = <double *>data_of(sums)
    cdef Py_ssize_t r
    cdef int nt = threads_for(N * C * P, BIAS_NATIVE_MIN)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for r in prange(N * C, num_threads=nt, schedule="static"):
            sp[r] = fnn_sum_block_f32(gp + r * P, P)
        fastnn_team_end(&_team)
    return sums.sum(axis=0).astype(np.float32)


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
    """Transposed 2-D convolution plus bias, as torch.nn.functional.conv_transpose2d.

    Parameters
    ----------
    x : ndarray, (N, Cin, H, W), float32 or float64, C-contiguous
    weight : ndarray, (Cin, Cout/groups, kh, kw), x's dtype, C-contiguous
    bias : ndarray (Cout,) of x's dtype, C-contiguous; or None
    stride, padding, dilation, groups : as for conv2d_forward
    output_padding : int or pair of ints, non-negative, smaller than stride or dilation

    Returns
    -------
    out : ndarray, (N, Cout, Ho, Wo), x's dtype; Ho = (H-1)*stride - 2*padding + dilation*(kh-1) + output_padding + 1
    """
    st, pd, dl = _check_conv(x, weight, bias, stride, padding, dilation, groups, True)
    op = _pair(output_padding, "output_padding", False)
    G, Ho, Wo = _transpose_geometry(x, weight, st, pd, op, dl, groups)
    if _convt3s2_applies(x, weight, st, pd, dl, op, groups):
        return _convt3s2_forward(x, weight, bias, Ho, Wo)
    w2 = weight.reshape(weight.shape[0], math.prod(weight.shape[1:]))  # -1 fails when shape[0] == 0
    out, _ = _run_backward(np.empty((1, 1, 1, 1), x.dtype), w2, x.reshape(G.N, G.cout, G.P), G, True, False)
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1)
    return out


def conv_transpose2d_backward(x, weight, grad_out, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                              need_input=True, need_weight=True, need_bias=True):
    """Gradients of conv_transpose2d_forward.

    Parameters
    ----------
    x, weight, stride, padding, output_padding, dilation, groups : as given to conv_transpose2d_forward
    grad_out : ndarray, (N, Cout, Ho, Wo), x's dtype, C-contiguous
    need_input, need_weight, need_bias : as for conv2d_backward

    Returns
    -------
    grad_input : ndarray (N, Cin, H, W) or None
    grad_weight : ndarray (Cin, Cout/groups, kh, kw) or None
    grad_bias : ndarray (Cout,) or None
    """
    st, pd, dl = _check_conv(x, weight, None, stride, padding, dilation, groups, True)
    op = _pair(output_padding, "output_padding", False)
    G, Ho, Wo = _transpose_geometry(x, weight, st, pd, op, dl, groups)
    check_same_dtype(grad_out, "grad_out", x, "input", 4)
    if grad_out.shape != (G.N, G.C, Ho, Wo):
        raise ValueError(f"grad_out must have shape {(G.N, G.C, Ho, Wo)}, got {grad_out.shape}")
    if _convt3s2_backward_applies(x, weight, grad_out, st, pd, dl, op, groups):
        return _convt3s2_backward(x, weight, grad_out, need_input, need_weight, need_bias)
    w2 = weight.reshape(weight.shape[0], math.prod(weight.shape[1:]))  # -1 fails when shape[0] == 0
    # the conv (grad_out -> x)'s forward is the input gradient, and its weight gradient with x
    # as the output gradient is the weight gradient: one im2col of grad_out serves both
    gx, gw2 = _run_forward_and_weight_grad(grad_out, w2, x.reshape(G.N, G.cout, G.P), G, need_input, need_weight)
    gx = gx.reshape(x.shape) if need_input else None
    gw = gw2.reshape(weight.shape) if need_weight else None
    gb = _bias_grad(grad_out, G.N, G.C, Ho * Wo) if need_bias else None
    return gx, gw, gb


include "conv_pool.pxi"
