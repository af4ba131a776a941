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


def test_both_module_forms_run_the_command_line(tmp_path):
    # `python -m fastnn.cli info` printed nothing and exited 0 (no main guard); both forms now run it
    import os
    import subprocess
    import sys
    import fastnn
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__))))
    for module in ("fastnn", "fastnn.cli"):
        done = subprocess.run([sys.executable, "-m", module, "info"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "kernels" in done.stdout and "threads" in done.stdout, (module, done.stdout)


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


def test_bench_reports_gflops_against_the_measured_sgemm_peak(tmp_path, capsys):
    js = tmp_path / "b.json"
    assert main(["bench", "--filter", "linear (4096", "--repeat", "1", "--no-torch", "--no-reference",
                 "--json", str(js)]) == 0
    row, = json.loads(js.read_text())
    # 3 GEMMs of 4096 x 1024 x 1024 (forward, input and weight gradients)
    assert row["gflops"] == pytest.approx(3 * 2 * 4096 * 1024 * 1024 / (row["fastnn_ms"] / 1e3) / 1e9)
    assert row["sgemm_peak_gflops"] > 1 and row["peak_fraction"] == pytest.approx(row["gflops"] / row["sgemm_peak_gflops"])
    out = capsys.readouterr().out
    assert "SGEMM peak (best of large GEMMs" in out and "% of SGEMM peak" in out


def test_bench_keeps_the_better_of_two_peak_probes_and_warns_when_a_case_beats_it(monkeypatch, tmp_path, capsys):
    from fastnn.bench import peak
    probes = iter([0.001, 0.002])  # far below any real speed; a third probe would raise StopIteration
    monkeypatch.setattr(peak, "sgemm_peak_gflops", lambda: next(probes))
    js = tmp_path / "b.json"
    assert main(["bench", "--filter", "autoencoder N=128 8->8 4x4", "--repeat", "1", "--no-torch", "--no-reference",
                 "--json", str(js)]) == 0
    row, = json.loads(js.read_text())
    assert row["sgemm_peak_gflops"] == 0.002 and row["gflops"] > 0.002
    out = capsys.readouterr().out
    assert "WARNING: 1 case(s) beat the SGEMM peak (conv2d autoencoder N=128 8->8 4x4 k3 p1)" in out


def test_bench_table_warns_only_when_a_case_beats_the_peak():
    from fastnn.bench.timing import format_markdown
    row = {"case": "c", "fastnn_ms": 1.0, "gflops": 50.0, "sgemm_peak_gflops": 100.0, "peak_fraction": 0.5}
    assert "WARNING" not in format_markdown([row])
    assert "WARNING: 1 case(s) beat the SGEMM peak (c)" in format_markdown([dict(row, gflops=120.0, peak_fraction=1.2)])


def test_gemm_bound_cases_count_their_arithmetic():
    from fastnn.kernels import registry
    flops = {c.name: c.flops for c in registry.all_cases() if c.flops}
    assert flops["conv2d ResNet N=16 64->64 56x56 k3 p1"] == 3 * 2 * 16 * 64 * 56 * 56 * 64 * 9
    # the autoencoder's valid convolution: 16x16 -> 14x14
    assert flops["conv2d autoencoder N=128 8->16 16x16 k3"] == 3 * 2 * 128 * 16 * 14 * 14 * 8 * 9
    assert flops["lstm fwd+bwd medium (T=50, B=32, I=128, H=256)"] == 3 * 50 * 2 * 32 * 4 * 256 * (128 + 256)
    # two layers, two directions; the second layer reads both directions' outputs (2 x 128)
    assert flops["lstm fwd 2-layer bidirectional (T=50, B=32, I=128, H=128)"] == 2 * 50 * 2 * 32 * 512 * (256 + 384)
    assert flops["attention causal fwd (B=8, H=8, L=256, D=64) full"] == 2 * 8 * 8 * 256 * 256 * 64


def test_bench_rounds_spread_each_case_over_the_run(tmp_path, capsys):
    js = tmp_path / "b.json"
    assert main(["bench", "--filter", "MLP", "--repeat", "1", "--rounds", "2", "--no-torch", "--no-reference",
                 "--json", str(js)]) == 0
    rows = json.loads(js.read_text())
    assert rows and all(r["rounds"] == 2 and r["fastnn_ms"] > 0 for r in rows)
    assert "round 2 of 2" in capsys.readouterr().out


def test_bench_rejects_rounds_below_one(capsys):
    assert main(["bench", "--rounds", "0", "--no-torch"]) == 2
    assert "--rounds and --repeat must be at least 1" in capsys.readouterr().err
