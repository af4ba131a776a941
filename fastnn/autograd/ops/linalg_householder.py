"""Householder reflectors and symmetric-indefinite factors: geqrf, linalg.householder_product (torch.orgqr),
ormqr, and linalg.ldl_factor(_ex) / ldl_solve.

householder_product and ormqr are compositions of differentiable ops (one rank-1 update per reflector), so
they differentiate in input, tau and other. geqrf, ldl_factor and ldl_solve are LAPACK values whose
derivatives PyTorch does not implement either: their backward raises, as PyTorch's does."""
import warnings
from collections import namedtuple

import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap
from ._declare import declare
from .linalg_common import LinAlgError, _matrix, _square, per_matrix


def _lapack(name, a):
    from scipy.linalg import lapack
    return lapack.get_lapack_funcs((name,), (a,))[0]


class _NotDifferentiable(Function):
    """Values from LAPACK with a backward that refuses (PyTorch has no derivative for these either)."""
    @staticmethod
    def forward(ctx, compute, name, *arrays):
        ctx.name = name
        out = compute(*arrays)
        ctx.mark_non_differentiable(*[o for o in out if o.dtype.kind != "f"])
        return out

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(f"the derivative for '{ctx.name}' is not implemented.")


# ---------------------------------------------------------------- Householder
Geqrf = namedtuple("geqrf", ["a", "tau"])


def _geqrf(a):
    def one(x):
        qr, tau, _, info = _lapack("geqrf", x)(x)
        return np.ascontiguousarray(qr, x.dtype), np.asarray(tau, x.dtype)
    if a.shape[-2] == 0 or a.shape[-1] == 0:
        return a.copy(), np.zeros(a.shape[:-2] + (0,), a.dtype)
    return per_matrix(one, a)


@declare(out=True)
def geqrf(input):
    """LAPACK's QR: R on and above the diagonal, the Householder vectors below it, and their scales tau."""
    _matrix(input, "geqrf", "input")
    return Geqrf(*_NotDifferentiable.apply(_geqrf, "geqrf", input))


def _reflect(A, tau, C, transpose):
    """H_1 ... H_k C (transpose: H_k ... H_1 C), H_i = I - tau_i v_i v_i^T with v_i column i of A below the
    diagonal and a 1 on it."""
    m, k = A.shape[-2], tau.shape[-1]
    rows = np.arange(m)
    dt = A._data.dtype
    for i in (range(k) if transpose else reversed(range(k))):
        v = A[..., :, i] * _wrap((rows > i).astype(dt)) + _wrap((rows == i).astype(dt))
        C = C - tau[..., i:i + 1].unsqueeze(-1) * (v.unsqueeze(-1) @ (v.unsqueeze(-2) @ C))
    return C


def householder_product(A, tau, *, out=None):
    """The first n columns of H_1 ... H_k (m x n; LAPACK's orgqr)."""
    _matrix(A, "linalg.householder_product", "input")
    if not isinstance(tau, Tensor):
        raise TypeError(f"linalg.householder_product(): argument 'tau' must be Tensor, not {type(tau).__name__}")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if tau.shape[-1] > n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"torch.linalg.householder_product: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
    if tau.dtype != A.dtype:
        raise RuntimeError(f"torch.linalg.householder_product: tau dtype {tau.dtype} does not match input dtype "
                           f"{A.dtype}")
    eye = _wrap(np.broadcast_to(np.eye(m, n, dtype=A._data.dtype), tuple(A.shape)).copy())
    r = _reflect(A, tau, eye, False)
    if out is not None:
        from ._declare import write_out
        return write_out(out, r, "linalg.householder_product")
    return r


@declare(out=True)
def orgqr(input, tau):
    return householder_product(input, tau)


@declare(out=True)
def ormqr(input, tau, other, left=True, transpose=False):
    """op(Q) other (left) or other op(Q), Q = H_1 ... H_k the m x m product of input's reflectors."""
    _matrix(input, "ormqr", "input")
    _matrix(other, "ormqr", "other")
    m = input.shape[-2]
    rows = other.shape[-2] if left else other.shape[-1]
    if rows != m:
        raise RuntimeError(f"torch.ormqr: other.shape[{-2 if left else -1}] must be equal to input.shape[-2]")
    if tau.shape[-1] > min(m, input.shape[-1]):
        raise RuntimeError("torch.ormqr: tau.shape[-1] must be less than or equal to input.shape[-1]")
    if left:
        return _reflect(input, tau, other, transpose)
    return _reflect(input, tau, other.mT, not transpose).mT


# ---------------------------------------------------------------- LDL^T (Bunch-Kaufman, LAPACK sytrf/sytrs)
LDLFactor = namedtuple("linalg_ldl_factor", ["LD", "pivots"])
LDLFactorEx = namedtuple("linalg_ldl_factor_ex", ["LD", "pivots", "info"])


def _ldl(a):
    def one(x):
        if x.shape[-1] == 0:
            return x.copy(), np.zeros((0,), np.int32), np.zeros((), np.int32)
        ld, piv, info = _lapack("sytrf", x)(x, lower=1)
        return np.tril(ld).astype(x.dtype), piv.astype(np.int32), np.asarray(info, np.int32)
    return per_matrix(one, a)


def ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    """(LD, pivots, info) in LAPACK's compact form (real matrices: hermitian changes nothing)."""
    _square(A, "linalg.ldl_factor_ex")
    ld, piv, info = _NotDifferentiable.apply(_ldl, "linalg_ldl_factor_ex", A)
    if check_errors and info._data.any():
        raise LinAlgError("torch.linalg.ldl_factor_ex: The factorization could not be completed because the "
                          "input matrix is singular.")
    return LDLFactorEx(ld, piv, info)


def ldl_factor(A, *, hermitian=False):
    r = ldl_factor_ex(A, hermitian=hermitian)
    if r.info._data.any():
        raise LinAlgError("torch.linalg.ldl_factor: The factorization could not be completed because the input "
                          "matrix is singular.")
    return LDLFactor(r.LD, r.pivots)


def ldl_solve(LD, pivots, B, *, hermitian=False):
    """Solve A X = B from ldl_factor's (LD, pivots)."""
    _square(LD, "linalg.ldl_solve")
    _matrix(B, "linalg.ldl_solve", "B")
    if B.shape[-2] != LD.shape[-1]:
        raise RuntimeError(f"torch.linalg.ldl_solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({LD.shape[-2]}x{LD.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")

    def solve(ld, piv, b):
        def one(x, p, y):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.asarray(_lapack("sytrs", x)(x, p[:, 0], y, lower=1)[0], x.dtype)
        return (per_matrix(one, ld, piv[..., None], b),)
    return _NotDifferentiable.apply(solve, "linalg_ldl_solve", LD, pivots, B)[0]
