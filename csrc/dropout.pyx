# Dropout: zero each element with probability p and scale the rest by 1 / (1 - p), in one pass.
#
# The mask comes from a counter-based generator (dropoutmask.h) keyed by a seed the caller draws
# from its Generator, so backward applies the same mask by calling the same kernel on the gradient,
# and the result is the same on any number of threads.
#
# The same masks also serve a Transformer feed-forward block's hidden units: the first GEMM's bias, the
# activation (ReLU, or exact GELU from geluunits.h) and the dropout in one in-place pass, and the
# backward's one pass that also sums the bias gradient (relu_dropout_*, gelu_dropout_*).
from cython cimport floating
import numpy as np
from threadchunks cimport for_thread_chunks
from cython.parallel cimport prange, threadid
from parallel cimport threads_for
from parallel cimport fastnn_team_steer, fastnn_team_begin, fastnn_team_end
from libc.stdint cimport uint64_t, uint32_t

cdef extern from "dropoutmask.h" nogil:
    void fastnn_dropout_f32(const float *x, float *out, Py_ssize_t lo, Py_ssize_t hi, uint64_t seed,
                            uint32_t threshold, float scale)
    void fastnn_dropout_f64(const double *x, double *out, Py_ssize_t lo, Py_ssize_t hi, uint64_t seed,
                            uint32_t threshold, double scale)
    void fastnn_relu_dropout_rows_f32(float *a, const float *bias, Py_ssize_t C, Py_ssize_t r0, Py_ssize_t r1,
                                      uint64_t seed, uint32_t threshold, float scale, int masked)
    void fastnn_relu_dropout_rows_f64(double *a, const double *bias, Py_ssize_t C, Py_ssize_t r0, Py_ssize_t r1,
                                      uint64_t seed, uint32_t threshold, double scale, int masked)
    void fastnn_relu_dropout_backward_rows_f32(float *g, const float *out, Py_ssize_t C, Py_ssize_t r0,
                                               Py_ssize_t r1, uint64_t seed, uint32_t threshold, float scale,
                                               int masked, double *gb)
    void fastnn_relu_dropout_backward_rows_f64(double *g, const double *out, Py_ssize_t C, Py_ssize_t r0,
                                               Py_ssize_t r1, uint64_t seed, uint32_t threshold, double scale,
                                               int masked, double *gb)

cdef extern from "geluunits.h" nogil:
    void fastnn_gelu_dropout_rows_f32(float *a, const float *bias, float *h, Py_ssize_t C, Py_ssize_t r0,
                                      Py_ssize_t r1, uint64_t seed, uint32_t threshold, float scale, int masked)
    void fastnn_gelu_dropout_rows_f64(double *a, const double *bias, double *h, Py_ssize_t C, Py_ssize_t r0,
                                      Py_ssize_t r1, uint64_t seed, uint32_t threshold, double scale, int masked)
    void fastnn_gelu_dropout_backward_rows_f32(float *g, const float *a, Py_ssize_t C, Py_ssize_t r0, Py_ssize_t r1,
                                               uint64_t seed, uint32_t threshold, float scale, int masked,
                                               double *gb)
    void fastnn_gelu_dropout_backward_rows_f64(double *g, const double *a, Py_ssize_t C, Py_ssize_t r0,
                                               Py_ssize_t r1, uint64_t seed, uint32_t threshold, double scale,
                                               int masked, double *gb)

include "checks.pxi"

# Below this many elements the mask stays on one thread: a guess (a parallel region costs a few
# microseconds to start), not a measured crossover.
cdef Py_ssize_t MIN_WORK = 65536
# The uniforms have 24 bits: keep an element when its draw is at least p * 2^24.
cdef double LEVELS = 16777216.0


def dropout_mask_apply(x, p, seed):
    """``x`` with each element zeroed with probability ``p`` and the rest scaled by ``1 / (1 - p)``.

    The same (shape, p, seed) always zeroes the same elements, so applying this to the output
    gradient with the forward pass's seed gives the input gradient.

    Parameters
    ----------
    x : ndarray, float32 or float64, C-contiguous (any shape)
    p : float in [0, 1)
    seed : int in [0, 2**64)

    Returns
    -------
    out : ndarray, x's shape and dtype
    """
    check_float(x, "x")
    cdef double prob = float(p)
    if not 0.0 <= prob < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    out = np.empty_like(x)
    _apply(x.reshape(-1), out.reshape(-1), prob, int(seed))
    return out


