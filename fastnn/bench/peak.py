"""The machine's SGEMM peak with the BLAS the kernels use (scipy's), the yardstick for GEMM-bound cases."""
import time

import numpy as np


def sgemm_peak_gflops(n=2048, repeat=5):
    """Best GFLOP/s of an (n, n) x (n, n) float32 GEMM through scipy's BLAS at fastnn's thread count.

    Large and square, so packing and edge effects are small: as near the machine's float32
    peak as this BLAS gets. Counted as 2 n^3 operations (a multiply-add is two).
    """
    from scipy.linalg.blas import sgemm
    rng = np.random.default_rng(0)
    a = np.asfortranarray(rng.standard_normal((n, n), dtype=np.float32))
    b = np.asfortranarray(rng.standard_normal((n, n), dtype=np.float32))
    c = np.zeros((n, n), np.float32, order="F")
    sgemm(1.0, a, b, 0.0, c, overwrite_c=True)  # warm up: page in, start the BLAS threads
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        sgemm(1.0, a, b, 0.0, c, overwrite_c=True)
        best = min(best, time.perf_counter() - start)
    return 2.0 * n ** 3 / best / 1e9
