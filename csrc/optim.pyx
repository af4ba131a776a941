# Fused optimizer updates: one pass over a parameter and its state.
#
# NumPy needs a dozen whole-array passes (and temporaries) for one Adam update;
# here each element is read and written once, with OpenMP over chunks of the elements.
# The element loops are C (optimstep.h) so GCC vectorises them. Arithmetic runs in the
# parameter's own precision, as PyTorch's does.
from libc.math cimport sqrt
import numpy as np
from threadchunks cimport for_thread_chunks

cdef extern from "optimstep.h" nogil:
    void fastnn_adam_f32(float *p, const float *g, float *m, float *v, float *vmax, Py_ssize_t n, float sign,
                         float decay, float l2, float b1, float b2, float one_b1, float one_b2, float step_size,
                         float bc2, float eps, int amsgrad, int use_l2, int use_decay)
    void fastnn_adam_f64(double *p, const double *g, double *m, double *v, double *vmax, Py_ssize_t n,
                         double sign, double decay, double l2, double b1, double b2, double one_b1, double one_b2,
                         double step_size, double bc2, double eps, int amsgrad, int use_l2, int use_decay)
    void fastnn_sgd_f32(float *p, const float *g, float *buf, Py_ssize_t n, float sign, float lr, float l2,
                        float mom, float keep, int use_l2, int has_buf, int first, int nesterov)
    void fastnn_sgd_f64(double *p, const double *g, double *buf, Py_ssize_t n, double sign, double lr, double l2,
                        double mom, double keep, int use_l2, int has_buf, int first, int nesterov)

include "checks.pxi"

# Below this many elements an update stays on one thread: a guess (a parallel region costs a few
# microseconds to start), not a measured crossover.
cdef Py_ssize_t MIN_WORK = 32768


cdef object _state_like(object x, str name, object param, bint updated=True):
    """x, checked to be like param (the updates read every array flat, through its data pointer)."""
    check_like(x, name, param, "param")
    if updated:
        check_writeable(x, name)
    return x


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps,
              weight_decay=0.0, decoupled=False, maximize=False):
    """One Adam / AdamW update of ``param`` in place (PyTorch's update rule).

    Parameters
    ----------
    param : ndarray, float32 or float64, C-contiguous, writeable: updated in place
    grad : ndarray, param's shape and dtype, C-contiguous: not modified
    exp_avg, exp_avg_sq : ndarray, param's shape and dtype: first and second moments, updated in place
    max_exp_avg_sq : None, or ndarray of param's shape and dtype: AMSGrad's running maximum of
        exp_avg_sq, updated in place (None: plain Adam)
    step : int >= 1
        The step number after this update (for the bias corrections).
    lr, beta1, beta2, eps, weight_decay : float
    decoupled : bool
        AdamW: decay the parameter by ``lr * weight_decay`` instead of adding
        ``weight_decay * param`` to the gradient.
    maximize : bool
        Ascend instead of descend.

    Returns
    -------
    None
    """
    check_writeable(check_float(param, "param"), "param")
    g, m, v = (_state_like(grad, "grad", param, False), _state_like(exp_avg, "exp_avg", param),
               _state_like(exp_avg_sq, "exp_avg_sq", param))
    vmax = None if max_exp_avg_sq is None else _state_like(max_exp_avg_sq, "max_exp_avg_sq", param)
    cdef long t = int(step)
    if t < 1:
        raise ValueError(f"step must be at least 1, got {step}")
    cdef double b1 = float(beta1), b2 = float(beta2)
    if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
        raise ValueError(f"beta1 and beta2 must be in [0, 1), got {beta1}, {beta2}")
    # data pointers, not a fused def: its run-time signature matching cost more than a small
    # parameter's whole update (measured: 5.3 us against NumPy's 1.5 us for 64 floats)
    _adam(param, g, m, v, vmax, is_single(param), float(lr), b1, b2, float(eps),
          float(weight_decay), 1.0 - b1 ** t, sqrt(1.0 - b2 ** t), bool(decoupled), bool(maximize))


# Each update's arguments for its chunk bodies: arrays as void pointers, scalars in double
# (converted to the parameter's precision at the call, as a direct call would).
cdef struct AdamArgs:
    void *p
    const void *g
    void *m
    void *v
    void *vmax
    double sign, decay, l2, b1, b2, one_b1, one_b2, step_size, bc2, eps
    int amsgrad, use_l2, use_decay


