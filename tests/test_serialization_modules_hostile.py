"""Whole-model files that ask for more than the user admitted are refused, and nothing in them runs.

torch.load(weights_only=True) semantics: a global must be allow-listed; an object is created without
__init__ (NEWOBJ, OBJ) and given state (BUILD) only when its type is exactly an admitted class.
"""
import importlib
import io
import os
import pickle
import sys
import types
import zipfile

import pytest

import fastnn
import fastnn.nn as nn
import fastnn.serialization as ser


class Evil:
    def __reduce__(self):
        return os.system, ("echo pwned > pwned.txt",)


class Unlisted(nn.Module):
    def forward(self, x):
        return x


class Base:
    pass


class Sub(Base):
    def __setstate__(self, state):
        raise AssertionError("a non-admitted class's __setstate__ ran")


def make_sub():
    return Sub()


class Built:
    """Pickles as make_sub() followed by BUILD: the built object is a Sub, which nobody admitted."""

    def __reduce__(self):
        return make_sub, (), {"x": 1}


def _archive(data_pkl):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/byteorder", "little")
    buf.seek(0)
    return buf


def _refused(f, match, allowed=()):
    with ser.safe_globals(list(allowed)), pytest.raises(ser.UnsafeCheckpointError, match=match) as info:
        fastnn.load(f)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_reduce_payload_in_a_model_is_refused_and_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = nn.Linear(2, 2)
    model.payload = Evil()
    fastnn.save(model, tmp_path / "evil.pt")  # the payload pickles as os.system(...) (posix.system on Linux)
    msg = _refused(tmp_path / "evil.pt", r"refusing global (os|posix)\.system", [nn.Linear])
    assert "safe_globals" in msg and not (tmp_path / "pwned.txt").exists()


def test_a_class_not_admitted_is_named_even_when_the_rest_is(tmp_path):
    fastnn.save(nn.Sequential(nn.Linear(2, 2), Unlisted()), tmp_path / "m.pt")
    _refused(tmp_path / "m.pt", f"refusing global {__name__}.Unlisted", [nn.Sequential, nn.Linear])
    with ser.safe_globals([nn.Sequential, nn.Linear, Unlisted]):
        assert type(fastnn.load(tmp_path / "m.pt")[1]) is Unlisted


def test_build_on_an_object_of_a_class_not_admitted():
    data = pickle.dumps(Built(), 2)
    # make_sub is admitted and makes a Sub; Base (its parent) is admitted but Sub is not: no BUILD, no __setstate__
    _refused(_archive(data), "refusing to set the state of a Sub", [make_sub, Base])
    # the state of an admitted class's instance is set (through __dict__, since Base has no __setstate__)
    base = pickle.dumps(Base(), 2)
    assert b"\x81" in base  # NEWOBJ: created without __init__
    _refused(_archive(base), f"refusing global {__name__}.Base")
    with ser.safe_globals([Base]):
        assert type(fastnn.load(_archive(base))) is Base


@pytest.mark.parametrize("opcodes, what", [
    (b"ctorch\nSize\n)\x81.", "NEWOBJ"),  # a tuple (torch.Size) made without __init__
    (b"(ctorch\nSize\no.", "INST/OBJ"),  # protocol 1's OBJ
    (b"c" + f"{__name__}\nmake_sub\n".encode() + b")\x81.", "NEWOBJ"),  # an admitted function is not a class
])
def test_objects_made_without_init_need_an_admitted_class(opcodes, what):
    _refused(_archive(b"\x80\x02" + opcodes), f"without calling __init__ \\({what}\\)", [make_sub])


def test_weights_only_false_admits_no_more_than_true(tmp_path):
    # PyTorch would import and rebuild any class here; fastnn never runs code a file names
    fastnn.save(nn.Sequential(Unlisted()), tmp_path / "m.pt")
    for weights_only in (False, True, None):
        with pytest.raises(ser.UnsafeCheckpointError, match="weights_only=False does not widen"):
            fastnn.load(tmp_path / "m.pt", weights_only=weights_only)
    with ser.safe_globals([nn.Sequential, Unlisted]):
        assert type(fastnn.load(tmp_path / "m.pt", weights_only=False)[0]) is Unlisted


class CountsLoads:
    loads = 0

    def __setstate__(self, state):
        type(self).loads += 1
        self.__dict__.update(state)


def test_legacy_stream_with_admitted_classes_runs_setstate_once(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    try:  # torch.nn.modules.linear.Linear resolves to fastnn.nn.modules.linear.Linear
        importlib.import_module("fastnn.nn.modules.linear")
    except ImportError:  # a checkout without fastnn.nn.modules: stand in for its re-export
        stand_in = types.ModuleType("fastnn.nn.modules.linear")
        stand_in.Linear = nn.Linear
        monkeypatch.setitem(sys.modules, "fastnn.nn.modules.linear", stand_in)
    obj = {"t": torch.arange(6.0).reshape(2, 3), "c": CountsLoads(), "m": torch.nn.Linear(2, 2)}
    obj["c"].x = 5
    torch.save(obj, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    _refused(tmp_path / "legacy.pt", f"refusing global {__name__}.CountsLoads")
    CountsLoads.loads = 0
    with ser.safe_globals([CountsLoads, nn.Linear]):
        back = fastnn.load(tmp_path / "legacy.pt", weights_only=False)
    assert CountsLoads.loads == 1 and back["c"].x == 5  # the storages were found without running it first
    assert back["t"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert type(back["m"]) is nn.Linear  # PyTorch's ('module', class, source) id: the class, not the source
    assert back["m"].weight.tolist() == obj["m"].weight.tolist()


