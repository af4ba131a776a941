"""Benchmarks are pytest-benchmark suites: `pytest bench --benchmark-enable`.

Each registry case is timed three ways in one run — compiled fastnn kernels,
the NumPy reference and PyTorch (when importable) — grouped by case so the
report shows them side by side.
"""
import numpy as np
import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.benchmark)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
