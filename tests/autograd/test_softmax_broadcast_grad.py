"""softmax / log_softmax backward when the output gradient arrives broadcast (from sum, mean,
sum over some axes): the kernel then gets only the distinct gradient rows. Values against
PyTorch, float64 finite differences, and which rows reach the kernel."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd.gradcheck import gradcheck
from fastnn.autograd.native import softmax as native

torch = pytest.importorskip("torch")

SHAPE = (2, 3, 4, 5)
# reductions of the softmax output: the gradient reaching softmax is a view with stride 0 on these axes
REDUCTIONS = {"all": None, "lead": (0,), "lead2": (0, 1), "middle": (1,), "last": (-1,), "lead_last": (0, 3)}


def _reduce(y, axes):
    return y.sum() if axes is None else y.sum(axes)


def _run(lib, x, axes, dim, log, w):
    f = lib.nn.functional.log_softmax if log else lib.nn.functional.softmax
    (_reduce(f(x, dim), axes) * w).sum().backward()
    return x.grad


@pytest.mark.parametrize("axes", list(REDUCTIONS))
@pytest.mark.parametrize("dim", [-1, 0, 2])
@pytest.mark.parametrize("log", [False, True])
def test_broadcast_output_gradient_matches_pytorch(axes, dim, log):
    rng = np.random.default_rng(7)
    a = rng.standard_normal(SHAPE).astype(np.float32)
    red = REDUCTIONS[axes]
    w = rng.standard_normal(np.sum(a, axis=red).shape if red else ()).astype(np.float32)
    got = _run(fastnn, fastnn.tensor(a).requires_grad_(True), red, dim, log, fastnn.tensor(w))
    want = _run(torch, torch.tensor(a, requires_grad=True), red, dim, log, torch.tensor(w))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axes", ["all", "lead", "lead2"])
def test_reference_backend_takes_the_distinct_rows_too(axes):
    rng = np.random.default_rng(5)
    a = rng.standard_normal(SHAPE).astype(np.float32)
    red = REDUCTIONS[axes]
    w = rng.standard_normal(np.sum(a, axis=red).shape if red else ()).astype(np.float32)
    fastnn.set_backend("reference")
    try:
        got = _run(fastnn, fastnn.tensor(a).requires_grad_(True), red, -1, False, fastnn.tensor(w))
    finally:
        fastnn.set_backend("compiled")
    want = _run(torch, torch.tensor(a, requires_grad=True), red, -1, False, torch.tensor(w))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axes", ["all", "lead", "middle", "lead_last"])
@pytest.mark.parametrize("dim", [-1, 1])
@pytest.mark.parametrize("log", [False, True])
def test_broadcast_output_gradient_gradcheck(axes, dim, log):
    x = fastnn.tensor(np.random.default_rng(1).standard_normal(SHAPE)).requires_grad_(True)
    f = fastnn.nn.functional.log_softmax if log else fastnn.nn.functional.softmax
    assert gradcheck(lambda a: _reduce(f(a, dim), REDUCTIONS[axes]), (x,))


@pytest.mark.parametrize("axes, dim, rows", [("all", -1, 1), ("lead", -1, 12), ("lead2", -1, 4), ("middle", -1, 24),
                                             ("lead", 0, 60), ("lead", 3, 12)])
def test_kernel_gets_the_distinct_rows_only(monkeypatch, axes, dim, rows):
    kernel = native.softmax_kernels.softmax_backward
    seen = []

    def recording(y, g, *args):
        seen.append((y.shape, g.shape))
        return kernel(y, g, *args)
    monkeypatch.setattr(native.softmax_kernels, "softmax_backward", recording)
    a = np.random.default_rng(2).standard_normal(SHAPE).astype(np.float32)
    red = REDUCTIONS[axes]
    w = np.random.default_rng(3).standard_normal(np.sum(a, axis=red).shape if red else ())
    _run(fastnn, fastnn.tensor(a).requires_grad_(True), red, dim, False, fastnn.tensor(w.astype(np.float32)))
    (y_shape, g_shape), = seen
    assert y_shape == (120 // SHAPE[dim], SHAPE[dim]) and g_shape == (rows, SHAPE[dim])


@pytest.mark.parametrize("log", [False, True])
def test_zero_dim_input_as_pytorch(log):
    x, tx = fastnn.tensor(1.5, requires_grad=True), torch.tensor(1.5, requires_grad=True)
    name = "log_softmax" if log else "softmax"
    y, ty = getattr(fastnn, name)(x, 0), getattr(torch, name)(tx, 0)
    (y * 3).backward()
    (ty * 3).backward()
    assert y.shape == () and float(y.detach()) == float(ty.detach())
    assert float(x.grad) == float(tx.grad)


def test_float64_gradient_of_float32_softmax_output_is_cast():
    # the output gradient's dtype follows the graph; a float64 weight still gives float32 grads
    a = np.random.default_rng(4).standard_normal((3, 6)).astype(np.float32)
    x, tx = fastnn.tensor(a).requires_grad_(True), torch.tensor(a, requires_grad=True)
    fastnn.softmax(x, -1).sum(0).mul(fastnn.arange(6.0)).sum().backward()
    torch.softmax(tx, -1).sum(0).mul(torch.arange(6.0)).sum().backward()
    assert x.grad.dtype == fastnn.float32
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape, dim", [((0, 5), -1), ((3, 0), -1), ((0, 5), 0), ((2, 0, 4), -1), ((2, 0, 4), 1),
                                        ((3, 0), 0), ((1, 0), -1)])
@pytest.mark.parametrize("log", [False, True])
def test_empty_inputs_as_pytorch(shape, dim, log):
    # a zero-length softmax axis once made reshape(-1, 0) ambiguous; a zero-size broadcast gradient
    # has no first row to take
    name = "log_softmax" if log else "softmax"
    x, tx = fastnn.zeros(shape, requires_grad=True), torch.zeros(shape, requires_grad=True)
    y, ty = getattr(fastnn, name)(x, dim), getattr(torch, name)(tx, dim)
    y.sum().backward()
    ty.sum().backward()
    assert y.shape == tuple(ty.shape) and x.grad.shape == tuple(tx.grad.shape)
