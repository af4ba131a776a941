"""Run ddp_worker.py (or a snippet) under mpiexec from a test, with a timeout; skip when MPI is absent."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fastnn.distributed import is_available
from fastnn.distributed.run import find_mpiexec

HERE = Path(__file__).resolve().parent
WORKER = HERE / "ddp_worker.py"


def require_mpi():
    if not is_available():
        pytest.skip('mpi4py or an MPI library is not installed (pip install "fastnn[distributed]")')
    if find_mpiexec() is None:
        pytest.skip("mpiexec is not installed beside Python nor on PATH (pip install mpich)")


def mpiexec(n, *args, timeout=60, env=None, cwd=None):
    """(returncode, stdout, stderr, seconds) of `mpiexec -n n python args...`; fails the test on a hang."""
    require_mpi()
    full_env = dict(os.environ, OMP_NUM_THREADS="1", **(env or {}))
    start = time.perf_counter()
    try:
        done = subprocess.run([find_mpiexec(), "-n", str(n), sys.executable, *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, env=full_env, cwd=cwd)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"mpiexec -n {n} {args} still running after {timeout} s:\n{err.stdout}\n{err.stderr}")
    return done.returncode, done.stdout, done.stderr, time.perf_counter() - start
