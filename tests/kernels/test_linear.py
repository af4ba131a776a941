"""Compiled linear kernels against the NumPy reference: shapes, dtypes, need_* flags, empty sizes, bad input."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastnn import kernels as K
from fastnn.kernels import reference as R

TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def _inputs(M, K_, N, dtype, seed, bias=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((M, K_)).astype(dtype)
    w = rng.standard_normal((N, K_)).astype(dtype)
    b = rng.standard_normal(N).astype(dtype) if bias else None
    g = rng.standard_normal((M, N)).astype(dtype)
    return x, w, b, g


@settings(max_examples=60, deadline=None)
@given(M=st.integers(0, 40), K_=st.integers(0, 33), N=st.integers(0, 17), bias=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**31))
def test_forward_and_backward_match_the_reference(M, K_, N, bias, dtype, seed):
    x, w, b, g = _inputs(M, K_, N, dtype, seed, bias)
    out = K.linear_forward(x, w, b)
    assert out.dtype == dtype and out.shape == (M, N)
    np.testing.assert_allclose(out, R.linear_forward(x, w, b), **TOL[dtype])
    for got, want in zip(K.linear_backward(x, w, g), R.linear_backward(x, w, g)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, K_, N", [(300, 70, 40),      # one product, rows across the engine's 128-row blocks
                                      (1500, 600, 520),   # C cut into row slices over the threads
                                      (64, 700, 2000),    # ... into column slices (each adds its part of the bias)
                                      (64, 4096, 64)])    # the sum cut into k-chunks (the first adds the bias)
def test_the_bias_joins_every_gemm_path(M, K_, N, dtype):
    """The bias reaches C inside the product (csrc/gemmsplit.pxd's gemm_*_bias), on every way the product is cut."""
    x, w, b, _ = _inputs(M, K_, N, dtype, seed=M + N)
    want = x.astype(np.float64) @ w.astype(np.float64).T + b
    got = K.linear_forward(x, w, b)
    scale = np.sqrt(K_) * (1e-6 if dtype == np.float32 else 1e-14)
    np.testing.assert_allclose(got, want, rtol=0, atol=10 * scale)


@pytest.mark.parametrize("need", list(itertools.product([False, True], repeat=3)))
def test_need_flags_skip_exactly_the_gradients_not_asked_for(need):
    x, w, _, g = _inputs(7, 5, 3, np.float64, 0)
    got = K.linear_backward(x, w, g, *need)
    want = R.linear_backward(x, w, g)
    for flag, a, b in zip(need, got, want):
        if flag:
            np.testing.assert_allclose(a, b, rtol=1e-12)
        else:
            assert a is None


def test_empty_batch_gives_zero_weight_and_bias_gradients():
    x, w, b, g = _inputs(0, 4, 3, np.float32, 0)
    assert K.linear_forward(x, w, b).shape == (0, 3)
    gx, gw, gb = K.linear_backward(x, w, g)
    assert gx.shape == (0, 4) and not gw.any() and not gb.any()


def test_zero_input_features_give_the_bias():
    x, w, b, g = _inputs(3, 0, 2, np.float64, 0)
    np.testing.assert_array_equal(K.linear_forward(x, w, b), np.broadcast_to(b, (3, 2)))
    np.testing.assert_allclose(K.linear_backward(x, w, g)[2], g.sum(0))


def test_nan_and_inf_propagate():
    x, w, b, _ = _inputs(2, 3, 2, np.float32, 0)
    x[0, 1] = np.nan
    w[1, 0] = np.inf
    out = K.linear_forward(x, w, b)
    assert np.isnan(out[0]).all() and np.isfinite(out[1, 0]) and not np.isfinite(out[1, 1])


@pytest.mark.parametrize("make,match,error", [
    (lambda x, w, b: (x.astype(np.int64), w, b), "input must be float32 or float64", TypeError),
    (lambda x, w, b: (x, w.astype(np.float64), b), "weight must have the dtype of input", TypeError),
    (lambda x, w, b: (x[:, None], w, b), "input must be 2-D", ValueError),
    (lambda x, w, b: (x, w[:, :-1].copy(), b), "features", ValueError),
    (lambda x, w, b: (x, w, b[:-1].copy()), "bias must have shape", ValueError),
    (lambda x, w, b: (np.asfortranarray(x), w, b), "input must be C-contiguous", ValueError),
    (lambda x, w, b: (x, w.T.copy().T, b), "weight must be C-contiguous", ValueError),
    (lambda x, w, b: (x.tolist(), w, b), "input must be a numpy.ndarray", TypeError),
])
def test_forward_rejects_bad_input_naming_the_argument(make, match, error):
    x, w, b, _ = _inputs(4, 3, 2, np.float32, 0)
    with pytest.raises(error, match=match):
        K.linear_forward(*make(x, w, b))


@pytest.mark.parametrize("make,match,error", [
    (lambda x, w, g: (x, w, g[:, :-1].copy()), "shapes do not match", ValueError),
    (lambda x, w, g: (x, w, g.astype(np.float64)), "grad_out must have the dtype of input", TypeError),
    (lambda x, w, g: (x, w, g[::2]), "grad_out must be C-contiguous|shapes do not match", ValueError),
    (lambda x, w, g: (x, w[:, :2].copy(), g), "shapes do not match", ValueError),
])
def test_backward_rejects_bad_input_naming_the_argument(make, match, error):
    x, w, _, g = _inputs(4, 3, 2, np.float32, 0)
    with pytest.raises(error, match=match):
        K.linear_backward(*make(x, w, g))


def test_non_contiguous_tensors_reach_the_kernel_through_the_layer():
    import fastnn
    rng = np.random.default_rng(0)
    base = rng.standard_normal((6, 8)).astype(np.float32)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    x = fastnn.tensor(base)[:, ::2]  # a strided view
    out = fastnn.nn.functional.linear(x, fastnn.tensor(w))
    np.testing.assert_allclose(out.numpy(), base[:, ::2] @ w.T, rtol=1e-5, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(N=st.integers(0, 40), V=st.integers(1, 12), D=st.integers(1, 9), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**31))
def test_embedding_backward_matches_the_reference(N, V, D, dtype, seed):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, V, N)   # repeats whenever N > V: their rows must add up
    g = rng.standard_normal((N, D)).astype(dtype)
    got = K.embedding_backward(idx, g, V)
    assert got.dtype == dtype and got.shape == (V, D)
    np.testing.assert_allclose(got, R.embedding_backward(idx, g, V), **TOL[dtype])


@pytest.mark.parametrize("module", [K, R], ids=["compiled", "reference"])
def test_embedding_backward_rejects_an_index_out_of_range(module):
    g = np.ones((3, 2), np.float32)
    for bad in (np.array([0, 5, 1]), np.array([0, -1, 1])):
        with pytest.raises(IndexError):
            module.embedding_backward(bad, g, 5)


def test_embedding_backward_rejects_bad_arguments_naming_them():
    g = np.ones((3, 2), np.float32)
    with pytest.raises(TypeError, match="indices"):
        K.embedding_backward(np.array([0.0, 1.0, 2.0]), g, 5)
    with pytest.raises(ValueError, match="indices"):
        K.embedding_backward(np.array([0, 1]), g, 5)
    with pytest.raises(TypeError, match="grad_out"):
        K.embedding_backward(np.array([0, 1, 2]), g.astype(np.int32), 5)
    with pytest.raises(ValueError, match="num_embeddings"):
        K.embedding_backward(np.array([0, 1, 2]), g, -1)
