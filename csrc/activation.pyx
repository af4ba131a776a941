# Elementwise activations whose NumPy form costs several passes: LeakyReLU forward and backward, one pass
# each (leakyrelu.h). Chunked over threads only for large arrays (threadchunks.pxd).
from cython cimport floating
import numpy as np
from threadchunks cimport for_thread_chunks

cdef extern from "leakyrelu.h" nogil:
    void fastnn_leaky_forward_f32(const float *x, float *out, Py_ssize_t lo, Py_ssize_t hi, float slope)
    void fastnn_leaky_forward_f64(const double *x, double *out, Py_ssize_t lo, Py_ssize_t hi, double slope)
    void fastnn_leaky_backward_f32(const float *x, const float *g, float *out, Py_ssize_t lo, Py_ssize_t hi,
                                   float slope)
    void fastnn_leaky_backward_f64(const double *x, const double *g, double *out, Py_ssize_t lo, Py_ssize_t hi,
                                   double slope)

include "checks.pxi"

# Elements below which a pass stays on one thread, twice this before a second joins: 256K float32 are
# 1 MB read and written, about 0.05 ms on one core; a smaller pass would wait on a parallel region's
# start and its closing barrier (on a busy machine, on a descheduled thread) longer than it saves.
cdef Py_ssize_t MIN_WORK = 1 << 18


cdef struct LeakyArgs:
    const void *x
    const void *g
    void *out
    double slope


cdef void _forward_f32(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef LeakyArgs *a = <LeakyArgs *>args
    fastnn_leaky_forward_f32(<const float *>a.x, <float *>a.out, lo, hi, <float>a.slope)


cdef void _forward_f64(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef LeakyArgs *a = <LeakyArgs *>args
    fastnn_leaky_forward_f64(<const double *>a.x, <double *>a.out, lo, hi, a.slope)


cdef void _backward_f32(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef LeakyArgs *a = <LeakyArgs *>args
    fastnn_leaky_backward_f32(<const float *>a.x, <const float *>a.g, <float *>a.out, lo, hi, <float>a.slope)


cdef void _backward_f64(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef LeakyArgs *a = <LeakyArgs *>args
    fastnn_leaky_backward_f64(<const double *>a.x, <const double *>a.g, <double *>a.out, lo, hi, a.slope)


cdef double _slope(object negative_slope) except? -1:
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float, np.integer, np.floating)):
        raise TypeError(f"negative_slope must be a number, got {type(negative_slope).__name__}")
    return float(negative_slope)


def leaky_relu_forward(x, negative_slope=0.01):
    """``x`` where ``x > 0``, else ``negative_slope * x`` (NaN stays NaN), in one pass.

    Parameters
    ----------
    x : ndarray, float32 or float64, C-contiguous (any shape; read-only is fine)
    negative_slope : float

    Returns
    -------
    out : ndarray, x's shape and dtype
    """
    check_float(x, "x")
    cdef LeakyArgs args
    args.slope = _slope(negative_slope)
    out = np.empty_like(x)
    cdef Py_ssize_t n = x.size
    if n == 0:
        return out
    cdef const unsigned char[::1] xr = x.reshape(-1).view(np.uint8)
    cdef unsigned char[::1] orr = out.reshape(-1).view(np.uint8)
    args.x, args.g, args.out = &xr[0], NULL, &orr[0]
    cdef bint single = x.dtype.itemsize == 4
    with nogil:
        for_thread_chunks(n, MIN_WORK, 1, _forward_f32 if single else _forward_f64, &args)
    return out


def leaky_relu_backward(x, grad, negative_slope=0.01):
    """Gradient of leaky_relu_forward: ``grad`` where ``x > 0``, else ``negative_slope * grad``, in one pass.

    Parameters
    ----------
    x : ndarray, float32 or float64, C-contiguous: the forward input
    grad : ndarray of x's shape and dtype, C-contiguous: the output gradient
    negative_slope : float

    Returns
    -------
    grad_x : ndarray, x's shape and dtype
    """
    check_float(x, "x")
    check_like(grad, "grad", x, "x")
    cdef LeakyArgs args
    args.slope = _slope(negative_slope)
    out = np.empty_like(x)
    cdef Py_ssize_t n = x.size
    if n == 0:
        return out
    cdef const unsigned char[::1] xr = x.reshape(-1).view(np.uint8)
    cdef const unsigned char[::1] gr = grad.reshape(-1).view(np.uint8)
    cdef unsigned char[::1] orr = out.reshape(-1).view(np.uint8)
    args.x, args.g, args.out = &xr[0], &gr[0], &orr[0]
    cdef bint single = x.dtype.itemsize == 4
    with nogil:
        for_thread_chunks(n, MIN_WORK, 1, _backward_f32 if single else _backward_f64, &args)
    return out
