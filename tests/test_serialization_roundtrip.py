"""Format detection: every file save() writes, and every safetensors file, loads back (issue 22).

A safetensors file opens with its header length as 8 little-endian bytes; any first byte can occur
there (0x80 looks like a pickle's PROTO opcode, b"PK" like a zip), so the format is told by what the
whole file is, not by its first bytes.
"""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.optim as optim
from fastnn.autograd.dtypes import BUILTIN

# save refuses bfloat16 arrays with a clear error (safetensors' NumPy API has no bfloat16): exact round trips
# are checked for the other dtypes
SUPPORTED = BUILTIN


def _header_length(path):
    return int.from_bytes(path.read_bytes()[:8], "little")


def _sample(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if dtype.kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.kind in "iu":
        return np.asarray(rng.integers(-100 if dtype.kind == "i" else 0, 100, shape), dtype)
    return np.asarray(rng.standard_normal(shape), dtype)


def _state_dict(key_len):
    """One state dict per key length: every supported dtype, a 0-d and an empty tensor, a plain value."""
    key = "k" * key_len
    sd = {}
    for i, dt in enumerate(SUPPORTED):
        sd[f"{key}.{dt.name}"] = fastnn.tensor(_sample(dt, (2, 3), key_len * 10 + i))
        sd[f"{key}.{dt.name}.scalar"] = fastnn.tensor(_sample(dt, (), key_len * 10 + i))
        sd[f"{key}.{dt.name}.empty"] = fastnn.tensor(np.zeros((0, 4), dt))
    sd["step"] = key_len
    return sd


def _assert_equal(got, want):
    assert type(got) is type(want) or (isinstance(want, fastnn.Tensor) and isinstance(got, fastnn.Tensor))
    if isinstance(want, fastnn.Tensor):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    elif isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            _assert_equal(got[k], want[k])
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for a, b in zip(got, want):
            _assert_equal(a, b)
    else:
        assert got == want


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    """Durability is test_serialization's business; here fsync would only make 1000 saves slow."""
    monkeypatch.setattr("os.fsync", lambda fd: None)


def test_600_state_dicts_cover_every_header_length_residue(tmp_path):
    failures, residues = [], set()
    for key_len in range(1, 601):
        sd = _state_dict(key_len)
        path = tmp_path / f"sd{key_len}.safetensors"
        fastnn.save(sd, path)
        residues.add(_header_length(path) % 256)
        try:
            _assert_equal(fastnn.load(path), sd)
        except Exception as err:  # count every failure, report the first
            failures.append((key_len, repr(err)))
        path.unlink()
    # safetensors pads its header to a multiple of 8: all 32 such residues occur, 0x80 and b"P" among them
    assert residues == set(range(0, 256, 8))
    assert failures == [], f"{len(failures)} of 600 failed, first: {failures[0]}"


def test_header_length_starting_with_pk(tmp_path):
    """A header length whose low bytes spell b"PK" (0x4B50): what a naive zip check takes for an archive."""
    for key_len in range(6300, 6500):
        sd = {"k" * key_len: fastnn.ones(2)}
        path = tmp_path / "pk.safetensors"
        fastnn.save(sd, path)
        if path.read_bytes()[:2] == b"PK":
            _assert_equal(fastnn.load(path), sd)
            return
    pytest.fail("no key length gave a header starting with b'PK'")


def test_optimizer_state_with_every_residue(tmp_path):
    params = [nn.Parameter(fastnn.randn(3, 2)), nn.Parameter(fastnn.randn(2))]
    opt = optim.Adam(params, lr=0.01, amsgrad=True)
    (params[0].sum() + params[1].sum()).backward()
    opt.step()
    hit_0x80 = False
    for pad in range(0, 300):
        state = opt.state_dict()
        state["param_groups"][0]["note"] = "x" * pad
        path = tmp_path / "opt.pt"
        fastnn.save(state, path)
        hit_0x80 |= path.read_bytes()[0] == 0x80
        got = fastnn.load(path)
        assert got["param_groups"][0]["note"] == "x" * pad
        assert got["param_groups"][0]["betas"] == (0.9, 0.999)
        for i in (0, 1):
            for name in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
                np.testing.assert_array_equal(got["state"][i][name].numpy(), opt.state[params[i]][name])
    assert hit_0x80


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_, np.float16, np.int32, np.uint8,
                                   np.int8, np.int16])
def test_files_written_by_safetensors_numpy(tmp_path, dtype):
    st = pytest.importorskip("safetensors.numpy")
    dtype = np.dtype(dtype)
    for key_len in range(1, 300, 3):
        arrays = {"w" * key_len: _sample(dtype, (3, 2), key_len), "s": _sample(dtype, (), 1),
                  "e": np.zeros((0,), dtype)}
        path = tmp_path / "st.safetensors"
        st.save_file(arrays, str(path))
        got = fastnn.load(path)
        assert set(got) == set(arrays)
        for k, a in arrays.items():
            # dtypes fastnn lacks widen without loss (float16 -> float32, small ints -> int64)
            assert got[k].shape == a.shape
            np.testing.assert_array_equal(got[k].numpy(), a)


def test_files_written_by_safetensors_torch(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    g = torch.Generator().manual_seed(0)
    seen_0x80 = False
    for key_len in range(1, 400):
        tensors = {"p" * key_len: torch.randn(4, 3, generator=g), "i": torch.arange(5),
                   "b": torch.tensor([True, False]), "d": torch.randn(2, dtype=torch.float64, generator=g),
                   "bf": torch.randn(3, generator=g).to(torch.bfloat16), "z": torch.zeros(0, 3), "s": torch.tensor(2.5)}
        path = tmp_path / "t.safetensors"
        st_torch.save_file(tensors, str(path))
        seen_0x80 |= path.read_bytes()[0] == 0x80
        got = fastnn.load(path)
        assert set(got) == set(tensors)
        for k, t in tensors.items():
            want = t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()  # bfloat16 widens exactly
            assert got[k].shape == tuple(t.shape)
            np.testing.assert_array_equal(got[k].numpy(), want)
    assert seen_0x80
