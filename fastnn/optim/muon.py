"""Muon (momentum orthogonalised by Newton-Schulz; Jordan et al., 2024) for 2-D parameters, PyTorch 2.9+'s API.

PyTorch runs the Newton-Schulz iteration in bfloat16; here it runs in the parameter's own dtype (float32 by
default), which is more precise, so updates agree with PyTorch's to bfloat16's precision only."""
import math

import numpy as np

from .optimizer import Optimizer, check_positive

NS_COEFFICIENTS = (3.4445, -4.775, 2.0315)


def orthogonalise(m, coefficients, steps, eps):
    """Newton-Schulz quintic iteration towards the nearest semi-orthogonal matrix (U V^T of m's SVD)."""
    if steps >= 100:
        raise ValueError("ns_steps must be less than 100")
    if len(coefficients) != 3:
        raise ValueError("ns_coefficients must be a tuple of exactly 3 values")
    a, b, c = coefficients
    tall = m.shape[0] > m.shape[1]
    x = m.T if tall else m
    x = x / max(float(np.linalg.norm(x)), eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


class Muon(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=NS_COEFFICIENTS, eps=1e-7, ns_steps=5, adjust_lr_fn=None):
        check_positive("learning rate", lr)
        check_positive("momentum", momentum)
        check_positive("weight decay", weight_decay)
        if adjust_lr_fn not in (None, "original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                                      ns_coefficients=tuple(ns_coefficients), eps=eps, ns_steps=ns_steps,
                                      adjust_lr_fn=adjust_lr_fn))
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters, got a parameter of size {tuple(p.shape)}")

    @staticmethod
    def _scaled_lr(lr, how, shape):
        rows, cols = shape[:2]
        if how == "match_rms_adamw":
            return lr * 0.2 * math.sqrt(max(rows, cols))
        return lr * math.sqrt(max(1, rows / cols))

    def _update_group(self, group):
        lr, wd, mom = group["lr"], group["weight_decay"], group["momentum"]
        for p, g, st in self._params_with_grads(group, negate=False):
            buf = st.get("momentum_buffer")
            if buf is None:
                buf = st["momentum_buffer"] = np.zeros_like(p)
            buf += (1 - mom) * (g - buf)
            update = g + mom * (buf - g) if group["nesterov"] else buf
            ortho = orthogonalise(update, group["ns_coefficients"], group["ns_steps"], group["eps"])
            p *= 1 - lr * wd
            p -= self._scaled_lr(lr, group["adjust_lr_fn"], p.shape) * ortho.astype(p.dtype)
