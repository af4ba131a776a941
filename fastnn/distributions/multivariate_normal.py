"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril), through a Cholesky factor."""
import math

import numpy as np

from ..autograd.ops.shape import expand as _expand
from . import constraints
from ._special import cholesky, diagonal, inverse, solve_triangular
from .continuous import CentredAtLoc, standard_normal
from .distribution import as_param, lazy_property


def batch_mahalanobis(L, x):
    """|| L^-1 x ||^2 over the last dimension, L broadcast against x's batch dimensions."""
    shape = np.broadcast_shapes(L.shape[:-2], x.shape[:-1])
    k = L.shape[-1]
    z = solve_triangular(_expand(L, shape + (k, k)), _expand(x, shape + (k,)).unsqueeze(-1))
    return (z.squeeze(-1) ** 2).sum(-1)


def half_log_det(L):
    """log det(L L^T) / 2 = sum of log diag(L)."""
    return diagonal(L).log().sum(-1)


class MultivariateNormal(CentredAtLoc):
    """The Gaussian over vectors with mean loc and covariance given by exactly one of
    covariance_matrix, precision_matrix or scale_tril (its lower Cholesky factor)."""
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        loc = as_param(loc, "loc")
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, matrix = given[0]
        matrix = as_param(matrix, name, loc.dtype)
        k = loc.shape[-1]
        if matrix.ndim < 2 or matrix.shape[-2:] != (k, k):
            raise ValueError(f"{name} must be a ({k}, {k}) matrix (loc has {k} dimensions), with optional leading "
                             f"batch dimensions; got shape {tuple(matrix.shape)}")
        batch_shape = np.broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
        self.__dict__[name] = _expand(matrix, batch_shape + (k, k))
        self.loc = _expand(loc, batch_shape + (k,))
        super().__init__(batch_shape, (k,), validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = cholesky(inverse(matrix))

    @lazy_property
    def scale_tril(self):
        return _expand(self._unbroadcasted_scale_tril, self._batch_shape + self._event_shape * 2)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return _expand(L @ L.mT, self._batch_shape + self._event_shape * 2)

    @lazy_property
    def precision_matrix(self):
        return inverse(self.covariance_matrix)

    @property
    def variance(self):
        return _expand((self._unbroadcasted_scale_tril ** 2).sum(-1), self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=()):
        eps = standard_normal(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k = self._event_shape[0]
        m = batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (k * math.log(2 * math.pi) + m) - half_log_det(self._unbroadcasted_scale_tril)

    def entropy(self):
        k = self._event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + half_log_det(self._unbroadcasted_scale_tril)
        return h if h.shape == self._batch_shape else _expand(h, self._batch_shape)
