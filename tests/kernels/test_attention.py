"""Compiled attention kernels against the NumPy reference."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastnn import kernels as K
from fastnn.kernels import reference as R

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-11)}
# Backward sums cancel (delta = rowsum(dO * O) against each dP): float32 errors scale
# with the terms, not with the (possibly tiny) result.
GRAD_TOL = {np.float32: dict(rtol=1e-3, atol=1e-4), np.float64: dict(rtol=1e-9, atol=1e-10)}
DTYPES = [np.float32, np.float64]


def _qkv(rng, N, Lq, Lk, D, Dv, dtype):
    return tuple(rng.standard_normal(s).astype(dtype) for s in ((N, Lq, D), (N, Lk, D), (N, Lk, Dv)))


def _mask(rng, kind, N, Lq, Lk, dtype):
    M = 1 if rng.random() < 0.5 else N
    if kind == "bool":
        return rng.random((M, Lq, Lk)) < 0.7  # some rows may be fully masked
    if kind == "float":
        m = rng.standard_normal((M, Lq, Lk)).astype(dtype)
        m[rng.random((M, Lq, Lk)) < 0.2] = -np.inf
        return m
    return None


problem = dict(N=st.integers(1, 4), Lq=st.integers(1, 300), Lk=st.integers(1, 300), D=st.integers(1, 24),
               Dv=st.integers(1, 24), dtype=st.sampled_from(DTYPES), mask=st.sampled_from([None, "bool", "float"]),
               causal=st.booleans(), scale=st.sampled_from([1.0, 0.3]), seed=st.integers(0, 2**31))


@settings(max_examples=30, deadline=None)
@given(**problem)
def test_full_attention_matches_reference(N, Lq, Lk, D, Dv, dtype, mask, causal, scale, seed):
    rng = np.random.default_rng(seed)
    q, k, v = _qkv(rng, N, Lq, Lk, D, Dv, dtype)
    m = _mask(rng, mask, N, Lq, Lk, dtype)
    out, w, lse = K.attention_forward(q, k, v, m, scale, causal)
    r_out, r_w, r_lse = R.attention_forward(q, k, v, m, scale, causal)
    assert out.dtype == dtype and w.dtype == dtype and lse.dtype == np.float64
    np.testing.assert_allclose(w, r_w, **TOL[dtype])
    np.testing.assert_allclose(out, r_out, **TOL[dtype])
    np.testing.assert_allclose(lse, r_lse, **TOL[dtype])
    g = rng.standard_normal(out.shape).astype(dtype)
    gw = rng.standard_normal(w.shape).astype(dtype) if rng.random() < 0.5 else None
    wide = [None if a is None else a.astype(np.float64) for a in (q, k, v, w, g, gw)]  # see the tiled test
    for got, want in zip(K.attention_backward(q, k, v, w, g, gw, scale, causal), R.attention_backward(*wide, scale)):
        np.testing.assert_allclose(got, want, **GRAD_TOL[dtype])


@settings(max_examples=30, deadline=None)
@given(**problem)
def test_tiled_attention_matches_full(N, Lq, Lk, D, Dv, dtype, mask, causal, scale, seed):
    rng = np.random.default_rng(seed)
    q, k, v = _qkv(rng, N, Lq, Lk, D, Dv, dtype)
    m = _mask(rng, mask, N, Lq, Lk, dtype)
    out, lse = K.attention_tiled_forward(q, k, v, m, scale, causal)
    f_out, w, f_lse = K.attention_forward(q, k, v, m, scale, causal)
    r_out, r_lse = R.attention_tiled_forward(q, k, v, m, scale, causal)
    np.testing.assert_allclose(out, f_out, **TOL[dtype])
    np.testing.assert_allclose(out, r_out, **TOL[dtype])
    np.testing.assert_allclose(lse, r_lse, **TOL[dtype])
    g = rng.standard_normal(out.shape).astype(dtype)
    tiled = K.attention_tiled_backward(q, k, v, out, g, lse, m, scale, causal)
    full = K.attention_backward(q, k, v, w, g, None, scale, causal)
    # the reference runs in float64: in float32 its own cancellation error (delta against dP) can
    # exceed the tolerance where the true gradient is ~0 (one key: softmax is constant)
    q64, k64, v64, g64 = (a.astype(np.float64) for a in (q, k, v, g))
    m64 = m.astype(np.float64) if m is not None and m.dtype != np.bool_ else m
    o64, lse64 = R.attention_tiled_forward(q64, k64, v64, m64, scale, causal)
    ref = R.attention_tiled_backward(q64, k64, v64, o64, g64, lse64, m64, scale, causal)
    for a, b, c in zip(tiled, full, ref):
        np.testing.assert_allclose(a, b, **GRAD_TOL[dtype])
        np.testing.assert_allclose(a, c, **GRAD_TOL[dtype])


def test_fully_masked_rows_give_zero_output_and_gradient():
    rng = np.random.default_rng(0)
    q, k, v = _qkv(rng, 2, 5, 7, 4, 3, np.float64)
    m = np.ones((1, 5, 7), bool)
    m[0, 2] = False
    for out, lse in (K.attention_forward(q, k, v, m)[::2], K.attention_tiled_forward(q, k, v, m)):
        assert np.all(out[:, 2] == 0) and np.all(np.isneginf(lse[:, 2])) and np.isfinite(out).all()
        dq, dk, dv = K.attention_tiled_backward(q, k, v, out, np.ones_like(out), lse, m)
        assert np.all(dq[:, 2] == 0) and np.isfinite(dk).all() and np.isfinite(dv).all()


def test_nan_propagates():
    rng = np.random.default_rng(1)
    q, k, v = _qkv(rng, 1, 4, 6, 3, 2, np.float32)
    q[0, 1, 0] = np.nan
    out, _, _ = K.attention_forward(q, k, v)
    assert np.isnan(out[0, 1]).all() and np.isfinite(out[0, [0, 2, 3]]).all()
    assert np.isnan(K.attention_tiled_forward(q, k, v)[0][0, 1]).all()


@pytest.mark.parametrize("kernel", ["attention_forward", "attention_tiled_forward"])
def test_bad_arguments_raise_naming_them(kernel):
    fn = getattr(K, kernel)
    q, k, v = (np.zeros(s, np.float32) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6)))
    with pytest.raises(ValueError, match="head dim"):
        fn(q, np.zeros((2, 5, 3), np.float32), v)
    with pytest.raises(ValueError, match="value length"):
        fn(q, k, np.zeros((2, 4, 6), np.float32))
    with pytest.raises(ValueError, match="batch"):
        fn(q, np.zeros((1, 5, 4), np.float32), v)
    with pytest.raises(TypeError, match="key"):
        fn(q, k.astype(np.float64), v)
    with pytest.raises(ValueError, match="mask"):
        fn(q, k, v, np.zeros((1, 3, 4), bool))
    with pytest.raises(TypeError, match="mask"):
        fn(q, k, v, np.zeros((1, 3, 5), np.int32))
    with pytest.raises(ValueError, match="query"):
        fn(q[:, :, ::2], k, v)
    with pytest.raises(TypeError, match="query"):
        fn(q.astype(np.int64), k, v)
