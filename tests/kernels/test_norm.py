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
