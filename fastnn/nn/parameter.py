"""Parameter: a leaf tensor that a Module registers as learnable."""
import numpy as np

from ..autograd.tensor import Tensor
from ..autograd.dtypes import as_supported_array


class Parameter(Tensor):
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data._data if isinstance(data, Tensor) else as_supported_array(data))
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """Marks a tensor for Module.register_buffer when assigned as an attribute (PyTorch >= 2.5)."""
    __slots__ = ("persistent",)

    def __init__(self, data, persistent=True):
        super().__init__(data._data if isinstance(data, Tensor) else data)
        self.persistent = persistent
