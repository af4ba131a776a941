"""Thread control and build information."""
import pytest
from threadpoolctl import threadpool_info

import fastnn
from fastnn.kernels import _runtime


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
