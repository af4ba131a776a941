"""PyTorch's two checkpoint layouts, read without torch: the zip archive torch.save writes since 1.6,
and the older single stream of pickles (`_use_new_zipfile_serialization=False`).

Zip: `<prefix>/data.pkl` is the object, each storage's bytes are the record `<prefix>/data/<key>`,
`<prefix>/byteorder` says little or big. Legacy: pickles of a magic number, the protocol version
and system info, then the object, then the list of storage keys, then each storage as an 8-byte
element count and its bytes.
"""
import io
import struct
import zipfile
import zlib

import numpy as np

from ._torch_pickle import Malformed, Storage, storage_from_pid, unpickle

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL = 1001
_EOCD = b"PK\x05\x06"
_MAX_RATIO = 1100  # deflate expands at most ~1032:1; a record claiming more is lying


def is_zip(f, size):
    """True when the file ends with a zip end-of-central-directory record (22 bytes plus its comment)."""
    tail = min(size, 22 + 65535)
    f.seek(size - tail)
    data = f.read(tail)
    at = data.rfind(_EOCD)
    while at >= 0:
        if len(data) >= at + 22 and at + 22 + int.from_bytes(data[at + 20:at + 22], "little") == len(data):
            return True
        at = data.rfind(_EOCD, 0, at)
    return False


def _typed(storage_type, byteorder):
    dt = storage_type.dtype
    return dt.newbyteorder(">") if byteorder == "big" and dt.itemsize > 1 else dt


# ------------------------------------------------------------------ zip archives

def _archive_prefix(z):
    names = z.namelist()
    pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        code = any(n.endswith("/constants.pkl") or "/code/" in n for n in names)
        raise Malformed("this is a TorchScript archive (it holds code; fastnn loads only data)" if code else
                        f"a zip archive with {len(pickles)} data.pkl records is not a torch.save archive")
    return pickles[0][:-len("data.pkl")]


def _data_offset(f, info):
    """Where a stored (uncompressed) record's bytes start in the file."""
    f.seek(info.header_offset)
    local = f.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise Malformed(f"record {info.filename} has no local header")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _check_sizes(info, archive_size):
    """Refuse a record whose sizes the archive cannot hold, before allocating for it."""
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size \
            or info.file_size > _MAX_RATIO * max(info.compress_size, 1) \
            or info.header_offset + info.compress_size > archive_size:
        raise Malformed(f"record {info.filename} claims sizes its archive cannot hold")


def _open_zip(f):
    """(the archive, its size in bytes); a damaged one raises Malformed."""
    archive_size = f.seek(0, 2)
    f.seek(0)
    try:
        return zipfile.ZipFile(f), archive_size
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise Malformed(f"damaged zip archive ({err})") from None


def load_zip(f, mmap_path=None, encoding="ASCII", weights_only=True):
    z, archive_size = _open_zip(f)
    with z:
        prefix = _archive_prefix(z)
        byteorder = z.read(prefix + "byteorder").decode("ascii", "replace").strip() \
            if prefix + "byteorder" in z.NameToInfo else "little"
        if byteorder not in ("little", "big"):
            raise Malformed(f"byteorder record says {byteorder!r:.40}")

        def read(key, storage_type, numel):
            name = f"{prefix}data/{key}"
            info = z.NameToInfo.get(name)
            if info is None:
                raise Malformed(f"storage key {key!r} has no record {name} in the archive")
            dt = _typed(storage_type, byteorder)
            if info.file_size != numel * dt.itemsize:
                raise Malformed(f"record {name} holds {info.file_size} bytes, the pickle says {numel} elements "
                                f"of {dt.itemsize} bytes")
            _check_sizes(info, archive_size)
            if mmap_path is not None and numel:
                if info.compress_type != zipfile.ZIP_STORED:
                    raise Malformed(f"record {name} is compressed, so it cannot be memory-mapped")
                return np.memmap(mmap_path, dt, mode="c", offset=_data_offset(f, info), shape=(numel,))
            buf = bytearray(info.file_size)
            if info.compress_type == zipfile.ZIP_STORED:  # torch's records: read in place, no copies
                f.seek(_data_offset(f, info))
                if f.readinto(buf) != len(buf):
                    raise Malformed(f"record {name} is truncated")
                if zlib.crc32(buf) != info.CRC:
                    raise Malformed(f"record {name} fails its CRC check (damaged)")
            else:
                with z.open(info) as src:
                    pos = 0
                    while pos < len(buf):
                        chunk = src.read(min(1 << 24, len(buf) - pos))
                        if not chunk:
                            raise Malformed(f"record {name} is truncated")
                        buf[pos:pos + len(chunk)] = chunk
                        pos += len(chunk)
            return np.frombuffer(buf, dt)

        storages = {}
        _check_sizes(z.NameToInfo[prefix + "data.pkl"], archive_size)
        with z.open(prefix + "data.pkl") as pkl:
            return unpickle(io.BytesIO(pkl.read()), lambda pid: storage_from_pid(pid, storages, read), encoding,
                            weights_only)


