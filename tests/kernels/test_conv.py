"""Compiled convolution, pooling and upsampling kernels against the NumPy reference."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastnn
from fastnn import kernels as K
from fastnn.kernels import _conv, reference as R

from conv_paths import PATHS, conv_path  # every conv2d check runs under each implementation

TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}
DTYPES = [np.float32, np.float64]


@st.composite
def conv_configs(draw, transposed=False):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg = draw(st.integers(1, 3))
    og = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.sampled_from([1, 1, 2, 3])), draw(st.sampled_from([1, 1, 2, 3]))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    n = draw(st.integers(1, 3))
    h = draw(st.integers(1, 9))
    w = draw(st.integers(1, 9))
    if not transposed:
        # the dilated kernel must fit in the padded input
        h = max(h, dh * (kh - 1) + 1 - 2 * ph)
        w = max(w, dw * (kw - 1) + 1 - 2 * pw)
    op = (draw(st.integers(0, max(0, max(sh, dh) - 1))), draw(st.integers(0, max(0, max(sw, dw) - 1))))
    return dict(n=n, groups=groups, cin=cg * groups, cout=og * groups, k=(kh, kw), stride=(sh, sw),
                pad=(ph, pw), dil=(dh, dw), hw=(h, w), op=op, dtype=draw(st.sampled_from(DTYPES)),
                seed=draw(st.integers(0, 2**31)))


def _close(a, b, dtype):
    np.testing.assert_allclose(a, b, **TOL[dtype])


def _check_conv2d(x, w, b, args, dt):
    y_ref = R.conv2d_forward(x, w, b, *args)
    g = np.random.default_rng(0).standard_normal(y_ref.shape).astype(dt)
    grads_ref = R.conv2d_backward(x, w, g, *args)
    for path in PATHS:
        with conv_path(path):
            y = K.conv2d_forward(x, w, b, *args)
            assert y.dtype == dt
            _close(y, y_ref, dt)
            for got, want in zip(K.conv2d_backward(x, w, g, *args), grads_ref):
                assert got.dtype == dt
                _close(got, want, dt)


@settings(max_examples=40, deadline=None)
@given(cfg=conv_configs())
def test_conv2d_matches_reference(cfg):
    rng = np.random.default_rng(cfg["seed"])
    dt = cfg["dtype"]
    x = rng.standard_normal((cfg["n"], cfg["cin"]) + cfg["hw"]).astype(dt)
    w = rng.standard_normal((cfg["cout"], cfg["cin"] // cfg["groups"]) + cfg["k"]).astype(dt)
    b = rng.standard_normal(cfg["cout"]).astype(dt)
    _check_conv2d(x, w, b, (cfg["stride"], cfg["pad"], cfg["dil"], cfg["groups"]), dt)


@settings(max_examples=40, deadline=None)
@given(k=st.tuples(st.integers(0, 3), st.integers(0, 3)), dil=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       hw=st.tuples(st.integers(1, 9), st.integers(1, 9)), pad_h=st.booleans(),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31))
def test_conv2d_same_width_matches_reference(k, dil, hw, pad_h, dtype, seed):
    """Stride 1 with output width = input width takes the shifted-plane im2col/col2im path;
    the height may be 'same' or 'valid', kernels odd, dilated, or 1 wide."""
    kh, kw = 2 * k[0] + 1, 2 * k[1] + 1
    pad = (dil[0] * k[0] if pad_h else 0, dil[1] * k[1])
    h = max(hw[0], dil[0] * (kh - 1) + 1 - 2 * pad[0])
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, h, hw[1])).astype(dtype)
    w = rng.standard_normal((4, 3, kh, kw)).astype(dtype)
    assert K.conv2d_forward(x, w, None, 1, pad, dil).shape[3] == hw[1]
    _check_conv2d(x, w, rng.standard_normal(4).astype(dtype), (1, pad, dil, 1), dtype)

@st.composite
def winograd_configs(draw):
    """3x3 stride-1 convolutions of any size: odd or even, smaller than a tile, N or C of 1."""
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    return dict(n=draw(st.integers(1, 3)), cin=draw(st.integers(1, 5)), cout=draw(st.integers(1, 5)),
                hw=(draw(st.integers(max(1, 3 - 2 * ph), 11)), draw(st.integers(max(1, 3 - 2 * pw), 11))),
                pad=(ph, pw), dtype=draw(st.sampled_from(DTYPES)), seed=draw(st.integers(0, 2**31)))


def _winograd_inputs(cfg):
    rng = np.random.default_rng(cfg["seed"])
    dt = cfg["dtype"]
    x = rng.standard_normal((cfg["n"], cfg["cin"]) + cfg["hw"]).astype(dt)
    w = rng.standard_normal((cfg["cout"], cfg["cin"], 3, 3)).astype(dt)
    b = rng.standard_normal(cfg["cout"]).astype(dt)
    return x, w, b, rng


@settings(max_examples=60, deadline=None)
@given(cfg=winograd_configs())
def test_winograd_passes_match_reference(cfg):
    """The Winograd kernels themselves (no path choice in between) against the reference."""
    x, w, b, rng = _winograd_inputs(cfg)
    dt, (ph, pw) = cfg["dtype"], cfg["pad"]
    y_ref = R.conv2d_forward(x, w, b, 1, cfg["pad"])
    _close(_conv._winograd_conv(x, w, b, ph, pw), y_ref, dt)
    g = rng.standard_normal(y_ref.shape).astype(dt)
    gx_ref, gw_ref, _ = R.conv2d_backward(x, w, g, 1, cfg["pad"])
    _close(_conv._winograd_input_grad(w, g, ph, pw), gx_ref, dt)
    _close(_conv._winograd_weight_grad(x, w, g, ph, pw), gw_ref, dt)


@settings(max_examples=40, deadline=None)
@given(cfg=winograd_configs())
def test_winograd_path_agrees_with_im2col(cfg):
    """Forced through the public entry points, Winograd gives im2col's results to float32 tolerance."""
    x, w, b, rng = _winograd_inputs(cfg)
    g = rng.standard_normal(R.conv2d_forward(x, w, b, 1, cfg["pad"]).shape).astype(cfg["dtype"])
    got = {}
    for path in ("im2col", "winograd"):
        with conv_path(path):
            got[path] = (K.conv2d_forward(x, w, b, 1, cfg["pad"]),) + K.conv2d_backward(x, w, g, 1, cfg["pad"])
    for a, c in zip(got["winograd"], got["im2col"]):
        _close(a, c, np.float32)


