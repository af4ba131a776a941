"""Compiled fused optimizer updates (Adam/AdamW, SGD) against the NumPy reference."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastnn import kernels as K
from fastnn.kernels import reference as R

TOL = {np.float32: dict(rtol=3e-6, atol=1e-7), np.float64: dict(rtol=1e-13, atol=1e-15)}
DTYPES = [np.float32, np.float64]
shapes = st.sampled_from([(0,), (1,), (7,), (3, 5), (64, 33), (40000,), (2, 3, 4, 5)])


def _arrays(rng, shape, dtype, count):
    return [rng.standard_normal(shape).astype(dtype) for _ in range(count)]


@settings(max_examples=60, deadline=None)
@given(shape=shapes, dtype=st.sampled_from(DTYPES), amsgrad=st.booleans(), decoupled=st.booleans(),
       weight_decay=st.sampled_from([0.0, 0.01]), maximize=st.booleans(), seed=st.integers(0, 2**31))
def test_adam_matches_reference_over_several_steps(shape, dtype, amsgrad, decoupled, weight_decay, maximize, seed):
    rng = np.random.default_rng(seed)
    param, = _arrays(rng, shape, dtype, 1)
    state = [np.zeros_like(param) for _ in range(3)]
    ours = [param.copy()] + [s.copy() for s in state]
    theirs = [param.copy()] + [s.copy() for s in state]
    for step in range(1, 4):
        grad, = _arrays(rng, shape, dtype, 1)
        for kernels, (p, m, v, vmax) in ((K, ours), (R, theirs)):
            kernels.adam_step(p, grad, m, v, vmax if amsgrad else None, step, 1e-2, 0.9, 0.99, 1e-8,
                              weight_decay, decoupled, maximize)
    for got, want in zip(ours, theirs):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, **TOL[dtype])
    assert not np.array_equal(ours[0], param) or param.size == 0  # it moved


@settings(max_examples=60, deadline=None)
@given(shape=shapes, dtype=st.sampled_from(DTYPES), momentum=st.sampled_from([0.0, 0.9]),
       dampening=st.sampled_from([0.0, 0.3]), nesterov=st.booleans(), weight_decay=st.sampled_from([0.0, 0.01]),
       maximize=st.booleans(), seed=st.integers(0, 2**31))
def test_sgd_matches_reference_over_several_steps(shape, dtype, momentum, dampening, nesterov, weight_decay,
                                                  maximize, seed):
    rng = np.random.default_rng(seed)
    param, = _arrays(rng, shape, dtype, 1)
    ours, theirs = [param.copy(), np.full_like(param, np.nan)], [param.copy(), np.full_like(param, np.nan)]
    for step in range(3):
        grad, = _arrays(rng, shape, dtype, 1)
        for kernels, (p, buf) in ((K, ours), (R, theirs)):
            kernels.sgd_step(p, grad, buf if momentum else None, 0.1, momentum, dampening, weight_decay, nesterov,
                             maximize, step == 0)
    np.testing.assert_allclose(ours[0], theirs[0], **TOL[dtype])
    if momentum:  # the first step overwrote the NaN-filled buffer
        np.testing.assert_allclose(ours[1], theirs[1], **TOL[dtype])


def test_adam_first_step_by_hand():
    # step 1: m = 0.1 g, v = 0.001 g^2, bias-corrected m/sqrt(v) = sign(g), so p moves by lr per element
    p, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, -4.0, 0.0])
    m, v = np.zeros(3), np.zeros(3)
    K.adam_step(p, g, m, v, None, 1, 0.1, 0.9, 0.999, 0.0 + 1e-12)
    np.testing.assert_allclose(p, [0.9, -1.9, 0.5], atol=1e-9)
    np.testing.assert_allclose(m, 0.1 * g)
    np.testing.assert_allclose(v, 0.001 * g * g)


def test_nan_gradients_poison_what_they_touch_alike():
    rng = np.random.default_rng(0)
    for amsgrad in (False, True):
        g = rng.standard_normal(50000).astype(np.float32)
        g[::7] = np.nan
        results = []
        for kernels in (K, R):
            p, m, v, vmax = np.ones(50000, np.float32), *(np.zeros(50000, np.float32) for _ in range(3))
            kernels.adam_step(p, g, m, v, vmax if amsgrad else None, 1, 1e-3, 0.9, 0.999, 1e-8)
            results.append([p, m, v] + ([vmax] if amsgrad else []))
        for got, want in zip(*results):
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


@pytest.mark.parametrize("call,error,names", [
    (lambda p, s: K.adam_step(p, s[:3], s, s, None, 1, 1e-3, 0.9, 0.999, 1e-8), ValueError, "grad"),
    (lambda p, s: K.adam_step(p, s, s.astype(np.float64), s, None, 1, 1e-3, 0.9, 0.999, 1e-8), TypeError,
     "exp_avg"),
    (lambda p, s: K.adam_step(p, s, s, s, s[:2], 1, 1e-3, 0.9, 0.999, 1e-8), ValueError, "max_exp_avg_sq"),
    (lambda p, s: K.adam_step(p, s, s, s, None, 0, 1e-3, 0.9, 0.999, 1e-8), ValueError, "step"),
    (lambda p, s: K.adam_step(p, s, s, s, None, 1, 1e-3, 1.0, 0.999, 1e-8), ValueError, "beta1"),
    (lambda p, s: K.adam_step(p.tolist(), s, s, s, None, 1, 1e-3, 0.9, 0.999, 1e-8), TypeError, "param"),
    (lambda p, s: K.sgd_step(p, s, None, 0.1, 0.9), ValueError, "momentum_buffer"),
    (lambda p, s: K.sgd_step(p, s[::2], None, 0.1), ValueError, "grad"),
    (lambda p, s: K.sgd_step(p[::2], s[:5], None, 0.1), ValueError, "param"),
])
def test_bad_arguments_are_refused_naming_them(call, error, names):
    p, s = np.ones(10, np.float32), np.zeros(10, np.float32)
    with pytest.raises(error, match=names):
        call(p, s)
    assert np.all(p == 1)  # nothing was written


@pytest.mark.parametrize("make", [
    lambda ps: __import__("fastnn").optim.Adam(ps, lr=1e-2, weight_decay=0.1, amsgrad=True),
    lambda ps: __import__("fastnn").optim.AdamW(ps, lr=1e-2, maximize=True),
    lambda ps: __import__("fastnn").optim.SGD(ps, lr=1e-2, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda ps: __import__("fastnn").optim.SGD(ps, lr=1e-2),
])
def test_optimizers_take_the_kernel_for_large_and_numpy_for_small_parameters_alike(make):
    """Parameters on both sides of the plain-SGD cut-off (kernel above, NumPy below) follow the
    same rule: each matches the same optimizer run on the NumPy backend."""
    import fastnn
    from fastnn.autograd.native import optim as native
    rng = np.random.default_rng(0)
    shapes = [(160, 160), (3, 5)]
    assert 160 * 160 >= native.SMALL_PLAIN_SGD > 15
    results = []
    for backend in ("compiled", "reference"):
        fastnn.set_backend(backend)
        try:
            params = [fastnn.nn.Parameter(fastnn.tensor(rng.standard_normal(s).astype(np.float32))) for s in shapes]
            grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
            rng = np.random.default_rng(0)  # the same draws for the second backend
            opt = make(params)
            for _ in range(3):
                for p, g in zip(params, grads):
                    p.grad = fastnn.tensor(g)
                opt.step()
            results.append([p.detach().numpy().copy() for p in params])
        finally:
            fastnn.set_backend("compiled")
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
