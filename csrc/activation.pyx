# Elementwise activations whose NumPy form costs several passes: ReLU, LeakyReLU, sigmoid,
# tanh (backward), SiLU, GELU, ELU, softplus, hardsigmoid, hardswish and Mish, and binary cross-entropy with
# logits (activations.h) forward and backward, one pass each. Chunked over threads only for large arrays
# (threadchunks.pxd). Also the full sum of a large float32 array (sumblock.h), for Tensor.sum()/mean().
from cython cimport floating
import numpy as np
from threadchunks cimport for_thread_chunks
from cython.parallel cimport prange
from parallel cimport threads_for
from parallel cimport fastnn_team_steer, fastnn_team_begin, fastnn_team_end

include "checks.pxi"

# Elements below which a pass stays on one thread, twice this before a second joins: 256K float32 are
# 1 MB read and written, about 0.05 ms on one core; a smaller pass would wait on a parallel region's
# start and its closing barrier (on a busy machine, on a descheduled thread) longer than it saves.
cdef Py_ssize_t MIN_WORK = 1 << 18


cdef double _number(object value, str name) except? -1:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


# ----------------------------------------------------------------------------- pointwise activations
cdef extern from "activations.h" nogil:
    void fastnn_act_run_f32(int op, const float *a, const float *b, const float *c, int scalar, double p0,
                            double p1, float *out, Py_ssize_t lo, Py_ssize_t hi)
    void fastnn_act_run_f64(int op, const double *a, const double *b, const double *c, int scalar, double p0,
                            double p1, double *out, Py_ssize_t lo, Py_ssize_t hi)

# op codes of activations.h's fastnn_act_run
cdef enum:
    RELU_FORWARD, RELU_BACKWARD, SIGMOID_FORWARD, SIGMOID_BACKWARD, TANH_BACKWARD, SILU_FORWARD, SILU_BACKWARD
    GELU_FORWARD, GELU_BACKWARD, GELU_TANH_FORWARD, GELU_TANH_BACKWARD, ELU_FORWARD, ELU_BACKWARD
    SOFTPLUS_FORWARD, SOFTPLUS_BACKWARD, BCE_LOGITS_FORWARD, BCE_LOGITS_BACKWARD
    HARDSIGMOID_FORWARD, HARDSIGMOID_BACKWARD, HARDSWISH_FORWARD, HARDSWISH_BACKWARD, MISH_FORWARD, MISH_BACKWARD
    LEAKY_FORWARD, LEAKY_BACKWARD


cdef struct ActArgs:
    int op
    const void *a
    const void *b
    const void *c
    int scalar
    double p0
    double p1
    void *out


