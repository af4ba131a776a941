"""Fused optimizer updates over the optim kernels (csrc/optim.pyx).

Not autograd Functions: the optimizers call these once per parameter. Arrays the
kernels cannot take in place (a non-contiguous or read-only parameter, a gradient of
another dtype) go through the NumPy twin, which updates any writeable view. So does plain SGD
(`p -= lr * g`, no momentum, decay or maximize) on small parameters: those two NumPy operations
cost less than a kernel call's argument checks (measured: 2.1 us against 6.2 us at 1,024 floats,
even at 16,384). Adam's kernel was faster at every size measured (8.4 against 20 us at 256 floats).
"""
import numpy as np

from ...kernels.backend import family
from ...kernels.reference import optim as numpy_optim

optim_kernels = family("optim")


SMALL_PLAIN_SGD = 16384  # elements below which plain SGD is cheaper in NumPy


def _kernel_ready(param, *others):
    if param.dtype not in (np.float32, np.float64) or not (param.flags.c_contiguous and param.flags.writeable):
        return False
    return all(a is None or (a.dtype == param.dtype and a.flags.c_contiguous) for a in others)


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay,
              decoupled, maximize):
    kernels = optim_kernels if _kernel_ready(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq) else numpy_optim
    kernels.adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps,
                      weight_decay, decoupled, maximize)


def sgd_step(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step):
    plain = not (momentum or weight_decay or maximize)
    small_plain = plain and param.size < SMALL_PLAIN_SGD
    kernels = optim_kernels if _kernel_ready(param, grad, momentum_buffer) and not small_plain else numpy_optim
    kernels.sgd_step(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
                     first_step)
