"""The dropout kernel against its NumPy reference, the mask's statistics, and DropoutFn."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastnn
from fastnn import kernels as K
from fastnn.kernels import reference as R
from fastnn.autograd.gradcheck import gradcheck
from fastnn.autograd.native.dropout import DropoutFn

DTYPES = [np.float32, np.float64]


@settings(max_examples=60, deadline=None)
@given(shape=st.sampled_from([(0,), (1,), (2,), (3,), (5, 7), (131073,), (3, 4, 5)]), dtype=st.sampled_from(DTYPES),
       p=st.sampled_from([0.0, 0.1, 0.5, 0.9, 0.999]), seed=st.integers(0, 2**64 - 1))
def test_kernel_matches_reference_exactly(shape, dtype, p, seed):
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    got = K.dropout_mask_apply(x, p, seed)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_array_equal(got, R.dropout_mask_apply(x, p, seed))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mask_statistics(p):
    n = 400_000
    out = K.dropout_mask_apply(np.ones(n, np.float32), p, 7)
    kept = out != 0
    assert abs(kept.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / n)  # within 4 standard errors
    np.testing.assert_allclose(out[kept], 1 / (1 - p), rtol=1e-6)
    # neighbours are independent: P(both kept) = (1 - p)^2, for the pair sharing one hash and across pairs
    for a, b in ((kept[0::2], kept[1::2]), (kept[1:-1:2], kept[2::2])):
        assert abs((a & b).mean() - (1 - p) ** 2) < 6 * np.sqrt((1 - p) ** 2 / len(a))


def test_seeds_give_different_masks_and_threads_do_not_matter():
    x = np.ones(300_001, np.float32)
    a, b = K.dropout_mask_apply(x, 0.5, 1), K.dropout_mask_apply(x, 0.5, 2)
    assert 0.4 < np.mean((a != 0) != (b != 0)) < 0.6
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        one = K.dropout_mask_apply(x, 0.5, 1)
    finally:
        fastnn.set_num_threads(before)
    np.testing.assert_array_equal(one, a)


def test_dropped_nan_stays_nan_as_in_pytorch():
    x = np.full(1000, np.nan, np.float32)
    assert np.isnan(K.dropout_mask_apply(x, 0.5, 3)).all()


@pytest.mark.parametrize("call,error,name", [
    (lambda x: K.dropout_mask_apply(x, 1.0, 0), ValueError, "p must be"),
    (lambda x: K.dropout_mask_apply(x, -0.1, 0), ValueError, "p must be"),
    (lambda x: K.dropout_mask_apply(x, 0.5, -1), ValueError, "seed"),
    (lambda x: K.dropout_mask_apply(x, 0.5, 2**64), ValueError, "seed"),
    (lambda x: K.dropout_mask_apply(x.astype(np.int32), 0.5, 0), TypeError, "x must be float32"),
    (lambda x: K.dropout_mask_apply(x[::2], 0.5, 0), ValueError, "x must be C-contiguous"),
])
def test_bad_arguments_name_themselves(call, error, name):
    with pytest.raises(error, match=name):
        call(np.ones(10, np.float32))


def test_dropout_function_gradcheck_and_same_mask_backward():
    x = fastnn.tensor(np.random.default_rng(0).standard_normal((6, 5)), requires_grad=True)
    assert gradcheck(lambda t: DropoutFn.apply(t, 0.4, np.random.default_rng(5)), (x,))
    out = DropoutFn.apply(x, 0.4, np.random.default_rng(5))
    out.backward(fastnn.ones(6, 5))
    np.testing.assert_array_equal(x.grad.numpy() != 0, out.detach().numpy() != 0)


def test_functional_dropout_follows_manual_seed():
    x = fastnn.ones(50, 40)
    fastnn.manual_seed(3)
    a = fastnn.nn.functional.dropout(x, 0.3)
    fastnn.manual_seed(3)
    b = fastnn.nn.functional.dropout(x, 0.3)
    c = fastnn.nn.functional.dropout(x, 0.3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(b.numpy(), c.numpy())
    with pytest.raises(TypeError, match="float32 or float64"):
        fastnn.nn.functional.dropout(fastnn.tensor(np.arange(4)), 0.5)


@settings(max_examples=40, deadline=None)
@given(shape=st.sampled_from([(0,), (1,), (3,), (5, 7), (131073,), (700, 33)]), dtype=st.sampled_from(DTYPES),
       p=st.sampled_from([0.0, 0.1, 0.5]), seed=st.integers(0, 2**64 - 1), with_bias=st.booleans())
def test_relu_dropout_kernels_match_reference_exactly(shape, dtype, p, seed, with_bias):
    """The feed-forward block's in-place bias + ReLU + dropout and its backward: the reference's values,
    NaN kept by the ReLU, the dropout draws of dropout_mask_apply, an exact zero where the unit is off,
    the bias gradient summed in the same pass."""
    rng = np.random.default_rng(2)
    a = rng.standard_normal(shape).astype(dtype)
    if a.size > 3:
        a.reshape(-1)[:3] = [np.nan, -0.0, np.inf]
    bias = rng.standard_normal(shape[-1]).astype(dtype) if with_bias else None
    want = R.relu_dropout_forward(a.copy(), p, seed, bias)
    got = a.copy()
    assert K.relu_dropout_forward(got, p, seed, bias) is got
    np.testing.assert_array_equal(got, want)
    v = a if bias is None else a + bias
    np.testing.assert_array_equal(got, K.dropout_mask_apply(np.where(v < 0, 0, v).astype(dtype), p, seed))
    g = rng.standard_normal(shape).astype(dtype)
    if g.size > 4:
        g.reshape(-1)[3:5] = np.inf  # inf at an off unit still gives 0
    want_g, want_gb = R.relu_dropout_backward(g.copy(), want, p, seed, True)
    got_g = g.copy()
    back, gb = K.relu_dropout_backward(got_g, got, p, seed, True)
    assert back is got_g
    np.testing.assert_array_equal(got_g, want_g)
    np.testing.assert_array_equal(got_g[~(want > 0)], 0)
    np.testing.assert_allclose(gb, want_gb, rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert K.relu_dropout_backward(g.copy(), got, p, seed)[1] is None


def test_relu_dropout_bad_arguments():
    a = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="p must"):
        K.relu_dropout_forward(a, 1.0, 0)
    with pytest.raises(ValueError, match="read-only"):
        K.relu_dropout_forward(np.frombuffer(bytes(16), np.float32), 0.0, 0)
    with pytest.raises(ValueError, match="bias"):
        K.relu_dropout_forward(a, 0.0, 0, np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="bias"):
        K.relu_dropout_forward(a, 0.0, 0, np.zeros(4))
    with pytest.raises(ValueError, match="out"):
        K.relu_dropout_backward(a, np.zeros(5, np.float32), 0.0, 0)


@settings(max_examples=30, deadline=None)
@given(shape=st.sampled_from([(0,), (1,), (5, 7), (700, 33)]), dtype=st.sampled_from(DTYPES),
       p=st.sampled_from([0.0, 0.2]), seed=st.integers(0, 2**64 - 1), with_bias=st.booleans())
def test_gelu_dropout_kernels_match_reference(shape, dtype, p, seed, with_bias):
    """The feed-forward block's bias + exact GELU + dropout and its backward: the reference's values (float32
    erf within 1.5e-7), the same dropout draws (dropped units exactly 0), the bias gradient."""
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(shape) * 3).astype(dtype)
    bias = rng.standard_normal(shape[-1]).astype(dtype) if with_bias else None
    ra, ka = a.copy(), a.copy()
    want, got = R.gelu_dropout_forward(ra, p, seed, bias), K.gelu_dropout_forward(ka, p, seed, bias)
    tol = dict(rtol=1e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(ka, ra)  # the pre-activation a + bias, in place
    np.testing.assert_allclose(got, want, **tol)
    np.testing.assert_array_equal(got == 0, K.dropout_mask_apply(np.ones(shape, dtype), p, seed) == 0)
    g = rng.standard_normal(shape).astype(dtype)
    want_g, want_gb = R.gelu_dropout_backward(g.copy(), ka, p, seed, True)
    got_g, got_gb = K.gelu_dropout_backward(g.copy(), ka, p, seed, True)
    np.testing.assert_allclose(got_g, want_g, **tol)
    np.testing.assert_allclose(got_gb, want_gb, rtol=1e-5, atol=1e-4 if dtype == np.float32 else 1e-10)


def test_gelu_kernel_matches_torch_over_a_wide_range():
    torch = pytest.importorskip("torch")
    x = np.concatenate([np.linspace(-12, 12, 20001), [0.0, -0.0, 1e-30, -1e-30, 40.0, -40.0]]).astype(np.float32)
    h = K.gelu_dropout_forward(x.copy(), 0.0, 0)
    t = torch.tensor(x, requires_grad=True)
    torch.nn.functional.gelu(t).backward(torch.ones_like(t))
    np.testing.assert_allclose(h, torch.nn.functional.gelu(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
    g = K.gelu_dropout_backward(np.ones_like(x), x, 0.0, 0)[0]
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-5, atol=1e-6)
