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
