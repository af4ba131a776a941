"""Every kernel entry point of the conv, rnn, linear, softmax, dropout and optim families reads its
inputs through const memoryviews: read-only arrays (a flag cleared, a full-shape np.broadcast_to
view, a read-only np.memmap) are taken as they are and give the NumPy reference's answer."""

import numpy as np
import pytest

from fastnn import kernels as K
from fastnn.kernels import reference as R

from conv_paths import conv_path

F64 = np.float64
FREEZES = ["flag", "broadcast", "memmap"]


def _freeze(a, how, tmp_path):
    """A read-only array equal to a, made the way `how` says."""
    if how == "flag":
        a = a.copy()
        a.setflags(write=False)
        return a
    if how == "broadcast":
        return np.broadcast_to(a, a.shape)
    path = tmp_path / f"a{len(list(tmp_path.iterdir()))}.bin"
    a.tofile(path)
    return np.memmap(path, dtype=a.dtype, mode="r", shape=a.shape)


def _frozen_args(args, how, tmp_path, keep=()):
    out = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) and i not in keep:
            a = _freeze(a, how, tmp_path)
            assert not a.flags.writeable and a.flags.c_contiguous
        out.append(a)
    return out


def _same(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w)
    elif want is None:
        assert got is None
    else:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def _check(name, args, how, tmp_path, **kwargs):
    """The compiled kernel on read-only copies of every array argument against the reference."""
    want = getattr(R, name)(*args, **kwargs)
    got = getattr(K, name)(*_frozen_args(args, how, tmp_path), **kwargs)
    _same(got, want)


def _r(rng, *shape):
    return rng.standard_normal(shape)


# ------------------------------------------------------------------------------------ conv family

@pytest.mark.parametrize("how", FREEZES)
@pytest.mark.parametrize("path", ["im2col", "direct", "scatter", "winograd"])
def test_conv2d(how, path, rng, tmp_path):
    x, w, b, g = _r(rng, 2, 3, 6, 6), _r(rng, 4, 3, 3, 3), _r(rng, 4), _r(rng, 2, 4, 6, 6)
    with conv_path(path):
        _check("conv2d_forward", (x, w, b, 1, 1), how, tmp_path)
        _check("conv2d_backward", (x, w, g, 1, 1), how, tmp_path)


@pytest.mark.parametrize("how", FREEZES)
def test_conv_transpose2d(how, rng, tmp_path):
    x, w, b, g = _r(rng, 2, 3, 4, 4), _r(rng, 3, 2, 3, 3), _r(rng, 2), _r(rng, 2, 2, 9, 9)
    _check("conv_transpose2d_forward", (x, w, b, 2, 0), how, tmp_path)
    _check("conv_transpose2d_backward", (x, w, g, 2, 0), how, tmp_path)


@pytest.mark.parametrize("how", FREEZES)
def test_pooling_and_upsampling(how, rng, tmp_path):
    x = _r(rng, 2, 3, 6, 6)
    _check("max_pool2d_forward", (x, 2), how, tmp_path)
    out, idx = K.max_pool2d_forward(x, 2)
    _check("max_pool2d_backward", (_r(rng, *out.shape), idx, x.shape), how, tmp_path)
    _check("avg_pool2d_forward", (x, 3, 2, 1), how, tmp_path)
    _check("avg_pool2d_backward", (_r(rng, 2, 3, 3, 3), x.shape, 3, 2, 1), how, tmp_path)
    _check("upsample_nearest2d_forward", (x, 2, 3), how, tmp_path)
    _check("upsample_nearest2d_backward", (_r(rng, 2, 3, 12, 18), 2, 3), how, tmp_path)


# ------------------------------------------------------------------------------------- rnn family

T, B, I, H = 3, 2, 3, 4


def _weights(rng, G):
    return _r(rng, G * H, I), _r(rng, G * H, H), _r(rng, G * H), _r(rng, G * H)


@pytest.mark.parametrize("how", FREEZES)
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm(how, reverse, rng, tmp_path):
    x, h0, c0 = _r(rng, T, B, I), _r(rng, B, H), _r(rng, B, H)
    w_ih, w_hh, b_ih, b_hh = _weights(rng, 4)
    _check("lstm_forward", (x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse), how, tmp_path)
    out, _, _, gates, cells = K.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
    args = (x, h0, c0, w_ih, w_hh, out, gates, cells, _r(rng, T, B, H), _r(rng, B, H), _r(rng, B, H), reverse)
    _check("lstm_backward", args, how, tmp_path)


@pytest.mark.parametrize("how", FREEZES)
@pytest.mark.parametrize("reverse", [False, True])
def test_gru(how, reverse, rng, tmp_path):
    x, h0 = _r(rng, T, B, I), _r(rng, B, H)
    w_ih, w_hh, b_ih, b_hh = _weights(rng, 3)
    _check("gru_forward", (x, h0, w_ih, w_hh, b_ih, b_hh, reverse), how, tmp_path)
    out, _, gates = K.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)
    _check("gru_backward", (x, h0, w_ih, w_hh, out, gates, _r(rng, T, B, H), _r(rng, B, H), reverse), how, tmp_path)


@pytest.mark.parametrize("how", FREEZES)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn(how, nonlinearity, rng, tmp_path):
    x, h0 = _r(rng, T, B, I), _r(rng, B, H)
    w_ih, w_hh, b_ih, b_hh = _weights(rng, 1)
    _check("rnn_forward", (x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity), how, tmp_path)
    out, _ = K.rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity)
    _check("rnn_backward", (x, h0, w_ih, w_hh, out, _r(rng, T, B, H), _r(rng, B, H), nonlinearity), how, tmp_path)


