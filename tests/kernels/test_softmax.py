"""Compiled softmax / log-softmax / cross-entropy kernels against the NumPy reference."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastnn import kernels as K
from fastnn.kernels import reference as R
from fastnn.kernels import _softmax

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}
DTYPES = [np.float32, np.float64]

shapes = st.tuples(st.integers(0, 40), st.integers(0, 300))


def _data(rng, shape, dtype, spread=4.0):
    return (rng.standard_normal(shape) * spread).astype(dtype)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, dtype=st.sampled_from(DTYPES), log=st.booleans(),
       scale=st.sampled_from([1.0, 0.125, 2.5]), seed=st.integers(0, 2**31))
def test_softmax_matches_reference(shape, dtype, log, scale, seed):
    rng = np.random.default_rng(seed)
    x = _data(rng, shape, dtype)
    y = K.softmax_forward(x, scale, None, log)
    assert y.dtype == dtype and y.shape == shape
    np.testing.assert_allclose(y, R.softmax_forward(x, scale, None, log), **TOL[dtype])
    g = _data(rng, shape, dtype, 1.0)
    _assert_backward_close(y, g, scale, log)


def _assert_backward_close(y, g, scale, log):
    """The backward cancels a row sum against each element, so float error scales with the
    terms, not the result: compare with a float64 reference within a few ulps of the terms
    (the baseline, AVX2 and AVX-512 builds each sum in a different order)."""
    got = K.softmax_backward(y, g, scale, log)
    y64, g64 = y.astype(np.float64), g.astype(np.float64)
    want = R.softmax_backward(y64, g64, scale, log)
    p = np.exp(y64) if log else y64
    if log:
        terms = np.abs(g64) + p * np.abs(g64).sum(axis=1, keepdims=True)
    else:
        terms = p * (np.abs(g64) + (p * np.abs(g64)).sum(axis=1, keepdims=True))
    bound = 16 * np.finfo(y.dtype).eps * abs(scale) * terms + TOL[y.dtype.type]["rtol"] * np.abs(want)
    assert got.dtype == y.dtype
    assert np.all(np.abs(got - want) <= bound), np.max(np.abs(got - want) - bound)


@settings(max_examples=40, deadline=None)
@given(shape=st.tuples(st.integers(1, 24), st.integers(1, 300)), dtype=st.sampled_from(DTYPES), log=st.booleans(),
       offset=st.integers(0, 15), seed=st.integers(0, 2**31))
def test_streamed_rows_match_reference(shape, dtype, log, offset, seed):
    """Outputs past STREAM_MIN_BYTES go out by non-temporal stores (whole cache lines; ordinary
    stores at the rows' ends): forced here on small shapes, into outputs that start `offset`
    elements past a 64-byte line. The same values as the ordinary stores, bit for bit, nothing
    written outside the output, and the reference's values."""
    rng = np.random.default_rng(seed)
    x, g = _data(rng, shape, dtype), _data(rng, shape, dtype, 1.0)
    size = x.size
    runs = {}
    for stream in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_softmax, "STREAM_MIN_BYTES", 0 if stream else 2 ** 62)
            y = K.softmax_forward(x, 1.0, None, log)
            bufs = [np.full(size + 32, 7.0, dtype) for _ in range(2)]
            starts = [offset + (-b.ctypes.data // b.itemsize) % 16 for b in bufs]
            out, gx = (b[s:s + size].reshape(shape) for b, s in zip(bufs, starts))
            _softmax._softmax_rows(x, out, 1.0, None, log)
            _softmax._softmax_backward_rows(y, g, gx, 1.0, log)
            for b, s in zip(bufs, starts):
                assert np.all(b[:s] == 7.0) and np.all(b[s + size:] == 7.0)
            runs[stream] = (y, out, gx, K.softmax_backward(y, g, 1.0, log), K.softmax_backward(y, g[:1], 1.0, log))
    for a, b in zip(runs[True], runs[False]):
        np.testing.assert_array_equal(a, b)
    y, out, gx, _, _ = runs[True]
    np.testing.assert_array_equal(out, y)
    np.testing.assert_allclose(y, R.softmax_forward(x, 1.0, None, log), **TOL[dtype])
    _assert_backward_close(y, g, 1.0, log)
    np.testing.assert_array_equal(gx, K.softmax_backward(y, g, 1.0, log))


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 6), reps=st.integers(1, 5), cols=st.integers(1, 70), dtype=st.sampled_from(DTYPES),
       log=st.booleans(), scale=st.sampled_from([1.0, 0.5]), seed=st.integers(0, 2**31))
