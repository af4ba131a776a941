"""Adadelta (Zeiler, 2012), PyTorch's update."""
import numpy as np

from .optimizer import Optimizer, check_positive


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_positive("learning rate", lr)
        check_positive("epsilon value", eps)
        check_positive("weight_decay value", weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      capturable=capturable, maximize=maximize, differentiable=differentiable))

    def _update_group(self, group):
        lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        for p, g, st in self._params_with_grads(group):
            self._count_step(st, p, "square_avg", "acc_delta")
            g = self._weight_decay(p, g, lr, wd, False)
            sq, acc = st["square_avg"], st["acc_delta"]
            sq *= rho
            sq += (1 - rho) * g * g
            delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
            acc *= rho
            acc += (1 - rho) * delta * delta
            p -= lr * delta
