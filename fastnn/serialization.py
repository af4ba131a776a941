"""save/load: safetensors files that cannot execute code when loaded.

Tensors and arrays go into the safetensors body; everything else (nesting,
numbers, strings, int keys of optimizer state) is JSON in its metadata under
"fastnn". A flat dict of tensors is stored under its own keys, so a fastnn
state_dict opens with `safetensors.torch.load_file` as a PyTorch state_dict.
"""
import json
import os
import tempfile

import numpy as np
from safetensors.numpy import save as _st_save, load as _st_load

from .autograd.tensor import Tensor, _wrap

_META_KEY = "fastnn"


def _encode(obj, tensors, path):
    if isinstance(obj, Tensor):
        obj = obj._data
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f"save: object array at {path or 'top level'} cannot be saved")
        name = path or "tensor"
        while name in tensors:
            name += "_"
        tensors[name] = np.asarray(obj, order="C")  # not ascontiguousarray: it turns 0-d into 1-d
        return {"__tensor__": name}
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
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        raise TypeError(f"save: cannot store a whole {type(obj).__name__} at {path or 'top level'} (that needs "
                        f"pickle, which can run code when loaded); save its state instead: "
                        f"fastnn.save(obj.state_dict(), path), and restore it with "
                        f"obj.load_state_dict(fastnn.load(path))")
    raise TypeError(f"save: cannot store an object of type {type(obj).__name__} at {path or 'top level'}")


def _decode(node, tensors):
    if isinstance(node, list):
        return [_decode(v, tensors) for v in node]
    if isinstance(node, dict):
        if "__tensor__" in node:
            return _wrap(np.array(tensors[node["__tensor__"]]))  # writable copy
        if "__tuple__" in node:
            return tuple(_decode(v, tensors) for v in node["__tuple__"])
        if "__dict__" in node:
            return {k: _decode(v, tensors) for k, v in node["__dict__"]}
        raise ValueError("load: malformed fastnn metadata")
    return node


def save(obj, f):
    """Write obj (a state_dict, or nested dicts/lists of tensors and plain values) to path f.

    The write is atomic: the data goes to a temporary file in the same folder,
    which then replaces f, so a crash mid-save leaves the old file intact.
    """
    tensors = {}
    structure = _encode(obj, tensors, "")
    payload = _st_save(tensors, metadata={_META_KEY: json.dumps(structure), "format": "pt"})
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    _remove_orphans(folder, os.path.basename(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{os.getpid()}.", suffix=_TMP_SUFFIX, dir=folder)
    try:
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600; a checkpoint gets an ordinary file's mode
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        _fsync_folder(folder)  # the rename itself reaches the disk
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


_TMP_SUFFIX = ".fastnn-tmp"


def _remove_orphans(folder, name):
    """Delete temporary files that saves of `name` killed mid-write left behind (their process is gone)."""
    prefix = f".{name}."
    for entry in os.listdir(folder):
        if not (entry.startswith(prefix) and entry.endswith(_TMP_SUFFIX)):
            continue
        pid = entry[len(prefix):].split(".", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            os.unlink(os.path.join(folder, entry))
        except OSError:
            pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but is not ours to signal
        return True
    return True


def _fsync_folder(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open a folder; the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _file_mode(path):
    """The mode open() would give a new file (0666 less the umask), or the mode of the file being replaced."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _header(data, path):
    if data[:2] == b"\x80\x02" or data[:1] == b"\x80" or data[:2] == b"PK":
        raise ValueError(f"load: {path} looks like a pickle or a PyTorch zip archive; fastnn never unpickles "
                         "(it could run code). Convert it to safetensors or NumPy arrays first.")
    if len(data) < 8:
        raise ValueError(f"load: {path} is too short to be a safetensors file")
    n = int.from_bytes(data[:8], "little")
    if n <= 0 or 8 + n > len(data):
        raise ValueError(f"load: {path} is not a valid safetensors file (bad header length)")
    try:
        return json.loads(data[8:8 + n])
    except ValueError:
        raise ValueError(f"load: {path} is not a valid safetensors file (header is not JSON)") from None


def load(f, map_location=None, weights_only=True):
    """Read what save() wrote (or any safetensors file: a dict of tensors). Never executes code."""
    path = os.fspath(f)
    with open(path, "rb") as inp:
        data = inp.read()
    header = _header(data, path)
    try:
        tensors = _st_load(data)
    except Exception as err:  # safetensors raises its own error types
        raise ValueError(f"load: {path} is not a valid safetensors file: {err}") from None
    meta = header.get("__metadata__") or {}
    if _META_KEY not in meta:
        return {k: _wrap(np.array(v)) for k, v in tensors.items()}
    try:
        return _decode(json.loads(meta[_META_KEY]), tensors)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"load: {path} has malformed fastnn metadata ({type(err).__name__}: {err})") from None
