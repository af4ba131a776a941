"""Sampling (shapes, seeding, moments on large samples), reparameterised gradients, argument validation,
and finite-difference gradchecks of the special functions the distributions are built on."""
import numpy as np
import pytest
from scipy import special

import fastnn
import fastnn.distributions as D
from fastnn.autograd.gradcheck import gradcheck
from fastnn.distributions import _special

torch = pytest.importorskip("torch")
TD = torch.distributions

N = 200_000


def t64(a, grad=False):
    return fastnn.tensor(np.asarray(a, np.float64), requires_grad=grad)


MOMENT_CASES = [
    (D.Normal, TD.Normal, dict(loc=[0.5, -2.0], scale=[1.5, 0.3])),
    (D.Laplace, TD.Laplace, dict(loc=[0.5, -2.0], scale=[1.5, 0.3])),
    (D.Uniform, TD.Uniform, dict(low=[0.5, -2.0], high=[1.5, 3.0])),
    (D.Exponential, TD.Exponential, dict(rate=[0.5, 4.0])),
    (D.Gamma, TD.Gamma, dict(concentration=[0.3, 4.0], rate=[2.0, 0.5])),
    (D.Beta, TD.Beta, dict(concentration1=[0.4, 3.0], concentration0=[2.0, 0.7])),
    (D.Dirichlet, TD.Dirichlet, dict(concentration=[[0.5, 1.0, 3.0]])),
    (D.LogNormal, TD.LogNormal, dict(loc=[0.0, -1.0], scale=[0.5, 0.25])),
    (D.Bernoulli, TD.Bernoulli, dict(probs=[0.1, 0.7])),
    (D.Poisson, TD.Poisson, dict(rate=[0.5, 12.0])),
    (D.Binomial, TD.Binomial, dict(total_count=[5.0, 30.0], probs=[0.1, 0.7])),
    (D.OneHotCategorical, TD.OneHotCategorical, dict(probs=[[0.1, 0.2, 0.7]])),
    (D.MultivariateNormal, TD.MultivariateNormal, dict(loc=[1.0, -1.0], scale_tril=[[1.0, 0.0], [0.8, 0.5]])),
    (D.HalfNormal, TD.HalfNormal, dict(scale=[0.5, 2.0])),
    (D.StudentT, TD.StudentT, dict(df=[10.0, 30.0], loc=[1.0, -1.0], scale=[0.5, 2.0])),
    (D.Chi2, TD.Chi2, dict(df=[0.7, 6.0])),
    (D.Geometric, TD.Geometric, dict(probs=[0.2, 0.9])),
    (D.Multinomial, TD.Multinomial, dict(total_count=9, probs=[[0.1, 0.3, 0.6], [0.5, 0.25, 0.25]])),
]


@pytest.mark.parametrize("ours, theirs, params", MOMENT_CASES, ids=[c[0].__name__ for c in MOMENT_CASES])
def test_sample_moments_match_torch_moments(ours, theirs, params):
    fastnn.manual_seed(0)
    d = ours(**{k: t64(v) if isinstance(v, list) else v for k, v in params.items()})
    ref = theirs(**{k: torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v for k, v in params.items()})
    x = d.sample((N,)).numpy()
    assert x.shape == (N,) + tuple(ref.batch_shape) + tuple(ref.event_shape)
    assert np.all(ref.support.check(torch.tensor(x)).numpy())
    mean, var = ref.mean.numpy(), ref.variance.numpy()
    # 6 standard errors of the sample mean and a 5% band on the variance (fixed seed)
    np.testing.assert_allclose(x.mean(0), mean, atol=6 * np.sqrt(var.max() / N) + 1e-12)
    np.testing.assert_allclose(x.var(0), var, rtol=0.05, atol=1e-6)
    if d.has_rsample:
        fastnn.manual_seed(0)
        np.testing.assert_array_equal(d.rsample((N,)).detach().numpy(), x)  # sample is rsample without the graph


def test_cauchy_sample_quartiles():
    fastnn.manual_seed(0)
    x = D.Cauchy(t64([1.0]), t64([2.0])).sample((N,)).numpy()[:, 0]
    np.testing.assert_allclose(np.quantile(x, [0.25, 0.5, 0.75]), [-1.0, 1.0, 3.0], atol=0.05)


