"""The dtypes fastnn tensors hold: float32 (default), float64, int64 and bool."""
import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
SUPPORTED = (float32, float64, int64, bool_)


def canonical_dtype(dtype, argname="dtype"):
    """np.dtype for a user's dtype argument (fastnn/NumPy dtypes, their names, Python types)."""
    if dtype is float:
        return float32
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{argname} must be a dtype such as fastnn.float32, got {dtype!r}") from None
    if dt not in SUPPORTED:
        raise TypeError(f"{argname} {dt} is not supported; use float32, float64, int64 or bool")
    return dt


def as_supported_array(data, dtype=None, copy=False):
    """NumPy array of a supported dtype.

    With dtype None: NumPy arrays keep float32/float64/int64/bool; other integer
    arrays become int64 and other floats float32; Python data follows PyTorch
    (floats -> float32, ints -> int64, bools -> bool).
    """
    if dtype is not None:
        dt = canonical_dtype(dtype)
        return np.array(data, dtype=dt, copy=True) if copy else np.asarray(data, dtype=dt)
    from_numpy = isinstance(data, (np.ndarray, np.generic))
    arr = np.array(data, copy=True) if copy else np.asarray(data)
    kind = arr.dtype.kind
    if kind == "f":
        if arr.dtype == float64 and from_numpy:
            return arr
        return arr if arr.dtype == float32 else arr.astype(float32)
    if kind in "iu":
        return arr if arr.dtype == int64 else arr.astype(int64)
    if kind == "b":
        return arr
    raise TypeError(f"cannot make a tensor from data of dtype {arr.dtype}")
