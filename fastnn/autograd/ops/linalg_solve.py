"""Solves and matrix functions with gradients: solve, solve_triangular / triangular_solve, lstsq, pinv /
pinverse, matrix_exp, cond, tensorinv, tensorsolve, cholesky_solve and cholesky_inverse.
Batches of (..., m, n) broadcast as in PyTorch; backward formulas are derived in the comments."""
from collections import namedtuple

import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap
from ._declare import declare, write_out
from ._util import unbroadcast
from .linalg_common import LinAlgError, _square, _matrix, mT, tri_solve


# ---------------------------------------------------------------- solve
class _Solve(Function):
    @staticmethod
    def forward(ctx, a, b):
        try:
            x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.solve: The solver failed because the input matrix is singular.") from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        # X = A^-1 B: dX = A^-1 (dB - dA X), so gB = A^-T gX and gA = -gB X^T
        a, x = ctx.saved_tensors
        gb = np.linalg.solve(np.broadcast_to(mT(a), g.shape[:-2] + a.shape[-2:]), g)
        need_a, need_b = ctx.needs_input_grad
        ga = unbroadcast(-gb @ mT(x), a.shape) if need_a else None
        return ga, unbroadcast(gb, ctx.parents[1].shape) if need_b else None


def solve(A, B, *, left=True, out=None):
    _square(A, "linalg.solve")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve(): argument 'B' must be Tensor, not {type(B).__name__}")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {A.dtype} "
                           f"and B of type {B.dtype} instead")
    if not left:
        r = solve(A.mT, B.mT).mT
    else:
        vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
        b = B.unsqueeze(-1) if vec else B
        if b.shape[-2] != A.shape[-1]:
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                               f"({A.shape[-2]}x{A.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
        r = _Solve.apply(A, b)
        r = r.squeeze(-1) if vec else r
    return r if out is None else write_out(out, r, "linalg.solve")


SolveEx = namedtuple("linalg_solve_ex", ["result", "info"])


def solve_ex(A, B, *, left=True, check_errors=False):
    """(X, info): info is 0, or a positive index where A is singular (check_errors=True raises instead)."""
    _square(A, "linalg.solve_ex")
    try:
        return SolveEx(solve(A, B, left=left), _wrap(np.zeros(A.shape[:-2], np.int32)))
    except LinAlgError:
        if check_errors:
            raise
    from .linalg_lu import _factor, _info
    eye = _wrap(np.broadcast_to(np.eye(A.shape[-1], dtype=A._data.dtype), A.shape).copy())
    shape = solve(eye, B.detach(), left=left).shape
    return SolveEx(_wrap(np.full(shape, np.nan, A._data.dtype)), _wrap(_info(_factor(A._data)[0])))


InvEx = namedtuple("linalg_inv_ex", ["inverse", "info"])


def inv_ex(A, *, check_errors=False):
    """(A^-1, info): info is 0, or the 1-based index of the zero pivot where A is singular."""
    from .linalg import inv
    _square(A, "linalg.inv_ex")
    try:
        return InvEx(inv(A), _wrap(np.zeros(A.shape[:-2], np.int32)))
    except LinAlgError:
        if check_errors:
            raise
    from .linalg_lu import _factor, _info
    return InvEx(_wrap(np.full(A.shape, np.nan, A._data.dtype)), _wrap(_info(_factor(A._data)[0])))


