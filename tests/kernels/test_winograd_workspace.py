"""Winograd's weight gradient keeps its workspace under a cap (conv_winograd.pxi), running over
blocks of input and output channels when the whole layer would not fit; the blocked result
matches the NumPy reference."""
from contextlib import contextmanager

import numpy as np
import pytest

from fastnn.kernels import _conv, reference as R

TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


@contextmanager
def winograd_with_cap(nbytes):
    old_path, old_cap = _conv._set_conv_path("winograd"), _conv._set_winograd_workspace(nbytes)
    try:
        yield
    finally:
        _conv._set_conv_path(old_path)
        _conv._set_winograd_workspace(old_cap)


def test_the_default_cap_bounds_a_large_layer():
    """512 x 512 channels on 16 threads: 387 MiB of float32 workspace unblocked (blocks of 128 tiles),
    at most 64 MB now."""
    assert _conv._wgrad_bytes(512, 512, 16, 4) > 384 << 20
    cb, ob = _conv._wgrad_blocks(512, 512, 16, 4)
    assert cb < 512 or ob < 512
    assert _conv._wgrad_bytes(cb, ob, 16, 4) <= 64 << 20


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cap", [1, 2_000_000, 64 << 20])   # smallest blocks, a few blocks, one block
@pytest.mark.parametrize("cin, cout, padding", [(40, 70, 1), (5, 33, 0), (3, 2, 2)])
def test_blocked_weight_gradient_matches_reference(dtype, cap, cin, cout, padding, rng):
    x = rng.standard_normal((2, cin, 7, 6)).astype(dtype)
    w = rng.standard_normal((cout, cin, 3, 3)).astype(dtype)
    g = rng.standard_normal((2, cout, 7 + 2 * padding - 2, 6 + 2 * padding - 2)).astype(dtype)
    with winograd_with_cap(cap):
        gx, gw, gb = _conv.conv2d_backward(x, w, g, 1, padding)
    want = R.conv2d_backward(x, w, g, 1, padding)
    for got, ref in zip((gx, gw, gb), want):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, ref, **TOL[dtype])


def test_small_caps_do_make_blocks():
    assert _conv._wgrad_blocks(40, 70, 2, 4) == (40, 70)   # fits the default cap
    old = _conv._set_winograd_workspace(1)
    try:
        assert _conv._wgrad_blocks(40, 70, 2, 4) == (1, 32)
    finally:
        _conv._set_winograd_workspace(old)
    with pytest.raises(ValueError, match="nbytes must be positive"):
        _conv._set_winograd_workspace(0)