@pytest.mark.parametrize("dtype", DTYPES)
def test_winograd_at_the_channels_auto_picks_it(dtype, rng):
    """Channels enough for "auto" to choose Winograd, and more tiles than one block of each pass
    (odd sizes: the last tiles of each row and column are cut)."""
    x = rng.standard_normal((2, 48, 23, 21)).astype(dtype)
    w = (rng.standard_normal((50, 48, 3, 3)) * 0.1).astype(dtype)
    b = rng.standard_normal(50).astype(dtype)
    g = rng.standard_normal((2, 50, 23, 21)).astype(dtype)
    _close(_conv._winograd_conv(x, w, b, 1, 1), R.conv2d_forward(x, w, b, 1, 1), dtype)
    _check_conv2d(x, w, b, (1, 1, 1, 1), dtype)


@settings(max_examples=40, deadline=None)
@given(cfg=conv_configs(transposed=True))
def test_conv_transpose2d_matches_reference(cfg):
    rng = np.random.default_rng(cfg["seed"])
    dt = cfg["dtype"]
    x = rng.standard_normal((cfg["n"], cfg["cin"]) + cfg["hw"]).astype(dt)
    w = rng.standard_normal((cfg["cin"], cfg["cout"] // cfg["groups"]) + cfg["k"]).astype(dt)
    b = rng.standard_normal(cfg["cout"]).astype(dt)
    args = (cfg["stride"], cfg["pad"], cfg["op"], cfg["dil"], cfg["groups"])
    try:
        want = R.conv_transpose2d_forward(x, w, b, *args)
    except ValueError:
        with pytest.raises(ValueError):  # what the reference refuses, the kernel refuses too
            K.conv_transpose2d_forward(x, w, b, *args)
        return
    if min(want.shape[2:]) <= 0:
        with pytest.raises(ValueError):
            K.conv_transpose2d_forward(x, w, b, *args)
        return
    y = K.conv_transpose2d_forward(x, w, b, *args)
    _close(y, want, dt)
    g = rng.standard_normal(y.shape).astype(dt)
    for got, ref in zip(K.conv_transpose2d_backward(x, w, g, *args), R.conv_transpose2d_backward(x, w, g, *args)):
        _close(got, ref, dt)


@pytest.mark.parametrize("path", PATHS)
def test_conv2d_skips_gradients_not_asked_for(rng, path):
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    g = rng.standard_normal((2, 4, 4, 4))
    want = R.conv2d_backward(x, w, g)
    with conv_path(path):
        gx, gw, gb = K.conv2d_backward(x, w, g, 1, 0, 1, 1, True, False, False)
        assert gw is None and gb is None
        np.testing.assert_allclose(gx, want[0], rtol=1e-10)
        gx, gw, gb = K.conv2d_backward(x, w, g, 1, 0, 1, 1, False, True, False)
        assert gx is None and gb is None
        np.testing.assert_allclose(gw, want[1], rtol=1e-10)


def test_conv2d_large_batch_uses_several_chunks(rng):
    """A batch whose im2col would exceed the workspace cap is processed in chunks."""
    x = rng.standard_normal((40, 64, 30, 30)).astype(np.float32)
    w = (rng.standard_normal((8, 64, 3, 3)) * 0.1).astype(np.float32)
    with conv_path("im2col"):
        _check_chunked(x, w, rng)


def _check_chunked(x, w, rng):
    y = K.conv2d_forward(x, w, None, 1, 1)
    _close(y, R.conv2d_forward(x, w, None, 1, 1), np.float32)
    g = rng.standard_normal(y.shape).astype(np.float32)
    for got, want in zip(K.conv2d_backward(x, w, g, 1, 1, 1, 1, True, True, False),
                         R.conv2d_backward(x, w, g, 1, 1, 1, 1, True, True, False)):
        if want is not None:
            _close(got, want, np.float32)


@st.composite
def pool_configs(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h = draw(st.integers(dh * (kh - 1) + 1, 11))
    w = draw(st.integers(dw * (kw - 1) + 1, 11))
    return dict(shape=(draw(st.integers(1, 3)), draw(st.integers(1, 3)), h, w), k=(kh, kw),
                stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))), pad=(ph, pw), dil=(dh, dw),
                ceil=draw(st.booleans()), include=draw(st.booleans()), dtype=draw(st.sampled_from(DTYPES)),
                seed=draw(st.integers(0, 2**31)))


