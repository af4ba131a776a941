"""Read-only arrays: the kernel API names the argument; the layers above copy and carry on."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import kernels as K


def _ro(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def test_kernels_name_a_read_only_argument(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    with pytest.raises(ValueError, match="x is read-only"):
        K.softmax_forward(_ro(x))
    with pytest.raises(ValueError, match="target is read-only"):
        K.cross_entropy_forward(x, _ro(np.array([0, 1, 2])))
    with pytest.raises(ValueError, match="weight is read-only"):
        K.conv2d_forward(rng.standard_normal((1, 2, 5, 5)), _ro(rng.standard_normal((3, 2, 3, 3))))
    with pytest.raises(ValueError, match="w_hh is read-only"):
        K.gru_forward(rng.standard_normal((2, 1, 3)), np.zeros((1, 4)), rng.standard_normal((12, 3)),
                      _ro(rng.standard_normal((12, 4))), None, None)


def test_layers_accept_read_only_arrays(rng):
    img = fastnn.from_numpy(_ro(rng.standard_normal((2, 3, 8, 8)).astype(np.float32)))
    w = fastnn.from_numpy(_ro(rng.standard_normal((4, 3, 3, 3)).astype(np.float32)))
    want = F.conv2d(fastnn.tensor(img.numpy().copy()), fastnn.tensor(w.numpy().copy()))
    np.testing.assert_array_equal(F.conv2d(img, w).numpy(), want.numpy())
    assert F.max_pool2d(img, 2).shape == (2, 3, 4, 4)
    np.testing.assert_allclose(F.softmax(img, 1).numpy().sum(1), 1, rtol=1e-6)
    logits = fastnn.from_numpy(_ro(rng.standard_normal((5, 3)).astype(np.float32)))
    target = fastnn.from_numpy(_ro(np.array([0, 1, 2, 0, 1])))
    assert np.isfinite(F.cross_entropy(logits, target).item())
    assert F.linear(logits, fastnn.randn(2, 3)).shape == (5, 2)
    seq = fastnn.from_numpy(_ro(rng.standard_normal((5, 2, 3)).astype(np.float32)))
    for cls in (fastnn.nn.LSTM, fastnn.nn.GRU, fastnn.nn.RNN):
        assert cls(3, 4)(seq)[0].shape == (5, 2, 4)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers_take_an_empty_batch(cls):
    """As in PyTorch: batch 0 gives empty outputs and gradients (its backward used to hit a read-only buffer)."""
    layer = getattr(fastnn.nn, cls)(3, 4, num_layers=2, bidirectional=True)
    x = fastnn.zeros(5, 0, 3, requires_grad=True)
    out, _ = layer(x)
    assert out.shape == (5, 0, 8)
    out.sum().backward()
    assert x.grad.shape == (5, 0, 3)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in layer.parameters())
