"""Differentiable arithmetic with broadcasting: + - * / ** @, maximum, minimum."""
import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap
from ._util import unbroadcast, float_result, arr


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        return float_result(np.add(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        return (unbroadcast(g, sa) if ctx.needs_input_grad[0] else None,
                unbroadcast(g, sb) if ctx.needs_input_grad[1] else None)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        return float_result(np.subtract(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        return (unbroadcast(g, sa) if ctx.needs_input_grad[0] else None,
                unbroadcast(-g, sb) if ctx.needs_input_grad[1] else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return float_result(np.multiply(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (unbroadcast(g * b, np.shape(a)) if ctx.needs_input_grad[0] else None,
                unbroadcast(g * a, np.shape(b)) if ctx.needs_input_grad[1] else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float_result(np.true_divide(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = unbroadcast(g / b, np.shape(a)) if ctx.needs_input_grad[0] else None
            gb = unbroadcast(-g * a / (b * b), np.shape(b)) if ctx.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = float_result(np.power(a, b), a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                ga = unbroadcast(g * b * np.power(a, b - 1), np.shape(a))
            if ctx.needs_input_grad[1]:
                logs = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0).astype(out.dtype, copy=False)
                gb = unbroadcast(g * out * logs, np.shape(b))
        return ga, gb


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

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
            ga = unbroadcast(np.matmul(g, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g), b2.shape).reshape(b.shape)
        return ga, gb


class Maximum(Function):
    """Elementwise max; ties split the gradient evenly, as PyTorch does."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return float_result(np.maximum(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = ((a > b) + 0.5 * (a == b)).astype(g.dtype, copy=False)  # bool arithmetic gives float64
        return (unbroadcast(g * wa, np.shape(a)) if ctx.needs_input_grad[0] else None,
                unbroadcast(g * (1 - wa), np.shape(b)) if ctx.needs_input_grad[1] else None)


def _check_operand(x):
    if isinstance(x, np.generic):
        return x.item()  # a NumPy scalar acts as a Python number (keeps float32 math and gradients float32)
    if isinstance(x, Tensor) or isinstance(x, (int, float, bool, np.ndarray, np.generic)):
        return x
    raise TypeError(f"unsupported operand type {type(x).__name__}")


def add(a, b, alpha=1):
    return Add.apply(a, _check_operand(b) if alpha == 1 else b * alpha)


def sub(a, b, alpha=1):
    return Sub.apply(a, _check_operand(b) if alpha == 1 else b * alpha)


def rsub(a, b):
    return Sub.apply(_check_operand(b), a)


def mul(a, b):
    return Mul.apply(a, _check_operand(b))


def div(a, b, rounding_mode=None):
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        return _wrap(np.trunc(np.true_divide(arr(a), arr(b))).astype(np.result_type(arr(a), arr(b))))
    return Div.apply(a, _check_operand(b))


def rdiv(a, b):
    return Div.apply(_check_operand(b), a)


def neg(a):
    return Neg.apply(a)


def pow(a, b):
    return Pow.apply(a, _check_operand(b))


def rpow(a, b):
    return Pow.apply(_check_operand(b), a)


def matmul(a, b):
    if not isinstance(b, Tensor):
        raise TypeError(f"matmul expects Tensors, got {type(b).__name__}")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: both arguments need at least 1 dimension")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        raise ValueError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied ({ka} != {kb})")
    if a.dtype != b.dtype:
        raise TypeError(f"matmul: expected both arguments to have the same dtype, got {a.dtype} and {b.dtype}")
    return MatMul.apply(a, b)


def mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm expects 2-D tensors, got {a.ndim}-D and {b.ndim}-D")
    return matmul(a, b)


def bmm(a, b):
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(f"bmm expects 3-D tensors, got {a.ndim}-D and {b.ndim}-D")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm: batch sizes differ ({a.shape[0]} and {b.shape[0]})")
    return matmul(a, b)


def maximum(a, b):
    return Maximum.apply(a, _check_operand(b))


def minimum(a, b):
    return neg(Maximum.apply(neg(a), neg(b) if isinstance(b, Tensor) else -np.asarray(b)))


def floor_divide(a, b):
    return _wrap(np.floor_divide(arr(a), arr(b)))


def remainder(a, b):
    return _wrap(np.remainder(arr(a), arr(b)))
