"""The recurrent kernels' W_hh panels (rnn.pyx `_pack`): the forward's W_hh^T, packed by 8 x 8 register
transposes on AVX2 and AVX-512 CPUs (element by element otherwise), and the backward's W_hh, against the
panel layout built with NumPy: panel (q, g) holds columns g*H + q*nr .. of B, zero-padded to nr."""
import numpy as np
import pytest

from fastnn.kernels import _rnn


def expected_panels(B, gates, H, nr):
    """B (K, gates * H) cut into panels of nr columns per gate block: (blocks, gates, K, nr)."""
    K, blocks = B.shape[0], -(-H // nr)
    out = np.zeros((blocks, gates, K, nr), B.dtype)
    for q in range(blocks):
        for g in range(gates):
            cols = B[:, g * H + q * nr: g * H + min(H, (q + 1) * nr)]
            out[q, g, :, :cols.shape[1]] = cols
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nr", [8, 16, 32])
@pytest.mark.parametrize("H", [1, 5, 8, 13, 32, 40, 71])
def test_forward_panels_are_w_hh_transposed(H, nr, dtype):
    gates = 4
    w = np.random.default_rng(H * 7 + nr).standard_normal((gates * H, H)).astype(dtype)   # (G*H, K = H)
    dst = np.full(-(-H // nr) * gates * H * nr, np.nan, dtype)
    _rnn._pack(w.reshape(-1), 1, H, H, gates, H, nr, dst)
    np.testing.assert_array_equal(dst.reshape(-1, gates, H, nr), expected_panels(w.T, gates, H, nr))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("H", [3, 16, 37])
def test_backward_panels_are_w_hh(H, dtype):
    nr, K = 16, 4 * H
    w = np.random.default_rng(H).standard_normal((K, H)).astype(dtype)   # (G*H, H): rows are k
    dst = np.full(-(-H // nr) * K * nr, np.nan, dtype)
    _rnn._pack(w.reshape(-1), H, 1, K, 1, H, nr, dst)
    np.testing.assert_array_equal(dst.reshape(-1, 1, K, nr), expected_panels(w, 1, H, nr))
