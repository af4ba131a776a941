# Fused-type front of csrc/panelgemm.h: GEMM against a weight packed once into column panels
# (the recurrent loops of rnn.pyx, and Winograd's channel products in conv.pyx), for float and double.
from cython cimport floating

cdef extern from "panelgemm.h" nogil:
    Py_ssize_t fastnn_panel_width_f()
    Py_ssize_t fastnn_panel_width_d()
    void fastnn_panel_gemm_f(Py_ssize_t M, Py_ssize_t K, const float *A, Py_ssize_t lda, const float *panel,
                             Py_ssize_t ldp, int accumulate, float *C, Py_ssize_t ldc, Py_ssize_t nc)
    void fastnn_panel_gemm_d(Py_ssize_t M, Py_ssize_t K, const double *A, Py_ssize_t lda, const double *panel,
                             Py_ssize_t ldp, int accumulate, double *C, Py_ssize_t ldc, Py_ssize_t nc)
    void fastnn_panel_gemm_pf_f(Py_ssize_t M, Py_ssize_t K, const float *A, Py_ssize_t lda, const float *panel,
                                Py_ssize_t ldp, int accumulate, float *C, Py_ssize_t ldc, Py_ssize_t nc,
                                const void *const *pf, Py_ssize_t npf)
    void fastnn_panel_gemm_pf_d(Py_ssize_t M, Py_ssize_t K, const double *A, Py_ssize_t lda, const double *panel,
                                Py_ssize_t ldp, int accumulate, double *C, Py_ssize_t ldc, Py_ssize_t nc,
                                const void *const *pf, Py_ssize_t npf)
    void fastnn_prefetch_list_rows(const void **list, Py_ssize_t *n, Py_ssize_t cap, const void *base, Py_ssize_t rows,
                                   Py_ssize_t row_bytes, Py_ssize_t off, Py_ssize_t nbytes)
    void fastnn_pack_panels_f(const float *w, Py_ssize_t k_stride, Py_ssize_t n_stride, Py_ssize_t K,
                              Py_ssize_t gates, Py_ssize_t H, Py_ssize_t nr, float *dst)
    void fastnn_pack_panels_d(const double *w, Py_ssize_t k_stride, Py_ssize_t n_stride, Py_ssize_t K,
                              Py_ssize_t gates, Py_ssize_t H, Py_ssize_t nr, double *dst)


cdef inline void panel_gemm(Py_ssize_t M, Py_ssize_t K, const floating *A, Py_ssize_t lda, const floating *panel,
                            Py_ssize_t ldp, bint accumulate, floating *C, Py_ssize_t ldc,
                            Py_ssize_t nc) noexcept nogil:
    """C[0:M, 0:nc] = A[0:M, 0:K] @ panel (+ C if accumulate), nc <= the panel width; panel rows
    are ldp apart (the panel width when packed), and each reads a full panel width."""
    if floating is float:
        fastnn_panel_gemm_f(M, K, A, lda, panel, ldp, accumulate, C, ldc, nc)
    else:
        fastnn_panel_gemm_d(M, K, A, lda, panel, ldp, accumulate, C, ldc, nc)


cdef inline void panel_gemm_pf(Py_ssize_t M, Py_ssize_t K, const floating *A, Py_ssize_t lda, const floating *panel,
                               Py_ssize_t ldp, bint accumulate, floating *C, Py_ssize_t ldc, Py_ssize_t nc,
                               const void *const *pf, Py_ssize_t npf) noexcept nogil:
    """panel_gemm, fetching the cache lines at pf[0:npf] while it runs (fastnn_panel_gemm_pf)."""
    if floating is float:
        fastnn_panel_gemm_pf_f(M, K, A, lda, panel, ldp, accumulate, C, ldc, nc, pf, npf)
    else:
        fastnn_panel_gemm_pf_d(M, K, A, lda, panel, ldp, accumulate, C, ldc, nc, pf, npf)


cdef inline void pack_panels(const floating *w, Py_ssize_t k_stride, Py_ssize_t n_stride, Py_ssize_t K,
                             Py_ssize_t gates, Py_ssize_t H, Py_ssize_t nr, floating *dst) noexcept nogil:
    if floating is float:
        fastnn_pack_panels_f(w, k_stride, n_stride, K, gates, H, nr, dst)
    else:
        fastnn_pack_panels_d(w, k_stride, n_stride, K, gates, H, nr, dst)