def test_categorical_sample_frequencies_and_seeding():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    d = D.Categorical(fastnn.tensor(probs))
    fastnn.manual_seed(3)
    s = d.sample((N,))
    assert s.dtype == np.int64 and s.shape == (N, 2)
    freq = np.stack([(s.numpy() == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, probs, atol=0.005)
    assert not (s.numpy()[:, 1] == 2).any()  # a zero-probability category never comes up
    fastnn.manual_seed(3)
    np.testing.assert_array_equal(d.sample((N,)).numpy(), s.numpy())
    assert d.sample().shape == (2,)


def test_rsample_gradients_of_location_scale_families():
    loc, scale = t64([0.5, -1.0], True), t64([2.0, 0.5], True)
    fastnn.manual_seed(1)
    x = D.Normal(loc, scale).rsample((1000,))
    x.sum().backward()
    eps = (x.detach().numpy() - loc.detach().numpy()) / scale.detach().numpy()
    np.testing.assert_allclose(loc.grad.numpy(), [1000, 1000])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0), rtol=1e-10)

    L = t64([[1.0, 0.0], [0.5, 2.0]], True)
    mu = t64([0.0, 1.0], True)
    x = D.MultivariateNormal(mu, scale_tril=L).rsample((500,))
    z = np.linalg.solve(L.detach().numpy(), (x.detach().numpy() - mu.detach().numpy()).T).T
    (x * t64([1.0, 3.0])).sum().backward()
    np.testing.assert_allclose(mu.grad.numpy(), [500, 1500])
    # d/dL_ij of sum_n w . (L z_n) = w_i sum_n z_nj
    np.testing.assert_allclose(L.grad.numpy(), np.outer([1.0, 3.0], z.sum(0)), rtol=1e-8)


@pytest.mark.parametrize("alpha", [0.05, 0.7, 3.0, 40.0])
def test_standard_gamma_gradient_matches_torch(alpha):
    fastnn.manual_seed(0)
    a = np.full(2000, alpha)
    x = _special.standard_gamma(t64(a)).numpy()
    x = np.maximum(x, 1e-30)
    ours = _special.standard_gamma_grad(a, x)
    theirs = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy()
    keep = x > 1e-12  # where torch's own series is accurate
    np.testing.assert_allclose(ours[keep], theirs[keep], rtol=2e-3, atol=1e-8)


def test_pathwise_gradients_of_gamma_beta_dirichlet_means():
    # d/d(param) E[x] estimated from rsample equals the derivative of the closed-form mean
    fastnn.manual_seed(5)
    a, b = t64(2.5, True), t64(1.5, True)
    D.Gamma(a, b).rsample((N,)).mean().backward()
    assert a.grad.item() == pytest.approx(1 / 1.5, rel=0.02)
    assert b.grad.item() == pytest.approx(-2.5 / 1.5 ** 2, rel=0.02)
    a, b = t64(2.0, True), t64(3.0, True)
    D.Beta(a, b).rsample((N,)).mean().backward()
    assert a.grad.item() == pytest.approx(3.0 / 25, rel=0.03)  # d/da a/(a+b) = b/(a+b)^2
    assert b.grad.item() == pytest.approx(-2.0 / 25, rel=0.03)
    c = t64([1.0, 2.0, 3.0], True)
    D.Dirichlet(c).rsample((N,))[:, 0].mean().backward()
    np.testing.assert_allclose(c.grad.numpy(), [5 / 36, -1 / 36, -1 / 36], atol=0.004)


def test_reinforce_style_policy_gradient_matches_torch():
    """What PyTorch's reinforce example does: Categorical(probs).sample(), then -log_prob(action) * reward."""
    w = np.random.default_rng(0).standard_normal((4, 3))
    obs = np.random.default_rng(1).standard_normal((5, 4))
    ws, wt = t64(w, True), torch.tensor(w, requires_grad=True)
    m = D.Categorical(fastnn.softmax(t64(obs) @ ws, dim=1))
    action = m.sample()
    assert action.shape == (5,) and action.dtype == np.int64
    (-m.log_prob(action) * 2.0).sum().backward()
    mt = TD.Categorical(torch.softmax(torch.tensor(obs) @ wt, dim=1))
    (-mt.log_prob(torch.tensor(action.numpy())) * 2.0).sum().backward()
    np.testing.assert_allclose(ws.grad.numpy(), wt.grad.numpy(), rtol=1e-8)


def test_shapes_expand_and_float32():
    d = D.Normal(fastnn.zeros(3), 1.0)
    assert d.loc.dtype == np.float32 and d.sample().dtype == np.float32
    assert d.batch_shape == (3,) and d.sample((2, 5)).shape == (2, 5, 3)
    e = d.expand((4, 3))
    assert e.batch_shape == (4, 3) and e.log_prob(fastnn.zeros(4, 3)).shape == (4, 3)
    c = D.Categorical(logits=fastnn.zeros(2, 5)).expand((6, 2))
    assert c.batch_shape == (6, 2) and c.sample().shape == (6, 2)
    mvn = D.MultivariateNormal(fastnn.zeros(2), covariance_matrix=fastnn.eye(2)).expand((3,))
    assert mvn.batch_shape == (3,) and mvn.event_shape == (2,) and mvn.sample((4,)).shape == (4, 3, 2)
    assert D.Independent(D.Normal(fastnn.zeros(2, 3), 1.0), 1).expand((5, 2)).batch_shape == (5, 2)
    with pytest.raises(TypeError, match="sample_shape"):
        d.sample(5)


