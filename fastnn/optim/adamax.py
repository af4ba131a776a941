"""Adamax (Adam with the infinity norm; Kingma & Ba, 2015), PyTorch's update."""
import numpy as np

from .optimizer import Optimizer, check_positive, check_betas


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_positive("learning rate", lr)
        check_positive("epsilon value", eps)
        check_positive("weight_decay value", weight_decay)
        check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _update_group(self, group):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        for p, g, st in self._params_with_grads(group):
            self._count_step(st, p, "exp_avg", "exp_inf")
            g = self._weight_decay(p, g, lr, wd, False)
            m, u = st["exp_avg"], st["exp_inf"]
            m *= b1
            m += (1 - b1) * g
            np.maximum(u * b2, np.abs(g) + eps, out=u)
            p -= (lr / (1 - b1 ** st["step"])) * (m / u)
