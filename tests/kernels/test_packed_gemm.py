"""The float32 GEMM engine (csrc/packedgemm.h) behind every kernel product on the AVX-512 build,
and BLAS behind the lower builds: both against a float64 NumPy product, over shapes that cross
its block edges (32-column panels, 128-row and 256-deep blocks), all four transposes, and
operands that are views into larger arrays (row strides longer than their rows)."""
import os
import subprocess
import sys

import numpy as np
import pytest

from fastnn import kernels as K

EDGES = [1, 7, 8, 31, 32, 33, 127, 128, 129, 255, 256, 257, 600]


def _operand(rng, rows, cols, transposed, padded, dtype):
    """A (rows, cols) operand: a transposed view, a slice of a wider array, or plain."""
    if transposed:
        return rng.standard_normal((cols, rows)).astype(dtype).T
    if padded:
        return rng.standard_normal((rows, cols + 5)).astype(dtype)[:, :cols]
    return rng.standard_normal((rows, cols)).astype(dtype)


def _check(rng, m, n, k, ta, tb, padded, dtype):
    a = _operand(rng, m, k, ta, padded, dtype)
    b = _operand(rng, k, n, tb, padded, dtype)
    got = K.matmul(a, b)
    want = a.astype(np.float64) @ b.astype(np.float64)
    assert got.shape == (m, n) and got.dtype == dtype
    scale = np.sqrt(k) * (1e-6 if dtype == np.float32 else 1e-14)
    np.testing.assert_allclose(got, want, rtol=0, atol=10 * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_across_block_edges(dtype):
    rng = np.random.default_rng(1)
    for trial in range(60):
        m, n, k = (int(rng.choice(EDGES)) for _ in range(3))
        ta, tb, padded = (bool(v) for v in rng.integers(0, 2, 3))
        _check(rng, m, n, k, ta, tb, padded, dtype)


def test_transposed_b_packs_every_edge_of_its_8x8_blocks():
    # op(B) = B^T is packed in 8 x 8 register transposes: every remainder of n (panel columns) and k
    # (block depth) modulo 8
    rng = np.random.default_rng(3)
    for n in list(range(1, 41)) + [63, 65]:
        for k in (1, 5, 8, 13, 16, 255, 257, 300):
            _check(rng, 24, n, k, False, True, False, np.float32)


def test_large_products_split_over_threads():
    # long sums (k-chunks) and tall or wide results (slices of C): each slice runs the engine on its part
    rng = np.random.default_rng(2)
    for m, n, k, ta, tb in [(1600, 1024, 128, False, True), (1024, 128, 1600, True, False),
                            (300, 260, 3000, True, False), (64, 2000, 520, False, True)]:
        _check(rng, m, n, k, ta, tb, False, np.float32)


LOWER_BUILD = """
import numpy as np
from fastnn import kernels as K
rng = np.random.default_rng(4)
a = rng.standard_normal((300, 257)).astype(np.float32)
b = rng.standard_normal((257, 129)).astype(np.float32)
np.save("out.npy", K.matmul(a, b.T.copy().T))   # b as a transposed view
"""


@pytest.mark.parametrize("level", ["0", "1"])
def test_lower_builds_agree_with_numpy(tmp_path, level):
    env = dict(os.environ, FASTNN_CPU_LEVEL=level)
    subprocess.run([sys.executable, "-c", LOWER_BUILD], env=env, cwd=tmp_path, check=True)
    rng = np.random.default_rng(4)
    a = rng.standard_normal((300, 257)).astype(np.float32)
    b = rng.standard_normal((257, 129)).astype(np.float32)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), a.astype(np.float64) @ b, rtol=0, atol=1e-3)
    np.testing.assert_allclose(K.matmul(a, b), a.astype(np.float64) @ b, rtol=0, atol=1e-3)
