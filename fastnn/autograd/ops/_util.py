"""Small helpers shared by the operation files."""
import numpy as np

from ..tensor import Tensor

_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)


def unbroadcast(g, shape):
    """Sum a broadcast gradient back down to `shape`."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def float_result(out, *operands):
    """NumPy promotes int/int division and int*float to float64; PyTorch gives float32
    unless an operand already was a float64 array. Apply PyTorch's rule. NumPy scalars
    count as Python numbers (np.float64 is a float subclass), as in PyTorch."""
    if out.dtype == _F64:
        for o in operands:
            # isinstance, not getattr(o, "dtype", None): np.dtype compares equal to None (float64)
            if isinstance(o, np.ndarray) and o.dtype == _F64:
                return out
        return out.astype(_F32)
    return out


def arr(x):
    return x._data if isinstance(x, Tensor) else x


def as_tensor(x, like=None):
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if like is not None and a.dtype.kind == "f":
        a = a.astype(like.dtype, copy=False)
    return Tensor(a)


def norm_dims(dim, ndim):
    """Tuple of non-negative axes for a dim argument (int, tuple, list or None = all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        dims = tuple(_one_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise ValueError(f"dim {dim} repeats an axis")
        return dims
    return (_one_dim(dim, ndim),)


def _one_dim(d, ndim):
    n = max(ndim, 1)
    if not isinstance(d, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(d).__name__}")
    if not -n <= d < n:
        raise IndexError(f"dim {d} is out of range for a tensor with {ndim} dimensions")
    return int(d) % n
