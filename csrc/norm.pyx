# Normalisations, forward and backward: one extension module, fastnn.kernels._norm.
#
# Layer norm over the last axis of an (R, C) array: fused mean, variance and affine (layernormrow.h),
# blocks of ROWS rows handed out to OpenMP threads as they come free (a busy core then costs its
# share of blocks, not half the call). The backward makes one sweep over x and grad_out: the input
# gradient and the weight/bias gradients together, the latter summed per thread in the input's
# dtype over a block and folded into doubles after it. The residual variant normalises x + residual
# and returns that sum too (a Transformer's residual stream), its backward adding the stream's own
# gradient in the same sweep. Each wrapper checks dtypes, ranks and shapes before entering nogil code.
from cython.parallel cimport prange, threadid
from cython cimport floating
from libc.string cimport memset
from libc.stdint cimport uint64_t, uint32_t
import numpy as np
from parallel cimport threads_for
from parallel cimport fastnn_team_steer, fastnn_team_begin, fastnn_team_end

include "checks.pxi"

# Elements of a call below which it stays on one thread (attention's threshold; not tuned for layer norm).
cdef Py_ssize_t MIN_WORK = 16384
# Rows per work item; the parameter-gradient partials (float32 sums) span at most this many rows.
cdef Py_ssize_t ROWS = 32


cdef extern from "layernormrow.h" nogil:
    void fastnn_ln_rows_forward_f32(const float *x, const float *res, const float *w, const float *b,
                                    Py_ssize_t R, Py_ssize_t C, double eps, float *y, float *sum,
                                    double *mean, double *rstd, Py_ssize_t row0, uint64_t seed, uint32_t threshold,
                                    float scale, int masked)
    void fastnn_ln_rows_forward_f64(const double *x, const double *res, const double *w, const double *b,
                                    Py_ssize_t R, Py_ssize_t C, double eps, double *y, double *sum,
                                    double *mean, double *rstd, Py_ssize_t row0, uint64_t seed, uint32_t threshold,
                                    double scale, int masked)
    void fastnn_ln_rows_backward_f32(const float *x, const float *g, const float *w, const double *mean,
                                     const double *rstd, Py_ssize_t R, Py_ssize_t C, float *gx, const float *gres,
                                     float *pw, float *pb)
    void fastnn_ln_rows_backward_f64(const double *x, const double *g, const double *w, const double *mean,
                                     const double *rstd, Py_ssize_t R, Py_ssize_t C, double *gx,
                                     const double *gres, double *pw, double *pb)
    void fastnn_ln_fold_f32(const float *part, Py_ssize_t C, double *acc)
    void fastnn_ln_fold_f64(const double *part, Py_ssize_t C, double *acc)


cdef tuple _affine(x, weight, bias):
    """weight and bias checked, a missing one as ones / zeros (the kernels always apply both)."""
    C = x.shape[1]
    for arr, name in ((weight, "weight"), (bias, "bias")):
        if arr is not None:
            check_same_dtype(arr, name, x, "input", 1)
            if arr.shape[0] != C:
                raise ValueError(f"{name} must have shape ({C},), got {arr.shape}")
    return (np.ones(C, x.dtype) if weight is None else weight), (np.zeros(C, x.dtype) if bias is None else bias)


