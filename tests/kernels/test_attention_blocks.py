"""Attention kernels on the shapes that take their whole-block vector paths (attnpack.h's 16 x 16 register
transposes and packs, attnrow.h's rows): head dims that are multiples of 16, key counts that are and are not
multiples of a panel, query counts past one block, against the NumPy reference (the hypothesis tests of
test_attention.py draw head dims up to 24, which rarely meet them). Every vector build runs them under
FASTNN_CPU_LEVEL=0 and 1 as well."""
import numpy as np
import pytest

from fastnn import kernels as K
from fastnn.kernels import reference as R

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-11)}
GRAD_TOL = {np.float32: dict(rtol=1e-3, atol=1e-4), np.float64: dict(rtol=1e-9, atol=1e-10)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("Lq, Lk, D, Dv", [(160, 256, 64, 64), (130, 96, 32, 48), (48, 300, 16, 32), (257, 64, 64, 16)])
@pytest.mark.parametrize("causal", [False, True])
def test_whole_block_shapes_match_reference(dtype, Lq, Lk, D, Dv, causal):
    rng = np.random.default_rng(Lq * Lk + D)
    q = rng.standard_normal((2, Lq, D)).astype(dtype)
    k = rng.standard_normal((2, Lk, D)).astype(dtype)
    v = rng.standard_normal((2, Lk, Dv)).astype(dtype)
    g = rng.standard_normal((2, Lq, Dv)).astype(dtype)
    scale = D ** -0.5
    wide = [a.astype(np.float64) for a in (q, k, v, g)]
    r_out, r_lse = R.attention_tiled_forward(*wide[:3], None, scale, causal)
    r_grads = R.attention_tiled_backward(*wide[:3], r_out, wide[3], r_lse, None, scale, causal)

    out, lse = K.attention_tiled_forward(q, k, v, None, scale, causal)
    np.testing.assert_allclose(out, r_out, **TOL[dtype])
    np.testing.assert_allclose(lse, r_lse, **TOL[dtype])
    for got, want in zip(K.attention_tiled_backward(q, k, v, out, g, lse, None, scale, causal), r_grads):
        np.testing.assert_allclose(got, want, **GRAD_TOL[dtype])

    f_out, w, f_lse = K.attention_forward(q, k, v, None, scale, causal)
    np.testing.assert_allclose(f_out, r_out, **TOL[dtype])
    np.testing.assert_allclose(f_lse, r_lse, **TOL[dtype])
    for got, want in zip(K.attention_backward(q, k, v, w, g, None, scale, causal), r_grads):
        np.testing.assert_allclose(got, want, **GRAD_TOL[dtype])


def test_extreme_logits_keep_the_reference_values():
    # rows whose logits span more than the float32 exponent range below their max (exp underflows to 0)
    # and a row at the edge of overflow: the unmasked fast rows against the reference in float64
    rng = np.random.default_rng(3)
    q = rng.standard_normal((1, 40, 16)).astype(np.float32)
    k = rng.standard_normal((1, 64, 16)).astype(np.float32)
    v = rng.standard_normal((1, 64, 16)).astype(np.float32)
    q[0, :10] *= 60.0
    q[0, 10] = 1e4 / np.abs(k[0]).sum(axis=0).max()
    wide = [a.astype(np.float64) for a in (q, k, v)]
    r_out, r_lse = R.attention_tiled_forward(*wide, None, 1.0, False)
    for out, lse in (K.attention_tiled_forward(q, k, v, None, 1.0, False), K.attention_forward(q, k, v)[::2]):
        assert np.isfinite(out).all()
        np.testing.assert_allclose(out, r_out, rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(lse, r_lse, rtol=1e-5)