# ---------------------------------------------------------------- triangular solves
class _SolveTriangular(Function):
    @staticmethod
    def forward(ctx, a, b, upper, unit):
        x = tri_solve(a, b, lower=not upper, unit=unit)
        ctx.flags = (upper, unit)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        # X = A^-1 B as solve: gB = A^-T gX, gA = -gB X^T, kept on the triangle A's solve reads
        a, x = ctx.saved_tensors
        upper, unit = ctx.flags
        gb = tri_solve(a, g, lower=not upper, unit=unit, trans=True)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -gb @ mT(x)
            ga = np.triu(ga, 1 if unit else 0) if upper else np.tril(ga, -1 if unit else 0)
            ga = unbroadcast(ga, a.shape)
        return ga, unbroadcast(gb, ctx.parents[1].shape), None, None


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    _matrix(A, "linalg.solve_triangular")
    _matrix(B, "linalg.solve_triangular", "B")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError("linalg.solve_triangular: A must be batches of square matrices")
    if A.dtype != B.dtype:  # PyTorch computes in A's dtype
        B = B.to(A.dtype)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        r = solve_triangular(A.mT, B.mT, upper=not upper, unitriangular=unitriangular).mT
    else:
        if A.shape[-1] != B.shape[-2]:
            raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
                               f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
        r = _SolveTriangular.apply(A, B, bool(upper), bool(unitriangular))
    return r if out is None else write_out(out, r, "linalg.solve_triangular")


TriangularSolve = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


