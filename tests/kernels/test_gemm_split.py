"""The GEMM split over fastnn's threads (csrc/gemmsplit.pxd, csrc/gemmpool.h): the split product equals
the unsplit BLAS call to rounding and NumPy's float64 product, is bitwise the same whatever the
thread count for a given split, and the kernels' BLAS stays on one thread."""
import os
import sys
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import fastnn
from fastnn._blas_threads import kernel_blas_path
from fastnn.kernels import _linear

SHAPES = [(64, 800, 500), (2708, 16, 1433), (300, 700, 40), (17, 33, 5000), (1000, 20, 31)]   # (m, n, k)
TOL = {np.float32: 2e-5, np.float64: 1e-13}


def _operands(m, n, k, trans_a, trans_b, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    expect = (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b).astype(np.float64)
    return a, b, expect


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n, k", SHAPES)
@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (False, True), (True, False), (True, True)])
def test_split_equals_unsplit(m, n, k, trans_a, trans_b, dtype):
    a, b, expect = _operands(m, n, k, trans_a, trans_b, dtype)
    whole = _linear._gemm_in_parts(a, b, trans_a, trans_b, 1, 1)
    scale = np.abs(expect).max()
    assert np.abs(whole - expect).max() <= TOL[dtype] * scale
    for parts in (2, 3, 8):
        split = _linear._gemm_in_parts(a, b, trans_a, trans_b, parts, 2)
        assert split.dtype == dtype
        # each element is the same k-long sum as in the unsplit call; BLAS may pick another kernel
        # for a thinner slice, so the two agree to rounding (and both to the float64 product)
        assert np.abs(split - whole).max() <= TOL[dtype] * scale
        assert np.abs(split - expect).max() <= TOL[dtype] * scale


@pytest.mark.parametrize("m, n, k", [(1024, 384, 1600), (40, 85, 600), (300, 33, 257), (17, 64, 8)])
@pytest.mark.parametrize("trans_a", [False, True])
def test_product_with_its_operand_packed_beforehand_matches_the_unpacked_one(m, n, k, trans_a):
    # An LSTM backward writes [x | h_prev] straight into the engine's packed layout (256-row blocks of 32-wide
    # panels); the product must read it back as the engine's own packing would have laid it out: the same
    # sums in the same order, so the same bits as the ordinary call.
    a, b, expect = _operands(m, n, k, trans_a, False, np.float32, seed=3)
    got = _linear._prepacked_product(a, b, trans_a)
    if got is None:
        pytest.skip("the packed engine runs only on the AVX-512 build (this CPU or FASTNN_CPU_LEVEL has less)")
    assert np.abs(got - expect).max() <= TOL[np.float32] * np.abs(expect).max()
    assert np.array_equal(got, _linear._gemm_in_parts(a, b, trans_a, False, 1, 1))


