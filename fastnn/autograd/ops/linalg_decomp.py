"""Decompositions with gradients: cholesky, eigh/eigvalsh, svd/svdvals and qr (torch.linalg's and the older
torch.* forms). Forwards are NumPy's LAPACK; backwards are the standard matrix-calculus results, derived in
the comments from the perturbation of each factorisation (real matrices; batches of (..., m, n))."""
from collections import namedtuple

import numpy as np

from ..function import Function
from ..tensor import _wrap
from ._declare import declare
from .linalg_common import LinAlgError, _square, _matrix, mT, tri_solve, tri_solve_right, copy_upper


# ---------------------------------------------------------------- cholesky
class _Cholesky(Function):
    @staticmethod
    def forward(ctx, a, upper):
        try:
            L = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not "
                              "positive-definite.") from None
        ctx.upper = upper
        ctx.save_for_backward(L)
        return np.ascontiguousarray(mT(L)) if upper else L

    @staticmethod
    def backward(ctx, g):
        # A = L L^T gives L^-1 dA L^-T = X + X^T with X = L^-1 dL lower triangular, so dL = L Phi(L^-1 dA L^-T)
        # (Phi: the lower triangle, diagonal halved) and gA = L^-T Phi(L^T gL) L^-1, symmetrised since dA is.
        L, = ctx.saved_tensors
        gL = mT(g) if ctx.upper else g
        P = np.tril(mT(L) @ gL)
        P[..., np.arange(L.shape[-1]), np.arange(L.shape[-1])] *= 0.5
        gA = tri_solve_right(L, tri_solve(L, P, lower=True, trans=True), lower=True)
        return 0.5 * (gA + mT(gA)), None


def cholesky(A, *, upper=False, out=None):
    _square(A, "linalg.cholesky")
    r = _Cholesky.apply(A, bool(upper))
    if out is not None:
        from ._declare import write_out
        return write_out(out, r, "linalg.cholesky")
    return r


