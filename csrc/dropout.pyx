# Dropout: zero each element with probability p and scale the rest by 1 / (1 - p), in one pass.
#
# The mask comes from a counter-based generator (dropoutmask.h) keyed by a seed the caller draws
# from its Generator, so backward applies the same mask by calling the same kernel on the gradient,
# and the result is the same on any number of threads.
from cython cimport floating
import numpy as np
from threadchunks cimport for_thread_chunks
from libc.stdint cimport uint64_t, uint32_t

cdef extern from "dropoutmask.h" nogil:
    void fastnn_dropout_f32(const float *x, float *out, Py_ssize_t lo, Py_ssize_t hi, uint64_t seed,
                            uint32_t threshold, float scale)
    void fastnn_dropout_f64(const double *x, double *out, Py_ssize_t lo, Py_ssize_t hi, uint64_t seed,
                            uint32_t threshold, double scale)
    void fastnn_relu_dropout_f32(float *a, Py_ssize_t lo, Py_ssize_t hi, uint64_t seed, uint32_t threshold,
                                 float scale, int masked)
    void fastnn_relu_dropout_f64(double *a, Py_ssize_t lo, Py_ssize_t hi, uint64_t seed, uint32_t threshold,
                                 double scale, int masked)
    void fastnn_relu_dropout_backward_f32(float *g, const float *out, Py_ssize_t lo, Py_ssize_t hi, uint64_t seed,
                                          uint32_t threshold, float scale, int masked)
    void fastnn_relu_dropout_backward_f64(double *g, const double *out, Py_ssize_t lo, Py_ssize_t hi,
                                          uint64_t seed, uint32_t threshold, double scale, int masked)

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


# ------------------------------------------------- ReLU then dropout (a Transformer's hidden units)

cdef struct ReluDropoutArgs:
    void *a
    const void *out
    uint64_t seed
    uint32_t threshold
    double scale
    int masked


cdef void _relu_chunk_f32(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef ReluDropoutArgs *r = <ReluDropoutArgs *>args
    fastnn_relu_dropout_f32(<float *>r.a, lo, hi, r.seed, r.threshold, <float>r.scale, r.masked)


cdef void _relu_chunk_f64(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef ReluDropoutArgs *r = <ReluDropoutArgs *>args
    fastnn_relu_dropout_f64(<double *>r.a, lo, hi, r.seed, r.threshold, r.scale, r.masked)


cdef void _relu_back_chunk_f32(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef ReluDropoutArgs *r = <ReluDropoutArgs *>args
    fastnn_relu_dropout_backward_f32(<float *>r.a, <const float *>r.out, lo, hi, r.seed, r.threshold,
                                     <float>r.scale, r.masked)


cdef void _relu_back_chunk_f64(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef ReluDropoutArgs *r = <ReluDropoutArgs *>args
    fastnn_relu_dropout_backward_f64(<double *>r.a, <const double *>r.out, lo, hi, r.seed, r.threshold, r.scale,
                                     r.masked)


cdef object _check_p_seed(p, seed):
    cdef double prob = float(p)
    if not 0.0 <= prob < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    return prob


def _relu_run(floating[::1] a, const floating[::1] out, double p, uint64_t seed, bint backward):
    cdef Py_ssize_t n = a.shape[0]
    if n == 0:
        return
    cdef ReluDropoutArgs args
    args.a, args.out, args.seed, args.masked = &a[0], &out[0] if backward else NULL, seed, p > 0.0
    args.threshold = <uint32_t>(p * LEVELS + 0.5)
    args.scale = <floating>(1.0 / (1.0 - p))
    with nogil:  # even chunks: the generator's element pairs stay whole, as in dropout_mask_apply
        if backward:
            for_thread_chunks(n, MIN_WORK, 2, _relu_back_chunk_f32 if floating is float else _relu_back_chunk_f64,
                              &args)
        else:
            for_thread_chunks(n, MIN_WORK, 2, _relu_chunk_f32 if floating is float else _relu_chunk_f64, &args)


def relu_dropout_forward(a, p, seed):
    """In place: ``a = dropout_mask_apply(relu(a), p, seed)`` (p 0: the ReLU alone); returns ``a``.

    Parameters
    ----------
    a : ndarray, float32 or float64, C-contiguous, writeable (any shape)
    p : float in [0, 1)
    seed : int in [0, 2**64)
    """
    check_float(a, "a")
    check_writeable(a, "a")
    prob = _check_p_seed(p, seed)
    flat = a.reshape(-1)
    _relu_run(flat, flat, prob, int(seed), False)
    return a


def relu_dropout_backward(grad, out, p, seed):
    """In place: the gradient of relu_dropout_forward given its output ``out``:
    ``grad = where(out > 0, dropout_mask_apply(grad, p, seed), 0)``; returns ``grad``.

    A unit that dropout zeroed has out 0, so its gradient is 0 (PyTorch's unfused dropout(relu)
    gives NaN there for a non-finite incoming gradient at a unit whose ReLU was on).
    """
    check_float(grad, "grad")
    check_writeable(grad, "grad")
    check_like(out, "out", grad, "grad")
    prob = _check_p_seed(p, seed)
    _relu_run(grad.reshape(-1), out.reshape(-1), prob, int(seed), True)
    return grad
