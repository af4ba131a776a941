"""The im2col weight gradient in blocks of images on the panel micro-kernel (conv_wgrad_panel.pxi),
taken by ungrouped layers with K >= 64 im2col rows and at least 16 output channels: strides,
dilations, paddings, output channels that do not fill a panel, blocks of several images with a
partial last one, against the NumPy reference in float32 and float64."""
import numpy as np
from hypothesis import given, settings, strategies as st

from fastnn import kernels as K
from fastnn.kernels import reference as R

from conv_paths import conv_path

TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 9), cin=st.integers(8, 12), cout=st.integers(16, 70), k=st.integers(3, 4),
       stride=st.integers(1, 3), dil=st.integers(1, 2), pad=st.integers(0, 2), h=st.integers(0, 10),
       w=st.integers(0, 10), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**31))
def test_panel_weight_grad_matches_reference(n, cin, cout, k, stride, dil, pad, h, w, dtype, seed):
    """Every example takes the panel path (K <= 192 rows, at most 144 pixels: one image's im2col
    fits the block); the larger ones make blocks of 2 to 4 images."""
    reach = dil * (k - 1) + 1 - 2 * pad
    h, w = max(h, reach, 1), max(w, reach, 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cin, h, w)).astype(dtype)
    wt = rng.standard_normal((cout, cin, k, k)).astype(dtype)
    args = (stride, pad, dil, 1)
    g = rng.standard_normal(R.conv2d_forward(x, wt, None, *args).shape).astype(dtype)
    want = R.conv2d_backward(x, wt, g, *args)
    for path in ("im2col", "auto"):
        with conv_path(path):
            gx, gw, gb = K.conv2d_backward(x, wt, g, *args)
        np.testing.assert_allclose(gw, want[1], **TOL[dtype])
        np.testing.assert_allclose(gx, want[0], **TOL[dtype])
        np.testing.assert_allclose(gb, want[2], **TOL[dtype])


def test_lenet2_weight_grad_matches_reference(rng):
    """LeNet's second layer, the shape the rule was measured on: 500 im2col rows, 50 outputs."""
    x = rng.standard_normal((13, 20, 12, 12)).astype(np.float32)
    w = (rng.standard_normal((50, 20, 5, 5)) * 0.1).astype(np.float32)
    g = rng.standard_normal((13, 50, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(K.conv2d_backward(x, w, g, 1, 0, 1, 1, False, True, False)[1],
                               R.conv2d_backward(x, w, g, 1, 0)[1], **TOL[np.float32])


def test_padding_wider_than_the_image(rng):
    """A 1x1 image under padding 2 and dilation 2: every tap but the centre is shifted past the
    plane. Its im2col rows once zeroed the next image's column (the panel path writes image after
    image into one block, so that value was never written again)."""
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((3, 8, 1, 1)).astype(dtype)
        w = rng.standard_normal((16, 8, 3, 3)).astype(dtype)
        g = rng.standard_normal((3, 16, 1, 1)).astype(dtype)
        want = R.conv2d_backward(x, w, g, 1, 2, 2)
        for path in ("im2col", "auto"):
            with conv_path(path):
                np.testing.assert_allclose(K.conv2d_forward(x, w, None, 1, 2, 2), R.conv2d_forward(x, w, None, 1, 2, 2),
                                           **TOL[dtype])
                for got, ref in zip(K.conv2d_backward(x, w, g, 1, 2, 2), want):
                    np.testing.assert_allclose(got, ref, **TOL[dtype])
