"""smooth_l1_loss and huber_loss (one fused Function for a target of the input's shape and dtype, the general
composition otherwise) against PyTorch: values and gradients for input and target, every reduction, values
on both sides of the threshold, float32 and float64; and a float64 gradcheck of the fused Function."""
import numpy as np
import pytest
import torch

import fastnn
from fastnn.autograd import gradcheck
from fastnn.nn import functional as F


def _both(name, x, t, kwargs, target_grad=True):
    out = []
    for lib, fn in ((fastnn, getattr(F, name)), (torch, getattr(torch.nn.functional, name))):
        xi = lib.tensor(x.copy(), requires_grad=True)
        ti = lib.tensor(t.copy(), requires_grad=target_grad)
        loss = fn(xi, ti, **kwargs)
        (loss.sum() if loss.ndim else loss).backward(**({} if loss.ndim == 0 else {}))
        out.append((loss.detach().numpy(), xi.grad.numpy(), ti.grad.numpy() if target_grad else None))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, kwargs", [("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.3}),
                                          ("huber_loss", {}), ("huber_loss", {"delta": 2.5})])
def test_matches_pytorch(dtype, reduction, name, kwargs, rng):
    x = (rng.standard_normal((7, 5)) * 3).astype(dtype)
    t = (rng.standard_normal((7, 5)) * 3).astype(dtype)
    x[0, :3] = t[0, :3] + np.array([0.3, -2.5, 1.0], dtype)   # on the thresholds
    (fl, fgx, fgt), (tl, tgx, tgt) = _both(name, x, t, dict(kwargs, reduction=reduction))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    assert fl.dtype == tl.dtype
    np.testing.assert_allclose(fl, tl, **tol)
    np.testing.assert_allclose(fgx, tgx, **tol)
    np.testing.assert_allclose(fgt, tgt, **tol)


def test_broadcast_and_mixed_dtype_targets_take_the_general_path_and_match_pytorch(rng):
    x = rng.standard_normal((6, 4)).astype(np.float32)
    t = rng.standard_normal(4).astype(np.float32)
    with pytest.warns(UserWarning, match="target size"):
        (fl, fgx, fgt), (tl, tgx, tgt) = _both("smooth_l1_loss", x, t, {})
    np.testing.assert_allclose(fl, tl, rtol=1e-5)
    np.testing.assert_allclose(fgt, tgt, rtol=1e-5, atol=1e-7)


def test_nan_propagates_as_in_pytorch():
    (fl, fgx, _), (tl, tgx, _) = _both("huber_loss", np.array([np.nan, 1.0]), np.array([0.0, 0.0]), {},
                                       target_grad=False)
    assert np.isnan(fl) and np.isnan(tl)
    np.testing.assert_array_equal(np.isnan(fgx), np.isnan(tgx))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_function_passes_gradcheck(reduction, rng):
    x = fastnn.tensor(rng.standard_normal((4, 3)) * 2, requires_grad=True)
    t = fastnn.tensor(rng.standard_normal((4, 3)) * 2, requires_grad=True)
    assert gradcheck(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.7), (x, t))
    assert gradcheck(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=1.3), (x, t))