def test_backward_with_grad_rows_repeating(rows, reps, cols, dtype, log, scale, seed):
    """grad (M, C) with M dividing R stands for its rows repeated down y (a broadcast gradient):
    the same numbers as the materialised gradient, bit for bit, and as the reference."""
    rng = np.random.default_rng(seed)
    y = K.softmax_forward(_data(rng, (rows * reps, cols), dtype), 1.0, None, log)
    g = _data(rng, (rows, cols), dtype, 1.0)
    full = np.tile(g, (reps, 1))
    got = K.softmax_backward(y, g, scale, log)
    np.testing.assert_array_equal(got, K.softmax_backward(y, full, scale, log))
    np.testing.assert_array_equal(R.softmax_backward(y, g, scale, log), R.softmax_backward(y, full, scale, log))
    _assert_backward_close(y, full, scale, log)


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 6), reps=st.integers(1, 5), cols=st.integers(1, 70), dtype=st.sampled_from(DTYPES),
       log=st.booleans(), boolean=st.booleans(), seed=st.integers(0, 2**31))
def test_masked_softmax_matches_reference(rows, reps, cols, dtype, log, boolean, seed):
    rng = np.random.default_rng(seed)
    x = _data(rng, (rows * reps, cols), dtype)
    keep = rng.random((rows, cols)) > 0.3
    keep[:, 0] = True  # no fully masked row here (that case has its own test)
    mask = keep if boolean else np.where(keep, rng.standard_normal((rows, cols)), -np.inf).astype(dtype)
    y = K.softmax_forward(x, 0.5, mask, log)
    np.testing.assert_allclose(y, R.softmax_forward(x, 0.5, mask, log), **TOL[dtype])
    if not log:
        assert np.all(y[np.tile(~keep, (reps, 1))] == 0)  # masked positions get exactly zero weight
        np.testing.assert_allclose(y.sum(1), 1, rtol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("boolean", [False, True])
def test_fully_masked_rows_give_nan_as_pytorch(dtype, log, boolean, rng):
    x = _data(rng, (3, 6), dtype)
    keep = np.ones((3, 6), bool)
    keep[1] = False
    mask = keep if boolean else np.where(keep, 0, -np.inf).astype(dtype)
    y = K.softmax_forward(x, 1.0, mask, log)
    assert np.isnan(y[1]).all()  # PyTorch: softmax over a row of -inf is NaN
    np.testing.assert_allclose(y[[0, 2]], R.softmax_forward(x, 1.0, mask, log)[[0, 2]], **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_element_and_large_rows(dtype, rng):
    np.testing.assert_array_equal(K.softmax_forward(np.array([[3.0]], dtype)), [[1.0]])
    np.testing.assert_array_equal(K.softmax_forward(np.array([[3.0]], dtype), log=True), [[0.0]])
    x = _data(rng, (3, 5000), dtype, 30)
    np.testing.assert_allclose(K.softmax_forward(x), R.softmax_forward(x), **TOL[dtype])


@pytest.mark.parametrize("cols", [1, 15, 16, 17, 33, 256, 1000])
@pytest.mark.parametrize("log", [False, True])
def test_float32_exponentials_over_the_whole_range(cols, log):
    """The float32 rows take their exponentials VLANES at a time (and the tail one by one): over
    logits from the max down past exp's underflow bound (-87.3), against float64 math. Rows of
    every length hit the vector body, the tail, or both."""
    x = np.stack([np.linspace(-100, 0, cols), np.linspace(0, -100, cols)[::-1] + 5,
                  np.where(np.arange(cols) % 3 == 0, -np.inf, np.linspace(-90, 1, cols))]).astype(np.float32)
    x[2, -1] = 1.0  # the -inf row keeps one finite max
    z = x.astype(np.float64) - x.astype(np.float64).max(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        want = z - np.log(np.exp(z).sum(axis=1, keepdims=True)) if log else np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    got = K.softmax_forward(x, log=log)
    if log:
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=2e-6, atol=2e-6)
        assert np.all(got[~finite] == -np.inf)
    else:
        np.testing.assert_allclose(got, want, rtol=4e-6, atol=1e-37)
        assert np.all(got[x == -np.inf] == 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log", [False, True])
def test_non_finite_rows_propagate_like_numpy(dtype, log):
    x = np.array([[0.0, 1.0, 2.0], [0.0, np.nan, 1.0], [0.0, np.inf, 1.0], [-np.inf, -np.inf, -np.inf],
                  [-np.inf, 0.0, 1.0], [1e30, 0.0, -1e30]], dtype)
    with np.errstate(all="ignore"):
        ref = R.softmax_forward(x, log=log)
    out = K.softmax_forward(x, log=log)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    finite = ~np.isnan(ref)
    np.testing.assert_allclose(out[finite], ref[finite], **TOL[dtype])
    assert np.isnan(out[1:4]).all()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 30), c=st.integers(1, 40), dtype=st.sampled_from(DTYPES),
       weighted=st.booleans(), smoothing=st.sampled_from([0.0, 0.1, 1.0]), seed=st.integers(0, 2**31))
def test_cross_entropy_matches_reference(n, c, dtype, weighted, smoothing, seed):
    rng = np.random.default_rng(seed)
    logits = _data(rng, (n, c), dtype)
    target = rng.integers(0, c, n)
    target[rng.random(n) < 0.2] = -100  # some ignored rows
    w = rng.random(c).astype(dtype) + 0.1 if weighted else None
    loss, logp = K.cross_entropy_forward(logits, target, w, -100, smoothing)
    ref_loss, ref_logp = R.cross_entropy_forward(logits, target, w, -100, smoothing)
    np.testing.assert_allclose(loss, ref_loss, **TOL[dtype])
    np.testing.assert_allclose(logp, ref_logp, **TOL[dtype])
    g = _data(rng, (n,), dtype, 1.0)
    np.testing.assert_allclose(K.cross_entropy_backward(logp, target, g, w, -100, smoothing),
                               R.cross_entropy_backward(logp, target, g, w, -100, smoothing), **TOL[dtype])


def test_cross_entropy_reference_is_the_textbook_formula(rng):
    """Guard the oracle itself: -log softmax(x)[t] computed by hand."""
    x = rng.standard_normal((4, 3))
    t = np.array([0, 2, 1, 2])
    by_hand = np.array([np.log(np.exp(r).sum()) - r[k] for r, k in zip(x, t)])
    np.testing.assert_allclose(R.cross_entropy_forward(x, t)[0], by_hand, rtol=1e-12)
    np.testing.assert_allclose(K.cross_entropy_forward(x, t)[0], by_hand, rtol=1e-12)


class TestValidation:
    def test_wrong_dtype(self):
        with pytest.raises(TypeError, match="x must be float32 or float64"):
            K.softmax_forward(np.zeros((2, 2), np.int64))

    def test_wrong_rank(self):
        with pytest.raises(ValueError, match="x must be 2-D"):
            K.softmax_forward(np.zeros(3, np.float32))

    def test_not_contiguous(self):
        with pytest.raises(ValueError, match="x must be C-contiguous"):
            K.softmax_forward(np.zeros((4, 4), np.float32)[:, ::2])

    def test_not_an_array(self):
        with pytest.raises(TypeError, match="x must be a numpy.ndarray"):
            K.softmax_forward([[1.0, 2.0]])

    def test_mask_shape(self):
        with pytest.raises(ValueError, match="mask must have shape"):
            K.softmax_forward(np.zeros((6, 4), np.float32), mask=np.zeros((4, 4), np.float32))

    def test_mask_dtype(self):
        with pytest.raises(TypeError, match="mask must be bool or have the dtype of x"):
            K.softmax_forward(np.zeros((2, 4), np.float32), mask=np.zeros((2, 4), np.float64))

    def test_grad_shape(self):
        with pytest.raises(ValueError, match="grad must have the shape of out"):
            K.softmax_backward(np.zeros((2, 4), np.float32), np.zeros((2, 3), np.float32))
        for rows in (4, 0):  # rows must divide out's 6 rows
            with pytest.raises(ValueError, match=r"or \(M, 4\) with M dividing 6"):
                K.softmax_backward(np.zeros((6, 4), np.float32), np.zeros((rows, 4), np.float32))
        with pytest.raises(ValueError, match="grad must be 2-D"):
            K.softmax_backward(np.zeros((6, 4), np.float32), np.zeros(4, np.float32))
        with pytest.raises(TypeError, match="grad must have the dtype of out"):
            K.softmax_backward(np.zeros((6, 4), np.float32), np.zeros((3, 4), np.float64))

    def test_target_out_of_range(self):
        with pytest.raises(IndexError, match="target holds 5"):
            K.cross_entropy_forward(np.zeros((2, 4), np.float32), np.array([1, 5]))

    def test_negative_target(self):
        with pytest.raises(IndexError, match="target holds -1"):
            K.cross_entropy_forward(np.zeros((2, 4), np.float32), np.array([1, -1]))

    def test_target_dtype_and_length(self):
        with pytest.raises(TypeError, match="target must be int64"):
            K.cross_entropy_forward(np.zeros((2, 4), np.float32), np.array([1, 2], np.int32))
        with pytest.raises(ValueError, match=r"target must have shape \(2,\)"):
            K.cross_entropy_forward(np.zeros((2, 4), np.float32), np.array([1, 2, 3]))

    def test_weight_and_smoothing(self):
        x, t = np.zeros((2, 4), np.float32), np.array([1, 2])
        with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
            K.cross_entropy_forward(x, t, np.ones(3, np.float32))
        with pytest.raises(ValueError, match="label_smoothing must be in"):
            K.cross_entropy_forward(x, t, None, -100, 1.5)
