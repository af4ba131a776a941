"""Ordering: sort, argsort, topk, kthvalue, unique, bincount, searchsorted, bucketize, histc, isin.

Values come out through `gather` with indices computed outside the graph, so their gradient is
gather's (each selected element receives its output's gradient).
"""
from collections import namedtuple

import numpy as np

from ..tensor import Tensor, _wrap
from ._declare import declare
from ._util import _one_dim
from .indexing import gather

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _check(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")


def sort_indices(a, axis, descending=False):
    """Stable argsort along axis with PyTorch's NaN placement (NaN is the largest value)."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        key = np.where(nan, np.zeros((), a.dtype), -a.astype(np.float64))
        moved = np.moveaxis(key, axis, -1), np.moveaxis(~nan, axis, -1)
        return np.moveaxis(np.lexsort((moved[0], moved[1]), axis=-1), -1, axis)
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    return np.argsort(-a.astype(np.int64), axis=axis, kind="stable")


def _along(input, dim, idx):
    if input.ndim == 0:
        return input.clone()
    return gather(input, dim, _wrap(idx))


@declare(out=True)
def sort(input, dim=-1, descending=False, stable=False):
    _check(input, "sort")
    d = _one_dim(dim, input.ndim)
    if input.ndim == 0:
        return ValuesIndices(input.clone(), _wrap(np.zeros((), np.int64)))
    idx = sort_indices(input._data, d, descending).astype(np.int64)
    return ValuesIndices(_along(input, d, idx), _wrap(idx))


@declare(out=True)
def argsort(input, dim=-1, descending=False, stable=False):
    _check(input, "argsort")
    d = _one_dim(dim, input.ndim)
    if input.ndim == 0:
        return _wrap(np.zeros((), np.int64))
    return _wrap(sort_indices(input._data, d, descending).astype(np.int64))


@declare(out=True)
def msort(input):
    return sort(input, 0).values


@declare(out=True)
def topk(input, k, dim=-1, largest=True, sorted=True):
    _check(input, "topk")
    d = _one_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k ({k}) out of range for a dimension of size {n}")
    if input.ndim == 0:
        return ValuesIndices(input.clone(), _wrap(np.zeros((), np.int64)))
    idx = np.take(sort_indices(input._data, d, descending=largest), np.arange(k), axis=d).astype(np.int64)
    return ValuesIndices(_along(input, d, idx), _wrap(idx))


@declare(out=True)
def kthvalue(input, k, dim=-1, keepdim=False):
    _check(input, "kthvalue")
    d = _one_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k ({k}) out of range for a dimension of size {n}")
    if input.ndim == 0:
        return ValuesIndices(input.clone(), _wrap(np.zeros((), np.int64)))
    idx = np.take(sort_indices(input._data, d), [k - 1], axis=d).astype(np.int64)
    values = _along(input, d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), np.squeeze(idx, d)
    return ValuesIndices(values, _wrap(idx))


@declare(out=False)
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    _check(input, "unique")
    a = input._data
    if dim is None:
        u, inv, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(a.shape)
    else:
        d = _one_dim(dim, a.ndim)
        u, inv, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
    out = [_wrap(u)]
    if return_inverse:
        out.append(_wrap(inv.astype(np.int64)))
    if return_counts:
        out.append(_wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@declare(out=False)
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    _check(input, "unique_consecutive")
    if dim is not None:
        raise NotImplementedError("unique_consecutive(dim=...) is not supported yet; use dim=None")
    a = input._data.reshape(-1)
    start = np.ones(a.shape, bool)
    start[1:] = a[1:] != a[:-1]
    out = [_wrap(a[start])]
    if return_inverse:
        out.append(_wrap((np.cumsum(start) - 1).reshape(input.shape).astype(np.int64)))
    if return_counts:
        out.append(_wrap(np.diff(np.append(np.flatnonzero(start), a.size)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@declare(out=False)
def bincount(input, weights=None, minlength=0):
    _check(input, "bincount")
    a = input._data
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got {a.dtype} of {a.ndim} dims")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if weights is None:
        return _wrap(np.bincount(a, minlength=minlength).astype(np.int64))
    w = weights._data if isinstance(weights, Tensor) else np.asarray(weights)
    if w.shape != a.shape:
        raise RuntimeError("bincount: weights should be 1-d and have the same length as input")
    dt = w.dtype if w.dtype.kind == "f" else np.float64
    return _wrap(np.bincount(a, weights=w, minlength=minlength).astype(dt))


def _side(right, side):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"side can only be 'left' or 'right' but got {side!r}")
        if right and side == "left":
            raise RuntimeError("side and right can't be set to opposites")
        return side
    return "right" if right else "left"


@declare(method=False, out=True)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    v = np.asarray(input) if scalar else input._data
    s = _side(right, side)
    srt = None if sorter is None else sorter._data
    if seq.ndim == 1:
        res = np.searchsorted(seq, v, side=s, sorter=srt)
    else:
        if v.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError("searchsorted: boundaries and input must have the same leading dimensions")
        rows_s, rows_v = seq.reshape(-1, seq.shape[-1]), v.reshape(-1, v.shape[-1])
        rows_o = None if srt is None else srt.reshape(-1, seq.shape[-1])
        res = np.stack([np.searchsorted(r, x, side=s, sorter=None if rows_o is None else rows_o[i])
                        for i, (r, x) in enumerate(zip(rows_s, rows_v))]).reshape(v.shape)
    return _wrap(np.asarray(res, np.int32 if out_int32 else np.int64))


@declare(out=True, method=False)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    v = input._data if isinstance(input, Tensor) else np.asarray(input)
    res = np.searchsorted(boundaries._data, v, side="right" if right else "left")
    return _wrap(np.asarray(res, np.int32 if out_int32 else np.int64))


@declare(out=True)
def histc(input, bins=100, min=0, max=0):
    _check(input, "histc")
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"histc: \"histogram_cpu\" not implemented for '{a.dtype}'")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min, got min {min} and max {max}")
    counts, _ = np.histogram(a, bins=bins, range=(lo, hi))
    return _wrap(counts.astype(a.dtype))


@declare(out=True, method=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return _wrap(np.isin(e, t, assume_unique=assume_unique, invert=invert))
