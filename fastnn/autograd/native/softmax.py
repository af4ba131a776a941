"""Autograd Functions over the softmax kernels (csrc/softmax.pyx): softmax, log-softmax, cross-entropy."""
import math

import numpy as np

from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family

softmax_kernels = family("softmax")


def _as_rows(a):
    """C-contiguous a as (rows, last axis); a 0-d array is one row of one. Shapes are spelled out,
    not -1, so that a zero-length last axis still says how many rows there are."""
    if a.ndim == 0:
        return a.reshape(1, 1)
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


def _rows(a, dim):
    """View `a` as C-contiguous (rows, size of dim) with dim last; and how to undo it."""
    if dim >= a.ndim - 1:  # the last axis, or a 0-d tensor
        return _as_rows(kernel_input(a)), None
    moved = np.moveaxis(a, dim, -1)
    return _as_rows(kernel_input(moved)), moved.shape


def _grad_rows(g, dim, dtype):
    """The output gradient as the (M, C) rows softmax_backward takes, dim last. A gradient
    broadcast over leading axes (that of a sum or a mean arrives as a stride-0 view) gives only
    its M distinct rows, which repeat down the R rows of y, instead of a materialised copy."""
    m = np.moveaxis(g, dim, -1) if dim < g.ndim - 1 else g
    lead = 0
    while m.size and lead < m.ndim - 1 and (m.strides[lead] == 0 or m.shape[lead] == 1):
        lead += 1
    if lead:
        m = m[(0,) * lead]
    return _as_rows(kernel_input(m, dtype))


def _unrows(rows, shape, moved_shape, dim):
    if moved_shape is None:
        return rows.reshape(shape)
    return np.moveaxis(rows.reshape(moved_shape), -1, dim)


class Softmax(Function):
    @staticmethod
    def forward(ctx, a, dim, log):
        rows, moved = _rows(a, dim)
        y = softmax_kernels.softmax_forward(rows, 1.0, None, log)
        ctx.save_for_backward(y)
        ctx.meta = (a.shape, moved, dim, log)
        return _unrows(y, a.shape, moved, dim)

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        shape, moved, dim, log = ctx.meta
        gx = softmax_kernels.softmax_backward(y, _grad_rows(g, dim, y.dtype), 1.0, log)
        return _unrows(gx, shape, moved, dim), None, None


class CrossEntropy(Function):
    """Mean/sum/none cross-entropy of class-index targets, one fused kernel each way."""
    @staticmethod
    def forward(ctx, logits, target, weight, ignore_index, smoothing, reduction):
        target = kernel_input(target)
        weight = kernel_input(weight, logits.dtype)
        loss, logp = softmax_kernels.cross_entropy_forward(kernel_input(logits), target, weight, ignore_index, smoothing)
        ctx.save_for_backward(logp, target, weight)
        ctx.meta = (ignore_index, smoothing, reduction)
        if reduction == "none":
            return loss
        if reduction == "sum":
            return np.asarray(loss.sum(dtype=loss.dtype))
        # mean over the weights of the non-ignored targets (PyTorch's weighted mean)
        kept_weights = weight[target[target != ignore_index]] if weight is not None else None
        if weight is not None:
            denom = kept_weights.sum()
        else:
            denom = target.shape[0] - np.count_nonzero(target == ignore_index)
        ctx.denom = denom
        if denom:
            return np.asarray(loss.sum(dtype=loss.dtype) / loss.dtype.type(denom))
        if kept_weights is None or not kept_weights.any():
            # every target ignored or weighing 0: PyTorch's loss is NaN (its NLL part is 0 / 0), also when
            # label smoothing adds a positive term over the other classes
            return np.asarray(np.nan, loss.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):  # weights cancelling to 0: x / 0 as NumPy divides
            return np.asarray(loss.sum(dtype=loss.dtype) / loss.dtype.type(denom))

    @staticmethod
    def backward(ctx, g):
        logp, target, weight = ctx.saved_tensors
        ignore_index, smoothing, reduction = ctx.meta
        if reduction == "none":
            grow = kernel_input(g, logp.dtype)
        else:
            # a Python float: g / denom in double, then one rounding to the loss's dtype (as exact as dividing
            # in it), without NumPy's scalar arithmetic, which costs a small batch's step microseconds
            # (a zero denominator, every target ignored or weighing 0: g / 0 as NumPy divides, inf or NaN)
            denom = 1.0 if reduction == "sum" else float(ctx.denom)
            scale = float(g) / denom if denom else float(g) * math.inf
            grow = np.full(logp.shape[0], scale, dtype=logp.dtype)
        gx = softmax_kernels.cross_entropy_backward(logp, target, grow, weight, ignore_index, smoothing)
        return gx, None, None, None, None, None
