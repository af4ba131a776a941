"""Categorical, OneHotCategorical, Bernoulli, Poisson and Binomial.

Categorical and Bernoulli take either probs or logits (not both); the other is derived on first
use. Samples come from fastnn's default generator (fastnn.manual_seed) and carry no gradient;
log_prob and entropy are differentiable in the parameters.
"""
import numpy as np

from ..autograd.ops.elementwise import softplus
from ..autograd.ops.indexing import gather
from ..autograd.ops.shape import expand as _expand
from ..autograd.ops.softmax import softmax
from ..autograd.random import generator
from ..autograd.tensor import _wrap
from . import constraints
from ._special import lgamma, xlogy
from .distribution import Distribution, as_param, broadcast_all, lazy_property


def _one_of(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def _clamp_probs(probs):
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(eps, 1 - eps)


def _nan(shape, dtype):
    return _wrap(np.full(shape, np.nan, dtype))


class _IndexSupport:
    """integer_interval(0, number of categories - 1), per instance."""

    def __get__(self, instance, owner=None):
        if instance is None:
            return constraints.dependent
        return constraints.integer_interval(0, instance._num_events - 1)


class Categorical(Distribution):
    """One of K categories, with probabilities probs (normalised along the last dimension) or logits."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True
    support = _IndexSupport()

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            probs = as_param(probs, "probs")
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            param = self.probs
        else:
            logits = as_param(logits, "logits")
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            param = self.logits
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)

    @lazy_property
    def logits(self):
        return _clamp_probs(self.probs).log()

    @lazy_property
    def probs(self):
        return softmax(self.logits, -1)

    @property
    def param_shape(self):
        return self._batch_shape + (self._num_events,)

    @property
    def mean(self):
        return _nan(self._extended_shape(), self._dtype())

    @property
    def variance(self):
        return _nan(self._extended_shape(), self._dtype())

    @property
    def mode(self):
        return self.probs.argmax(-1)

    def _dtype(self):
        return self.__dict__["probs" if "probs" in self.__dict__ else "logits"].dtype

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        cdf = np.cumsum(self.probs._data.astype(np.float64), -1)
        u = generator().random(shape) * cdf[..., -1]  # the last entry is 1 up to rounding
        index = (u[..., None] >= cdf).sum(-1)
        return _wrap(np.minimum(index, self._num_events - 1).astype(np.int64))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        index = value._data.astype(np.int64)[..., None]
        shape = np.broadcast_shapes(index.shape, self._batch_shape + (1,))
        logits = _expand(self.logits, shape[:-1] + (self._num_events,))
        return gather(logits, -1, _wrap(np.ascontiguousarray(np.broadcast_to(index, shape)))).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=float(np.finfo(self.logits.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = np.arange(self._num_events).reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = np.broadcast_to(values, (self._num_events,) + self._batch_shape)
        return _wrap(np.ascontiguousarray(values))


class OverCategorical(Distribution):
    """A distribution over K-vectors (event_shape (K,)) built on a Categorical over K categories: its
    probs, logits and expand. `_kept_by_expand` names the subclass's own fields that expand copies."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    _kept_by_expand = ()

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self))
        for name in self._kept_by_expand:
            setattr(new, name, getattr(self, name))
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, new._categorical.batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits


class OneHotCategorical(OverCategorical):
    """A Categorical whose samples are one-hot vectors of length K (event_shape (K,))."""
    support = constraints.one_hot
    has_enumerate_support = True

    def __repr__(self):
        return f"OneHotCategorical(probs: {tuple(self.probs.shape)})"

    @property
    def mean(self):
        return self._categorical.probs

    @property
    def mode(self):
        probs = self._categorical.probs
        return _wrap(np.eye(self._event_shape[0], dtype=probs.dtype)[probs._data.argmax(-1)])

    @property
    def variance(self):
        return self._categorical.probs * (1 - self._categorical.probs)

    def sample(self, sample_shape=()):
        index = self._categorical.sample(sample_shape)._data
        return _wrap(np.eye(self._event_shape[0], dtype=self._categorical.probs.dtype)[index])

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(_wrap(value._data.argmax(-1)))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self._event_shape[0]
        values = np.eye(n, dtype=self._categorical.probs.dtype).reshape((n,) + (1,) * len(self._batch_shape) + (n,))
        if expand:
            values = np.broadcast_to(values, (n,) + self._batch_shape + (n,))
        return _wrap(np.ascontiguousarray(values))


