"""The SpMM row kernels (csrc/spmmcsr.h) against the NumPy reference at feature widths on both sides of
every vector and tile boundary (the last vector of a tile overlaps its neighbour; widths below one
vector take the scalar path), with row-strided and broadcast operands, split over threads, and with
structures corrupted behind their freeze (IndexError, never a read out of bounds). Run on every
vector build by tests/test_vector_builds.py."""
import sys

import numpy as np
import pytest

import fastnn
from fastnn import kernels as K
from fastnn.kernels import reference as R

TOL = {np.float32: dict(rtol=3e-5, atol=3e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}
# 1..7: narrower than an AVX-512 float vector; 16/128: one vector / one full tile; 17, 129, 200: overlapped tails
WIDTHS = [1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 127, 128, 129, 200, 257]


def _graph(seed, n=23, E=90):
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, E), rng.integers(0, n - 2, E)  # the last two nodes get no edges
    indptr, indices, _ = K.edges_to_csr(src.astype(np.int64), dst.astype(np.int64), n)
    return rng, n, indptr, indices, K.csr_transpose(indptr, indices, n)


def _check(got, want, dtype):
    for a, b in zip(got, want):
        if b is None:
            assert a is None
        else:
            assert a.shape == b.shape and a.dtype == dtype
            np.testing.assert_allclose(a, b, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("F", WIDTHS)
def test_every_width_matches_the_reference(F, dtype):
    rng, n, indptr, indices, t = _graph(F)
    x = rng.standard_normal((n, F)).astype(dtype)
    g = rng.standard_normal((n, F)).astype(dtype)
    heads = [h for h in (1, 2, 3) if F % h == 0]
    weightings = [None] + [rng.standard_normal((len(indices),) if h == 1 else (len(indices), h)).astype(dtype)
                           for h in heads]
    for values in weightings:
        for reduce in ("sum", "mean"):
            np.testing.assert_allclose(K.spmm_csr(indptr, indices, values, x, reduce),
                                       R.spmm_csr(indptr, indices, values, x, reduce), **TOL[dtype])
            _check(K.spmm_csr_backward(indptr, indices, values, x, g, *t, reduce),
                   R.spmm_csr_backward(indptr, indices, values, x, g, *t, reduce), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_strided_and_broadcast_operands_read_in_place(dtype):
    rng, n, indptr, indices, t = _graph(1)
    wide = rng.standard_normal((n, 50)).astype(dtype)
    x = wide[:, 3:40]  # rows contiguous, row stride 50
    values = rng.standard_normal(len(indices)).astype(dtype)
    want = R.spmm_csr(indptr, indices, values, np.ascontiguousarray(x))
    np.testing.assert_allclose(K.spmm_csr(indptr, indices, values, x), want, **TOL[dtype])
    ones = np.broadcast_to(np.ones((1, 37), dtype), (n, 37))  # the gradient of out.sum(): row stride 0
    _check(K.spmm_csr_backward(indptr, indices, values, x, ones, *t, "mean"),
           R.spmm_csr_backward(indptr, indices, values, np.ascontiguousarray(x), np.ones((n, 37), dtype), *t, "mean"),
           dtype)
    with pytest.raises(ValueError, match="x must have C-contiguous rows"):
        K.spmm_csr(indptr, indices, values, wide[:, ::2])


def test_thread_split_gives_the_serial_result_bit_for_bit():
    rng, n, indptr, indices, t = _graph(2, n=4000, E=30000)  # (E + n) x 70 features: past the 2-thread size
    assert [_threads(n, len(indices), 70, threads) for threads in (1, 2)] == [1, 2]
    x = rng.standard_normal((n, 70)).astype(np.float32)
    values = rng.standard_normal(len(indices)).astype(np.float32)
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        serial = K.spmm_csr(indptr, indices, values, x), K.spmm_csr_backward(indptr, indices, values, x, x, *t)
        fastnn.set_num_threads(2)
        split = K.spmm_csr(indptr, indices, values, x), K.spmm_csr_backward(indptr, indices, values, x, x, *t)
    finally:
        fastnn.set_num_threads(before)
    np.testing.assert_array_equal(serial[0], split[0])
    for a, b in zip(serial[1], split[1]):
        np.testing.assert_array_equal(a, b)


def _corrupt(a, index, value):
    """Change a frozen (read-only) array behind its freeze and make it read-only again."""
    a.flags.writeable = True
    a[index] = value
    a.flags.writeable = False


@pytest.mark.parametrize("where,value", [("indices", 10 ** 9), ("indices", -1), ("indptr", 10 ** 9),
                                         ("indptr", -5), ("t_indices", 10 ** 9), ("t_perm", 10 ** 9),
                                         ("t_indptr", 10 ** 9)])
def test_structure_changed_behind_its_freeze_raises_instead_of_reading_out_of_bounds(where, value):
    rng, n, _, _, _ = _graph(3)
    src, dst = rng.integers(0, n, 60).astype(np.int64), rng.integers(0, n, 60).astype(np.int64)
    indptr, indices, _ = K.edges_to_csr(src, dst, n)  # frozen: later calls skip the full check
    t = list(K.csr_transpose(indptr, indices, n))
    x = rng.standard_normal((n, 20))
    values = rng.standard_normal(len(indices))
    arrays = {"indices": indices, "indptr": indptr, "t_indptr": t[0], "t_indices": t[1], "t_perm": t[2]}
    _corrupt(arrays[where], 1, value)
    with pytest.raises(IndexError, match="changed after it was checked"):
        if where.startswith("t_"):
            K.spmm_csr_backward(indptr, indices, values, x, x, *t)
        else:
            K.spmm_csr(indptr, indices, values, x)
    if not where.startswith("t_"):
        with pytest.raises(IndexError, match="changed after it was checked"):
            K.spmm_csr_backward(indptr, indices, values, x, x, *t, need_x=False)  # the values' gradient alone


ON_POOL = pytest.mark.skipif(sys.platform != "linux", reason="gemmpool.h's threads are Linux-only (elsewhere an "
                             "OpenMP region, which splits only from 2M elements of work)")


@ON_POOL
def test_products_split_from_64k_elements_of_work():
    """The product runs on gemmpool.h's threads, where the caller never waits for a helper that has not
    started, so it splits from 64K elements ((entries + rows) x features): Cora x 16 (212K, ~8 us on one
    core) in two, a 300-node graph x 16 (24K) on one thread; set_num_threads(1) keeps every size on one."""
    cora, small, big = (2708, 10556, 16), (300, 1200, 16), (100_000, 1_000_000, 64)
    assert _threads(*cora, 2) == 2 and _threads(*small, 2) == 1 and _threads(*big, 2) == 2
    assert _threads(*cora, 1) == 1 and _threads(*big, 1) == 1


@ON_POOL
def test_a_structure_changed_behind_its_freeze_raises_when_the_product_is_split(threads):
    rng, n, indptr, indices, _ = _graph(5, n=2708, E=10556)
    assert _threads(n, len(indices), 16, 2) == 2
    x = rng.standard_normal((n, 16)).astype(np.float32)
    values = rng.standard_normal(len(indices)).astype(np.float32)
    _corrupt(indices, len(indices) - 3, 10 ** 9)   # in the last row range
    fastnn.set_num_threads(2)
    with pytest.raises(IndexError, match="1 entries of indptr/indices"):
        K.spmm_csr(indptr, indices, values, x)


def _threads(rows, entries, features, threads):
    """The threads an SpMM of this size runs on under fastnn.set_num_threads(threads)."""
    from fastnn.kernels import _graph
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(threads)
        return _graph._spmm_threads(rows, entries, features)
    finally:
        fastnn.set_num_threads(before)


@pytest.mark.parametrize("F", [16, 40])
def test_x_larger_than_the_cache_takes_the_prefetching_gathers(F):
    """Rows of an x wider than L2 (8 MB here, past any current core's) are prefetched ahead of their gathers;
    the sums match the reference on that path, per-head weights too (F = 40 over 5 heads: the heads loop on AVX-512)."""
    rng = np.random.default_rng(F)
    n, E = 8 * 2 ** 20 // (4 * F) + 1, 60_000
    src, dst = rng.integers(0, n, E).astype(np.int64), rng.integers(0, n, E).astype(np.int64)
    indptr, indices, _ = K.edges_to_csr(src, dst, n)
    x = rng.standard_normal((n, F)).astype(np.float32)
    values = rng.standard_normal((E, 5) if F == 40 else E).astype(np.float32)
    np.testing.assert_allclose(K.spmm_csr(indptr, indices, values, x, "mean"),
                               R.spmm_csr(indptr, indices, values, x, "mean"), **TOL[np.float32])


def _one_row_graph(rng, n_in, E):
    """A single output row gathering E sources (a CSR with one row)."""
    indices = np.sort(rng.integers(0, n_in, E)).astype(np.int64)
    return np.array([0, E], np.int64), indices


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stream", [False, True])
def test_wide_rows_and_streamed_outputs_match_the_reference(dtype, stream):
    """Rows wider than a tile go row by row from each output row's first vector-aligned column (an unaligned
    head vector before it, an overlapped tail after); outputs past the cache are written with non-temporal
    stores (forced here for small ones, and switched off). Empty rows, a single row, odd widths."""
    from fastnn.kernels import _graph
    before = _graph._spmm_stream_bytes(0 if stream else 1 << 62)
    try:
        for F in (129, 130, 200, 257, 301, 1433):
            rng, n, indptr, indices, t = _graph_like(F)
            x = rng.standard_normal((n, F)).astype(dtype)
            g = rng.standard_normal((n, F)).astype(dtype)
            values = rng.standard_normal(len(indices)).astype(dtype)
            for reduce in ("sum", "mean"):
                out = K.spmm_csr(indptr, indices, values, x, reduce)
                assert out.ctypes.data % 64 == 0
                np.testing.assert_allclose(out, R.spmm_csr(indptr, indices, values, x, reduce), **TOL[dtype])
                _check(K.spmm_csr_backward(indptr, indices, values, x, g, *t, reduce),
                       R.spmm_csr_backward(indptr, indices, values, x, g, *t, reduce), dtype)
            np.testing.assert_allclose(K.spmm_csr(indptr, indices, None, x[:, 1:]),  # x rows off their alignment
                                       R.spmm_csr(indptr, indices, None, np.ascontiguousarray(x[:, 1:])), **TOL[dtype])
            ip1, ix1 = _one_row_graph(rng, n, 7)
            np.testing.assert_allclose(K.spmm_csr(ip1, ix1, None, x), R.spmm_csr(ip1, ix1, None, x), **TOL[dtype])
    finally:
        _graph._spmm_stream_bytes(before)


def _graph_like(seed):
    return _graph(seed, n=37, E=150)
