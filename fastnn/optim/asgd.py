"""Averaged SGD (Polyak & Juditsky, 1992), PyTorch's update: the average of the iterates is kept in state['ax']."""
import numpy as np

from .optimizer import Optimizer, check_positive


def _scalar(x):
    """PyTorch keeps eta and mu as float32 scalars whatever the parameter's dtype; rounding the same way keeps
    float64 trajectories identical to PyTorch's."""
    return float(np.float32(x))


class ASGD(Optimizer):
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_positive("learning rate", lr)
        check_positive("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update_group(self, group):
        lr, lambd, alpha, t0, wd = group["lr"], group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
        for p, g, st in self._params_with_grads(group):
            if not st:
                st["step"] = 0
                st["eta"] = _scalar(lr)
                st["mu"] = 1.0
                st["ax"] = np.zeros_like(p)
            st["step"] += 1
            g = self._weight_decay(p, g, lr, wd, False)
            eta = st["eta"]
            p *= 1 - lambd * eta
            p -= eta * g
            if st["mu"] != 1:
                st["ax"] += (p - st["ax"]) * st["mu"]
            else:
                st["ax"][...] = p
            st["eta"] = _scalar(lr / (1 + lambd * lr * st["step"]) ** alpha)
            st["mu"] = _scalar(1 / max(1, st["step"] - t0))
