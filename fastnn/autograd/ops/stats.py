"""More reductions and scans: median, nanmedian, mode, quantile, nansum, nanmean, var_mean, std_mean,
aminmax, cumprod, cummax, cummin, logcumsumexp, diff."""
from collections import namedtuple

import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap
from ._declare import declare
from ._util import _one_dim, norm_dims
from .indexing import gather, where
from .reductions import sum as _sum, var, std, mean, amin, amax
from .sorting import ValuesIndices, sort_indices, sort

MinMax = namedtuple("MinMax", ["min", "max"])


def _pick(input, dim, idx, keepdim):
    """Values at idx (keepdim-shaped int64 indices along dim), differentiable through gather."""
    values = gather(input, dim, _wrap(idx))
    if not keepdim:
        values, idx = values.squeeze(dim), np.squeeze(idx, dim)
    return ValuesIndices(values, _wrap(idx))


def _median(input, dim, keepdim, ignore_nan, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    a = input._data
    if dim is None:
        if a.size == 0:
            return _wrap(np.asarray(np.nan, a.dtype)) if a.dtype.kind == "f" else input.reshape(-1)[0]
        flat = input.reshape(-1)
        r = _median(flat, 0, False, ignore_nan, name)
        return r.values
    d = _one_dim(dim, a.ndim)
    if a.ndim == 0:
        return ValuesIndices(input.clone(), _wrap(np.zeros((), np.int64)))
    if a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    order = sort_indices(a, d)
    n = a.shape[d]
    if a.dtype.kind == "f":
        nans = np.isnan(a).sum(axis=d, keepdims=True)
        if ignore_nan:  # the lower median of the values that are not NaN
            k = np.maximum(n - nans - 1, 0) // 2
        else:  # any NaN makes the median NaN: the first NaN (sorted last)
            k = np.where(nans > 0, n - nans, (n - 1) // 2)
    else:
        k = np.full([1 if i == d else s for i, s in enumerate(a.shape)], (n - 1) // 2)
    idx = np.take_along_axis(order, k, axis=d).astype(np.int64)
    return _pick(input, d, idx, keepdim)


@declare(out=True)
def median(input, dim=None, keepdim=False):
    return _median(input, dim, keepdim, False, "median")


@declare(out=True)
def nanmedian(input, dim=None, keepdim=False):
    return _median(input, dim, keepdim, True, "nanmedian")


@declare(out=True)
def mode(input, dim=-1, keepdim=False):
    a = input._data
    d = _one_dim(dim, a.ndim)
    if a.ndim == 0:
        return ValuesIndices(input.clone(), _wrap(np.zeros((), np.int64)))
    moved = np.moveaxis(a, d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    idx = np.empty(rows.shape[0], np.int64)
    for i, r in enumerate(rows):  # per row: the smallest most frequent value, at its last position
        u, c = np.unique(r, return_counts=True)
        v = u[np.argmax(c)]
        idx[i] = np.flatnonzero(r == v)[-1]
    idx = np.expand_dims(idx.reshape(moved.shape[:-1]), d)
    return _pick(input, d, idx, keepdim)


@declare(out=True)
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ValueError(f"quantile() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                         f"Got {interpolation}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"quantile() input tensor must be either float or double dtype, got {input.dtype}")
    qa = q._data if isinstance(q, Tensor) else np.asarray(q, np.float64)
    if qa.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if ((qa < 0) | (qa > 1)).any():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else _one_dim(dim, input.ndim)
    n = x.shape[d] if x.ndim else 1
    s = sort(x, d).values if x.ndim else x.reshape(1)
    pos = qa.reshape(-1).astype(np.float64) * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.ceil(pos).astype(np.int64)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = np.round(pos).astype(np.int64)  # round half to even, as PyTorch
    frac = 0.5 if interpolation == "midpoint" else (pos - lo)
    outs = []
    for j in range(len(pos)):
        a = s.select(d, int(lo[j])) if s.ndim else s
        b = s.select(d, int(hi[j])) if s.ndim else s
        w = frac if np.isscalar(frac) else float(frac[j])
        r = a + (b - a) * w
        if keepdim:
            r = r.unsqueeze(d) if dim is not None else r.reshape((1,) * input.ndim)
        outs.append(r)
    from .shape import stack
    return outs[0] if qa.ndim == 0 else stack(outs, 0)


@declare(out=True)
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    if np.isnan(input._data).any():
        raise NotImplementedError("nanquantile with NaN inputs is not supported yet; use quantile after filtering")
    return quantile(input, q, dim, keepdim, interpolation=interpolation)


def _nan_zeroed(input):
    a = input._data
    if a.dtype.kind != "f":
        return input
    return where(_wrap(np.isnan(a)), _wrap(np.zeros((), a.dtype)), input)


@declare(out=True)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return _sum(_nan_zeroed(input), dim, keepdim, dtype=dtype)


@declare(out=True)
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    if input.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got {input.dtype}")
    count = (~np.isnan(input._data)).sum(axis=norm_dims(dim, input.ndim), keepdims=keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / _wrap(count.astype(input.dtype))


@declare(method=False)
def var_mean(input, dim=None, *, correction=None, keepdim=False, unbiased=None):
    return var(input, dim, unbiased, keepdim, correction), mean(input, dim, keepdim)


@declare(method=False)
def std_mean(input, dim=None, *, correction=None, keepdim=False, unbiased=None):
    return std(input, dim, unbiased, keepdim, correction), mean(input, dim, keepdim)


@declare(out=True)
def aminmax(input, *, dim=None, keepdim=False):
    if input.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.")
    if dim is None:
        lo, hi = amin(input), amax(input)
        if keepdim:
            lo, hi = lo.reshape((1,) * input.ndim), hi.reshape((1,) * input.ndim)
        return MinMax(lo, hi)
    return MinMax(amin(input, dim, keepdim), amax(input, dim, keepdim))


# ---------------------------------------------------------------- scans
class CumProd(Function):
    @staticmethod
    def forward(ctx, a, dim):
        y = np.cumprod(a, axis=dim, dtype=a.dtype)
        ctx.save_for_backward(a, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        d = ctx.dim
        if (a != 0).all():  # d y_i / d a_j = y_i / a_j for i >= j
            return np.flip(np.cumsum(np.flip(g * y, d), d), d) / a, None
        # with zeros: the product of the other factors, one position at a time
        out = np.zeros_like(a)
        n = a.shape[d]
        for j in range(n):
            ones = np.take(a, [j], axis=d)
            b = a.copy()
            np.put_along_axis(b, np.full(ones.shape, j), 1, axis=d)
            pb = np.cumprod(b, axis=d)
            sel = np.take(g * pb, np.arange(j, n), axis=d).sum(axis=d, keepdims=True)
            np.put_along_axis(out, np.full(ones.shape, j), sel, axis=d)
        return out, None


@declare(inplace=True, out=True)
def cumprod(input, dim, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif input.dtype.kind in "bu" or input.dtype in (np.int8, np.int16, np.int32):
        input = input.long()
    return CumProd.apply(input, _one_dim(dim, input.ndim))


def _cum_extreme(input, dim, largest):
    a = input._data
    d = _one_dim(dim, a.ndim)
    if a.ndim == 0:
        return ValuesIndices(input.clone(), _wrap(np.zeros((), np.int64)))
    n = a.shape[d]
    pos = np.arange(n).reshape([n if i == d else 1 for i in range(a.ndim)])
    best = np.maximum.accumulate(a, axis=d) if largest else np.minimum.accumulate(a, axis=d)
    if a.dtype.kind == "f":  # NaN propagates, and its index with it
        nan_seen = np.logical_or.accumulate(np.isnan(a), axis=d)
        best = np.where(nan_seen, np.nan, best)
        hit = (a == best) | (np.isnan(a) & nan_seen)
    else:
        hit = a == best
    idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=d).astype(np.int64)
    return ValuesIndices(gather(input, d, _wrap(idx)), _wrap(idx))


@declare(out=True)
def cummax(input, dim):
    return _cum_extreme(input, dim, True)


@declare(out=True)
def cummin(input, dim):
    return _cum_extreme(input, dim, False)


class LogCumSumExp(Function):
    @staticmethod
    def forward(ctx, a, dim):
        y = np.logaddexp.accumulate(a, axis=dim)
        ctx.save_for_backward(a, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        d = ctx.dim
        # dx_j = sum_{i >= j} g_i exp(x_j - y_i) = exp(x_j) * reverse-cumsum(g_i exp(-y_i)), kept stable
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            m = np.max(y, axis=d, keepdims=True)
            m = np.where(np.isfinite(m), m, 0)
            s = np.flip(np.cumsum(np.flip(g * np.exp(m - y), d), d), d)
            return s * np.exp(a - m), None


@declare(out=True)
def logcumsumexp(input, dim):
    if input.dtype.kind != "f":
        input = input.float()
    return LogCumSumExp.apply(input, _one_dim(dim, input.ndim))


@declare(out=True)
def diff(input, n=1, dim=-1, prepend=None, append=None):
    from .shape import cat
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _one_dim(dim, input.ndim)
    x = input
    if prepend is not None or append is not None:
        parts = [p for p in (prepend, x, append) if p is not None]
        x = cat(parts, d)
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        x = x.narrow(d, 1, m - 1) - x.narrow(d, 0, m - 1) if x.dtype.kind != "b" else \
            _wrap(np.not_equal(x._data.take(range(1, m), d), x._data.take(range(m - 1), d)))
    return x
