"""Adafactor (Shazeer & Stern, 2018) as PyTorch 2.5+ implements it: factored second moments for matrices (row and
column means of the squared gradient), relative step sizes, update clipping by RMS."""
import math

import numpy as np

from .optimizer import Optimizer, check_positive


class Adafactor(Optimizer):
    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        check_positive("learning rate", lr)
        if beta2_decay > 0:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and eps[0] < 0:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        check_positive("epsilon2", eps[1])
        if d < 1.0:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        check_positive("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=tuple(eps), d=d, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize))

    def _update_group(self, group):
        lr, decay, (eps1, eps2), d, wd = (group["lr"], group["beta2_decay"], group["eps"], group["d"],
                                          group["weight_decay"])
        for p, g, st in self._params_with_grads(group):
            e1 = np.finfo(p.dtype).eps if eps1 is None else eps1
            if not st:
                st["step"] = 0.0
                if g.ndim > 1:
                    st["row_var"] = np.zeros(g.shape[:-1] + (1,), p.dtype)
                    st["col_var"] = np.zeros(g.shape[:-2] + (1, g.shape[-1]), p.dtype)
                else:
                    st["variance"] = np.zeros_like(p)
            t = st["step"] = st["step"] + 1
            w = t ** decay                                   # 1 - beta2_t
            rho = min(lr, 1 / math.sqrt(t))
            alpha = max(eps2, float(np.sqrt(np.mean(p.astype(np.float64) ** 2)))) * rho
            if wd:
                p *= 1 - lr * wd
            sq = g * g
            if g.ndim > 1:
                row, col = st["row_var"], st["col_var"]
                row += w * (sq.mean(axis=-1, keepdims=True) - row)
                col += w * (sq.mean(axis=-2, keepdims=True) - col)
                var = (row @ col) / np.maximum(row.mean(axis=-2, keepdims=True), e1)
            else:
                v = st["variance"]
                v += w * (sq - v)
                var = v.copy()
            update = g / np.sqrt(np.maximum(var, e1 * e1))
            rms = float(np.sqrt(np.mean(update.astype(np.float64) ** 2))) if update.size else 0.0
            p -= (alpha / max(1.0, rms / d)) * update