cdef struct DropoutArgs:
    const void *x
    void *out
    uint64_t seed
    uint32_t threshold
    double scale


cdef void _chunk_f32(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef DropoutArgs *a = <DropoutArgs *>args
    fastnn_dropout_f32(<const float *>a.x, <float *>a.out, lo, hi, a.seed, a.threshold, <float>a.scale)


cdef void _chunk_f64(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef DropoutArgs *a = <DropoutArgs *>args
    fastnn_dropout_f64(<const double *>a.x, <double *>a.out, lo, hi, a.seed, a.threshold, a.scale)


def _apply(const floating[::1] x, floating[::1] out, double p, uint64_t seed):
    cdef Py_ssize_t n = x.shape[0]
    if n == 0:
        return
    cdef DropoutArgs args
    args.x, args.out, args.seed = &x[0], &out[0], seed
    args.threshold = <uint32_t>(p * LEVELS + 0.5)
    args.scale = <floating>(1.0 / (1.0 - p))
    with nogil:  # even chunks, so no element pair of the generator is split between threads
        for_thread_chunks(n, MIN_WORK, 2, _chunk_f32 if floating is float else _chunk_f64, &args)


# ------------------------------------- bias, ReLU or GELU, and dropout (a Transformer's feed-forward hidden units)

cdef object _check_p_seed(p, seed):
    cdef double prob = float(p)
    if not 0.0 <= prob < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    return prob


cdef object _check_forward(a, bias):
    check_float(a, "a")
    check_writeable(a, "a")
    if bias is not None:
        check_same_dtype(bias, "bias", a, "a", 1)
        if a.ndim == 0 or bias.shape[0] != a.shape[a.ndim - 1]:
            raise ValueError(f"bias must have shape ({a.shape[a.ndim - 1] if a.ndim else 1},), got {bias.shape}")


cdef Py_ssize_t _rows_per_block(Py_ssize_t C):
    return max(1, 16384 // max(C, 1))


def _act_rows(bint gelu, floating[:, ::1] a, object bias_arr, floating[:, ::1] h, double p, uint64_t seed):
    """Row blocks of the forward: ReLU in place in a (h is a), or GELU into h (a becomes a + bias)."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t R = a.shape[0], C = a.shape[1], i, r0, r1
    cdef Py_ssize_t rb = _rows_per_block(C), blocks = (R + rb - 1) // rb
    cdef const floating[::1] bias
    cdef const floating* bp = NULL
    if bias_arr is not None:
        bias = bias_arr
        bp = &bias[0]
    cdef uint32_t threshold = <uint32_t>(p * LEVELS + 0.5)
    cdef floating scale = <floating>(1.0 / (1.0 - p))
    cdef int masked = p > 0.0, nt = threads_for(R * C, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for i in prange(blocks, num_threads=nt, schedule="dynamic"):
            r0 = i * rb
            r1 = min(r0 + rb, R)
            if floating is float:
                if gelu:
                    fastnn_gelu_dropout_rows_f32(&a[0, 0], bp, &h[0, 0], C, r0, r1, seed, threshold, scale, masked)
                else:
                    fastnn_relu_dropout_rows_f32(&a[0, 0], bp, C, r0, r1, seed, threshold, scale, masked)
            else:
                if gelu:
                    fastnn_gelu_dropout_rows_f64(&a[0, 0], bp, &h[0, 0], C, r0, r1, seed, threshold, scale, masked)
                else:
                    fastnn_relu_dropout_rows_f64(&a[0, 0], bp, C, r0, r1, seed, threshold, scale, masked)
        fastnn_team_end(&_team)


def _act_back_rows(bint gelu, floating[:, ::1] g, const floating[:, ::1] saved, double p, uint64_t seed,
                   object parts_arr):
    """Row blocks of the backward, in place in g; saved is ReLU's output or GELU's pre-activation."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t R = g.shape[0], C = g.shape[1], i, r0, r1
    cdef Py_ssize_t rb = _rows_per_block(C), blocks = (R + rb - 1) // rb
    cdef double[:, ::1] parts
    cdef double* pp = NULL
    cdef double* part
    if parts_arr is not None:
        parts = parts_arr
        pp = &parts[0, 0]
    cdef uint32_t threshold = <uint32_t>(p * LEVELS + 0.5)
    cdef floating scale = <floating>(1.0 / (1.0 - p))
    cdef int masked = p > 0.0, nt = threads_for(R * C, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for i in prange(blocks, num_threads=nt, schedule="dynamic"):
            r0 = i * rb
            r1 = min(r0 + rb, R)
            part = pp + threadid() * C if pp != NULL else NULL
            if floating is float:
                if gelu:
                    fastnn_gelu_dropout_backward_rows_f32(&g[0, 0], &saved[0, 0], C, r0, r1, seed, threshold, scale,
                                                          masked, part)
                else:
                    fastnn_relu_dropout_backward_rows_f32(&g[0, 0], &saved[0, 0], C, r0, r1, seed, threshold, scale,
                                                          masked, part)
            else:
                if gelu:
                    fastnn_gelu_dropout_backward_rows_f64(&g[0, 0], &saved[0, 0], C, r0, r1, seed, threshold, scale,
                                                          masked, part)
                else:
                    fastnn_relu_dropout_backward_rows_f64(&g[0, 0], &saved[0, 0], C, r0, r1, seed, threshold, scale,
                                                          masked, part)
        fastnn_team_end(&_team)


cdef object _rows(x):
    """x as (rows, last axis); the module compiles with wraparound off, so no [-1] indexing here."""
    last = x.shape[x.ndim - 1] if x.ndim else 1
    return x.reshape(-1, last) if last else x.reshape(-1, 1)


cdef tuple _act_backward(bint gelu, grad, saved, str saved_name, p, seed, need_bias):
    check_float(grad, "grad")
    check_writeable(grad, "grad")
    check_like(saved, saved_name, grad, "grad")
    prob = _check_p_seed(p, seed)
    cdef int nt = threads_for(grad.size, MIN_WORK)
    parts = np.zeros((nt, grad.shape[grad.ndim - 1] if grad.ndim else 1)) if need_bias else None
    if grad.size:
        _act_back_rows(gelu, _rows(grad), _rows(saved), prob, int(seed), parts)
    return grad, (parts.sum(axis=0).astype(grad.dtype) if need_bias else None)


def relu_dropout_forward(a, p, seed, bias=None):
    """In place: ``a = dropout_mask_apply(relu(a + bias), p, seed)`` (p 0: no dropout; bias None: none),
    one pass; returns ``a``. The hidden layer of a feed-forward block after its GEMM.

    Parameters
    ----------
    a : ndarray, float32 or float64, C-contiguous, writeable (any shape; bias runs along the last axis)
    p : float in [0, 1)
    seed : int in [0, 2**64)
    bias : ndarray (a.shape[-1],) of a's dtype, or None
    """
    _check_forward(a, bias)
    prob = _check_p_seed(p, seed)
    if a.size:
        rows = _rows(a)
        _act_rows(False, rows, bias, rows, prob, int(seed))
    return a


def relu_dropout_backward(grad, out, p, seed, need_bias=False):
    """In place: the gradient of relu_dropout_forward given its result ``out``:
    ``grad = where(out > 0, dropout_mask_apply(grad, p, seed), 0)``, one pass. Returns
    ``(grad, grad_bias)``: grad_bias the sums of the new grad over every axis but the last (the bias
    gradient, summed in double in the same pass) when need_bias, else None.

    A unit that dropout zeroed has out 0, so its gradient is 0 (PyTorch's unfused dropout(relu)
    gives NaN there for a non-finite incoming gradient at a unit whose ReLU was on).
    """
    return _act_backward(False, grad, out, "out", p, seed, need_bias)


def gelu_dropout_forward(a, p, seed, bias=None):
    """``dropout_mask_apply(gelu(a + bias), p, seed)`` (exact GELU, x * Phi(x)), one pass; ``a`` becomes
    ``a + bias`` in place (the pre-activation the backward needs). Returns the activation, a new array.
    float32 evaluates erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26); float64 by libm."""
    _check_forward(a, bias)
    prob = _check_p_seed(p, seed)
    h = np.empty_like(a)
    if a.size:
        _act_rows(True, _rows(a), bias, _rows(h), prob, int(seed))
    return h


def gelu_dropout_backward(grad, pre, p, seed, need_bias=False):
    """In place: the gradient of gelu_dropout_forward given its pre-activation ``pre`` (a + bias):
    ``grad = dropout_mask_apply(grad, p, seed) * gelu'(pre)``, one pass. Returns ``(grad, grad_bias)``
    as relu_dropout_backward does."""
    return _act_backward(True, grad, pre, "pre", p, seed, need_bias)
