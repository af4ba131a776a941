"""Thread control and build information."""
import pytest
from threadpoolctl import threadpool_info

import fastnn
from fastnn import _runtime


def test_set_num_threads_governs_openmp_and_blas():
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        assert fastnn.get_num_threads() == 1
        if _runtime.openmp_enabled():
            assert _runtime.openmp_threads() == 1
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)
    finally:
        fastnn.set_num_threads(before)
    assert fastnn.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_set_num_threads_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="n must be a positive int"):
        fastnn.set_num_threads(bad)


def test_show_config(capsys):
    fastnn.show_config()
    out = capsys.readouterr().out
    assert fastnn.__version__ in out and "openmp" in out


def test_config_lists_compiled_families():
    cfg = fastnn.config.config()
    assert "softmax" in cfg["kernels"]
    assert cfg["threads"] >= 1


IDLE_PROBE = """
import os, time
import numpy as np
import fastnn
import fastnn.nn.functional as F
leftover = [v for v in ("GOMP_SPINCOUNT", "OPENBLAS_THREAD_TIMEOUT") if v in os.environ]
x = fastnn.randn(512, 512)
w = fastnn.randn(512, 512)
img = fastnn.randn(16, 16, 32, 32)
k = fastnn.randn(16, 16, 3, 3)
for _ in range(3):
    F.linear(x, w)
    F.conv2d(img, k, padding=1)
time.sleep(0.01)
start = time.process_time()
time.sleep(0.2)
print(leftover, time.process_time() - start)
"""


def test_idle_thread_pools_release_the_cores_and_leave_the_environment_alone(tmp_path):
    # Spinning BLAS/OpenMP threads after our calls would slow whatever the user runs next.
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OPENBLAS_THREAD_TIMEOUT")}
    # from an empty folder: from the checkout, `import fastnn` would find the uncompiled sources
    out = subprocess.run([sys.executable, "-c", IDLE_PROBE], env=env, capture_output=True, text=True, check=True,
                         cwd=tmp_path)
    leftover, cpu_seconds = out.stdout.rsplit(" ", 1)
    assert leftover == "[]"
    assert float(cpu_seconds) < 0.05, f"idle threads used {float(cpu_seconds):.3f} s of CPU during a 0.2 s sleep"
