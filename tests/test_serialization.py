"""fastnn.save / fastnn.load: round trips, safetensors compatibility, atomicity, refusing unsafe files."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.optim as optim


def test_state_dict_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model(fastnn.randn(5, 3))
    path = tmp_path / "m.safetensors"
    fastnn.save(model.state_dict(), path)
    loaded = fastnn.load(path)
    sd = model.state_dict()
    assert list(loaded) == list(sd)
    for k in sd:
        assert loaded[k].dtype == sd[k].dtype
        np.testing.assert_array_equal(loaded[k].numpy(), sd[k].numpy())
    loaded["0.weight"].numpy()[...] = 0  # loaded arrays are writable and independent
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    other.load_state_dict(fastnn.load(str(path)))
    np.testing.assert_array_equal(other[0].weight.detach().numpy(), model[0].weight.detach().numpy())


def test_opens_with_safetensors_numpy(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    sd = nn.Linear(3, 2).state_dict()
    path = tmp_path / "lin.safetensors"
    fastnn.save(sd, path)
    raw = st.load_file(str(path))
    assert set(raw) == set(sd)
    for k in sd:
        np.testing.assert_array_equal(raw[k], sd[k].numpy())


def test_zero_dim_tensors_keep_their_shape(tmp_path):
    fastnn.save({"s": fastnn.tensor(3), "nested": [fastnn.tensor(2.5)]}, tmp_path / "s")
    got = fastnn.load(tmp_path / "s")
    assert got["s"].shape == () and got["s"].item() == 3
    assert got["nested"][0].shape == ()


def test_plain_safetensors_file_loads_as_dict(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "plain.safetensors"
    st.save_file({"a": np.arange(3, dtype=np.int64), "b": np.ones((2, 2), np.float32)}, str(path))
    got = fastnn.load(path)
    assert got["a"].tolist() == [0, 1, 2] and got["b"].dtype == fastnn.float32


def test_nested_optimizer_state(tmp_path):
    p = nn.Parameter(fastnn.randn(3))
    opt = optim.Adam([p, nn.Parameter(fastnn.ones(2))], lr=0.01, betas=(0.8, 0.95), amsgrad=True)
    p.sum().backward()
    opt.step()
    obj = {"optim": opt.state_dict(), "epoch": 7, "loss": 0.25, "name": "run", "flags": [True, None],
           "shape": (2, 3), "nested": {1: {"x": fastnn.ones(2)}, "k": [fastnn.zeros(1), 3]}}
    fastnn.save(obj, tmp_path / "ckpt")
    got = fastnn.load(tmp_path / "ckpt")
    assert got["epoch"] == 7 and got["loss"] == 0.25 and got["name"] == "run" and got["flags"] == [True, None]
    assert got["shape"] == (2, 3) and isinstance(got["shape"], tuple)
    assert 1 in got["nested"] and got["nested"][1]["x"].tolist() == [1.0, 1.0]
    assert got["nested"]["k"][1] == 3
    st = got["optim"]["state"]
    assert list(st) == [0] and st[0]["step"] == 1
    np.testing.assert_array_equal(st[0]["exp_avg"].numpy(), opt.state[p]["exp_avg"])
    assert got["optim"]["param_groups"][0]["betas"] == (0.8, 0.95)
    assert got["optim"]["param_groups"][0]["params"] == [0, 1]


def test_save_rejects_unsupported_objects(tmp_path):
    with pytest.raises(TypeError, match="object"):
        fastnn.save({"a": np.array([object()])}, tmp_path / "x")
    with pytest.raises(TypeError, match="cannot store"):
        fastnn.save({"f": lambda: 0}, tmp_path / "x")
    with pytest.raises(TypeError, match="keys"):
        fastnn.save({(1, 2): 3}, tmp_path / "x")
    assert not os.path.exists(tmp_path / "x")


def _no_temp_files(folder):
    return [f for f in os.listdir(folder) if f.endswith("tmp")] == []


def test_atomic_save_crash_in_replace_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    fastnn.save({"w": fastnn.ones(3)}, path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        fastnn.save({"w": fastnn.zeros(3)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path)
    assert fastnn.load(path)["w"].tolist() == [1.0, 1.0, 1.0]


def test_atomic_save_crash_during_write(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    fastnn.save({"w": fastnn.ones(3)}, path)
    before = path.read_bytes()

    def crash(fd):
        raise KeyboardInterrupt  # e.g. the user interrupts while the data is being flushed

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        fastnn.save({"w": fastnn.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path)


def test_load_refuses_pickle(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"w": np.ones(2)}, f)
    with pytest.raises(ValueError, match="pickle"):
        fastnn.load(path)
    path0 = tmp_path / "old.pt"
    path0.write_bytes(pickle.dumps([1, 2], protocol=0))
    with pytest.raises(ValueError):
        fastnn.load(path0)


def test_zip_archive_needs_one_data_pkl(tmp_path):
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/other.txt", b"x")
    with pytest.raises(ValueError, match="data.pkl"):
        fastnn.load(path)
    with zipfile.ZipFile(path, "w") as z:  # the smallest torch.save archive: an empty dict, no storages
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    assert fastnn.load(path) == {}


def test_torch_save_file_loads(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "t.pt"
    torch.save({"w": torch.arange(4.0)}, path)
    assert fastnn.load(path)["w"].tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("cut", [0, 3, 8, 20, -10, -1])
def test_truncated_files_raise_value_error(tmp_path, cut):
    path = tmp_path / "ok.safetensors"
    fastnn.save({"w": fastnn.ones(4, 4), "meta": 3}, path)
    data = path.read_bytes()
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(data[:cut] if cut >= 0 else data[:len(data) + cut])
    with pytest.raises(ValueError):
        fastnn.load(bad)


@pytest.mark.parametrize("blob", [b"", b"garbage", b"\xff" * 8 + b"{}", (10).to_bytes(8, "little") + b"not json!!",
                                  (30).to_bytes(8, "little") + b'{"a": {"dtype": "F32"}}      ',
                                  (64).to_bytes(8, "little")
                                  + b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,99]}}        '])
def test_garbage_files_raise_value_error(tmp_path, blob):
    path = tmp_path / "g.bin"
    path.write_bytes(blob)
    with pytest.raises(ValueError):
        fastnn.load(path)


def test_corrupt_metadata_raises_value_error(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "m.safetensors"
    st.save_file({"a": np.ones(1, np.float32)}, str(path), metadata={"fastnn": "{not json"})
    with pytest.raises(ValueError):
        fastnn.load(path)
    st.save_file({"a": np.ones(1, np.float32)}, str(path), metadata={"fastnn": '{"__tensor__": "missing"}'})
    with pytest.raises(ValueError):
        fastnn.load(path)


def test_state_dict_opens_in_pytorch_with_safetensors_torch(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    path = tmp_path / "m.safetensors"
    fastnn.save(model.state_dict(), path)
    sd = st_torch.load_file(str(path))
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    tm.load_state_dict(sd)
    tm.eval(), model.eval()
    a = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    with torch.no_grad():
        ref = tm(torch.tensor(a)).numpy()
    np.testing.assert_allclose(model(fastnn.tensor(a)).detach().numpy(), ref, rtol=1e-5, atol=1e-6)
