"""PyTorch's own checkpoints (torch.save's zip archive and its legacy stream) load without torch (issue 22).

The files are written here by torch; the loading runs in a child process that asserts torch was
never imported. The child compares every tensor and value with what torch saved (flattened to an
.npz and a JSON of the plain values) and runs modules loaded from the state dicts against torch's
outputs.
"""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _flatten(obj, prefix, arrays, plain):
    if isinstance(obj, torch.Tensor):
        t = obj.detach()
        arrays[prefix] = (t.float() if t.dtype in (torch.bfloat16, torch.float16) else t).numpy()
    elif isinstance(obj, dict):
        plain[prefix + "#keys"] = [str(k) for k in obj]
        for k, v in obj.items():
            _flatten(v, f"{prefix}/{k}", arrays, plain)
    elif isinstance(obj, (list, tuple)):
        plain[prefix + "#len"] = len(obj)
        for i, v in enumerate(obj):
            _flatten(v, f"{prefix}/{i}", arrays, plain)
    else:
        plain[prefix] = obj


def _checkpoints():
    """name -> object to torch.save: module state dicts, optimizer state, dtypes, views, sharing."""
    g = torch.manual_seed(0)
    lin, conv = torch.nn.Linear(5, 3), torch.nn.Conv2d(2, 4, 3, padding=1)
    lstm = torch.nn.LSTM(4, 6, num_layers=2, batch_first=True)
    opt = torch.optim.Adam(lin.parameters(), lr=0.01)
    lin(torch.randn(2, 5, generator=g)).sum().backward()
    opt.step()
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    dtypes = {str(dt).split(".")[1]: (torch.randn(3, 2, generator=g) * 50).to(dt)
              for dt in (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
                         torch.int16, torch.int8, torch.uint8, torch.bool)}
    return {
        "linear": lin.state_dict(), "conv": conv.state_dict(), "lstm": lstm.state_dict(),
        "nested": {"model": lin.state_dict(), "optim": opt.state_dict(), "epoch": 3, "loss": 0.125,
                   "name": "run", "flags": [True, None], "shape": (2, 3), "ints": {1: 2}},
        "dtypes": dtypes,
        "views": {"t": base.t(), "tail": base.view(-1)[7:], "row": base[2], "col": base[:, 4],
                  "scalar": base[1, 1], "empty": base[:0], "step": base[::2, ::3], "whole": base},
        "params": {"p": torch.nn.Parameter(torch.ones(3)), "g": torch.ones(2, requires_grad=True)},
    }


CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import fastnn, fastnn.nn as nn

    folder = sys.argv[1]
    ref = np.load(f"{folder}/ref.npz")
    plain = json.load(open(f"{folder}/plain.json"))

    def flatten(obj, prefix, arrays, values):
        if isinstance(obj, fastnn.Tensor):
            arrays[prefix] = obj
        elif isinstance(obj, dict):
            values[prefix + "#keys"] = [str(k) for k in obj]
            for k, v in obj.items():
                flatten(v, f"{prefix}/{k}", arrays, values)
        elif isinstance(obj, (list, tuple)):
            values[prefix + "#len"] = len(obj)
            for i, v in enumerate(obj):
                flatten(v, f"{prefix}/{i}", arrays, values)
        else:
            values[prefix] = obj

    loaded, arrays, values = {}, {}, {}
    for name in ("linear", "conv", "lstm", "nested", "dtypes", "views", "params"):
        loaded[name] = fastnn.load(f"{folder}/{name}.pt")
        flatten(loaded[name], name, arrays, values)
    assert sorted(arrays) == sorted(k for k in ref.files if not k.startswith(("out.", "in."))), sorted(arrays)
    for key, t in arrays.items():
        want = ref[key]
        got = t.detach().numpy()
        assert got.shape == want.shape, (key, got.shape, want.shape)
        np.testing.assert_array_equal(got, want, err_msg=key)
        assert got.flags.writeable, key
    assert values == plain, (values, plain)

    views = loaded["views"]
    # contiguous views of one storage share memory, as in PyTorch
    assert np.shares_memory(views["tail"]._data, views["whole"]._data)
    assert np.shares_memory(views["row"]._data, views["whole"]._data)
    assert isinstance(loaded["params"]["p"], nn.Parameter) and loaded["params"]["p"].requires_grad
    assert loaded["params"]["g"].requires_grad
    assert loaded["dtypes"]["bfloat16"].dtype == fastnn.float32

    lin = nn.Linear(5, 3); lin.load_state_dict(loaded["linear"])
    conv = nn.Conv2d(2, 4, 3, padding=1); conv.load_state_dict(loaded["conv"])
    lstm = nn.LSTM(4, 6, num_layers=2, batch_first=True); lstm.load_state_dict(loaded["lstm"])
    with fastnn.no_grad():
        outs = {"out.linear": lin(fastnn.tensor(ref["in.linear"])), "out.conv": conv(fastnn.tensor(ref["in.conv"])),
                "out.lstm": lstm(fastnn.tensor(ref["in.lstm"]))[0]}
    for key, out in outs.items():
        np.testing.assert_allclose(out.numpy(), ref[key], rtol=1e-5, atol=1e-5, err_msg=key)
    assert "torch" not in sys.modules and not any(m.startswith("torch.") for m in sys.modules)
    print("ok", len(arrays))
""")


@pytest.mark.parametrize("layout", ["zip", "legacy"])
def test_torch_save_files_load_equal_without_torch(tmp_path, layout):
    checkpoints = _checkpoints()
    arrays, plain = {}, {}
    for name, obj in checkpoints.items():
        torch.save(obj, tmp_path / f"{name}.pt", _use_new_zipfile_serialization=layout == "zip")
        _flatten(obj, name, arrays, plain)
    rng = np.random.default_rng(1)
    inputs = {"linear": rng.standard_normal((2, 5)), "conv": rng.standard_normal((1, 2, 5, 5)),
              "lstm": rng.standard_normal((2, 3, 4))}
    lin, conv, lstm = torch.nn.Linear(5, 3), torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.LSTM(4, 6, 2, batch_first=True)
    for name, module in (("linear", lin), ("conv", conv), ("lstm", lstm)):
        module.load_state_dict(checkpoints[name])
        x = inputs[name].astype(np.float32)
        arrays[f"in.{name}"] = x
        with torch.no_grad():
            out = module(torch.from_numpy(x))
        arrays[f"out.{name}"] = (out[0] if name == "lstm" else out).numpy()
    np.savez(tmp_path / "ref.npz", **arrays)
    (tmp_path / "plain.json").write_text(json.dumps(plain))
    # cwd: `python -c` puts the working folder first on sys.path, where a checkout's unbuilt sources
    # would shadow the installed fastnn
    run = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("ok")
