"""`fastnn bench` times PyTorch in a process of its own, set up as a PyTorch user's would be."""
import json
import os

import pytest

pytest.importorskip("torch", reason="the PyTorch side of the bench needs torch (CI installs it)")

from fastnn.bench.torch_side import TorchSide  # noqa: E402
from fastnn.cli import main  # noqa: E402


def test_pytorch_runs_in_a_child_with_its_own_defaults():
    with TorchSide(1) as side:
        info = side.describe()
    assert info["pid"] != os.getpid()
    assert info["process_tuning"] is False   # fastnn's idle-thread policy would slow PyTorch's loops
    assert info["threads"] == 1 and info["torch"]


def test_child_times_a_named_case_and_reports_unknown_ones():
    with TorchSide(1) as side:
        assert side.prepare("layer", "nn.MaxPool2d(2, ceil_mode=True) fwd+bwd (128, 8, 7, 7)") is True
        loops = side.loops_for(1, 0.01)
        assert loops >= 1 and 0 < side.sample(loops) < 1.0
        with pytest.raises(RuntimeError, match="no such case"):
            side.prepare("layer", "no such case")
        # the child survives a bad request
        assert side.prepare("model", "MLP 4-16-3 training step, batch 32") is True


def test_child_imports_the_parents_fastnn_from_any_working_directory(tmp_path, monkeypatch):
    # a folder with a `fastnn` package that is not ours: the child must not pick it up
    fake = tmp_path / "fastnn"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('the wrong fastnn')\n")
    monkeypatch.chdir(tmp_path)
    with TorchSide(1) as side:
        assert side.prepare("model", "MLP 4-16-3 training step, batch 32") is True


def test_child_ends_with_the_bench():
    side = TorchSide(1)
    side.close()
    assert side._proc.poll() is not None


def test_bench_rows_carry_pytorch_times_from_the_child(tmp_path):
    js = tmp_path / "b.json"
    assert main(["bench", "--filter", "nn.MaxPool2d(2, ceil_mode=True)", "--repeat", "1", "--json", str(js)]) == 0
    row, = json.loads(js.read_text())
    assert row["torch_ms"] > 0 and row["fastnn_ms"] > 0
    assert row["speedup_vs_torch"] > 0
