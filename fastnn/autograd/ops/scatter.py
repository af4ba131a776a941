"""Scatter and index families: scatter, scatter_add, scatter_reduce, index_add, index_copy, index_fill,
masked_scatter, masked_select, take, take_along_dim (out of place; Tensor.x_ twins are generated)."""
import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap
from ._declare import declare
from ._util import _one_dim
from .indexing import gather, getitem, where


def _index(index, name, argname="index"):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument '{argname}' must be Tensor, not {type(index).__name__}")
    if index.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for {argname}")
    return index._data


def _grid(index, dim):
    """Fancy index addressing, for every element of index, the input position it names along dim."""
    grid = list(np.ogrid[tuple(slice(0, s) for s in index.shape)])
    grid[dim] = index
    return tuple(grid)


def _check_scatter(a, dim, idx, src, name):
    if idx.ndim != a.ndim:
        raise RuntimeError(f"{name}(): Index tensor must have the same number of dimensions as self tensor")
    for i, s in enumerate(idx.shape):
        if i != dim and s > a.shape[i]:
            raise RuntimeError(f"{name}(): Expected index {tuple(idx.shape)} to be smaller than self "
                               f"{tuple(a.shape)} apart from dimension {dim}")
        if src is not None and np.ndim(src) and s > src.shape[i]:
            raise RuntimeError(f"{name}(): Expected index {tuple(idx.shape)} to be smaller than src {tuple(src.shape)}")
    if idx.size and (idx.min() < -a.shape[dim] or idx.max() >= a.shape[dim]):
        raise RuntimeError(f"{name}(): index out of bounds for dimension {dim} with size {a.shape[dim]}")


def _src_part(src, idx):
    return src[tuple(slice(0, s) for s in idx.shape)]


