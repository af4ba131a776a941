"""Attention kernels with per-batch key masks, strided (broadcast) 4-D masks and read-only inputs,
against the NumPy reference."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastnn import kernels as K
from fastnn.kernels import reference as R

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-11)}
GRAD_TOL = {np.float32: dict(rtol=1e-3, atol=1e-4), np.float64: dict(rtol=1e-9, atol=1e-10)}


def _additive(rng, shape, kind, dtype):
    if kind == "bool":
        return rng.random(shape) < 0.75  # True keeps; some rows end up fully masked
    m = rng.standard_normal(shape).astype(dtype)
    m[rng.random(shape) < 0.2] = -np.inf
    return m


def _all_kernels(q, k, v, g, mask, key_mask, scale, causal, module):
    """(out, weights, full grads, tiled out, tiled grads) of one module's kernels."""
    out, w, lse = module.attention_forward(q, k, v, mask, scale, causal, key_mask)
    full = module.attention_backward(q, k, v, w, g, None, scale, causal)
    t_out, t_lse = module.attention_tiled_forward(q, k, v, mask, scale, causal, key_mask)
    tiled = module.attention_tiled_backward(q, k, v, t_out, g, t_lse, mask, scale, causal, key_mask)
    return out, w, full, t_out, tiled


def _check_against_reference(q, k, v, g, mask, key_mask, scale, causal, dtype):
    got = _all_kernels(q, k, v, g, mask, key_mask, scale, causal, K)
    wide = [a.astype(np.float64) for a in (q, k, v, g)]
    widen = (lambda m: m if m is None or m.dtype == np.bool_ else m.astype(np.float64))
    want = _all_kernels(*wide, widen(mask), widen(key_mask), scale, causal, R)
    for i in (0, 1, 3):
        np.testing.assert_allclose(got[i], want[i], **TOL[dtype])
    for i in (2, 4):
        for a, b in zip(got[i], want[i]):
            np.testing.assert_allclose(a, b, **GRAD_TOL[dtype])


@settings(max_examples=25, deadline=None)
@given(B=st.integers(1, 3), H=st.integers(1, 3), Lq=st.integers(1, 290), Lk=st.integers(1, 290),
       D=st.integers(1, 20), dtype=st.sampled_from([np.float32, np.float64]),
       mask_kind=st.sampled_from([None, "bool", "float"]), key_kind=st.sampled_from([None, "bool", "float"]),
       broadcast=st.sampled_from(["none", "batch", "heads", "both"]), causal=st.booleans(),
       seed=st.integers(0, 2**31))
def test_masks_and_key_masks_match_reference(B, H, Lq, Lk, D, dtype, mask_kind, key_kind, broadcast, causal, seed):
    """A (B, H, Lq, Lk) mask given as a broadcast view (stride 0 over batch and/or heads) and a
    per-batch (B, Lk) key mask, read in place, on both paths and their backward."""
    rng = np.random.default_rng(seed)
    N = B * H
    q, k, g = (rng.standard_normal((N, L, D)).astype(dtype) for L in (Lq, Lk, Lq))
    v = rng.standard_normal((N, Lk, D + 1)).astype(dtype)
    g = rng.standard_normal((N, Lq, D + 1)).astype(dtype)
    mask = None
    if mask_kind is not None:
        base = (1 if broadcast in ("batch", "both") else B, 1 if broadcast in ("heads", "both") else H)
        mask = np.broadcast_to(_additive(rng, base + (Lq, Lk), mask_kind, dtype), (B, H, Lq, Lk))
    key_mask = None if key_kind is None else _additive(rng, (B, Lk), key_kind, dtype)
    _check_against_reference(q, k, v, g, mask, key_mask, 0.4, causal, dtype)


def test_key_mask_equals_the_expanded_dense_mask():
    rng = np.random.default_rng(3)
    B, H, L, S, D = 3, 2, 37, 300, 8
    q, k, v = (rng.standard_normal((B * H, n, D)) for n in (L, S, S))
    key = rng.random((B, S)) < 0.8
    dense = np.repeat(np.broadcast_to(key[:, None, :], (B, L, S)), H, axis=0)
    for fn in (K.attention_forward, K.attention_tiled_forward):
        np.testing.assert_allclose(fn(q, k, v, None, 0.3, False, key)[0], fn(q, k, v, dense, 0.3)[0], rtol=1e-12)
    both = K.attention_forward(q, k, v, dense, 0.3, True, key)[0]
    np.testing.assert_allclose(both, R.attention_forward(q, k, v, dense & dense, 0.3, True, key)[0], rtol=1e-10)


