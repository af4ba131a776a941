"""Gamma, Beta and Dirichlet, reparameterised through Gamma(alpha, 1) draws (implicit gradients)."""
import numpy as np

from ..autograd.ops.shape import expand as _expand, stack
from ..autograd.tensor import _wrap
from . import constraints
from ._special import digamma, lgamma, standard_gamma
from .distribution import Distribution, as_param, broadcast_all


class Gamma(Distribution):
    """Gamma(concentration, rate): density rate^a x^(a-1) exp(-rate x) / Gamma(a)."""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(("concentration", concentration), ("rate", rate))
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return standard_gamma(_expand(self.concentration, shape)) / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return a * b.log() + (a - 1) * value.log() - b * value - lgamma(a)

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + lgamma(a) + (1.0 - a) * digamma(a)


def _log_beta(a, b):
    return lgamma(a) + lgamma(b) - lgamma(a + b)


def _dirichlet_mode(concentration):
    """(c - 1)+ normalised; where every c < 1 the density peaks at a vertex: PyTorch's choice, the
    one-hot of the first largest entry (argmax of the 0/0 row, which is its first entry)."""
    c = concentration.detach()._data
    cm1 = np.clip(c - 1, 0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        mode = cm1 / cm1.sum(-1, keepdims=True)
    low = np.all(c < 1, axis=-1)
    if low.any():
        mode[low] = np.eye(c.shape[-1], dtype=c.dtype)[np.argmax(mode[low], -1)]
    return _wrap(mode)


class Dirichlet(Distribution):
    """Dirichlet(concentration) over the probability simplex of the last dimension."""
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        concentration = as_param(concentration, "concentration")
        if concentration.ndim < 1:
            raise ValueError("concentration parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        return _dirichlet_mode(self.concentration)

    @property
    def variance(self):
        c0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (c0 - self.concentration) / (c0.pow(2) * (c0 + 1))

    def rsample(self, sample_shape=()):
        g = standard_gamma(_expand(self.concentration, self._extended_shape(sample_shape)))
        return g / g.sum(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return ((c - 1) * value.log()).sum(-1) + lgamma(c.sum(-1)) - lgamma(c).sum(-1)

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        c0 = c.sum(-1)
        return (lgamma(c).sum(-1) - lgamma(c0) - (k - c0) * digamma(c0)
                - ((c - 1.0) * digamma(c)).sum(-1))


class Beta(Distribution):
    """Beta(concentration1, concentration0): density x^(a-1) (1-x)^(b-1) / B(a, b) on [0, 1]."""
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(("concentration1", concentration1),
                                                                 ("concentration0", concentration0))
        super().__init__(self.concentration1.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return _dirichlet_mode(stack([self.concentration1, self.concentration0], -1))[..., 0]

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return a * b / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        # x = Ga / (Ga + Gb): the first coordinate of a two-component Dirichlet draw
        both = standard_gamma(stack([_expand(self.concentration1, shape), _expand(self.concentration0, shape)], -1))
        return both[..., 0] / both.sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return (a - 1) * value.log() + (b - 1) * (-value).log1p() - _log_beta(a, b)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return (_log_beta(a, b) - (a - 1) * digamma(a) - (b - 1) * digamma(b)
                + (total - 2) * digamma(total))
