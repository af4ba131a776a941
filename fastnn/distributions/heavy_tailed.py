"""Cauchy, HalfNormal, StudentT, Chi2 and Geometric."""
import math

import numpy as np

from ..autograd.ops.elementwise import softplus
from ..autograd.ops.indexing import where
from ..autograd.ops.shape import expand as _expand
from ..autograd.random import generator
from ..autograd.tensor import _wrap
from . import constraints
from ._special import _unary, as_array, digamma, lgamma, standard_gamma
from .continuous import LocScale, Normal, standard_normal
from .discrete import OneTrial
from .distribution import Distribution, broadcast_all
from .gamma import Gamma

atan = _unary("Atan", np.arctan, lambda x, out: 1 / (1 + x * x))
tan = _unary("Tan", np.tan, lambda x, out: 1 + out * out)


def _full(shape, value, dtype):
    return _wrap(np.full(shape, value, dtype))


class Cauchy(LocScale):
    """Cauchy(loc, scale): density 1 / (pi scale (1 + ((x - loc) / scale)^2)); no mean or variance."""
    @property
    def mean(self):
        return _full(self._extended_shape(), np.nan, self.loc.dtype)

    @property
    def variance(self):
        return _full(self._extended_shape(), np.inf, self.loc.dtype)

    def rsample(self, sample_shape=()):
        u = generator().random(self._extended_shape(sample_shape))
        eps = _wrap(np.tan(np.pi * (u - 0.5)).astype(self.loc.dtype))
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()


class HalfNormal(Distribution):
    """|X| for X ~ Normal(0, scale)."""
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        (self.scale,) = broadcast_all(("scale", scale))
        super().__init__(self.scale.shape, validate_args=validate_args)

    def _normal(self):
        return Normal(self.scale * 0, self.scale, validate_args=False)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self):
        return self.scale * 0

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def rsample(self, sample_shape=()):
        return self._normal().rsample(sample_shape).abs()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lp = self._normal().log_prob(value) + math.log(2)
        with np.errstate(divide="ignore"):
            return lp + _wrap(np.log((as_array(value) >= 0).astype(lp.dtype)))  # -inf below 0

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self._normal().cdf(value) - 1

    def icdf(self, value):
        return self._normal().icdf((value + 1) / 2)

    def entropy(self):
        return self._normal().entropy() - math.log(2)


class Chi2(Gamma):
    """Chi-squared with df degrees of freedom: Gamma(df / 2, 1 / 2)."""
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(("df", df))
        self.__dict__["df"] = df
        super().__init__(df * 0.5, df * 0 + 0.5, validate_args=validate_args)

    def _expand_extra(self):
        return ("concentration", "rate")


class StudentT(Distribution):
    """Student's t with df degrees of freedom, shifted by loc and scaled by scale."""
    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(("df", df), ("loc", loc), ("scale", scale))
        super().__init__(self.df.shape, validate_args=validate_args)

    @property
    def mean(self):
        m = self.loc * 1.0
        return m if np.all(self.df._data > 1) else _mask(m, self.df._data <= 1, np.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df._data
        v = self.scale.pow(2) * self.df / (self.df - 2)
        v = _mask(v, (df <= 2) & (df > 1), np.inf)
        return _mask(v, df <= 1, np.nan)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x = standard_normal(shape, self.df.dtype)
        chi2 = 2 * standard_gamma(_expand(self.df * 0.5, shape))
        return self.loc + self.scale * x * (chi2 / self.df).rsqrt()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + lgamma(0.5 * self.df) - lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * (y ** 2 / self.df).log1p() - z

    def entropy(self):
        lbeta = lgamma(0.5 * self.df) + math.lgamma(0.5) - lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1) * (digamma(0.5 * (self.df + 1)) - digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)


def _mask(x, condition, value):
    condition = np.broadcast_to(condition, x.shape)
    if not condition.any():
        return x
    return where(_wrap(np.ascontiguousarray(condition)), _full(x.shape, value, x.dtype), x)


class Geometric(OneTrial):
    """Failures before the first success in trials of probability probs (or sigmoid(logits))."""
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        super().__init__(probs, logits, validate_args)
        if self._validate_args and "probs" in self.__dict__ and np.any(self.probs._data == 0):
            raise ValueError(f"Expected parameter probs (Tensor of shape {tuple(self.probs.shape)}) of "
                             f"distribution {self!r} to be greater than 0, but found 0")

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return self.probs * 0

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        tiny = np.finfo(np.float64).tiny
        u = np.maximum(generator().random(shape), tiny)
        p = np.broadcast_to(self.probs._data.astype(np.float64), shape)
        with np.errstate(divide="ignore"):
            k = np.floor(np.log(u) / np.log1p(-p))
        return _wrap(np.where(p >= 1, 0.0, k).astype(self.probs.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        # k log(1 - p) + log p, in logits: -k softplus(l) - softplus(-l)
        return -value * softplus(self.logits) - softplus(-self.logits)

    def entropy(self):
        # binary cross-entropy of p with itself, divided by p
        return (softplus(self.logits) - self.probs * self.logits) / self.probs
