"""Constraints: where a parameter or a sample may lie (torch.distributions.constraints' names).

`check(value)` returns a NumPy bool array over the batch (event dimensions already reduced).
"""
import numpy as np

from ._special import as_array


class Constraint:
    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def __repr__(self):
        return type(self).__name__.lstrip("_") + "()"


class _Real(Constraint):
    def check(self, value):
        v = as_array(value)
        return v == v  # not NaN


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        v = as_array(value)
        return (v == 0) | (v == 1)


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return as_array(value) > as_array(self.lower_bound)

    def __repr__(self):
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def check(self, value):
        return as_array(value) >= as_array(self.lower_bound)

    def __repr__(self):
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        v = as_array(value)
        return (as_array(self.lower_bound) <= v) & (v <= as_array(self.upper_bound))

    def __repr__(self):
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _HalfOpenInterval(_Interval):
    def check(self, value):
        v = as_array(value)
        return (as_array(self.lower_bound) <= v) & (v < as_array(self.upper_bound))

    def __repr__(self):
        return f"HalfOpenInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(_Interval):
    is_discrete = True

    def check(self, value):
        v = as_array(value)
        return (v % 1 == 0) & super().check(v)

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _NonnegativeInteger(Constraint):
    is_discrete = True

    def check(self, value):
        v = as_array(value)
        return (v % 1 == 0) & (v >= 0)


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        v = as_array(value)
        return np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        v = as_array(value)
        return np.all((v == 0) | (v == 1), axis=-1) & (v.sum(-1) == 1)


class _RealVector(Constraint):
    event_dim = 1

    def check(self, value):
        v = as_array(value)
        return np.all(v == v, axis=-1)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        v = as_array(value)
        lower = np.all(np.triu(v, 1) == 0, axis=(-2, -1))
        return lower & np.all(np.diagonal(v, axis1=-2, axis2=-1) > 0, axis=-1)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value):
        v = as_array(value)
        symmetric = np.all(np.abs(v - np.swapaxes(v, -1, -2)) <= 1e-6 * (1 + np.abs(v)), axis=(-2, -1))
        with np.errstate(invalid="ignore"):
            eig = np.linalg.eigvalsh(v)
        return symmetric & np.all(eig > 0, axis=-1)


class _IndependentConstraint(Constraint):
    """base applied elementwise, with the rightmost reinterpreted_batch_ndims dimensions part of the event."""

    def __init__(self, base, reinterpreted_batch_ndims):
        self.base, self.reinterpreted_batch_ndims = base, reinterpreted_batch_ndims
        self.event_dim = base.event_dim + reinterpreted_batch_ndims
        self.is_discrete = base.is_discrete

    def check(self, value):
        ok = self.base.check(value)
        n = self.reinterpreted_batch_ndims
        return np.all(ok, axis=tuple(range(-n, 0))) if n else ok

    def __repr__(self):
        return f"IndependentConstraint({self.base!r}, {self.reinterpreted_batch_ndims})"


class _Dependent(Constraint):
    """A support that depends on the parameters (Uniform's, Binomial's, Categorical's): built per instance."""

    def check(self, value):
        raise ValueError("cannot check a dependent constraint")


def is_dependent(constraint):
    return isinstance(constraint, _Dependent)


real = _Real()
boolean = _Boolean()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
one_hot = _OneHot()
real_vector = _RealVector()
nonnegative_integer = _NonnegativeInteger()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
dependent = _Dependent()
independent = _IndependentConstraint
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
interval = _Interval
half_open_interval = _HalfOpenInterval
integer_interval = _IntegerInterval


class _Multinomial(Constraint):
    """Non-negative integer counts along the last dimension summing to at most upper_bound."""
    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        v = as_array(value)
        return np.all((v >= 0) & (v % 1 == 0), axis=-1) & (v.sum(-1) <= self.upper_bound)

    def __repr__(self):
        return f"Multinomial(upper_bound={self.upper_bound})"


multinomial = _Multinomial
