"""The `fastnn` command: info, zoo, bench."""
import json

import pytest

from fastnn.cli import main


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for key in ("version", "kernels", "openmp", "threads", "blas"):
        assert key in out
    assert "softmax" in out


def test_zoo_quick_prints_a_results_table(capsys):
    assert main(["zoo", "perceptron", "mlp", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "Perceptron" in out and "MLP" in out and "test accuracy" in out


def test_zoo_plot_writes_pngs(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["zoo", "perceptron", "mlp", "--quick", "--plot", str(tmp_path)]) == 0
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["mlp_loss.png", "perceptron_errors.png"]
    assert all((tmp_path / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)


def test_zoo_unknown_model(capsys):
    assert main(["zoo", "nosuchmodel"]) == 2
    assert "unknown zoo model" in capsys.readouterr().err


def test_bench_writes_json_and_markdown(tmp_path, capsys):
    js, md = tmp_path / "b.json", tmp_path / "b.md"
    assert main(["bench", "--filter", "MLP", "--repeat", "1", "--no-torch", "--json", str(js), "--markdown", str(md)]) == 0
    rows = json.loads(js.read_text())
    assert rows and rows[0]["fastnn_ms"] > 0
    assert "| case |" in md.read_text()
