"""fastnn.distributions against torch.distributions: log_prob, entropy, mean, variance, cdf, KL, and
the gradients of log_prob / entropy / KL with respect to the parameters (float64)."""
import numpy as np
import pytest

import fastnn
import fastnn.distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

RNG = np.random.default_rng(0)
POS = RNG.uniform(0.5, 3.0, (3, 4))
POS2 = RNG.uniform(0.5, 3.0, (3, 4))
REAL = RNG.standard_normal((3, 4))
PROBS = RNG.uniform(0.05, 0.95, (3, 4))
SIMPLEX = RNG.dirichlet(np.ones(5), 3)
A = RNG.standard_normal((3, 3, 3))
COV = A @ A.transpose(0, 2, 1) + 3 * np.eye(3)
TRIL = np.linalg.cholesky(COV)

# name -> (parameters, a value inside the support of every batch element)
CASES = {
    "Normal": (dict(loc=REAL, scale=POS), REAL + 0.3),
    "Laplace": (dict(loc=REAL, scale=POS), REAL - 0.7),
    "Uniform": (dict(low=REAL, high=REAL + POS), REAL + 0.4 * POS),
    "Exponential": (dict(rate=POS), POS2),
    "Gamma": (dict(concentration=POS, rate=POS2), POS2),
    "Beta": (dict(concentration1=POS, concentration0=POS2), PROBS),
    "Dirichlet": (dict(concentration=SIMPLEX * 4 + 0.5), RNG.dirichlet(np.ones(5), 3)),
    "LogNormal": (dict(loc=REAL, scale=POS), POS2),
    "Bernoulli": (dict(probs=PROBS), (PROBS > 0.5).astype(float)),
    "Poisson": (dict(rate=POS), np.floor(POS2 * 2)),
    "Binomial": (dict(total_count=np.full((3, 4), 7.0), probs=PROBS), np.floor(PROBS * 7)),
    "Categorical": (dict(probs=SIMPLEX), np.array([0, 4, 2])),
    "Categorical_logits": (dict(logits=REAL), np.array([1, 3, 0])),
    "OneHotCategorical": (dict(probs=SIMPLEX), np.eye(5)[[1, 0, 3]]),
    "Cauchy": (dict(loc=REAL, scale=POS), REAL * 3),
    "HalfNormal": (dict(scale=POS), POS2),
    "StudentT": (dict(df=POS * 2, loc=REAL, scale=POS2), REAL * 2),
    "Chi2": (dict(df=POS * 2), POS2),
    "Geometric": (dict(probs=PROBS), np.floor(POS2 * 2)),
    "Geometric_logits": (dict(logits=REAL), np.floor(POS2 * 2)),
    "Multinomial": (dict(total_count=6, probs=SIMPLEX), np.array([[1, 0, 2, 3, 0], [0, 0, 0, 6, 0], [2, 1, 1, 1, 1]])),
    "MultivariateNormal_cov": (dict(loc=REAL[:, :3], covariance_matrix=COV), REAL[:, 1:]),
    "MultivariateNormal_tril": (dict(loc=REAL[:, :3], scale_tril=TRIL), REAL[:, 1:]),
    "MultivariateNormal_prec": (dict(loc=REAL[:, :3], precision_matrix=COV), REAL[:, 1:]),
}
NO_ENTROPY = {"Poisson"}  # PyTorch has none either
NO_GRAD = {"total_count"}


def build(lib, name, params, requires_grad=False):
    mod = D if lib == "fastnn" else TD
    cls = getattr(mod, name.split("_")[0])
    to = (lambda a: fastnn.tensor(a.copy(), requires_grad=requires_grad and k not in NO_GRAD)) if lib == "fastnn" \
        else (lambda a: torch.tensor(a, requires_grad=requires_grad and k not in NO_GRAD))
    made = {}
    for k, v in params.items():
        made[k] = to(v) if isinstance(v, np.ndarray) else v
    return cls(**made), made