CholeskyEx = namedtuple("linalg_cholesky_ex", ["L", "info"])


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info): info is 0, or the order of the leading minor that is not positive-definite."""
    _square(A, "linalg.cholesky_ex")
    a = A._data
    info = np.zeros(a.shape[:-2], np.int32)
    try:
        return CholeskyEx(cholesky(A, upper=upper), _wrap(info))
    except LinAlgError:
        pass
    ok = np.ones(a.shape[:-2], bool)
    for idx in np.ndindex(a.shape[:-2]):  # only on failure: find which matrices, and their first bad minor
        if not _pd(a[idx]):
            ok[idx] = False
            info[idx] = next(k for k in range(1, a.shape[-1] + 1) if not _pd(a[idx][:k, :k]))
    if check_errors:
        raise LinAlgError(f"linalg.cholesky_ex: The factorization could not be completed because the input is not "
                          f"positive-definite (the leading minor of order {info[~ok].flat[0]} is not "
                          f"positive-definite).")
    L = np.zeros_like(a)  # where the factorisation fails PyTorch leaves a partial factor; fastnn leaves zeros
    good = np.linalg.cholesky(np.where(ok[..., None, None], a, np.eye(a.shape[-1], dtype=a.dtype)))
    L[ok] = good[ok]
    return CholeskyEx(_wrap(np.ascontiguousarray(mT(L)) if upper else L), _wrap(info))


def _pd(m):
    try:
        np.linalg.cholesky(m)
        return True
    except np.linalg.LinAlgError:
        return False


# ---------------------------------------------------------------- eigh
Eigh = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])


def _check_uplo(UPLO, name):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"{name}: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


class _Eigh(Function):
    @staticmethod
    def forward(ctx, a, uplo):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        # dw_i = v_i^T dA v_i and dv_j = sum_{i != j} v_i (v_i^T dA v_j) / (w_j - w_i), so
        # gA = V (diag(gw) + F o skew(V^T gV) / 2) V^T with F_ij = 1/(w_j - w_i): a symmetric gradient.
        w, v = ctx.saved_tensors
        inner = np.zeros(v.shape, v.dtype)
        if gv.any():
            X = mT(v) @ gv
            E = w[..., None, :] - w[..., :, None]
            n = w.shape[-1]
            E[..., np.arange(n), np.arange(n)] = 1
            with np.errstate(divide="ignore", invalid="ignore"):
                inner = 0.5 * (X - mT(X)) / E
        n = w.shape[-1]
        inner[..., np.arange(n), np.arange(n)] = gw
        return v @ inner @ mT(v), None


def eigh(A, UPLO="L"):
    _square(A, "linalg.eigh")
    _check_uplo(UPLO, "linalg.eigh")
    return Eigh(*_Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L"):
    _square(A, "linalg.eigvalsh")
    _check_uplo(UPLO, "linalg.eigvalsh")
    if A.requires_grad:
        return _Eigh.apply(A, UPLO)[0]
    return _wrap(np.linalg.eigvalsh(A._data, UPLO=UPLO))


# ---------------------------------------------------------------- svd
SVD = namedtuple("linalg_svd", ["U", "S", "Vh"])
SVDOld = namedtuple("svd", ["U", "S", "V"])  # torch.svd (the older API) returns V


def _svd_grad(u, s, vh, gu, gs, gvh):
    """gA for A = U diag(s) Vh (reduced: k = min(m, n) columns), from Townsend's note on SVD derivatives:
    gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] Vh, E_ij = s_j^2 - s_i^2, plus the parts of gU
    (m > n) or gVh (m < n) outside the singular subspaces, scaled by 1/s."""
    m, n = u.shape[-2], vh.shape[-1]
    if gu is None and gvh is None:
        return u @ (gs[..., :, None] * vh)
    k = s.shape[-1]
    s2 = s * s
    E = s2[..., None, :] - s2[..., :, None]
    E[..., np.arange(k), np.arange(k)] = 1
    core = np.zeros(s.shape + (k,), s.dtype)
    if gu is not None:
        X = mT(u) @ gu
        core = core + (X - mT(X)) * s[..., None, :]
    if gvh is not None:
        Y = vh @ mT(gvh)
        core = core + s[..., :, None] * (Y - mT(Y))
    with np.errstate(divide="ignore", invalid="ignore"):
        core = core / E
    core[..., np.arange(k), np.arange(k)] = gs
    if m > n and gu is not None:
        gus = gu / s[..., None, :]
        return (u @ core + gus - u @ (mT(u) @ gus)) @ vh
    if m < n and gvh is not None:
        sgv = gvh / s[..., :, None]
        return u @ (core @ vh + sgv - (sgv @ mT(vh)) @ vh)
    return u @ core @ vh


class _SVD(Function):
    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        ctx.save_for_backward(u[..., :k], s, vh[..., :k, :])
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        # with full_matrices the extra columns of U (rows of Vh) are arbitrary: their gradients are dropped,
        # as PyTorch does
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        gu, gvh = gu[..., :k], gvh[..., :k, :]
        return _svd_grad(u, s, vh, gu if gu.any() else None, gs, gvh if gvh.any() else None), None


class _SVDVals(Function):
    @staticmethod
    def forward(ctx, a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return s

    @staticmethod
    def backward(ctx, gs):
        u, vh = ctx.saved_tensors
        return u @ (gs[..., :, None] * vh)


def svd(A, full_matrices=True, *, driver=None):
    _matrix(A, "linalg.svd")
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")
    return SVD(*_SVD.apply(A, bool(full_matrices)))


def svdvals(A, *, driver=None):
    _matrix(A, "linalg.svdvals")
    if driver is not None:
        raise RuntimeError("torch.linalg.svdvals: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")
    if A.requires_grad:
        return _SVDVals.apply(A)
    return _wrap(np.linalg.svd(A._data, compute_uv=False))


@declare(name="svd", out=True)
def svd_(input, some=True, compute_uv=True):
    """torch.svd: (U, S, V) with V, not V^H (the older API); compute_uv=False gives zero U (m, m) and V (n, n)."""
    if not compute_uv:
        m, n = input.shape[-2:]
        z = lambda k: _wrap(np.zeros(input.shape[:-2] + (k, k), input.dtype))  # noqa: E731
        return SVDOld(z(m), svdvals(input), z(n))
    u, s, vh = svd(input, full_matrices=not some)
    return SVDOld(u, s, vh.mT)


# ---------------------------------------------------------------- qr
QR = namedtuple("linalg_qr", ["Q", "R"])


def _qr_square_grad(q, r, gq, gr):
    """A = QR with R square (m >= n, reduced). C = Q^T dA R^-1 = Q^T dQ + dR R^-1 splits into a skew part and
    an upper-triangular part; following the loss through gives gA = (gQ + Q copyu(gR R^T - Q^T gQ)) R^-T,
    where copyu makes a symmetric matrix from the upper triangle."""
    M = gr @ mT(r) - mT(q) @ gq
    return mT(tri_solve(r, mT(gq + q @ copy_upper(M)), lower=False))  # (...) R^-T


class _QR(Function):
    @staticmethod
    def forward(ctx, a, mode):
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        ctx.mode = mode
        ctx.save_for_backward(q, r)
        return (np.empty((0,), a.dtype) if mode == "r" else q), r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_square_grad(q, r, gq, gr), None
        # wide A = [X | Y]: X = Q R1 is square, R2 = Q^T Y, so Y's gradient is Q gR2 and R2 adds Y gR2^T to gQ
        r1, r2 = r[..., :m], r[..., m:]
        g1, g2 = gr[..., :m], gr[..., m:]
        y = q @ r2
        gx = _qr_square_grad(q, r1, gq + y @ mT(g2), g1)
        return np.concatenate([gx, q @ g2], -1), None


def qr(A, mode="reduced"):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           f"or 'complete'")
    _matrix(A, "linalg.qr")
    return QR(*_QR.apply(A, mode))


@declare(name="qr", out=True)
def qr_(input, some=True):
    return qr(input, "reduced" if some else "complete")


@declare(name="cholesky", out=True)
def cholesky_legacy(input, upper=False):
    """torch.cholesky / Tensor.cholesky: upper is positional in the older API."""
    return cholesky(input, upper=upper)
