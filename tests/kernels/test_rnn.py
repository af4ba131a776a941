"""Compiled RNN / LSTM / GRU sequence and cell kernels against the NumPy reference."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastnn import kernels as K
from fastnn.kernels import reference as R

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-11)}
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _scaled_tol(dtype, want):
    # a gradient summed over B*T terms carries rounding in proportion to its largest terms, not
    # to each element: relu states grow to ~100 over 5 steps at H = 70
    tol = dict(TOL[dtype])
    tol["atol"] *= max(1.0, float(np.abs(want).max(initial=0)))
    return tol


@st.composite
def configs(draw):
    # B up to past two micro-tiles of rows (6 or 8) with a remainder; H past two panels of
    # hidden units (8 to 32 wide) with a partial last one, and large enough for two threads.
    return dict(kind=draw(st.sampled_from(sorted(GATES))), T=draw(st.sampled_from([1, 2, 5])),
                B=draw(st.sampled_from([1, 3, 4, 7, 13, 19])), I=draw(st.integers(1, 9)),
                H=draw(st.sampled_from([1, 5, 13, 16, 37, 70])),
                dtype=draw(st.sampled_from([np.float32, np.float64])), reverse=draw(st.booleans()),
                bias=draw(st.booleans()), final_grads=draw(st.booleans()), seed=draw(st.integers(0, 2**31)))


def _arrays(cfg):
    rng = np.random.default_rng(cfg["seed"])
    T, B, I, H, dt = cfg["T"], cfg["B"], cfg["I"], cfg["H"], cfg["dtype"]
    G = GATES[cfg["kind"]]

    def a(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(dt)
    # the recurrent weight shrinks past H = 13 so that the states stay O(1), where float32 sums
    # in a different order agree to the tolerance
    w = [a(G * H, I, scale=0.5), a(G * H, H, scale=0.5 * min(1.0, (13 / H) ** 0.5))]
    w += [a(G * H), a(G * H)] if cfg["bias"] else [None, None]
    return dict(x=a(T, B, I), h0=a(B, H), c0=a(B, H), w=w, go=a(T, B, H),
                ghn=a(B, H) if cfg["final_grads"] else None, gcn=a(B, H) if cfg["final_grads"] else None)


def _sequence(k, cfg, v):
    """Forward outputs and all backward gradients of one kernel module."""
    kind, rev = cfg["kind"], cfg["reverse"]
    x, h0, c0, w = v["x"], v["h0"], v["c0"], v["w"]
    if kind == "lstm":
        out, hn, cn, gates, cells = k.lstm_forward(x, h0, c0, *w, reverse=rev)
        grads = k.lstm_backward(x, h0, c0, w[0], w[1], out, gates, cells, v["go"], v["ghn"], v["gcn"], reverse=rev)
        return (out, hn, cn, gates, cells), grads
    if kind == "gru":
        out, hn, gates = k.gru_forward(x, h0, *w, reverse=rev)
        grads = k.gru_backward(x, h0, w[0], w[1], out, gates, v["go"], v["ghn"], reverse=rev)
        return (out, hn, gates), grads
    nl = kind[4:]
    out, hn = k.rnn_forward(x, h0, *w, nonlinearity=nl, reverse=rev)
    grads = k.rnn_backward(x, h0, w[0], w[1], out, v["go"], v["ghn"], nonlinearity=nl, reverse=rev)
    return (out, hn), grads


@settings(max_examples=80, deadline=None)
@given(cfg=configs())
def test_sequence_kernels_match_reference(cfg):
    v = _arrays(cfg)
    got_fwd, got_grads = _sequence(K, cfg, v)
    want_fwd, want_grads = _sequence(R, cfg, v)
    assert len(got_grads) == len(want_grads) == (7 if cfg["kind"] == "lstm" else 6)
    for got, want in zip(got_fwd + tuple(got_grads), want_fwd + tuple(want_grads)):
        assert got.dtype == cfg["dtype"] and got.shape == want.shape
        np.testing.assert_allclose(got, want, **_scaled_tol(cfg["dtype"], want))


def _assert_sequence_matches_reference(cfg):
    """The kernels' forward results and gradients over a whole sequence against the NumPy reference's."""
    v = _arrays(cfg)
    got_fwd, got_grads = _sequence(K, cfg, v)
    want_fwd, want_grads = _sequence(R, cfg, v)
    for got, want in zip(got_fwd + tuple(got_grads), want_fwd + tuple(want_grads)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, **_scaled_tol(cfg["dtype"], want))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("I", [0, 45])
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_steps_with_no_input_or_a_wide_one_match_reference(I, dtype, reverse):
    # The LSTM's steps add their input's part themselves (no input features: the recurrent part alone), and
    # its backward blocks each stack a share of x's columns for the weight gradients: 45 columns over
    # 3 blocks of hidden units leave a short last share on the AVX-512 build's 32-wide panels.
    cfg = dict(kind="lstm", T=5, B=9, I=I, H=70, dtype=dtype, reverse=reverse, bias=True, final_grads=True, seed=11)
    _assert_sequence_matches_reference(cfg)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_weight_gradients_over_more_rows_than_one_engine_block_match_reference(dtype, reverse):
    # On the AVX-512 build the float32 backward writes [x | h_prev] in the engine's packed layout: 256-row blocks
    # of 32-wide panels. 31 steps of 9 rows put one step across the first block's end, and 45 + 70 columns
    # leave a short last panel and 70 hidden units a short last block.
    cfg = dict(kind="lstm", T=31, B=9, I=45, H=70, dtype=dtype, reverse=reverse, bias=True, final_grads=True, seed=5)
    _assert_sequence_matches_reference(cfg)


@settings(max_examples=40, deadline=None)
@given(cfg=configs().filter(lambda c: c["kind"] == "lstm"))
def test_batch_first_lstm_matches_the_reference_and_the_sequence_first_kernel(cfg):
    # batch first, the kernels read x and grad_output and write output and grad_x as (B, T, .) in place;
    # the forward is the same arithmetic row by row (equal to the sequence-first run's), the weight
    # gradients sum the same rows in another order
    v = _arrays(cfg)
    w, rev = v["w"], cfg["reverse"]
    x, go = (np.ascontiguousarray(a.swapaxes(0, 1)) for a in (v["x"], v["go"]))
    results = {}
    for name, k in (("compiled", K), ("reference", R)):
        fwd = k.lstm_forward(x, v["h0"], v["c0"], *w, reverse=rev, batch_first=True)
        grads = k.lstm_backward(x, v["h0"], v["c0"], w[0], w[1], fwd[0], fwd[3], fwd[4], go, v["ghn"], v["gcn"],
                                reverse=rev, batch_first=True)
        results[name] = fwd[:3] + tuple(grads)
    for got, want in zip(results["compiled"], results["reference"]):
        assert got.shape == want.shape and got.dtype == cfg["dtype"]
        np.testing.assert_allclose(got, want, **_scaled_tol(cfg["dtype"], want))
    seq_first = K.lstm_forward(v["x"], v["h0"], v["c0"], *w, reverse=rev)
    np.testing.assert_array_equal(results["compiled"][0], seq_first[0].swapaxes(0, 1))
    np.testing.assert_array_equal(results["compiled"][1], seq_first[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_first_lstm_over_more_rows_than_one_engine_block_matches_reference(dtype):
    # the float32 AVX-512 backward writes [x | h_prev] packed for the engine, batch first in row order b * T + t
    cfg = dict(kind="lstm", T=31, B=9, I=45, H=70, dtype=dtype, reverse=False, bias=True, final_grads=True, seed=7)
    v = _arrays(cfg)
    x, go = (np.ascontiguousarray(a.swapaxes(0, 1)) for a in (v["x"], v["go"]))
    w = v["w"]

    def run(k):
        out, hn, cn, gates, cells = k.lstm_forward(x, v["h0"], v["c0"], *w, batch_first=True)
        grads = k.lstm_backward(x, v["h0"], v["c0"], w[0], w[1], out, gates, cells, go, v["ghn"], v["gcn"],
                                batch_first=True)
        return (out, hn, cn) + tuple(grads)
    for got, want in zip(run(K), run(R)):
        np.testing.assert_allclose(got, want, **_scaled_tol(dtype, want))


def _cell(k, cfg, v):
    kind = cfg["kind"]
    x, h, c, w, g = v["x"][0], v["h0"], v["c0"], v["w"], v["go"][0]
    if kind == "lstm":
        h1, c1, gates = k.lstm_cell_forward(x, h, c, *w)
        return (h1, c1, gates) + tuple(k.lstm_cell_backward(x, h, c, w[0], w[1], h1, gates, c1, g, v["gcn"]))
    if kind == "gru":
        h1, gates = k.gru_cell_forward(x, h, *w)
        return (h1, gates) + tuple(k.gru_cell_backward(x, h, w[0], w[1], h1, gates, g))
    h1 = k.rnn_cell_forward(x, h, *w, nonlinearity=kind[4:])
    return (h1,) + tuple(k.rnn_cell_backward(x, h, w[0], w[1], h1, g, nonlinearity=kind[4:]))


@settings(max_examples=40, deadline=None)
@given(cfg=configs())
def test_cell_kernels_match_reference(cfg):
    v = _arrays(cfg)
    for got, want in zip(_cell(K, cfg, v), _cell(R, cfg, v)):
        assert got.dtype == cfg["dtype"] and got.shape == want.shape
        np.testing.assert_allclose(got, want, **TOL[cfg["dtype"]])


@pytest.mark.parametrize("kind", sorted(GATES))
def test_sequence_results_do_not_depend_on_the_thread_count(kind):
    # (19 x 100: enough work for two threads in every kind.) Each thread owns whole hidden
    # units, so the split must not change a bit of the forward pass; the gradients go on
    # through BLAS GEMMs, whose own split may reorder sums
    import fastnn
    cfg = dict(kind=kind, T=4, B=19, I=5, H=100, dtype=np.float32, reverse=False, bias=True, final_grads=True,
               seed=3)
    v = _arrays(cfg)
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        one = _sequence(K, cfg, v)
        fastnn.set_num_threads(2)
        two = _sequence(K, cfg, v)
    finally:
        fastnn.set_num_threads(before)
    for a, b in zip(one[0], two[0]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(one[1], two[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())


def test_reverse_direction_equals_forward_over_the_flipped_sequence():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 2, 3))
    w = [rng.standard_normal(s) * 0.5 for s in ((16, 3), (16, 4), (16,), (16,))]
    h0 = c0 = np.zeros((2, 4))
    fwd = K.lstm_forward(x[::-1].copy(), h0, c0, *w)
    rev = K.lstm_forward(x, h0, c0, *w, reverse=True)
    np.testing.assert_allclose(rev[0], fwd[0][::-1], rtol=1e-12)
    np.testing.assert_allclose(rev[1], fwd[1], rtol=1e-12)


def test_long_sequence_stays_finite_and_saturates_sensibly():
    # large pre-activations: sigmoid/tanh must saturate to 0/1/±1, not overflow to NaN
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((200, 2, 3)) * 100).astype(np.float32)
    w = [(rng.standard_normal(s) * 10).astype(np.float32) for s in ((16, 3), (16, 4), (16,), (16,))]
    out, hn, cn, gates, cells = K.lstm_forward(x, None, None, *w)
    assert np.isfinite(out).all() and np.abs(out).max() <= 1
    assert (gates[..., :8] >= 0).all() and (gates[..., :8] <= 1).all()
    g = K.lstm_backward(x, None, None, w[0], w[1], out, gates, cells, np.ones_like(out), None, None)
    assert all(np.isfinite(a).all() for a in g)


@pytest.mark.parametrize("module", [K, R], ids=["compiled", "reference"])
def test_bad_input_names_the_argument(module):
    x = np.zeros((4, 2, 3), np.float32)
    h = np.zeros((2, 5), np.float32)
    w_ih, w_hh = np.zeros((20, 3), np.float32), np.zeros((20, 5), np.float32)
    with pytest.raises(ValueError, match="empty sequence"):
        module.lstm_forward(np.zeros((0, 2, 3), np.float32), h, h, w_ih, w_hh, None, None)
    with pytest.raises(ValueError, match="w_ih"):
        module.lstm_forward(np.zeros((4, 2, 7), np.float32), h, h, w_ih, w_hh, None, None)
    with pytest.raises(ValueError, match="h0"):
        module.lstm_forward(x, np.zeros((3, 5), np.float32), h, w_ih, w_hh, None, None)
    with pytest.raises(TypeError, match=r"\bx\b"):
        module.gru_forward(x.astype(np.int64), h, w_ih[:15], w_hh[:15], None, None)
    with pytest.raises(ValueError, match=r"\bx\b"):
        module.rnn_forward(x[0], h, w_ih[:5], w_hh[:5], None, None)
    with pytest.raises(ValueError, match="nonlinearity"):
        module.rnn_forward(x, h, w_ih[:5], w_hh[:5], None, None, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="b_hh"):
        module.gru_forward(x, h, w_ih[:15], w_hh[:15], None, np.zeros(14, np.float32))


def test_compiled_kernel_rejects_mismatched_saved_arrays():
    x = np.zeros((4, 2, 3))
    w_ih, w_hh = np.zeros((20, 3)), np.zeros((20, 5))
    out, hn, cn, gates, cells = K.lstm_forward(x, None, None, w_ih, w_hh, None, None)
    with pytest.raises(ValueError, match="gates"):
        K.lstm_backward(x, None, None, w_ih, w_hh, out, gates[:, :, :10].copy(), cells, None, None, None)
    with pytest.raises(ValueError, match="grad_output"):
        K.lstm_backward(x, None, None, w_ih, w_hh, out, gates, cells, np.zeros((3, 2, 5)), None, None)
    with pytest.raises(TypeError, match="grad_hn"):
        K.lstm_backward(x, None, None, w_ih, w_hh, out, gates, cells, None, np.zeros((2, 5), np.float32), None)


@pytest.mark.parametrize("module", [K, R], ids=["compiled", "reference"])
@pytest.mark.parametrize("kind", sorted(GATES))
def test_need_input_false_skips_only_the_input_gradient(module, kind):
    cfg = dict(kind=kind, T=3, B=7, I=4, H=37, dtype=np.float64, reverse=True, bias=True, final_grads=True, seed=5)
    v = _arrays(cfg)
    x, h0, c0, w = v["x"], v["h0"], v["c0"], v["w"]
    if kind == "lstm":
        out, _, _, gates, cells = module.lstm_forward(x, h0, c0, *w, reverse=True)
        args = (x, h0, c0, w[0], w[1], out, gates, cells, v["go"], v["ghn"], v["gcn"], True)
        full, skipped = module.lstm_backward(*args), module.lstm_backward(*args, need_input=False)
    elif kind == "gru":
        out, _, gates = module.gru_forward(x, h0, *w, reverse=True)
        args = (x, h0, w[0], w[1], out, gates, v["go"], v["ghn"], True)
        full, skipped = module.gru_backward(*args), module.gru_backward(*args, need_input=False)
    else:
        out, _ = module.rnn_forward(x, h0, *w, nonlinearity=kind[4:], reverse=True)
        args = (x, h0, w[0], w[1], out, v["go"], v["ghn"], kind[4:], True)
        full, skipped = module.rnn_backward(*args), module.rnn_backward(*args, need_input=False)
    assert skipped[0] is None and full[0].shape == x.shape
    for a, b in zip(full[1:], skipped[1:]):
        np.testing.assert_array_equal(a, b)
