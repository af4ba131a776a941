"""The dtypes fastnn tensors hold, and PyTorch's type-promotion rules over them.

float32 (the default float), float64, float16 (NumPy's half), bfloat16 (when the optional
`ml_dtypes` package is installed), int64 (indices, labels), int32, int16, int8, uint8 (images)
and bool (masks). The dtype objects are NumPy's own, so tensors and arrays share them.
"""
import functools
import sys

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
BUILTIN = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)   # every supported dtype but bfloat16


@functools.lru_cache(maxsize=None)
def bfloat16_dtype():
    """bfloat16 as a NumPy dtype, from the optional ml_dtypes package, or None when it is not installed. The
    package is imported here, on first use, not with fastnn: its import took 0.49 s, half of `import fastnn`
    (fastnn.bfloat16 comes through the package's module __getattr__)."""
    try:
        import ml_dtypes
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return np.dtype(ml_dtypes.bfloat16)


def is_bfloat16(dt):
    """Whether dt is bfloat16, without importing ml_dtypes: no array holds bfloat16 before something has."""
    if "ml_dtypes" not in sys.modules:
        return False
    bf16 = bfloat16_dtype()
    return bf16 is not None and dt == bf16   # (not `dt == None`: NumPy reads None as float64)


def is_supported(dt):
    """Whether tensors hold dtype dt."""
    return dt in BUILTIN or is_bfloat16(dt)


def supported_names():
    """The dtypes tensors hold, for error messages."""
    names = [str(d) for d in BUILTIN]
    if bfloat16_dtype() is not None:
        names.insert(3, "bfloat16")
    return ", ".join(names)


_default_float = [float32]


def default_float():
    return _default_float[0]


def set_default_dtype(d):
    """The dtype of Python floats and of float factories (float32 or float64, as PyTorch allows)."""
    dt = canonical_dtype(d)
    if not is_float(dt):
        raise TypeError(f"only floating-point types are supported as the default type, got {dt}")
    _default_float[0] = dt


def get_default_dtype():
    return _default_float[0]


def is_float(dt):
    return dt.kind == "f" or is_bfloat16(dt)


def canonical_dtype(dtype, argname="dtype"):
    """np.dtype for a user's dtype argument (fastnn/NumPy dtypes, their names, Python types)."""
    if dtype is float:
        return default_float()
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    if isinstance(dtype, str) and dtype == "bfloat16":
        if bfloat16_dtype() is None:
            raise TypeError("bfloat16 needs the optional ml_dtypes package (pip install ml_dtypes)")
        return bfloat16_dtype()
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{argname} must be a dtype such as fastnn.float32, got {dtype!r}") from None
    if not is_supported(dt):
        raise TypeError(f"{argname} {dt} is not supported; use one of {supported_names()}")
    return dt


def as_supported_array(data, dtype=None, copy=False):
    """NumPy array of a supported dtype.

    With dtype None: NumPy arrays keep a supported dtype (other unsigned integers become int64);
    Python data follows PyTorch (floats -> the default float, ints -> int64, bools -> bool).
    """
    if dtype is not None:
        dt = canonical_dtype(dtype)
        return np.array(data, dtype=dt, copy=True) if copy else np.asarray(data, dtype=dt)
    from_numpy = isinstance(data, (np.ndarray, np.generic))
    arr = np.array(data, copy=True) if copy else np.asarray(data)
    dt = arr.dtype
    if from_numpy and is_supported(dt):
        return arr
    kind = dt.kind
    if kind == "f" or is_bfloat16(dt):
        return arr if dt == default_float() else arr.astype(default_float())
    if kind in "iu":
        return arr if dt == int64 else arr.astype(int64)
    if kind == "b":
        return arr
    raise TypeError(f"cannot make a tensor from data of dtype {dt}")


# ---------------------------------------------------------------- promotion (PyTorch's rules)
def _category(dt):
    return 0 if dt.kind == "b" else 1 if dt.kind in "iu" else 2


def promote_types(type1, type2):
    """The smallest dtype both convert to without losing category (PyTorch's table)."""
    a, b = canonical_dtype(type1, "type1"), canonical_dtype(type2, "type2")
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:  # bool < integer < float: the higher category's type wins
        return a if ca > cb else b
    if ca == 2:
        if float16 in (a, b) and (is_bfloat16(a) or is_bfloat16(b)):
            return float32
        return a if a.itemsize > b.itemsize else b
    return np.promote_types(a, b)  # integers: NumPy's table matches PyTorch's (uint8 + int8 -> int16)


def _scalar_dtype(x):
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int64
    if isinstance(x, float):
        return default_float()
    raise TypeError(f"expected a Tensor or a Python number, got {type(x).__name__}")


def result_type(*operands):
    """PyTorch's result dtype: dimensioned tensors outrank 0-d tensors, which outrank Python numbers,
    except that a lower-ranked operand of a higher category (bool < int < float) lifts the category."""
    ranks = [None, None, None]  # dimensioned tensors, 0-d tensors, Python numbers
    for x in operands:
        dt = getattr(x, "dtype", None)
        if isinstance(dt, np.dtype) and not isinstance(x, np.generic):
            r = 0 if x.ndim > 0 else 1
        else:
            if isinstance(x, np.generic):
                x = x.item()
            dt, r = _scalar_dtype(x), 2
        ranks[r] = dt if ranks[r] is None else promote_types(ranks[r], dt)
    out = None
    for dt in ranks:
        if dt is None:
            continue
        if out is None:
            out = dt
        elif _category(dt) > _category(out):
            out = promote_types(out, dt)
    return out


def can_cast(from_, to):
    """PyTorch's casting rule for in-place and out= results: no float -> int, no int -> bool."""
    a, b = canonical_dtype(from_, "from_"), canonical_dtype(to, "to")
    return _category(a) <= _category(b)


class finfo:
    """Machine limits of a float dtype (torch.finfo)."""
    def __init__(self, type=None):  # noqa: A002 (PyTorch's argument name)
        dt = default_float() if type is None else canonical_dtype(type, "type")
        if not is_float(dt):
            raise TypeError(f"torch.finfo() requires a floating point input type, got {dt}")
        if is_bfloat16(dt):
            import ml_dtypes
            info = ml_dtypes.finfo(dt)
        else:
            info = np.finfo(dt)
        self.dtype = str(dt)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = float(info.resolution)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (torch.iinfo)."""
    def __init__(self, type):  # noqa: A002
        dt = canonical_dtype(type, "type")
        if dt.kind not in "iub":
            raise TypeError(f"torch.iinfo() requires an integer input type, got {dt}")
        info = np.iinfo(np.uint8 if dt.kind == "b" else dt)
        self.dtype, self.bits, self.max, self.min = str(dt), info.bits, int(info.max), int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
