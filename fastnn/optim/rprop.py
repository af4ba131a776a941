"""Rprop (resilient backpropagation; Riedmiller & Braun, 1993), PyTorch's update: per-element step sizes grown or
shrunk by the sign agreement of successive gradients."""
import numpy as np

from .optimizer import Optimizer, check_positive


class Rprop(Optimizer):
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_positive("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), capturable=capturable,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable))

    def _update_group(self, group):
        (eta_minus, eta_plus), (lo, hi) = group["etas"], group["step_sizes"]
        for p, g, st in self._params_with_grads(group):
            if not st:
                st["step"] = 0
                st["prev"] = np.zeros_like(p)
                st["step_size"] = np.full_like(p, group["lr"])
            st["step"] += 1
            agree = np.sign(g * st["prev"])
            factor = np.where(agree > 0, eta_plus, np.where(agree < 0, eta_minus, 1.0)).astype(p.dtype)
            np.clip(st["step_size"] * factor, lo, hi, out=st["step_size"])
            g = np.where(agree < 0, 0, g).astype(p.dtype)   # a sign flip skips this element's step
            p -= np.sign(g) * st["step_size"]
            st["prev"][...] = g
