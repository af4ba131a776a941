"""Helpers the linear-algebra files share: argument checks, the LinAlgError class, batched triangular
solves and the small matrix identities the backward formulas are written with (all on NumPy arrays)."""
import numpy as np

from ..tensor import Tensor


class LinAlgError(RuntimeError):
    """A matrix the routine cannot handle (singular, not positive-definite): torch.linalg.LinAlgError."""


def _square(A, name):
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument 'A' must be Tensor, not {type(A).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {A.shape[-2] if A.ndim > 1 else ''} "
                           f"by {A.shape[-1] if A.ndim else ''} matrices")
    if A.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point tensor as input. Got {A.dtype}")


def _matrix(A, name, argname="A"):
    """A (*, m, n) floating-point tensor."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument '{argname}' must be Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {argname} must have at least 2 dimensions.")
    if A.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point tensor as input. Got {A.dtype}")


def mT(x):
    return np.swapaxes(x, -1, -2)


def per_matrix(fn, *arrays):
    """fn applied to each matrix of arrays (batch dimensions broadcast); fn returns an array or a tuple.

    SciPy's LAPACK wrappers take one matrix at a time before SciPy 1.15, so batches loop here."""
    batch = np.broadcast_shapes(*(a.shape[:-2] for a in arrays))
    if not batch:
        return fn(*arrays)
    flat = [np.broadcast_to(a, batch + a.shape[-2:]).reshape((-1,) + a.shape[-2:]) for a in arrays]
    if flat[0].shape[0] == 0:  # an empty batch: the output shapes come from one identity-like matrix
        one = fn(*(np.eye(*a.shape[-2:], dtype=a.dtype) for a in arrays))
        if isinstance(one, tuple):
            return tuple(np.empty(batch + o.shape, o.dtype) for o in one)
        return np.empty(batch + one.shape, one.dtype)
    outs = [fn(*xs) for xs in zip(*flat)]
    if isinstance(outs[0], tuple):
        return tuple(np.stack(o).reshape(batch + o[0].shape) for o in zip(*outs))
    return np.stack(outs).reshape(batch + outs[0].shape)


def tri_solve(a, b, *, lower, unit=False, trans=False):
    """Solve op(a) x = b for triangular a (op = transpose when trans), batch dimensions broadcast.

    One matrix goes to LAPACK's triangular solve; a batch goes to NumPy's batched solve on the triangle (an LU
    of a triangular matrix costs more flops, but one C call beats a Python loop of small LAPACK calls). A zero
    on the diagonal gives nan, as PyTorch gives inf/nan, rather than raising."""
    dt = np.result_type(a, b)
    n = a.shape[-1]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:]
    if 0 in shape or n == 0:
        return np.zeros(shape, dt)
    t = np.tril(a) if lower else np.triu(a)
    if unit:
        t[..., np.arange(n), np.arange(n)] = 1
    bad = (np.diagonal(t, 0, -2, -1) == 0).any(-1)
    if bad.any():
        t = np.where(bad[..., None, None], np.eye(n, dtype=t.dtype), t)
    if not shape[:-2]:
        from scipy.linalg import solve_triangular
        x = solve_triangular(t, b, lower=lower, trans=1 if trans else 0, check_finite=False)
    else:
        x = np.linalg.solve(np.broadcast_to(mT(t) if trans else t, shape[:-2] + (n, n)), b)
    if bad.any():
        x = np.where(np.broadcast_to(bad, shape[:-2])[..., None, None], np.nan, x)
    return np.asarray(x, dt)


def tri_solve_right(a, z, *, lower, unit=False):
    """z a^{-1} for triangular a."""
    return mT(tri_solve(a, mT(z), lower=lower, unit=unit, trans=True))


def copy_upper(M):
    """The symmetric matrix whose upper triangle (with the diagonal) is M's."""
    return np.triu(M) + mT(np.triu(M, 1))
