"""kl_divergence(p, q) = E_p[log p(x) - log q(x)] in closed form, and register_kl for new pairs.

The pair is looked up by the two types, the most specific registered match first (so subclasses
inherit their parents' formulas); an unregistered pair raises NotImplementedError.
"""
import numpy as np

from ..autograd.ops.elementwise import softplus
from ..autograd.ops.indexing import where
from ..autograd.ops.shape import expand as _expand
from ..autograd.tensor import _wrap
from ._special import digamma, lgamma, solve_triangular
from .continuous import Exponential, Laplace, Normal, Uniform
from .discrete import Bernoulli, Categorical, OneHotCategorical, Poisson
from .distribution import Distribution
from .gamma import Beta, Dirichlet, Gamma
from .multivariate_normal import MultivariateNormal, batch_mahalanobis, half_log_det
from .transformed import Independent, TransformedDistribution
from .transforms import _sum_rightmost

_KL = {}


def register_kl(type_p, type_q):
    """Decorator: fn(p, q) computes KL(p || q) for p of type_p and q of type_q."""
    for t in (type_p, type_q):
        if not (isinstance(t, type) and issubclass(t, Distribution)):
            raise TypeError(f"register_kl expects Distribution subclasses, got {t!r}")

    def decorator(fn):
        _KL[type_p, type_q] = fn
        return fn
    return decorator


def _lookup(type_p, type_q):
    matches = [(tp, tq) for tp, tq in _KL if issubclass(type_p, tp) and issubclass(type_q, tq)]
    if not matches:
        return None
    # the most specific: the smallest distance up both inheritance chains
    best = min(matches, key=lambda m: (type_p.__mro__.index(m[0]) + type_q.__mro__.index(m[1])))
    return _KL[best]


def kl_divergence(p, q):
    """KL(p || q), with the broadcast batch shape of p and q."""
    fn = _lookup(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
                                  f"{type(q).__name__}")
    return fn(p, q)


def _mask(condition):
    return _wrap(np.ascontiguousarray(condition))


def _fill(x, condition, value):
    """x with value where condition (a NumPy bool array) holds; no gradient flows there."""
    condition = np.broadcast_to(condition, x.shape)
    if not condition.any():
        return x
    return where(_mask(condition), _wrap(np.full(x.shape, value, x.dtype)), x)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    diff = (p.loc - q.loc).abs()
    return -scale_ratio.log() + diff / q.scale + scale_ratio * (-diff / p.scale).exp() - 1


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = _fill(t, (q.probs._data == 0), np.inf)
    t = _fill(t, (p.probs._data == 0), 0.0)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = _fill(t1, q.probs._data == 0, np.inf)
    t1 = _fill(t1, p.probs._data == 0, 0.0)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = _fill(t2, q.probs._data == 1, np.inf)
    t2 = _fill(t2, p.probs._data == 1, 0.0)
    return t1 + t2


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low._data > p.low._data) | (q.high._data < p.high._data)
    return _fill(result, outside, np.inf)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = lgamma(q.concentration) - lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    a1, b1, a2, b2 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    sum_p, sum_q = a1 + b1, a2 + b2
    t1 = lgamma(a2) + lgamma(b2) + lgamma(sum_p)
    t2 = lgamma(a1) + lgamma(b1) + lgamma(sum_q)
    return t1 - t2 + (a1 - a2) * digamma(a1) + (b1 - b2) * digamma(b1) + (sum_q - sum_p) * digamma(sum_p)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    cp, cq = p.concentration, q.concentration
    sum_p, sum_q = cp.sum(-1), cq.sum(-1)
    t1 = lgamma(sum_p) - lgamma(sum_q)
    t2 = (lgamma(cp) - lgamma(cq)).sum(-1)
    return t1 - t2 + ((cp - cq) * (digamma(cp) - digamma(sum_p).unsqueeze(-1))).sum(-1)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes cannot "
                         "be computed")
    k = p.event_shape[0]
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    shape = np.broadcast_shapes(Lp.shape[:-2], Lq.shape[:-2], p.batch_shape, q.batch_shape)
    Lp_b, Lq_b = _expand(Lp, shape + (k, k)), _expand(Lq, shape + (k, k))
    trace = (solve_triangular(Lq_b, Lp_b) ** 2).sum((-2, -1))  # tr(Sq^-1 Sp) = ||Lq^-1 Lp||_F^2
    mahalanobis = batch_mahalanobis(Lq, q.loc - p.loc)
    return half_log_det(Lq) - half_log_det(Lp) + 0.5 * (trace + mahalanobis - k)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independents with different reinterpreted_batch_ndims")
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)



@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    # KL is invariant under one bijection applied to both: only equal transforms reduce to the bases
    if p.transforms != q.transforms:
        raise NotImplementedError("KL between TransformedDistributions needs equal transforms")
    if p.event_shape != q.event_shape:
        raise NotImplementedError("KL between TransformedDistributions needs equal event shapes")
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist),
                          len(p.event_shape) - len(p.base_dist.event_shape))