def zip_pickle(f):
    """The bytes of a torch.save archive's data.pkl (for listing the globals it names)."""
    z, archive_size = _open_zip(f)
    with z:
        info = z.NameToInfo[_archive_prefix(z) + "data.pkl"]
        _check_sizes(info, archive_size)
        return z.read(info)


# ------------------------------------------------------------------ legacy stream

def is_torch_legacy(f, encoding="ASCII"):
    """True when the stream opens with PyTorch's magic-number pickle (f is left after it)."""
    try:
        return unpickle(f, _no_persistent_ids, encoding) == _MAGIC
    except Exception:  # any pickle that is not the magic number
        return False


def _no_persistent_ids(pid):
    raise Malformed("persistent id outside the object pickle")


def load_legacy(f, mmap_path=None, encoding="ASCII", weights_only=True):
    """Read a legacy checkpoint; f is positioned just after the magic number."""
    if mmap_path is not None:
        raise Malformed("mmap=True needs the zip format (torch.save's default since PyTorch 1.6); "
                        "this is the legacy format")
    if unpickle(f, _no_persistent_ids, encoding) != _PROTOCOL:
        raise Malformed("unknown legacy protocol version")
    info = unpickle(f, _no_persistent_ids, encoding)
    if not isinstance(info, dict) or info.get("little_endian", True) is not True:
        raise Malformed("big-endian legacy checkpoints are not supported")
    start = f.tell()
    # first pass: learn each storage's type and size (the bytes come after the object's pickle)
    roots = {}
    unpickle(f, lambda pid: _legacy_storage(pid, roots, {}), encoding, "scan")
    keys = unpickle(f, _no_persistent_ids, encoding)
    if not (isinstance(keys, list) and set(keys) == set(roots)):
        raise Malformed("the list of storage keys does not match the storages the object uses")
    for key in keys:
        root = roots[key]
        count = f.read(8)
        nbytes = root.numel * root.type.dtype.itemsize
        if len(count) != 8 or int.from_bytes(count, "little") != root.numel:
            raise Malformed(f"storage {key!r} should hold {root.numel} elements; the file disagrees or ends")
        if nbytes > _remaining(f):  # checked before allocating: a size is only a claim
            raise Malformed(f"storage {key!r} is truncated ({nbytes} bytes promised)")
        buf = bytearray(nbytes)
        if f.readinto(buf) != nbytes:
            raise Malformed(f"storage {key!r} is truncated")
        root.array = np.frombuffer(buf, root.type.dtype)
    end = f.tell()
    f.seek(start)
    views = {}
    obj = unpickle(f, lambda pid: _legacy_storage(pid, roots, views), encoding, weights_only)
    f.seek(end)
    return obj


def _remaining(f):
    here = f.tell()
    end = f.seek(0, 2)
    f.seek(here)
    return end - here


def _legacy_storage(pid, roots, views):
    """('storage', type, root key, location, numel, view) ids; a view is (key, offset, numel) of its root.
    ('module', class, source file, source) names a whole nn.Module's class (resolved, and so admitted,
    by the unpickler already); the source PyTorch stored beside it is not used."""
    if isinstance(pid, tuple) and len(pid) == 4 and pid[0] == "module":
        return pid[1]
    if not (isinstance(pid, tuple) and len(pid) == 6):
        raise Malformed(f"unknown persistent id {pid!r:.80}")
    root = storage_from_pid(pid[:5], roots, lambda key, storage_type, numel: None)
    view = pid[5]
    if view is None:
        return root
    if not (isinstance(view, tuple) and len(view) == 3 and isinstance(view[0], str)
            and all(isinstance(v, int) and v >= 0 for v in view[1:])):
        raise Malformed(f"bad storage view {view!r:.80}")
    key, offset, numel = view
    if offset + numel > root.numel:
        raise Malformed(f"storage view {key!r} runs past the end of storage {root.key!r}")
    if key not in views:
        array = None if root.array is None else root.array[offset:offset + numel]
        views[key] = Storage(root.type, key, numel, array)
    return views[key]

