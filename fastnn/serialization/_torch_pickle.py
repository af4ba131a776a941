"""The restricted unpickler for PyTorch checkpoints: what torch.load(weights_only=True) admits, without torch.

Only the names in the allow-list below (tensor and parameter rebuilds, typed storages, dtypes,
torch.Size, torch.device, OrderedDict, sets) and those a user adds with add_safe_globals can be
named by the pickle; anything else stops the load with the offending global named. Objects are
created without __init__ (NEWOBJ) and given their state (BUILD) only when their class is exactly
one the user admitted: that is how a whole model saved with torch.save/fastnn.save comes back.
weights_only=False admits no more than True: fastnn never runs code named by a file (DESIGN, safety rules).
Rebuilding a tensor checks its offset, sizes and strides against its storage before any view is
made. Tensors come back as fastnn Tensors (nn.Parameter where the file held a Parameter), and
views of one storage share memory as they do in PyTorch.
"""
import builtins
import codecs
import contextlib
import importlib
import io
import pickle
import pickletools
import sys
from collections import OrderedDict

import numpy as np

from ..device import device
from ._tensors import to_tensor, widen_bfloat16

_MAX_EXPANDED_BYTES = 1 << 30  # an expanded (stride-0) tensor is materialised; a file must not ask for more


class UnsafeCheckpointError(pickle.UnpicklingError, ValueError):
    """The file asks for something outside the allow-list (a global, or setting an object's state)."""


class Malformed(ValueError):
    """The file's pickle is well-formed but its tensors or storages do not fit together."""


# ------------------------------------------------------------------ storages

class StorageType:
    """Stands in for torch.FloatStorage and its kin: the element type of a storage."""
    __slots__ = ("name", "dtype", "bfloat16")

    def __init__(self, name, dtype):
        self.name, self.dtype, self.bfloat16 = name, np.dtype(dtype), name == "BFloat16Storage"

    def __repr__(self):
        return f"torch.{self.name}"


_STORAGE_TYPES = {name: StorageType(name, dt) for name, dt in (
    ("FloatStorage", "<f4"), ("DoubleStorage", "<f8"), ("HalfStorage", "<f2"), ("BFloat16Storage", "<u2"),
    ("LongStorage", "<i8"), ("IntStorage", "<i4"), ("ShortStorage", "<i2"), ("CharStorage", "i1"),
    ("ByteStorage", "u1"), ("BoolStorage", "?"), ("ComplexFloatStorage", "<c8"),
    ("ComplexDoubleStorage", "<c16"))}


class Storage:
    """One storage of the file: its element type, its element count and (once read) its data."""
    __slots__ = ("type", "key", "numel", "array")

    def __init__(self, storage_type, key, numel, array=None):
        self.type, self.key, self.numel, self.array = storage_type, key, numel, array


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _view(storage, offset, size, stride):
    """The array a tensor of this size and stride at this offset sees in storage, checked first."""
    if not isinstance(storage, Storage):
        raise Malformed(f"a tensor's data is a {type(storage).__name__}, not a storage")
    if not (isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride)):
        raise Malformed(f"tensor size {size!r} and stride {stride!r} are not tuples of one length")
    if not (_is_int(offset) and all(_is_int(v) and v >= 0 for v in size + stride) and offset >= 0):
        raise Malformed(f"tensor offset {offset!r}, size {size} or stride {stride} is not made of integers >= 0")
    itemsize = storage.type.dtype.itemsize
    numel = 1
    for s in size:
        numel *= s
    if numel * itemsize >= 1 << 62:
        raise Malformed(f"tensor size {size} overflows ({numel} elements)")
    if numel:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= storage.numel:
            raise Malformed(f"tensor at storage offset {offset} with size {size} and stride {stride} reaches "
                            f"element {last}, past the end of storage {storage.key!r} ({storage.numel} elements)")
        if numel > storage.numel and numel * itemsize > _MAX_EXPANDED_BYTES:
            raise Malformed(f"tensor of size {size} expands storage {storage.key!r} of {storage.numel} "
                            f"elements past {_MAX_EXPANDED_BYTES} bytes")
    if storage.array is None:  # the first pass over a legacy file: shapes are checked, data comes later
        return None
    if numel:
        arr = np.lib.stride_tricks.as_strided(storage.array[offset:], size, [s * itemsize for s in stride])
        if not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr)  # fastnn's kernels expect dense rows; contiguous views share
    else:
        arr = np.zeros(size, storage.array.dtype)
    if storage.type.bfloat16:
        arr = widen_bfloat16(arr)
    return to_tensor(arr, f"a {storage.type} tensor")


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _view(storage, storage_offset, tuple(size), tuple(stride))


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    if backward_hooks:
        raise UnsafeCheckpointError("a tensor carries backward hooks (code), which are not loaded")
    t = _view(storage, storage_offset, tuple(size), tuple(stride))
    if t is not None and requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    if backward_hooks:
        raise UnsafeCheckpointError("a parameter carries backward hooks (code), which are not loaded")
    if state:
        raise UnsafeCheckpointError(f"a parameter carries Python attributes {sorted(state)}, which are not loaded")
    if data is None:
        return None
    from ..nn.parameter import Parameter
    return Parameter(data, requires_grad=bool(requires_grad))


