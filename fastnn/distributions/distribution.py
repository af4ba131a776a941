"""Distribution: the base class of fastnn.distributions (torch.distributions.Distribution's API).

Shapes: a sample has shape sample_shape + batch_shape + event_shape; log_prob reduces the event
dimensions. With validate_args (on by default, as in PyTorch) the parameters are checked against
`arg_constraints` at construction and log_prob's value against `support`, raising ValueError.
"""
import numbers

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.ops.shape import expand as _expand
from ..autograd.tensor import Tensor, _wrap
from . import constraints

_DEFAULT_DTYPE = np.float32


class lazy_property:
    """Computed on first access and then cached on the instance (a non-data descriptor)."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.fn(instance)
        instance.__dict__[self.fn.__name__] = value
        return value


def as_param(value, name, dtype=None):
    """A Tensor parameter: Tensors pass through, numbers become tensors of dtype (default float32)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return _wrap(np.asarray(value, dtype or _DEFAULT_DTYPE))
    raise TypeError(f"{name} must be a fastnn.Tensor or a number, got {type(value).__name__}")


def broadcast_all(*named):
    """(name, value) pairs -> Tensors broadcast to one shape (numbers take the tensors' float dtype)."""
    floats = [v.dtype for _, v in named if isinstance(v, Tensor) and v.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else _DEFAULT_DTYPE
    tensors = [as_param(v, n, dtype) for n, v in named]
    tensors = [t if t.dtype.kind == "f" else t.to(dtype) for t in tensors]
    shape = np.broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t if t.shape == shape else _expand(t, shape) for t in tensors)


def _shape_tuple(shape, name):
    if isinstance(shape, Tensor) or not isinstance(shape, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of ints (a fastnn shape), got {type(shape).__name__}")
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise ValueError(f"{name} must hold non-negative ints, got {shape!r}")
    return tuple(int(s) for s in shape)


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    arg_constraints = {}
    support = None
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError(f"validate_args must be True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = _shape_tuple(batch_shape, "batch_shape")
        self._event_shape = _shape_tuple(event_shape, "event_shape")
        if validate_args is not None:
            self._validate_args = bool(validate_args)
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if constraints.is_dependent(constraint) or name not in self.__dict__:
                    continue  # a lazily derived parameter (probs from logits) was not given
                value = self.__dict__[name]
                if not np.all(constraint.check(value)):
                    raise ValueError(f"Expected parameter {name} (Tensor of shape {tuple(value.shape)}) of "
                                     f"distribution {self!r} to satisfy the constraint {constraint!r}, but found "
                                     f"invalid values:\n{value}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def expand(self, batch_shape, _instance=None):
        """The same distribution with its parameters expanded to batch_shape (no copies of data)."""
        batch_shape = _shape_tuple(batch_shape, "batch_shape")
        new = type(self).__new__(type(self))
        new.__dict__ = dict(self.__dict__)
        for name, constraint in self.arg_constraints.items():
            value = self.__dict__.get(name)
            if isinstance(value, Tensor):
                tail = value.shape[value.ndim - constraint.event_dim:] if constraint.event_dim else ()
                new.__dict__[name] = _expand(value, batch_shape + tuple(tail))
        for name in self._expand_extra():
            value = self.__dict__[name]
            new.__dict__[name] = _expand(value, batch_shape + tuple(value.shape[len(self._batch_shape):]))
        new._batch_shape = batch_shape
        return new

    def _expand_extra(self):
        """Names of further per-batch tensors (beyond arg_constraints) that expand() must expand."""
        return ()

    def _extended_shape(self, sample_shape=()):
        return _shape_tuple(sample_shape, "sample_shape") + self._batch_shape + self._event_shape

    def sample(self, sample_shape=()):
        """A sample (no gradient) of shape sample_shape + batch_shape + event_shape."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampler (has_rsample is False)")

    def sample_n(self, n):
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def _validate_sample(self, value):
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_start = value.ndim - len(self._event_shape)
        if tuple(value.shape[event_start:]) != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: {tuple(value.shape)} vs "
                             f"{self._event_shape}.")
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(value.shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {tuple(value.shape)} vs "
                                 f"{expected}.")
        if not np.all(self.support.check(value)):
            raise ValueError(f"Expected value argument (Tensor of shape {tuple(value.shape)}) to be within the "
                             f"support ({self.support!r}) of the distribution {self!r}, but found invalid values:\n"
                             f"{value}")

    def __repr__(self):
        shown = []
        for name in self.arg_constraints:
            value = self.__dict__.get(name)
            if isinstance(value, Tensor):
                shown.append(f"{name}: {value.item() if value.numel() == 1 else tuple(value.shape)}")
        return f"{type(self).__name__}({', '.join(shown)})"
