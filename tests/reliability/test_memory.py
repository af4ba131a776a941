"""Resident memory stays flat over long training: no tape, workspace or cache grows with the step count."""
import json
import subprocess
import sys
import textwrap

import pytest

# Trains one model for `steps` steps and prints its resident set size (MB) every `every` steps.
CHILD = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import fastnn
    from fastnn import nn
    from fastnn.models import LeNet, CharLM, MLP
    kind, steps, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(0)
    fastnn.manual_seed(0)
    if kind == "mlp":
        model, x, y = MLP(4, (16,), 3), rng.standard_normal((32, 4)).astype(np.float32), rng.integers(0, 3, 32)
    elif kind == "lenet":
        model, x, y = LeNet(), rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)
    else:
        model, x, y = CharLM(65, 32, 256), rng.integers(0, 65, (32, 100)), rng.integers(0, 65, (32, 100))
    x, y = fastnn.tensor(x), fastnn.tensor(y)
    opt = fastnn.optim.Adam(model.parameters(), lr=1e-3)
    page = os.sysconf("SC_PAGE_SIZE")
    rss = []
    for step in range(1, steps + 1):
        opt.zero_grad()
        out = model(x)
        out = out[0] if isinstance(out, tuple) else out
        loss = nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()
        with fastnn.no_grad():
            model(x)  # evaluation between steps records nothing
        if step % every == 0:
            with open("/proc/self/statm") as f:
                rss.append(int(f.read().split()[1]) * page / 2**20)
    print(json.dumps(rss))
""")


def _rss_curve(kind, steps, every, tmp_path):
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(steps), str(every)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=1800)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _assert_flat(curve, allowed_mb):
    """After the first fifth (warm-up: workspaces, allocator pools), memory grows by less than allowed_mb."""
    settled = curve[max(1, len(curve) // 5):]
    growth = max(settled) - settled[0]
    assert growth < allowed_mb, f"resident memory grew {growth:.1f} MB after warm-up: {[round(v) for v in curve]}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
@pytest.mark.parametrize("kind,steps,every,allowed", [("mlp", 2000, 100, 2), ("lenet", 200, 20, 8),
                                                      ("lstm", 60, 6, 8)])
def test_memory_stays_flat(kind, steps, every, allowed, tmp_path):
    _assert_flat(_rss_curve(kind, steps, every, tmp_path), allowed)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
@pytest.mark.parametrize("kind,steps,allowed", [("mlp", 10000, 2), ("lenet", 2000, 8), ("lstm", 500, 8)])
def test_memory_stays_flat_over_long_runs(kind, steps, allowed, tmp_path):
    curve = _rss_curve(kind, steps, 100, tmp_path)
    print(kind, [round(v, 1) for v in curve])
    _assert_flat(curve, allowed)
