"""torch.save's zip layout, written without torch, for objects safetensors cannot hold (whole modules).

`archive/data.pkl` is a protocol-2 pickle of the object in which every tensor is PyTorch's
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())`
(a Parameter wraps that in `_rebuild_parameter`), each storage a persistent id
`('storage', torch.FloatStorage, key, 'cpu', numel)` whose bytes are the record `archive/data/<key>`,
aligned to 64 bytes as PyTorch aligns them (so mmap=True gives aligned arrays). dtypes are written
as `torch.float32` and kin, devices as `torch.device`: the names _torch_pickle admits by default.
Tensors that view one NumPy array share one storage, so shared memory survives the round trip.
"""
import io
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np

from ..autograd.tensor import Tensor
from ..device import device

_ALIGN = 64


class _Global:
    """A name written as a GLOBAL opcode without importing it (torch is never imported)."""
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce insists that the function it writes is callable
        raise TypeError(f"{self.module}.{self.name} is a name written into a checkpoint, not a function")


_STORAGE_NAMES = {"f4": "FloatStorage", "f8": "DoubleStorage", "f2": "HalfStorage", "i8": "LongStorage",
                  "i4": "IntStorage", "i2": "ShortStorage", "i1": "CharStorage", "u1": "ByteStorage",
                  "b1": "BoolStorage", "c8": "ComplexFloatStorage", "c16": "ComplexDoubleStorage"}
_STORAGES = {code: _Global("torch", name) for code, name in _STORAGE_NAMES.items()}
_DTYPES = {np.dtype(code): _Global("torch", name) for code, name in (
    ("f4", "float32"), ("f8", "float64"), ("f2", "float16"), ("i8", "int64"), ("i4", "int32"), ("i2", "int16"),
    ("i1", "int8"), ("u1", "uint8"), ("?", "bool"), ("c8", "complex64"), ("c16", "complex128"))}
_DTYPE_CLASSES = frozenset(type(dt) for dt in _DTYPES)  # NumPy >= 1.25 gives each dtype its own class
_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_DEVICE = _Global("torch", "device")


class _StorageRef:
    __slots__ = ("key", "kind", "numel")

    def __init__(self, key, kind, numel):
        self.key, self.kind, self.numel = key, kind, numel


class _TensorData:
    """A Parameter's data, pickled as the plain tensor _rebuild_parameter wraps (as PyTorch's Parameter does)."""
    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor


def _root(arr):
    root = arr
    while isinstance(root.base, np.ndarray):
        root = root.base
    return root


def _kind(dt):
    code = f"{dt.kind}{dt.itemsize}"
    if code not in _STORAGE_NAMES:
        raise TypeError(f"save: a tensor of dtype {dt} has no PyTorch storage type")
    return code


class _Pickler(pickle._Pickler):
    """pickle's Python pickler: its dispatch table can write names that are not importable here."""
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = {}  # id(root array) -> (root, _StorageRef); the root is kept so ids stay unique

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            return "storage", _STORAGES[obj.kind], obj.key, "cpu", obj.numel
        return None

    def save(self, obj, save_persistent_id=True):
        if type(obj) in _DTYPE_CLASSES and obj.isnative and obj in _DTYPES:
            obj = _DTYPES[obj]
        super().save(obj, save_persistent_id)

    def _save_global_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_Global] = _save_global_name

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            from ..nn.parameter import Buffer, Parameter
            if type(obj) is Parameter:
                return _REBUILD_PARAMETER, (_TensorData(obj), bool(obj.requires_grad), OrderedDict())
            if type(obj) not in (Tensor, Buffer):  # nn.Buffer only marks a tensor for a Module
                raise TypeError(f"save: a tensor of class {type(obj).__qualname__} cannot be written in "
                                f"PyTorch's format (only Tensor and Parameter)")
            return self._tensor(obj, bool(obj.requires_grad))
        if type(obj) is _TensorData:
            return self._tensor(obj.tensor, False)
        if type(obj) is device:
            return _DEVICE, (str(obj),)
        return NotImplemented

    def _tensor(self, t, requires_grad):
        storage, offset, stride = self._storage_of(np.asarray(t._data))
        return _REBUILD_TENSOR, (storage, offset, tuple(int(s) for s in t._data.shape), stride, requires_grad,
                                 OrderedDict())

    def _storage_of(self, arr):
        """(storage, offset, strides) in elements; views of one C-contiguous array share its storage."""
        kind, itemsize = _kind(arr.dtype), arr.dtype.itemsize
        root = _root(arr)
        if arr.size and root.dtype == arr.dtype and root.flags.c_contiguous:
            start = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            if start % itemsize == 0 and all(s >= 0 and s % itemsize == 0 for s in arr.strides):
                return self._ref(root, kind), start // itemsize, tuple(s // itemsize for s in arr.strides)
        dense = np.asarray(arr, order="C")  # not ascontiguousarray: it turns 0-d into 1-d
        stride = tuple(s // itemsize for s in dense.strides) if dense.size else (0,) * dense.ndim
        return self._ref(dense, kind), 0, stride

    def _ref(self, root, kind):
        found = self.storages.get(id(root))
        if found is None:
            found = self.storages[id(root)] = (root, _StorageRef(str(len(self.storages)), kind, root.size))
        return found[1]


def _write_aligned(z, name, data):
    """A stored record whose bytes start on a 64-byte boundary (padding in an extra field, as PyTorch does)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    start = z.fp.tell() + 30 + len(name.encode("utf-8")) + 4
    pad = -start % _ALIGN
    info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # id "FB", like PyTorch's writer
    z.writestr(info, data)


def encode(obj):
    """The bytes of a torch.save-style zip archive holding obj."""
    pickler_out = io.BytesIO()
    pickler = _Pickler(pickler_out)
    try:
        pickler.dump(obj)
    except (pickle.PicklingError, AttributeError, TypeError) as err:
        if isinstance(err, TypeError) and str(err).startswith("save:"):
            raise
        raise TypeError(f"save: cannot store a {type(obj).__name__}: {err}") from None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        _write_aligned(z, "archive/data.pkl", pickler_out.getbuffer())
        _write_aligned(z, "archive/byteorder", b"little")
        for root, ref in pickler.storages.values():
            data = root if root.dtype.isnative else root.astype(root.dtype.newbyteorder("="))
            data = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
            _write_aligned(z, f"archive/data/{ref.key}", memoryview(data))
        _write_aligned(z, "archive/version", b"3\n")
    return out.getbuffer()
