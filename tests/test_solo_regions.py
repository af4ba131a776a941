"""One-thread OpenMP regions run inline (csrc/soloregion.h): at the top level they skip libgomp's team
(whose end costs two futex system calls), inside another region they still get one, and results match
the threaded runs either way."""
import sys

import numpy as np
import pytest

import fastnn
from fastnn import _runtime
from fastnn.kernels.backend import family

GNU_OPENMP = sys.platform == "linux" and _runtime.openmp_enabled()


@pytest.mark.skipif(not GNU_OPENMP, reason="the wrap of GOMP_parallel is built with GCC's libgomp on Linux only")
def test_the_build_runs_one_thread_regions_inline():
    assert _runtime.solo_regions_inline()
    assert fastnn.config.config()["solo_regions_inline"] is True


@pytest.mark.skipif(not GNU_OPENMP, reason="needs an OpenMP build")
@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_a_top_level_one_thread_region_calls_its_body_directly(n):
    levels, covered = _runtime._one_thread_region_probe(n, 1)
    assert covered == [n]
    if n:  # libgomp's region would report nesting level 1
        assert levels == [0 if _runtime.solo_regions_inline() else 1]


@pytest.mark.skipif(not GNU_OPENMP, reason="needs an OpenMP build")
@pytest.mark.parametrize("callers", [2, 3])
def test_a_nested_one_thread_region_keeps_its_own_team(callers):
    # Inlined inside a team, its worksharing loop would bind to the outer team and each caller would
    # cover only part of the items (measured: 534 and 466 of 1000 with the level check removed).
    levels, covered = _runtime._one_thread_region_probe(1000, callers)
    assert covered == [1000] * callers
    assert levels == [2] * callers


def test_the_probe_rejects_a_bad_caller_count():
    with pytest.raises(ValueError, match="callers"):
        _runtime._one_thread_region_probe(10, 0)


def _kernel_outputs(rng):
    """Kernels whose loops are one-thread regions on one thread and threaded regions on two."""
    linear, softmax = family("linear"), family("softmax")
    x = rng.standard_normal((300, 70)).astype(np.float32)
    w = rng.standard_normal((90, 70)).astype(np.float32)
    b = rng.standard_normal(90).astype(np.float32)
    rows = rng.standard_normal((2000, 129))
    targets = rng.integers(0, 129, 2000)
    loss, logp = softmax.cross_entropy_forward(rows, targets, None, -100, 0.1)
    return [linear.linear_forward(x, w, b), softmax.softmax_forward(rows, 1.0, None, False), loss, logp,
            fastnn.nn.functional.gelu(fastnn.tensor(rows)).numpy(),
            fastnn.nn.functional.layer_norm(fastnn.tensor(rows), (129,)).numpy(),
            fastnn.nn.functional.relu(fastnn.tensor(x)).numpy()]


def test_kernels_on_one_thread_match_two_threads(threads):
    fastnn.set_num_threads(2)
    two = _kernel_outputs(np.random.default_rng(3))
    fastnn.set_num_threads(1)
    one = _kernel_outputs(np.random.default_rng(3))
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