def as_np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_torch(name):
    params, value = CASES[name]
    ours, _ = build("fastnn", name, params)
    theirs, _ = build("torch", name, params)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    value_dtype = np.int64 if name.startswith("Categorical") else np.float64
    v = value.astype(value_dtype)
    np.testing.assert_allclose(as_np(ours.log_prob(fastnn.tensor(v))), as_np(theirs.log_prob(torch.tensor(v))),
                               rtol=1e-8, atol=1e-10)
    if name not in NO_ENTROPY:
        # torch's Multinomial entropy takes lgamma(total_count + 1) in float32 (an error near 1e-7)
        atol = 1e-6 if name == "Multinomial" else 1e-10
        np.testing.assert_allclose(as_np(ours.entropy()), as_np(theirs.entropy()), rtol=1e-8, atol=atol)
    for attr in ("mean", "mode", "variance", "stddev"):  # NaN and inf (Categorical's, Cauchy's) must match too
        try:
            want = as_np(getattr(theirs, attr))
        except NotImplementedError:  # Multinomial has no mode in PyTorch either
            with pytest.raises(NotImplementedError):
                getattr(ours, attr)
            continue
        np.testing.assert_allclose(as_np(getattr(ours, attr)), want, rtol=1e-8, err_msg=attr)


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_and_entropy_gradients_match_torch(name):
    params, value = CASES[name]
    ours, ours_p = build("fastnn", name, params, requires_grad=True)
    theirs, theirs_p = build("torch", name, params, requires_grad=True)
    v = value.astype(np.int64 if name.startswith("Categorical") else np.float64)
    weights = RNG.standard_normal(np.shape(as_np(theirs.log_prob(torch.tensor(v)))))
    loss_ours = (ours.log_prob(fastnn.tensor(v)) * fastnn.tensor(weights)).sum()
    loss_theirs = (theirs.log_prob(torch.tensor(v)) * torch.tensor(weights)).sum()
    if name not in NO_ENTROPY:
        loss_ours = loss_ours + ours.entropy().sum()
        loss_theirs = loss_theirs + theirs.entropy().sum()
    loss_ours.backward()
    loss_theirs.backward()
    for k, t in theirs_p.items():
        if k in NO_GRAD:
            continue
        np.testing.assert_allclose(ours_p[k].grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-9, err_msg=k)


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Exponential", "Uniform", "Cauchy", "HalfNormal"])
def test_cdf_and_icdf_match_torch(name):
    params, value = CASES[name]
    ours, _ = build("fastnn", name, params)
    theirs, _ = build("torch", name, params)
    np.testing.assert_allclose(as_np(ours.cdf(fastnn.tensor(value))), as_np(theirs.cdf(torch.tensor(value))),
                               rtol=1e-8, atol=1e-12)
    if name in ("Normal", "Exponential", "Uniform", "Laplace", "Cauchy", "HalfNormal"):
        q = np.full(value.shape, 0.3)
        np.testing.assert_allclose(as_np(ours.icdf(fastnn.tensor(q))), as_np(theirs.icdf(torch.tensor(q))), rtol=1e-8)


KL_PAIRS = [
    ("Normal", dict(loc=REAL, scale=POS), dict(loc=REAL * 0.5, scale=POS2)),
    ("Laplace", dict(loc=REAL, scale=POS), dict(loc=REAL * 0.5, scale=POS2)),
    ("Categorical", dict(probs=SIMPLEX), dict(logits=RNG.standard_normal((3, 5)))),
    ("OneHotCategorical", dict(probs=SIMPLEX), dict(probs=SIMPLEX[::-1].copy())),
    ("Bernoulli", dict(probs=PROBS), dict(logits=REAL)),
    ("Uniform", dict(low=REAL, high=REAL + POS), dict(low=REAL - 1, high=REAL + POS + 1)),
    ("Exponential", dict(rate=POS), dict(rate=POS2)),
    ("Gamma", dict(concentration=POS, rate=POS2), dict(concentration=POS2, rate=POS)),
    ("Beta", dict(concentration1=POS, concentration0=POS2), dict(concentration1=POS2, concentration0=POS)),
    ("Dirichlet", dict(concentration=SIMPLEX * 3 + 0.2), dict(concentration=SIMPLEX[::-1] * 2 + 0.5)),
    ("Poisson", dict(rate=POS), dict(rate=POS2)),
    ("MultivariateNormal", dict(loc=REAL[:, :3], scale_tril=TRIL),
     dict(loc=REAL[:, 1:], covariance_matrix=COV[::-1].copy())),
]


@pytest.mark.parametrize("name, p_params, q_params", KL_PAIRS, ids=[p[0] for p in KL_PAIRS])
def test_kl_divergence_and_its_gradient_match_torch(name, p_params, q_params):
    p, pp = build("fastnn", name, p_params, requires_grad=True)
    q, qp = build("fastnn", name, q_params, requires_grad=True)
    tp, tpp = build("torch", name, p_params, requires_grad=True)
    tq, tqp = build("torch", name, q_params, requires_grad=True)
    ours, theirs = D.kl_divergence(p, q), TD.kl_divergence(tp, tq)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-7, atol=1e-10)
    ours.sum().backward()
    theirs.sum().backward()
    for mine, ref in ((pp, tpp), (qp, tqp)):
        for k in ref:
            np.testing.assert_allclose(mine[k].grad.numpy(), ref[k].grad.numpy(), rtol=1e-6, atol=1e-9, err_msg=k)


