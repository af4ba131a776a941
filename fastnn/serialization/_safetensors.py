"""fastnn's own checkpoint format: safetensors, with the object's structure as JSON in its metadata.

Tensors and arrays go into the safetensors body; everything else (nesting, numbers, strings, int
keys of optimizer state) is JSON in the metadata under "fastnn". A flat dict of tensors is stored
under its own keys, so a fastnn state_dict opens with `safetensors.torch.load_file` as a PyTorch
state_dict. Reading is done here, not by the safetensors package, so that it can memory-map, widen
bfloat16 and check every offset against the file before touching the data.
"""
import json

import numpy as np
from safetensors.numpy import save as _st_save

from ..autograd.tensor import Tensor
from ._tensors import to_tensor, widen_bfloat16

META_KEY = "fastnn"
_MAX_HEADER = 100_000_000  # the safetensors package's own limit
_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
           "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}


def _encode(obj, tensors, path):
    plain_array = isinstance(obj, np.ndarray)   # torch.save keeps a NumPy array a NumPy array; so do we
    if isinstance(obj, Tensor):
        obj = obj._data
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f"save: object array at {path or 'top level'} cannot be saved")
        if obj.dtype.kind not in "biuf" or obj.dtype.itemsize > 8:  # what load can read back
            raise TypeError(f"save: array at {path or 'top level'} has dtype {obj.dtype}, which fastnn tensors "
                            f"cannot hold")
        name = path or "tensor"
        while name in tensors:
            name += "_"
        tensors[name] = np.asarray(obj, order="C")  # not ascontiguousarray: it turns 0-d into 1-d
        return {"__tensor__": name, "ndarray": True} if plain_array else {"__tensor__": name}
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, tensors, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        items = [[k, _encode(v, tensors, f"{path}.{k}" if path else str(k))] for k, v in obj.items()]
        for k, _ in items:
            if not isinstance(k, (str, int)):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__}")
        return {"__dict__": items}
    raise TypeError(f"save: cannot store an object of type {type(obj).__name__} at {path or 'top level'}")


def encode(obj):
    """The bytes of a safetensors file holding obj."""
    tensors = {}
    structure = _encode(obj, tensors, "")
    return _st_save(tensors, metadata={META_KEY: json.dumps(structure), "format": "pt"})


def header(data):
    """The parsed JSON header if data is a safetensors file (a length that fits, then a JSON object), else None."""
    if len(data) < 10:
        return None
    n = int.from_bytes(data[:8], "little")
    if not 2 <= n <= min(len(data) - 8, _MAX_HEADER) or data[8] != ord("{"):
        return None
    try:
        parsed = json.loads(bytes(data[8:8 + n]))
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _entries(head, body_len, name):
    """Check every tensor entry against the body: known dtype, sizes that match, no gaps or overlaps."""
    entries, spans = {}, []
    for key, entry in head.items():
        if key == "__metadata__":
            continue
        try:
            dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"load: {name}: tensor {key!r} has a malformed header entry") from None
        if not all(type(v) is int and v >= 0 for v in [*shape, begin, end]):
            raise ValueError(f"load: {name}: tensor {key!r} has a negative or non-integer shape or offset")
        if dtype not in _DTYPES:
            raise ValueError(f"load: {name}: tensor {key!r} has dtype {dtype}, which fastnn cannot read")
        numel = 1
        for s in shape:
            numel *= s
        if end - begin != numel * np.dtype(_DTYPES[dtype]).itemsize or end > body_len:
            raise ValueError(f"load: {name}: tensor {key!r} of shape {shape} and dtype {dtype} does not fit "
                             f"its data offsets [{begin}, {end}) in a body of {body_len} bytes")
        entries[key] = (dtype, shape, begin, end)
        spans.append((begin, end))
    covered = 0
    for begin, end in sorted(spans):
        if begin != covered:
            raise ValueError(f"load: {name}: tensor data overlaps or leaves a gap at byte {covered}")
        covered = end
    if covered != body_len:
        raise ValueError(f"load: {name}: {body_len - covered} bytes after the last tensor (truncated or padded)")
    return entries


def decode(data, head, name, mmap_path=None, size=None):
    """The object a safetensors file holds; tensors are views of `data` (the whole file, a writable
    buffer) or, with mmap_path (data is then the header only), of a copy-on-write memory map."""
    start = 8 + int.from_bytes(data[:8], "little")
    entries = _entries(head, (len(data) if size is None else size) - start, name)
    tensors = {}
    for key, (dtype, shape, begin, end) in entries.items():
        dt = np.dtype(_DTYPES[dtype])
        if begin == end:
            arr = np.zeros(shape, dt)
        elif mmap_path is not None:
            arr = np.memmap(mmap_path, dt, mode="c", offset=start + begin, shape=tuple(shape))
        else:
            arr = np.frombuffer(data, dt, count=(end - begin) // dt.itemsize, offset=start + begin).reshape(shape)
            if arr.ctypes.data % dt.itemsize:  # unaligned in the buffer: kernels want aligned data
                arr = arr.copy()
        if dtype == "BF16":
            arr = widen_bfloat16(arr)
        tensors[key] = to_tensor(arr, f"load: {name}: tensor {key!r}")
    meta = head.get("__metadata__") or {}
    if not isinstance(meta, dict) or META_KEY not in meta:
        return tensors
    try:
        return _decode(json.loads(meta[META_KEY]), tensors)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"load: {name} has malformed fastnn metadata ({type(err).__name__}: {err})") from None


def _decode(node, tensors):
    if isinstance(node, list):
        return [_decode(v, tensors) for v in node]
    if isinstance(node, dict):
        if "__tensor__" in node:
            t = tensors[node["__tensor__"]]
            return t.numpy() if node.get("ndarray") else t
        if "__tuple__" in node:
            return tuple(_decode(v, tensors) for v in node["__tuple__"])
        if "__dict__" in node:
            return {k: _decode(v, tensors) for k, v in node["__dict__"]}
        raise ValueError("unknown node")
    return node
