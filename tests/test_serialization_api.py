"""save/load take what torch.save/torch.load take: paths, file objects, map_location, weights_only, mmap."""
import io
import pathlib

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.serialization as ser


def _mapped(arr):
    while arr is not None:
        if isinstance(arr, np.memmap):
            return True
        arr = getattr(arr, "base", None)
    return False


def _sd():
    return {"w": fastnn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)), "step": 4}


def _check(got):
    np.testing.assert_array_equal(got["w"].numpy(), np.arange(6, dtype=np.float32).reshape(2, 3))
    assert got["step"] == 4


def test_bytesio_round_trip():
    buf = io.BytesIO()
    fastnn.save(_sd(), buf)
    buf.seek(0)
    _check(fastnn.load(buf))


def test_open_file_objects_and_paths(tmp_path):
    path = tmp_path / "ckpt.pt"
    with open(path, "wb") as f:
        fastnn.save(_sd(), f)
    with open(path, "rb") as f:
        _check(fastnn.load(f))
    _check(fastnn.load(str(path)))
    _check(fastnn.load(pathlib.PurePath(path)))
    fastnn.save(_sd(), str(tmp_path / "s.pt"))
    _check(fastnn.load(tmp_path / "s.pt"))
    with open(path, "r") as f, pytest.raises(TypeError, match="binary"):
        fastnn.load(f)
    with pytest.raises(TypeError, match="path or a binary file"):
        fastnn.save(_sd(), 3)
    with pytest.raises(TypeError, match="path or a binary file"):
        fastnn.load(3.5)


def test_load_reads_from_the_current_position():
    buf = io.BytesIO()
    buf.write(b"header")
    fastnn.save(_sd(), buf)
    buf.seek(6)
    _check(fastnn.load(buf))


def test_torch_file_objects(tmp_path):
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save({"w": torch.arange(6.0).reshape(2, 3), "step": 4}, buf)
    buf.seek(0)
    _check(fastnn.load(buf))


@pytest.mark.parametrize("where", [None, "cpu", "cpu:0", fastnn.device("cpu"), {"cuda:0": "cpu"}, {}])
def test_map_location_cpu_forms(tmp_path, where):
    fastnn.save(_sd(), tmp_path / "c.pt")
    _check(fastnn.load(tmp_path / "c.pt", map_location=where))
    _check(fastnn.load(tmp_path / "c.pt", where))  # positional, as torch.load(f, map_location)


def test_map_location_torch_device(tmp_path):
    torch = pytest.importorskip("torch")
    fastnn.save(_sd(), tmp_path / "c.pt")
    _check(fastnn.load(tmp_path / "c.pt", map_location=torch.device("cpu")))
    with pytest.raises(ValueError, match="CPU only"):
        fastnn.load(tmp_path / "c.pt", map_location=torch.device("cuda:0"))


def test_map_location_others_raise(tmp_path):
    fastnn.save(_sd(), tmp_path / "c.pt")
    with pytest.raises(ValueError, match="CPU only"):
        fastnn.load(tmp_path / "c.pt", map_location="cuda")
    with pytest.raises(ValueError, match="CPU only"):
        fastnn.load(tmp_path / "c.pt", map_location={"cpu": "cuda:1"})
    with pytest.raises(ValueError, match="map_location"):
        fastnn.load(tmp_path / "c.pt", map_location="gpu7")
    with pytest.raises(TypeError, match="function"):
        fastnn.load(tmp_path / "c.pt", map_location=lambda storage, loc: storage)
    with pytest.raises(TypeError, match="map_location"):
        fastnn.load(tmp_path / "c.pt", map_location=3)


def test_weights_only_and_other_arguments(tmp_path):
    fastnn.save(_sd(), tmp_path / "c.pt")
    for flag in (None, True, False):
        _check(fastnn.load(tmp_path / "c.pt", weights_only=flag))
    with pytest.raises(TypeError, match="weights_only"):
        fastnn.load(tmp_path / "c.pt", weights_only="yes")
    with pytest.raises(TypeError, match="pickle_module"):
        import pickle
        fastnn.load(tmp_path / "c.pt", pickle_module=pickle)
    with pytest.raises(TypeError, match="unexpected"):
        fastnn.load(tmp_path / "c.pt", fix_imports=True)


def test_mmap_safetensors(tmp_path):
    path = tmp_path / "m.safetensors"
    fastnn.save({"w": fastnn.ones(1000), "e": fastnn.zeros(0), "n": {"b": fastnn.tensor([True, False])}}, path)
    before = path.read_bytes()
    got = fastnn.load(path, mmap=True)
    assert _mapped(got["w"]._data)
    got["w"].numpy()[...] = 5  # copy-on-write: the file is untouched
    assert path.read_bytes() == before and fastnn.load(path)["w"].tolist() == [1.0] * 1000
    assert got["n"]["b"].tolist() == [True, False] and got["e"].shape == (0,)
    with pytest.raises(ValueError, match="file path"):
        fastnn.load(io.BytesIO(before), mmap=True)


def test_mmap_torch_zip_and_legacy(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.arange(6.0).reshape(2, 3), "step": 4}, tmp_path / "z.pt")
    got = fastnn.load(tmp_path / "z.pt", mmap=True)
    _check(got)
    assert _mapped(got["w"]._data)
    torch.save({"w": torch.ones(2)}, tmp_path / "l.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="mmap"):
        fastnn.load(tmp_path / "l.pt", mmap=True)
    with pytest.raises(TypeError, match="mmap"):
        fastnn.load(tmp_path / "z.pt", mmap="r")


def test_serialization_module_names():
    assert callable(ser.add_safe_globals) and callable(ser.get_safe_globals) and callable(ser.clear_safe_globals)
    with ser.safe_globals([nn.Linear]):
        assert ser.get_safe_globals() == [nn.Linear]
    assert ser.get_safe_globals() == []
    assert fastnn.serialization is ser and fastnn.save is ser.save and fastnn.load is ser.load


def test_loaded_state_dict_fills_a_module():
    model = nn.Linear(3, 2)
    buf = io.BytesIO()
    fastnn.save(model.state_dict(), buf)
    other = nn.Linear(3, 2)
    other.load_state_dict(fastnn.load(io.BytesIO(buf.getvalue())))
    np.testing.assert_array_equal(other.weight.detach().numpy(), model.weight.detach().numpy())


def test_numpy_arrays_come_back_as_numpy_arrays(tmp_path):
    # torch.save(ndarray) / torch.load give an ndarray back (time_sequence_prediction relies on it)
    data = {"a": np.arange(6.0).reshape(2, 3), "t": fastnn.ones(2)}
    fastnn.save(data, tmp_path / "d.pt")
    back = fastnn.load(tmp_path / "d.pt")
    assert type(back["a"]) is np.ndarray and isinstance(back["t"], fastnn.Tensor)
    np.testing.assert_array_equal(back["a"], data["a"])
    with open(tmp_path / "x.pt", "wb") as f:
        fastnn.save(np.float64([1.5, 2.5]), f)
    with open(tmp_path / "x.pt", "rb") as f:
        assert type(fastnn.load(f)) is np.ndarray
