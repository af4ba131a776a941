"""Arrays read from a checkpoint become fastnn Tensors: dtypes fastnn lacks widen without loss."""
import numpy as np

from ..autograd.dtypes import as_supported_array
from ..autograd.tensor import _wrap


def widen_bfloat16(bits):
    """float32 array from bfloat16 bit patterns (uint16): bfloat16 is float32's upper half, so this is exact."""
    return (np.asarray(bits, np.uint16).astype(np.uint32) << 16).view(np.float32)


def to_tensor(arr, where):
    """Tensor around arr, kept as is when fastnn has its dtype; float16 -> float32, small ints -> int64."""
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 and arr.size and arr.max() >= 1 << 63:
        raise ValueError(f"{where} holds uint64 values past int64's range, which fastnn tensors cannot hold")
    try:
        out = as_supported_array(arr)
    except TypeError:
        raise ValueError(f"{where} has dtype {arr.dtype}, which fastnn tensors cannot hold") from None
    if not out.flags.writeable:
        out = out.copy()
    return _wrap(out)
