"""RAdam (rectified Adam; Liu et al., 2019), PyTorch's update: plain momentum SGD until the variance is tractable."""
import math

import numpy as np

from .optimizer import Optimizer, check_positive, check_betas


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False):
        check_positive("learning rate", lr)
        check_positive("epsilon value", eps)
        check_positive("weight_decay value", weight_decay)
        check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, foreach=foreach,
                                      maximize=maximize, capturable=capturable, differentiable=differentiable))

    def _update_group(self, group):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        rho_inf = 2 / (1 - b2) - 1
        for p, g, st in self._params_with_grads(group):
            t = self._count_step(st, p, "exp_avg", "exp_avg_sq")
            g = self._weight_decay(p, g, lr, wd, group["decoupled_weight_decay"])
            m, v = st["exp_avg"], st["exp_avg_sq"]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
            rho_t = rho_inf - 2 * t * b2 ** t / bc2
            if rho_t > 5:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                p -= (lr * rect / bc1) * m * (math.sqrt(bc2) / (np.sqrt(v) + eps))
            else:
                p -= (lr / bc1) * m
