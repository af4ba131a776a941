"""Differentiable indexing: [] with ints, slices, int64 and bool tensors; gather; where; masked_fill."""
import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap
from ..dtypes import as_supported_array
from ._util import unbroadcast, arr, _one_dim

_BASIC = (int, slice, type(None), type(Ellipsis), np.integer)


def index_key(key):
    """Turn Tensors inside an index into arrays, and check their dtypes."""
    if isinstance(key, tuple):
        return tuple(_index_part(k) for k in key)
    return _index_part(key)


def _index_part(k):
    if isinstance(k, Tensor):
        k = k._data
    if isinstance(k, list):
        k = np.asarray(k)
    if isinstance(k, np.ndarray) and k.dtype.kind not in "iub":
        raise IndexError(f"tensors used as indices must be int64 or bool, got {k.dtype}")
    return k


def _is_basic(key):
    if isinstance(key, tuple):
        return all(isinstance(k, _BASIC) for k in key)
    return isinstance(key, _BASIC)


class GetItem(Function):
    @staticmethod
    def forward(ctx, a, key, basic):
        ctx.meta = (a.shape, a.dtype, key, basic)
        return a[key]

    @staticmethod
    def backward(ctx, g):
        shape, dtype, key, basic = ctx.meta
        out = np.zeros(shape, dtype=g.dtype)
        if basic:
            out[key] = g
        else:
            np.add.at(out, key, g)  # repeated indices accumulate
        return out, None, None


def getitem(a, key):
    key = index_key(key)
    basic = _is_basic(key)
    try:
        if not a.requires_grad:
            return _wrap(a._data[key])
        return GetItem.apply(a, key, basic)
    except IndexError as err:
        raise IndexError(f"index out of range for tensor of shape {tuple(a.shape)}: {err}") from None


class Gather(Function):
    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.meta = (a.shape, dim, index)
        return np.take_along_axis(a, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        shape, dim, index = ctx.meta
        out = np.zeros(shape, dtype=g.dtype)
        grid = list(np.ogrid[tuple(slice(0, s) for s in index.shape)])
        grid[dim] = index
        np.add.at(out, tuple(grid), g)
        return out, None, None


def gather(a, dim, index):
    d = _one_dim(dim, a.ndim)
    idx = arr(index)
    if not isinstance(idx, np.ndarray) or idx.dtype.kind not in "iu":
        raise TypeError("gather: index must be an int64 tensor")
    if idx.ndim != a.ndim:
        raise ValueError(f"gather: index must have {a.ndim} dimensions, got {idx.ndim}")
    if idx.size and (idx.min() < -a.shape[d] or idx.max() >= a.shape[d]):
        raise IndexError(f"gather: index out of range for dim {dim} of size {a.shape[d]}")
    return Gather.apply(a, d, idx)


def index_select(a, dim, index):
    d = _one_dim(dim, a.ndim)
    key = [slice(None)] * a.ndim
    key[d] = arr(index)
    return getitem(a, tuple(key))


class Where(Function):
    @staticmethod
    def forward(ctx, cond, x, y):
        ctx.meta = (cond, np.shape(x), np.shape(y))
        return np.where(cond, x, y)

    @staticmethod
    def backward(ctx, g):
        cond, sx, sy = ctx.meta
        zero = np.zeros((), g.dtype)
        gx = unbroadcast(np.where(cond, g, zero), sx) if ctx.needs_input_grad[1] else None
        gy = unbroadcast(np.where(cond, zero, g), sy) if ctx.needs_input_grad[2] else None
        return None, gx, gy


def where(condition, x=None, y=None):
    c = arr(condition)
    if x is None and y is None:
        return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(c))
    if not isinstance(c, np.ndarray) or c.dtype != np.bool_:
        raise TypeError("where: condition must be a bool tensor")
    ref = x if isinstance(x, Tensor) else y
    if not isinstance(ref, Tensor):  # two plain values: PyTorch's default dtypes
        x, y = _wrap(as_supported_array(x)), _wrap(as_supported_array(y))
    if not isinstance(x, Tensor):
        x = np.asarray(x, dtype=ref.dtype)
    if not isinstance(y, Tensor):
        y = np.asarray(y, dtype=ref.dtype)
    return Where.apply(c, x, y)


class MaskedFill(Function):
    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask
        return np.where(mask, np.asarray(value, dtype=a.dtype), a)

    @staticmethod
    def backward(ctx, g):
        return np.where(ctx.mask, np.zeros((), g.dtype), g), None, None


def masked_fill(a, mask, value):
    m = arr(mask)
    if not isinstance(m, np.ndarray) or m.dtype != np.bool_:
        raise TypeError("masked_fill: mask must be a bool tensor")
    try:
        if np.broadcast_shapes(m.shape, a.shape) != a.shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"masked_fill: mask of shape {m.shape} does not broadcast to {tuple(a.shape)}") from None
    if isinstance(value, Tensor):
        value = value.item()
    return MaskedFill.apply(a, m, value)


def nonzero(a, as_tuple=False):
    idx = np.nonzero(a._data)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in idx)
    return _wrap(np.stack(idx, axis=1).astype(np.int64))