def layer_norm_forward(x, weight=None, bias=None, eps=1e-5):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per row of x (R, C), biased variance.

    Returns (y (R, C), mean (R,) float64, rstd (R,) float64).
    """
    check_float(x, "input", 2)
    w, b = _affine(x, weight, bias)
    y = np.empty_like(x)
    mean, rstd = np.zeros(x.shape[0]), np.zeros(x.shape[0])
    if x.size:
        if x.dtype == np.float32:
            _ln_forward[float](x, None, w, b, float(eps), y, None, mean, rstd, 0.0, 0)
        else:
            _ln_forward[double](x, None, w, b, float(eps), y, None, mean, rstd, 0.0, 0)
    return y, mean, rstd


def add_layer_norm_forward(x, residual, weight=None, bias=None, eps=1e-5, p=0.0, seed=0):
    """layer_norm_forward of s = x + residual (both (R, C), one dtype), in one sweep; with p > 0,
    s = x + dropout_mask_apply(residual, p, seed) (the dropout family's mask, from the same draws).

    Returns (y (R, C), s (R, C), mean (R,) float64, rstd (R,) float64); s is what
    layer_norm_backward takes as its input.
    """
    check_float(x, "input", 2)
    check_like(residual, "residual", x, "input")
    if not 0.0 <= float(p) < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    w, b = _affine(x, weight, bias)
    y, s = np.empty_like(x), np.empty_like(x)
    mean, rstd = np.zeros(x.shape[0]), np.zeros(x.shape[0])
    if x.size:
        if x.dtype == np.float32:
            _ln_forward[float](x, residual, w, b, float(eps), y, s, mean, rstd, float(p), int(seed))
        else:
            _ln_forward[double](x, residual, w, b, float(eps), y, s, mean, rstd, float(p), int(seed))
    return y, s, mean, rstd


cdef void _ln_forward(const floating[:, ::1] x, object res_arr, const floating[::1] w, const floating[::1] b,
                      double eps, floating[:, ::1] y, object sum_arr, double[::1] mean, double[::1] rstd, double p,
                      uint64_t seed):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1], i, r0, n
    cdef Py_ssize_t blocks = (R + ROWS - 1) // ROWS
    cdef const floating[:, ::1] res
    cdef floating[:, ::1] s
    cdef const floating* rp = NULL
    cdef floating* sp = NULL
    if res_arr is not None:
        res = res_arr
        s = sum_arr
        rp = &res[0, 0]
        sp = &s[0, 0]
    # dropout's keep threshold and scale, as csrc/dropout.pyx computes them
    cdef uint32_t threshold = <uint32_t>(p * 16777216.0 + 0.5)
    cdef floating scale = <floating>(1.0 / (1.0 - p))
    cdef int masked = p > 0.0
    cdef int nt = threads_for(R * C, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for i in prange(blocks, num_threads=nt, schedule="dynamic"):
            r0 = i * ROWS
            n = R - r0 if R - r0 < ROWS else ROWS
            if floating is float:
                fastnn_ln_rows_forward_f32(&x[r0, 0], rp + r0 * C if rp != NULL else NULL, &w[0], &b[0], n, C,
                                           eps, &y[r0, 0], sp + r0 * C if sp != NULL else NULL, &mean[r0],
                                           &rstd[r0], r0, seed, threshold, scale, masked)
            else:
                fastnn_ln_rows_forward_f64(&x[r0, 0], rp + r0 * C if rp != NULL else NULL, &w[0], &b[0], n, C,
                                           eps, &y[r0, 0], sp + r0 * C if sp != NULL else NULL, &mean[r0],
                                           &rstd[r0], r0, seed, threshold, scale, masked)
        fastnn_team_end(&_team)


def layer_norm_backward(x, mean, rstd, grad_out, weight=None, need_weight=True, need_bias=True, need_input=True,
                        grad_residual=None):
    """(grad_input, grad_weight, grad_bias) of layer_norm_forward; each None when not needed (the
    input's when need_input is false), grad_weight/grad_bias also when the layer has no weight/bias.
    grad_residual (x's shape and dtype), when given, is added to grad_input: the gradient that
    reaches the sum of add_layer_norm_forward along the residual stream."""
    check_float(x, "input", 2)
    check_like(grad_out, "grad_out", x, "input")
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1]
    for arr, name in ((mean, "mean"), (rstd, "rstd")):
        check_float(arr, name, 1)
        if arr.dtype != np.float64 or arr.shape[0] != R:
            raise ValueError(f"{name} must be float64 of shape ({R},), got {arr.dtype} {arr.shape}")
    if grad_residual is not None:
        check_like(grad_residual, "grad_residual", x, "input")
    w, _ = _affine(x, weight, None)
    need_w, need_b = bool(need_weight) and weight is not None, bool(need_bias)
    gx = np.empty_like(x) if need_input else None
    cdef int nt = threads_for(R * C, MIN_WORK)
    acc = np.zeros((nt, 2, C)) if need_w or need_b else None
    if R and C and (gx is not None or acc is not None):
        if x.dtype == np.float32:
            _ln_backward[float](x, mean, rstd, grad_out, w, gx, grad_residual, acc, nt)
        else:
            _ln_backward[double](x, mean, rstd, grad_out, w, gx, grad_residual, acc, nt)
    gw = acc[:, 0].sum(axis=0).astype(x.dtype) if need_w else None
    gb = acc[:, 1].sum(axis=0).astype(x.dtype) if need_b else None
    return gx, gw, gb


cdef void _ln_backward(const floating[:, ::1] x, const double[::1] mean, const double[::1] rstd,
                       const floating[:, ::1] g, const floating[::1] w, object gx_arr, object gres_arr,
                       object acc_arr, int nt):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1], i, r0, n
    cdef Py_ssize_t blocks = (R + ROWS - 1) // ROWS
    cdef int t
    cdef floating[:, ::1] gx
    cdef const floating[:, ::1] gres
    cdef floating* gxp = NULL
    cdef const floating* gresp = NULL
    cdef floating[:, :, ::1] part
    cdef double[:, :, ::1] acc
    cdef floating* pp = NULL
    cdef double* ap = NULL
    if gx_arr is not None:
        gx = gx_arr
        gxp = &gx[0, 0]
    if gres_arr is not None:
        gres = gres_arr
        gresp = &gres[0, 0]
    if acc_arr is not None:
        acc = acc_arr
        ap = &acc[0, 0, 0]
        part = np.empty((nt, 2, C), np.float32 if floating is float else np.float64)
        pp = &part[0, 0, 0]
    with nogil:
        fastnn_team_begin(&_team, nt)
        for i in prange(blocks, num_threads=nt, schedule="dynamic"):
            r0 = i * ROWS
            n = R - r0 if R - r0 < ROWS else ROWS
            t = threadid()
            if pp != NULL:
                memset(pp + t * 2 * C, 0, 2 * C * sizeof(floating))
            if floating is float:
                fastnn_ln_rows_backward_f32(&x[r0, 0], &g[r0, 0], &w[0], &mean[r0], &rstd[r0], n, C,
                                            gxp + r0 * C if gxp != NULL else NULL,
                                            gresp + r0 * C if gresp != NULL else NULL,
                                            pp + t * 2 * C if pp != NULL else NULL,
                                            pp + t * 2 * C + C if pp != NULL else NULL)
                if pp != NULL:
                    fastnn_ln_fold_f32(pp + t * 2 * C, 2 * C, ap + t * 2 * C)
            else:
                fastnn_ln_rows_backward_f64(&x[r0, 0], &g[r0, 0], &w[0], &mean[r0], &rstd[r0], n, C,
                                            gxp + r0 * C if gxp != NULL else NULL,
                                            gresp + r0 * C if gresp != NULL else NULL,
                                            pp + t * 2 * C if pp != NULL else NULL,
                                            pp + t * 2 * C + C if pp != NULL else NULL)
                if pp != NULL:
                    fastnn_ln_fold_f64(pp + t * 2 * C, 2 * C, ap + t * 2 * C)
        fastnn_team_end(&_team)


# ----------------------------------------------------------------------------- batch norm
cdef extern from "batchnormplane.h" nogil:
    void fastnn_bn_channel_forward_f32(const float *x, Py_ssize_t N, Py_ssize_t stride, Py_ssize_t M, double eps,
                                       double w, double b, float *y, double *mean, double *var, double *rstd)
    void fastnn_bn_channel_forward_f64(const double *x, Py_ssize_t N, Py_ssize_t stride, Py_ssize_t M, double eps,
                                       double w, double b, double *y, double *mean, double *var, double *rstd)
    void fastnn_bn_channel_backward_f32(const float *x, const float *g, Py_ssize_t N, Py_ssize_t stride,
                                        Py_ssize_t M, double mean, double rstd, double w, float *gx, double *sum_g,
                                        double *sum_gxhat)
    void fastnn_bn_channel_backward_f64(const double *x, const double *g, Py_ssize_t N, Py_ssize_t stride,
                                        Py_ssize_t M, double mean, double rstd, double w, double *gx,
                                        double *sum_g, double *sum_gxhat)


cdef object _channel_stats(object arr, str name, Py_ssize_t C):
    if not isinstance(arr, np.ndarray) or arr.dtype != np.float64 or arr.shape != (C,):
        raise ValueError(f"{name} must be a float64 array of shape ({C},), got "
                         f"{getattr(arr, 'dtype', type(arr).__name__)} {getattr(arr, 'shape', '')}")
    return np.ascontiguousarray(arr)


def batch_norm_forward(x, weight=None, bias=None, eps=1e-5):
    """Training batch norm of x (N, C, M): per channel, y = (x - mean) / sqrt(var + eps) * weight + bias over
    its N * M values, biased variance. Threads take whole channels.

    Returns (y (N, C, M), mean (C,), var (C,), rstd (C,)); the statistics are float64.
    """
    check_float(x, "input", 3)
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], M = x.shape[2]
    if N * M == 0 and C:
        raise ValueError(f"input must have values in every channel, got shape {x.shape}")
    w, b = _affine(x, weight, bias)
    y = np.empty_like(x)
    mean, var, rstd = np.empty(C), np.empty(C), np.empty(C)
    if x.size:
        if x.dtype == np.float32:
            _bn_forward[float](x, w, b, float(eps), y, mean, var, rstd)
        else:
            _bn_forward[double](x, w, b, float(eps), y, mean, var, rstd)
    return y, mean, var, rstd


cdef void _bn_forward(const floating[:, :, ::1] x, const floating[::1] w, const floating[::1] b, double eps,
                      floating[:, :, ::1] y, double[::1] mean, double[::1] var, double[::1] rstd):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], M = x.shape[2], c
    cdef int nt = min(threads_for(N * C * M, MIN_WORK), C)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for c in prange(C, num_threads=nt, schedule="dynamic"):
            if floating is float:
                fastnn_bn_channel_forward_f32(&x[0, c, 0], N, C * M, M, eps, w[c], b[c], &y[0, c, 0], &mean[c],
                                              &var[c], &rstd[c])
            else:
                fastnn_bn_channel_forward_f64(&x[0, c, 0], N, C * M, M, eps, w[c], b[c], &y[0, c, 0], &mean[c],
                                              &var[c], &rstd[c])
        fastnn_team_end(&_team)


def batch_norm_backward(x, mean, rstd, grad_out, weight=None, need_weight=True, need_bias=True, need_input=True):
    """(grad_input, grad_weight, grad_bias) of batch_norm_forward (batch statistics: the input gradient
    includes their dependence on x); each None when not needed, grad_weight also without a weight."""
    check_float(x, "input", 3)
    check_like(grad_out, "grad_out", x, "input")
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], M = x.shape[2]
    mean = _channel_stats(mean, "mean", C)
    rstd = _channel_stats(rstd, "rstd", C)
    w, _ = _affine(x, weight, None)
    gx = np.empty_like(x) if need_input else None
    sums = np.zeros((2, C))
    if x.size:
        if x.dtype == np.float32:
            _bn_backward[float](x, grad_out, mean, rstd, w, gx, sums)
        else:
            _bn_backward[double](x, grad_out, mean, rstd, w, gx, sums)
    gw = sums[1].astype(x.dtype) if need_weight and weight is not None else None
    gb = sums[0].astype(x.dtype) if need_bias else None
    return gx, gw, gb


cdef void _bn_backward(const floating[:, :, ::1] x, const floating[:, :, ::1] g, const double[::1] mean,
                       const double[::1] rstd, const floating[::1] w, object gx_arr, double[:, ::1] sums):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], M = x.shape[2], c
    cdef int nt = min(threads_for(N * C * M, MIN_WORK), C)
    cdef floating[:, :, ::1] gx
    cdef floating* gxp = NULL
    if gx_arr is not None:
        gx = gx_arr
        gxp = &gx[0, 0, 0]
    with nogil:
        fastnn_team_begin(&_team, nt)
        for c in prange(C, num_threads=nt, schedule="dynamic"):
            if floating is float:
                fastnn_bn_channel_backward_f32(&x[0, c, 0], &g[0, c, 0], N, C * M, M, mean[c], rstd[c], w[c],
                                               gxp + c * M if gxp != NULL else NULL, &sums[0, c], &sums[1, c])
            else:
                fastnn_bn_channel_backward_f64(&x[0, c, 0], &g[0, c, 0], N, C * M, M, mean[c], rstd[c], w[c],
                                               gxp + c * M if gxp != NULL else NULL, &sums[0, c], &sums[1, c])
        fastnn_team_end(&_team)