def test_kl_of_independent_and_infinite_cases():
    p = D.Independent(D.Normal(fastnn.tensor(REAL), fastnn.tensor(POS)), 1)
    q = D.Independent(D.Normal(fastnn.tensor(REAL * 0), fastnn.tensor(POS2)), 1)
    tp = TD.Independent(TD.Normal(torch.tensor(REAL), torch.tensor(POS)), 1)
    tq = TD.Independent(TD.Normal(torch.tensor(REAL * 0), torch.tensor(POS2)), 1)
    np.testing.assert_allclose(D.kl_divergence(p, q).numpy(), TD.kl_divergence(tp, tq).numpy(), rtol=1e-8)
    # q gives zero probability to part of p's support: infinite, as in torch
    inf = D.kl_divergence(D.Uniform(0.0, 2.0), D.Uniform(0.5, 3.0))
    assert inf.item() == np.inf
    assert D.kl_divergence(D.Categorical(fastnn.tensor([0.5, 0.5])), D.Categorical(fastnn.tensor([1.0, 0.0]))).item() \
        == np.inf
    assert D.kl_divergence(D.Bernoulli(0.0), D.Bernoulli(0.3)).item() == pytest.approx(
        TD.kl_divergence(TD.Bernoulli(0.0), TD.Bernoulli(0.3)).item())
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0))
    ours = D.kl_divergence(D.LogNormal(fastnn.tensor(REAL), fastnn.tensor(POS)), D.LogNormal(0.5, fastnn.tensor(POS2)))
    theirs = TD.kl_divergence(TD.LogNormal(torch.tensor(REAL), torch.tensor(POS)),
                              TD.LogNormal(0.5, torch.tensor(POS2)))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-8)
    with pytest.raises(NotImplementedError, match="equal transforms"):
        D.kl_divergence(D.TransformedDistribution(D.Normal(0.0, 1.0), D.AffineTransform(0.0, 2.0)),
                        D.TransformedDistribution(D.Normal(0.0, 1.0), D.AffineTransform(0.0, 3.0)))


@pytest.mark.parametrize("transform", ["affine", "sigmoid", "tanh", "exp_affine"])
def test_transformed_distribution_matches_torch(transform):
    loc, scale = fastnn.tensor(REAL, requires_grad=True), fastnn.tensor(POS, requires_grad=True)
    tloc, tscale = torch.tensor(REAL, requires_grad=True), torch.tensor(POS, requires_grad=True)
    mine = {"affine": [D.AffineTransform(1.5, -2.0)], "sigmoid": [D.SigmoidTransform()],
            "tanh": [D.TanhTransform()], "exp_affine": [D.ExpTransform(), D.AffineTransform(0.5, 3.0)]}[transform]
    ref = {"affine": [TD.AffineTransform(1.5, -2.0)], "sigmoid": [TD.SigmoidTransform()],
           "tanh": [TD.TanhTransform()], "exp_affine": [TD.ExpTransform(), TD.AffineTransform(0.5, 3.0)]}[transform]
    ours = D.TransformedDistribution(D.Normal(loc, scale), mine)
    theirs = TD.TransformedDistribution(TD.Normal(tloc, tscale), ref)
    x = RNG.standard_normal((3, 4)) * 0.5
    y = theirs.transforms[-1](theirs.transforms[0](torch.tensor(x))) if len(ref) == 2 else ref[0](torch.tensor(x))
    ours_lp, theirs_lp = ours.log_prob(fastnn.tensor(y.numpy())), theirs.log_prob(y)
    np.testing.assert_allclose(ours_lp.detach().numpy(), theirs_lp.detach().numpy(), rtol=1e-7, atol=1e-9)
    ours_lp.sum().backward()
    theirs_lp.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), tloc.grad.numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(scale.grad.numpy(), tscale.grad.numpy(), rtol=1e-6, atol=1e-9)
    assert tuple(ours.sample((2,)).shape) == (2, 3, 4)