@settings(max_examples=50, deadline=None)
@given(cfg=pool_configs())
def test_max_pool2d_matches_reference(cfg):
    rng = np.random.default_rng(cfg["seed"])
    dt = cfg["dtype"]
    x = rng.standard_normal(cfg["shape"]).astype(dt)
    args = (cfg["k"], cfg["stride"], cfg["pad"], cfg["dil"], cfg["ceil"])
    out, idx = K.max_pool2d_forward(x, *args)
    ref_out, ref_idx = R.max_pool2d_forward(x, *args)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(idx, ref_idx)
    g = rng.standard_normal(out.shape).astype(dt)
    _close(K.max_pool2d_backward(g, idx, x.shape), R.max_pool2d_backward(g, ref_idx, x.shape), dt)


@settings(max_examples=50, deadline=None)
@given(cfg=pool_configs())
def test_avg_pool2d_matches_reference(cfg):
    rng = np.random.default_rng(cfg["seed"])
    dt = cfg["dtype"]
    x = rng.standard_normal(cfg["shape"]).astype(dt)
    args = (cfg["k"], cfg["stride"], cfg["pad"], cfg["ceil"], cfg["include"])
    out = K.avg_pool2d_forward(x, *args)
    _close(out, R.avg_pool2d_forward(x, *args), dt)
    g = rng.standard_normal(out.shape).astype(dt)
    _close(K.avg_pool2d_backward(g, x.shape, *args), R.avg_pool2d_backward(g, x.shape, *args), dt)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("factors", [(1, 1), (2, 2), (3, 1), (2, 4), (1, 2), (3, 3)])
