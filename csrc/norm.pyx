# Normalisations, forward and backward: one extension module, fastnn.kernels._norm.
#
# Layer norm over the last axis of an (R, C) array: fused mean, variance and affine, one row
# per call of the C row loops (layernormrow.h), rows shared out by OpenMP. Statistics in double.
# Each wrapper checks dtypes, ranks and shapes before entering nogil code.
from cython.parallel cimport prange, threadid
from cython cimport floating
import numpy as np
from parallel cimport threads_for

include "checks.pxi"

# Elements of a call below which it stays on one thread (attention's threshold; not tuned for layer norm).
cdef Py_ssize_t MIN_WORK = 16384


cdef extern from "layernormrow.h" nogil:
    void fastnn_ln_row_forward_f32(const float *x, const float *w, const float *b, Py_ssize_t C, double eps,
                                   float *y, double *mean, double *rstd)
    void fastnn_ln_row_forward_f64(const double *x, const double *w, const double *b, Py_ssize_t C, double eps,
                                   double *y, double *mean, double *rstd)
    void fastnn_ln_row_backward_f32(const float *x, const float *g, const float *w, Py_ssize_t C, double mu,
                                    double rs, float *gx)
    void fastnn_ln_row_backward_f64(const double *x, const double *g, const double *w, Py_ssize_t C, double mu,
                                    double rs, double *gx)
    void fastnn_ln_row_param_grads_f32(const float *x, const float *g, Py_ssize_t C, double mu, double rs,
                                       double *gw, double *gb)
    void fastnn_ln_row_param_grads_f64(const double *x, const double *g, Py_ssize_t C, double mu, double rs,
                                       double *gw, double *gb)


def layer_norm_forward(x, weight=None, bias=None, eps=1e-5):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per row of x (R, C), biased variance.

    Returns (y (R, C), mean (R,) float64, rstd (R,) float64).
    """
    check_float(x, "input", 2)
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1]
    for arr, name in ((weight, "weight"), (bias, "bias")):
        if arr is not None:
            check_same_dtype(arr, name, x, "input", 1)
            if arr.shape[0] != C:
                raise ValueError(f"{name} must have shape ({C},), got {arr.shape}")
    y = np.empty_like(x)
    mean = np.zeros(R)
    rstd = np.zeros(R)
    if R and C:
        if x.dtype == np.float32:
            _ln_forward[float](x, weight, bias, float(eps), y, mean, rstd)
        else:
            _ln_forward[double](x, weight, bias, float(eps), y, mean, rstd)
    return y, mean, rstd


cdef void _ln_forward(const floating[:, ::1] x, object w_arr, object b_arr, double eps, floating[:, ::1] y,
                      double[::1] mean, double[::1] rstd):
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1], r
    cdef const floating[::1] w, b
    cdef const floating* wp = NULL
    cdef const floating* bp = NULL
    if w_arr is not None:
        w = w_arr
        wp = &w[0]
    if b_arr is not None:
        b = b_arr
        bp = &b[0]
    cdef int nt = threads_for(R * C, MIN_WORK)
    with nogil:
        for r in prange(R, num_threads=nt, schedule="static"):
            if floating is float:
                fastnn_ln_row_forward_f32(&x[r, 0], wp, bp, C, eps, &y[r, 0], &mean[r], &rstd[r])
            else:
                fastnn_ln_row_forward_f64(&x[r, 0], wp, bp, C, eps, &y[r, 0], &mean[r], &rstd[r])


def layer_norm_backward(x, mean, rstd, grad_out, weight=None, need_weight=True, need_bias=True, need_input=True):
    """(grad_input, grad_weight, grad_bias) of layer_norm_forward; each None when not needed (the
    input's when need_input is false), grad_weight/grad_bias also when the layer has no weight/bias."""
    check_float(x, "input", 2)
    check_like(grad_out, "grad_out", x, "input")
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1]
    for arr, name in ((mean, "mean"), (rstd, "rstd")):
        check_float(arr, name, 1)
        if arr.dtype != np.float64 or arr.shape[0] != R:
            raise ValueError(f"{name} must be float64 of shape ({R},), got {arr.dtype} {arr.shape}")
    if weight is not None:
        check_same_dtype(weight, "weight", x, "input", 1)
        if weight.shape[0] != C:
            raise ValueError(f"weight must have shape ({C},), got {weight.shape}")
    gx = np.empty_like(x) if need_input else None
    gw = np.zeros(C) if need_weight and weight is not None else None
    gb = np.zeros(C) if need_bias else None
    if R and C:
        if gx is not None and x.dtype == np.float32:
            _ln_backward[float](x, mean, rstd, grad_out, weight, gx)
        elif gx is not None:
            _ln_backward[double](x, mean, rstd, grad_out, weight, gx)
        if x.dtype == np.float32:
            _ln_param_grads[float](x, mean, rstd, grad_out, gw, gb)
        else:
            _ln_param_grads[double](x, mean, rstd, grad_out, gw, gb)
    return gx, (None if gw is None else gw.astype(x.dtype)), (None if gb is None else gb.astype(x.dtype))


cdef void _ln_backward(const floating[:, ::1] x, const double[::1] mean, const double[::1] rstd,
                       const floating[:, ::1] g,
                       object w_arr, floating[:, ::1] gx):
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1], r
    cdef const floating[::1] w
    cdef const floating* wp = NULL
    if w_arr is not None:
        w = w_arr
        wp = &w[0]
    cdef int nt = threads_for(R * C, MIN_WORK)
    with nogil:
        for r in prange(R, num_threads=nt, schedule="static"):
            if floating is float:
                fastnn_ln_row_backward_f32(&x[r, 0], &g[r, 0], wp, C, mean[r], rstd[r], &gx[r, 0])
            else:
                fastnn_ln_row_backward_f64(&x[r, 0], &g[r, 0], wp, C, mean[r], rstd[r], &gx[r, 0])


cdef void _ln_param_grads(const floating[:, ::1] x, const double[::1] mean, const double[::1] rstd,
                          const floating[:, ::1] g,
                          object gw_arr, object gb_arr):
    """grad_weight = sum over rows of g * xhat, grad_bias = sum of g (column sums, in double): each
    thread sums a static share of the rows into its own row of partial sums, added up at the end."""
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1], r
    cdef int nt = threads_for(R * C, MIN_WORK)
    need_w, need_b = gw_arr is not None, gb_arr is not None
    parts_w = np.zeros((nt if need_w else 1, C if need_w else 1))
    parts_b = np.zeros((nt if need_b else 1, C if need_b else 1))
    cdef double[:, ::1] pw = parts_w, pb = parts_b
    cdef bint has_w = need_w, has_b = need_b
    with nogil:
        for r in prange(R, num_threads=nt, schedule="static"):
            if floating is float:
                fastnn_ln_row_param_grads_f32(&x[r, 0], &g[r, 0], C, mean[r], rstd[r],
                                              &pw[threadid(), 0] if has_w else NULL,
                                              &pb[threadid(), 0] if has_b else NULL)
            else:
                fastnn_ln_row_param_grads_f64(&x[r, 0], &g[r, 0], C, mean[r], rstd[r],
                                              &pw[threadid(), 0] if has_w else NULL,
                                              &pb[threadid(), 0] if has_b else NULL)
    if need_w:
        parts_w.sum(axis=0, out=gw_arr)
    if need_b:
        parts_b.sum(axis=0, out=gb_arr)
