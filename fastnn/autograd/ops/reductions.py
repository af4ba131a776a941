"""Reductions with dim/keepdim: sum, mean, max/min (values and indices), var/std, logsumexp, ..."""
import builtins
from collections import namedtuple

import numpy as np

from ..function import Function
from ..native.sum import native_total
from ..tensor import _wrap
from ._util import norm_dims

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _expand_grad(g, shape, dims, keepdim):
    """Give a reduced gradient back its reduced axes so it broadcasts against the input."""
    if not keepdim:  # one reshape (an expand_dims per axis cost ~2 us each on every loss.sum())
        g = np.reshape(g, tuple(1 if d in dims else n for d, n in enumerate(shape)))
    return g


class _KeptDimsFn(Function):
    """A reduction over `dims` computed with keepdims=True, whose backward needs the input and the result
    (logsumexp, amax/amin over several dims, the 2-norm)."""
    def reduced(self, a, r, dims, keepdim):
        self.save_for_backward(a, r)
        self.meta = (dims, keepdim)
        return r if keepdim else np.squeeze(r, axis=dims)

    def saved(self, g):
        """(input, kept-dims result, dims, g given back its reduced axes)."""
        a, r = self.saved_tensors
        dims, keepdim = self.meta
        return a, r, dims, _expand_grad(g, a.shape, dims, keepdim)


class Sum(Function):
    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.meta = (a.shape, dims, keepdim)
        total = native_total(a, dims, keepdim)
        if total is not None:
            return total
        return np.asarray(np.sum(a, axis=dims, keepdims=keepdim, dtype=a.dtype))  # NumPy would widen int32

    @staticmethod
    def backward(ctx, g):
        shape, dims, keepdim = ctx.meta
        return np.broadcast_to(_expand_grad(g, shape, dims, keepdim), shape), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.meta = (a.shape, dims, keepdim)
        total = native_total(a, dims, keepdim)
        if total is not None:
            return np.asarray(total / np.float32(a.size))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.mean(a, axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        shape, dims, keepdim = ctx.meta
        count = 1
        for d in dims:
            count *= shape[d]
        g = _expand_grad(g, shape, dims, keepdim) / builtins.max(count, 1)  # this module shadows max
        return np.broadcast_to(g, shape), None, None


class MaxAlong(Function):
    """max/min along one dim: values (differentiable) and indices."""
    @staticmethod
    def forward(ctx, a, dim, keepdim, largest):
        if a.shape[dim] == 0:
            raise IndexError(f"cannot take max/min over an empty dim {dim}")
        idx = np.argmax(a, axis=dim) if largest else np.argmin(a, axis=dim)
        values = np.take_along_axis(a, np.expand_dims(idx, dim), axis=dim)
        if not keepdim:
            values = np.squeeze(values, dim)
        else:
            idx = np.expand_dims(idx, dim)
        idx = idx.astype(np.int64, copy=False)
        ctx.meta = (a.shape, dim, keepdim, idx)
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _):
        shape, dim, keepdim, idx = ctx.meta
        if not keepdim:
            g = np.expand_dims(g, dim)
            idx = np.expand_dims(idx, dim)
        out = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(out, idx, g, axis=dim)
        return out, None, None, None


class MaxAll(Function):
    """max/min over all elements; ties share the gradient evenly (as PyTorch's amax)."""
    @staticmethod
    def forward(ctx, a, largest):
        if a.size == 0:
            raise ValueError("max/min of an empty tensor")
        v = a.max() if largest else a.min()
        ctx.save_for_backward(a, v)
        return np.asarray(v)

    @staticmethod
    def backward(ctx, g):
        a, v = ctx.saved_tensors
        hit = a == v
        return g * hit / hit.sum(dtype=g.dtype), None


