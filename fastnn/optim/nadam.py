"""NAdam (Adam with Nesterov momentum; Dozat, 2016), PyTorch's update with its momentum-decay schedule."""
import numpy as np

from .optimizer import Optimizer, check_positive, check_betas


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_positive("learning rate", lr)
        check_positive("epsilon value", eps)
        check_positive("weight_decay value", weight_decay)
        check_positive("momentum_decay value", momentum_decay)
        check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      foreach=foreach, maximize=maximize, capturable=capturable,
                                      differentiable=differentiable))

    def _update_group(self, group):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        psi = group["momentum_decay"]
        for p, g, st in self._params_with_grads(group):
            t = self._count_step(st, p, "exp_avg", "exp_avg_sq", mu_product=1.0)
            g = self._weight_decay(p, g, lr, wd, group["decoupled_weight_decay"])
            mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
            mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
            st["mu_product"] = float(np.float32(st["mu_product"] * mu))   # a float32 scalar in PyTorch
            m, v = st["exp_avg"], st["exp_avg_sq"]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            denom = np.sqrt(v / (1 - b2 ** t)) + eps
            p -= (lr * (1 - mu) / (1 - st["mu_product"])) * (g / denom)
            p -= (lr * mu_next / (1 - st["mu_product"] * mu_next)) * (m / denom)
