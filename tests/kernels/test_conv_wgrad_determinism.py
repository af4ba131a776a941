"""The weight gradient of conv2d has the same bits on every call with the same inputs and thread count.

Its passes claim work dynamically on the pool's threads; the partial sums used to be kept per claiming
thread, so which thread took which images changed the last bits from call to call (each case below failed
this test on two threads before runs of tasks got their own sums, conv_parts.pxi's _claim_run). Each
implementation that sums over images is checked: im2col on the panel engine, direct, Winograd."""
import numpy as np
import pytest

import fastnn
from fastnn import kernels as K

from conv_paths import conv_path

# (path, x shape, weight shape, padding): each shape takes the named implementation's weight gradient
CASES = [
    ("im2col", (64, 6, 14, 14), (16, 6, 5, 5), 0),      # LeNet's second layer: the panel weight gradient
    ("direct", (128, 1, 28, 28), (16, 1, 3, 3), 1),     # a conv autoencoder's first layer
    ("direct", (128, 16, 14, 14), (8, 16, 3, 3), 1),
    ("winograd", (32, 16, 28, 28), (16, 16, 3, 3), 1),
]


@pytest.mark.parametrize("path,x_shape,w_shape,pad", CASES)
def test_weight_grad_is_the_same_on_every_call(threads, path, x_shape, w_shape, pad):
    fastnn.set_num_threads(2)   # (the `threads` fixture puts the count back)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    with conv_path(path):
        g = rng.standard_normal(K.conv2d_forward(x, w, None, 1, pad).shape).astype(np.float32)
        first = K.conv2d_backward(x, w, g, 1, pad)[1]
        for _ in range(30):
            again = K.conv2d_backward(x, w, g, 1, pad)[1]
            assert np.array_equal(again, first), f"max difference {np.abs(again - first).max()}"
