"""ReLU's backward selects the gradient where the output is positive or NaN, as PyTorch's does: an inactive unit
gets 0 even for an infinite or NaN incoming gradient (a product g * (y > 0) gave NaN there)."""
import numpy as np
import pytest

import fastnn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spell", ["relu", "F.relu", "nn.ReLU", "Tensor.relu"])
def test_relu_gradient_matches_pytorch_on_non_finite_values(dtype, spell):
    x = np.array([-1.0, 0.0, 2.0, np.nan, -3.0, 4.0, -0.0], dtype)
    g = np.array([np.inf, np.nan, 1.0, 5.0, np.nan, -np.inf, 7.0], dtype)
    fx = fastnn.tensor(x).requires_grad_()
    call = {"relu": fastnn.relu, "F.relu": fastnn.nn.functional.relu, "nn.ReLU": fastnn.nn.ReLU(),
            "Tensor.relu": lambda t: t.relu()}[spell]
    y = call(fx)
    y.backward(fastnn.tensor(g))
    tx = torch.from_numpy(x).requires_grad_()
    ty = torch.relu(tx)
    ty.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(fx.grad.numpy(), tx.grad.numpy())
    assert fx.grad.dtype == fastnn.tensor(x).dtype


def test_relu_gradient_passes_finite_values_through():
    x = np.random.default_rng(0).standard_normal((5, 7))
    assert fastnn.autograd.gradcheck(fastnn.relu, (fastnn.tensor(x + np.sign(x) * 0.1).requires_grad_(),))
