"""The losses models train with most: cross-entropy and NLL (fused kernels), BCE, BCE with logits, the
regression losses (MSE, L1, smooth L1, Huber) and KL divergence. The rest are in functional_loss."""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..autograd import ops
from ..autograd.ops.softmax import cross_entropy_indices
from ..autograd.native.activation import bce_logits_on_kernels, bce_logits_forward, bce_logits_backward
from .functional_mse import fused_mse_mean
from .functional_huber import fused_huber
from .functional_checks import (_check_float, _check_reduction, _check_tensor, _reduce, _same_shape,
                                _warn_if_broadcast, _weighted_reduce, legacy_reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits `input` (N, C) / (N, C, d...) / (C,) with class indices or class probabilities."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _check_tensor(target, "target")
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension")
    class_dim = 0 if input.ndim == 1 else 1
    C = input.shape[class_dim]
    if weight is not None and tuple(weight.shape) != (C,):
        raise ValueError(f"cross_entropy: weight must have shape ({C},), got {tuple(weight.shape)}")
    if target.dtype.kind == "f":
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing, class_dim)
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must be int64 class indices or float probabilities, got {target.dtype}")
    expected = input.shape[:class_dim] + input.shape[class_dim + 1:]
    if tuple(target.shape) != expected:
        raise ValueError(f"cross_entropy: target shape {tuple(target.shape)} does not match input shape "
                         f"{tuple(input.shape)} (expected {expected})")
    logits = input
    if input.ndim == 1:
        logits = input.reshape(1, C)
    elif input.ndim > 2:
        logits = ops.permute(input, (0,) + tuple(range(2, input.ndim)) + (1,)).reshape(-1, C)
    t = target._data.reshape(-1)
    if t.dtype != np.int64:
        t = t.astype(np.int64)
    w = weight._data if isinstance(weight, Tensor) else weight
    loss = cross_entropy_indices(logits, t, w, ignore_index, label_smoothing, reduction)
    if reduction == "none":
        return loss.reshape(expected)
    return loss


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing, class_dim):
    _same_shape(input, target, "cross_entropy")
    C = input.shape[class_dim]
    logp = ops.log_softmax(input, class_dim)
    q = target
    if label_smoothing:
        q = q * (1 - label_smoothing) + label_smoothing / C
    terms = logp * q
    if weight is not None:
        shape = [1] * input.ndim
        shape[class_dim] = C
        terms = terms * weight.reshape(shape)
    loss = -terms.sum(class_dim)
    return _reduce(loss, reduction)