@pytest.mark.parametrize("make, match", [
    (lambda: D.Normal(0.0, -1.0), "Expected parameter scale"),
    (lambda: D.Normal(fastnn.tensor([0.0, float("nan")]), 1.0), "Expected parameter loc"),
    (lambda: D.Bernoulli(1.5), "Expected parameter probs"),
    (lambda: D.Categorical(fastnn.tensor([0.5, -0.1, 0.6])), "Expected parameter probs"),
    (lambda: D.Categorical(probs=fastnn.tensor([0.5, 0.5]), logits=fastnn.zeros(2)), "Either `probs` or `logits`"),
    (lambda: D.Categorical(), "Either `probs` or `logits`"),
    (lambda: D.Uniform(1.0, 0.5), "Expected parameter low"),
    (lambda: D.Gamma(0.0, 1.0), "Expected parameter concentration"),
    (lambda: D.Dirichlet(fastnn.tensor([1.0, 0.0])), "Expected parameter concentration"),
    (lambda: D.Binomial(2.5, probs=0.3), "Expected parameter total_count"),
    (lambda: D.MultivariateNormal(fastnn.zeros(2), covariance_matrix=fastnn.tensor([[1.0, 2.0], [2.0, 1.0]])),
     "Expected parameter covariance_matrix"),
    (lambda: D.MultivariateNormal(fastnn.zeros(2), scale_tril=fastnn.eye(2), covariance_matrix=fastnn.eye(2)),
     "Exactly one of"),
    (lambda: D.MultivariateNormal(fastnn.zeros(3), scale_tril=fastnn.eye(2)), "must be a \\(3, 3\\) matrix"),
])
def test_bad_parameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_values_raise_and_validation_can_be_turned_off():
    with pytest.raises(ValueError, match="within the support"):
        D.Gamma(1.0, 1.0).log_prob(fastnn.tensor(-1.0))
    with pytest.raises(ValueError, match="within the support"):
        D.Categorical(fastnn.ones(3)).log_prob(fastnn.tensor(3))
    with pytest.raises(ValueError, match="within the support"):
        D.Bernoulli(0.3).log_prob(fastnn.tensor(0.5))
    with pytest.raises(ValueError, match="must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(0.5)
    with pytest.raises(ValueError, match="not broadcastable"):
        D.Normal(fastnn.zeros(3), 1.0).log_prob(fastnn.zeros(4))
    with pytest.raises(ValueError, match="event_shape"):
        D.MultivariateNormal(fastnn.zeros(2), scale_tril=fastnn.eye(2)).log_prob(fastnn.zeros(3))
    with pytest.raises(TypeError, match="scale"):
        D.Normal(0.0, "1")
    unchecked = D.Normal(0.0, -1.0, validate_args=False)  # accepted, as in PyTorch
    assert np.isnan(unchecked.log_prob(fastnn.tensor(0.0)).item())
    assert D.Uniform(0.0, 1.0, validate_args=False).log_prob(fastnn.tensor(2.0)).item() == -np.inf
    with pytest.raises(NotImplementedError, match="has_rsample"):
        D.Categorical(fastnn.ones(2)).rsample()


def _check(fn, *arrays):
    inputs = [t64(a, True) for a in arrays]
    assert gradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_special_functions_gradcheck_and_values():
    x = np.array([0.3, 1.7, 4.2, 11.0])
    np.testing.assert_allclose(_special.lgamma(t64(x)).numpy(), special.gammaln(x))
    np.testing.assert_allclose(_special.digamma(t64(x)).numpy(), special.digamma(x))
    _check(_special.lgamma, x)
    _check(_special.digamma, x)
    _check(_special.erf, x - 2)
    _check(_special.erfinv, np.array([-0.9, -0.2, 0.4, 0.8]))
    _check(_special.expm1, x - 2)
    _check(lambda a, b: _special.xlogy(a, b), x, x[::-1].copy())
    assert _special.xlogy(t64([0.0]), t64([0.0])).item() == 0.0


def test_linear_algebra_functions_gradcheck():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3, 3))
    eye = fastnn.tensor(np.eye(3))
    _check(lambda m: _special.cholesky(m @ m.mT + eye * 3), a)  # through a symmetric input, as PyTorch tests it
    tril = np.tril(a) + 3 * np.eye(3)
    b = rng.standard_normal((2, 3, 2))
    _check(lambda L, B: _special.solve_triangular(L, B), tril, b)
    _check(lambda L, B: _special.solve_triangular(L, B), tril[:1].copy(), b)  # L broadcast over the batch
    _check(_special.inverse, tril)
    _check(_special.diagonal, a)
    with pytest.raises(ValueError, match="positive-definite"):
        _special.cholesky(t64([[1.0, 2.0], [2.0, 1.0]]))
