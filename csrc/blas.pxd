# Row-major GEMM over scipy's BLAS, for float and double, callable without the GIL.
#
# BLAS is column-major; a row-major C = op(A) @ op(B) is the column-major
# C^T = op(B)^T @ op(A)^T, so we swap the operands and keep the flags.
from cython cimport floating
from scipy.linalg.cython_blas cimport sgemm, dgemm


cdef inline void gemm(bint trans_a, bint trans_b, int m, int n, int k,
                      floating alpha, const floating* a, int lda,
                      const floating* b, int ldb,
                      floating beta, floating* c, int ldc) noexcept nogil:
    """C[m, n] = alpha * op(A)[m, k] @ op(B)[k, n] + beta * C, all row-major.

    lda/ldb/ldc are row strides in elements of the matrices as stored.
    """
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
    if m <= 0 or n <= 0:
        return
    if k <= 0:
        # BLAS would leave C untouched only for beta == 1; scale it ourselves.
        _scale(m, n, beta, c, ldc)
        return
    if floating is float:
        sgemm(&tb, &ta, &n, &m, &k, &alpha, <float*>b, &ldb, <float*>a, &lda, &beta, c, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &alpha, <double*>b, &ldb, <double*>a, &lda, &beta, c, &ldc)


cdef inline void _scale(int m, int n, floating beta, floating* c, int ldc) noexcept nogil:
    cdef int i, j
    for i in range(m):
        for j in range(n):
            c[i * ldc + j] = 0 if beta == 0 else beta * c[i * ldc + j]
