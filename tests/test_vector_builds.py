"""The baseline (SSE2) and AVX2 builds of the vectorised kernels, which wheels fall back to
on older CPUs, pass the kernel tests too: FASTNN_CPU_LEVEL caps the build a process uses."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fastnn import _runtime

BUILDS = ("baseline", "avx2", "avx512")
NATIVE = BUILDS.index(_runtime.vector_build())
KERNEL_TESTS = Path(__file__).parent / "kernels"
# files whose code paths do not depend on the vector build (argument checks, the registry sweep, thread and
# read-only plumbing): the native run covers them, and leaving them out halves this test's time
NOT_VECTOR_DEPENDENT = ("test_registry.py", "test_blas_threads.py", "test_readonly_inputs.py", "test_error_paths.py",
                        "test_conv_arguments.py", "test_gemm_split.py")


@pytest.mark.parametrize("level", [0, 1])
def test_kernel_tests_pass_on_the_lower_vector_builds(level, tmp_path):
    if level >= NATIVE:
        pytest.skip(f"this CPU runs the {BUILDS[NATIVE]} build; the {BUILDS[level]} one is covered by the main run")
    env = dict(os.environ, FASTNN_CPU_LEVEL=str(level))
    # run from an empty folder: from the checkout, `import fastnn` would find the uncompiled sources
    probe = subprocess.run([sys.executable, "-c", "import fastnn._runtime as r; print(r.vector_build())"],
                           env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert probe.stdout.strip() == BUILDS[level]
    ignores = [f"--ignore={KERNEL_TESTS / name}" for name in NOT_VECTOR_DEPENDENT]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *ignores, str(KERNEL_TESTS)],
                         env=env, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
