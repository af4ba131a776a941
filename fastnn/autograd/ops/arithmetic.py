"""Differentiable arithmetic with broadcasting and PyTorch's type promotion: + - * / ** @, maximum, minimum."""
import numpy as np

from ..function import Function
from ..tensor import Tensor
from ._util import unbroadcast
from ._declare import binary, declare, ShapeError, DtypeError, ArgumentError
from ..native.linear import matmul as _matmul   # 2-D float products on the kernels' split GEMM


def _ones(g, a, b, y):
    return g


def _pow_grad_b(g, a, b, y):
    logs = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)
    return g * y * logs


def _tie_share(g, a, b, y):
    """maximum/minimum: the selected input gets the gradient; ties split it evenly (PyTorch)."""
    return g * ((a == y) * (0.5 + 0.5 * (a != b)))


# add/sub/mul skip np.errstate: float overflow to inf is rare and NumPy's warning then is harmless
_add = binary("add", np.add, _ones, _ones, register=False, quiet=False)
_sub = binary("sub", np.subtract, _ones, lambda g, a, b, y: -g, register=False, quiet=False)
mul = binary("mul", np.multiply, lambda g, a, b, y: g * b, lambda g, a, b, y: g * a, aliases=("multiply",),
             quiet=False)
_div = binary("div", np.true_divide, lambda g, a, b, y: g / b, lambda g, a, b, y: -g * a / (b * b), kind="float",
              register=False)
pow = binary("pow", np.power, lambda g, a, b, y: g * b * np.power(a, b - 1), _pow_grad_b,
             argnames=("input", "exponent"))
maximum = binary("maximum", np.maximum, _tie_share, lambda g, a, b, y: _tie_share(g, b, a, y), inplace=False,
                 tensor_only=True)
minimum = binary("minimum", np.minimum, _tie_share, lambda g, a, b, y: _tie_share(g, b, a, y), inplace=False,
                 tensor_only=True)
floor_divide = binary("floor_divide", np.floor_divide, lambda g, a, b, y: np.zeros_like(g),
                      lambda g, a, b, y: np.zeros_like(g), int_div=True, bools=False)
remainder = binary("remainder", np.remainder, _ones, lambda g, a, b, y: -g * np.floor(a / b), int_div=True,
                   bools=False)


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, g):
        return -g


@declare(inplace=True, out=True, aliases=("negative",))
def neg(input):
    if not isinstance(input, Tensor):
        raise TypeError(f"neg(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


@declare(inplace=True, out=True)
def add(input, other, *, alpha=1):
    return _add(input, other if alpha == 1 else other * alpha)


@declare(inplace=True, out=True, aliases=("subtract",))
def sub(input, other, *, alpha=1):
    if (isinstance(input, Tensor) and input.dtype.kind == "b") or (isinstance(other, Tensor) and other.dtype.kind == "b"):
        raise ArgumentError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                            "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return _sub(input, other if alpha == 1 else other * alpha)


add.inplace_ufunc, sub.inplace_ufunc, mul.inplace_ufunc = np.add, np.subtract, np.multiply   # x.add_(y): in place


def rsub(a, b):
    return _sub(b, a)


@declare(inplace=True, out=True, aliases=("divide", "true_divide"))
def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _div(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        if isinstance(input, Tensor) and input.dtype.kind in "iub" and not np.all(other._data if isinstance(
                other, Tensor) else other):
            raise ArgumentError("ZeroDivisionError")
        q = _div(input, other)
        from .math import trunc
        r = trunc(q)
        if isinstance(input, Tensor) and input.dtype.kind in "iu" and (not isinstance(other, Tensor) or
                                                                        other.dtype.kind in "iu"):
            from ..dtypes import result_type
            return r.to(result_type(input, other))
        return r
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


div.inplace_ufunc = np.true_divide


def rdiv(a, b):
    return _div(b, a)


def rpow(a, b):
    return pow(b, a)


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if b.ndim == 1:  # first: for vector @ vector g is 0-d
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = unbroadcast(_matmul(g, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = unbroadcast(_matmul(np.swapaxes(a2, -1, -2), g), b2.shape).reshape(b.shape)
        return ga, gb


def matmul(a, b):
    if type(a).__name__ == "SparseCOOTensor":   # sparse @ dense runs on the sparse kernels
        return a @ b
    if type(b).__name__ == "SparseCOOTensor":   # dense @ sparse: a dense product, as in PyTorch
        b = b.to_dense()
    if not isinstance(b, Tensor):
        raise TypeError(f"matmul expects Tensors, got {type(b).__name__}")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"both arguments to matmul need at least 1 dimension, but they are {a.ndim}D and {b.ndim}D")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        raise ShapeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied ({ka} != {kb})")
    if a.dtype != b.dtype:
        raise DtypeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}")
    return MatMul.apply(a, b)


def mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm: expected 2-D tensors, got {a.ndim}-D and {b.ndim}-D")
    return matmul(a, b)


def bmm(a, b):
    if a.ndim != 3 or b.ndim != 3:
        raise ShapeError(f"bmm: batch1 and batch2 must be 3D tensors, got {a.ndim}-D and {b.ndim}-D")
    if a.shape[0] != b.shape[0]:
        raise ShapeError(f"bmm: batch sizes differ ({a.shape[0]} and {b.shape[0]})")
    return matmul(a, b)


