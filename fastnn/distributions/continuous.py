"""Normal, Laplace, Uniform and Exponential: location/scale families with reparameterised samplers."""
import math

import numpy as np

from ..autograd.random import generator
from ..autograd.tensor import _wrap
from . import constraints
from ._special import as_array, erf, erfinv, expm1
from .distribution import Distribution, broadcast_all

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def standard_normal(shape, dtype):
    return _wrap(generator().standard_normal(shape).astype(dtype, copy=False))


def uniform01(shape, dtype):
    """Uniform on [0, 1) in dtype (drawn in dtype, so a float32 draw never rounds up to 1)."""
    return _wrap(generator().random(shape, dtype=np.float32 if dtype == np.float32 else np.float64))


class CentredAtLoc(Distribution):
    """A distribution whose mean and mode are its parameter `loc` (subclasses override what differs)."""

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc


class LocScale(CentredAtLoc):
    """A location/scale family on the reals: loc and scale (> 0) broadcast together into the batch shape."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(("loc", loc), ("scale", scale))
        super().__init__(self.loc.shape, validate_args=validate_args)


class Normal(LocScale):
    """Normal(loc, scale): the Gaussian with mean loc and standard deviation scale."""
    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def rsample(self, sample_shape=()):
        eps = standard_normal(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.scale ** 2) - self.scale.log() - _HALF_LOG_2PI

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def icdf(self, value):
        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + _HALF_LOG_2PI + self.scale.log()


class Laplace(LocScale):
    """Laplace(loc, scale): density exp(-|x - loc| / scale) / (2 scale)."""
    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=()):
        # u uniform on (-1, 1): x = loc - scale sign(u) log(1 - |u|)
        tiny = np.finfo(self.loc.dtype).eps
        u = uniform01(self._extended_shape(sample_shape), self.loc.dtype) * (2 - tiny) - (1 - tiny)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * expm1(-d.abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()


class _UniformSupport:
    def __get__(self, instance, owner=None):
        if instance is None:
            return constraints.dependent
        return constraints.half_open_interval(instance.low, instance.high)


class Uniform(Distribution):
    """Uniform(low, high) on the half-open interval [low, high)."""
    arg_constraints = {"low": constraints.dependent, "high": constraints.dependent}
    support = _UniformSupport()
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(("low", low), ("high", high))
        super().__init__(self.low.shape, validate_args=validate_args)
        if self._validate_args and not np.all(self.low._data < self.high._data):
            raise ValueError(f"Expected parameter low (Tensor of shape {tuple(self.low.shape)}) of distribution "
                             f"{self!r} to satisfy the constraint LessThan(upper_bound=high), but found invalid "
                             f"values:\n{self.low}")

    def __repr__(self):
        return f"Uniform(low: {tuple(self.low.shape)}, high: {tuple(self.high.shape)})"

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return _wrap(np.full(self._batch_shape, np.nan, self.low.dtype))  # every point is a mode: PyTorch's NaN

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    @property
    def stddev(self):
        return (self.high - self.low) / math.sqrt(12)

    def rsample(self, sample_shape=()):
        u = uniform01(self._extended_shape(sample_shape), self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        v = as_array(value)
        inside = (self.low._data <= v) & (v < self.high._data)
        with np.errstate(divide="ignore"):
            outside = _wrap(np.log(inside.astype(self.low.dtype)))  # 0 inside, -inf outside
        return outside - (self.high - self.low).log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value):
        return self.low + value * (self.high - self.low)

    def entropy(self):
        return (self.high - self.low).log()


class Exponential(Distribution):
    """Exponential(rate): density rate exp(-rate x) on x >= 0."""
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(("rate", rate))
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate.pow(-1)

    @property
    def mode(self):
        return self.rate * 0

    @property
    def stddev(self):
        return self.rate.pow(-1)

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        u = uniform01(self._extended_shape(sample_shape), self.rate.dtype)
        return -(-u).log1p() / self.rate  # -log(1 - u) is Exponential(1), never infinite for u < 1

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()
