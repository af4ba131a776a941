"""The skinny products of a fully connected layer with few outputs (csrc/skinnygemm.h): forward, input and
weight gradients against a NumPy reference written from the math, on both paths (forced), with odd sizes,
thread splits, the streamed input gradient, non-finite values, and the rule that picks the path."""
import subprocess

import numpy as np
import pytest

import fastnn
from fastnn import _runtime
from fastnn.kernels import _linear as L

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-11, atol=1e-11)}


@pytest.fixture(params=["skinny", "skinny-streamed", "blas"])
def path(request, monkeypatch):
    """The path forced; skinny-streamed writes every input gradient with streaming stores (by default only
    from half the last-level cache), whose rows start at every alignment."""
    monkeypatch.setattr(L, "_path", request.param.split("-")[0])
    if request.param == "skinny-streamed":
        old = L._stream_from_bytes(0)
        yield request.param
        L._stream_from_bytes(old)
    else:
        yield request.param


def _inputs(M, K, N, dtype, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((M, K)).astype(dtype), rng.standard_normal((N, K)).astype(dtype),
            rng.standard_normal(N).astype(dtype), rng.standard_normal((M, N)).astype(dtype))


def _reference(x, w, b, g):
    """y = x W^T + b, dx = g W, dW = g^T x, db = column sums of g, in float64 loops over the sums' terms."""
    x, w, b, g = (a.astype(np.float64) for a in (x, w, b, g))
    y = np.einsum("mk,nk->mn", x, w) + b
    return y, np.einsum("mn,nk->mk", g, w), np.einsum("mn,mk->nk", g, x), g.sum(axis=0)


def _scaled_tol(dtype, K):
    tol = dict(TOL[dtype])
    tol["atol"] *= max(1.0, np.sqrt(K) / 4)
    return tol


