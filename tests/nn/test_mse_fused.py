"""mse_loss's fused mean case (one Function) against PyTorch: values, both gradients, NaN and inf, and the
cases that keep the general composition (other reductions, broadcasting, weight, empty input)."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd.gradcheck import gradcheck
from fastnn.nn import functional as F
from fastnn.nn import functional_mse

torch = pytest.importorskip("torch")


@pytest.fixture
def fused_calls(monkeypatch):
    seen = []
    fwd = functional_mse.MSELossMeanFn.forward
    monkeypatch.setattr(functional_mse.MSELossMeanFn, "forward", staticmethod(lambda *a: seen.append(1) or fwd(*a)))
    return seen


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7,), (3, 5, 4), (1,)])
def test_fused_mean_matches_torch(dtype, shape, fused_calls):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    if a.size > 2:
        a.reshape(-1)[0], b.reshape(-1)[1] = np.inf, np.nan
    x, y = fastnn.tensor(a, requires_grad=True), fastnn.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, tout = F.mse_loss(x, y), torch.nn.functional.mse_loss(tx, ty)
    assert fused_calls and out.dtype == tout.detach().numpy().dtype and out.shape == ()
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-6)
    (out * 3).backward()
    (tout * 3).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_fused_mean_gradcheck_and_target_without_grad(fused_calls):
    rng = np.random.default_rng(1)
    x = fastnn.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = fastnn.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda a, b: F.mse_loss(a, b), (x, y))
    F.mse_loss(x, y.detach()).backward()
    assert fused_calls


@pytest.mark.parametrize("case", ["sum", "none", "broadcast", "weight", "empty"])
def test_other_cases_keep_the_general_path(case, fused_calls):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    kw, tkw = {}, {}
    if case in ("sum", "none"):
        kw = tkw = dict(reduction=case)
    elif case == "broadcast":
        b = b[:1]
    elif case == "weight":
        w = rng.random((4, 3)).astype(np.float32)
        kw, tkw = dict(weight=fastnn.tensor(w)), dict(weight=torch.tensor(w))
    else:
        a, b = a[:0], b[:0]
    with pytest.warns(UserWarning) if case == "broadcast" else _nothing():
        out = F.mse_loss(fastnn.tensor(a), fastnn.tensor(b), **kw)
    with pytest.warns(UserWarning) if case == "broadcast" else _nothing():
        ref = torch.nn.functional.mse_loss(torch.tensor(a), torch.tensor(b), **tkw)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    assert not fused_calls


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