def test_independent_shapes_and_log_prob_match_torch():
    ours = D.Independent(D.Normal(fastnn.tensor(REAL), fastnn.tensor(POS)), 1)
    theirs = TD.Independent(TD.Normal(torch.tensor(REAL), torch.tensor(POS)), 1)
    assert ours.batch_shape == (3,) and ours.event_shape == (4,)
    np.testing.assert_allclose(ours.log_prob(fastnn.tensor(REAL + 1)).numpy(),
                               theirs.log_prob(torch.tensor(REAL + 1)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.entropy().numpy(), theirs.entropy().numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        D.Independent(D.Normal(fastnn.tensor(REAL), 1.0), 3)


def test_enumerate_support_matches_torch():
    for ours, theirs in ((D.Categorical(fastnn.tensor(SIMPLEX)), TD.Categorical(torch.tensor(SIMPLEX))),
                         (D.Bernoulli(fastnn.tensor(PROBS)), TD.Bernoulli(torch.tensor(PROBS))),
                         (D.Binomial(4, fastnn.tensor(PROBS)), TD.Binomial(4, torch.tensor(PROBS))),
                         (D.OneHotCategorical(fastnn.tensor(SIMPLEX)), TD.OneHotCategorical(torch.tensor(SIMPLEX)))):
        for expand in (True, False):
            np.testing.assert_array_equal(ours.enumerate_support(expand).numpy(),
                                          theirs.enumerate_support(expand).numpy())


def test_lognormal_cdf_icdf_and_mvn_broadcasting_match_torch():
    ours = D.LogNormal(fastnn.tensor(REAL), fastnn.tensor(POS))
    theirs = TD.LogNormal(torch.tensor(REAL), torch.tensor(POS))
    np.testing.assert_allclose(ours.cdf(fastnn.tensor(POS2)).numpy(), theirs.cdf(torch.tensor(POS2)).numpy(), rtol=1e-8)
    q = np.full((3, 4), 0.8)
    np.testing.assert_allclose(ours.icdf(fastnn.tensor(q)).numpy(), theirs.icdf(torch.tensor(q)).numpy(), rtol=1e-8)
    # one covariance for a batch of 5 values, and a batch of 3 means against it
    cov, tcov = fastnn.tensor(COV[0].copy(), requires_grad=True), torch.tensor(COV[0], requires_grad=True)
    loc, tloc = fastnn.tensor(REAL[:, :3].copy(), requires_grad=True), torch.tensor(REAL[:, :3], requires_grad=True)
    x = RNG.standard_normal((5, 1, 3))
    lp = D.MultivariateNormal(loc, covariance_matrix=cov).log_prob(fastnn.tensor(x))
    tlp = TD.MultivariateNormal(tloc, covariance_matrix=tcov).log_prob(torch.tensor(x))
    assert lp.shape == (5, 3)
    np.testing.assert_allclose(lp.detach().numpy(), tlp.detach().numpy(), rtol=1e-8)
    lp.sum().backward()
    tlp.sum().backward()
    np.testing.assert_allclose(cov.grad.numpy(), tcov.grad.numpy(), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(loc.grad.numpy(), tloc.grad.numpy(), rtol=1e-6, atol=1e-10)


def test_default_validate_args_switch():
    D.Distribution.set_default_validate_args(False)
    try:
        assert np.isnan(D.Normal(0.0, -1.0).log_prob(fastnn.tensor(0.0)).item())
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="True or False"):
        D.Distribution.set_default_validate_args("yes")


def test_utils_match_torch():
    from torch.distributions import utils as tu
    from fastnn.distributions import utils as fu
    for binary in (False, True):
        np.testing.assert_allclose(fu.probs_to_logits(fastnn.tensor(PROBS), binary).numpy(),
                                   tu.probs_to_logits(torch.tensor(PROBS), binary).numpy(), rtol=1e-10)
        np.testing.assert_allclose(fu.logits_to_probs(fastnn.tensor(REAL), binary).numpy(),
                                   tu.logits_to_probs(torch.tensor(REAL), binary).numpy(), rtol=1e-10)
    edge = np.array([0.0, 0.5, 1.0], np.float32)
    np.testing.assert_array_equal(fu.clamp_probs(fastnn.tensor(edge)).numpy(),
                                  tu.clamp_probs(torch.tensor(edge)).numpy())
    a, b = fu.broadcast_all(fastnn.zeros(3, 1), 2.0)
    assert a.shape == b.shape == (3, 1) and b.dtype == np.float32


@pytest.mark.parametrize("name", sorted(CASES))
def test_expand_matches_torch(name):
    params, value = CASES[name]
    ours, _ = build("fastnn", name, params)
    theirs, _ = build("torch", name, params)
    shape = (2,) + tuple(theirs.batch_shape)
    ours, theirs = ours.expand(shape), theirs.expand(shape)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) and tuple(ours.event_shape) == tuple(
        theirs.event_shape)
    v = value.astype(np.int64 if name.startswith("Categorical") else np.float64)
    np.testing.assert_allclose(as_np(ours.log_prob(fastnn.tensor(v))), as_np(theirs.log_prob(torch.tensor(v))),
                               rtol=1e-8, atol=1e-10)
    assert tuple(ours.sample((3,)).shape) == tuple(theirs.sample((3,)).shape)
