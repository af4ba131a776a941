"""Multinomial(total_count, probs | logits): counts of total_count draws from a Categorical."""
import numbers

import numpy as np

from ..autograd.random import generator
from ..autograd.tensor import _wrap
from . import constraints
from ._special import lgamma
from .discrete import Binomial, OverCategorical


class _CountsSupport:
    def __get__(self, instance, owner=None):
        if instance is None:
            return constraints.dependent
        return constraints.multinomial(instance.total_count)


class Multinomial(OverCategorical):
    """Counts over K categories of total_count independent draws (event_shape (K,))."""
    support = _CountsSupport()
    _kept_by_expand = ("total_count",)

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if isinstance(total_count, bool) or not isinstance(total_count, numbers.Integral) or total_count < 0:
            raise NotImplementedError("inhomogeneous total_count is not supported: total_count must be one "
                                      f"non-negative int, got {total_count!r}")
        self.total_count = int(total_count)
        super().__init__(probs, logits, validate_args)

    def __repr__(self):
        return f"Multinomial(total_count: {self.total_count}, probs: {tuple(self.probs.shape)})"

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = self.probs._data.astype(np.float64)
        p = p / p.sum(-1, keepdims=True)
        counts = generator().multinomial(self.total_count, np.broadcast_to(p, shape), size=shape[:-1])
        return _wrap(counts.astype(self.probs.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value if value.dtype.kind == "f" else value.to(self.logits.dtype)
        return lgamma(value.sum(-1) + 1) - lgamma(value + 1).sum(-1) + (self.logits * value).sum(-1)

    def entropy(self):
        n = self.total_count
        binomial = Binomial(n, probs=self.probs, validate_args=False)
        k = binomial.enumerate_support(expand=False)[1:]
        weights = (binomial.log_prob(k).exp() * lgamma(k + 1)).sum(-1).sum(0)
        return n * self._categorical.entropy() - float(np.log(np.arange(1, n + 1)).sum()) + weights
