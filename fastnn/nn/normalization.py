"""LayerNorm: normalise over the trailing `normalized_shape` dims."""
import numpy as np

from .module import Module
from .parameter import Parameter
from . import functional as F
from ..autograd.dtypes import canonical_dtype, float32


class LayerNorm(Module):
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dt = float32 if dtype is None else canonical_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(shape, dt))
            self.bias = Parameter(np.zeros(shape, dt)) if bias else None
            if not bias:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
