"""NumPy's array data on 64-byte lines after `import fastnn` (csrc/alignedalloc.h): every way NumPy gets
memory (malloc, calloc, realloc) gives an aligned start, zeroed memory stays zero, a reallocation keeps the
contents whichever way its start moves, and arrays from before the policy are still freed by their own."""
import gc

import numpy as np
import pytest

import fastnn

try:
    from numpy._core.multiarray import get_handler_name
except ImportError:   # NumPy 1.x
    from numpy.core.multiarray import get_handler_name

pytestmark = pytest.mark.skipif(get_handler_name(np.empty(1)) != "fastnn_aligned_allocator",
                                reason="fastnn's NumPy policy is off (FASTNN_NO_PROCESS_TUNING=1)")

SIZES = [1, 3, 15, 16, 17, 63, 64, 65, 1000, 4096, 100_003, 1 << 20, 5 << 20]


@pytest.mark.parametrize("n", SIZES)
def test_empty_zeros_and_copies_start_on_a_line(n):
    for a in (np.empty(n, np.uint8), np.zeros(n, np.uint8), np.ones(n, np.float32), np.arange(n) * 2,
              fastnn.zeros(n).numpy(), fastnn.randn(n).numpy() + 1):
        assert a.ctypes.data % 64 == 0
    assert not np.zeros(n, np.uint8).any()


@pytest.mark.parametrize("start,grown", [(10, 100_000), (100_000, 10), (1000, 1001), (7, 7 << 20), (7 << 20, 9)])
def test_resize_keeps_contents_and_alignment(start, grown):
    rng = np.random.default_rng(start)
    for _ in range(20):   # realloc may move the block, or keep it, with any offset to a line
        a = rng.integers(0, 255, start).astype(np.uint8)
        want = a[:min(start, grown)].copy()
        a.resize(grown, refcheck=False)
        assert a.ctypes.data % 64 == 0
        np.testing.assert_array_equal(a[:min(start, grown)], want)
        junk = [np.empty(int(rng.integers(1, 5000)), np.uint8) for _ in range(5)]   # shuffle the heap
        del junk


def test_fromiter_grows_by_reallocation_and_keeps_every_value():
    a = np.fromiter((i * 3 for i in range(50_000)), np.int64)
    assert a.ctypes.data % 64 == 0
    np.testing.assert_array_equal(a, np.arange(50_000) * 3)


def test_kernel_results_match_on_aligned_and_unaligned_inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 16)).astype(np.float32)
    raw = np.empty(x.size + 16, np.float32)
    unaligned = raw[4:4 + x.size].reshape(x.shape)   # 16 bytes past a line: rows straddle two lines
    unaligned[:] = x
    assert unaligned.ctypes.data % 64 == 16
    adj = fastnn.sparse_csr_tensor(fastnn.tensor(np.arange(0, 301, dtype=np.int64)),
                                   fastnn.tensor(rng.integers(0, 300, 300)), fastnn.ones(300), (300, 300))
    a = fastnn.sparse.mm(adj, fastnn.tensor(x)).numpy()
    b = fastnn.sparse.mm(adj, fastnn.from_numpy(unaligned)).numpy()
    np.testing.assert_array_equal(a, b)
    gc.collect()
