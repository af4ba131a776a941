"""conv_transpose2d's direct kernels for 3x3 kernels, stride 2, padding 1 and output rows up to 16 wide
(csrc/convtranspose2x.h, AVX-512 build), forward and backward: the same values as the NumPy reference and as
the general im2col path, for every row width, output padding, channel count (blocks of 8 and their
remainders) and image count, with and without bias; infinite and NaN inputs, weights and gradients give NaN
and inf exactly where the reference does (the forward feeds only the outputs a tap reaches; the backward
multiplies the zero padding, as the general path does); the weight gradient is the same bits on one thread
and on two. Runs on every vector build (tests/test_vector_builds.py), where the lower builds check that the
rule keeps the general path."""
import numpy as np
import fastnn
import pytest
from hypothesis import given, settings, strategies as st

from fastnn import _runtime, kernels as K
from fastnn.kernels import _conv, reference as R

AVX512 = _runtime.vector_build() == "avx512"


def _general(monkeypatch, *args, backward=False):
    with monkeypatch.context() as m:
        m.setattr(_conv, "_convt_general", True)
        return (K.conv_transpose2d_backward if backward else K.conv_transpose2d_forward)(*args)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 4), cin=st.integers(1, 10), cout=st.integers(1, 19), h=st.integers(1, 9),
       w=st.integers(1, 8), op=st.tuples(st.integers(0, 1), st.integers(0, 1)), seed=st.integers(0, 2 ** 31))
def test_direct_stride2_backward_matches_reference_and_general_path(n, cin, cout, h, w, op, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cin, h, w)).astype(np.float32)
    wt = rng.standard_normal((cin, cout, 3, 3)).astype(np.float32)
    g = rng.standard_normal((n, cout, 2 * h - 1 + op[0], 2 * w - 1 + op[1])).astype(np.float32)
    assert _conv._convt3s2_backward_applies(x, wt, g, (2, 2), (1, 1), (1, 1), op, 1) == AVX512
    got = K.conv_transpose2d_backward(x, wt, g, 2, 1, op)
    want = R.conv_transpose2d_backward(x.astype(np.float64), wt.astype(np.float64), g.astype(np.float64), 2, 1, op)
    with pytest.MonkeyPatch.context() as mp:
        general = _general(mp, x, wt, g, 2, 1, op, backward=True)
    for a, b, c, terms in zip(got, want, general, (9 * cout, 9 * n * h * w, n * g.shape[2] * g.shape[3])):
        assert a.dtype == np.float32 and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.sqrt(terms))
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5 * np.sqrt(terms))


@pytest.mark.parametrize("need", [(True, False, False), (False, True, False), (False, False, True), (False, True, True)])
def test_direct_stride2_backward_computes_only_what_is_asked(need):
    rng = np.random.default_rng(1)
    x, wt = rng.standard_normal((3, 4, 5, 6)).astype(np.float32), rng.standard_normal((4, 7, 3, 3)).astype(np.float32)
    g = rng.standard_normal((3, 7, 10, 12)).astype(np.float32)
    full = K.conv_transpose2d_backward(x, wt, g, 2, 1, 1)
    part = K.conv_transpose2d_backward(x, wt, g, 2, 1, 1, need_input=need[0], need_weight=need[1], need_bias=need[2])
    for want, got, asked in zip(full, part, need):
        if asked:
            np.testing.assert_array_equal(got, want)
        else:
            assert got is None


def test_direct_stride2_weight_gradient_is_the_same_on_one_and_two_threads():
    rng = np.random.default_rng(2)
    x, wt = rng.standard_normal((64, 8, 7, 7)).astype(np.float32), rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    g = rng.standard_normal((64, 16, 14, 14)).astype(np.float32)
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        one = K.conv_transpose2d_backward(x, wt, g, 2, 1, 1)
        fastnn.set_num_threads(2)
        two = K.conv_transpose2d_backward(x, wt, g, 2, 1, 1)
    finally:
        fastnn.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 4), cin=st.integers(1, 10), cout=st.integers(1, 19), h=st.integers(1, 9),
       w=st.integers(1, 8), op=st.tuples(st.integers(0, 1), st.integers(0, 1)), bias=st.booleans(),
       seed=st.integers(0, 2 ** 31))
