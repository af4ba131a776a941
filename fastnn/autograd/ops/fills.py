"""Tensor.copy_, fill_, zero_ and fill_diagonal_, declared as in-place ops: the catalogue's in-place mechanism gives
them PyTorch's autograd (a source that requires grad passes its gradient on, the overwritten values
get none) and, outside the graph, writes into the tensor's memory so views and aliases see it."""
import numpy as np

from ..tensor import Tensor, _wrap
from ._declare import declare, ArgumentError
from .shape import broadcast_to
from .indexing import where as _where


def _spread(self, value, name):
    """value (a tensor) cast to self's dtype and broadcast to self's shape, as a new tensor."""
    try:
        out = broadcast_to(value.to(self.dtype), tuple(self.shape))
    except (ValueError, RuntimeError) as e:
        raise ArgumentError(f"{name}: the source of shape {tuple(value.shape)} does not broadcast to "
                            f"{tuple(self.shape)} ({e})") from None
    return out.clone()


@declare(torch=False, method=False, inplace=True)
def copy(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    return _spread(self, src, "copy_")


@declare(torch=False, method=False, inplace=True)
def fill(self, value):
    if isinstance(value, Tensor):
        if value.ndim:
            raise ArgumentError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                                f"dimensions")
        return _spread(self, value, "fill_")
    return _wrap(np.full(self._data.shape, value, self._data.dtype))


@declare(torch=False, method=False, inplace=True)
def zero(self):
    return _wrap(np.zeros(self._data.shape, self._data.dtype))


@declare(torch=False, method=False, inplace=True)
def fill_diagonal(self, fill_value, wrap=False):
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(self._data.shape, bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    return _where(_wrap(mask), _wrap(np.asarray(fill_value, self._data.dtype)), self)
