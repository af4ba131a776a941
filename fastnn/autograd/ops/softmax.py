"""softmax, log_softmax and class-index cross-entropy: PyTorch's argument handling over the native Functions."""
import numpy as np

from ..tensor import Tensor
from ._util import _one_dim
from ..native.softmax import Softmax, CrossEntropy


def _softmax(a, dim, log, name, dtype=None):
    if dtype is not None:
        a = a.to(dtype)
    if a.dtype.kind != "f":
        raise TypeError(f"{name} expects a floating point tensor, got {a.dtype}")
    if dim is None:
        # PyTorch's legacy implicit dim: 0 for 0-, 1- and 3-D input, else 1
        dim = 0 if a.ndim in (0, 1, 3) else 1
    d = _one_dim(dim, a.ndim)
    return Softmax.apply(a, d, log)


def softmax(a, dim=None, dtype=None):
    return _softmax(a, dim, False, "softmax", dtype)


def log_softmax(a, dim=None, dtype=None):
    return _softmax(a, dim, True, "log_softmax", dtype)


def cross_entropy_indices(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
    """logits (N, C) float, target (N,) int64 -> loss (fused kernels)."""
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    w = None if weight is None else np.asarray(weight._data if isinstance(weight, Tensor) else weight)
    return CrossEntropy.apply(logits, t, w, int(ignore_index), float(label_smoothing), reduction)
