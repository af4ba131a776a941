"""The attention-head layout kernels against their NumPy reference: exact copies (plus the bias), both
token orders, the bias gradient, bad arguments."""
import numpy as np
import pytest

from fastnn import kernels as K
from fastnn.kernels import reference as R


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("N,L,H,hd,W", [(3, 5, 2, 4, 3), (1, 1, 1, 1, 1), (4, 70, 3, 16, 3), (2, 9, 4, 8, 2)])
def test_split_and_merge_match_reference(dtype, batch_first, N, L, H, hd, W):
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((N * L, W * H * hd)).astype(dtype)
    bias = rng.standard_normal(W * H * hd).astype(dtype)
    for b in (bias, None):
        got = K.split_heads(rows, b, W, N, L, H, batch_first)
        np.testing.assert_array_equal(got, R.split_heads(rows, b, W, N, L, H, batch_first))
    # an independent statement of the layout: token (n, l) of block w, head h
    tok = (lambda n, l: n * L + l) if batch_first else (lambda n, l: l * N + n)
    n, l, w, h = N - 1, L - 1, W - 1, H - 1
    np.testing.assert_array_equal(got[w, n, h, l], rows[tok(n, l), (w * H + h) * hd:(w * H + h + 1) * hd])
    blocks = [rng.standard_normal((N, H, L, hd)).astype(dtype) for _ in range(W)]
    back, gb = K.split_heads_backward(blocks, batch_first, True)
    rback, rgb = R.split_heads_backward(blocks, batch_first, True)
    np.testing.assert_array_equal(back, rback)
    np.testing.assert_allclose(gb, rgb, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    assert K.split_heads_backward(blocks, batch_first, False)[1] is None
    merged = K.merge_heads(blocks[0], batch_first)
    np.testing.assert_array_equal(merged, R.merge_heads(blocks[0], batch_first))
    np.testing.assert_array_equal(K.merge_heads_backward(merged, N, L, H, batch_first), blocks[0])


def test_heads_bad_arguments():
    rows = np.zeros((6, 12), np.float32)
    with pytest.raises(ValueError, match="tokens"):
        K.split_heads(rows, None, 3, 2, 4, 2)
    with pytest.raises(ValueError, match="bias"):
        K.split_heads(rows, np.zeros(5, np.float32), 3, 2, 3, 2)
    with pytest.raises(TypeError, match="bias"):
        K.split_heads(rows, np.zeros(12), 3, 2, 3, 2)
    with pytest.raises(ValueError, match="num_blocks"):
        K.split_heads(rows, None, 4, 2, 3, 1)
    with pytest.raises(ValueError, match="blocks"):
        K.split_heads_backward([np.zeros((2, 2, 3, 2), np.float32), np.zeros((2, 2, 3, 3), np.float32)])
