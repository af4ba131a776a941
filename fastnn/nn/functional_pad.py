"""F.pad's reflect, replicate and circular modes, and negative (cropping) widths in constant mode.

Every non-constant mode is a gather: output position j along a padded dim reads input
position idx[j]; the backward scatters the gradient back with repeats accumulated.
"""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor


def _source_index(n, before, after, mode):
    j = np.arange(-before, n + after)
    if mode == "reflect":
        period = 2 * (n - 1)
        j = np.abs(j) if period == 0 else np.mod(j, period)
        return np.where(j >= n, period - j, j) if period else np.zeros_like(j)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    return np.mod(j, n)  # circular


class GatherPadFn(Function):
    """Gather along the last len(index) dims; the backward scatters one dim at a time as a product
    with the (out, in) 0/1 matrix of that dim's index map (BLAS, instead of np.add.at)."""
    @staticmethod
    def forward(ctx, x, index):
        ctx.meta = (x.shape, index)
        lead = (slice(None),) * (x.ndim - len(index))
        return x[lead + np.ix_(*index)]

    @staticmethod
    def backward(ctx, g):
        shape, index = ctx.meta
        nd = len(index)
        for i, idx in enumerate(index):
            axis = len(shape) - nd + i
            scatter = np.zeros((idx.size, shape[axis]), g.dtype)
            scatter[np.arange(idx.size), idx] = 1
            g = np.moveaxis(np.moveaxis(g, axis, -1) @ scatter, -1, axis)
        return np.ascontiguousarray(g), None


def pad_mode(input, widths, mode):
    """widths: (before, after) for each of the last len(widths) dims, outermost first."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    nd = len(widths)
    limit = {"reflect": 3, "replicate": 3, "circular": 3}[mode]
    if nd > limit or input.ndim < nd + 1:
        raise NotImplementedError(f"pad: mode {mode!r} pads the last 1, 2 or 3 dims of a batched or unbatched "
                                  f"input (at least {nd + 1}-D); got {nd} dims for input shape {tuple(input.shape)}")
    idx = []
    for i, (before, after) in enumerate(widths):
        n = input.shape[input.ndim - nd + i]
        if mode == "reflect" and (before >= n or after >= n):
            raise ValueError(f"pad: padding size should be less than the corresponding input dimension, but got "
                             f"padding ({before}, {after}) at dimension {input.ndim - nd + i} of input "
                             f"{tuple(input.shape)}")
        if mode == "circular" and (before > n or after > n):
            raise ValueError("pad: padding value causes wrapping around more than once")
        if min(before, after) < 0:
            raise ValueError(f"pad: negative widths are only supported in constant mode, got ({before}, {after})")
        idx.append(_source_index(n, before, after, mode))
    return GatherPadFn.apply(input, tuple(idx))
