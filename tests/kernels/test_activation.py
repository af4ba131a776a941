"""The activation family (csrc/activation.pyx, activations.h): LeakyReLU forward and backward in one pass each,
against the NumPy reference and PyTorch, at lengths on both sides of every vector width, with NaN, signed
zeros and infinities, split over threads, and through F.leaky_relu / nn.LeakyReLU with gradients. Runs on
every vector build (tests/test_vector_builds.py)."""
import numpy as np
import pytest

import fastnn
from fastnn import kernels as K
from fastnn.autograd import gradcheck
from fastnn.kernels import reference as R

torch = pytest.importorskip("torch")

LENGTHS = [0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 100, 1000]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5, 1.5, 0.0])
def test_kernels_match_the_reference_and_pytorch(n, dtype, slope):
    rng = np.random.default_rng(n)
    x, g = rng.standard_normal((2, n)).astype(dtype)
    y, gx = K.leaky_relu_forward(x, slope), K.leaky_relu_backward(x, g, slope)
    assert y.dtype == gx.dtype == dtype and y.shape == gx.shape == (n,)
    np.testing.assert_array_equal(y, R.leaky_relu_forward(x, slope))
    np.testing.assert_array_equal(gx, R.leaky_relu_backward(x, g, slope))
    tx = torch.from_numpy(x).requires_grad_()
    ty = torch.nn.functional.leaky_relu(tx, slope)
    ty.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(gx, tx.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_inf_and_signed_zeros_as_pytorch(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 2.0, -2.0] * 3, dtype)
    g = np.array([1.0, np.nan, 2.0, 3.0, -4.0, 5.0, np.inf, -1.0, 7.0] * 3, dtype)
    tx = torch.from_numpy(x).requires_grad_()
    ty = torch.nn.functional.leaky_relu(tx, 0.2)
    ty.backward(torch.from_numpy(g))
    y, gx = K.leaky_relu_forward(x, 0.2), K.leaky_relu_backward(x, g, 0.2)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(np.signbit(y), np.signbit(ty.detach().numpy()))
    np.testing.assert_array_equal(gx, tx.grad.numpy())


def test_thread_split_gives_the_serial_result_and_small_arrays_stay_on_one_thread():
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((2, 3, 700_001)).astype(np.float32)  # past 2 x 2^18 elements: two threads
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        serial = K.leaky_relu_forward(x, 0.2), K.leaky_relu_backward(x, g, 0.2)
        fastnn.set_num_threads(2)
        split = K.leaky_relu_forward(x, 0.2), K.leaky_relu_backward(x, g, 0.2)
    finally:
        fastnn.set_num_threads(before)
    for a, b in zip(serial, split):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(split[0], R.leaky_relu_forward(x, 0.2))


def test_read_only_and_any_shape():
    x = np.broadcast_to(np.array([[-1.0, 2.0, -3.0]], np.float32), (1, 3))
    assert not x.flags.writeable
    np.testing.assert_array_equal(K.leaky_relu_forward(x, 0.5), [[-0.5, 2.0, -1.5]])
    z = np.zeros((2, 0, 3), np.float64)
    assert K.leaky_relu_forward(z).shape == (2, 0, 3) and K.leaky_relu_backward(z, z).shape == (2, 0, 3)


@pytest.mark.parametrize("call,error,match", [
    (lambda: K.leaky_relu_forward(np.ones(3, np.int64)), TypeError, "x must be float32 or float64"),
    (lambda: K.leaky_relu_forward([1.0, 2.0]), TypeError, "x must be a numpy.ndarray"),
    (lambda: K.leaky_relu_forward(np.ones((4, 4))[:, ::2]), ValueError, "x must be C-contiguous"),
    (lambda: K.leaky_relu_forward(np.ones(3), "0.1"), TypeError, "negative_slope must be a number"),
    (lambda: K.leaky_relu_backward(np.ones(3), np.ones(4)), ValueError, "grad must have the shape of x"),
    (lambda: K.leaky_relu_backward(np.ones(3), np.ones(3, np.float32)), TypeError, "grad must have the dtype of x"),
])
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("dtype", [fastnn.float32, fastnn.float64])
def test_layer_forward_and_gradients_match_pytorch(dtype):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 7, 9)).astype(np.float32 if dtype == fastnn.float32 else np.float64)
    g = rng.standard_normal(a.shape).astype(a.dtype)
    x = fastnn.tensor(a).requires_grad_()
    y = fastnn.nn.LeakyReLU(0.2)(x.transpose(0, 2))  # a non-contiguous input takes a copy, not a wrong read
    y.backward(fastnn.tensor(np.ascontiguousarray(g.transpose(2, 1, 0))))
    tx = torch.from_numpy(a).requires_grad_()
    ty = torch.nn.LeakyReLU(0.2)(tx.transpose(0, 2))
    ty.backward(torch.from_numpy(np.ascontiguousarray(g.transpose(2, 1, 0))))
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_float64_gradcheck():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((6, 5))
    a[np.abs(a) < 1e-3] = 0.5  # away from the kink, where finite differences straddle both branches
    x = fastnn.tensor(a).requires_grad_()
    assert gradcheck(lambda t: fastnn.nn.functional.leaky_relu(t, 0.3), (x,))