class _TensorType:
    """Stands in for torch.Tensor / torch.nn.Parameter where a pickle names the class of a tensor."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


_TENSOR, _PARAMETER = _TensorType("torch.Tensor"), _TensorType("torch.nn.Parameter")
_REBUILDS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_parameter)


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILDS or new_type not in (_TENSOR, _PARAMETER) or not isinstance(args, tuple):
        raise UnsafeCheckpointError(f"a tensor of class {getattr(new_type, 'name', new_type)!r} is not loaded")
    if state:
        raise UnsafeCheckpointError(f"a tensor carries Python attributes {sorted(state)}, which are not loaded")
    t = func(*args)
    return _rebuild_parameter(t, True, None) if new_type is _PARAMETER and t is not None else t


def _encode_latin1(text, encoding="latin1"):
    """_codecs.encode as protocol-2 pickles use it to spell bytes; only that use is admitted."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafeCheckpointError(f"_codecs.encode is admitted only for latin1 text, got encoding {encoding!r}")
    return codecs.encode(text, "latin1")


_TORCH_DTYPES = {"float32": "f4", "float": "f4", "float64": "f8", "double": "f8", "float16": "f2", "half": "f2",
                 "int64": "i8", "long": "i8", "int32": "i4", "int": "i4", "int16": "i2", "short": "i2",
                 "int8": "i1", "uint8": "u1", "bool": "?", "complex64": "c8", "complex128": "c16"}


def _allowed():
    table = {("collections", "OrderedDict"): OrderedDict,
             ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
             ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
             ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
             ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
             ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
             ("torch", "Tensor"): _TENSOR, ("torch.nn.parameter", "Parameter"): _PARAMETER,
             ("torch", "Size"): tuple, ("torch", "device"): device, ("_codecs", "encode"): _encode_latin1}
    for module in ("builtins", "__builtin__"):
        table.update({(module, n): getattr(builtins, n) for n in ("set", "frozenset", "complex")})
    table.update({("torch", n): t for n, t in _STORAGE_TYPES.items()})
    table.update({("torch", n): np.dtype(d) for n, d in _TORCH_DTYPES.items()})
    return table


_ALLOWED = _allowed()


# ------------------------------------------------------------------ globals a user admits

_user_globals = {}  # "module.qualname" -> object


def _qualified(entry):
    if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str):
        return entry[1], entry[0]
    try:
        return f"{entry.__module__}.{entry.__qualname__}", entry
    except AttributeError:
        raise TypeError(f"safe_globals entries must be classes or functions, or (object, 'module.name') "
                        f"pairs, got {entry!r}") from None


def add_safe_globals(safe_globals):
    """Admit these classes/functions (or (object, "module.name") pairs) when loading PyTorch pickles.

    As in PyTorch: only for files you trust with those names. fastnn's own format (safetensors)
    holds no code and needs none of this.
    """
    if not isinstance(safe_globals, (list, tuple)):
        raise TypeError(f"safe_globals must be a list, got {type(safe_globals).__name__}")
    pairs = [_qualified(entry) for entry in safe_globals]
    _user_globals.update(pairs)


