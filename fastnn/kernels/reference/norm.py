"""NumPy twins of the normalisation kernels: layer norm.

Written from the definition: y = (x - mean) / sqrt(var + eps) * weight + bias over each row,
with the biased variance; statistics in float64.
"""
import numpy as np


def layer_norm_forward(x, weight=None, bias=None, eps=1e-5):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=1)
    rstd = 1.0 / np.sqrt(x64.var(axis=1) + eps)
    y = (x64 - mean[:, None]) * rstd[:, None]
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y.astype(x.dtype), mean, rstd


def add_layer_norm_forward(x, residual, weight=None, bias=None, eps=1e-5, p=0.0, seed=0):
    from .dropout import dropout_mask_apply
    s = x + (dropout_mask_apply(residual, p, seed) if p > 0.0 else residual)
    y, mean, rstd = layer_norm_forward(s, weight, bias, eps)
    return y, s, mean, rstd


def layer_norm_backward(x, mean, rstd, grad_out, weight=None, need_weight=True, need_bias=True, need_input=True,
                        grad_residual=None):
    xhat = (x.astype(np.float64) - mean[:, None]) * rstd[:, None]
    g = grad_out.astype(np.float64)
    gh = g * weight if weight is not None else g
    gx = rstd[:, None] * (gh - gh.mean(axis=1, keepdims=True) - xhat * (gh * xhat).mean(axis=1, keepdims=True))
    gw = (g * xhat).sum(axis=0).astype(x.dtype) if need_weight and weight is not None else None
    gb = g.sum(axis=0).astype(x.dtype) if need_bias else None
    if grad_residual is not None:
        gx = gx + grad_residual
    return (gx.astype(x.dtype) if need_input else None), gw, gb
