"""SparseAdam: Adam whose moments and parameters move only where the gradient has entries.

PyTorch takes sparse COO gradients (nn.Embedding(sparse=True)) and refuses dense ones. fastnn's gradients are
dense, so the rows (first dimension) whose gradient is not all zero stand for the sparse gradient's indices: an
embedding's looked-up rows. This is the documented difference; the update of those rows is PyTorch's."""
import numpy as np

from .optimizer import Optimizer, check_positive, check_betas


class SparseAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        check_positive("learning rate", lr)
        check_positive("epsilon value", eps, allow_zero=False)
        check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))

    def _update_group(self, group):
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        for p, g, st in self._params_with_grads(group):
            t = self._count_step(st, p, "exp_avg", "exp_avg_sq")
            rows = np.flatnonzero(np.any(g.reshape(g.shape[0], -1) != 0, axis=1)) if g.ndim else slice(None)
            gr = g[rows]
            m, v = st["exp_avg"], st["exp_avg_sq"]
            m[rows] += (1 - b1) * (gr - m[rows])
            v[rows] += (1 - b2) * (gr * gr - v[rows])
            step = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            p[rows] -= step * m[rows] / (np.sqrt(v[rows]) + eps)
