"""Layers take strided and transposed tensors (views) and give what they give on a contiguous copy."""
import numpy as np
import pytest

import fastnn
from fastnn import nn


def _pair(shape, perm, rng):
    base = rng.standard_normal(shape).astype(np.float32)
    view = fastnn.tensor(base).permute(*perm)
    assert not view.numpy().flags.c_contiguous
    return view, fastnn.tensor(np.ascontiguousarray(view.numpy()))


@pytest.mark.parametrize("make,shape,perm", [
    (lambda: nn.Conv2d(3, 4, 3, padding=1), (2, 7, 6, 3), (0, 3, 1, 2)),
    (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2), (2, 5, 5, 3), (0, 3, 2, 1)),
    (lambda: nn.MaxPool2d(2), (2, 6, 6, 3), (0, 3, 1, 2)),
    (lambda: nn.LSTM(5, 4), (2, 6, 5), (1, 0, 2)),
    (lambda: nn.GRU(5, 4, bidirectional=True), (2, 6, 5), (1, 0, 2)),
    (lambda: nn.RNN(5, 4), (2, 6, 5), (1, 0, 2)),
    (lambda: nn.Linear(6, 3), (6, 4), (1, 0)),
], ids=["conv2d", "conv_transpose2d", "max_pool2d", "lstm", "gru", "rnn", "linear"])
def test_views_match_contiguous_copies_forward_and_backward(make, shape, perm):
    rng = np.random.default_rng(0)
    fastnn.manual_seed(0)
    layer = make()
    view, copy = _pair(shape, perm, rng)
    results = []
    for x in (view, copy):
        x = x.detach().requires_grad_()
        out = layer(x)
        out = out[0] if isinstance(out, tuple) else out
        out.sum().backward()
        results.append((out.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6, atol=1e-6)
