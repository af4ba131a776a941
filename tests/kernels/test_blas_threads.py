"""No kernel changes the process's BLAS thread count.

OpenBLAS's per-thread switch (openblas_set_num_threads_local) is process-wide in the build
SciPy ships: a kernel that flips it from its OpenMP workers leaves every later BLAS call in
the process on one thread. Every registry case of every family runs here on 2 threads, and
the BLAS thread counts threadpoolctl reports must be what they were before.
"""
import numpy as np
import pytest
from threadpoolctl import threadpool_info

import fastnn
from fastnn import kernels
from fastnn.kernels import registry


def _blas_threads():
    return {(i["filepath"], i["internal_api"]): i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


@pytest.fixture
def two_threads():
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(2)
    yield
    fastnn.set_num_threads(previous)


def test_every_registry_case_leaves_the_blas_thread_count_alone(two_threads):
    before = _blas_threads()
    assert before, "threadpoolctl finds no BLAS"
    changed = []
    for case in registry.all_cases():
        case.run(kernels, case.make_inputs(np.random.default_rng(0)))
        now = _blas_threads()
        if now != before:
            changed.append(f"{case.name}: {now}")
            fastnn.set_num_threads(2)  # so that the next case is judged on its own
    assert not changed, f"BLAS thread counts were {before}; changed after:\n" + "\n".join(changed)
