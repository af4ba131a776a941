"""LU with partial pivoting and gradients: linalg.lu, lu_factor(_ex), lu_solve, and the older torch.lu,
torch.lu_unpack, torch.lu_solve. Pivots are LAPACK's (1-based row swaps, int32), as PyTorch returns them."""
import warnings
from collections import namedtuple

import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap
from ._declare import declare, write_out
from .linalg_common import LinAlgError, _matrix, mT, tri_solve, per_matrix
from .linalg_solve import solve_triangular


def _check_pivot(pivot, name):
    if not pivot:
        raise RuntimeError(f"{name}: LU without pivoting is not implemented on the CPU")


def _perm(piv, m):
    """Row order perm with A[perm] = L U, from LAPACK's swaps (row i <-> row piv[i] - 1, in turn)."""
    perm = np.broadcast_to(np.arange(m), piv.shape[:-1] + (m,)).copy()
    for i in range(piv.shape[-1]):
        j = piv[..., i:i + 1].astype(np.int64) - 1
        pi = perm[..., i:i + 1].copy()
        perm[..., i:i + 1] = np.take_along_axis(perm, j, -1)
        np.put_along_axis(perm, j, pi, -1)
    return perm


def _perm_matrix(perm, dtype):
    """P with A = P L U: column r of P is the unit vector e_perm[r]."""
    m = perm.shape[-1]
    P = np.zeros(perm.shape + (m,), dtype)
    np.put_along_axis(P, perm[..., None, :], 1, -2)
    return P