@pytest.mark.parametrize("m, n, k", [(300, 512, 1024), (130, 700, 2048), (17, 513, 1024)])
def test_product_whose_rows_are_4kb_apart_matches_reference_and_the_packed_transpose(m, n, k):
    # A float32 A whose rows are a multiple of 4 KB apart is copied block by block before the tiles read it
    # (packedgemm.h's copy_a, n >= 512): the same sums as A^T packed by the transposed path, so the same bits.
    a, b, expect = _operands(m, n, k, False, False, np.float32, seed=5)
    got = _linear._gemm_in_parts(a, b, False, False, 1, 1)
    assert np.abs(got - expect).max() <= TOL[np.float32] * np.abs(expect).max()
    assert np.array_equal(got, _linear._gemm_in_parts(np.ascontiguousarray(a.T), b, True, False, 1, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_is_bitwise_the_same_on_any_thread_count(dtype):
    a, b, _ = _operands(700, 300, 200, False, True, dtype)
    first = _linear._gemm_in_parts(a, b, False, True, 8, 1)
    for threads in (1, 2, 3, 4):
        for _ in range(3):
            assert np.array_equal(_linear._gemm_in_parts(a, b, False, True, 8, threads), first)


def test_split_rule():
    rule = _linear._split_parts
    assert rule(4, 16, 3, 2) == 1                      # a few flops: one BLAS call
    assert rule(128, 128, 128, 2) == 1                 # 4 MFLOP: not worth a hand-off
    assert rule(4096, 1024, 1024, 1) == 1              # one thread: never split
    assert rule(64, 500, 800, 2) == 2                  # one slice per thread ...
    assert 2 < rule(4096, 1024, 1024, 2) <= 4          # ... up to two, while slices stay long
    assert rule(4096, 1024, 1024, 8) <= 4096 // 16
    assert rule(64, 800, 500, 2) == 2                  # three slices would leave one thread idle a third of the time
    assert rule(4096, 1024, 1024, 5) % 5 == 0          # whole slices per thread
    for m, n, k in SHAPES:
        assert 1 <= rule(m, n, k, 2) <= 8


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_kernel_on_split_products_matches_numpy(dtype):
    """Every product of Linear forward and backward large enough to be split."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2708, 1433)).astype(dtype)
    w = rng.standard_normal((16, 1433)).astype(dtype)
    bias = rng.standard_normal(16).astype(dtype)
    g = rng.standard_normal((2708, 16)).astype(dtype)
    x64, w64, g64 = x.astype(np.float64), w.astype(np.float64), g.astype(np.float64)
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(2)
    try:
        y = _linear.linear_forward(x, w, bias)
        gx, gw, gb = _linear.linear_backward(x, w, g)
        again = (_linear.linear_forward(x, w, bias),) + _linear.linear_backward(x, w, g)
    finally:
        fastnn.set_num_threads(previous)
    for got, want in ((y, x64 @ w64.T + bias), (gx, g64 @ w64), (gw, g64.T @ x64), (gb, g64.sum(0))):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL[dtype] * np.abs(want).max() * 10)
    for first, second in zip((y, gx, gw, gb), again):   # deterministic for a fixed thread count
        assert np.array_equal(first, second)


def test_kernel_blas_held_at_one_thread():
    path = kernel_blas_path()
    if path is None:
        pytest.skip("the library behind scipy.linalg.cython_blas could not be located")
    previous = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(2)
        libs = [i for i in threadpool_info() if i["user_api"] == "blas"]
        kernel = [i for i in libs if os.path.realpath(i["filepath"]) == path]
        assert kernel and all(i["num_threads"] == 1 for i in kernel)
        # NumPy's own BLAS, when it is another library, keeps the count
        assert all(i["num_threads"] == 2 for i in libs if os.path.realpath(i["filepath"]) != path)
    finally:
        fastnn.set_num_threads(previous)


def test_split_from_several_python_threads_at_once():
    """A second caller while the pool runs a job runs its parts itself; results stay exact."""
    a, b, _ = _operands(512, 384, 256, False, False, np.float32, seed=3)
    want = _linear._gemm_in_parts(a, b, False, False, 8, 2)
    wrong = []

    def run():
        for _ in range(30):
            if not np.array_equal(_linear._gemm_in_parts(a, b, False, False, 8, 2), want):
                wrong.append(1)
    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork start method")
def test_split_in_a_forked_child():
    """The child of fork() has none of the parent's helper threads; its products still finish."""
    a, b, _ = _operands(512, 384, 256, False, False, np.float64, seed=4)
    want = _linear._gemm_in_parts(a, b, False, False, 8, 2)   # the parent's pool has started
    pid = os.fork()
    if pid == 0:
        ok = np.array_equal(_linear._gemm_in_parts(a, b, False, False, 8, 2), want)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["c", "a_transposed", "b_transposed", "strided"])
def test_matmul_kernel_matches_numpy(dtype, layout):
    from fastnn.kernels.reference import linear as reference
    rng = np.random.default_rng(5)
    m, k, n = 700, 300, 90
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    if layout == "a_transposed":
        a = np.ascontiguousarray(a.T).T
    elif layout == "b_transposed":
        b = np.ascontiguousarray(b.T).T
    elif layout == "strided":
        a = rng.standard_normal((m, 2 * k)).astype(dtype)[:, ::2]
    want = a.astype(np.float64) @ b.astype(np.float64)
    for impl in (_linear, reference):
        got = impl.matmul(a, b)
        assert got.dtype == dtype and got.shape == (m, n) and got.flags.c_contiguous
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL[dtype] * np.abs(want).max() * 10)


