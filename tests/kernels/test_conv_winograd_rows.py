"""Winograd's tile transforms run over segments of tile rows (winograd.h) and its blocks of tiles are
claimed by whichever thread asks first (conv_winograd.pxi): rows wider than a block, blocks that
start mid-row and mid-image, odd sizes and every padding against the NumPy reference; inf and NaN
inputs, which the kernels detect on their outputs, against the reference's pattern."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastnn
from fastnn import kernels as K
from fastnn.kernels import _conv, reference as R

from conv_paths import conv_path

TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), cin=st.integers(1, 9), cout=st.integers(1, 40), h=st.integers(1, 9),
       w=st.integers(1, 300), ph=st.integers(0, 2), pw=st.integers(0, 2),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**31))
def test_winograd_rows_match_reference(n, cin, cout, h, w, ph, pw, dtype, seed):
    """Widths up to 300 (150 tiles a row: a row spans several forward blocks of 64 tiles and
    weight-gradient blocks of 128), output channels past one group of 16 and not a multiple of it."""
    h, w = max(h, 3 - 2 * ph), max(w, 3 - 2 * pw)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cin, h, w)).astype(dtype)
    wt = rng.standard_normal((cout, cin, 3, 3)).astype(dtype)
    b = rng.standard_normal(cout).astype(dtype)
    y = R.conv2d_forward(x, wt, b, 1, (ph, pw))
    g = rng.standard_normal(y.shape).astype(dtype)
    gx, gw, _ = R.conv2d_backward(x, wt, g, 1, (ph, pw))
    np.testing.assert_allclose(_conv._winograd_conv(x, wt, b, ph, pw), y, **TOL[dtype])
    np.testing.assert_allclose(_conv._winograd_input_grad(wt, g, ph, pw), gx, **TOL[dtype])
    np.testing.assert_allclose(_conv._winograd_weight_grad(x, wt, g, ph, pw), gw, **TOL[dtype])


def test_forward_does_not_depend_on_the_thread_count(rng):
    """Blocks are claimed dynamically; each is computed the same way whoever runs it, so the
    output is bitwise the same on one thread and on several (a block skipped or run on another
    part's workspace would not be)."""
    x = rng.standard_normal((3, 16, 37, 45)).astype(np.float32)
    w = rng.standard_normal((20, 16, 3, 3)).astype(np.float32)
    old = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        one = _conv._winograd_conv(x, w, None, 1, 1)
        fastnn.set_num_threads(max(2, old))
        many = _conv._winograd_conv(x, w, None, 1, 1)
    finally:
        fastnn.set_num_threads(old)
    np.testing.assert_array_equal(one, many)


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_nonfinite_input_is_left_to_the_other_paths(value, rng):
    """The Winograd passes report an inf or NaN input by returning None; through the public entry
    points the result then has the reference's pattern of inf and NaN and its finite values."""
    x = rng.standard_normal((2, 3, 8, 9))
    w = rng.standard_normal((4, 3, 3, 3))
    g = rng.standard_normal((2, 4, 8, 9))
    x_bad = x.copy()
    x_bad[1, 2, 3, 4] = value
    g_bad = g.copy()
    g_bad[0, 1, 5, 2] = value
    assert _conv._winograd_conv(x_bad, w, None, 1, 1) is None
    assert _conv._winograd_input_grad(w, g_bad, 1, 1) is None
    assert _conv._winograd_weight_grad(x_bad, w, g, 1, 1) is None
    assert _conv._winograd_weight_grad(x, w, g_bad, 1, 1) is None
    for xx, gg in ((x_bad, g), (x, g_bad)):
        want = (R.conv2d_forward(xx, w, None, 1, 1),) + tuple(R.conv2d_backward(xx, w, gg, 1, 1)[:2])
        with conv_path("winograd"):
            got = (K.conv2d_forward(xx, w, None, 1, 1),) + tuple(K.conv2d_backward(xx, w, gg, 1, 1)[:2])
        for a, b in zip(got, want):
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
            np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
            np.testing.assert_allclose(a[np.isfinite(b)], b[np.isfinite(b)], rtol=1e-10, atol=1e-10)
