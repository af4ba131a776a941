"""Adagrad with learning-rate decay, PyTorch's update."""
import numpy as np

from .optimizer import Optimizer, check_positive


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_positive("learning rate", lr)
        check_positive("lr_decay value", lr_decay)
        check_positive("weight_decay value", weight_decay)
        check_positive("initial_accumulator_value", initial_accumulator_value)
        check_positive("epsilon value", eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize,
                                      foreach=foreach, differentiable=differentiable, fused=fused))

    def _update_group(self, group):
        lr, decay, wd, eps = group["lr"], group["lr_decay"], group["weight_decay"], group["eps"]
        for p, g, st in self._params_with_grads(group):
            if not st:
                st["step"] = 0
                st["sum"] = np.full_like(p, group["initial_accumulator_value"])
            st["step"] += 1
            g = self._weight_decay(p, g, lr, wd, False)
            clr = lr / (1 + (st["step"] - 1) * decay)
            st["sum"] += g * g
            p -= clr * (g / (np.sqrt(st["sum"]) + eps))
