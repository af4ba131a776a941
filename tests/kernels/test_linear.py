"""Compiled fully connected kernels against the NumPy reference (float64 products)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastnn import kernels as K
from fastnn.kernels import reference as R

DTYPES = [np.float32, np.float64]


def _close(got, want, dtype, k):
    # a float32 dot product of k terms may be off by about k ulps of the term sizes
    tol = 8 * max(k, 1) * np.finfo(dtype).eps
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(0, 30), k=st.integers(0, 40), n=st.integers(0, 30), dtype=st.sampled_from(DTYPES),
       with_bias=st.booleans(), need=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       seed=st.integers(0, 2**31))
def test_linear_matches_reference(m, k, n, dtype, with_bias, need, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((n, k)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype) if with_bias else None
    y = K.linear_forward(x, w, b)
    assert y.dtype == dtype and y.shape == (m, n)
    b64 = None if b is None else b.astype(np.float64)
    _close(y, R.linear_forward(x.astype(np.float64), w.astype(np.float64), b64), dtype, k)
    g = rng.standard_normal((m, n)).astype(dtype)
    got = K.linear_backward(x, w, g, *need)
    want = R.linear_backward(x.astype(np.float64), w.astype(np.float64), g.astype(np.float64), *need)
    for a, e, terms in zip(got, want, (n, m, m)):
        if e is None:
            assert a is None
        else:
            assert a.dtype == dtype
            _close(a, e, dtype, terms)


def test_linear_checks_name_the_argument():
    x = np.ones((2, 3))
    with pytest.raises(TypeError, match="weight"):
        K.linear_forward(x, np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match="bias"):
        K.linear_forward(x, np.ones((4, 3)), np.ones(5))
    with pytest.raises(ValueError, match="C-contiguous"):
        K.linear_forward(np.ones((3, 2)).T, np.ones((4, 3)))
