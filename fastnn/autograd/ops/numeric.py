"""Numerics built from differentiable primitives: distances (cdist, pdist, dist), cov/corrcoef,
trapezoid rules, vander, histogram, renorm, logdet; and the window functions (matrix_exp: linalg_solve.py)."""
import numpy as np

from ..tensor import Tensor, _wrap
from ..dtypes import default_float, canonical_dtype
from ._declare import declare, ShapeError, ArgumentError
from ._util import _one_dim
from .reductions import sum as _sum, mean as _mean
from .linalg import vector_norm


@declare(out=False)
def dist(input, other, p=2):
    return vector_norm(input - other, p)


@declare(method=False)
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    if x1.ndim < 2 or x2.ndim < 2:
        raise ArgumentError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(diff, p, dim=-1)


@declare(method=False)
def pdist(input, p=2):
    if input.ndim != 2:
        raise ArgumentError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    return vector_norm(input[_wrap(i)] - input[_wrap(j)], p, dim=-1)


@declare()
def cov(input, *, correction=1, fweights=None, aweights=None):
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov(fweights=..., aweights=...) is not supported yet")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if x.dtype.kind != "f":
        x = x.to(default_float())
    n = x.shape[1]
    xc = x - _mean(x, 1, keepdim=True)
    c = (xc @ xc.mT) / max(n - correction, 0)
    return c.reshape(()) if input.ndim < 2 else c


@declare()
def corrcoef(input):
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1, 1)


def _trapz_dx(y, x, dx, dim):
    d = _one_dim(dim, y.ndim)
    n = y.shape[d]
    left, right = y.narrow(d, 0, n - 1), y.narrow(d, 1, n - 1)
    if x is not None:
        if x.ndim == 1:
            shape = [1] * y.ndim
            shape[d] = x.shape[0]
            x = x.reshape(shape)
        step = x.narrow(d, 1, n - 1) - x.narrow(d, 0, n - 1)
        return (left + right) * step / 2, d
    return (left + right) * (dx / 2), d


@declare(method=False, aliases=("trapz",))
def trapezoid(y, x=None, *, dx=None, dim=-1):
    if isinstance(x, (int, float)):
        x, dx = None, x
    if y.shape[_one_dim(dim, y.ndim)] == 0:
        return _sum(y, dim)
    parts, d = _trapz_dx(y, x, 1.0 if dx is None else dx, dim)
    return _sum(parts, d)


@declare(method=False)
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    if isinstance(x, (int, float)):
        x, dx = None, x
    parts, d = _trapz_dx(y, x, 1.0 if dx is None else dx, dim)
    from .reductions import cumsum
    return cumsum(parts, d)


@declare(method=False)
def vander(x, N=None, increasing=False):
    if x.ndim != 1:
        raise ArgumentError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    if x.dtype.kind == "b":
        x = x.long()
    from .shape import stack
    cols = [x ** int(p) if p else x * 0 + 1 for p in powers]
    if not cols:
        return _wrap(np.empty((x.shape[0], 0), x.dtype))
    return stack(cols, 1)


@declare(method=True)
def histogram(input, bins=100, *, range=None, weight=None, density=False):
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"torch.histogram: input tensor and bins tensors should have the same dtype, got {a.dtype}")
    b = bins._data if isinstance(bins, Tensor) else bins
    w = None if weight is None else weight._data
    hist, edges = np.histogram(a, bins=b, range=range, weights=w, density=density)
    from collections import namedtuple
    Histogram = namedtuple("histogram", ["hist", "bin_edges"])
    return Histogram(_wrap(hist.astype(a.dtype)), _wrap(edges.astype(a.dtype)))


@declare(inplace=True)
def renorm(input, p, dim, maxnorm):
    d = _one_dim(dim, input.ndim)
    others = tuple(i for i in range(input.ndim) if i != d)
    norms = vector_norm(input, p, dim=others, keepdim=True)
    scale = (maxnorm / (norms + 1e-7)).clamp(max=1.0)
    return input * scale.detach() if not input.requires_grad else input * scale


@declare()
def logdet(input):
    """log det A through slogdet (no overflow of det itself): nan where det < 0, -inf where det = 0."""
    from .linalg import slogdet
    sign, logabs = slogdet(input)
    neg = sign._data < 0  # PyTorch's value there is nan and its gradient zero
    dt = logabs._data.dtype
    return logabs * _wrap((~neg).astype(dt)) + _wrap(np.where(neg, np.nan, 0).astype(dt))


# ---------------------------------------------------------------- window functions
def _window(name, fn, window_length, periodic, dtype, kw_extra=()):
    if window_length < 0:
        raise ArgumentError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dt = default_float() if dtype is None else canonical_dtype(dtype)
    if window_length == 0:
        return _wrap(np.empty(0, dt))
    if window_length == 1:
        return _wrap(np.ones(1, dt))
    n = window_length + 1 if periodic else window_length
    w = fn(n, *kw_extra)
    return _wrap((w[:-1] if periodic else w).astype(dt))


def _decl_window(name, fn):
    def window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
        return _window(name, fn, window_length, periodic, dtype)
    window.__name__ = name
    declare(window, name=name, method=False)
    return window


hann_window = _decl_window("hann_window", np.hanning)
hamming_window = _decl_window("hamming_window", np.hamming)
blackman_window = _decl_window("blackman_window", np.blackman)
bartlett_window = _decl_window("bartlett_window", np.bartlett)


@declare(method=False)
def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False):
    return _window("kaiser_window", np.kaiser, window_length, periodic, dtype, (beta,))
