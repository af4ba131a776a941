"""The losses and distances of torch.nn.functional beyond the core ones.

Each is a composition of differentiable ops (so gradients come from their backward
passes), written from the formula in PyTorch's documentation. Targets that only select
or mask terms (labels of +1/-1, class indices) enter as constants.
"""
import math

import numpy as np

from ..autograd.tensor import Tensor, _wrap
from ..autograd import ops
from .functional_act import logsigmoid
from .functional_checks import _check_float, _reduce, legacy_reduction
from .functional_linear import linear
from .functional_loss_core import cross_entropy
from ..autograd.ops.views import broadcast_tensors


def _const(x, like):
    """A target's values as a constant array of like's dtype."""
    arr = x._data if isinstance(x, Tensor) else np.asarray(x)
    return _wrap(arr.astype(like.dtype, copy=False))


def _target(target, like):
    """A float target stays in the graph (PyTorch differentiates these losses in it); others are constants."""
    if isinstance(target, Tensor) and target.dtype.kind == "f":
        return target
    return _const(target, like)


def _relu(x):
    return ops.relu(x)


# ------------------------------------------------------------------ distances

def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    _check_float(x1, "x1", "pairwise_distance")
    _check_float(x2, "x2", "pairwise_distance")
    if p < 0:
        raise ValueError(f"pairwise_distance: p must be non-negative, got {p}")
    d = x1 - x2 + eps
    dim = -1 if max(x1.ndim, x2.ndim) > 0 else None
    if p == 0:
        return _wrap(np.count_nonzero(d._data, axis=dim, keepdims=keepdim).astype(d.dtype))
    return ops.norm(d, p, dim, keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    _check_float(x1, "x1", "cosine_similarity")
    _check_float(x2, "x2", "cosine_similarity")
    x1, x2 = broadcast_tensors(x1, x2)  # PyTorch broadcasts before reducing over dim
    dot = (x1 * x2).sum(dim)
    # each norm clamped at eps (PyTorch's ATen does the same; its docs write max(|x1| |x2|, eps))
    n1 = ops.clamp(ops.norm(x1, 2, dim), min=eps)
    n2 = ops.clamp(ops.norm(x2, 2, dim), min=eps)
    return dot / (n1 * n2)


def pdist(input, p=2):
    _check_float(input, "input", "pdist")
    if input.ndim != 2:
        raise ValueError(f"pdist only supports 2D tensors, got shape {tuple(input.shape)}")
    if p < 0:
        raise ValueError(f"pdist only supports non-negative p values, got {p}")
    i, j = np.triu_indices(input.shape[0], 1)
    diff = ops.getitem(input, i) - ops.getitem(input, j)
    return ops.norm(diff, p, 1)


# ------------------------------------------------------------------ regression-like losses

def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input", "poisson_nll_loss")
    if log_input:
        loss = ops.exp(input) - target * input
    else:
        loss = input - target * ops.log(input + eps)
    if full:
        t = _const(target, input)._data
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = np.where(t > 1, t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t), 0)
        loss = loss + _wrap(stirling.astype(input.dtype))
    return _reduce(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    _check_float(input, "input", "gaussian_nll_loss")
    if not isinstance(var, Tensor):
        var = _wrap(np.full(input.shape, float(var), input.dtype))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # heteroscedastic with one variance per sample
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError(f"gaussian_nll_loss: var of shape {tuple(var.shape)} does not fit input "
                             f"of shape {tuple(input.shape)}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"gaussian_nll_loss: {reduction!r} is not a valid value for reduction")
    if np.any(var._data < 0):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    # clamped for stability, but the gradient flows as if unclamped (PyTorch clamps under no_grad)
    clamped = np.maximum(var._data, eps).astype(var.dtype)
    var = var + _wrap(clamped - var._data)
    d = input - target
    loss = 0.5 * (ops.log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


# ------------------------------------------------------------------ margin and ranking losses

def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input1, "input1", "margin_ranking_loss")
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise ValueError(f"margin_ranking_loss: all input tensors should have the same number of dimensions, got "
                         f"{input1.ndim}, {input2.ndim} and {target.ndim}")
    y = _target(target, input1)
    return _reduce(_relu(-y * (input1 - input2) + margin), reduction, "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input", "hinge_embedding_loss")
    t = _const(target, input)._data
    zero = _wrap(np.zeros((), input.dtype))
    loss = ops.where(t != 1, _relu(margin - input), zero) + ops.where(t != -1, input, zero)
    return _reduce(loss, reduction, "hinge_embedding_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input", "soft_margin_loss")
    y = _const(target, input)  # PyTorch does not differentiate this one in the target
    return _reduce(-logsigmoid(y * input), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input", "multilabel_soft_margin_loss")
    y = _target(target, input)
    loss = -(y * logsigmoid(input) + (1 - y) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1]
    return _reduce(loss, reduction, "multilabel_soft_margin_loss")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input1, "input1", "cosine_embedding_loss")
    if input1.ndim not in (1, 2) or input1.shape != input2.shape:
        raise ValueError(f"cosine_embedding_loss: expected 1-D or 2-D inputs of the same shape, got "
                         f"{tuple(input1.shape)} and {tuple(input2.shape)}")
    dim = input1.ndim - 1
    eps = 1e-12  # PyTorch's: cos = x1.x2 / sqrt((|x1|^2 + eps)(|x2|^2 + eps))
    cos = (input1 * input2).sum(dim) / ops.sqrt(((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps))
    t = _const(target, input1)._data
    zero = _wrap(np.zeros((), input1.dtype))
    loss = ops.where(t == 1, 1 - cos, zero) + ops.where(t == -1, _relu(cos - margin), zero)
    return _reduce(loss, reduction, "cosine_embedding_loss")


def _class_indices(target, n, C, fname):
    if not isinstance(target, Tensor) or target.dtype.kind not in "iu":
        raise TypeError(f"{fname}: target must be an int64 tensor of class indices")
    t = target._data.reshape(-1).astype(np.int64)
    if t.size != n:
        raise ValueError(f"{fname}: target has {t.size} entries, expected {n}")
    if t.size and (t.min() < 0 or t.max() >= C):
        raise IndexError(f"{fname}: target holds a class index out of range [0, {C})")
    return t


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input", "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p}")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    N, C = x.shape
    t = _class_indices(target, N, C, "multi_margin_loss")
    x_y = ops.getitem(x, (np.arange(N), t)).unsqueeze(1)
    terms = _relu(margin - x_y + x)
    if p == 2:
        terms = terms * terms
    others = np.ones((N, C), input.dtype)
    others[np.arange(N), t] = 0
    if weight is not None:
        terms = terms * ops.getitem(weight, t).unsqueeze(1)
    loss = (terms * _wrap(others)).sum(1) / C
    if input.ndim != 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction, "multi_margin_loss")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Targets are class indices padded with -1 after the last one; each pair (target j,
    non-target i) adds max(0, 1 - (x[j] - x[i])) / C."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input", "multilabel_margin_loss")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    N, C = x.shape
    if not isinstance(target, Tensor) or target.dtype.kind not in "iu" or tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"multilabel_margin_loss: target must be an int64 tensor of shape {tuple(input.shape)}")
    t = target._data.reshape(N, C)
    count = np.zeros((N, C), input.dtype)  # how often class j is listed before the first -1
    for n in range(N):
        for c in t[n]:
            if c < 0:
                break
            if c >= C:
                raise IndexError(f"multilabel_margin_loss: target index {c} out of range [0, {C})")
            count[n, c] += 1
    not_target = (count == 0).astype(input.dtype)
    pair = count[:, :, None] * not_target[:, None, :]
    terms = _relu(1 - x.unsqueeze(2) + x.unsqueeze(1)) * _wrap(pair)
    loss = terms.sum((1, 2)) / C
    if input.ndim != 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction, "multilabel_margin_loss")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_float(t, name, "triplet_margin_loss")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ValueError("triplet_margin_loss: anchor, positive and negative must have the same number of dims")
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = ops.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    return _reduce(_relu(margin + d_ap - d_an), reduction, "triplet_margin_loss")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, got {margin}")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_ap = dist(anchor, positive)
    d_an = dist(anchor, negative)
    if swap:
        d_an = ops.minimum(d_an, dist(positive, negative))
    return _reduce(_relu(margin + d_ap - d_an), reduction, "triplet_margin_with_distance_loss")


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target); linear_weight is
    (C, *out_features, in_features) and the logits (N, C, *out_features)."""
    if options is not None:
        raise NotImplementedError("linear_cross_entropy: options (chunked evaluation) are not supported")
    _check_float(input, "input", "linear_cross_entropy")
    C, out = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    w2 = linear_weight.reshape(-1, linear_weight.shape[-1])
    b2 = None if linear_bias is None else linear_bias.reshape(-1)
    logits = linear(input, w2, b2)
    if out:
        logits = logits.reshape(tuple(input.shape[:-1]) + (C,) + out)
    # ignore_index=None ignores nothing: a value no class index can take
    ii = np.iinfo(np.int64).min if ignore_index is None else ignore_index
    return cross_entropy(logits, target, weight=weight, ignore_index=ii, reduction=reduction,
                         label_smoothing=label_smoothing)
