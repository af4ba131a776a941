"""The full float32 sum (activation family's sum_float32, behind Tensor.sum() of large tensors) against an
exact sum, and what Tensor.sum() gives against PyTorch."""
import math

import numpy as np
import pytest
import torch

import fastnn
from fastnn import kernels as K
from fastnn.kernels import reference as R
from fastnn.autograd.native import sum as native_sum

# around the block size (65536) and the vector width (16): every remainder path
SIZES = [0, 1, 15, 16, 17, 1000, 65535, 65536, 65537, 3 * 65536 + 5, 1 << 20]


@pytest.mark.parametrize("n", SIZES)
def test_sum_is_the_exact_sum_rounded_once(n):
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32) * 3
    exact = math.fsum(x.astype(np.float64))
    got = K.sum_float32(x)
    assert got.dtype == np.float32 and got.shape == ()
    # summed in double: within a few float32 units of the exact sum (NumPy's float32 sum may be further off)
    assert abs(float(got) - exact) <= 2 * np.spacing(np.float32(abs(exact)) + np.float32(1e-30))
    np.testing.assert_allclose(got, R.sum_float32(x), rtol=1e-6, atol=1e-6)


def test_sum_of_shaped_arrays_and_non_finite_values():
    x = np.ones((4, 64, 1031), np.float32)
    assert float(K.sum_float32(x)) == x.size
    x[1, 2, 3] = np.inf
    assert float(K.sum_float32(x)) == np.inf
    x[2, 3, 4] = -np.inf
    assert np.isnan(K.sum_float32(x))
    y = np.ones(200_000, np.float32)
    y[-1] = np.nan
    assert np.isnan(K.sum_float32(y))


def test_sum_rejects_what_it_cannot_read():
    with pytest.raises(TypeError, match="C-contiguous float32"):
        K.sum_float32(np.ones(10, np.float64))
    with pytest.raises(TypeError, match="C-contiguous float32"):
        K.sum_float32(np.ones((10, 10), np.float32).T)
    with pytest.raises(TypeError, match="C-contiguous float32"):
        K.sum_float32([1.0, 2.0])


def test_the_same_bits_on_one_and_two_threads():
    x = np.random.default_rng(5).standard_normal((7, 65536 + 3)).astype(np.float32)
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        one = K.sum_float32(x)
        fastnn.set_num_threads(2)
        two = K.sum_float32(x)
    finally:
        fastnn.set_num_threads(before)
    assert one.tobytes() == two.tobytes()


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_tensor_sum_of_a_large_tensor_matches_pytorch(keepdim, reduction):
    assert 8 * 8 * 64 * 64 >= native_sum.NATIVE_SUM_MIN  # the native path, not NumPy's
    a = np.random.default_rng(6).standard_normal((8, 8, 64, 64)).astype(np.float32)
    x, tx = fastnn.tensor(a).requires_grad_(True), torch.tensor(a, requires_grad=True)
    s = getattr(x, reduction)(dim=(0, 1, 2, 3), keepdim=keepdim)
    ts = getattr(tx, reduction)(dim=(0, 1, 2, 3), keepdim=keepdim)
    assert tuple(s.shape) == tuple(ts.shape) and s.dtype == fastnn.float32
    assert type(s._data) is np.ndarray and s._data.dtype == np.float32
    np.testing.assert_allclose(s.detach().numpy(), ts.detach().numpy(), rtol=1e-5)
    (s * 2).sum().backward()
    (ts * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