def test_matmul_kernel_edges_and_bad_input():
    assert np.array_equal(_linear.matmul(np.ones((3, 0), np.float32), np.ones((0, 4), np.float32)), np.zeros((3, 4)))
    with pytest.raises(TypeError, match="a must be"):
        _linear.matmul(np.ones((2, 2), np.int64), np.ones((2, 2)))
    with pytest.raises(TypeError, match="b must be"):
        _linear.matmul(np.ones((2, 2), np.float32), np.ones((2, 2)))
    with pytest.raises(ValueError, match="cannot be multiplied"):
        _linear.matmul(np.ones((2, 3)), np.ones((2, 3)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tensor_matmul_on_the_kernel_matches_pytorch(dtype):
    """fastnn.matmul of 2-D and (..., K) @ (K, N) operands now runs on the kernel: values and gradients."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    for a_shape, b_shape in (((300, 200), (200, 120)), ((4, 50, 200), (200, 120))):
        a, b = rng.standard_normal(a_shape).astype(dtype), rng.standard_normal(b_shape).astype(dtype)
        g = rng.standard_normal(a_shape[:-1] + b_shape[-1:]).astype(dtype)
        fa, fb = fastnn.tensor(a, requires_grad=True), fastnn.tensor(b, requires_grad=True)
        ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        fy, ty = fastnn.matmul(fa, fb), torch.matmul(ta, tb)
        fy.backward(fastnn.tensor(g))
        ty.backward(torch.tensor(g))
        tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
        for mine, theirs in ((fy, ty), (fa.grad, ta.grad), (fb.grad, tb.grad)):
            assert str(mine.dtype).endswith(dtype)
            np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), **tol)


def test_long_sums_are_cut_along_k_by_the_shape_alone():
    rule = _linear._ksplit_chunks
    assert rule(1024, 1024, 4096) == 4                 # a Linear weight gradient over a batch of 4096
    assert rule(4096, 1024, 1024) == 1                 # the forward of that layer: C is as long as the sum
    assert rule(64, 64, 600) == 1                      # 4.9 MFLOP: one call
    assert rule(64, 576, 50176) == 8                   # at most 8 chunks
    assert rule(300, 33, 5000) == 8 and rule(70, 130, 3001) == 5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,n,k", [(1024, 1024, 4096), (70, 130, 3001), (300, 33, 5000)])
def test_k_chunked_products_match_numpy_on_any_thread_count(dtype, m, n, k):
    assert _linear._ksplit_chunks(m, n, k) > 1
    rng = np.random.default_rng(m + n + k)
    g = rng.standard_normal((k, m)).astype(dtype)
    x = rng.standard_normal((k, n)).astype(dtype)
    want = g.astype(np.float64).T @ x.astype(np.float64)
    before = fastnn.get_num_threads()
    try:
        outs = []
        for threads in (1, 2, 3):
            fastnn.set_num_threads(threads)
            outs.append(_linear.matmul(g.T, x))    # a transposed view: BLAS's flag, through the dispatch
    finally:
        fastnn.set_num_threads(before)
    tol = dict(rtol=1e-4, atol=2e-3) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(outs[0], want, **tol)
    for other in outs[1:]:
        np.testing.assert_array_equal(other, outs[0])


def test_linear_weight_gradient_over_a_long_batch_matches_numpy():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3001, 130)).astype(np.float32)
    g = rng.standard_normal((3001, 70)).astype(np.float32)
    w = rng.standard_normal((70, 130)).astype(np.float32)
    gx, gw, gb = _linear.linear_backward(x, w, g)
    xd, gd = x.astype(np.float64), g.astype(np.float64)
    np.testing.assert_allclose(gw, gd.T @ xd, rtol=1e-4, atol=2e-3)
    np.testing.assert_allclose(gx, gd @ w.astype(np.float64), rtol=1e-4, atol=1e-3)