@pytest.mark.parametrize("how", FREEZES)
def test_cells(how, rng, tmp_path):
    x, h, c = _r(rng, B, I), _r(rng, B, H), _r(rng, B, H)
    w4, w3, w1 = _weights(rng, 4), _weights(rng, 3), _weights(rng, 1)
    _check("lstm_cell_forward", (x, h, c, *w4), how, tmp_path)
    h1, c1, gates = K.lstm_cell_forward(x, h, c, *w4)
    _check("lstm_cell_backward", (x, h, c, *w4[:2], h1, gates, c1, _r(rng, B, H), _r(rng, B, H)), how, tmp_path)
    _check("gru_cell_forward", (x, h, *w3), how, tmp_path)
    h1, gates = K.gru_cell_forward(x, h, *w3)
    _check("gru_cell_backward", (x, h, *w3[:2], h1, gates, _r(rng, B, H)), how, tmp_path)
    _check("rnn_cell_forward", (x, h, *w1), how, tmp_path)
    h1 = K.rnn_cell_forward(x, h, *w1)
    _check("rnn_cell_backward", (x, h, *w1[:2], h1, _r(rng, B, H)), how, tmp_path)


# ------------------------------------------------------------------------- linear and softmax

@pytest.mark.parametrize("how", FREEZES)
def test_linear_and_embedding(how, rng, tmp_path):
    x, w, b, g = _r(rng, 5, 3), _r(rng, 4, 3), _r(rng, 4), _r(rng, 5, 4)
    _check("linear_forward", (x, w, b), how, tmp_path)
    _check("linear_backward", (x, w, g), how, tmp_path)
    _check("embedding_backward", (np.array([0, 2, 2, 5, 1]), _r(rng, 5, 3), 6), how, tmp_path)


@pytest.mark.parametrize("how", FREEZES)
def test_softmax_and_cross_entropy(how, rng, tmp_path):
    x, g = _r(rng, 6, 5), _r(rng, 6, 5)
    _check("softmax_forward", (x, 0.5, _r(rng, 3, 5)), how, tmp_path)
    _check("softmax_forward", (x, 1.0, rng.random((2, 5)) < 0.8, True), how, tmp_path)
    y = K.softmax_forward(x)
    _check("softmax_backward", (y, g, 0.5), how, tmp_path)
    target, weight = np.array([0, 4, -100, 2, 1, 3]), rng.random(5) + 0.5
    _check("cross_entropy_forward", (x, target, weight, -100, 0.1), how, tmp_path)
    _, logp = K.cross_entropy_forward(x, target, weight, -100, 0.1)
    _check("cross_entropy_backward", (logp, target, _r(rng, 6), weight, -100, 0.1), how, tmp_path)


# ----------------------------------------------------------------------------- dropout and optim

@pytest.mark.parametrize("how", FREEZES)
def test_dropout(how, rng, tmp_path):
    _check("dropout_mask_apply", (_r(rng, 4, 50), 0.3, 12345), how, tmp_path)


@pytest.mark.parametrize("how", FREEZES)
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_reads_a_read_only_gradient(how, amsgrad, rng, tmp_path):
    p, g, m, v = _r(rng, 40), _r(rng, 40), _r(rng, 40), rng.random(40)
    vmax = rng.random(40) if amsgrad else None
    state = [a.copy() for a in (p, m, v)] + [None if vmax is None else vmax.copy()]
    R.adam_step(*state[:1], g, *state[1:], 3, 1e-2, 0.9, 0.999, 1e-8, 0.1, True, False)
    frozen_g = _frozen_args((g,), how, tmp_path)[0]
    K.adam_step(p, frozen_g, m, v, vmax, 3, 1e-2, 0.9, 0.999, 1e-8, 0.1, True, False)
    for got, want in zip((p, m, v, vmax), state):
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("how", FREEZES)
def test_sgd_reads_a_read_only_gradient(how, rng, tmp_path):
    p, g, buf = _r(rng, 40), _r(rng, 40), _r(rng, 40)
    want_p, want_buf = p.copy(), buf.copy()
    R.sgd_step(want_p, g, want_buf, 0.1, 0.9, 0.1, 0.01, True, False, False)
    K.sgd_step(p, _frozen_args((g,), how, tmp_path)[0], buf, 0.1, 0.9, 0.1, 0.01, True, False, False)
    np.testing.assert_allclose(p, want_p, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(buf, want_buf, rtol=1e-12, atol=1e-12)


def test_optimizer_state_it_updates_must_be_writeable(rng):
    p, g, m, v = (_r(rng, 8) for _ in range(4))
    ro = _freeze(p, "flag", None)
    with pytest.raises(ValueError, match="param is read-only"):
        K.adam_step(ro, g, m, v, None, 1, 1e-3, 0.9, 0.999, 1e-8)
    with pytest.raises(ValueError, match="exp_avg_sq is read-only"):
        K.adam_step(p, g, m, _freeze(v, "flag", None), None, 1, 1e-3, 0.9, 0.999, 1e-8)
    with pytest.raises(ValueError, match="momentum_buffer is read-only"):
        K.sgd_step(p, g, _freeze(m, "flag", None), 0.1, 0.9)


def test_a_strided_broadcast_is_refused_by_name(rng):
    """A true broadcast (zero strides) is not C-contiguous: the kernel says so (the layers copy it)."""
    row = _r(rng, 5)
    with pytest.raises(ValueError, match="x must be C-contiguous"):
        K.softmax_forward(np.broadcast_to(row, (4, 5)))
