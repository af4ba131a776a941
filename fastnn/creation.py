"""Tensor factories: tensor, from_numpy, zeros/ones/full/empty(_like), arange, linspace, eye, rand*."""
import numpy as np

from .device import check_cpu
from .autograd.tensor import Tensor, _wrap
from .autograd.dtypes import canonical_dtype, as_supported_array, float32, int64
from .autograd.random import generator


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"size must be non-negative integers, got {size}")
    return tuple(int(s) for s in size)


def _dtype(dtype, default=float32):
    return default if dtype is None else canonical_dtype(dtype)


def _make(array, requires_grad):
    t = _wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor copying `data` (nested lists, scalars, ndarrays or tensors)."""
    check_cpu(device)
    if isinstance(data, Tensor):
        data = data._data
    return _make(as_supported_array(data, dtype, copy=True), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a NumPy array of a supported dtype."""
    check_cpu(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return _wrap(as_supported_array(data, dtype))


def from_numpy(array):
    """A tensor sharing memory with `array` (float32/float64/int64/bool)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    if array.dtype not in (np.float32, np.float64, np.int64, np.bool_):
        raise TypeError(f"from_numpy: dtype {array.dtype} is not supported; use float32, float64, int64 or bool")
    return _wrap(array)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    return _make(np.zeros(_shape(size), _dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    return _make(np.ones(_shape(size), _dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    return _make(np.empty(_shape(size), _dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else
                 int64 if isinstance(fill_value, (int, np.integer)) else float32)
    size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    return _make(np.full(_shape(size), fill_value, canonical_dtype(dtype)), requires_grad)


def _like(x, dtype):
    return x.dtype if dtype is None else canonical_dtype(dtype)


def zeros_like(x, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    return _make(np.zeros(x.shape, _like(x, dtype)), requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    return _make(np.ones(x.shape, _like(x, dtype)), requires_grad)


def empty_like(x, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    return _make(np.empty(x.shape, _like(x, dtype)), requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    return _make(np.full(x.shape, fill_value, _like(x, dtype)), requires_grad)


def rand_like(x, dtype=None):
    return _make(generator().random(x.shape).astype(_like(x, dtype)), False)


def randn_like(x, dtype=None):
    return _make(generator().standard_normal(x.shape).astype(_like(x, dtype)), False)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    values = (start, end, step)
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in values)
        dtype = int64 if is_int else float32
    return _make(np.arange(start, end, step).astype(_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    return _make(np.linspace(start, end, steps).astype(_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    check_cpu(device)
    return _make(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def rand(*size, dtype=None, generator_=None, requires_grad=False, **_):
    return _make(generator().random(_shape(size)).astype(_dtype(dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad=False, **_):
    return _make(generator().standard_normal(_shape(size)).astype(_dtype(dtype)), requires_grad)


def randint(low, high=None, size=None, dtype=None, **_):
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size is required")
    return _wrap(generator().integers(low, high, _shape((tuple(size),))).astype(_dtype(dtype, int64)))


def randperm(n, dtype=None, **_):
    return _wrap(generator().permutation(n).astype(_dtype(dtype, int64)))


def normal(mean, std, size=None):
    return _wrap(generator().normal(mean, std, size).astype(float32))


def multinomial(probs, num_samples, replacement=False):
    """Sample indices from each row of non-negative weights."""
    p = np.asarray(probs._data, dtype=np.float64)
    rows = p.reshape(-1, p.shape[-1])
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, r in enumerate(rows):
        total = r.sum()
        if not np.isfinite(total) or total <= 0 or (r < 0).any():
            raise ValueError("multinomial: probs must be non-negative, finite and not all zero")
        out[i] = generator().choice(len(r), num_samples, replace=replacement, p=r / total)
    return _wrap(out.reshape(p.shape[:-1] + (num_samples,)))
