"""Both directions of a bidirectional LSTM layer in one call (lstm_forward_pair / lstm_backward_pair): side by
side, each whole on one thread, or one after the other; both must give what the NumPy reference gives for each
direction on its own, forward and backward, in float32 and float64, and the two paths must agree."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import fastnn
from fastnn import kernels as K
from fastnn.kernels import _rnn
from fastnn.kernels import reference as R


@pytest.fixture(params=["side by side", "one after the other"])
def path(request, monkeypatch):
    monkeypatch.setattr(_rnn, "_pair_pays", lambda: request.param == "side by side")
    return request.param


def _direction(rng, dtype, B, I, H, states, bias):
    s = 1 / np.sqrt(H)
    w_ih, w_hh = (rng.uniform(-s, s, shape).astype(dtype) for shape in ((4 * H, I), (4 * H, H)))
    b_ih, b_hh = ((rng.uniform(-s, s, 4 * H).astype(dtype) for _ in range(2)) if bias else (None, None))
    h0, c0 = ((rng.standard_normal((B, H)).astype(dtype) for _ in range(2)) if states else (None, None))
    return h0, c0, w_ih, w_hh, b_ih, b_hh


def _check(dtype, T, B, I, H, states, bias, need_input, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, I)).astype(dtype)
    sides = [_direction(rng, dtype, B, I, H, states, bias) for _ in range(2)]
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    got = K.lstm_forward_pair(x, *sides)
    want = [R.lstm_forward(x, *side, reverse=reverse) for side, reverse in zip(sides, (False, True))]
    for g, w in zip(got, want):
        for a, b in zip(g, w):
            np.testing.assert_allclose(a, b, **tol)
    grads = [(rng.standard_normal((T, B, H)).astype(dtype), rng.standard_normal((B, H)).astype(dtype),
              rng.standard_normal((B, H)).astype(dtype)) for _ in range(2)]
    args = [side[:4] + (res[0], res[3], res[4]) + g for side, res, g in zip(sides, got, grads)]
    got = K.lstm_backward_pair(x, *args, need_input=need_input)
    want = [R.lstm_backward(x, *a, reverse=reverse, need_input=need_input) for a, reverse in zip(args, (False, True))]
    for g, w in zip(got, want):
        assert (g[0] is None) == (not need_input)
        for a, b in zip(g, w):
            if b is not None:
                np.testing.assert_allclose(a, b, **tol)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(T=st.integers(1, 7), B=st.integers(1, 9), I=st.integers(1, 40), H=st.integers(1, 70),
       dtype=st.sampled_from([np.float32, np.float64]), states=st.booleans(), bias=st.booleans(),
       need_input=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_pair_matches_the_reference_direction_by_direction(path, T, B, I, H, dtype, states, bias, need_input, seed):
    _check(dtype, T, B, I, H, states, bias, need_input, seed)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pair_on_a_layer_of_several_panels(path, dtype):
    _check(dtype, 12, 16, 48, 100, True, True, True, 3)


def test_side_by_side_and_one_after_the_other_agree_on_the_gemm_engine(monkeypatch):
    """float32 on the AVX-512 build: every product is the same sum in the same order however it is split, so
    the two paths agree bit for bit (elsewhere BLAS may slice the sums differently: closeness only)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((20, 16, 64)).astype(np.float32)
    sides = [_direction(rng, np.float32, 16, 64, 96, True, True) for _ in range(2)]
    results = {}
    for pair in (True, False):
        monkeypatch.setattr(_rnn, "_pair_pays", lambda pair=pair: pair)
        fwd = K.lstm_forward_pair(x, *sides)
        g = np.ones((20, 16, 96), np.float32)
        args = [side[:4] + (res[0], res[3], res[4], g, None, None) for side, res in zip(sides, fwd)]
        results[pair] = [a for res in fwd for a in res] + [a for res in K.lstm_backward_pair(x, *args) for a in res]
    exact = fastnn.backends.cpu.get_cpu_capability() == "AVX512"
    for a, b in zip(results[True], results[False]):
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_pair_checks_each_direction_by_name():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 4)).astype(np.float32)
    good = _direction(rng, np.float32, 2, 4, 5, False, True)
    bad = (None, None, good[2], good[3][:, :4]) + good[4:]
    with pytest.raises(ValueError, match="w_hh"):
        K.lstm_forward_pair(x, good, bad)