@declare(out=True)
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve(b, A): solves A X = b (A^T X = b with transpose); returns (X, A's copy)."""
    M = A.mT if transpose else A
    return TriangularSolve(solve_triangular(M, input, upper=upper != transpose, unitriangular=unitriangular),
                           A.clone())


# ---------------------------------------------------------------- pinv
def _tolerances(atol, rtol, m, n, dtype):
    """PyTorch's rule: no tolerance given -> rtol = eps * max(m, n); atol given -> rtol defaults to 0."""
    def arr(t):
        return None if t is None else (t._data if isinstance(t, Tensor) else np.asarray(t, np.float64))
    atol, rtol = arr(atol), arr(rtol)
    default = np.finfo(dtype).eps * max(m, n)
    if rtol is None:
        rtol = default if atol is None or (atol.ndim == 0 and atol <= 0) else np.zeros(())
    return (np.zeros(()) if atol is None else atol), rtol


def _pinv_array(a, atol, rtol, hermitian):
    m, n = a.shape[-2:]
    atol, rtol = _tolerances(atol, rtol, m, n, a.dtype)
    if hermitian:
        w, v = np.linalg.eigh(a)
        s = np.abs(w)
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
    smax = s.max(-1) if s.shape[-1] else np.zeros(s.shape[:-1], s.dtype)
    thr = np.maximum(atol, rtol * smax)[..., None]
    with np.errstate(divide="ignore"):
        if hermitian:
            winv = np.where(s > thr, 1 / np.where(w == 0, 1, w), 0)
            return np.asarray((v * winv[..., None, :]) @ mT(v), a.dtype)
        sinv = np.where(s > thr, 1 / np.where(s == 0, 1, s), 0)
        return np.asarray((mT(vh) * sinv[..., None, :]) @ mT(u), a.dtype)


class _Pinv(Function):
    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        x = _pinv_array(a, atol, rtol, hermitian)
        ctx.hermitian = hermitian
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        # Golub & Pereyra (constant rank): dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X, whose adjoint
        # is gA = -X^T G X^T + (I - A X) G^T X X^T + X^T X G^T (I - X A)
        a, x = ctx.saved_tensors
        xt = mT(x)
        h = mT(g) @ x @ xt
        k = xt @ x @ mT(g)
        ga = -xt @ g @ xt + h - a @ (x @ h) + k - (k @ x) @ a
        return (0.5 * (ga + mT(ga)) if ctx.hermitian else ga), None, None, None


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    _matrix(A, "linalg.pinv")
    if hermitian:
        _square(A, "linalg.pinv")
    r = _Pinv.apply(A, atol, rtol, bool(hermitian))
    return r if out is None else write_out(out, r, "linalg.pinv")


@declare(name="pinverse")
def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


# ---------------------------------------------------------------- lstsq
Lstsq = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """The minimum-norm least-squares solution pinv(A) B (differentiable through pinv), with the residuals,
    rank and singular values each driver reports. For rank-deficient A, gelsy's basic solution differs."""
    _matrix(A, "linalg.lstsq")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.lstsq(): argument 'B' must be Tensor, not {type(B).__name__}")
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {A.dtype} and other's dtype {B.dtype}")
    driver = driver or "gelsy"
    m, n = A.shape[-2:]
    vec = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vec else B
    if b.shape[-2] != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) ({m} and {b.shape[-2]})")
    rtol = np.finfo(A.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    X = pinv(A, atol=0.0, rtol=rtol) @ b
    s = np.linalg.svd(A._data, compute_uv=False)
    smax = s.max(-1, keepdims=True) if s.shape[-1] else s
    rank = (s > rtol * smax).sum(-1).astype(np.int64)
    empty = _wrap(np.empty((0,), A.dtype))
    residuals = empty
    if driver != "gelsy" and m > n and (driver == "gels" or (rank == n).all()):
        residuals = ((A @ X - b) ** 2).sum(-2)
        residuals = residuals.squeeze(-1) if vec else residuals
    return Lstsq(X.squeeze(-1) if vec else X, residuals,
                 _wrap(np.empty((0,), np.int64)) if driver == "gels" else _wrap(rank),
                 _wrap(np.asarray(s, A.dtype)) if driver in ("gelsd", "gelss") else empty)


# ---------------------------------------------------------------- matrix_exp
class _MatrixExp(Function):
    @staticmethod
    def forward(ctx, a):
        from scipy.linalg import expm
        ctx.save_for_backward(a)
        if a.shape[-1] == 0 or a.size == 0:
            return a.copy()
        return np.asarray(expm(a), a.dtype)  # SciPy >= 1.9 takes batches

    @staticmethod
    def backward(ctx, g):
        # the adjoint of the Frechet derivative L(A, .) is L(A^T, .), read off the upper-right block of
        # exp([[A^T, G], [0, A^T]])
        from scipy.linalg import expm
        a, = ctx.saved_tensors
        n = a.shape[-1]
        if n == 0 or g.size == 0:
            return np.zeros_like(g)
        z = np.zeros(g.shape[:-2] + (2 * n, 2 * n), g.dtype)
        z[..., :n, :n] = mT(a)
        z[..., n:, n:] = mT(a)
        z[..., :n, n:] = g
        return np.asarray(expm(z)[..., :n, n:], g.dtype)


@declare()
def matrix_exp(input):
    _square(input, "linalg.matrix_exp")
    return _MatrixExp.apply(input)


# ---------------------------------------------------------------- compositions
def cond(A, p=None):
    """The condition number: through svdvals for p in (None, 2, -2), else norm(A, p) * norm(A^-1, p)."""
    from .linalg_decomp import svdvals
    from .linalg import matrix_norm, inv
    _matrix(A, "linalg.cond")
    if p is None or p in (2, -2):
        s = svdvals(A)
        return s.amax(-1) / s.amin(-1) if p != -2 else s.amin(-1) / s.amax(-1)
    if p not in ("fro", "nuc", float("inf"), -float("inf"), 1, -1):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    _square(A, "linalg.cond")
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def tensorinv(A, ind=2):
    from .linalg import inv
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = A.shape[:ind], A.shape[ind:]
    p, q = int(np.prod(rows)), int(np.prod(cols))
    if p != q:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {q} != {p}")
    return inv(A.reshape(p, q)).reshape(tuple(cols) + tuple(rows))


def tensorsolve(A, B, dims=None):
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        A = A.permute([d for d in range(A.ndim) if d not in dims] + list(dims))
    rest = A.shape[B.ndim:]
    if tuple(A.shape[:B.ndim]) != tuple(B.shape) or int(np.prod(rest)) != B.numel():
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {int(np.prod(rest))} != {B.numel()}")
    return solve(A.reshape(B.numel(), -1), B.reshape(-1)).reshape(tuple(rest))


@declare(out=True)
def cholesky_inverse(input, upper=False):
    """The inverse of A from its Cholesky factor (A = L L^T, or U^T U with upper=True)."""
    from .linalg import inv
    L = input.mT if upper else input
    return inv(L @ L.mT)


@declare(out=True)
def cholesky_solve(input, input2, upper=False):
    """Solve A X = B given B (input) and the Cholesky factor of A (input2); PyTorch differentiates the factor
    as a full matrix (A = L L^T with all of L), and so does this composition."""
    L = input2.mT if upper else input2
    return solve(L @ L.mT, input)
