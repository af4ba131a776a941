"""The machine's SGEMM peak with the BLAS the kernels use, the yardstick for GEMM-bound cases."""
import time

import numpy as np

# (M, K, N) of the probes: large enough that packing and edges cost little. The best of them is
# the peak: a single square size can sit on an unlucky blocking of the BLAS (measured here:
# 2048^3 through scipy's Python wrapper gave 74 GFLOP/s where 4096 x 1024 x 1024 through the
# kernels' own GEMM path gave 121).
PROBES = ((2048, 2048, 2048), (4096, 1024, 1024), (1024, 4096, 1024))


def sgemm_peak_gflops(repeat=3):
    """Best GFLOP/s of large float32 GEMMs through the linear kernel (scipy's BLAS via cython_blas,
    the path every GEMM-bound kernel takes) at fastnn's thread count; a multiply-add counts as 2."""
    from .. import kernels
    rng = np.random.default_rng(0)
    best = 0.0
    for M, K, N in PROBES:
        x = rng.standard_normal((M, K), dtype=np.float32)
        w = rng.standard_normal((N, K), dtype=np.float32)
        kernels.linear_forward(x, w, None)  # warm up: page in, start the BLAS threads
        for _ in range(repeat):
            start = time.perf_counter()
            kernels.linear_forward(x, w, None)
            best = max(best, 2.0 * M * K * N / (time.perf_counter() - start) / 1e9)
    return best
