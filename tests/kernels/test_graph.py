"""Compiled graph kernels against the NumPy reference over random graphs (isolated nodes, self loops,
duplicate and directed edges, one node, no edges), float32 and float64, forward and backward."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastnn import kernels as K
from fastnn.kernels import reference as R

TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 12))
    E = draw(st.sampled_from([0, 1, 3, 10, 40]))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, E), rng.integers(0, n, E)
    if E and draw(st.booleans()):  # leave the last node isolated
        src, dst = np.minimum(src, max(n - 2, 0)), np.minimum(dst, max(n - 2, 0))
    return dict(n=n, src=src.astype(np.int64), dst=dst.astype(np.int64), rng=rng,
                dtype=draw(st.sampled_from([np.float32, np.float64])), heads=draw(st.sampled_from([1, 2, 3])),
                weighting=draw(st.sampled_from(["none", "edge", "head"])), reduce=draw(st.sampled_from(["sum", "mean"])))


def _csr(g, k=K):
    return k.edges_to_csr(g["src"], g["dst"], g["n"])


def _values(g, E):
    if g["weighting"] == "none":
        return None
    shape = (E,) if g["weighting"] == "edge" else (E, g["heads"])
    return g["rng"].standard_normal(shape).astype(g["dtype"])


@settings(max_examples=60, deadline=None)
@given(g=graphs())
def test_structure_kernels_match_reference(g):
    for got, want in zip(_csr(g), _csr(g, R)):
        np.testing.assert_array_equal(got, want)
    indptr, indices, _ = _csr(g)
    for got, want in zip(K.csr_transpose(indptr, indices, g["n"]), R.csr_transpose(indptr, indices, g["n"])):
        np.testing.assert_array_equal(got, want)
    weight = g["rng"].random(len(g["src"])).astype(g["dtype"])
    for w in (None, weight):
        got = K.add_remaining_self_loops(g["src"], g["dst"], g["n"], w, 2.0)
        want = R.add_remaining_self_loops(g["src"], g["dst"], g["n"], w, 2.0)
        for a, b in zip(got, want):
            if a is None:
                assert b is None
            else:
                np.testing.assert_array_equal(a, b)
    values = g["rng"].random(len(indices)).astype(g["dtype"])
    for a, b in zip(K.gcn_norm_csr(indptr, indices, values), R.gcn_norm_csr(indptr, indices, values)):
        np.testing.assert_allclose(a, b, **TOL[g["dtype"]])


@settings(max_examples=80, deadline=None)
@given(g=graphs(), feats=st.integers(1, 4))
def test_spmm_forward_and_backward_match_reference(g, feats):
    indptr, indices, _ = _csr(g)
    F = feats * g["heads"]
    x = g["rng"].standard_normal((g["n"], F)).astype(g["dtype"])
    values = _values(g, len(indices))
    out = K.spmm_csr(indptr, indices, values, x, g["reduce"])
    np.testing.assert_allclose(out, R.spmm_csr(indptr, indices, values, x, g["reduce"]), **TOL[g["dtype"]])
    grad = g["rng"].standard_normal(out.shape).astype(g["dtype"])
    t = K.csr_transpose(indptr, indices, g["n"])
    got = K.spmm_csr_backward(indptr, indices, values, x, grad, *t, g["reduce"])
    want = R.spmm_csr_backward(indptr, indices, values, x, grad, *t, g["reduce"])
    for a, b in zip(got, want):
        if b is None:
            assert a is None
        else:
            assert a.shape == b.shape and a.dtype == g["dtype"]
            np.testing.assert_allclose(a, b, **TOL[g["dtype"]])


@settings(max_examples=60, deadline=None)
@given(g=graphs(), feats=st.integers(1, 5))
def test_max_aggregation_matches_reference(g, feats):
    indptr, indices, _ = _csr(g)
    x = g["rng"].standard_normal((g["n"], feats)).astype(g["dtype"])
    x[g["rng"].random(x.shape) < 0.2] = 0.5  # ties: the first edge's source wins in both
    (out, arg), (ref_out, ref_arg) = K.spmm_max_csr(indptr, indices, x), R.spmm_max_csr(indptr, indices, x)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(arg, ref_arg)
    grad = g["rng"].standard_normal(out.shape).astype(g["dtype"])
    np.testing.assert_allclose(K.spmm_max_backward(arg, grad, g["n"]), R.spmm_max_backward(arg, grad, g["n"]),
                               **TOL[g["dtype"]])


@settings(max_examples=60, deadline=None)
@given(g=graphs())
def test_segment_softmax_matches_reference(g):
    indptr, indices, _ = _csr(g)
    scores = (3 * g["rng"].standard_normal((len(indices), g["heads"]))).astype(g["dtype"])
    alpha = K.segment_softmax(indptr, scores)
    np.testing.assert_allclose(alpha, R.segment_softmax(indptr, scores), **TOL[g["dtype"]])
    rows = np.repeat(np.arange(g["n"]), np.diff(indptr))
    sums = np.zeros((g["n"], g["heads"]))
    np.add.at(sums, rows, alpha)
    has_edges = np.diff(indptr) > 0
    np.testing.assert_allclose(sums[has_edges], 1, rtol=1e-5)
    grad = g["rng"].standard_normal(alpha.shape).astype(g["dtype"])
    np.testing.assert_allclose(K.segment_softmax_backward(indptr, alpha, grad),
                               R.segment_softmax_backward(indptr, alpha, grad), **TOL[g["dtype"]])


def test_nan_propagates_through_aggregation_and_attention():
    indptr, indices, _ = K.edges_to_csr(np.array([0, 1, 2]), np.array([2, 2, 0]), 3)
    x = np.array([[1.0], [np.nan], [2.0]])
    assert np.isnan(K.spmm_csr(indptr, indices, None, x)[2, 0]) and K.spmm_csr(indptr, indices, None, x)[0, 0] == 2
    out, _ = K.spmm_max_csr(indptr, indices, x)
    assert np.isnan(out[2, 0]) and out[0, 0] == 2.0
    alpha = K.segment_softmax(indptr, np.array([[0.0], [np.nan], [1.0]]))
    assert np.isnan(alpha[indptr[2]:indptr[3]]).all() and alpha[0, 0] == 1.0


def test_isolated_nodes_get_zero_and_normalisation_zero_weight():
    indptr, indices, _ = K.edges_to_csr(np.array([0]), np.array([1]), 3)
    x = np.ones((3, 2), np.float32)
    np.testing.assert_array_equal(K.spmm_csr(indptr, indices, None, x, "mean"), [[0, 0], [1, 1], [0, 0]])
    norm, deg = K.gcn_norm_csr(indptr, indices, np.ones(1, np.float32))
    assert np.isfinite(norm).all() and deg.tolist() == [0, 1, 0]


@pytest.mark.parametrize("call,error,match", [
    (lambda: K.edges_to_csr(np.array([0, 5]), np.array([1, 1]), 3), IndexError, "src"),
    (lambda: K.edges_to_csr(np.array([0, -1]), np.array([1, 1]), 3), IndexError, "src"),
    (lambda: K.edges_to_csr(np.array([0.0, 1.0]), np.array([1, 1]), 3), TypeError, "src must be int64"),
    (lambda: K.edges_to_csr(np.array([0, 1]), np.array([1]), 3), ValueError, "same length"),
    (lambda: K.edges_to_csr(np.array([0]), np.array([1]), -1), ValueError, "num_nodes"),
    (lambda: K.spmm_csr(np.array([0, 1]), np.array([4]), None, np.ones((2, 2))), IndexError, "indices"),
    (lambda: K.spmm_csr(np.array([0, 2]), np.array([0]), None, np.ones((2, 2))), ValueError, "indptr"),
    (lambda: K.spmm_csr(np.array([0, 1]), np.array([0]), np.ones(2), np.ones((2, 2))), ValueError, "values"),
    (lambda: K.spmm_csr(np.array([0, 1]), np.array([0]), np.ones((1, 3)), np.ones((2, 2))), ValueError, "heads"),
    (lambda: K.spmm_csr(np.array([0, 1]), np.array([0]), np.ones(1, np.float32), np.ones((2, 2))), TypeError,
     "values must have the dtype of x"),
    (lambda: K.spmm_csr(np.array([0, 1]), np.array([0]), None, np.ones((2, 2)), "max"), ValueError, "reduce"),
    (lambda: K.spmm_max_backward(np.array([[7]]), np.ones((1, 1)), 3), IndexError, "argmax"),
    (lambda: K.segment_softmax(np.array([0, 3]), np.ones((2, 1))), IndexError, "indptr"),
])
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
