"""Hostile PyTorch checkpoints are refused with one line naming the file and the reason (issue 22).

The archives are assembled here opcode by opcode (no torch needed), so each one differs from a
valid checkpoint in exactly the way under test; the first test shows the valid one loads.
"""
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

import fastnn
import fastnn.serialization as ser

PROTO, STOP, MARK, TUPLE, REDUCE, BUILD = b"\x80\x02", b".", b"(", b"t", b"R", b"b"
BINPERSID, EMPTY_DICT, EMPTY_TUPLE, SETITEM, NEWFALSE = b"Q", b"}", b")", b"s", b"\x89"


def glob(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def text(s):
    data = s.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def num(i):
    data = i.to_bytes(i.bit_length() // 8 + 1, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


def tup(*items):
    return MARK + b"".join(items) + TUPLE


def tensor(storage="FloatStorage", key="0", numel=6, offset=0, size=(2, 3), stride=(3, 1)):
    pid = tup(text("storage"), glob("torch", storage), text(key), text("cpu"), num(numel)) + BINPERSID
    hooks = glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    args = tup(pid, num(offset), tup(*map(num, size)), tup(*map(num, stride)), NEWFALSE, hooks)
    return glob("torch._utils", "_rebuild_tensor_v2") + args + REDUCE


DATA = np.arange(6, dtype=np.float32).tobytes()


def archive(path, value, records=None, compression=zipfile.ZIP_STORED):
    """A torch.save-style zip holding {"w": value}; records: storage key -> bytes."""
    with zipfile.ZipFile(path, "w", compression) as z:
        z.writestr("archive/data.pkl", PROTO + EMPTY_DICT + text("w") + value + SETITEM + STOP)
        z.writestr("archive/byteorder", "little")
        for key, data in ({"0": DATA} if records is None else records).items():
            z.writestr(f"archive/data/{key}", data)
    return path


def refused(path, match, error=ValueError):
    with pytest.raises(error, match=match) as info:
        fastnn.load(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message, message
    return message


def test_the_assembled_archive_is_valid(tmp_path):
    got = fastnn.load(archive(tmp_path / "ok.pt", tensor()))
    np.testing.assert_array_equal(got["w"].numpy(), np.arange(6, dtype=np.float32).reshape(2, 3))
    got = fastnn.load(archive(tmp_path / "t.pt", tensor(size=(3, 2), stride=(1, 3))))  # a transposed view
    np.testing.assert_array_equal(got["w"].numpy(), np.arange(6, dtype=np.float32).reshape(2, 3).T)
    got = fastnn.load(archive(tmp_path / "z.pt", tensor(), compression=zipfile.ZIP_DEFLATED))  # re-zipped
    np.testing.assert_array_equal(got["w"].numpy(), np.arange(6, dtype=np.float32).reshape(2, 3))
    with pytest.raises(ValueError, match="compressed, so it cannot be memory-mapped"):
        fastnn.load(tmp_path / "z.pt", mmap=True)


def test_reduce_payload_is_refused_and_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    payload = glob("os", "system") + tup(text("echo pwned > pwned.txt")) + REDUCE
    msg = refused(archive(tmp_path / "evil.pt", payload), "os.system", ser.UnsafeCheckpointError)
    assert "refusing global" in msg
    payload = glob("posix", "system") + tup(text("echo pwned > pwned.txt")) + REDUCE
    refused(archive(tmp_path / "evil2.pt", payload), "posix.system", pickle.UnpicklingError)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > pwned.txt",))

    legacy = tmp_path / "evil_legacy.pt"  # the legacy stream: magic number, protocol, system info, object
    legacy.write_bytes(pickle.dumps(0x1950A86A20F9469CFC6C, 2) + pickle.dumps(1001, 2)
                       + pickle.dumps({"little_endian": True}, 2) + pickle.dumps(Evil(), 2))
    refused(legacy, "system")
    assert not (tmp_path / "pwned.txt").exists()


def test_weights_only_false_still_refuses_what_the_file_names(tmp_path):
    # PyTorch's opt-out would call os.getcwd here; fastnn never runs code named by a file
    path = archive(tmp_path / "call.pt", glob("os", "getcwd") + EMPTY_TUPLE + REDUCE)
    for weights_only in (None, True, False):
        with pytest.raises(ser.UnsafeCheckpointError, match="refusing global os.getcwd"):
            fastnn.load(path, weights_only=weights_only)


def test_storage_offset_past_the_data(tmp_path):
    refused(archive(tmp_path / "off.pt", tensor(offset=100)), "past the end of storage")
    refused(archive(tmp_path / "span.pt", tensor(size=(2, 4), stride=(4, 1))), "past the end of storage")
    refused(archive(tmp_path / "neg.pt", tensor(offset=-1)), "integers >= 0")


def test_sizes_that_overflow(tmp_path):
    refused(archive(tmp_path / "big.pt", tensor(size=(2 ** 62, 2 ** 62), stride=(1, 1))), "overflows")
    refused(archive(tmp_path / "neg.pt", tensor(size=(-1, 3))), "integers >= 0")
    refused(archive(tmp_path / "expand.pt", tensor(size=(2 ** 20, 2 ** 20), stride=(0, 0))), "expands storage")
    refused(archive(tmp_path / "numel.pt", tensor(numel=2 ** 61)), "holds 24 bytes")


def test_storage_record_size_must_match(tmp_path):
    refused(archive(tmp_path / "short.pt", tensor(), {"0": DATA[:10]}), "holds 10 bytes")


def test_bad_storage_keys(tmp_path):
    refused(archive(tmp_path / "dots.pt", tensor(key="../../etc/passwd")), "bad storage key")
    refused(archive(tmp_path / "missing.pt", tensor(key="7")), "no record archive/data/7")
    refused(archive(tmp_path / "type.pt", tensor(storage="Evil")), "refusing global torch.Evil")


def test_truncated_and_damaged_archives(tmp_path):
    whole = archive(tmp_path / "ok.pt", tensor()).read_bytes()
    for cut in (len(whole) // 2, len(whole) - 10, 30):
        bad = tmp_path / f"cut{cut}.pt"
        bad.write_bytes(whole[:cut])
        refused(bad, "zip|truncated")
    flipped = bytearray(whole)
    flipped[whole.index(DATA) + 3] ^= 0xFF  # a storage byte: the CRC check catches it
    (tmp_path / "crc.pt").write_bytes(bytes(flipped))
    refused(tmp_path / "crc.pt", "CRC|not a readable")


def test_setting_state_is_refused(tmp_path):
    # BUILD on an allowed function would let a file rewrite fastnn's own code objects' attributes
    attack = glob("torch._utils", "_rebuild_tensor_v2") + EMPTY_DICT + text("__kwdefaults__") + EMPTY_DICT \
        + SETITEM + BUILD
    refused(archive(tmp_path / "build.pt", attack), "refusing to set the state of a function")
    attack = glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + EMPTY_DICT + text("__class__") \
        + glob("torch", "Size") + SETITEM + BUILD
    refused(archive(tmp_path / "cls.pt", attack), "OrderedDict state")


def test_torchscript_and_plain_pickles_are_named(tmp_path):
    path = tmp_path / "script.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("m/constants.pkl", PROTO + EMPTY_TUPLE + STOP)
        z.writestr("m/code/__torch__.py", "def forward(self): ...")
    refused(path, "TorchScript")
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"w": [1, 2]}, 2))
    refused(plain, "not a PyTorch checkpoint")


def test_safe_globals_admit_named_classes_only_while_asked(tmp_path):
    path = archive(tmp_path / "np.pt", pickle.dumps(np.arange(3), 2)[2:-1])  # the array's opcodes in the dict
    msg = refused(path, "refusing global numpy")
    try:
        from numpy._core.multiarray import _reconstruct as reconstruct
    except ImportError:  # NumPy < 2
        from numpy.core.multiarray import _reconstruct as reconstruct
    # BUILD needs the exact type, as in PyTorch: NumPy >= 1.25 dtypes are instances of subclasses of np.dtype
    allow = [reconstruct, np.ndarray, np.dtype, type(np.dtype(np.int64)),
             (reconstruct, "numpy.core.multiarray._reconstruct")]
    with ser.safe_globals(allow):
        assert reconstruct in ser.get_safe_globals()
        np.testing.assert_array_equal(fastnn.load(path)["w"], np.arange(3))
    assert ser.get_safe_globals() == []
    refused(path, "refusing global numpy")
    ser.add_safe_globals(allow)
    try:
        np.testing.assert_array_equal(fastnn.load(path)["w"], np.arange(3))
    finally:
        ser.clear_safe_globals()
    assert "numpy" in msg
    with pytest.raises(TypeError, match="safe_globals"):
        ser.add_safe_globals(np.ndarray)


def test_size_claims_are_checked_before_allocating(tmp_path):
    # a record whose central-directory entry claims 2 GB: refused from the sizes, nothing allocated
    data = bytearray(archive(tmp_path / "ok.pt", tensor(numel=0x7FFFFFF0 // 4)).read_bytes())
    entry = data.index(b"archive/data/0", data.index(b"PK\x01\x02")) - 46
    data[entry + 24:entry + 28] = struct.pack("<I", 0x7FFFFFF0)
    (tmp_path / "claim.pt").write_bytes(bytes(data))
    refused(tmp_path / "claim.pt", "claims sizes its archive cannot hold")
    # a pickle string claiming 2**60 bytes, read from a file (a buffered read would allocate the claim)
    legacy = tmp_path / "long.pt"
    legacy.write_bytes(pickle.dumps(0x1950A86A20F9469CFC6C, 2) + pickle.dumps(1001, 2)
                       + pickle.dumps({"little_endian": True}, 2)
                       + b"\x80\x04\x8d" + struct.pack("<Q", 2 ** 60) + b"abc")
    refused(legacy, "not a readable PyTorch checkpoint")
    refused(archive(tmp_path / "ba8.pt", b"\x96" + struct.pack("<Q", 2 ** 60)), "BYTEARRAY8")
