"""Differentiable elementwise functions and activations."""
import numpy as np

from ..function import Function
from ..tensor import _wrap
from ._util import arr
from ._declare import unary, binary, declare, ArgumentError
from ..native.activation import (LeakyReLU, ELU, GELU, SiLU, Softplus, relu_forward, relu_backward, sigmoid_forward,
                                 sigmoid_backward, tanh_backward)

# Simple elementwise ops, declared once (ops/_declare.py generates torch.x, Tensor.x, Tensor.x_ and out=).
exp = unary("exp", np.exp, lambda g, x, y: g * y)
log = unary("log", np.log, lambda g, x, y: g / x)
log1p = unary("log1p", np.log1p, lambda g, x, y: g / (1 + x))
sqrt = unary("sqrt", np.sqrt, lambda g, x, y: g / (2 * y))
rsqrt = unary("rsqrt", lambda x: 1 / np.sqrt(x), lambda g, x, y: -0.5 * g * y * y * y)
abs = unary("abs", np.abs, lambda g, x, y: g * np.sign(x), kind="same", aliases=("absolute",), quiet=False)
sin = unary("sin", np.sin, lambda g, x, y: g * np.cos(x))
cos = unary("cos", np.cos, lambda g, x, y: -g * np.sin(x))
sign = unary("sign", np.sign, lambda g, x, y: np.zeros_like(g), kind="same")
floor = unary("floor", np.floor, lambda g, x, y: np.zeros_like(g), kind="same")
ceil = unary("ceil", np.ceil, lambda g, x, y: np.zeros_like(g), kind="same")
isnan = unary("isnan", np.isnan, kind="bool", out=False)
isinf = unary("isinf", np.isinf, kind="bool", out=False)
isfinite = unary("isfinite", np.isfinite, kind="bool", out=False)
tanh = unary("tanh", np.tanh, tanh_backward, quiet=False)
# ReLU's gradient selects rather than multiplies (PyTorch's threshold_backward): see native/activation.py
relu = unary("relu", relu_forward, relu_backward, kind="same", out=False, quiet=False)
sigmoid = unary("sigmoid", sigmoid_forward, sigmoid_backward, quiet=False)


def _floating(a):
    """Integer and bool tensors go through float32 math (PyTorch), not NumPy's float64."""
    return a if a.dtype.kind == "f" else a.to(np.float32)


def _require_float(a, name):
    if a.dtype.kind != "f":
        raise TypeError(f"{name} expects a floating point tensor, got {a.dtype}")


class Clamp(Function):
    """clamp passes the gradient at the bounds (PyTorch's clamp); strict=True stops it there (hardtanh, relu6)."""
    @staticmethod
    def forward(ctx, a, lo, hi, strict):
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi, strict)
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, g):
        a = ctx.saved_tensors[0]
        lo, hi, strict = ctx.bounds
        keep = np.ones(a.shape, dtype=bool)
        if lo is not None:
            keep &= (a > lo) if strict else (a >= lo)
        if hi is not None:
            keep &= (a < hi) if strict else (a <= hi)
        return g * keep, None, None, None


class Cast(Function):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return (g.astype(ctx.src) if ctx.src.kind == "f" else None), None


class Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return np.array(a, copy=True, order="C")

    @staticmethod
    def backward(ctx, g):
        return g





def leaky_relu(a, negative_slope=0.01):
    return LeakyReLU.apply(a, negative_slope)


def elu(a, alpha=1.0):
    return ELU.apply(a, alpha)


def gelu(a, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(a, approximate)


def silu(a):
    return SiLU.apply(a)


def softplus(a, beta=1.0, threshold=20.0):
    return Softplus.apply(a, beta, threshold)


def clamp(a, min=None, max=None):
    if min is None and max is None:
        raise ArgumentError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return Clamp.apply(a, arr(min), arr(max), False)


def hardtanh(a, min_val=-1.0, max_val=1.0):
    return Clamp.apply(a, min_val, max_val, True)


clip = clamp


def cast(a, dtype):
    if a.dtype == dtype:
        return a
    return Cast.apply(a, dtype)


def clone(a):
    return Clone.apply(a)


_round = unary("round", np.round, lambda g, x, y: np.zeros_like(g), kind="same", register=False)


@declare(inplace=True, out=True)
def round(input, *, decimals=0):
    if decimals == 0:
        return _round(input)
    return _wrap(np.round(input._data, decimals))


# comparisons and logic: bool results outside the graph, compared in the promoted dtype (PyTorch's rule)
eq = binary("eq", np.equal, kind="bool", quiet=False)
ne = binary("ne", np.not_equal, kind="bool", aliases=("not_equal",))
lt = binary("lt", np.less, kind="bool", aliases=("less",))
le = binary("le", np.less_equal, kind="bool", aliases=("less_equal",))
gt = binary("gt", np.greater, kind="bool", aliases=("greater",))
ge = binary("ge", np.greater_equal, kind="bool", aliases=("greater_equal",))
logical_and = binary("logical_and", np.logical_and, kind="bool", tensor_only=True)
logical_or = binary("logical_or", np.logical_or, kind="bool", tensor_only=True)
logical_xor = binary("logical_xor", np.logical_xor, kind="bool", tensor_only=True)


def logical_not(a):
    return _wrap(np.logical_not(a._data))


def equal(a, b):
    return a.shape == b.shape and bool(np.array_equal(a._data, b._data))


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    return bool(np.allclose(arr(a), arr(b), rtol=rtol, atol=atol, equal_nan=equal_nan))
