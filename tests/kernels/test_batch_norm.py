"""Training batch norm on the norm family's channel kernels (csrc/batchnorm_impl.h): against the float64
NumPy reference over random (N, C, M) shapes in float32 and float64, forward and backward; statistics that
stay accurate far from zero; the thread split; argument errors; and nn.BatchNorm1d/2d against PyTorch with
running statistics and gradients, and F.batch_norm through a float64 gradient check. Runs on every vector
build (tests/test_vector_builds.py)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastnn
import fastnn.nn.functional as F
from fastnn import kernels as K
from fastnn.autograd import gradcheck
from fastnn.kernels import reference as R

torch = pytest.importorskip("torch")


def _tol(dtype):
    return (2e-5, 2e-5) if dtype == np.float32 else (1e-10, 1e-10)


@settings(max_examples=60, deadline=None)
@given(N=st.integers(1, 5), C=st.integers(1, 6), M=st.integers(1, 70), affine=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 99))
def test_kernels_match_the_reference_over_random_shapes(N, C, M, affine, dtype, seed):
    if N * M < 2:
        N = 2
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((N, C, M)) * rng.uniform(0.1, 5, (1, C, 1)) + rng.uniform(-3, 3, (1, C, 1))).astype(dtype)
    w = rng.standard_normal(C).astype(dtype) if affine else None
    b = rng.standard_normal(C).astype(dtype) if affine else None
    g = rng.standard_normal(x.shape).astype(dtype)
    rtol, atol = _tol(dtype)
    got, ref = K.batch_norm_forward(x, w, b, 1e-5), R.batch_norm_forward(x, w, b, 1e-5)
    assert got[0].dtype == dtype and all(s.dtype == np.float64 for s in got[1:])
    for a, e in zip(got, ref):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)
    mean, rstd = ref[1], ref[3]
    for need in ((True, True, True), (False, True, True), (True, False, False)):
        gk = K.batch_norm_backward(x, mean, rstd, g, w, need[1], need[2], need[0])
        gr = R.batch_norm_backward(x, mean, rstd, g, w, need[1], need[2], need[0])
        for a, e in zip(gk, gr):
            assert (a is None) == (e is None)
            if a is not None:
                assert a.dtype == dtype
                np.testing.assert_allclose(a, e, rtol=rtol, atol=atol * max(1, np.sqrt(N * M)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_statistics_stay_accurate_far_from_zero(dtype):
    """Values 1000 +- 0.01: a one-pass E[x^2] - E[x]^2 would lose the variance; two passes keep it."""
    rng = np.random.default_rng(0)
    x = (1000 + 0.01 * rng.standard_normal((16, 3, 500))).astype(dtype)
    _, mean, var, _ = K.batch_norm_forward(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=(0, 2)), rtol=1e-7 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(var, x64.var(axis=(0, 2)), rtol=1e-3 if dtype == np.float32 else 1e-9)


def test_thread_split_gives_the_serial_result():
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((2, 16, 8, 4096)).astype(np.float32)
    w = rng.standard_normal(8).astype(np.float32)
    before = fastnn.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            fastnn.set_num_threads(threads)
            y, mean, var, rstd = K.batch_norm_forward(x, w, None)
            results.append((y, mean, var, rstd) + tuple(K.batch_norm_backward(x, mean, rstd, g, w)))
    finally:
        fastnn.set_num_threads(before)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_bad_arguments_raise_naming_the_argument():
    x = np.zeros((4, 3, 5), np.float32)
    with pytest.raises(ValueError, match="input must be 3-D"):
        K.batch_norm_forward(np.zeros((4, 3), np.float32))
    with pytest.raises(TypeError, match="weight must have the dtype"):
        K.batch_norm_forward(x, np.ones(3))
    with pytest.raises(ValueError, match="bias must have shape"):
        K.batch_norm_forward(x, None, np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="input must have values in every channel"):
        K.batch_norm_forward(np.zeros((0, 3, 5), np.float32))
    _, mean, _, rstd = K.batch_norm_forward(x + np.arange(5, dtype=np.float32))
    with pytest.raises(ValueError, match="mean must be a float64 array"):
        K.batch_norm_backward(x, mean[:2], rstd, x)
    with pytest.raises(ValueError, match="rstd must be a float64 array"):
        K.batch_norm_backward(x, mean, rstd.astype(np.float32), x)
    with pytest.raises(ValueError, match="grad_out must have the shape"):
        K.batch_norm_backward(x, mean, rstd, np.zeros((4, 5, 3), np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,cls", [((64, 16, 12, 12), "BatchNorm2d"), ((128, 24), "BatchNorm1d"),
                                       ((8, 5, 30), "BatchNorm1d"), ((4, 6, 3, 5, 2), "BatchNorm3d")])
def test_modules_match_pytorch_in_training_and_eval(shape, cls, dtype):
    rng = np.random.default_rng(4)
    C = shape[1]
    ours, theirs = getattr(fastnn.nn, cls)(C, momentum=0.2), getattr(torch.nn, cls)(C, momentum=0.2)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    w, b = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    for m, to in ((ours, fastnn.tensor), (theirs, torch.from_numpy)):
        with (fastnn if m is ours else torch).no_grad():
            m.weight.copy_(to(w))
            m.bias.copy_(to(b))
    atol = 2e-5 if dtype == np.float32 else 1e-10
    for step in range(2):
        x = (2 * rng.standard_normal(shape) + 1).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        fx, tx = fastnn.tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_()
        y, ty = ours(fx), theirs(tx)
        y.backward(fastnn.tensor(g))
        ty.backward(torch.from_numpy(g))
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=atol)
        np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=atol * 10)
        for p, tp in ((ours.weight, theirs.weight), (ours.bias, theirs.bias)):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=atol * 100)
            p.grad = None
            tp.grad = None
        np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-5, atol=atol)
        np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5, atol=atol)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape).astype(dtype)
    np.testing.assert_allclose(ours(fastnn.tensor(x)).detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=atol)


@pytest.mark.parametrize("shape", [(5, 3, 4), (4, 2, 3, 2), (6, 3)])
def test_batch_norm_passes_float64_gradcheck(shape):
    rng = np.random.default_rng(7)
    C = shape[1]
    x = fastnn.tensor(rng.standard_normal(shape), requires_grad=True)
    w = fastnn.tensor(rng.standard_normal(C), requires_grad=True)
    b = fastnn.tensor(rng.standard_normal(C), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert gradcheck(lambda x: F.batch_norm(x, None, None, None, None, training=True), (x,))
