"""NumPy twins of the normalisation kernels: layer norm and training batch norm.

Written from the definition: y = (x - mean) / sqrt(var + eps) * weight + bias over each row (layer norm)
or over each channel's values (batch norm), with the biased variance; statistics in float64.
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


def batch_norm_forward(x, weight=None, bias=None, eps=1e-5):
    """x (N, C, M): statistics per channel over its N * M values."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=(0, 2))
    var = x64.var(axis=(0, 2))
    rstd = 1.0 / np.sqrt(var + eps)
    y = (x64 - mean[:, None]) * rstd[:, None]
    if weight is not None:
        y = y * weight[:, None]
    if bias is not None:
        y = y + bias[:, None]
    return y.astype(x.dtype), mean, var, rstd


def batch_norm_backward(x, mean, rstd, grad_out, weight=None, need_weight=True, need_bias=True, need_input=True):
    """d/dx of the normalisation with batch statistics: gx = w rstd (g - mean(g) - xhat mean(g xhat)) per channel."""
    if grad_out.shape != x.shape:
        raise ValueError(f"grad_out must have the shape of input {x.shape}, got {grad_out.shape}")
    g = grad_out.astype(np.float64)
    xhat = (x.astype(np.float64) - mean[:, None]) * rstd[:, None]
    gw = (g * xhat).sum(axis=(0, 2))
    gb = g.sum(axis=(0, 2))
    gx = None
    if need_input:
        w = np.ones(x.shape[1]) if weight is None else weight.astype(np.float64)
        count = x.shape[0] * x.shape[2]
        gx = ((w * rstd)[:, None] * (g - gb[:, None] / count - xhat * gw[:, None] / count)).astype(x.dtype)
    return (gx, gw.astype(x.dtype) if need_weight and weight is not None else None,
            gb.astype(x.dtype) if need_bias else None)