# odd sizes: rows not a multiple of any tile (12, 8, 6 rows), columns not a multiple of a vector, outputs
# from 1 to two vectors' worth, and shapes large enough to be cut into parts over threads
SHAPES = [(1, 1, 1), (7, 3, 5), (13, 31, 17), (50, 129, 9), (301, 67, 16), (97, 1000, 31), (260, 260, 32),
          (130, 45, 40), (1031, 77, 3)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M,K,N", SHAPES)
def test_both_paths_match_the_reference(path, M, K, N, dtype):
    x, w, b, g = _inputs(M, K, N, dtype, seed=M * 7 + K * 3 + N)
    want = _reference(x, w, b, g)
    y = L.linear_forward(x, w, b)
    got = (y,) + tuple(L.linear_backward(x, w, g))
    tol = _scaled_tol(dtype, max(K, M))
    for name, a, ref in zip(("out", "grad_input", "grad_weight", "grad_bias"), got, want):
        assert a.dtype == dtype and a.shape == ref.shape, name
        np.testing.assert_allclose(a, ref, err_msg=f"{path} {name}", **tol)
    np.testing.assert_allclose(L.linear_forward(x, w, None), want[0] - b, **tol)


def test_a_large_input_gradient_is_streamed_out_correctly(monkeypatch):
    # 1100 x 1003 float32 is 4.4 MB: streamed under the default threshold
    monkeypatch.setattr(L, "_path", "skinny")
    x, w, b, g = _inputs(1100, 1003, 16, np.float32, seed=1)
    want = _reference(x, w, b, g)
    gx, gw, gb = L.linear_backward(x, w, g)
    np.testing.assert_allclose(gx, want[1], **_scaled_tol(np.float32, 1100))
    np.testing.assert_allclose(gw, want[2], **_scaled_tol(np.float32, 1100))


@pytest.mark.parametrize("need", [(True, False, False), (False, True, False), (False, False, True), (True, True, False)])
def test_need_flags_on_the_skinny_path(monkeypatch, need):
    monkeypatch.setattr(L, "_path", "skinny")
    x, w, b, g = _inputs(90, 70, 12, np.float64, seed=3)
    want = _reference(x, w, b, g)[1:]
    for flag, got, ref in zip(need, L.linear_backward(x, w, g, *need), want):
        if flag:
            np.testing.assert_allclose(got, ref, **TOL[np.float64])
        else:
            assert got is None


def test_results_do_not_depend_on_the_thread_count(monkeypatch):
    monkeypatch.setattr(L, "_path", "skinny")
    x, w, b, g = _inputs(1500, 700, 16, np.float32, seed=4)
    before = fastnn.get_num_threads()
    try:
        runs = []
        for threads in (1, 2, 3):
            fastnn.set_num_threads(threads)
            runs.append((L.linear_forward(x, w, b),) + tuple(L.linear_backward(x, w, g)))
    finally:
        fastnn.set_num_threads(before)
    for other in runs[1:]:
        for a, b_ in zip(runs[0], other):
            np.testing.assert_array_equal(a, b_)


def test_nan_and_inf_propagate_on_the_skinny_path(monkeypatch):
    monkeypatch.setattr(L, "_path", "skinny")
    x, w, b, g = _inputs(40, 30, 5, np.float32, seed=5)
    x[3, 7] = np.nan
    w[2, 0] = np.inf
    y = L.linear_forward(x, w, b)
    assert np.isnan(y[3]).all()
    assert not np.isfinite(y[:, 2]).any()
    finite = np.ones(5, bool)
    finite[2] = False
    assert np.isfinite(y[np.arange(40) != 3][:, finite]).all()
    gx, gw, _ = L.linear_backward(x, w, g)
    assert not np.isfinite(gx[:, 0]).any() and np.isfinite(gx[:, 1:]).all()
    assert np.isnan(gw[:, 7]).all() and np.isfinite(np.delete(gw, 7, axis=1)).all()


def test_the_rule_sends_large_inputs_with_few_outputs_to_the_skinny_products():
    level = ("baseline", "avx2", "avx512").index(_runtime.vector_build())
    lanes = {0: 4, 1: 8, 2: 16}[level]   # float32 lanes of a vector in this build
    assert not L._skinny(64, 800, 500, np.float32)          # wide: BLAS
    assert not L._skinny(128, 256, 16, np.float32)          # x in cache: BLAS
    assert L._skinny(2708, 1433, 2 * lanes, np.float32) == (level >= 1)
    assert not L._skinny(2708, 1433, 2 * lanes + 1, np.float32)
    assert L._skinny(2708, 1433, lanes, np.float64) == (level >= 1)
    assert not L._skinny(2708, 1433, lanes + 1, np.float64)


def test_the_input_gradient_streams_only_past_half_the_last_level_cache():
    """gx is streamed when it and the x just read beside it outgrow the last-level cache, the size from
    which SpMM streams too (csrc/llcache.h); getconf reads the same cache size where glibc's getconf exists."""
    from fastnn.kernels import _graph
    llc = _graph._spmm_stream_bytes()
    assert L._stream_from_bytes() == llc // 2
    try:
        reported = int(subprocess.run(["getconf", "LEVEL3_CACHE_SIZE"], capture_output=True, text=True,
                                      check=True).stdout)
    except (OSError, subprocess.CalledProcessError, ValueError):
        reported = 0
    assert llc == (reported if reported > 0 else 32 << 20)


def test_the_layer_on_the_skinny_path_matches_numpy_with_non_contiguous_inputs(monkeypatch):
    monkeypatch.setattr(L, "_path", "skinny")
    rng = np.random.default_rng(6)
    base = rng.standard_normal((70, 2, 90)).astype(np.float32)
    wt = rng.standard_normal((90, 11)).astype(np.float32)      # the weight given as a transposed view
    b = rng.standard_normal(11).astype(np.float32)
    g = rng.standard_normal((70, 11)).astype(np.float32)
    x = fastnn.tensor(base)[:, 1, :].requires_grad_()        # rows 720 values apart
    w = fastnn.tensor(wt).T.requires_grad_()
    bias = fastnn.tensor(b).requires_grad_()
    out = fastnn.nn.functional.linear(x, w, bias)
    out.backward(fastnn.tensor(g))
    xs = base[:, 1, :].astype(np.float64)
    want = _reference(xs, wt.T, b, g)
    tol = _scaled_tol(np.float32, 90)
    np.testing.assert_allclose(out.detach().numpy(), want[0], **tol)
    np.testing.assert_allclose(x.grad.numpy(), want[1], **tol)
    np.testing.assert_allclose(w.grad.numpy(), want[2], **tol)
    np.testing.assert_allclose(bias.grad.numpy(), want[3], **tol)


def test_float64_gradcheck_through_the_layer_on_the_skinny_path(monkeypatch):
    monkeypatch.setattr(L, "_path", "skinny")
    rng = np.random.default_rng(7)
    x = fastnn.tensor(rng.standard_normal((13, 9))).requires_grad_()
    w = fastnn.tensor(rng.standard_normal((5, 9))).requires_grad_()
    b = fastnn.tensor(rng.standard_normal(5)).requires_grad_()
    assert fastnn.autograd.gradcheck(fastnn.nn.functional.linear, (x, w, b))


def test_gradients_match_pytorch_on_the_gcn_layer_shape():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2708, 1433)).astype(np.float32)
    w = (rng.standard_normal((16, 1433)) * 0.05).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    g = rng.standard_normal((2708, 16)).astype(np.float32)
    fx, fw, fb = (fastnn.tensor(a).requires_grad_() for a in (x, w, b))
    fastnn.nn.functional.linear(fx, fw, fb).backward(fastnn.tensor(g))
    tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    ty = torch.nn.functional.linear(tx, tw, tb)
    ty.backward(torch.from_numpy(g))
    np.testing.assert_allclose(fastnn.nn.functional.linear(fx, fw, fb).detach().numpy(), ty.detach().numpy(),
                               rtol=1e-4, atol=1e-4)
    for mine, theirs in ((fx, tx), (fw, tw), (fb, tb)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=2e-3)