class _Scatter(Function):
    """out = a with src written (or accumulated) at the positions index names along dim."""
    @staticmethod
    def forward(ctx, a, src, dim, idx, accumulate):
        grid = _grid(idx, dim)
        out = a.copy()
        part = _src_part(src, idx) if np.ndim(src) else np.broadcast_to(np.asarray(src, a.dtype), idx.shape)
        if accumulate:
            np.add.at(out, grid, part)
        else:
            out[grid] = part
        ctx.meta = (grid, np.shape(src), accumulate, idx.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        grid, src_shape, accumulate, ishape = ctx.meta
        ga = gs = None
        if ctx.needs_input_grad[0]:
            ga = g
            if not accumulate:
                ga = g.copy()
                ga[grid] = 0
        if ctx.needs_input_grad[1]:
            gs = np.zeros(src_shape, g.dtype)
            gs[tuple(slice(0, s) for s in ishape)] = g[grid]
        return ga, gs, None, None, None


def _scatter(input, dim, index, src, accumulate, name):
    d = _one_dim(dim, input.ndim)
    idx = _index(index, name)
    if isinstance(src, Tensor):
        if src.dtype != input.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        _check_scatter(input._data, d, idx, src._data, name)
    else:
        _check_scatter(input._data, d, idx, None, name)
    return _Scatter.apply(input, src, d, idx % max(input.shape[d], 1) if idx.size else idx, accumulate)


@declare(inplace=True, out=True)
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    if src is None and value is None:
        raise TypeError("scatter(): expected src or value")
    s = src if src is not None else value
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, got {reduce}")
        if not isinstance(s, Tensor):
            s = _wrap(np.full(index.shape, s, input.dtype))
        return scatter_reduce(input, dim, index, s, "sum" if reduce == "add" else "prod")
    return _scatter(input, dim, index, s, False, "scatter")


@declare(inplace=True, out=True)
def scatter_add(input, dim, index, src):
    return _scatter(input, dim, index, src, True, "scatter_add")


_UFUNC = {"sum": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum, "mean": np.add}


@declare(inplace=True, out=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    if reduce not in _UFUNC:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = _one_dim(dim, input.ndim)
    idx = _index(index, "scatter_reduce")
    _check_scatter(input._data, d, idx, src._data, "scatter_reduce")
    if reduce == "sum" and include_self:
        return _scatter(input, dim, index, src, True, "scatter_reduce")
    if reduce in ("prod", "amax", "amin", "sum") and (input.requires_grad or src.requires_grad):
        raise NotImplementedError(f"scatter_reduce(reduce={reduce!r}, include_self={include_self}) has no "
                                  f"gradient in fastnn yet")
    grid = _grid(idx % max(input.shape[d], 1), d)
    a = input._data
    part = _src_part(src._data, idx)
    touched = np.zeros(a.shape, bool)
    touched[grid] = True
    out = a.copy()
    if not include_self:
        ident = {"sum": 0, "mean": 0, "prod": 1,
                 "amax": -np.inf if a.dtype.kind == "f" else np.iinfo(a.dtype).min,
                 "amin": np.inf if a.dtype.kind == "f" else np.iinfo(a.dtype).max}[reduce]
        out[touched] = ident
    if reduce == "mean":  # differentiable: a sum divided by the counts
        count = np.zeros(a.shape, np.int64)
        np.add.at(count, grid, 1)
        count += 1 if include_self else 0
        base = input if include_self else where(_wrap(touched), _wrap(np.zeros((), a.dtype)), input)
        summed = _scatter(base, d, index, src, True, "scatter_reduce")
        denom = np.maximum(count, 1).astype(a.dtype)
        res = summed / _wrap(denom)
        if a.dtype.kind != "f":
            res = _wrap(np.floor_divide(summed._data, np.maximum(count, 1)).astype(a.dtype))
        return where(_wrap(touched), res, input)
    _UFUNC[reduce].at(out, grid, part)
    return _wrap(out)


class _IndexAdd(Function):
    @staticmethod
    def forward(ctx, a, src, dim, idx, alpha):
        out = a.copy()
        key = (slice(None),) * dim + (idx,)
        np.add.at(out, key, src * alpha if alpha != 1 else src)
        ctx.meta = (key, alpha)
        return out

    @staticmethod
    def backward(ctx, g):
        key, alpha = ctx.meta
        gs = g[key] * alpha if ctx.needs_input_grad[1] else None
        return g, gs, None, None, None


def _index_args(input, dim, index, source, name):
    d = _one_dim(dim, input.ndim)
    idx = _index(index, name)
    if idx.ndim > 1:
        raise RuntimeError(f"{name}(): Index is supposed to be a vector")
    n = input.shape[d] if input.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{name}(): index out of range in self")
    if source is not None:
        if source.dtype != input.dtype:
            raise RuntimeError(f"{name}(): self ({input.dtype}) and source ({source.dtype}) must have the same scalar type")
        expect = input.shape[:d] + (len(idx),) + input.shape[d + 1:]
        if source.ndim and tuple(source.shape) != expect:
            raise RuntimeError(f"{name}(): source has shape {tuple(source.shape)}, expected {expect}")
    return d, idx.reshape(-1) % max(n, 1)


@declare(inplace=True, out=True)
def index_add(input, dim, index, source, *, alpha=1):
    d, idx = _index_args(input, dim, index, source, "index_add")
    return _IndexAdd.apply(input, source, d, idx, alpha)


@declare(inplace=True, out=True)
def index_copy(input, dim, index, source):
    d, idx = _index_args(input, dim, index, source, "index_copy")
    mask = np.zeros(input.shape[d], bool)
    mask[idx] = True
    shape = [1] * input.ndim
    shape[d] = input.shape[d]
    placed = _IndexAdd.apply(_wrap(np.zeros(input.shape, input.dtype)), source, d, idx, 1)
    return where(_wrap(mask.reshape(shape)), placed, input)


@declare(inplace=True, out=True)
def index_fill(input, dim, index, value):
    d, idx = _index_args(input, dim, index, None, "index_fill")
    mask = np.zeros(input.shape[d] if input.ndim else 1, bool)
    mask[idx] = True
    shape = [1] * input.ndim
    if input.ndim:
        shape[d] = input.shape[d]
    v = value if isinstance(value, Tensor) else _wrap(np.asarray(value, input.dtype))
    return where(_wrap(mask.reshape(shape)), v.to(input.dtype), input)


@declare(inplace=True)
def masked_scatter(input, mask, source):
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks")
    m = np.broadcast_to(m, input.shape)
    n = int(m.sum())
    if source.numel() < n:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements as ones in mask")
    order = np.zeros(input.shape, np.int64)
    order[m] = np.arange(n)
    taken = getitem(source.reshape(-1), _wrap(order.reshape(-1))).reshape(input.shape)
    return where(_wrap(np.ascontiguousarray(m)), taken, input)


@declare(out=True)
def masked_select(input, mask):
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {m.dtype}")
    shape = np.broadcast_shapes(m.shape, input.shape)
    x = input.expand(shape) if tuple(input.shape) != shape else input
    return getitem(x, _wrap(np.ascontiguousarray(np.broadcast_to(m, shape))))


@declare(out=True)
def take(input, index):
    idx = _index(index, "take")
    n = input.numel()
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"take(): index out of range for tensor of {n} elements")
    return getitem(input.reshape(-1), _wrap(idx % max(n, 1)))


@declare(out=True)
def take_along_dim(input, indices, dim=None):
    idx = _index(indices, "take_along_dim", "indices")
    if dim is None:
        return take(input, _wrap(idx.reshape(-1)))
    d = _one_dim(dim, input.ndim)
    if idx.ndim != input.ndim:
        raise RuntimeError("take_along_dim(): input and indices should have the same number of dimensions")
    shape_i = [max(a, b) if i != d else b for i, (a, b) in enumerate(zip(input.shape, idx.shape))]
    shape_x = [max(a, b) if i != d else a for i, (a, b) in enumerate(zip(input.shape, idx.shape))]
    x = input.expand(shape_x) if tuple(input.shape) != tuple(shape_x) else input
    idx = np.broadcast_to(idx, shape_i)
    return gather(x, d, _wrap(np.ascontiguousarray(idx)))


@declare(inplace=True)
def put(input, index, source, accumulate=False):
    idx = _index(index, "put")
    flat = input.reshape(-1)
    if accumulate:
        return _IndexAdd.apply(flat, source.reshape(-1), 0, idx.reshape(-1), 1).reshape(input.shape)
    return index_copy(flat, 0, _wrap(idx.reshape(-1)), source.reshape(-1)).reshape(input.shape)



@declare(inplace=True)
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce source's slices into input at the positions index names along dim (prod, mean, amax, amin)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d, idx = _index_args(input, dim, index, source, "index_reduce")
    shape = [1] * source.ndim
    shape[d] = len(idx)
    full = np.broadcast_to(idx.reshape(shape), source.shape)
    return scatter_reduce(input, d, _wrap(np.ascontiguousarray(full)), source, reduce, include_self=include_self)
