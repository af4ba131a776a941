"""Bijective transforms for TransformedDistribution: Exp, Affine, Sigmoid, Tanh, and their compositions.

A transform maps x to y = t(x); `t.inv` is the inverse transform; `log_abs_det_jacobian(x, y)`
is log |dy/dx| elementwise (summed over the transform's own event dimensions).
"""
import math
import numbers

import numpy as np

from ..autograd.ops.elementwise import softplus
from ..autograd.ops.shape import expand as _expand
from ..autograd.tensor import Tensor
from . import constraints


def _sum_rightmost(x, n):
    return x.reshape(tuple(x.shape[:x.ndim - n]) + (-1,)).sum(-1) if n > 0 else x


class Transform:
    bijective = True
    domain = constraints.real
    codomain = constraints.real
    sign = 1

    def __call__(self, x):
        return self._call(x)

    @property
    def inv(self):
        return _InverseTransform(self)

    @property
    def event_dim(self):
        return self.domain.event_dim

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __repr__(self):
        return type(self).__name__ + "()"


class _InverseTransform(Transform):
    def __init__(self, transform):
        self._inv = transform
        self.domain, self.codomain = transform.codomain, transform.domain

    @property
    def inv(self):
        return self._inv

    @property
    def sign(self):
        return self._inv.sign

    def _call(self, x):
        return self._inv._inverse(x)

    def _inverse(self, y):
        return self._inv._call(y)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    def __hash__(self):
        return hash(("inv", self._inv))

    def __repr__(self):
        return f"_InverseTransform({self._inv!r})"


class ComposeTransform(Transform):
    """Apply parts in order: ComposeTransform([f, g])(x) = g(f(x))."""

    def __init__(self, parts):
        if not all(isinstance(p, Transform) for p in parts):
            raise TypeError("ComposeTransform: every part must be a Transform")
        self.parts = list(parts)
        if self.parts:
            self.domain, self.codomain = self.parts[0].domain, self.parts[-1].codomain

    @property
    def sign(self):
        s = 1
        for p in self.parts:
            s = s * p.sign
        return s

    @property
    def inv(self):
        return ComposeTransform([p.inv for p in reversed(self.parts)])

    def _call(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def _inverse(self, y):
        return self.inv(y)

    def log_abs_det_jacobian(self, x, y):
        total = 0
        for p in self.parts:
            y_p = p(x)
            total = total + p.log_abs_det_jacobian(x, y_p)
            x = y_p
        return total

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    def __hash__(self):
        return hash(tuple(self.parts))


class ExpTransform(Transform):
    """y = exp(x)."""
    codomain = constraints.positive

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class AffineTransform(Transform):
    """y = loc + scale * x; event_dim > 0 sums the log-Jacobian over that many rightmost dimensions."""

    def __init__(self, loc, scale, event_dim=0):
        for name, v in (("loc", loc), ("scale", scale)):
            if not isinstance(v, (Tensor, numbers.Number)) or isinstance(v, bool):
                raise TypeError(f"AffineTransform: {name} must be a Tensor or a number, got {type(v).__name__}")
        if isinstance(event_dim, bool) or not isinstance(event_dim, int) or event_dim < 0:
            raise ValueError(f"AffineTransform: event_dim must be a non-negative int, got {event_dim!r}")
        self.loc, self.scale, self._event_dim = loc, scale, event_dim
        self.domain = self.codomain = constraints.independent(constraints.real, event_dim) if event_dim \
            else constraints.real

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def sign(self):
        if isinstance(self.scale, numbers.Number):
            return 1 if self.scale > 0 else -1 if self.scale < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        shape = x.shape
        if isinstance(self.scale, numbers.Number):
            result = x * 0 + math.log(abs(self.scale))
        else:
            result = self.scale.abs().log()
            full = np.broadcast_shapes(result.shape, shape)
            result = result if result.shape == full else _expand(result, full)
        return _sum_rightmost(result, self._event_dim)

    def __eq__(self, other):
        def same(a, b):
            a = a._data if isinstance(a, Tensor) else np.asarray(a)
            b = b._data if isinstance(b, Tensor) else np.asarray(b)
            return a.shape == b.shape and bool(np.all(a == b)) if a.ndim or b.ndim else bool(a == b)
        return (isinstance(other, AffineTransform) and self._event_dim == other._event_dim
                and same(self.loc, other.loc) and same(self.scale, other.scale))

    __hash__ = Transform.__hash__


def _clipped_probs(y):
    eps = float(np.finfo(y.dtype).eps)
    return y.clamp(eps, 1 - eps)


class SigmoidTransform(Transform):
    """y = 1 / (1 + exp(-x))."""
    codomain = constraints.unit_interval

    def _call(self, x):
        return x.sigmoid()

    def _inverse(self, y):
        y = _clipped_probs(y)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x) - softplus(x)


class TanhTransform(Transform):
    """y = tanh(x)."""
    codomain = constraints.interval(-1.0, 1.0)

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return 0.5 * (y.log1p() - (-y).log1p())  # atanh

    def log_abs_det_jacobian(self, x, y):
        # log(1 - tanh(x)^2) computed stably
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))
