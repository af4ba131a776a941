"""fastnn.distributions: torch.distributions' API on fastnn tensors.

Samples come from fastnn's default generator (seed it with fastnn.manual_seed); rsample and
log_prob are built from differentiable fastnn operations, so gradients flow to the parameters.
"""
from . import constraints, transforms, utils
from .distribution import Distribution
from .continuous import Normal, Laplace, Uniform, Exponential
from .gamma import Gamma, Beta, Dirichlet
from .discrete import Categorical, OneHotCategorical, Bernoulli, Poisson, Binomial
from .multivariate_normal import MultivariateNormal
from .heavy_tailed import Cauchy, HalfNormal, StudentT, Chi2, Geometric
from .multinomial import Multinomial
from .transformed import Independent, TransformedDistribution, LogNormal
from .transforms import (Transform, ComposeTransform, ExpTransform, AffineTransform, SigmoidTransform,
                         TanhTransform)
from .kl import kl_divergence, register_kl

__all__ = ["Distribution", "Normal", "Laplace", "Uniform", "Exponential", "Gamma", "Beta", "Dirichlet",
           "Categorical", "OneHotCategorical", "Bernoulli", "Poisson", "Binomial", "MultivariateNormal",
           "Cauchy", "HalfNormal", "StudentT", "Chi2", "Geometric", "Multinomial",
           "Independent", "TransformedDistribution", "LogNormal", "Transform", "ComposeTransform", "ExpTransform",
           "AffineTransform", "SigmoidTransform", "TanhTransform", "kl_divergence", "register_kl", "constraints",
           "transforms", "utils"]