class Var(Function):
    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        mean = a.mean(axis=dims, keepdims=True)
        count = 1
        for d in dims:
            count *= a.shape[d]
        denom = builtins.max(count - correction, 0)
        diff = a - mean
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (diff * diff).sum(axis=dims, keepdims=keepdim) / denom
        ctx.save_for_backward(diff)
        ctx.meta = (dims, keepdim, denom)
        return np.asarray(out, dtype=a.dtype)

    @staticmethod
    def backward(ctx, g):
        diff, = ctx.saved_tensors
        dims, keepdim, denom = ctx.meta
        g = _expand_grad(g, diff.shape, dims, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2 * g * diff / denom, None, None, None


class LogSumExp(_KeptDimsFn):
    @staticmethod
    def forward(ctx, a, dims, keepdim):
        m = np.max(a, axis=dims, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        return ctx.reduced(a, np.log(np.sum(np.exp(a - m), axis=dims, keepdims=True)) + m, dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        a, s, _, g = ctx.saved(g)
        return g * np.exp(a - s), None, None


class Prod(Function):
    @staticmethod
    def forward(ctx, a, dim, keepdim):
        out = np.prod(a, axis=dim, keepdims=keepdim, dtype=a.dtype)
        ctx.save_for_backward(a)
        ctx.meta = (dim, keepdim)
        return np.asarray(out)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        dim, keepdim = ctx.meta
        dims = tuple(range(a.ndim)) if dim is None else (dim,)
        g = _expand_grad(g, a.shape, dims, keepdim)
        # product of all other elements, without dividing (zeros are fine)
        axis = dim
        flat = a.reshape(-1) if dim is None else a
        ax = 0 if dim is None else axis
        left = np.cumprod(np.concatenate([np.ones_like(np.take(flat, [0], axis=ax)), flat], axis=ax), axis=ax)
        left = np.take(left, range(flat.shape[ax]), axis=ax)
        rev = np.flip(flat, axis=ax)
        right = np.cumprod(np.concatenate([np.ones_like(np.take(rev, [0], axis=ax)), rev], axis=ax), axis=ax)
        right = np.flip(np.take(right, range(flat.shape[ax]), axis=ax), axis=ax)
        others = (left * right).reshape(a.shape)
        return g * others, None, None


def _float_input(a, name):
    if a.dtype.kind != "f":
        from ._declare import DtypeError
        raise DtypeError(f"{name}(): could not infer output dtype. Input dtype must be either a floating point "
                         f"or complex dtype. Got: {a.dtype}")


def _accumulating(a, dtype):
    """The input of sum/prod/cumsum: cast to dtype if given; else bools and integers accumulate in int64, as in PyTorch."""
    if dtype is not None:
        return a.to(dtype)
    if a.dtype.kind in "bu" or (a.dtype.kind == "i" and a.dtype != np.int64):
        return a.long()
    return a


def sum(a, dim=None, keepdim=False, dtype=None):
    a = _accumulating(a, dtype)
    return Sum.apply(a, norm_dims(dim, a.ndim), keepdim)


def mean(a, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        a = a.to(dtype)
    _float_input(a, "mean")
    return Mean.apply(a, norm_dims(dim, a.ndim), keepdim)


def _extreme(a, dim, keepdim, largest):
    if dim is None:
        return MaxAll.apply(a, largest)
    if isinstance(dim, type(a)):  # torch.max(a, b): elementwise
        from .arithmetic import maximum, minimum
        return maximum(a, dim) if largest else minimum(a, dim)
    d = norm_dims(dim, a.ndim)[0]
    if a.ndim == 0:
        return ValuesIndices(a, _wrap(np.zeros((), np.int64)))
    values, idx = MaxAlong.apply(a, d, keepdim, largest)
    return ValuesIndices(values, idx)


def max(a, dim=None, keepdim=False):
    return _extreme(a, dim, keepdim, True)


def min(a, dim=None, keepdim=False):
    return _extreme(a, dim, keepdim, False)


class AmaxDims(_KeptDimsFn):
    """amax/amin over several dims; ties share the gradient evenly, as in PyTorch."""
    @staticmethod
    def forward(ctx, a, dims, keepdim, largest):
        if builtins.any(a.shape[d] == 0 for d in dims):  # this module shadows any
            raise IndexError("amax/amin: cannot reduce over an empty dimension")
        return ctx.reduced(a, (np.amax if largest else np.amin)(a, axis=dims, keepdims=True), dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        a, m, dims, g = ctx.saved(g)
        hit = (a == m)
        return g * hit / hit.sum(axis=dims, keepdims=True, dtype=g.dtype), None, None, None


def _amax(a, dim, keepdim, largest):
    if dim is None:
        return MaxAll.apply(a, largest)
    if isinstance(dim, (tuple, list)):
        return AmaxDims.apply(a, norm_dims(dim, a.ndim), keepdim, largest)
    return _extreme(a, dim, keepdim, largest).values


def amax(a, dim=None, keepdim=False):
    return _amax(a, dim, keepdim, True)


def amin(a, dim=None, keepdim=False):
    return _amax(a, dim, keepdim, False)


def _arg_extreme(a, dim, keepdim, np_arg):
    if dim is None:
        return _wrap(np.asarray(np_arg(a._data), dtype=np.int64))
    d = norm_dims(dim, a.ndim)[0]
    idx = np_arg(a._data, axis=d)
    return _wrap((np.expand_dims(idx, d) if keepdim else idx).astype(np.int64))


def argmax(a, dim=None, keepdim=False):
    return _arg_extreme(a, dim, keepdim, np.argmax)


def argmin(a, dim=None, keepdim=False):
    return _arg_extreme(a, dim, keepdim, np.argmin)


def _correction(unbiased, correction):
    if correction is not None:
        if unbiased is not None:  # PyTorch refuses the ambiguous pair too
            raise TypeError("var/std: give either unbiased or correction, not both")
        return correction
    return 1 if unbiased in (None, True) else 0


def var(a, dim=None, unbiased=None, keepdim=False, correction=None):
    _float_input(a, "var")
    return Var.apply(a, norm_dims(dim, a.ndim), _correction(unbiased, correction), keepdim)


def std(a, dim=None, unbiased=None, keepdim=False, correction=None):
    return var(a, dim, unbiased, keepdim, correction).sqrt()


def logsumexp(a, dim, keepdim=False):
    _float_input(a, "logsumexp")
    return LogSumExp.apply(a, norm_dims(dim, a.ndim), keepdim)


def prod(a, dim=None, keepdim=False, *, dtype=None):
    a = _accumulating(a, dtype)
    d = None if dim is None else norm_dims(dim, a.ndim)[0]
    return Prod.apply(a, d, keepdim)


class Norm2(_KeptDimsFn):
    """Euclidean norm; its gradient at a zero vector is 0 (PyTorch's subgradient), not NaN."""
    @staticmethod
    def forward(ctx, a, dims, keepdim):
        return ctx.reduced(a, np.sqrt(np.sum(a * a, axis=dims, keepdims=True)), dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        a, out, _, g = ctx.saved(g)
        safe = np.where(out == 0, np.ones((), out.dtype), out)
        return np.where(out == 0, np.zeros((), a.dtype), g * a / safe), None, None


def norm(a, p=2, dim=None, keepdim=False):
    if p == "nuc":  # the sum of singular values, over the last two dims or the two given
        from .linalg import matrix_norm
        return matrix_norm(a, "nuc", (-2, -1) if dim is None else dim, keepdim)
    if p == 2 or p == "fro":
        _float_input(a, "norm")
        return Norm2.apply(a, norm_dims(dim, a.ndim), keepdim)
    if p == 1:
        return a.abs().sum(dim, keepdim)
    if p == float("inf"):
        return amax(a.abs(), dim, keepdim)
    return (a.abs() ** p).sum(dim, keepdim) ** (1.0 / p)


def all(a, dim=None, keepdim=False):
    return _wrap(np.asarray(np.all(a._data, axis=dim, keepdims=keepdim)))


def any(a, dim=None, keepdim=False):
    return _wrap(np.asarray(np.any(a._data, axis=dim, keepdims=keepdim)))


def count_nonzero(a, dim=None):
    return _wrap(np.asarray(np.count_nonzero(a._data, axis=dim), dtype=np.int64))


def cumsum(a, dim, *, dtype=None):
    a = _accumulating(a, dtype)
    return CumSum.apply(a, norm_dims(dim, a.ndim)[0])


class CumSum(Function):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return np.cumsum(a, axis=dim, dtype=a.dtype)

    @staticmethod
    def backward(ctx, g):
        return np.flip(np.cumsum(np.flip(g, ctx.dim), axis=ctx.dim), ctx.dim), None
