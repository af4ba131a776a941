"""nn.utils.clip_grad_norm_ / clip_grad_value_ / parameters_to_vector against their definitions and torch."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from fastnn.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def params_with_grads(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    ps = [nn.Parameter(fastnn.tensor(rng.standard_normal(s).astype(dtype))) for s in [(3, 2), (4,), (1,)]]
    for p in ps:
        p.grad = fastnn.tensor(rng.standard_normal(p.shape).astype(dtype) * 3)
    return ps


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm(norm_type, max_norm):
    ps = params_with_grads()
    g = np.concatenate([p.grad.numpy().ravel() for p in ps])
    total = np.max(np.abs(g)) if norm_type == float("inf") else np.sum(np.abs(g) ** norm_type) ** (1 / norm_type)
    before = [p.grad.numpy().copy() for p in ps]
    grad_objects = [p.grad for p in ps]
    out = clip_grad_norm_(ps, max_norm, norm_type)
    np.testing.assert_allclose(out.item(), total, rtol=1e-10)
    scale = min(1.0, max_norm / (total + 1e-6))
    for p, b, obj in zip(ps, before, grad_objects):
        np.testing.assert_allclose(p.grad.numpy(), b * scale, rtol=1e-10)
        assert p.grad is obj  # in place


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    ps = params_with_grads(1)
    tps = [torch.nn.Parameter(torch.tensor(p.detach().numpy())) for p in ps]
    for p, tp in zip(ps, tps):
        tp.grad = torch.tensor(p.grad.numpy().copy())
    n = clip_grad_norm_(ps, 1.0)
    tn = torch.nn.utils.clip_grad_norm_(tps, 1.0)
    np.testing.assert_allclose(n.item(), tn.item(), rtol=1e-10)
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10)


def test_clip_grad_norm_nonfinite():
    ps = params_with_grads()
    ps[0].grad.numpy()[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_vector_round_trip():
    ps = params_with_grads()
    clip_grad_value_(ps, 0.5)
    assert all(np.abs(p.grad.numpy()).max() <= 0.5 for p in ps)
    vec = parameters_to_vector(ps)
    assert vec.shape == (11,)
    np.testing.assert_array_equal(vec.detach().numpy()[:6], ps[0].detach().numpy().ravel())
    with fastnn.no_grad():
        vector_to_parameters(vec * 0 + 2, ps)
    assert all(np.all(p.detach().numpy() == 2) for p in ps)
