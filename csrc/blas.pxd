# Row-major GEMM over scipy's BLAS, for float and double, callable without the GIL.
# Large products run split over fastnn's threads (gemmsplit.pxd), small ones as one BLAS call.
from cython cimport floating
from gemmsplit cimport gemm_dispatch, gemm_dispatch_bias


cdef inline void gemm(bint trans_a, bint trans_b, int m, int n, int k,
                      floating alpha, const floating* a, int lda,
                      const floating* b, int ldb,
                      floating beta, floating* c, int ldc) noexcept nogil:
    """C[m, n] = alpha * op(A)[m, k] @ op(B)[k, n] + beta * C, all row-major.

    lda/ldb/ldc are row strides in elements of the matrices as stored.
    """
    if m <= 0 or n <= 0:
        return
    if k <= 0:
        # BLAS would leave C untouched only for beta == 1; scale it ourselves.
        _scale(m, n, beta, c, ldc)
        return
    # large products are split over fastnn's threads, each part one single-threaded BLAS call
    gemm_dispatch(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)


cdef inline void gemm_bias(bint trans_a, bint trans_b, int m, int n, int k,
                           floating alpha, const floating* a, int lda,
                           const floating* b, int ldb,
                           floating* c, int ldc, const floating* bias) noexcept nogil:
    """C[m, n] = alpha * op(A)[m, k] @ op(B)[k, n] + bias (n values, every row), m, n, k > 0: the rows of C take
    the bias as the product reaches them (csrc/packedgemm.h), not in a pass of their own."""
    gemm_dispatch_bias(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, <floating>0, c, ldc, bias)


cdef inline void _scale(int m, int n, floating beta, floating* c, int ldc) noexcept nogil:
    cdef int i, j
    for i in range(m):
        for j in range(n):
            c[i * ldc + j] = 0 if beta == 0 else beta * c[i * ldc + j]