def _factor(a):
    """(LU packed, pivots int32 1-based): SciPy's getrf for one matrix or large ones, else the batch at once."""
    from scipy.linalg import lu_factor

    def one(x):
        if x.size == 0:
            return x.copy(), np.arange(1, min(x.shape) + 1, dtype=np.int32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an exactly singular U is reported through info, as in PyTorch
            lu, piv = lu_factor(x, check_finite=False)
        return lu, (piv + 1).astype(np.int32)
    if a.ndim > 2 and a.size and min(a.shape[-2:]) <= 64:
        return _factor_batch(a)
    lu, piv = per_matrix(one, a) if a.ndim > 2 else one(a)
    return np.asarray(lu, a.dtype), piv


def _factor_batch(a):
    """Gaussian elimination with partial pivoting (LAPACK's getf2: the first largest pivot, no scaling under
    a zero one), vectorised over the batch: one NumPy step per column instead of a LAPACK call per matrix."""
    lu = a.reshape((-1,) + a.shape[-2:]).copy()
    b, m, n = lu.shape
    k = min(m, n)
    piv = np.empty((b, k), np.int32)
    at = np.arange(b)
    for j in range(k):
        p = j + np.abs(lu[:, j:, j]).argmax(1)
        piv[:, j] = p + 1
        row = lu[at, j].copy()
        lu[at, j] = lu[at, p]
        lu[at, p] = row
        d = lu[:, j, j:j + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            lu[:, j + 1:, j] = np.where(d != 0, lu[:, j + 1:, j] / np.where(d != 0, d, 1), lu[:, j + 1:, j])
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    return lu.reshape(a.shape), piv.reshape(a.shape[:-2] + (k,))


def _unpack(lu):
    m, n = lu.shape[-2:]
    k = min(m, n)
    L = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    return L, np.triu(lu[..., :k, :])


def _lu_grad(P, L, U, gL, gU):
    """gA for A = P L U (L unit lower m x k, U upper k x n, k = min(m, n)).

    Square: L^-1 P^T dA U^-1 = L^-1 dL + dU U^-1 splits into strictly lower and upper parts, so
    gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T. Tall (m > n): L2 = B2 U^-1 moves -L2^T gL2 U^-T onto gU
    and gives gB2 = gL2 U^-T. Wide (m < n): U2 = L^-1 B2 moves -L^-T gU2 U2^T onto gL and gives gB2 = L^-T gU2."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m > n:
        L1, L2, gL1, gL2 = L[..., :k, :], L[..., k:, :], gL[..., :k, :], gL[..., k:, :]
        gB2 = mT(tri_solve(U, mT(gL2), lower=False, trans=False))        # gL2 U^-T
        gU = gU - mT(L2) @ gB2
        L, gL, U1, gU1, tail = L1, gL1, U, gU, ("rows", gB2)
    elif m < n:
        U1, U2, gU1, gU2 = U[..., :, :k], U[..., :, k:], gU[..., :, :k], gU[..., :, k:]
        gB2 = tri_solve(L, gU2, lower=True, unit=True, trans=True)         # L^-T gU2
        gL = gL - gB2 @ mT(U2)
        tail = ("cols", gB2)
    else:
        U1, gU1, tail = U, gU, None
    core = np.tril(mT(L) @ gL, -1) + np.triu(gU1 @ mT(U1))
    core = tri_solve(L, core, lower=True, unit=True, trans=True)
    gB = mT(tri_solve(U1, mT(core), lower=False))                           # core U^-T
    if tail is not None:
        gB = np.concatenate([gB, tail[1]], -2 if tail[0] == "rows" else -1)
    return P @ gB


class _LU(Function):
    @staticmethod
    def forward(ctx, a):
        lu, piv = _factor(a)
        L, U = _unpack(lu)
        P = _perm_matrix(_perm(piv, a.shape[-2]), a.dtype)
        ctx.save_for_backward(P, L, U)
        ctx.mark_non_differentiable(P)
        return P, L, U

    @staticmethod
    def backward(ctx, gP, gL, gU):
        P, L, U = ctx.saved_tensors
        return _lu_grad(P, L, U, gL, gU)


class _LUFactor(Function):
    @staticmethod
    def forward(ctx, a):
        lu, piv = _factor(a)
        ctx.save_for_backward(lu, piv)
        ctx.mark_non_differentiable(piv)
        return lu, piv

    @staticmethod
    def backward(ctx, glu, gpiv):
        lu, piv = ctx.saved_tensors
        m, n = lu.shape[-2:]
        k = min(m, n)
        L, U = _unpack(lu)
        P = _perm_matrix(_perm(piv, m), lu.dtype)
        return _lu_grad(P, L, U, np.tril(glu[..., :, :k], -1), np.triu(glu[..., :k, :]))


LU = namedtuple("linalg_lu", ["P", "L", "U"])
LUFactor = namedtuple("linalg_lu_factor", ["LU", "pivots"])
LUFactorEx = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
LUUnpack = namedtuple("lu_unpack", ["P", "L", "U"])


def _floating(A, name):
    if isinstance(A, Tensor) and A.dtype.kind != "f":
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{A.dtype}\'')


def lu(A, *, pivot=True, out=None):
    _floating(A, "lu")
    _matrix(A, "linalg.lu")
    _check_pivot(pivot, "linalg.lu")
    r = LU(*_LU.apply(A))
    return r if out is None else LU(*(write_out(o, x, "linalg.lu") for o, x in zip(out, r)))


def _info(lu):
    """LAPACK's info: the 1-based index of the first zero on U's diagonal, 0 when there is none."""
    d = np.diagonal(lu, 0, -2, -1) == 0
    if d.shape[-1] == 0:
        return np.zeros(d.shape[:-1], np.int32)
    return np.where(d.any(-1), d.argmax(-1) + 1, 0).astype(np.int32)


def _factor_checked(A, pivot, fname, check_errors, advice=""):
    """lu_factor's work: the packed LU, its pivots and LAPACK's info; with check_errors a zero on U's
    diagonal raises (advice ends the message)."""
    _floating(A, "linalg_lu_factor_ex")
    _matrix(A, fname)
    _check_pivot(pivot, fname)
    lu_, piv = _LUFactor.apply(A)
    info = _info(lu_._data)
    if check_errors and info.any():
        i = int(info[info != 0].flat[0])
        raise LinAlgError(f"{fname}: U[{i},{i}] is zero and using it on lu_solve would result in a "
                          f"division by zero.{advice}")
    return lu_, piv, info


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    lu_, piv, info = _factor_checked(A, pivot, "linalg.lu_factor_ex", check_errors)
    return LUFactorEx(lu_, piv, _wrap(info))


def lu_factor(A, *, pivot=True, out=None):
    lu_, piv, _ = _factor_checked(A, pivot, "linalg.lu_factor", True,
                                  " If you still want to perform the factorization, consider calling "
                                  "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    r = LUFactor(lu_, piv)
    return r if out is None else LUFactor(*(write_out(o, x, "linalg.lu_factor") for o, x in zip(out, r)))


def _pivots(LU_data, pivots, name):
    if not isinstance(pivots, Tensor) or pivots.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: pivots should be a Tensor of dtype int32")
    if tuple(pivots.shape) != tuple(LU_data.shape[:-2]) + (min(LU_data.shape[-2:]),):
        raise RuntimeError(f"{name}: Expected pivots to have shape {list(LU_data.shape[:-2]) + [min(LU_data.shape[-2:])]},"
                           f" got {list(pivots.shape)}")
    return _perm_matrix(_perm(pivots._data, LU_data.shape[-2]), LU_data.dtype)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """Solve A X = B (A^T X = B with adjoint; X A = B with left=False) from A = P L U packed in LU; gradients
    reach LU through the two triangular solves, which read L's strict lower and U's upper triangle."""
    _matrix(LU, "linalg.lu_solve", "LU")
    _matrix(B, "linalg.lu_solve", "B")
    if LU.shape[-1] != LU.shape[-2]:
        raise RuntimeError("linalg.lu_solve: A must be batches of square matrices")
    if LU.dtype != B.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
                           f"{LU.dtype} and B of type {B.dtype} instead")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        r = lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
        return r if out is None else write_out(out, r, "linalg.lu_solve")
    P = _wrap(_pivots(LU, pivots, "linalg.lu_solve"))
    if not adjoint:   # X = U^-1 L^-1 P^T B
        y = solve_triangular(LU, P.mT @ B, upper=False, unitriangular=True)
        r = solve_triangular(LU, y, upper=True)
    else:             # A^T = U^T L^T P^T, so X = P L^-T U^-T B
        y = solve_triangular(LU.mT, B, upper=False)
        r = P @ solve_triangular(LU.mT, y, upper=True, unitriangular=True)
    return r if out is None else write_out(out, r, "linalg.lu_solve")


@declare(method=False, name="lu_unpack", out=True)
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    _matrix(LU_data, "lu_unpack", "LU_data")
    empty = _wrap(np.empty((0,), LU_data.dtype))
    P = _wrap(_pivots(LU_data, LU_pivots, "lu_unpack")) if unpack_pivots else empty
    if not unpack_data:
        return LUUnpack(P, empty, empty)
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    L = LU_data[..., :, :k].tril(-1) + _wrap(np.eye(m, k, dtype=LU_data._data.dtype))
    return LUUnpack(P, L, LU_data[..., :k, :].triu())


@declare(method=True, name="lu")
def lu_legacy(A, pivot=True, get_infos=False, out=None):
    """torch.lu: (LU, pivots) or (LU, pivots, infos); raises on a singular U unless get_infos."""
    if get_infos:
        r = lu_factor_ex(A, pivot=pivot)
        return r if out is None else tuple(write_out(o, x, "lu") for o, x in zip(out, r))
    r = lu_factor(A, pivot=pivot)
    return r if out is None else tuple(write_out(o, x, "lu") for o, x in zip(out, r))


@declare(method=True, name="lu_solve", out=True)
def lu_solve_legacy(input, LU_data, LU_pivots):
    """torch.lu_solve(b, LU_data, LU_pivots): the older argument order of linalg.lu_solve."""
    return lu_solve(LU_data, LU_pivots, input)
