"""save/load with PyTorch's signatures. With weights_only=True (the default, as in PyTorch >= 2.6)
nothing a file holds is run: only allow-listed names are rebuilt.

save writes state (tensors, numbers, strings, nested containers) as safetensors (fastnn's format,
see _safetensors), and any other object (a whole nn.Module, or containers holding one) in
torch.save's zip layout (see _torch_writer); atomically when given a path.
load tells a file's format by what the whole file is, not by its first bytes:
  * safetensors: an 8-byte little-endian header length that fits the file, then a JSON object;
  * a PyTorch zip archive (torch.save): a zip end-of-central-directory record;
  * a legacy PyTorch pickle stream: a pickle protocol opcode, PyTorch's magic number, and no
    safetensors header.
PyTorch's files are unpickled with an allow-list (tensors, storages, plain containers, and the
classes a user admits with safe_globals), as torch.load(weights_only=True) does; see _torch_pickle.
"""
import io
import os

import numpy as np

from ..device import device as _device
from ..autograd.tensor import Tensor
from . import _safetensors, _torch_files, _torch_pickle, _torch_writer
from ._atomic import write_atomic
from ._torch_pickle import (  # noqa: F401 (torch.serialization's names)
    Malformed as _Malformed, UnsafeCheckpointError, add_safe_globals, clear_safe_globals, get_safe_globals,
    safe_globals,
)

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals", "clear_safe_globals",
           "get_unsafe_globals_in_checkpoint", "UnsafeCheckpointError"]


def _plain(obj):
    """True for state: tensors, arrays, numbers, strings and None, nested in dicts, lists and tuples."""
    if obj is None or isinstance(obj, (Tensor, np.ndarray, np.generic, bool, int, float, str)):
        return True
    if isinstance(obj, (list, tuple)):
        return all(_plain(v) for v in obj)
    if isinstance(obj, dict):
        return all(_plain(v) for v in obj.values())
    return False


def save(obj, f):
    """Write obj to f, as torch.save does.

    State (a state_dict, or nested dicts/lists/tuples of tensors and plain values) is written as
    safetensors. Any other object, such as a whole nn.Module or a dict holding one, is pickled in
    torch.save's zip layout (protocol 2, tensors as storage records); fastnn.load gives it back only
    when every class it names is admitted with safe_globals/add_safe_globals (or with
    weights_only=False), as torch.load does. Saving the state_dict stays the portable choice.

    f is a path (str or os.PathLike) or a binary file object (open file, io.BytesIO). A path is
    written atomically: the data goes to a temporary file in the same folder which then replaces
    f, so a crash mid-save leaves the old file intact; a symlink at f keeps pointing to its
    target, which gets the new data.
    """
    payload = _safetensors.encode(obj) if _plain(obj) else _torch_writer.encode(obj)
    if isinstance(f, (str, os.PathLike)):
        write_atomic(os.fspath(f), payload)
    elif hasattr(f, "write"):
        f.write(payload)
        if hasattr(f, "flush"):
            f.flush()
    else:
        raise TypeError(f"save: f must be a path or a binary file object, got {type(f).__name__}")