class OneTrial(Distribution):
    """Parameterised by one trial's success probability `probs` or its log-odds `logits` (exactly one
    given); each gives the other on first use."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(("probs", probs))
            shape = self.probs.shape
        else:
            (self.logits,) = broadcast_all(("logits", logits))
            shape = self.logits.shape
        super().__init__(shape, validate_args=validate_args)

    @lazy_property
    def logits(self):
        p = _clamp_probs(self.probs)
        return p.log() - (-p).log1p()

    @lazy_property
    def probs(self):
        return self.logits.sigmoid()


class Bernoulli(OneTrial):
    """1 with probability probs (or sigmoid(logits)), else 0."""
    support = constraints.boolean
    has_enumerate_support = True

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return (self.probs >= 0.5).to(self.probs.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        p = self.probs._data
        draws = generator().random(self._extended_shape(sample_shape)) < p
        return _wrap(draws.astype(p.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return value * self.logits - softplus(self.logits)

    def entropy(self):
        return softplus(self.logits) - self.probs * self.logits

    def enumerate_support(self, expand=True):
        values = np.arange(2, dtype=self.probs.dtype).reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = np.broadcast_to(values, (2,) + self._batch_shape)
        return _wrap(np.ascontiguousarray(values))


class Poisson(Distribution):
    """Counts with mean rate: P(k) = rate^k exp(-rate) / k!."""
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(("rate", rate))
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        rate = np.broadcast_to(self.rate._data, self._extended_shape(sample_shape))
        return _wrap(generator().poisson(rate).astype(self.rate.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value if value.dtype.kind == "f" else value.to(self.rate.dtype)
        return xlogy(value, self.rate) - self.rate - lgamma(value + 1)


class _CountSupport:
    def __get__(self, instance, owner=None):
        if instance is None:
            return constraints.dependent
        return constraints.integer_interval(0, instance.total_count)


class Binomial(Distribution):
    """Successes in total_count independent trials of probability probs (or sigmoid(logits))."""
    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    support = _CountSupport()
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(("total_count", total_count), ("probs", probs))
            shape = self.probs.shape
        else:
            self.total_count, self.logits = broadcast_all(("total_count", total_count), ("logits", logits))
            shape = self.logits.shape
        super().__init__(shape, validate_args=validate_args)

    logits = Bernoulli.logits
    probs = Bernoulli.probs

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        n = np.broadcast_to(self.total_count._data, shape).astype(np.int64)
        return _wrap(generator().binomial(n, np.broadcast_to(self.probs._data, shape)).astype(self.probs.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._log_prob(value if value.dtype.kind == "f" else value.to(self.logits.dtype))

    def _log_prob(self, k):
        n, logits = self.total_count, self.logits
        log_choose = lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
        return log_choose + k * logits - n * softplus(logits)  # k log p + (n - k) log(1 - p)

    def entropy(self):
        total = self.total_count._data
        if total.size and not np.all(total == total.flat[0]):
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        k = self.enumerate_support(expand=False)
        log_prob = self._log_prob(k)
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total = self.total_count._data
        if total.size and not np.all(total == total.flat[0]):
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        n = int(total.flat[0]) if total.size else 0
        values = np.arange(n + 1, dtype=self.probs.dtype).reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = np.broadcast_to(values, (n + 1,) + self._batch_shape)
        return _wrap(np.ascontiguousarray(values))
