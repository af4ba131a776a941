"""ReLU, sigmoid, tanh (backward), SiLU and GELU (exact and tanh forms) on the activation family's one-pass
kernels (csrc/activations.h): against the float64 NumPy reference over random shapes, in float32 and float64,
forward and backward; special values as PyTorch; the thread split; argument errors; and through the public
API with float64 gradient checks. Runs on every vector build (tests/test_vector_builds.py)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastnn
import fastnn.nn.functional as F
from fastnn import kernels as K
from fastnn.autograd import gradcheck
from fastnn.kernels import reference as R

torch = pytest.importorskip("torch")

# (name, forward(k, x), backward(k, x, y, g)): relu, sigmoid and tanh differentiate from their output
OPS = {
    "relu": (lambda k, x: k.relu_forward(x), lambda k, x, y, g: k.relu_backward(y, g)),
    "sigmoid": (lambda k, x: k.sigmoid_forward(x), lambda k, x, y, g: k.sigmoid_backward(y, g)),
    "tanh": (lambda k, x: np.tanh(x), lambda k, x, y, g: k.tanh_backward(y, g)),
    "silu": (lambda k, x: k.silu_forward(x), lambda k, x, y, g: k.silu_backward(x, g)),
    "gelu": (lambda k, x: k.gelu_forward(x), lambda k, x, y, g: k.gelu_backward(x, g)),
    "gelu_tanh": (lambda k, x: k.gelu_forward(x, "tanh"), lambda k, x, y, g: k.gelu_backward(x, g, "tanh")),
    "elu": (lambda k, x: k.elu_forward(x, 1.0), lambda k, x, y, g: k.elu_backward(x, g, 1.0)),
    "elu_alpha": (lambda k, x: k.elu_forward(x, 0.3), lambda k, x, y, g: k.elu_backward(x, g, 0.3)),
    "softplus": (lambda k, x: k.softplus_forward(x), lambda k, x, y, g: k.softplus_backward(x, g)),
    "softplus_beta": (lambda k, x: k.softplus_forward(x, 2.0, 5.0), lambda k, x, y, g: k.softplus_backward(x, g, 2.0, 5.0)),
    "hardsigmoid": (lambda k, x: k.hardsigmoid_forward(x), lambda k, x, y, g: k.hardsigmoid_backward(x, g)),
    "hardswish": (lambda k, x: k.hardswish_forward(x), lambda k, x, y, g: k.hardswish_backward(x, g)),
    "mish": (lambda k, x: k.mish_forward(x), lambda k, x, y, g: k.mish_backward(x, g)),
}
TORCH = {"relu": lambda t: torch.relu(t), "sigmoid": torch.sigmoid, "tanh": torch.tanh,
         "silu": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu,
         "gelu_tanh": lambda t: torch.nn.functional.gelu(t, approximate="tanh"),
         "elu": torch.nn.functional.elu, "elu_alpha": lambda t: torch.nn.functional.elu(t, 0.3),
         "softplus": torch.nn.functional.softplus, "softplus_beta": lambda t: torch.nn.functional.softplus(t, 2.0, 5.0),
         "hardsigmoid": torch.nn.functional.hardsigmoid, "hardswish": torch.nn.functional.hardswish,
         "mish": torch.nn.functional.mish}
# float32 error budgets against the float64 reference: fastnn_expf (about 1 ulp), the erfc fit (1.2e-7) and
# rounding -z^2 + P(t) for GELU (about z^2 * 6e-8 relative); tanh's form (1 - e) / (1 + e) loses relative
# accuracy near 0 only in t, which GELU's tanh form adds to 1
TOL32 = {"relu": (0, 0), "sigmoid": (1e-6, 1e-30), "tanh": (1e-6, 1e-30), "silu": (2e-6, 1e-30),
         "gelu": (2e-6, 1e-30), "gelu_tanh": (2e-6, 2e-7), "elu": (3e-7, 1e-30), "elu_alpha": (3e-7, 1e-30),
         "softplus": (6e-7, 1e-30), "softplus_beta": (6e-7, 1e-30), "hardsigmoid": (2e-7, 1.2e-7),
         "hardswish": (2e-7, 1.2e-7), "mish": (1e-6, 1e-30)}


def _reference(name, x, g):
    """The float64 reference's values, in float64 (the kernels' float32 results are compared with them)."""
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    y = OPS[name][0](R, x64)
    return y, OPS[name][1](R, x64, y, g64)


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(0, 40), min_size=1, max_size=3), scale=st.sampled_from([0.5, 3.0, 12.0]),
       name=st.sampled_from(sorted(OPS)), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 99))
def test_kernels_match_the_reference_over_random_shapes(shape, scale, name, dtype, seed):
    rng = np.random.default_rng(seed)
    x = (scale * rng.standard_normal(shape)).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    fwd, bwd = OPS[name]
    y = fwd(K, x)
    dx = bwd(K, x, y, g)
    assert y.dtype == dx.dtype == dtype and y.shape == dx.shape == x.shape
    ry, rdx = _reference(name, x, g)
    rtol, atol = TOL32[name] if dtype == np.float32 else (1e-12, 1e-300)
    x64 = np.abs(x.astype(np.float64))
    if name == "gelu" and dtype == np.float32:
        rtol = rtol + 1e-7 * x64 ** 2   # rounding -z^2 + P(t) in the exponent (activations.h)
    if name == "gelu_tanh":
        # 0.5 x (1 + t) and its derivative's (1 - t^2) cancel in the tails, in any implementation (PyTorch's
        # too): an absolute error of a few ulps of 1, scaled by x (and x^3 in the derivative)
        atol = atol + 4 * np.finfo(dtype).eps * (x64 + 0.1 * x64 ** 3)
    bound = atol + rtol * np.abs(ry)
    assert np.all(np.abs(y - ry) <= bound), (name, float(np.max(np.abs(y - ry) - bound)))
    # the backward is compared at the kernel's own forward output (relu, sigmoid, tanh read it)
    rdx_at_y = (OPS[name][1](R, x.astype(np.float64), y.astype(np.float64), g.astype(np.float64))
                if name in ("relu", "sigmoid", "tanh") else rdx)
    # the derivative's own error is relative to the gradient it scales
    bound = 4 * (atol * (1 + np.abs(g)) + rtol * (np.abs(rdx_at_y) + np.abs(g)))
    err = np.abs(dx - rdx_at_y)
    assert np.all(err <= bound), (name, float(err.max()) if err.size else 0.0)


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_float32_tail_and_vector_remainder_against_pytorch(name, dtype):
    """Lengths on both sides of every vector width, values into the tails (|x| up to 12)."""
    for n in (1, 3, 7, 8, 9, 15, 16, 17, 33, 1000):
        x = np.linspace(-12, 12, n).astype(dtype)
        g = np.random.default_rng(n).standard_normal(n).astype(dtype)
        fwd, bwd = OPS[name]
        y = fwd(K, x)
        dx = bwd(K, x, y, g)
        tx = torch.from_numpy(x).requires_grad_()
        ty = TORCH[name](tx)
        ty.backward(torch.from_numpy(g))
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-5, atol=2e-6 if dtype == np.float32 else 1e-12)
        np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-5, atol=2e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_inf_and_signed_zeros_as_pytorch(name, dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 2.0, -2.0, 80.0, -80.0, -200.0, 200.0] * 2,
                 dtype)
    g = np.array([1.0, np.nan, 2.0, 3.0, -4.0, 5.0, np.inf, -1.0, 7.0, 1.0, -1.0, 1.0, -np.inf] * 2, dtype)
    fwd, bwd = OPS[name]
    y = fwd(K, x)
    dx = bwd(K, x, y, g)
    tx = torch.from_numpy(x).requires_grad_()
    ty = TORCH[name](tx)
    ty.backward(torch.from_numpy(g))
    ty, tg = ty.detach().numpy(), tx.grad.numpy()
    if name == "gelu" and dtype == np.float32:
        # GELU(inf) = inf (float64 PyTorch agrees); PyTorch's float32 kernel returns NaN there
        up = x == np.inf
        assert np.all(y[up] == np.inf)
        ty[up] = tg[up] = y[up] = dx[up] = np.nan
    if name.startswith("elu") or name == "hardswish":
        # PyTorch's ELU and hardswish gradients at a NaN input are NaN or the gradient itself depending on its
        # code path (NaN in its float64 vector loop, the gradient for float32 and in its scalar tail); fastnn's
        # are NaN throughout
        assert np.all(np.isnan(dx[np.isnan(x)]))
        tg[np.isnan(x)] = np.nan
    np.testing.assert_allclose(y, ty, rtol=1e-5, atol=1e-30, equal_nan=True)
    np.testing.assert_allclose(dx, tg, rtol=1e-5, atol=1e-30, equal_nan=True)
    zeros = x == 0   # +0.0 and -0.0 in: the same signed zeros out
    np.testing.assert_array_equal(np.signbit(y[zeros]), np.signbit(ty[zeros]))


def test_relu_passes_negative_zero_and_nan_as_pytorch():
    x = np.array([-0.0, 0.0, np.nan, -1.0], np.float32)
    y = K.relu_forward(x)
    assert np.signbit(y[0]) and not np.signbit(y[1]) and np.isnan(y[2]) and y[3] == 0
    # the backward selects: an inactive unit gets 0 even for an infinite or NaN gradient
    dx = K.relu_backward(np.array([0.0, -0.0, 2.0, np.nan], np.float32), np.array([np.inf, np.nan, 3.0, 4.0], np.float32))
    np.testing.assert_array_equal(dx, [0.0, 0.0, 3.0, 4.0])


@pytest.mark.parametrize("name", sorted(OPS))
def test_thread_split_gives_the_serial_result(name):
    rng = np.random.default_rng(1)
    x, g = (3 * rng.standard_normal((2, 3, 700_001))).astype(np.float32)  # past 2 x 2^18 elements: two threads
    fwd, bwd = OPS[name]
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        y1 = fwd(K, x)
        serial = y1, bwd(K, x, y1, g)
        fastnn.set_num_threads(2)
        y2 = fwd(K, x)
        split = y2, bwd(K, x, y2, g)
    finally:
        fastnn.set_num_threads(before)
    for a, b in zip(serial, split):
        np.testing.assert_array_equal(a, b)


def test_bad_arguments_raise_naming_the_argument():
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(TypeError, match="x must be float32 or float64"):
        K.gelu_forward(x.astype(np.int64))
    with pytest.raises(ValueError, match="approximate"):
        K.gelu_forward(x, "fast")
    with pytest.raises(ValueError, match="grad must have the shape"):
        K.silu_backward(x, np.zeros((4, 3), np.float32))
    with pytest.raises(TypeError, match="grad must have the dtype"):
        K.relu_backward(x, x.astype(np.float64))
    with pytest.raises(ValueError, match="C-contiguous"):
        K.sigmoid_forward(np.zeros((4, 6), np.float32)[:, ::2])
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        K.tanh_backward([1.0], x)
    with pytest.raises(TypeError, match="alpha must be a number"):
        K.elu_forward(x, "1")


PUBLIC = {"relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh, "silu": F.silu, "gelu": F.gelu,
          "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"), "elu": F.elu, "elu_alpha": lambda t: F.elu(t, 0.3),
          "softplus": F.softplus, "softplus_beta": lambda t: F.softplus(t, 2.0, 5.0), "hardsigmoid": F.hardsigmoid,
          "hardswish": F.hardswish, "mish": F.mish}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_functions_pass_float64_gradcheck(name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5)) * 2
    x[np.abs(x) < 0.05] += 0.2  # away from ReLU's kink, where the finite difference straddles it
    t = fastnn.tensor(x, requires_grad=True)
    assert gradcheck(PUBLIC[name], (t,))


@pytest.mark.parametrize("name", sorted(PUBLIC))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_public_functions_and_modules_match_pytorch_with_gradients(name, dtype):
    rng = np.random.default_rng(3)
    x = (3 * rng.standard_normal((2, 64, 33))).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    fx, tx = fastnn.tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_()
    y, ty = PUBLIC[name](fx), TORCH[name](tx)
    y.backward(fastnn.tensor(g))
    ty.backward(torch.from_numpy(g))
    # GELU's tanh form cancels in the tails: fastnn and PyTorch each within about 1e-6 of float64 there
    atol = (5e-6 if name == "gelu_tanh" else 2e-6) if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=atol)
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=atol)
    assert y.dtype == fx.dtype


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_other_dtypes_and_strided_inputs_take_the_same_values(name):
    """float16 takes the NumPy formulas; a transposed view and a broadcast gradient are copied for the kernel."""
    x = np.random.default_rng(5).standard_normal((16, 8)).astype(np.float32)
    y32 = PUBLIC[name](fastnn.tensor(x)).numpy()
    y16 = PUBLIC[name](fastnn.tensor(x.astype(np.float16))).numpy()
    assert y16.dtype == np.float16
    np.testing.assert_allclose(y16, y32, rtol=2e-2, atol=2e-3)
    xt = fastnn.tensor(x).t().requires_grad_()
    PUBLIC[name](xt).sum().backward()   # a broadcast (stride 0) gradient reaches the backward
    tt = torch.from_numpy(x).t().requires_grad_()
    TORCH[name](tt).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), tt.grad.numpy(), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_broadcast_gradient_is_read_in_place_with_the_same_result(name, dtype):
    """x.sum().backward() sends one value broadcast over the shape; the kernels read it without a copy."""
    x = (3 * np.random.default_rng(2).standard_normal((37, 29))).astype(dtype)
    fwd, bwd = OPS[name]
    y = fwd(K, x)
    for value in (1.0, -2.5, np.inf, np.nan):
        g = np.broadcast_to(np.asarray(value, dtype), x.shape)
        np.testing.assert_array_equal(bwd(K, x, y, g), bwd(K, x, y, np.ascontiguousarray(g)))
    with pytest.raises(ValueError, match="grad must be C-contiguous"):   # a broadcast of another shape
        bwd(K, x, y, np.broadcast_to(np.asarray(1.0, dtype), (29, 37)))



@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(0, 40), min_size=1, max_size=3), scale=st.sampled_from([0.5, 3.0, 30.0]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 99))
def test_bce_with_logits_passes_match_the_reference(shape, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    x = (scale * rng.standard_normal(shape)).astype(dtype)
    t = rng.random(shape).astype(dtype)   # soft targets too
    g = rng.standard_normal(shape).astype(dtype)
    x64, t64, g64 = (a.astype(np.float64) for a in (x, t, g))
    eps = np.finfo(dtype).eps
    loss, ref = K.bce_logits_forward(x, t), R.bce_logits_forward(x64, t64)
    # (1 - t) x + softplus(-x) cancels where the loss is small next to |x| (PyTorch's formula too)
    assert np.all(np.abs(loss - ref) <= 4 * eps * (np.abs(ref) + np.abs(x64) + 1))
    dx, dref = K.bce_logits_backward(x, t, g), R.bce_logits_backward(x64, t64, g64)
    assert np.all(np.abs(dx - dref) <= 4 * eps * np.abs(g64) * 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_pytorch_with_special_values(dtype, reduction):
    rng = np.random.default_rng(9)
    x = np.concatenate([20 * rng.standard_normal(200), [0.0, -0.0, 100.0, -100.0, 1e-30, np.inf, -np.inf]]).astype(dtype)
    t = np.concatenate([rng.random(200), [1, 0, 1, 0, 0.5, 1, 0]]).astype(dtype)
    fx, tx = fastnn.tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_()
    y = F.binary_cross_entropy_with_logits(fx, fastnn.tensor(t), reduction=reduction)
    ty = torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.from_numpy(t), reduction=reduction)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7, equal_nan=True)


def test_bce_with_logits_passes_float64_gradcheck_and_rejects_bad_targets():
    rng = np.random.default_rng(3)
    x = fastnn.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    t = fastnn.tensor(rng.random((4, 5)))
    assert gradcheck(lambda x: F.binary_cross_entropy_with_logits(x, t), (x,))
    with pytest.raises(ValueError, match="target must have the shape"):
        K.bce_logits_forward(np.zeros((2, 3), np.float32), np.zeros((3, 2), np.float32))
    with pytest.raises(TypeError, match="target must have the dtype"):
        K.bce_logits_forward(np.zeros(3, np.float32), np.zeros(3))
