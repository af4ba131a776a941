"""A NaN input reaches the same outputs on the tiled attention kernels as on their NumPy twin and as on the
full kernels (the registry's non-finite test cannot reach the tiled cases: their reference is too slow at
the sizes that select the tiled path). PyTorch's rule: a NaN query row makes that output row NaN, and in
backward the row's NaN probabilities reach every row of dK and dV.

Under a causal mask the kernels skip the tiles (and row groups) past the diagonal, whose probabilities are 0:
0 * NaN there is NaN in the reference and in PyTorch (a NaN query row is NaN at its masked positions too, a
NaN output gradient meets the zero probabilities in P^T dO and in dS), so the kernels spread a problem's NaN
over dK and dV themselves. Tested on one tile and on more than one query block (L past 128), where blocks
are skipped whole."""
import numpy as np
import pytest

from fastnn.autograd.native.attention import attention_kernels as kernels
from fastnn.kernels import reference


def _inputs(dtype, L=40, D=8, P=3):
    rng = np.random.default_rng(0)
    return [rng.standard_normal((P, L, D)).astype(dtype) for _ in range(4)]


CASES = [(False, 0), (False, 1), (False, 2), (False, 3), (True, 0), (True, 1), (True, 2), (True, 3)]


@pytest.mark.parametrize("L", [40, 300])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("causal, poisoned", CASES,
                         ids=["q", "k", "v", "grad", "causal-q", "causal-k", "causal-v", "causal-grad"])
def test_nan_reaches_the_same_outputs_on_tiled_full_and_reference(dtype, causal, poisoned, L):
    q, k, v, g = _inputs(dtype, L)
    [q, k, v, g][poisoned][1, 17, 3] = np.nan
    scale = 8 ** -0.5
    out_t, lse = kernels.attention_tiled_forward(q, k, v, None, scale, causal)
    grads_t = kernels.attention_tiled_backward(q, k, v, out_t, g, lse, None, scale, causal)
    with np.errstate(all="ignore"):
        out_r, lse_r = reference.attention_tiled_forward(q, k, v, None, scale, causal)
        grads_r = reference.attention_tiled_backward(q, k, v, out_r, g, lse_r, None, scale, causal)
    out_f, w, _ = kernels.attention_forward(q, k, v, None, scale, causal)
    grads_f = kernels.attention_backward(q, k, v, w, g, None, scale, causal)
    for got, want, full in zip((out_t,) + tuple(grads_t), (out_r,) + tuple(grads_r), (out_f,) + tuple(grads_f)):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(np.isnan(got), np.isnan(full))
    if poisoned == 0:  # a NaN query row: its output row is NaN, and dK, dV are NaN throughout problem 1
        assert np.isnan(out_t[1, 17]).all() and not np.isnan(np.delete(out_t, 1, axis=0)).any()
        assert np.isnan(grads_t[1][1]).all() and np.isnan(grads_t[2][1]).all()
    if poisoned == 3:  # a NaN output gradient: dK NaN throughout problem 1, dV in the poisoned column only
        assert np.isnan(grads_t[1][1]).all() and np.isnan(grads_t[2][1][:, 3]).all()
        assert not np.isnan(np.delete(grads_t[2][1], 3, axis=1)).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_causal_nan_query_row_spreads_through_sdpa_on_either_path(monkeypatch, dtype):
    # Through the public function: dK and dV of a problem with a NaN row are NaN throughout on either path,
    # as in PyTorch.
    import fastnn
    from fastnn.autograd.native import attention as native
    q, k, v, g = _inputs(dtype)
    q[1, 17, 3] = np.nan

    def grads(tiled_min_logits):
        monkeypatch.setattr(native, "TILED_MIN_LOGITS", tiled_min_logits)
        qs, ks, vs = (fastnn.tensor(a, requires_grad=True) for a in (q, k, v))
        out = fastnn.nn.functional.scaled_dot_product_attention(qs, ks, vs, is_causal=True)
        out.backward(fastnn.tensor(g))
        return [out.detach().numpy()] + [t.grad.numpy() for t in (qs, ks, vs)]
    tiled, full = grads(1), grads(2 ** 62)
    for a, b in zip(tiled, full):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    assert np.isnan(tiled[2][1]).all() and np.isnan(tiled[3][1]).all()
    assert not np.isnan(np.delete(tiled[2], 1, axis=0)).any()
    torch = pytest.importorskip("torch")
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=True).backward(torch.tensor(g))
    for a, t in zip(tiled[1:], (tq, tk, tv)):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(t.grad.numpy()))
