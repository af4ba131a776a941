"""Benchmarks are pytest-benchmark suites: `pytest bench --benchmark-enable`.

Each registry case is timed three ways in one run — compiled fastnn kernels,
the NumPy reference and PyTorch (when importable) — grouped by case so the
report shows them side by side.
"""
import time

import numpy as np
import pytest

from fastnn.bench.timing import SETTLE_SECONDS


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.benchmark)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def settle():
    """Each benchmark starts SETTLE_SECONDS after the last one ended: an OpenMP runtime (PyTorch's above all)
    keeps its idle workers spinning for milliseconds after its last parallel region, which would fall on
    the first rounds of whichever case runs next (see fastnn.bench.timing)."""
    time.sleep(SETTLE_SECONDS)
    yield