def test_upsample_nearest_matches_reference(dtype, factors, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(dtype)
    y = K.upsample_nearest2d_forward(x, *factors)
    np.testing.assert_array_equal(y, R.upsample_nearest2d_forward(x, *factors))
    g = rng.standard_normal(y.shape).astype(dtype)
    _close(K.upsample_nearest2d_backward(g, *factors), R.upsample_nearest2d_backward(g, *factors), dtype)


def test_reference_conv_is_the_textbook_sum(rng):
    """Guard the oracle: one output pixel computed by an explicit triple sum."""
    x = rng.standard_normal((1, 2, 5, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    y = R.conv2d_forward(x, w, None, 2, 1)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    by_hand = sum(w[1, c, i, j] * xp[0, c, 2 * 1 + i, 2 * 2 + j] for c in range(2) for i in range(3) for j in range(3))
    assert np.isclose(y[0, 1, 1, 2], by_hand)
    assert np.isclose(K.conv2d_forward(x, w, None, 2, 1)[0, 1, 1, 2], by_hand)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool_2x2_every_small_plane_size(dtype, ceil_mode):
    """nn.MaxPool2d(2) on planes of 2..19 rows and columns (the narrow-plane and padded-buffer paths, odd
    sizes whose ceil_mode windows are cut): values, argmax, and the gradient routed by it, against the
    reference; the values are drawn from a few integers with NaN and -inf among them, so that ties (the
    first maximum wins), a NaN (the first NaN wins) and a window of -inf only are common."""
    rng = np.random.default_rng(7)
    for h in range(2, 20):
        for w in range(2, 20):
            x = rng.integers(-2, 3, (2, 3, h, w)).astype(dtype)
            x[rng.random(x.shape) < 0.05] = np.nan
            x[rng.random(x.shape) < 0.1] = -np.inf
            out, idx = K.max_pool2d_forward(x, 2, 2, 0, 1, ceil_mode)
            ref_out, ref_idx = R.max_pool2d_forward(x, 2, 2, 0, 1, ceil_mode)
            np.testing.assert_array_equal(out, ref_out, err_msg=f"{h}x{w}")
            np.testing.assert_array_equal(idx, ref_idx, err_msg=f"{h}x{w}")
            g = rng.standard_normal(out.shape).astype(dtype)
            np.testing.assert_array_equal(K.max_pool2d_backward(g, idx, x.shape),
                                          R.max_pool2d_backward(g, ref_idx, x.shape))


def test_max_pool_backward_rejects_indices_outside_the_plane(rng):
    g = rng.standard_normal((1, 2, 2, 2)).astype(np.float32)
    for bad in (-1, 16):
        idx = np.zeros((1, 2, 2, 2), np.int64)
        idx[0, 1, 1, 0] = bad
        with pytest.raises(IndexError, match=r"indices must lie in \[0, 16\)"):
            K.max_pool2d_backward(g, idx, (1, 2, 4, 4))


def test_max_pool_nan_wins(rng):
    x = rng.standard_normal((1, 1, 4, 4))
    x[0, 0, 1, 1] = np.nan
    out, idx = K.max_pool2d_forward(x, 2)
    assert np.isnan(out[0, 0, 0, 0]) and idx[0, 0, 0, 0] == 5
    assert not np.isnan(out[0, 0, 1, 1])


class TestValidation:
    x = np.zeros((2, 4, 8, 8), np.float32)
    w = np.zeros((6, 4, 3, 3), np.float32)

    def test_rank(self):
        with pytest.raises(ValueError, match="input must be 4-D"):
            K.conv2d_forward(self.x[0], self.w)

    def test_channel_mismatch(self):
        with pytest.raises(ValueError, match="weight expects 3 input channels"):
            K.conv2d_forward(self.x, self.w[:, :3].copy())

    def test_kernel_larger_than_padded_input(self):
        with pytest.raises(ValueError, match="larger than the padded input"):
            K.conv2d_forward(self.x, np.zeros((6, 4, 9, 9), np.float32))
        with pytest.raises(ValueError, match="larger than the padded input"):
            K.max_pool2d_forward(self.x, 9)

    @pytest.mark.parametrize("stride", [0, -1, (1, 0)])
    def test_bad_stride(self, stride):
        with pytest.raises(ValueError, match="stride must be positive"):
            K.conv2d_forward(self.x, self.w, None, stride)

    def test_groups_not_dividing(self):
        with pytest.raises(ValueError, match="groups"):
            K.conv2d_forward(self.x, np.zeros((6, 2, 3, 3), np.float32), None, 1, 0, 1, 3)
        with pytest.raises(ValueError, match="groups must be a positive int"):
            K.conv2d_forward(self.x, self.w, None, 1, 0, 1, 0)

    def test_dtype_mismatch(self):
        with pytest.raises(TypeError, match="weight must have the dtype of input"):
            K.conv2d_forward(self.x, self.w.astype(np.float64))
        with pytest.raises(TypeError, match="input must be float32 or float64"):
            K.conv2d_forward(self.x.astype(np.int64), self.w)

    def test_bias_and_grad_shapes(self):
        with pytest.raises(ValueError, match=r"bias must have shape \(6,\)"):
            K.conv2d_forward(self.x, self.w, np.zeros(5, np.float32))
        with pytest.raises(ValueError, match="grad_out must have shape"):
            K.conv2d_backward(self.x, self.w, np.zeros((2, 6, 5, 5), np.float32))

    def test_negative_padding_and_bad_pool_padding(self):
        with pytest.raises(ValueError, match="padding must be non-negative"):
            K.conv2d_forward(self.x, self.w, None, 1, -1)
        with pytest.raises(ValueError, match="padding .* at most half of kernel_size"):
            K.max_pool2d_forward(self.x, 2, 2, 2)

    def test_bad_pool_indices(self):
        out, idx = K.max_pool2d_forward(self.x, 2)
        idx[0, 0, 0, 0] = 1000
        with pytest.raises(IndexError, match="indices must lie in"):
            K.max_pool2d_backward(out, idx, self.x.shape)

    def test_output_padding(self):
        with pytest.raises(ValueError, match="output_padding"):
            K.conv_transpose2d_forward(self.x, np.zeros((4, 2, 3, 3), np.float32), None, 1, 0, 1)

    def test_upsample_factor(self):
        with pytest.raises(ValueError, match="scale_factor must be positive"):
            K.upsample_nearest2d_forward(self.x, 0, 2)


def test_conv2d_from_several_threads_at_once(rng):
    """Kernels run without the GIL and keep workspaces between calls: threads must not share them."""
    from concurrent.futures import ThreadPoolExecutor
    xs = [rng.standard_normal((8, 6, 20, 20)).astype(np.float32) for _ in range(4)]
    w = rng.standard_normal((5, 6, 3, 3)).astype(np.float32)
    want = [R.conv2d_forward(x, w, None, 1, 1) for x in xs]

    def work(i):
        return [K.conv2d_forward(xs[i], w, None, 1, 1) for _ in range(20)]
    for path in ("im2col", "direct"):
        with conv_path(path), ThreadPoolExecutor(4) as pool:
            for i, outs in enumerate(pool.map(work, range(4))):
                for y in outs:
                    _close(y, want[i], np.float32)


@pytest.mark.parametrize("path", PATHS)
def test_conv2d_nonfinite_input_stays_where_it_belongs(path):
    """An inf in one input channel must not leak NaN into the other channels' weight gradients."""
    x = np.ones((2, 3, 6, 6))
    x[0, 1, 2, 5] = np.inf
    w = np.ones((4, 3, 3, 3))
    g = np.ones((2, 4, 6, 6))
    want = R.conv2d_backward(x, w, g, 1, 1)[1]
    with conv_path(path):
        got = K.conv2d_backward(x, w, g, 1, 1)[1]
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    np.testing.assert_allclose(got[:, [0, 2]], want[:, [0, 2]], rtol=1e-12)


@pytest.mark.parametrize("path", PATHS)
def test_conv2d_nonfinite_weight_matches_reference(path):
    """An inf weight gives the input gradient the reference's inf/NaN pattern, not NaN borders."""
    x = np.ones((2, 3, 6, 6))
    w = np.ones((4, 3, 3, 3))
    w[1, 2, 0, 0] = np.inf
    g = np.ones((2, 4, 6, 6))
    want = R.conv2d_backward(x, w, g, 1, 1)[0]
    with conv_path(path):
        got = K.conv2d_backward(x, w, g, 1, 1)[0]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[np.isfinite(want)], want[np.isfinite(want)])



@pytest.mark.parametrize("path", PATHS)
def test_zero_output_channels(path, rng):
    """PyTorch allows a convolution with no output channels: empty output, zero input gradient."""
    x = rng.standard_normal((2, 4, 5, 5))
    w = np.zeros((0, 4, 3, 3))
    with conv_path(path):
        y = K.conv2d_forward(x, w, np.zeros(0), 1, 1)
        assert y.shape == (2, 0, 5, 5)
        gx, gw, gb = K.conv2d_backward(x, w, y, 1, 1)
    assert gx.shape == x.shape and not gx.any()
    assert gw.shape == w.shape and gb.shape == (0,)
    xt = np.zeros((2, 0, 5, 5))
    yt = K.conv_transpose2d_forward(xt, rng.standard_normal((0, 3, 3, 3)), None, 2, 1)
    np.testing.assert_array_equal(yt, np.zeros((2, 3, 9, 9)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k,stride,pad", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0)])
def test_max_pool_nan_and_ties_in_wide_planes_match_reference(dtype, k, stride, pad):
    """Planes wide enough for every vector build's blended interior loop: NaNs win (the first of a window
    stays, where PyTorch keeps the last), ties keep the first maximum, as the reference and PyTorch."""
    rng = np.random.default_rng(11)
    x = rng.integers(-3, 4, (2, 3, 37, 70)).astype(dtype)   # small integers: many ties
    x[rng.random(x.shape) < 0.01] = np.nan
    out, idx = K.max_pool2d_forward(x, k, stride, pad)
    ref_out, ref_idx = R.max_pool2d_forward(x, k, stride, pad)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(idx, ref_idx)
    torch = pytest.importorskip("torch")
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.from_numpy(x), k, stride, pad, return_indices=True)
    np.testing.assert_array_equal(out, t_out.numpy())
    finite = ~np.isnan(out)
    np.testing.assert_array_equal(idx[finite], t_idx.numpy()[finite])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ceil", [False, True])
def test_max_pool_2x2_windows_with_nan_ties_and_cut_edges_match_reference(dtype, ceil):
    """nn.MaxPool2d(2)'s own path (csrc/maxpool.h, maxpool2x2_plane): its tree of taps picks the tap of
    the reference's row-by-row scan, and ceil_mode's one-column and one-row windows at odd edges too."""
    rng = np.random.default_rng(12)
    for h, w in [(7, 7), (8, 8), (5, 9), (2, 3), (3, 2), (16, 33)]:
        x = rng.integers(-2, 3, (3, 4, h, w)).astype(dtype)   # few values: ties everywhere
        x[rng.random(x.shape) < 0.05] = np.nan
        out, idx = K.max_pool2d_forward(x, 2, 2, 0, 1, ceil)
        ref_out, ref_idx = R.max_pool2d_forward(x, 2, 2, 0, 1, ceil)
        np.testing.assert_array_equal(out, ref_out)
        np.testing.assert_array_equal(idx, ref_idx)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hw, stride, pad, dil", [((9, 7), (2, 2), (1, 1), (1, 1)),
                                                  ((40, 36), (2, 3), (2, 1), (1, 2)),
                                                  ((33, 12), (3, 1), (0, 2), (2, 1))])
def test_strided_im2col_and_col2im_match_reference(dtype, hw, stride, pad, dil, rng):
    """im2col and its adjoint on maps wider than the random-shape tests draw (rows of 16 and more), with
    padding, strides and dilation, in conv2d's passes and conv_transpose2d's."""
    x = rng.standard_normal((3, 4) + hw).astype(dtype)
    w = rng.standard_normal((5, 4, 3, 3)).astype(dtype)
    with conv_path("im2col"):
        _check_conv2d(x, w, None, (stride, pad, dil, 1), dtype)
    wt = rng.standard_normal((4, 5, 3, 3)).astype(dtype)
    args = (stride, pad, (0, 0), dil, 1)
    y = K.conv_transpose2d_forward(x, wt, None, *args)
    _close(y, R.conv_transpose2d_forward(x, wt, None, *args), dtype)
    g = rng.standard_normal(y.shape).astype(dtype)
    for got, want in zip(K.conv_transpose2d_backward(x, wt, g, *args), R.conv_transpose2d_backward(x, wt, g, *args)):
        _close(got, want, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride, pad, groups", [(1, 1, 1), (2, 0, 2)])
def test_per_thread_chunks_match_reference_on_any_thread_count(dtype, stride, pad, groups, rng):
    """Small layers run im2col's passes in chunks of images, each whole on one thread (weight gradients summed
    over the chunks in order): several chunks with a short last one give the reference's result, in conv2d's
    passes and conv_transpose2d's, and the same bits on one and on two threads (the chunks follow from the
    shape alone)."""
    x = rng.standard_normal((5, 4, 9, 8)).astype(dtype)
    w = rng.standard_normal((6, 4 // groups, 3, 3)).astype(dtype)
    args = (stride, pad, 1, groups)
    per_image = (4 // groups) * 9 * ((9 + 2 * pad - 3) // stride + 1) * ((8 + 2 * pad - 3) // stride + 1) * x.itemsize
    y_ref = R.conv2d_forward(x, w, None, *args)
    g = rng.standard_normal(y_ref.shape).astype(dtype)
    gx_ref, gw_ref = R.conv2d_backward(x, w, g, *args)[:2]
    g_t = rng.standard_normal(x.size).astype(dtype)
    before, threads_before = _conv._small_chunk_bytes(2 * per_image), fastnn.get_num_threads()   # chunks: 2, 2, 1
    try:
        results = []
        for threads in (1, 2):
            fastnn.set_num_threads(threads)
            with conv_path("im2col"):
                y = K.conv2d_forward(x, w, None, *args)
                gx = K.conv2d_backward(x, w, g, *args, True, False, False)[0]
                both = K.conv2d_backward(x, w, g, *args)[:2]     # the weight gradient summed over chunks
                wt = w if groups == 1 else None   # conv_transpose2d's weight layout: (in, out / groups, kh, kw)
            _close(y, y_ref, dtype)
            _close(gx, gx_ref, dtype)
            for got, want in zip(both, (gx_ref, gw_ref)):
                _close(got, want, dtype)
            results.append((y, gx) + tuple(both))
            if wt is not None:   # conv_transpose2d: its forward and both gradients are passes of this conv
                targs = (stride, pad, 0, 1, 1)
                yt = K.conv_transpose2d_forward(y_ref, wt, None, *targs)
                _close(yt, R.conv_transpose2d_forward(y_ref, wt, None, *targs), dtype)
                gt = np.resize(g_t, yt.shape).astype(dtype)
                got = K.conv_transpose2d_backward(y_ref, wt, gt, *targs)
                for a, b in zip(got, R.conv_transpose2d_backward(y_ref, wt, gt, *targs)):
                    _close(a, b, dtype)
                results[-1] += (yt,) + tuple(got)
        for a, b in zip(*results):
            np.testing.assert_array_equal(a, b)
    finally:
        _conv._small_chunk_bytes(before)
        fastnn.set_num_threads(threads_before)


@pytest.mark.parametrize("shape", [(4, 16, 32, 33), (2, 3, 120, 100)])
def test_large_float32_bias_gradient_is_summed_natively_and_exactly_enough(shape):
    """Bias gradients of at least 64K values are summed per (image, channel) row in double precision on the
    kernels' threads: within float32 rounding of the float64 sum, for conv2d and conv_transpose2d, and the same
    bits on one thread and on two."""
    rng = np.random.default_rng(5)
    n, c, h, w = shape
    g = (rng.standard_normal(shape) + 3.0).astype(np.float32)   # an offset: cancellation would hide errors
    assert g.size >= 65536   # conv.pyx's BIAS_NATIVE_MIN
    want = g.astype(np.float64).sum(axis=(0, 2, 3))
    x = rng.standard_normal((n, 2, h, w)).astype(np.float32)
    wconv = rng.standard_normal((c, 2, 3, 3)).astype(np.float32)
    before = fastnn.get_num_threads()
    try:
        got = []
        for threads in (1, 2):
            fastnn.set_num_threads(threads)
            got.append(K.conv2d_backward(x, wconv, g, 1, 1, need_input=False, need_weight=False)[2])
    finally:
        fastnn.set_num_threads(before)
    np.testing.assert_array_equal(got[0], got[1])
    assert got[0].dtype == np.float32
    np.testing.assert_allclose(got[0], want, rtol=1e-6)
    # conv_transpose2d: the same rows of its output gradient
    xt = rng.standard_normal((n, 2, h, w)).astype(np.float32)
    wt = rng.standard_normal((2, c, 3, 3)).astype(np.float32)
    gb = K.conv_transpose2d_backward(xt, wt, g, 1, 1, need_input=False, need_weight=False)[2]
    np.testing.assert_allclose(gb, want, rtol=1e-6)
