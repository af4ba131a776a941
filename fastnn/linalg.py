"""torch.linalg: norms, inverses, determinants, solves and decompositions (NumPy's LAPACK underneath).

Gradients: norm, vector_norm, matrix_norm (Frobenius, 1, inf), inv, det, slogdet, solve, matrix_power.
cholesky, qr, eigh, svd, svdvals and pinv compute values only and raise when asked for a gradient.
"""
from .autograd.ops.linalg import (  # noqa: F401
    vector_norm, matrix_norm, linalg_norm as norm, inv, det, slogdet, solve, cholesky, qr, eigh, eigvalsh,
    svd, svdvals, matrix_rank, pinv, matrix_power, cross, tensordot, LinAlgError, solve_triangular, lstsq, lu,
    matrix_exp, vander, cond, tensorinv, tensorsolve, solve_ex,
)


def vecdot(x, y, *, dim=-1):
    return (x * y).sum(dim)


def multi_dot(tensors):
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out


def inv_ex(A, *, check_errors=False):
    from .autograd.tensor import _wrap
    import numpy as np
    return inv(A), _wrap(np.zeros(A.shape[:-2], np.int32))


def cholesky_ex(A, *, upper=False, check_errors=False):
    from .autograd.tensor import _wrap
    import numpy as np
    return cholesky(A, upper=upper), _wrap(np.zeros(A.shape[:-2], np.int32))


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


def matmul(input, other):
    return input @ other
