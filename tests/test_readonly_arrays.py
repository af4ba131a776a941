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


def test_kernels_take_read_only_inputs(rng):
    """The kernels read inputs through const memoryviews (tests/kernels/test_readonly_inputs.py
    checks every entry point against the reference)."""
    x = rng.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(K.softmax_forward(_ro(x)), K.softmax_forward(x))
    loss, _ = K.cross_entropy_forward(x, _ro(np.array([0, 1, 2])))
    np.testing.assert_array_equal(loss, K.cross_entropy_forward(x, np.array([0, 1, 2]))[0])
    with pytest.raises(ValueError, match="param is read-only"):
        K.sgd_step(_ro(x), x, None, 0.1)


def _conv_layer(t):
    fastnn.manual_seed(0)   # the same layer for the read-only and the writeable input
    return fastnn.nn.Conv2d(3, 4, 3, padding=1)(t)


def _spy(monkeypatch, family_name, kernel):
    """Record the arrays the autograd layer hands to a kernel."""
    from fastnn.kernels.backend import family
    ns = family(family_name)
    seen, real = [], getattr(ns, kernel)

    def spy(*args, **kwargs):
        seen.extend(a for a in args if isinstance(a, np.ndarray))
        return real(*args, **kwargs)
    monkeypatch.setattr(ns, kernel, spy)
    return seen


@pytest.mark.parametrize("family_name, kernel, call", [
    ("conv", "conv2d_forward", _conv_layer),
    ("conv", "max_pool2d_forward", lambda t: F.max_pool2d(t, 2)),
    ("conv", "avg_pool2d_forward", lambda t: F.avg_pool2d(t, 2)),
    ("conv", "upsample_nearest2d_forward", lambda t: F.interpolate(t, scale_factor=2)),
    ("softmax", "softmax_forward", lambda t: F.softmax(t, -1)),
    ("dropout", "dropout_mask_apply", lambda t: F.dropout(t, 0.5, training=True)),
])
def test_layers_hand_read_only_images_to_the_kernels_without_a_copy(monkeypatch, tmp_path, rng, family_name,
                                                                    kernel, call):
    img = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    img.tofile(tmp_path / "img.bin")
    ro = np.memmap(tmp_path / "img.bin", dtype=np.float32, mode="r", shape=img.shape)
    seen = _spy(monkeypatch, family_name, kernel)
    out = call(fastnn.from_numpy(ro))
    assert any(np.shares_memory(a, ro) for a in seen), "the read-only input was copied"
    want = call(fastnn.tensor(img.copy()))
    if kernel != "dropout_mask_apply":   # (a fresh seed per call)
        np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_linear_and_lstm_use_read_only_inputs_in_place(monkeypatch, rng):
    x = _ro(rng.standard_normal((5, 2, 3)).astype(np.float32))
    seen = _spy(monkeypatch, "rnn", "lstm_forward")
    fastnn.nn.LSTM(3, 4)(fastnn.from_numpy(x))
    assert any(np.shares_memory(a, x) for a in seen)
    seen = _spy(monkeypatch, "linear", "linear_forward")
    fastnn.nn.Linear(3, 2)(fastnn.from_numpy(x))
    assert any(np.shares_memory(a, x) for a in seen)


def test_a_broadcast_input_gives_the_dense_answer(rng):
    """np.broadcast_to with zero strides is not C-contiguous: the layers copy it and carry on."""
    row = rng.standard_normal(3).astype(np.float32)
    layer = fastnn.nn.Linear(3, 2)
    got = layer(fastnn.from_numpy(np.broadcast_to(row, (4, 3)))).detach().numpy()
    np.testing.assert_allclose(got, layer(fastnn.tensor(np.tile(row, (4, 1)))).detach().numpy(), rtol=1e-6)


def test_training_step_on_read_only_data(rng):
    x = fastnn.from_numpy(_ro(rng.standard_normal((4, 1, 8, 8)).astype(np.float32)))
    y = fastnn.from_numpy(_ro(np.array([0, 1, 2, 1])))
    model = fastnn.nn.Sequential(fastnn.nn.Conv2d(1, 2, 3), fastnn.nn.ReLU(), fastnn.nn.Flatten(),
                                 fastnn.nn.Linear(72, 3))
    opt = fastnn.optim.Adam(model.parameters(), lr=1e-2)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    F.cross_entropy(model(x), y).backward()
    opt.step()
    assert all(not np.array_equal(b, p.detach().numpy()) for b, p in zip(before, model.parameters()))


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
