"""Compiled normalisation kernels (layer norm) against the NumPy reference."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastnn import kernels as K
from fastnn.kernels import reference as R

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-11)}
DTYPES = [np.float32, np.float64]


@settings(max_examples=30, deadline=None)
@given(R_=st.integers(0, 50), C=st.integers(1, 300), dtype=st.sampled_from(DTYPES), affine=st.booleans(),
       eps=st.sampled_from([1e-5, 1e-3]), seed=st.integers(0, 2**31),
       need=st.tuples(st.booleans(), st.booleans(), st.booleans()))
def test_layer_norm_matches_reference(R_, C, dtype, affine, eps, seed, need):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((R_, C)) * 3 + 1).astype(dtype)
    w = rng.standard_normal(C).astype(dtype) if affine else None
    b = rng.standard_normal(C).astype(dtype) if affine else None
    y, mean, rstd = K.layer_norm_forward(x, w, b, eps)
    ry, rmean, rrstd = R.layer_norm_forward(x, w, b, eps)
    np.testing.assert_allclose(y, ry, **TOL[dtype])
    np.testing.assert_allclose(mean, rmean, **TOL[dtype])
    np.testing.assert_allclose(rstd, rrstd, **TOL[dtype])
    g = rng.standard_normal(x.shape).astype(dtype)
    got = K.layer_norm_backward(x, mean, rstd, g, w, *need)
    want = R.layer_norm_backward(x, rmean, rrstd, g, w, *need)
    for a, b_ in zip(got, want):
        if b_ is None:
            assert a is None
        else:
            assert a.dtype == dtype
            np.testing.assert_allclose(a, b_, **TOL[dtype])


def test_layer_norm_bad_arguments():
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="weight"):
        K.layer_norm_forward(x, np.ones(5, np.float32))
    with pytest.raises(TypeError, match="bias"):
        K.layer_norm_forward(x, None, np.ones(4))
    with pytest.raises(ValueError, match="mean"):
        K.layer_norm_backward(x, np.zeros(2), np.zeros(3), x)


@settings(max_examples=25, deadline=None)
@given(R_=st.integers(0, 70), C=st.sampled_from([1, 7, 16, 33, 128, 1100, 2500]), dtype=st.sampled_from(DTYPES),
       affine=st.booleans(), seed=st.integers(0, 2**31), need=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       with_grad_residual=st.booleans(), p=st.sampled_from([0.0, 0.3]))
def test_add_layer_norm_matches_reference(R_, C, dtype, affine, seed, need, with_grad_residual, p):
    """x + residual (through dropout's mask when p > 0) normalised in one sweep, its sum returned; the
    backward adds the residual stream's gradient. Rows past a block of 32 and rows longer than a
    1024-element partial-sum span included."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((R_, C)) * 3 + 1).astype(dtype)
    res = rng.standard_normal((R_, C)).astype(dtype)
    w = rng.standard_normal(C).astype(dtype) if affine else None
    b = rng.standard_normal(C).astype(dtype) if affine else None
    y, s, mean, rstd = K.add_layer_norm_forward(x, res, w, b, 1e-5, p, seed)
    ry, rs, rmean, rrstd = R.add_layer_norm_forward(x, res, w, b, 1e-5, p, seed)
    # the same mask as the dropout kernel's (the add may be one fused multiply-add: a rounding apart)
    np.testing.assert_allclose(s, x + K.dropout_mask_apply(res, p, seed) if p else x + res, rtol=1e-6, atol=1e-6)
    if p:
        np.testing.assert_array_equal(s == x, K.dropout_mask_apply(np.ones_like(res), p, seed) == 0)
    for got, want in ((y, ry), (s, rs), (mean, rmean), (rstd, rrstd)):
        np.testing.assert_allclose(got, want, **TOL[dtype])
    assert y.dtype == s.dtype == dtype
    g = rng.standard_normal(x.shape).astype(dtype)
    gr = rng.standard_normal(x.shape).astype(dtype) if with_grad_residual else None
    got = K.layer_norm_backward(s, mean, rstd, g, w, *need, grad_residual=gr)
    want = R.layer_norm_backward(rs, rmean, rrstd, g, w, *need, grad_residual=gr)
    for a, b_ in zip(got, want):
        if b_ is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b_, **TOL[dtype])


def test_layer_norm_large_offset_rows_keep_float32_accuracy():
    """Rows far from zero (mean 1e4, deviation 1) and long rows: the float32 partial sums must not lose
    the variance (a one-pass sum of squares would)."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((40, 3000)) + 1e4).astype(np.float32)
    y, mean, rstd = K.layer_norm_forward(x, None, None, 1e-5)
    ry, rmean, rrstd = R.layer_norm_forward(x, None, None, 1e-5)
    np.testing.assert_allclose(mean, rmean, rtol=1e-7)
    np.testing.assert_allclose(rstd, rrstd, rtol=1e-4)
    np.testing.assert_allclose(y, ry, rtol=2e-3, atol=2e-3)


def test_add_layer_norm_bad_arguments():
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="residual"):
        K.add_layer_norm_forward(x, np.zeros((3, 5), np.float32))
    with pytest.raises(TypeError, match="residual"):
        K.add_layer_norm_forward(x, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="p must"):
        K.add_layer_norm_forward(x, x, p=1.0)
    with pytest.raises(ValueError, match="grad_residual"):
        K.layer_norm_backward(x, np.zeros(3), np.ones(3), x, grad_residual=np.zeros((2, 4), np.float32))
