"""Tensor.type(): PyTorch's legacy type names ("torch.FloatTensor") read and written."""
import numpy as np

from .dtypes import canonical_dtype

_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "bfloat16": "BFloat16Tensor",
          "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
          "uint8": "ByteTensor", "bool": "BoolTensor"}
_DTYPES = {v: k for k, v in _NAMES.items()}


def type_name(dtype):
    return "torch." + _NAMES[str(np.dtype(dtype)) if str(dtype) != "bfloat16" else "bfloat16"]


def tensor_type(tensor, dtype=None):
    """The legacy name of tensor's type, or tensor cast to dtype (a dtype, a legacy class or its name)."""
    if dtype is None:
        return type_name(tensor.dtype)
    if isinstance(dtype, str):
        prefix, _, name = dtype.rpartition(".")
        if prefix not in ("", "torch") or name not in _DTYPES:
            raise ValueError(f"invalid type: {dtype!r}")
        dtype = _DTYPES[name]
    elif isinstance(getattr(dtype, "dtype", None), np.dtype):  # FloatTensor and the other legacy classes
        dtype = dtype.dtype
    return tensor.to(canonical_dtype(dtype))