cdef void _act_f32(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef ActArgs *p = <ActArgs *>args
    fastnn_act_run_f32(p.op, <const float *>p.a, <const float *>p.b, <const float *>p.c, p.scalar, p.p0, p.p1,
                       <float *>p.out, lo, hi)


cdef void _act_f64(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef ActArgs *p = <ActArgs *>args
    fastnn_act_run_f64(p.op, <const double *>p.a, <const double *>p.b, <const double *>p.c, p.scalar, p.p0, p.p1,
                       <double *>p.out, lo, hi)


cdef bint _broadcast_value(object grad, object a):
    """grad is one value broadcast over a's shape (every stride 0, as x.sum().backward() sends): read in place."""
    if not is_native_float(grad) or not same_dtype(grad, a) or not same_shape(grad, a):
        return False
    cdef int i, nd = cnp.PyArray_NDIM(<cnp.ndarray>grad)
    if nd == 0 or cnp.PyArray_SIZE(<cnp.ndarray>grad) <= 1:
        return False
    for i in range(nd):
        if cnp.PyArray_STRIDE(<cnp.ndarray>grad, i) != 0:
            return False
    return True


cdef object _pointwise(int op, a, str a_name, grad=None, double p0=0, double p1=0, target=None):
    """One pass of op over a (and target, for binary cross-entropy; and grad, the output gradient, for a
    backward) into a new array. target is C-contiguous like a; grad too, or one value broadcast over a's shape.
    The arrays are read through their data pointers: each call's fixed cost is what a small layer pays."""
    check_float(a, a_name)
    if target is not None:
        check_like(target, "target", a, a_name)
    cdef bint scalar = grad is not None and _broadcast_value(grad, a)
    if grad is not None and not scalar:
        check_like(grad, "grad", a, a_name)
    cdef ActArgs args
    out = np.empty_like(a)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(<cnp.ndarray>a)
    if n == 0:
        return out
    g = a if grad is None else grad   # a broadcast grad: its one value is at its data pointer
    t = a if target is None else target
    args.op, args.a, args.scalar, args.p0, args.p1, args.out = op, data_of(a), scalar, p0, p1, data_of(out)
    # the pass's second operand is the target where there is one (the gradient then comes third)
    args.b, args.c = (data_of(t), data_of(g)) if target is not None else (data_of(g), data_of(g))
    cdef bint single = is_single(a)
    with nogil:
        for_thread_chunks(n, MIN_WORK, 1, _act_f32 if single else _act_f64, &args)
    return out


cdef int _gelu_op(str approximate, int exact, int tanh_form) except -1:
    if approximate == "none":
        return exact
    if approximate == "tanh":
        return tanh_form
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def relu_forward(x):
    """max(x, 0) in one pass (NaN stays NaN). x: float32 or float64 ndarray, C-contiguous."""
    return _pointwise(RELU_FORWARD, x, "x")


def relu_backward(out, grad):
    """ReLU's input gradient from its output: grad where out > 0, else 0 (also for an inf or NaN grad);
    a NaN output passes grad on (PyTorch's threshold_backward)."""
    return _pointwise(RELU_BACKWARD, out, "out", grad)


def sigmoid_forward(x):
    """1 / (1 + exp(-x)), without overflow for either sign."""
    return _pointwise(SIGMOID_FORWARD, x, "x")


def sigmoid_backward(out, grad):
    """grad * out * (1 - out), from sigmoid's output."""
    return _pointwise(SIGMOID_BACKWARD, out, "out", grad)


def tanh_backward(out, grad):
    """grad * (1 - out^2), from tanh's output."""
    return _pointwise(TANH_BACKWARD, out, "out", grad)


def silu_forward(x):
    """x * sigmoid(x)."""
    return _pointwise(SILU_FORWARD, x, "x")


def silu_backward(x, grad):
    """grad * s * (1 + x * (1 - s)), s = sigmoid(x) recomputed from the input."""
    return _pointwise(SILU_BACKWARD, x, "x", grad)


def gelu_forward(x, approximate="none"):
    """x * Phi(x) (approximate "none") or 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) ("tanh")."""
    return _pointwise(_gelu_op(approximate, GELU_FORWARD, GELU_TANH_FORWARD), x, "x")


def gelu_backward(x, grad, approximate="none"):
    """GELU's input gradient from its input: grad * (Phi(x) + x phi(x)), or the tanh form's derivative."""
    return _pointwise(_gelu_op(approximate, GELU_BACKWARD, GELU_TANH_BACKWARD), x, "x", grad)


def elu_forward(x, alpha=1.0):
    """x where x > 0, else alpha (exp(x) - 1)."""
    return _pointwise(ELU_FORWARD, x, "x", None, _number(alpha, "alpha"))


def elu_backward(x, grad, alpha=1.0):
    """ELU's input gradient from its input: grad where x > 0, else grad alpha exp(x)."""
    return _pointwise(ELU_BACKWARD, x, "x", grad, _number(alpha, "alpha"))


def softplus_forward(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, or x where beta x > threshold (PyTorch's)."""
    return _pointwise(SOFTPLUS_FORWARD, x, "x", None, _number(beta, "beta"), _number(threshold, "threshold"))


def softplus_backward(x, grad, beta=1.0, threshold=20.0):
    """softplus's input gradient from its input: grad sigmoid(beta x), or grad where beta x > threshold."""
    return _pointwise(SOFTPLUS_BACKWARD, x, "x", grad, _number(beta, "beta"), _number(threshold, "threshold"))


def bce_logits_forward(x, target):
    """Elementwise binary cross-entropy of sigmoid(x) against target: (1 - target) x + softplus(-x)."""
    return _pointwise(BCE_LOGITS_FORWARD, x, "x", None, 0, 0, target)


def bce_logits_backward(x, target, grad):
    """Its input gradient: grad (sigmoid(x) - target)."""
    return _pointwise(BCE_LOGITS_BACKWARD, x, "x", grad, 0, 0, target)


def hardsigmoid_forward(x):
    """clip(x / 6 + 1/2, 0, 1)."""
    return _pointwise(HARDSIGMOID_FORWARD, x, "x")


def hardsigmoid_backward(x, grad):
    """grad / 6 where -3 < x < 3, else 0."""
    return _pointwise(HARDSIGMOID_BACKWARD, x, "x", grad)


def hardswish_forward(x):
    """x * clip(x / 6 + 1/2, 0, 1)."""
    return _pointwise(HARDSWISH_FORWARD, x, "x")


def hardswish_backward(x, grad):
    """0 below -3, grad (x / 3 + 1/2) up to 3, grad above (PyTorch's)."""
    return _pointwise(HARDSWISH_BACKWARD, x, "x", grad)


def mish_forward(x):
    """x * tanh(softplus(x))."""
    return _pointwise(MISH_FORWARD, x, "x")


def mish_backward(x, grad):
    """grad (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))."""
    return _pointwise(MISH_BACKWARD, x, "x", grad)


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
    return _pointwise(LEAKY_FORWARD, x, "x", None, _number(negative_slope, "negative_slope"))


def leaky_relu_backward(x, grad, negative_slope=0.01):
    """Gradient of leaky_relu_forward: ``grad`` where ``x > 0``, else ``negative_slope * grad``, in one pass.

    Parameters
    ----------
    x : ndarray, float32 or float64, C-contiguous: the forward input
    grad : ndarray of x's shape and dtype, C-contiguous (or one value broadcast over it): the output gradient
    negative_slope : float

    Returns
    -------
    grad_x : ndarray, x's shape and dtype
    """
    return _pointwise(LEAKY_BACKWARD, x, "x", grad, _number(negative_slope, "negative_slope"))


# ----------------------------------------------------------------------------- full sums of large tensors
cdef extern from "sumblock.h" nogil:
    double fnn_sum_block_f32(const float *x, Py_ssize_t n)

# Values per block of sum_float32: each block's double sum is one task, the blocks' sums are then added
# pairwise in block order, so the result does not depend on the thread count.
cdef Py_ssize_t SUM_BLOCK = 1 << 16


def _sum_blocks(const float[::1] x, double[::1] partial):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t b, n = x.shape[0], blocks = partial.shape[0]
    cdef int nt = threads_for(n, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for b in prange(blocks, num_threads=nt, schedule="dynamic"):
            partial[b] = fnn_sum_block_f32(&x[b * SUM_BLOCK], min(SUM_BLOCK, n - b * SUM_BLOCK))
        fastnn_team_end(&_team)


def sum_float32(x):
    """The sum of every value of a float32 array, as a 0-d float32 array: summed in double, in blocks of
    SUM_BLOCK values over the threads (NumPy's sum is single-threaded and rounds in float32), rounded once.

    x: float32 ndarray, C-contiguous, any shape."""
    if not isinstance(x, np.ndarray) or x.dtype != np.float32 or not x.flags.c_contiguous:
        raise TypeError("x must be a C-contiguous float32 numpy.ndarray")
    flat = x.reshape(-1)
    partial = np.empty((flat.shape[0] + SUM_BLOCK - 1) // SUM_BLOCK, np.float64)
    if partial.shape[0]:
        _sum_blocks(flat, partial)
    return np.asarray(partial.sum(), np.float32)