def get_safe_globals():
    """The globals admitted by add_safe_globals, as PyTorch lists them."""
    return [obj if f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}" == name else (obj, name)
            for name, obj in _user_globals.items()]


def clear_safe_globals():
    _user_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Admit these globals inside a `with` block only (torch.serialization.safe_globals)."""
    saved = dict(_user_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _user_globals.clear()
        _user_globals.update(saved)


def _user_classes():
    return {v for v in _user_globals.values() if isinstance(v, type)}


_BUILTIN_CLASSES = frozenset({set, frozenset, complex, OrderedDict, device})


def _attribute(module, name):
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part, None)
    return obj


def _user_global(module, name):
    """What a user admitted under this name. A PyTorch file names torch.nn.modules.linear.Linear: that is
    admitted when the user admitted the very object fastnn has under that path (fastnn.nn.modules.linear)."""
    found = _user_globals.get(f"{module}.{name}")
    if found is None and (module == "torch" or module.startswith("torch.")):
        loaded = sys.modules.get("fastnn" + module[5:])
        if loaded is None and module.startswith("torch.nn."):
            try:  # fastnn's own layer packages; a file's name picks one, nothing from the file runs
                loaded = importlib.import_module("fastnn" + module[5:])
            except (ImportError, ValueError):
                pass
        target = None if loaded is None else _attribute(loaded, name)
        if target is not None and any(target is v for v in _user_globals.values()):
            found = target
    return found


# ------------------------------------------------------------------ the unpickler

class RestrictedUnpickler(pickle._Unpickler):
    """pickle's Python unpickler with globals, object creation and BUILD restricted.

    The pure-Python unpickler is used because its opcode table can be changed: NEWOBJ/INST/OBJ
    (an object made without __init__) only for admitted classes; BUILD (which sets an object's
    attributes, through its __setstate__ or __dict__) only on a fresh OrderedDict (PyTorch's
    state_dict carries `_metadata` that way) and on instances whose type a user admitted.
    """
    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, persistent_load, encoding="ASCII"):
        super().__init__(file, encoding=encoding)
        self._persistent = persistent_load

    def persistent_load(self, pid):
        return self._persistent(pid)

    def find_class(self, module, name):
        found = _ALLOWED.get((module, name))
        if found is None:
            found = _user_global(module, name)
        if found is None:
            raise UnsafeCheckpointError(
                f"refusing global {module}.{name}: not on the allow-list of tensors, storages and plain "
                f"containers; if you trust this file and that class or function, admit it with "
                f"fastnn.serialization.add_safe_globals([{name}]) or inside "
                f"`with fastnn.serialization.safe_globals([{name}]):` (weights_only=False does not widen this "
                f"list in fastnn: loading never runs code a file names)")
        return found

    def _allowed_class(self, cls, opcode):
        """Creating an object without calling __init__ is for allow-listed classes only."""
        if not (isinstance(cls, type) and (cls in _user_classes() or cls in _BUILTIN_CLASSES)):
            raise UnsafeCheckpointError(f"refusing to create a {getattr(cls, '__qualname__', type(cls).__name__)} "
                                        f"without calling __init__ ({opcode}): not an allow-listed class")

    def _load_newobj(self):
        self._allowed_class(self.stack[-2], "NEWOBJ")
        pickle._Unpickler.load_newobj(self)

    dispatch[pickle.NEWOBJ[0]] = _load_newobj

    def _load_newobj_ex(self):
        self._allowed_class(self.stack[-3], "NEWOBJ_EX")
        pickle._Unpickler.load_newobj_ex(self)

    dispatch[pickle.NEWOBJ_EX[0]] = _load_newobj_ex

    def _instantiate(self, klass, args):  # the INST and OBJ opcodes of protocols 0 and 1
        if isinstance(klass, type) and not args and not hasattr(klass, "__getinitargs__"):
            self._allowed_class(klass, "INST/OBJ")
        super()._instantiate(klass, args)

    def _load_build(self):
        inst = self.stack[-2]
        state = self.stack[-1]
        if type(inst) is OrderedDict:
            if not (isinstance(state, dict) and all(isinstance(k, str) and not k.startswith("__") for k in state)):
                raise UnsafeCheckpointError("refusing to set OrderedDict state other than plain attributes")
            self.stack.pop()
            for k, v in state.items():
                setattr(inst, k, v)
            return
        if type(inst) not in _user_classes():  # exactly an admitted class, as PyTorch's BUILD checks
            raise UnsafeCheckpointError(f"refusing to set the state of a {type(inst).__qualname__} (BUILD): only "
                                        f"instances of classes admitted with safe_globals/add_safe_globals")
        pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = _load_build

    def _load_bytearray8(self):
        raise UnsafeCheckpointError("refusing BYTEARRAY8 (protocol 5 buffers, which PyTorch never writes)")

    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8


def unsafe_globals(data):
    """The globals a pickle names that are neither allow-listed nor admitted, in order, read from its
    opcodes without unpickling (STACK_GLOBAL's module and name are the two strings pushed before it)."""
    found, strings = [], []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
            strings = (strings + [arg])[-2:]
        elif op.name in ("GLOBAL", "STACK_GLOBAL"):
            if op.name == "GLOBAL":
                module, name = arg.split(" ", 1)
            elif len(strings) == 2:
                module, name = strings
            else:
                raise Malformed("STACK_GLOBAL whose names come from the memo; cannot list its globals")
            if (module, name) not in _ALLOWED and _user_global(module, name) is None \
                    and f"{module}.{name}" not in found:
                found.append(f"{module}.{name}")
    return found


class _Capped:
    """A file whose reads never ask for more than remains: a pickle's length fields are only claims,
    and a buffered file would allocate what they claim."""

    def __init__(self, f):
        self._f = f
        here = f.tell()
        self._end = f.seek(0, 2)
        f.seek(here)

    def read(self, n=-1):
        left = self._end - self._f.tell()
        return self._f.read(left if n is None or n < 0 else min(n, left))

    def readline(self):
        return self._f.readline()


class _Stub:
    """Stands in for every global while a legacy stream is scanned for its storages."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):  # SETITEM(S) on what stands in for a dict subclass
        pass

    def append(self, item):  # APPEND(S) on what stands in for a list subclass
        pass

    def extend(self, items):
        pass


class ScanUnpickler(RestrictedUnpickler):
    """Reads a pickle only for its persistent ids (a legacy stream's storages, whose bytes follow it):
    storage types resolve, every other admitted global is a _Stub, so nothing a file names is run
    before the real pass."""
    dispatch = dict(pickle._Unpickler.dispatch)
    dispatch[pickle.BYTEARRAY8[0]] = RestrictedUnpickler._load_bytearray8
    _instantiate = pickle._Unpickler._instantiate

    def find_class(self, module, name):
        found = RestrictedUnpickler.find_class(self, module, name)   # a refused global stops the scan already
        return found if isinstance(found, StorageType) else _Stub


def unpickle(file, persistent_load, encoding="ASCII", weights_only=True):
    unpickler = ScanUnpickler if weights_only == "scan" else RestrictedUnpickler
    if not isinstance(file, io.BytesIO):  # BytesIO never reads past its end; _Capped costs a call per opcode
        file = _Capped(file)
    return unpickler(file, persistent_load, encoding).load()


def storage_from_pid(pid, storages, read):
    """Resolve a ('storage', type, key, location, numel) persistent id; read(key, type, numel) gives the data."""
    if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] in ("storage", b"storage")):
        raise Malformed(f"unknown persistent id {pid!r:.80}")
    storage_type, key, numel = pid[1], pid[2], pid[4]
    if not isinstance(storage_type, StorageType):
        raise Malformed(f"storage of unknown type {storage_type!r:.80}")
    if not (isinstance(key, str) and key.isalnum() and _is_int(numel) and numel >= 0):
        raise Malformed(f"bad storage key {key!r:.80} or element count {numel!r:.40}")
    known = storages.get(key)
    if known is None:
        known = storages[key] = Storage(storage_type, key, numel, read(key, storage_type, numel))
    elif known.type is not storage_type or known.numel != numel:
        raise Malformed(f"storage {key!r} is named with two types or sizes")
    return known
