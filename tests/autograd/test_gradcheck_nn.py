"""nn.functional operations (losses, linear, norms, embedding, dropout) against finite differences."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn.autograd import gradcheck


def t(*shape, seed=0):
    rng = np.random.default_rng(seed * 31 + sum(shape))
    return fastnn.tensor(rng.standard_normal(shape), requires_grad=True)


def labels(n, c, seed=0):
    return fastnn.tensor(np.random.default_rng(seed).integers(0, c, n))


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_indices(reduction):
    x, y = t(5, 4), labels(5, 4)
    assert gradcheck(lambda a: F.cross_entropy(a, y, reduction=reduction), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_weight_ignore_smoothing(reduction):
    x = t(6, 4)
    y = fastnn.tensor([0, 3, -100, 1, 1, 2])
    w = fastnn.tensor([0.5, 2.0, 1.0, 0.25], dtype=fastnn.float64)
    assert gradcheck(lambda a: F.cross_entropy(a, y, weight=w, ignore_index=-100, reduction=reduction,
                                               label_smoothing=0.2), (x,))
    assert gradcheck(lambda a: F.cross_entropy(a, y, weight=w, reduction=reduction), (x,))


def test_cross_entropy_reference_values():
    x, y = t(5, 4), labels(5, 4, seed=3)
    a = x.detach().numpy()
    logp = a - np.log(np.exp(a).sum(1, keepdims=True))
    w = np.array([0.5, 2.0, 1.0, 0.25])
    eps = 0.1
    yi = y.numpy()
    per = -(1 - eps) * w[yi] * logp[np.arange(5), yi] - eps / 4 * (w * logp).sum(1)
    got = F.cross_entropy(x, y, weight=fastnn.tensor(w), label_smoothing=eps, reduction="none")
    np.testing.assert_allclose(got.detach().numpy(), per, rtol=1e-10)
    plain = F.cross_entropy(x, y).item()
    np.testing.assert_allclose(plain, -logp[np.arange(5), yi].mean(), rtol=1e-10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probability_targets(reduction):
    x = t(4, 3)
    p = fastnn.tensor(np.random.default_rng(0).dirichlet(np.ones(3), 4))
    assert gradcheck(lambda a: F.cross_entropy(a, p, reduction=reduction, label_smoothing=0.1), (x,))
    q = t(4, 3, seed=9)
    assert gradcheck(lambda b: F.cross_entropy(x.detach(), b.softmax(1)), (q,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial(reduction):
    x = t(2, 3, 2, 2)
    y = fastnn.tensor(np.random.default_rng(1).integers(0, 3, (2, 2, 2)))
    out = F.cross_entropy(x, y, reduction=reduction)
    assert out.shape == ((2, 2, 2) if reduction == "none" else ())
    assert gradcheck(lambda a: F.cross_entropy(a, y, reduction=reduction), (x,))
    flat = F.cross_entropy(x.permute(0, 2, 3, 1).reshape(-1, 3), y.reshape(-1), reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy().reshape(-1), flat.detach().numpy().reshape(-1), rtol=1e-12)


def test_cross_entropy_single_sample():
    x = t(4)
    assert gradcheck(lambda a: F.cross_entropy(a, fastnn.tensor(2)), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    x = t(5, 3)
    y = fastnn.tensor([0, 2, 1, -100, 2])
    w = fastnn.tensor([1.0, 0.5, 3.0], dtype=fastnn.float64)
    assert gradcheck(lambda a: F.nll_loss(a.log_softmax(1), y, weight=w, reduction=reduction), (x,))
    x4 = t(2, 3, 2)
    y4 = fastnn.tensor([[0, 1], [2, 2]])
    assert gradcheck(lambda a: F.nll_loss(a, y4, reduction=reduction), (x4,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction):
    x, y = t(3, 4), t(3, 4, seed=1)
    for fn in (F.mse_loss, F.l1_loss, lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.5),
               lambda a, b, reduction: F.huber_loss(a, b, reduction=reduction, delta=0.7)):
        assert gradcheck(lambda a, b: fn(a, b, reduction=reduction), (x, y))


def test_regression_loss_values():
    d = np.array([-2.0, -0.3, 0.1, 0.9])
    x = fastnn.tensor(d)
    z = fastnn.zeros(4, dtype=fastnn.float64)
    np.testing.assert_allclose(F.smooth_l1_loss(x, z, reduction="none", beta=0.5).numpy(),
                               np.where(np.abs(d) < 0.5, 0.5 * d * d / 0.5, np.abs(d) - 0.25))
    np.testing.assert_allclose(F.huber_loss(x, z, reduction="none", delta=0.5).numpy(),
                               np.where(np.abs(d) <= 0.5, 0.5 * d * d, 0.5 * (np.abs(d) - 0.25)))
    np.testing.assert_allclose(F.mse_loss(x, z, reduction="sum").item(), (d * d).sum())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_losses(reduction):
    x = t(3, 4)
    target = fastnn.tensor(np.random.default_rng(2).uniform(0, 1, (3, 4)))
    w = fastnn.tensor(np.random.default_rng(3).uniform(0.5, 2, (4,)))
    pw = fastnn.tensor(np.random.default_rng(4).uniform(0.5, 2, (4,)))
    assert gradcheck(lambda a: F.binary_cross_entropy(a.sigmoid(), target, weight=w, reduction=reduction), (x,))
    assert gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, target, weight=w, pos_weight=pw,
                                                                  reduction=reduction), (x,))
    sig = 1 / (1 + np.exp(-x.detach().numpy()))
    tt = target.numpy()
    ref = -(pw.numpy() * tt * np.log(sig) + (1 - tt) * np.log(1 - sig)) * w.numpy()
    got = F.binary_cross_entropy_with_logits(x, target, weight=w, pos_weight=pw, reduction="none")
    np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-10)


def test_bce_with_logits_extreme_logits_finite():
    x = fastnn.tensor([-1000.0, 1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, fastnn.tensor([1.0, 0.0]), reduction="sum")
    loss.backward()
    assert np.isfinite(loss.item()) and np.allclose(loss.item(), 2000.0)
    np.testing.assert_allclose(x.grad.numpy(), [-1.0, 1.0])


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_linear(shape):
    x, w, b = t(*shape), t(5, 4, seed=1), t(5, seed=2)
    assert gradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda a, ww: F.linear(a, ww), (x, w))


def test_linear_1d_input():
    assert gradcheck(F.linear, (t(4), t(3, 4, seed=1), t(3, seed=2)))


@pytest.mark.parametrize("shape,norm", [((3, 4), (4,)), ((2, 3, 4), (3, 4))])
def test_layer_norm(shape, norm):
    x, w, b = t(*shape), t(*norm, seed=1), t(*norm, seed=2)
    assert gradcheck(lambda a, ww, bb: F.layer_norm(a, norm, ww, bb), (x, w, b))
    assert gradcheck(lambda a: F.layer_norm(a, norm), (x,))
    a = x.detach().numpy()
    axes = tuple(range(len(shape) - len(norm), len(shape)))
    ref = (a - a.mean(axes, keepdims=True)) / np.sqrt(a.var(axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(F.layer_norm(x, norm).detach().numpy(), ref, rtol=1e-10)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2)])
def test_batch_norm_train_and_eval(shape):
    x, w, b = t(*shape), t(3, seed=1), t(3, seed=2)
    rm, rv = fastnn.zeros(3, dtype=fastnn.float64), fastnn.ones(3, dtype=fastnn.float64)
    assert gradcheck(lambda a, ww, bb: F.batch_norm(a, rm, rv, ww, bb, training=True), (x, w, b))
    rm2 = fastnn.tensor(np.array([0.1, -0.2, 0.3]))
    rv2 = fastnn.tensor(np.array([0.5, 1.5, 2.0]))
    assert gradcheck(lambda a, ww, bb: F.batch_norm(a, rm2, rv2, ww, bb, training=False), (x, w, b))


def test_batch_norm_running_stats_update():
    x = t(6, 3)
    rm, rv = fastnn.zeros(3, dtype=fastnn.float64), fastnn.ones(3, dtype=fastnn.float64)
    F.batch_norm(x, rm, rv, training=True, momentum=0.2)
    a = x.detach().numpy()
    np.testing.assert_allclose(rm.numpy(), 0.2 * a.mean(0))
    np.testing.assert_allclose(rv.numpy(), 0.8 + 0.2 * a.var(0, ddof=1))


def test_embedding_padding_idx():
    w = t(5, 3)
    idx = fastnn.tensor([[0, 2, 2], [4, 0, 1]])
    assert gradcheck(lambda ww: F.embedding(idx, ww), (w,))
    w.grad = None
    F.embedding(idx, w, padding_idx=2).sum().backward()
    g = w.grad.numpy()
    np.testing.assert_array_equal(g[2], 0)
    np.testing.assert_array_equal(g[0], 2)
    np.testing.assert_array_equal(g[3], 0)


def test_dropout_mask_consistency():
    fastnn.manual_seed(0)
    x = fastnn.ones(200, 10, dtype=fastnn.float64, requires_grad=True)
    y = F.dropout(x, 0.3, training=True)
    y.sum().backward()
    out = y.detach().numpy()
    assert set(np.unique(out)) <= {0.0, 1 / 0.7}
    # the gradient passes exactly where the forward kept the element, with the same scale
    np.testing.assert_allclose(x.grad.numpy(), out)
    assert 0.25 < (out == 0).mean() < 0.35
    assert F.dropout(x, 0.3, training=False) is x


def test_softmax_functional_dims():
    x = t(2, 3, 4)
    assert gradcheck(lambda a: F.softmax(a, dim=1) * F.log_softmax(a, dim=-1), (x,))


def test_bce_target_gradient_and_saturated_probabilities():
    p = fastnn.tensor(np.random.default_rng(0).uniform(0.1, 0.9, (3, 2)), requires_grad=True)
    q = fastnn.tensor(np.random.default_rng(1).uniform(0, 1, (3, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b), (p, q))
    # sigmoid saturates to exactly 0/1 in float32; PyTorch keeps the loss and gradient finite
    s = fastnn.tensor([0.0, 1.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(s, fastnn.tensor([1.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100, 100, 0])
    loss.sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), [-1e12, 1e12, 0], rtol=1e-6)
