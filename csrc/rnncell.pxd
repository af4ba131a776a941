# Fused-type front of csrc/rnncell.h: the header has one C function per precision
# (the float ones use float-only SIMD), so each wrapper's `floating is float` switch
# picks the matching C function, and the recurrent loops in rnn.pyx need none.
# Every function works on the hidden units [j0, j1) of a (B, H) block.
from cython cimport floating

cdef extern from "rnncell.h" nogil:
    void lstm_step_fwd_f(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, float *a, const float *bias,
                         const float *c_prev, float *c, float *h, Py_ssize_t ldh)
    void lstm_step_fwd_d(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, double *a, const double *bias,
                         const double *c_prev, double *c, double *h, Py_ssize_t ldh)
    void lstm_step_bwd_f(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const float *a,
                         const float *c_prev, const float *c, const float *dh_next, const float *grad_out,
                         Py_ssize_t ldgo, float *dc, float *da, Py_ssize_t ldda, float *gb)
    void lstm_step_bwd_d(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const double *a,
                         const double *c_prev, const double *c, const double *dh_next, const double *grad_out,
                         Py_ssize_t ldgo, double *dc, double *da, Py_ssize_t ldda, double *gb)
    void gru_step_fwd_f(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const float *xp, const float *hh,
                        const float *b_ih, const float *b_hh, const float *h_prev, float *gates, float *h)
    void gru_step_fwd_d(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const double *xp,
                        const double *hh, const double *b_ih, const double *b_hh, const double *h_prev,
                        double *gates, double *h)
    void gru_step_bwd_f(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const float *gates,
                        const float *h_prev, const float *dh_next, const float *grad_out, float *dgi, float *dgh,
                        float *dh_prev)
    void gru_step_bwd_d(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const double *gates,
                        const double *h_prev, const double *dh_next, const double *grad_out, double *dgi,
                        double *dgh, double *dh_prev)
    void rnn_step_fwd_f(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const float *a, const float *bias,
                        int relu, float *h)
    void rnn_step_fwd_d(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const double *a,
                        const double *bias, int relu, double *h)
    void rnn_step_bwd_f(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const float *h,
                        const float *dh_next, const float *grad_out, int relu, float *da)
    void rnn_step_bwd_d(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const double *h,
                        const double *dh_next, const double *grad_out, int relu, double *da)


cdef inline void lstm_step_fwd(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, floating *a,
                               const floating *bias, const floating *c_prev, floating *c,
                               floating *h, Py_ssize_t ldh) noexcept nogil:
    if floating is float:
        lstm_step_fwd_f(B, H, j0, j1, a, bias, c_prev, c, h, ldh)
    else:
        lstm_step_fwd_d(B, H, j0, j1, a, bias, c_prev, c, h, ldh)


cdef inline void lstm_step_bwd(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const floating *a,
                               const floating *c_prev, const floating *c, const floating *dh_next,
                               const floating *grad_out, Py_ssize_t ldgo, floating *dc, floating *da,
                               Py_ssize_t ldda, floating *gb) noexcept nogil:
    if floating is float:
        lstm_step_bwd_f(B, H, j0, j1, a, c_prev, c, dh_next, grad_out, ldgo, dc, da, ldda, gb)
    else:
        lstm_step_bwd_d(B, H, j0, j1, a, c_prev, c, dh_next, grad_out, ldgo, dc, da, ldda, gb)


cdef inline void gru_step_fwd(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const floating *xp,
                              const floating *hh, const floating *b_ih, const floating *b_hh,
                              const floating *h_prev, floating *gates, floating *h) noexcept nogil:
    if floating is float:
        gru_step_fwd_f(B, H, j0, j1, xp, hh, b_ih, b_hh, h_prev, gates, h)
    else:
        gru_step_fwd_d(B, H, j0, j1, xp, hh, b_ih, b_hh, h_prev, gates, h)


cdef inline void gru_step_bwd(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const floating *gates,
                              const floating *h_prev, const floating *dh_next, const floating *grad_out,
                              floating *dgi, floating *dgh, floating *dh_prev) noexcept nogil:
    if floating is float:
        gru_step_bwd_f(B, H, j0, j1, gates, h_prev, dh_next, grad_out, dgi, dgh, dh_prev)
    else:
        gru_step_bwd_d(B, H, j0, j1, gates, h_prev, dh_next, grad_out, dgi, dgh, dh_prev)


cdef inline void rnn_step_fwd(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const floating *a,
                              const floating *bias, int relu, floating *h) noexcept nogil:
    if floating is float:
        rnn_step_fwd_f(B, H, j0, j1, a, bias, relu, h)
    else:
        rnn_step_fwd_d(B, H, j0, j1, a, bias, relu, h)


cdef inline void rnn_step_bwd(Py_ssize_t B, Py_ssize_t H, Py_ssize_t j0, Py_ssize_t j1, const floating *h,
                              const floating *dh_next, const floating *grad_out, int relu,
                              floating *da) noexcept nogil:
    if floating is float:
        rnn_step_bwd_f(B, H, j0, j1, h, dh_next, grad_out, relu, da)
    else:
        rnn_step_bwd_d(B, H, j0, j1, h, dh_next, grad_out, relu, da)