def get_unsafe_globals_in_checkpoint(f):
    """The "module.name" of every class/function a torch.save-style zip file names that load (with
    weights_only=True) would refuse: not allow-listed by default nor admitted with safe_globals.
    Read from the pickle's opcodes; nothing is unpickled. f is a path or a binary file object."""
    if isinstance(f, (str, os.PathLike)):
        with open(os.fspath(f), "rb") as src:
            return get_unsafe_globals_in_checkpoint(io.BytesIO(src.read()))
    if not hasattr(f, "read"):
        raise TypeError(f"get_unsafe_globals_in_checkpoint: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    src = io.BytesIO(f.read())
    if not _torch_files.is_zip(src, src.seek(0, 2)):
        raise ValueError("get_unsafe_globals_in_checkpoint: only torch.save's zip format is supported "
                         "(as in PyTorch)")
    try:
        return _torch_pickle.unsafe_globals(_torch_files.zip_pickle(src))
    except _Malformed as err:
        raise ValueError(f"get_unsafe_globals_in_checkpoint: {err}") from None


def _check_map_location(map_location):
    """fastnn has one device: the CPU. Every way of naming it is accepted; others are errors."""
    if map_location is None:
        return
    if isinstance(map_location, dict):
        for value in map_location.values():
            _check_map_location(value)
        return
    if callable(map_location) and not isinstance(map_location, (str, _device)):
        raise TypeError("load: map_location as a function is not supported; fastnn puts every tensor on the "
                        "CPU (use map_location='cpu' or None)")
    if not isinstance(map_location, (str, _device)) and not hasattr(map_location, "type"):
        raise TypeError(f"load: map_location must be None, a str, a device or a dict, got "
                        f"{type(map_location).__name__}")
    try:
        dev = _device(str(map_location))
    except (TypeError, RuntimeError) as err:
        raise ValueError(f"load: map_location={map_location!r}: {err}") from None
    if dev.type != "cpu":
        raise ValueError(f"load: map_location={map_location!r}: fastnn runs on the CPU only; use 'cpu' or None")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read a checkpoint: what save() wrote, any safetensors file, or a PyTorch torch.save file.

    f is a path or a binary file object (read from its current position). map_location may be
    None, 'cpu', a CPU device or a dict mapping to the CPU: every tensor loads onto the CPU, also
    those PyTorch saved from a GPU. mmap=True (f must be a path) maps the tensors' bytes
    copy-on-write instead of reading them. encoding= is passed to the unpickler of PyTorch files
    (as for Python 2 pickles).

    weights_only=None or True (PyTorch >= 2.6's default): pickled files rebuild only tensors,
    storages, plain containers and the classes/functions admitted with safe_globals or
    add_safe_globals; any other global is refused with an UnsafeCheckpointError naming it.
    weights_only=False is accepted (scripts pass it) but admits no more than True: where PyTorch
    would import and call whatever the file names, fastnn never runs code from a file, so a whole
    model loads only with its classes admitted through safe_globals. safetensors files never hold
    code at all.
    """
    _check_map_location(map_location)
    if pickle_module is not None:
        raise TypeError("load: pickle_module is not supported; fastnn reads PyTorch files with its own "
                        "restricted unpickler")
    for arg, value in (("weights_only", weights_only), ("mmap", mmap)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"load: {arg} must be a bool or None, got {value!r}")
    encoding = pickle_load_args.pop("encoding", "ASCII")
    if pickle_load_args:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(pickle_load_args)}")
    if isinstance(f, (str, os.PathLike)):
        name = os.fspath(f)
        with open(name, "rb") as src:
            return _load(src, name, name if mmap else None, _weights_only(weights_only), encoding)
    if not hasattr(f, "read"):
        raise TypeError(f"load: f must be a path or a binary file object, got {type(f).__name__}")
    if mmap:
        raise ValueError("load: f must be a file path in order to use the mmap argument")
    if isinstance(f, io.TextIOBase):
        raise TypeError(f"load: {f!r} is a text file; open it in binary mode ('rb')")
    data = f.read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load: {f!r} gave {type(data).__name__}, not bytes; open the file in binary mode ('rb')")
    return _load(io.BytesIO(data), str(getattr(f, "name", None) or f"<{type(f).__name__}>"), None,
                 _weights_only(weights_only), encoding)


def _weights_only(weights_only):
    """Every load is restricted: weights_only=False is accepted for PyTorch's scripts, not obeyed."""
    return True


def _load(src, name, mmap_path, weights_only, encoding):
    size = src.seek(0, 2)
    src.seek(0)
    first = src.read(9)
    n = int.from_bytes(first[:8], "little") if len(first) == 9 else 0
    if 2 <= n <= min(size - 8, 100_000_000) and first[8:] == b"{":
        src.seek(0)
        head = src.read(8 + n)
        parsed = _safetensors.header(head)
        if parsed is not None:
            if mmap_path is None:
                src.seek(0)
                head = bytearray(size)
                src.readinto(head)
            return _safetensors.decode(head, parsed, name, mmap_path, size)
    try:
        found = _read_torch(src, size, first, mmap_path, encoding, weights_only)
    except UnsafeCheckpointError as err:
        raise UnsafeCheckpointError(_one_line(f"load: {name}: {err}")) from None
    except _Malformed as err:
        raise ValueError(_one_line(f"load: {name}: {err}")) from None
    except MemoryError:
        raise
    except Exception as err:  # a damaged pickle raises many kinds of errors
        raise ValueError(_one_line(f"load: {name} is not a readable PyTorch checkpoint "
                                   f"({type(err).__name__}: {err})")) from None
    if found is not _NOT_TORCH:
        return found
    if first[:1] == b"\x80":
        raise ValueError(f"load: {name} is a pickle but not a PyTorch checkpoint; fastnn does not unpickle "
                         f"arbitrary objects (it could run code)")
    if first[:4] == b"PK\x03\x04":
        raise ValueError(f"load: {name} is a zip archive without its end-of-central-directory record (truncated?)")
    raise ValueError(f"load: {name} is neither safetensors, a PyTorch zip archive nor a PyTorch pickle "
                     f"(too short, truncated or another format)")


_NOT_TORCH = object()


def _one_line(message):
    return " ".join(message.split("\n"))


def _read_torch(src, size, first, mmap_path, encoding, weights_only):
    if _torch_files.is_zip(src, size):
        src.seek(0)
        return _torch_files.load_zip(src, mmap_path, encoding, weights_only)
    src.seek(0)
    if first[:1] == b"\x80" and first[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05") \
            and _torch_files.is_torch_legacy(src, encoding):
        return _torch_files.load_legacy(src, mmap_path, encoding, weights_only)
    return _NOT_TORCH
