"""`fastnn bench --load N` (busy processes beside the run, gone afterwards) and the public-layer cases."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import fastnn

from fastnn.bench import load
from fastnn.bench.layers import LAYERS
from fastnn.cli import main


def _alive(pid):
    # a killed child that was waited for is gone; an orphan is reaped by init
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _children():
    """Our own live child processes (Linux /proc)."""
    me, found = str(os.getpid()), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if fields[1] == me and fields[0] != "Z":
                found.append(int(entry))
    return found


linux_only = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")


@linux_only
def test_bench_with_load_runs_and_leaves_no_busy_process(monkeypatch, tmp_path, capsys):
    started = []
    real_start = load.start_load
    monkeypatch.setattr(load, "start_load", lambda n: started.extend(real_start(n)) or started)
    js = tmp_path / "b.json"
    assert main(["bench", "--filter", "nn.MaxPool2d(2, ceil_mode=True)", "--repeat", "1", "--no-torch",
                 "--load", "1", "--json", str(js)]) == 0
    row, = json.loads(js.read_text())
    assert row["family"] == "layer" and row["fastnn_ms"] > 0 and row["load"] == 1
    assert "background load: 1 busy-looping process(es)" in capsys.readouterr().out
    assert len(started) == 1 and started[0].poll() is not None
    assert not _alive(started[0].pid) and started[0].pid not in _children()   # other tests may leave workers


def test_load_processes_are_busy_then_killed_also_on_interrupt():
    with pytest.raises(KeyboardInterrupt):
        with load.background_load(2) as procs:
            time.sleep(0.3)
            assert all(p.poll() is None for p in procs)
            cpu = [sum(int(v) for v in open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
                   for p in procs] if os.path.isdir("/proc/self") else [1, 1]
            assert all(c > 0 for c in cpu)   # they burn CPU time
            raise KeyboardInterrupt
    assert all(p.poll() is not None for p in procs)


@linux_only
def test_busy_process_leaves_when_its_parent_dies(tmp_path):
    code = "from fastnn.bench.load import start_load; import os; print(start_load(1)[0].pid, flush=True); os._exit(0)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                             [os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__))), *sys.path])))
    pid = int(out.stdout.split()[-1])
    deadline = time.time() + 10
    while _alive(pid) and time.time() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


@pytest.mark.parametrize("bad", ["-1", "x"])
def test_bench_rejects_a_bad_load(bad, capsys):
    if bad == "x":
        with pytest.raises(SystemExit):
            main(["bench", "--load", bad])
    else:
        assert main(["bench", "--load", bad]) == 2
        assert "--load must be a non-negative number" in capsys.readouterr().err


def test_start_load_rejects_a_bad_count():
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="load must be a non-negative"):
            load.start_load(bad)


CHEAP = ["nn.LSTM fwd+bwd latency (T=100, B=1, I=10, H=20), batch_first",
         "nn.GRU fwd+bwd latency (T=100, B=1, I=10, H=20), seq-first",
         "nn.Conv2d fwd+bwd autoencoder N=128, 8->8, 4x4, k3, p1",
         "nn.ConvTranspose2d fwd+bwd N=64, 8->16, 7x7, k3, s2, p1, op1",
         "nn.MaxPool2d(2, ceil_mode=True) fwd+bwd (128, 8, 7, 7)",
         "nn.Linear fwd+bwd LeNet fc1 (64, 800) -> 500",
         "sparse.mm fwd Cora-sized graph x 16", "sparse.mm fwd+bwd Cora-sized graph x 16",
         "F.softmax fwd+bwd (8, 8, 256, 256), dim -1",
         "F.scaled_dot_product_attention full fwd (8, 8, 256, 64)",
         "F.scaled_dot_product_attention causal fwd+bwd (8, 8, 256, 64)"]


@pytest.mark.parametrize("name", CHEAP)
def test_layer_case_computes_what_pytorch_computes(name):
    pytest.importorskip("torch")
    step, torch_step = dict(LAYERS)[name](True)
    np.testing.assert_allclose(step().numpy(), torch_step().numpy(), rtol=1e-4, atol=1e-5)


def test_every_kernel_family_with_public_layers_has_twins():
    names = [n for n, _ in LAYERS]
    assert len(set(names)) == len(names)
    for layer in ("nn.LSTM", "nn.GRU", "nn.Conv2d", "nn.ConvTranspose2d", "nn.MaxPool2d(2, ceil_mode=True)",
                  "nn.Linear"):
        assert any(n.startswith(layer) for n in names), layer
    assert any("batch_first" in n for n in names) and any("seq-first" in n for n in names)


def test_gemm_bound_layer_cases_count_what_their_kernel_cases_count():
    """The public SDPA, conv, LSTM and Linear cases report GFLOP/s: their arithmetic is the kernel case's
    of the same shape, and every counted name is a real case."""
    from fastnn.bench.layers import FLOPS
    from fastnn.kernels import registry
    names = {n for n, _ in LAYERS}
    assert set(FLOPS) <= names
    kernel = {c.name: c.flops for c in registry.all_cases()}
    pairs = {"F.scaled_dot_product_attention full fwd (8, 8, 1024, 64)": "attention full fwd (B=8, H=8, L=1024, D=64) tiled",
             "F.scaled_dot_product_attention causal fwd+bwd (8, 8, 256, 64)":
                 "attention causal fwd+bwd (B=8, H=8, L=256, D=64) full",
             "nn.Conv2d fwd+bwd ResNet N=16, 64->64, 56x56, k3, p1": "conv2d ResNet N=16 64->64 56x56 k3 p1",
             "nn.LSTM fwd+bwd medium (T=50, B=32, I=128, H=256), batch_first": "lstm fwd+bwd medium (T=50, B=32, I=128, H=256)",
             "nn.Linear fwd+bwd (4096, 1024) -> 1024": "linear (4096, 1024) -> 1024"}
    for layer, case in pairs.items():
        assert FLOPS[layer] == kernel[case], layer
    assert all(any(n.startswith(p) and n in FLOPS for n in names)
               for p in ("F.scaled_dot_product_attention", "nn.Conv2d", "nn.LSTM", "nn.GRU", "nn.Linear"))