def test_direct_stride2_forward_matches_reference_and_general_path(n, cin, cout, h, w, op, bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cin, h, w)).astype(np.float32)
    wt = rng.standard_normal((cin, cout, 3, 3)).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32) if bias else None
    args = (x, wt, b, 2, 1, op)
    assert _conv._convt3s2_applies(x, wt, (2, 2), (1, 1), (1, 1), op, 1) == AVX512
    y = K.conv_transpose2d_forward(*args)
    assert y.shape == (n, cout, 2 * h - 1 + op[0], 2 * w - 1 + op[1]) and y.dtype == np.float32
    want = R.conv_transpose2d_forward(x.astype(np.float64), wt.astype(np.float64),
                                      None if b is None else b.astype(np.float64), 2, 1, op)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5 * np.sqrt(9 * cin))
    with pytest.MonkeyPatch.context() as mp:
        np.testing.assert_allclose(y, _general(mp, *args), rtol=1e-5, atol=1e-5 * np.sqrt(9 * cin))


def test_direct_path_rule():
    """Float32, 3x3, stride 2, padding 1, no dilation or groups, output rows up to 16: the AVX-512 build only."""
    x, wt = np.zeros((2, 3, 5, 8), np.float32), np.zeros((3, 4, 3, 3), np.float32)
    geometry = ((2, 2), (1, 1), (1, 1), (1, 1), 1)
    assert _conv._convt3s2_applies(x, wt, *geometry) == AVX512
    assert not _conv._convt3s2_applies(x.astype(np.float64), wt.astype(np.float64), *geometry)
    assert not _conv._convt3s2_applies(np.zeros((2, 3, 5, 9), np.float32), wt, *geometry)   # 18 wide
    assert not _conv._convt3s2_applies(x, wt, (2, 2), (1, 1), (1, 1), (1, 1), 3 // 3 + 1)     # groups
    assert not _conv._convt3s2_applies(x, wt, (1, 1), (1, 1), (1, 1), (0, 0), 1)              # stride
    assert not _conv._convt3s2_applies(x, wt, (2, 2), (0, 0), (1, 1), (1, 1), 1)              # padding
    assert not _conv._convt3s2_applies(x, wt, (2, 2), (1, 1), (2, 2), (1, 1), 1)              # dilation
    assert not _conv._convt3s2_applies(x, np.zeros((3, 4, 5, 5), np.float32), *geometry)      # kernel size


@pytest.mark.parametrize("op", [(0, 0), (1, 1)])
def test_direct_stride2_forward_keeps_nonfinite_values_where_they_belong(monkeypatch, op):
    """An infinite weight of the kernel's middle column feeds only even output columns, its corner taps only
    odd ones; a NaN input pixel feeds only the outputs its taps reach. Masked FMAs, not multiplications by
    zero, so the pattern of inf and NaN is the reference's (and the general path's) exactly."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    x[1, 2, 3, 4] = np.nan
    x[0, 1, 5, 6] = np.inf
    wt = rng.standard_normal((3, 5, 3, 3)).astype(np.float32)
    wt[0, 1, 1, 1] = np.inf
    wt[2, 4, 0, 2] = -np.inf
    y = K.conv_transpose2d_forward(x, wt, None, 2, 1, op)
    want = R.conv_transpose2d_forward(x.astype(np.float64), wt.astype(np.float64), None, 2, 1, op)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(y), np.isinf(want))
    assert np.isfinite(y).sum() > 0.5 * y.size
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(y, _general(monkeypatch, x, wt, None, 2, 1, op), rtol=1e-5, atol=1e-4)
    # backward: a gradient, an input and a weight that are infinite or NaN
    g = rng.standard_normal(y.shape).astype(np.float32)
    g[0, 3, 2, 5] = np.inf
    g[1, 0, 7, 0] = np.nan
    got = K.conv_transpose2d_backward(x, wt, g, 2, 1, op)
    want = R.conv_transpose2d_backward(x.astype(np.float64), wt.astype(np.float64), g.astype(np.float64), 2, 1, op)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-3)