def _read_only_memmap(tmp_path, name, a):
    path = tmp_path / f"{name}.npy"
    np.save(path, a)
    m = np.load(path, mmap_mode="r")
    assert not m.flags.writeable
    return m


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_read_only_memmaps_and_broadcast_views(tmp_path, dtype):
    """Every kernel reads read-only memmaps and broadcast views (stride-0 problem axis) in place."""
    rng = np.random.default_rng(5)
    B, H, L, S, D = 2, 3, 70, 260, 16
    N = B * H
    q = _read_only_memmap(tmp_path, "q", rng.standard_normal((N, L, D)).astype(dtype))
    k = np.broadcast_to(rng.standard_normal((1, S, D)).astype(dtype), (N, S, D))  # shared by every head
    v = _read_only_memmap(tmp_path, "v", rng.standard_normal((N, S, D)).astype(dtype))
    g = np.broadcast_to(rng.standard_normal((L, D)).astype(dtype), (N, L, D))
    mask = np.broadcast_to(rng.random((1, H, L, S)) < 0.8, (B, H, L, S))
    key_mask = _read_only_memmap(tmp_path, "key", np.where(rng.random((B, S)) < 0.9, 0, -np.inf).astype(dtype))
    for causal in (False, True):
        _check_against_reference(q, k, v, g, mask, key_mask, 0.25, causal, dtype)
    # the saved tensors of backward read-only too
    out, w, lse = K.attention_forward(q, k, v, mask, 0.25, False, key_mask)
    w_ro = _read_only_memmap(tmp_path, "w", w)
    gw = _read_only_memmap(tmp_path, "gw", rng.standard_normal(w.shape).astype(dtype))
    got = K.attention_backward(q, k, v, w_ro, g, gw, 0.25)
    want = R.attention_backward(*(a.astype(np.float64) for a in (q, k, v, w, g, gw)), 0.25)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, **GRAD_TOL[dtype])
    o_ro, lse_ro = _read_only_memmap(tmp_path, "o", out), _read_only_memmap(tmp_path, "lse", lse)
    got = K.attention_tiled_backward(q, k, v, o_ro, g, lse_ro, mask, 0.25, False, key_mask)
    want = K.attention_tiled_backward(*(np.ascontiguousarray(a) for a in (q, k, v, out, g, lse, mask)), 0.25, False,
                                      np.array(key_mask))
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kernel", ["attention_forward", "attention_tiled_forward"])
def test_bad_masks_raise_naming_them(kernel):
    fn = getattr(K, kernel)
    q, k, v = (np.zeros(s, np.float32) for s in ((6, 3, 4), (6, 5, 4), (6, 5, 2)))
    with pytest.raises(ValueError, match="key_mask"):
        fn(q, k, v, None, 1.0, False, np.zeros((4, 5), bool))  # 4 does not divide 6
    with pytest.raises(ValueError, match="key_mask"):
        fn(q, k, v, None, 1.0, False, np.zeros((2, 4), bool))
    with pytest.raises(TypeError, match="key_mask"):
        fn(q, k, v, None, 1.0, False, np.zeros((2, 5), np.float64))
    with pytest.raises(TypeError, match="key_mask"):
        fn(q, k, v, None, 1.0, False, [[True] * 5] * 2)
    with pytest.raises(ValueError, match="mask"):
        fn(q, k, v, np.zeros((4, 2, 3, 5), bool))  # 4 * 2 != 6
    with pytest.raises(ValueError, match="mask"):
        fn(q, k, v, np.zeros((6, 3, 5, 1), bool))
    with pytest.raises(ValueError, match="query"):
        fn(np.zeros((6, 4, 3), np.float32).transpose(0, 2, 1), k, v)


@pytest.mark.parametrize("shape", [(0, 3, 4, 2, 2), (2, 0, 4, 2, 2), (2, 3, 0, 2, 2), (2, 3, 4, 0, 2), (2, 3, 4, 2, 0)])
def test_empty_sizes(shape):
    """Outputs are allocated uninitialised only when the kernels write them: empty problems give
    zeros (no key: output 0, logsumexp -inf), gradients of the right shapes."""
    N, Lq, Lk, D, Dv = shape
    rng = np.random.default_rng(8)
    q, k, v = (rng.standard_normal(s) for s in ((N, Lq, D), (N, Lk, D), (N, Lk, Dv)))
    g = rng.standard_normal((N, Lq, Dv))
    out, w, lse = K.attention_forward(q, k, v, None, 1.0, True)
    t_out, t_lse = K.attention_tiled_forward(q, k, v, None, 1.0, True)
    if Lk == 0:
        assert not out.any() and not t_out.any() and np.isneginf(lse).all() and np.isneginf(t_lse).all()
    elif N and Lq:
        np.testing.assert_allclose(out, R.attention_forward(q, k, v, None, 1.0, True)[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(t_out, out, rtol=1e-12, atol=1e-14)
    for grads in (K.attention_backward(q, k, v, w, g, None, 1.0, True),
                  K.attention_tiled_backward(q, k, v, t_out, g, t_lse, None, 1.0, True)):
        assert [a.shape for a in grads] == [q.shape, k.shape, v.shape]
        if not (N and Lq and Lk):
            assert not any(a.any() for a in grads)
        else:
            want = R.attention_backward(q, k, v, w, g, None, 1.0)
            for a, b in zip(grads, want):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
