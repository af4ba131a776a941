"""torch.linalg: norms, inverses, determinants, solves and decompositions (NumPy's and SciPy's LAPACK underneath).

Every function here is differentiable except the integer-valued (matrix_rank) and the index outputs (pivots,
info). The gradients of svd, eigh and qr are defined up to their factors' gauge, as in PyTorch: a loss that
depends on the sign of a singular vector or eigenvector has no well-defined gradient.
"""
from .autograd.ops.linalg import (  # noqa: F401
    vector_norm, matrix_norm, linalg_norm as norm, inv, det, slogdet, matrix_rank, matrix_power, cross,
    tensordot, LinAlgError, vander,
)
from .autograd.ops.linalg_decomp import cholesky, cholesky_ex, qr, eigh, eigvalsh, svd, svdvals  # noqa: F401
from .autograd.ops.linalg_solve import (  # noqa: F401
    solve, solve_ex, inv_ex, solve_triangular, lstsq, pinv, matrix_exp, cond, tensorinv, tensorsolve,
)
from .autograd.ops.linalg_lu import lu, lu_factor, lu_factor_ex, lu_solve  # noqa: F401
from .autograd.ops.linalg_householder import (  # noqa: F401
    householder_product, ldl_factor, ldl_factor_ex, ldl_solve,
)


def vecdot(x, y, *, dim=-1):
    return (x * y).sum(dim)


def multi_dot(tensors):
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


def matmul(input, other):
    return input @ other
