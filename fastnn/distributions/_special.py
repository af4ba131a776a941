"""Differentiable functions the distributions need that fastnn's op catalogue lacks.

Special functions (lgamma, digamma, erf, erfinv) take SciPy's as the NumPy forward; linear
algebra (cholesky, triangular solve, inverse, diagonal) works on the last two dimensions with
NumPy's batched routines; standard_gamma draws Gamma(alpha, 1) samples whose gradient with
respect to alpha is the implicit reparameterisation gradient -(dF/dalpha) / pdf (F the CDF).
"""
import math

import numpy as np
from scipy import special

from ..autograd.function import Function
from ..autograd.random import generator
from ..autograd.tensor import Tensor


def _floating(x):
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def _unary(name, forward, derivative):
    """A Function computing forward(x) elementwise, with gradient g * derivative(x, out)."""

    def fwd(ctx, x):
        x = _floating(x)
        with np.errstate(all="ignore"):
            out = np.asarray(forward(x), dtype=x.dtype)
        ctx.save_for_backward(x, out)
        return out

    def bwd(ctx, g):
        x, out = ctx.saved_tensors
        with np.errstate(all="ignore"):
            return (g * derivative(x, out)).astype(x.dtype, copy=False)

    cls = type(name, (Function,), {"forward": staticmethod(fwd), "backward": staticmethod(bwd)})
    return lambda x: cls.apply(x)


lgamma = _unary("Lgamma", special.gammaln, lambda x, out: special.digamma(x))
digamma = _unary("Digamma", special.digamma, lambda x, out: special.polygamma(1, x))
erf = _unary("Erf", special.erf, lambda x, out: 2 / math.sqrt(math.pi) * np.exp(-x * x))
erfinv = _unary("Erfinv", special.erfinv, lambda x, out: math.sqrt(math.pi) / 2 * np.exp(out * out))
expm1 = _unary("Expm1", np.expm1, lambda x, out: out + 1)


def _tril(a):
    return np.tril(a)


def _mT(a):
    return np.swapaxes(a, -1, -2)


class _Cholesky(Function):
    @staticmethod
    def forward(ctx, a):
        try:
            L = np.linalg.cholesky(a)
        except np.linalg.LinAlgError as err:
            raise ValueError("cholesky: the matrix is not positive-definite") from err
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, g):
        # For A = L L^T: A_bar = sym(L^-T Phi(L^T L_bar) L^-1), Phi the lower triangle with a halved diagonal.
        (L,) = ctx.saved_tensors
        phi = _tril(_mT(L) @ g)
        phi -= 0.5 * np.eye(L.shape[-1]) * phi
        inv = np.linalg.inv(L)
        s = _mT(inv) @ phi @ inv
        return 0.5 * (s + _mT(s))


class _SolveTriangular(Function):
    """X = L^-1 B for lower-triangular L (only its lower triangle is read; batch dimensions broadcast)."""

    @staticmethod
    def forward(ctx, L, B):
        L = _tril(L)
        X = np.linalg.solve(L, B)
        ctx.save_for_backward(L, X)
        return X

    @staticmethod
    def backward(ctx, g):
        L, X = ctx.saved_tensors
        gB = np.linalg.solve(_mT(L), g)
        gL = -_tril(gB @ _mT(X)) if ctx.needs_input_grad[0] else None
        return _reduce(gL, ctx.parents[0]), _reduce(gB, ctx.parents[1])


class _Inverse(Function):
    @staticmethod
    def forward(ctx, a):
        inv = np.linalg.inv(a)
        ctx.save_for_backward(inv)
        return inv

    @staticmethod
    def backward(ctx, g):
        (inv,) = ctx.saved_tensors
        return -_mT(inv) @ g @ _mT(inv)


class _Diagonal(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        return np.diagonal(a, axis1=-2, axis2=-1).copy()

    @staticmethod
    def backward(ctx, g):
        out = np.zeros(ctx.shape, g.dtype)
        n = ctx.shape[-1]
        out[..., np.arange(n), np.arange(n)] = g
        return out


def _reduce(g, parent):
    """Sum a gradient broadcast over batch dimensions back to the parent's shape."""
    if g is None:
        return None
    shape = parent.shape if isinstance(parent, Tensor) else np.shape(parent)
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead))) if lead else g
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def cholesky(a):
    return _Cholesky.apply(a)


def solve_triangular(L, B):
    return _SolveTriangular.apply(L, B)


def inverse(a):
    return _Inverse.apply(a)


def diagonal(a):
    return _Diagonal.apply(a)


def standard_gamma_grad(alpha, x):
    """d x / d alpha for x ~ Gamma(alpha, 1) held at the same quantile: -(dF/dalpha)(x) / pdf(x)."""
    alpha = np.asarray(alpha, np.float64)
    x = np.asarray(x, np.float64)
    h = 1e-5 * np.maximum(alpha, 1.0)
    h = np.minimum(h, 0.5 * alpha)  # stay at positive alpha
    dF = (special.gammainc(alpha + h, x) - special.gammainc(alpha - h, x)) / (2 * h)
    log_pdf = (alpha - 1) * np.log(x) - x - special.gammaln(alpha)
    with np.errstate(all="ignore"):
        grad = -dF / np.exp(log_pdf)
    return np.where(np.isfinite(grad), grad, 0.0)


class _StandardGamma(Function):
    @staticmethod
    def forward(ctx, alpha):
        x = generator().standard_gamma(alpha.astype(np.float64))
        x = np.maximum(x, np.finfo(alpha.dtype).tiny).astype(alpha.dtype)  # PyTorch clamps away exact zeros
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        return (g * standard_gamma_grad(alpha, x)).astype(alpha.dtype)


def standard_gamma(alpha):
    """Samples of Gamma(alpha, 1), one per element of alpha, differentiable in alpha."""
    return _StandardGamma.apply(alpha)


def as_array(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class _Xlogy(Function):
    """x * log(y), taken as 0 where x == 0 (so 0 * log 0 = 0, as in scipy.special.xlogy)."""

    @staticmethod
    def forward(ctx, x, y):
        x, y = np.asarray(x), np.asarray(y)
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = special.xlogy(x, y)
        return out.astype(np.result_type(x.dtype, y.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            gx = g * np.log(y) if ctx.needs_input_grad[0] else None
            gy = g * np.where(x == 0, 0.0, x / y) if ctx.needs_input_grad[1] else None
        return _reduce(gx, ctx.parents[0]), _reduce(gy, ctx.parents[1])


def xlogy(x, y):
    return _Xlogy.apply(x, y)
