"""The compiled conv/pool kernels and their NumPy reference accept the same argument forms:
an int or a pair of ints (the Python layer normalises everything else)."""
import numpy as np
import pytest

from fastnn import kernels as K
from fastnn.kernels import reference as R

BACKENDS = [pytest.param(K, id="compiled"), pytest.param(R, id="reference")]


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 2))


@pytest.mark.parametrize("k", BACKENDS)
def test_int_and_pair_mean_the_same(k, data):
    x, w = data
    np.testing.assert_array_equal(k.conv2d_forward(x, w, None, 2, 1, 1),
                                  k.conv2d_forward(x, w, None, (2, 2), [1, 1], (1, 1)))
    np.testing.assert_array_equal(k.max_pool2d_forward(x, 2)[0], k.max_pool2d_forward(x, (2, 2), [2, 2])[0])
    np.testing.assert_array_equal(k.avg_pool2d_forward(x, 3, 1, 1), k.avg_pool2d_forward(x, [3, 3], (1, 1), (1, 1)))


@pytest.mark.parametrize("k", BACKENDS)
@pytest.mark.parametrize("bad", [[2], (2, 2, 2), ()])
def test_other_lengths_are_rejected(k, data, bad):
    x, w = data
    with pytest.raises(ValueError, match="stride"):
        k.conv2d_forward(x, w, None, bad)
    with pytest.raises(ValueError, match="kernel_size"):
        k.max_pool2d_forward(x, bad)
    with pytest.raises(ValueError, match="output_padding"):
        k.conv_transpose2d_forward(x, w.transpose(1, 0, 2, 3).copy(), None, 2, 0, bad)


def test_compiled_rejects_non_integers(data):
    x, w = data
    for bad in (2.0, (1, 1.5), "2"):
        with pytest.raises(TypeError, match="stride"):
            K.conv2d_forward(x, w, None, bad)
    with pytest.raises(ValueError, match="padding"):
        K.conv2d_forward(x, w, None, 1, -1)
    with pytest.raises(ValueError, match="dilation"):
        K.conv2d_forward(x, w, None, 1, 0, (1, 0))
