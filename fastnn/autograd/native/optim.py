"""Fused optimizer updates over the optim kernels (csrc/optim.pyx).

Not autograd Functions: the optimizers call these once per parameter. Arrays the
kernels cannot take in place (a non-contiguous or read-only parameter, a gradient of
another dtype) go through the NumPy twin, which updates any writeable view; so do small
parameters, whose update costs less than a kernel call's argument checks (measured for a
16 x 4 SGD update: kernel 3.1 us, NumPy 1.6 us).
"""
import numpy as np

from ...kernels.backend import family
from ...kernels.reference import optim as numpy_optim

K = family("optim")


SMALL = 4096  # elements below which the NumPy update is the cheaper call


def _kernel_ready(param, *others):
    if param.size < SMALL:
        return False
    if param.dtype not in (np.float32, np.float64) or not (param.flags.c_contiguous and param.flags.writeable):
        return False
    return all(a is None or (a.dtype == param.dtype and a.flags.c_contiguous) for a in others)


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay,
              decoupled, maximize):
    kernels = K if _kernel_ready(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq) else numpy_optim
    kernels.adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps,
                      weight_decay, decoupled, maximize)


def sgd_step(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step):
    kernels = K if _kernel_ready(param, grad, momentum_buffer) else numpy_optim
    kernels.sgd_step(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
                     first_step)
