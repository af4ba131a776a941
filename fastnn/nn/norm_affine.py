"""The learnable affine of the normalisation layers (BatchNorm, InstanceNorm, LayerNorm, GroupNorm)."""
import numpy as np

from .parameter import Parameter
from ..autograd.dtypes import canonical_dtype, float32


def affine_parameters(module, affine, bias, shape, dtype):
    """PyTorch's rule: `weight` ones and `bias` zeros of `shape` with affine (bias None when bias=False),
    both None without. Returns the parameters' dtype (float32 unless dtype is given)."""
    dt = float32 if dtype is None else canonical_dtype(dtype)
    module.register_parameter("weight", Parameter(np.ones(shape, dt)) if affine else None)
    module.register_parameter("bias", Parameter(np.zeros(shape, dt)) if affine and bias else None)
    return dt
