"""Scripts written here in the style of PyTorch's official examples (tests/examples/scripts) run unchanged under
`fastnn as-torch`, and their result moves as PyTorch's does on the same script."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fastnn

# the folder holding the fastnn under test (the checkout, or site-packages for an installed wheel)
FASTNN_HOME = str(Path(fastnn.__file__).resolve().parents[1])

SCRIPTS = Path(__file__).parent / "scripts"
ROOT = Path(__file__).resolve().parents[2]

# metric -> (higher is better, how far fastnn may trail PyTorch)
METRICS = {"accuracy": (True, 0.1), "loss_ratio": (False, 0.15), "steps_ratio": (False, 0.25),
           "distance_ratio": (False, 0.25)}


def _run(cmd, cwd):
    env = dict(os.environ, PYTHONPATH=FASTNN_HOME + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    found = re.findall(r"^RESULT (\w+) ([-+\d.eE]+)$", proc.stdout, re.M)
    assert found, f"no RESULT line in:\n{proc.stdout[-2000:]}"
    return found[-1][0], float(found[-1][1])


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.py")))
def test_script_runs_on_fastnn_like_on_pytorch(script, tmp_path):
    metric, ours = _run([sys.executable, "-m", "fastnn.torch_alias", str(SCRIPTS / script)], tmp_path)
    higher_better, slack = METRICS[metric]
    try:
        import torch  # noqa: F401
    except ImportError:
        theirs = None
    else:
        _, theirs = _run([sys.executable, str(SCRIPTS / script)], tmp_path)
    if higher_better:
        assert ours >= 0.8, f"{script}: {metric} {ours} (PyTorch: {theirs})"
        if theirs is not None:
            assert ours >= theirs - slack, f"{script}: {metric} {ours} against PyTorch's {theirs}"
    else:
        assert ours < 1.0, f"{script}: {metric} {ours} did not improve (PyTorch: {theirs})"
        if theirs is not None:
            assert ours <= max(theirs * 1.5, theirs + slack), f"{script}: {metric} {ours} against PyTorch's {theirs}"
