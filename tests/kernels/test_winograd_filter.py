"""Winograd's filter transforms (conv_winograd.pxi): U = G g G^T of every channel pair, and the weight
gradient G^T S G, written out per channel pair, against the matrix products of their
definition (F(2x2, 3x3), Lavin & Gray 2016) over many channel counts."""
import numpy as np
import pytest

from fastnn.kernels import _conv

G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
TOL = {np.float32: dict(rtol=1e-6, atol=1e-6), np.float64: dict(rtol=1e-14, atol=1e-14)}
SHAPES = [(1, 1), (3, 5), (8, 8), (1, 64), (64, 1), (7, 10), (64, 64), (70, 33), (0, 4), (5, 0)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cout, cin", SHAPES)
def test_filter_transform_is_g_w_gt(cout, cin, dtype):
    w = np.random.default_rng(cout * 100 + cin).standard_normal((cout, cin, 3, 3)).astype(dtype)
    u = _conv._wino_filter(w, dtype)
    assert u.shape == (16, cout, cin) and u.dtype == dtype and u.flags.c_contiguous
    want = np.empty((16, cout, cin))
    for o in range(cout):
        for c in range(cin):
            want[:, o, c] = (G @ w[o, c].astype(np.float64) @ G.T).reshape(16)
    np.testing.assert_allclose(u, want, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cout, cin", SHAPES)
def test_filter_gradient_is_gt_s_g(cout, cin, dtype):
    s = np.random.default_rng(cout * 100 + cin + 1).standard_normal((16, cin, cout)).astype(dtype)
    gw = _conv._wino_filter_grad(s, dtype)
    assert gw.shape == (cout, cin, 3, 3) and gw.dtype == dtype and gw.flags.c_contiguous
    want = np.empty((cout, cin, 3, 3))
    for o in range(cout):
        for c in range(cin):
            want[o, c] = G.T @ s[:, c, o].astype(np.float64).reshape(4, 4) @ G
    np.testing.assert_allclose(gw, want, **TOL[dtype])


def test_gradient_is_the_adjoint_of_the_transform():
    """<G g G^T, S> = <g, G^T S G> for every pair: the two functions transpose each other."""
    rng = np.random.default_rng(7)
    w, s = rng.standard_normal((9, 6, 3, 3)), rng.standard_normal((16, 6, 9))
    lhs = np.sum(_conv._wino_filter(w, np.float64) * s.transpose(0, 2, 1))
    rhs = np.sum(w * _conv._wino_filter_grad(s, np.float64))
    assert abs(lhs - rhs) <= 1e-10 * (abs(lhs) + 1)
