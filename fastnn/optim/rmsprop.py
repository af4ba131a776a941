"""RMSprop (centered and momentum variants), PyTorch's update."""
import numpy as np

from .optimizer import Optimizer, check_positive


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_positive("learning rate", lr)
        check_positive("epsilon value", eps)
        check_positive("momentum value", momentum)
        check_positive("weight_decay value", weight_decay)
        check_positive("alpha value", alpha)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize, capturable=capturable,
                                      foreach=foreach, differentiable=differentiable))

    def _update_group(self, group):
        lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        mom, centered = group["momentum"], group["centered"]
        for p, g, st in self._params_with_grads(group):
            self._count_step(st, p, "square_avg", *(["momentum_buffer"] if mom > 0 else []),
                             *(["grad_avg"] if centered else []))
            g = self._weight_decay(p, g, lr, wd, False)
            sq = st["square_avg"]
            sq *= alpha
            sq += (1 - alpha) * (g * g)
            if centered:
                ga = st["grad_avg"]
                ga *= alpha
                ga += (1 - alpha) * g
                avg = np.sqrt(sq - ga * ga) + eps
            else:
                avg = np.sqrt(sq) + eps
            if mom > 0:
                buf = st["momentum_buffer"]
                buf *= mom
                buf += g / avg
                p -= lr * buf
            else:
                p -= lr * (g / avg)