class NLLFn(Function):
    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        N = logp.shape[0]
        keep = target != ignore_index
        safe = np.where(keep, target, 0)
        w = np.ones(logp.shape[1], logp.dtype) if weight is None else weight
        wt = w[safe] * keep
        picked = logp[np.arange(N), safe]
        loss = -(picked * wt).astype(logp.dtype)
        ctx.meta = (logp.shape, safe, wt, reduction)
        if reduction == "none":
            return loss
        if reduction == "sum":
            return np.asarray(loss.sum())
        ctx.denom = wt.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(loss.sum() / logp.dtype.type(ctx.denom))

    @staticmethod
    def backward(ctx, g):
        shape, safe, wt, reduction = ctx.meta
        scale = g if reduction == "none" else (g / ctx.denom if reduction == "mean" else g)
        out = np.zeros(shape, dtype=np.result_type(g.dtype, wt.dtype))
        out[np.arange(shape[0]), safe] = -wt * scale
        return out.astype(g.dtype, copy=False), None, None, None, None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _check_tensor(target, "target")
    _check_reduction(reduction)
    if input.ndim < 1:
        raise ValueError("nll_loss: input must have a class dimension")
    C = input.shape[0 if input.ndim == 1 else 1]
    x = input if input.ndim == 2 else (input.reshape(1, C) if input.ndim == 1 else
                                       ops.permute(input, (0,) + tuple(range(2, input.ndim)) + (1,)).reshape(-1, C))
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if tuple(target.shape) != expected:
        raise ValueError(f"nll_loss: target shape {tuple(target.shape)} does not match input shape {tuple(input.shape)}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must be int64 class indices, got {target.dtype}")
    t = target._data.reshape(-1).astype(np.int64, copy=False)
    valid = t[t != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= C):
        raise IndexError(f"nll_loss: target holds {valid[(valid < 0) | (valid >= C)][0]}, out of range [0, {C})")
    w = None if weight is None else weight._data.astype(input.dtype)
    loss = NLLFn.apply(x, t, w, ignore_index, reduction)
    return loss.reshape(expected) if reduction == "none" else loss


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _check_tensor(target, "target")
    _warn_if_broadcast(input, target)
    fused = fused_mse_mean(input, target, reduction, weight)
    if fused is not None:
        return fused
    diff = input - target
    return _weighted_reduce(diff * diff, weight, reduction, input, by_weight_sum=True)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _warn_if_broadcast(input, target)
    return _weighted_reduce(ops.abs(input - target), weight, reduction, input, by_weight_sum=True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _warn_if_broadcast(input, target)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    fused = fused_huber(input, target, beta, 1.0 / beta, reduction)
    if fused is not None:
        return fused
    d = input - target
    ad = ops.abs(d)
    loss = ops.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _check_float(input, "input")
    _warn_if_broadcast(input, target)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    fused = fused_huber(input, target, delta, 1.0, reduction, weight)
    if fused is not None:
        return fused
    d = input - target
    ad = ops.abs(d)
    loss = ops.where(ad <= delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _weighted_reduce(loss, weight, reduction, input, by_weight_sum=False)


class BCEFn(Function):
    """-(t log p + (1 - t) log(1 - p)) with PyTorch's guards: logs clamped at -100, and the
    gradient (p - t) / max(p (1 - p), 1e-12), so p = 0 or 1 gives finite values, not NaN."""
    @staticmethod
    def forward(ctx, p, t):
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_1mp = np.maximum(np.log1p(-p), -100)
        ctx.save_for_backward(p, t, log_p, log_1mp)
        return -(t * log_p + (1 - t) * log_1mp)

    @staticmethod
    def backward(ctx, g):
        p, t, log_p, log_1mp = ctx.saved_tensors
        gp = g * (p - t) / np.maximum(p * (1 - p), p.dtype.type(1e-12)) if ctx.needs_input_grad[0] else None
        gt = g * (log_1mp - log_p) if ctx.needs_input_grad[1] else None
        return gp, gt


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _check_float(target, "target")
    _same_shape(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1):
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1")
    t = target._data
    if t.size and (t.min() < 0 or t.max() > 1):
        raise ValueError("binary_cross_entropy: all elements of target should be between 0 and 1")
    loss = BCEFn.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


class BCEWithLogitsFn(Function):
    """(1 - t) x + (1 + (pw - 1) t) softplus(-x), stable for any x."""
    @staticmethod
    def forward(ctx, x, t, pos_weight):
        ctx.fused = pos_weight is None and bce_logits_on_kernels(x, t)  # one native pass each way
        if ctx.fused:
            ctx.save_for_backward(x, t)
            return bce_logits_forward(x, t)
        lw = 1 + (pos_weight - 1) * t if pos_weight is not None else 1
        sp = np.logaddexp(0, -x)
        ctx.save_for_backward(x, t, lw)
        return ((1 - t) * x + lw * sp).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        if ctx.fused:
            x, t = ctx.saved_tensors
            return bce_logits_backward(x, t, g.astype(x.dtype, copy=False)), None, None
        x, t, lw = ctx.saved_tensors
        sig_neg = 0.5 * (1 - np.tanh(0.5 * x))  # sigmoid(-x) without overflow
        gx = g * ((1 - t) - lw * sig_neg)
        return gx.astype(x.dtype, copy=False), None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _check_float(target, "target")
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    _check_reduction(reduction)
    pw = None if pos_weight is None else pos_weight._data
    loss = BCEWithLogitsFn.apply(input, target._data.astype(input.dtype, copy=False), pw)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        loss = ops.where(target._data > 0, target * (ops.log(ops.clamp(target, min=1e-45)) - input), 0.0 * input)
    if reduction == "batchmean":
        return loss.sum() / input.shape[0]
    return _reduce(loss, reduction)