cdef void _adam_chunk_f32(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef AdamArgs *a = <AdamArgs *>args
    fastnn_adam_f32(<float *>a.p + lo, <const float *>a.g + lo, <float *>a.m + lo, <float *>a.v + lo,
                    <float *>a.vmax + lo if a.amsgrad else NULL, hi - lo, <float>a.sign, <float>a.decay,
                    <float>a.l2, <float>a.b1, <float>a.b2, <float>a.one_b1, <float>a.one_b2, <float>a.step_size,
                    <float>a.bc2, <float>a.eps, a.amsgrad, a.use_l2, a.use_decay)


cdef void _adam_chunk_f64(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef AdamArgs *a = <AdamArgs *>args
    fastnn_adam_f64(<double *>a.p + lo, <const double *>a.g + lo, <double *>a.m + lo, <double *>a.v + lo,
                    <double *>a.vmax + lo if a.amsgrad else NULL, hi - lo, a.sign, a.decay, a.l2, a.b1, a.b2,
                    a.one_b1, a.one_b2, a.step_size, a.bc2, a.eps, a.amsgrad, a.use_l2, a.use_decay)


cdef void _adam(p, g, m, v, vmax, bint single, double lr, double beta1, double beta2, double eps, double wd,
                double bias1, double bias2_sqrt, bint decoupled, bint maximize) noexcept:
    cdef Py_ssize_t n = cnp.PyArray_SIZE(<cnp.ndarray>p)
    if n == 0:
        return
    cdef AdamArgs a
    a.p, a.g, a.m, a.v = data_of(p), data_of(g), data_of(m), data_of(v)
    a.vmax = NULL if vmax is None else data_of(vmax)
    a.sign = -1.0 if maximize else 1.0
    a.decay, a.l2, a.b1, a.b2, a.one_b1, a.one_b2 = 1.0 - lr * wd, wd, beta1, beta2, 1.0 - beta1, 1.0 - beta2
    a.step_size, a.bc2, a.eps = lr / bias1, bias2_sqrt, eps
    a.amsgrad, a.use_l2, a.use_decay = vmax is not None, wd != 0.0 and not decoupled, wd != 0.0 and decoupled
    with nogil:
        for_thread_chunks(n, MIN_WORK, 1, _adam_chunk_f32 if single else _adam_chunk_f64, &a)


def sgd_step(param, grad, momentum_buffer, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
             nesterov=False, maximize=False, first_step=False):
    """One SGD update of ``param`` in place (PyTorch's rule, with momentum, dampening, Nesterov).

    Parameters
    ----------
    param : ndarray, float32 or float64, C-contiguous, writeable: updated in place
    grad : ndarray, param's shape and dtype, C-contiguous: not modified
    momentum_buffer : None (momentum 0), or ndarray of param's shape and dtype, updated in place
    lr, momentum, dampening, weight_decay : float
    nesterov, maximize : bool
    first_step : bool
        The buffer is new: it becomes the gradient itself (no dampening), as in PyTorch.

    Returns
    -------
    None
    """
    check_writeable(check_float(param, "param"), "param")
    g = _state_like(grad, "grad", param, False)
    cdef double mom = float(momentum)
    if mom != 0.0 and momentum_buffer is None:
        raise ValueError("momentum_buffer is needed when momentum is not 0")
    buf = None if mom == 0.0 else _state_like(momentum_buffer, "momentum_buffer", param)
    _sgd(param, g, buf, is_single(param), float(lr), mom, float(dampening), float(weight_decay), bool(nesterov),
         bool(maximize), bool(first_step))  # data pointers: see adam_step


cdef struct SGDArgs:
    void *p
    const void *g
    void *buf
    double sign, lr, l2, mom, keep
    int use_l2, has_buf, first, nesterov


cdef void _sgd_chunk_f32(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef SGDArgs *a = <SGDArgs *>args
    fastnn_sgd_f32(<float *>a.p + lo, <const float *>a.g + lo, <float *>a.buf + lo if a.has_buf else NULL,
                   hi - lo, <float>a.sign, <float>a.lr, <float>a.l2, <float>a.mom, <float>a.keep, a.use_l2,
                   a.has_buf, a.first, a.nesterov)


cdef void _sgd_chunk_f64(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef SGDArgs *a = <SGDArgs *>args
    fastnn_sgd_f64(<double *>a.p + lo, <const double *>a.g + lo, <double *>a.buf + lo if a.has_buf else NULL,
                   hi - lo, a.sign, a.lr, a.l2, a.mom, a.keep, a.use_l2, a.has_buf, a.first, a.nesterov)


cdef void _sgd(p, g, buf, bint single, double lr, double momentum, double dampening, double wd, bint nesterov,
               bint maximize, bint first) noexcept:
    cdef Py_ssize_t n = cnp.PyArray_SIZE(<cnp.ndarray>p)
    if n == 0:
        return
    cdef SGDArgs a
    a.p, a.g, a.buf = data_of(p), data_of(g), (NULL if buf is None else data_of(buf))
    a.sign, a.lr, a.l2, a.mom, a.keep = (-1.0 if maximize else 1.0), lr, wd, momentum, 1.0 - dampening
    a.use_l2, a.has_buf, a.first, a.nesterov = wd != 0.0, buf is not None, first, nesterov
    with nogil:
        for_thread_chunks(n, MIN_WORK, 1, _sgd_chunk_f32 if single else _sgd_chunk_f64, &a)
