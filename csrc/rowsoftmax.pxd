# Row softmax kernels (C, vectorisable), dispatched over float/double.
from cython cimport floating

cdef extern from "rowsoftmax.h" nogil:
    void fastnn_prefetch_bytes(const void* p, Py_ssize_t nbytes)
    void fastnn_prefetch_bytes_w(void* p, Py_ssize_t nbytes)
    bint fastnn_row_streamable_f32(const float* out, Py_ssize_t C)
    void fastnn_stream_fence()
    void fastnn_softmax_row_f32(const float* x, float* out, Py_ssize_t C, float scale, const float* mask, int log_output,
                                int stream)
    void fastnn_softmax_row_f64(const double* x, double* out, Py_ssize_t C, double scale, const double* mask, int log_output)
    float fastnn_attention_row_f32(float* s, Py_ssize_t C, Py_ssize_t active, float scale, const float* mask)
    double fastnn_attention_row_f64(double* s, Py_ssize_t C, Py_ssize_t active, double scale, const double* mask)
    float fastnn_attention_online_row_f32(float* s, Py_ssize_t C, Py_ssize_t active, float scale,
                                          const float* mask, double* m_run, double* l_run)
    double fastnn_attention_online_row_f64(double* s, Py_ssize_t C, Py_ssize_t active, double scale,
                                           const double* mask, double* m_run, double* l_run)
    void fastnn_attention_probs_row_f32(float* s, Py_ssize_t C, Py_ssize_t active, float scale, const float* mask,
                                        double lse)
    void fastnn_attention_probs_row_f64(double* s, Py_ssize_t C, Py_ssize_t active, double scale,
                                        const double* mask, double lse)
    void fastnn_softmax_row_backward_f32(const float* y, const float* g, float* gx, Py_ssize_t C, float scale, int log_output,
                                         int stream)
    void fastnn_softmax_row_backward_f64(const double* y, const double* g, double* gx, Py_ssize_t C, double scale, int log_output)
    void fastnn_attention_grad_row_f32(const float* p, float* dp, Py_ssize_t C, float scale, float delta)
    void fastnn_attention_grad_row_f64(const double* p, double* dp, Py_ssize_t C, double scale, double delta)
    void fastnn_scale_row_f32(float* x, Py_ssize_t n, float a)
    void fastnn_scale_row_f64(double* x, Py_ssize_t n, double a)
    void fastnn_ce_row_backward_f32(const float* logp, const float* w, float* gx, Py_ssize_t C, float a, float b)
    void fastnn_ce_row_backward_f64(const double* logp, const double* w, double* gx, Py_ssize_t C, double a, double b)


cdef inline void softmax_row(const floating* x, floating* out, Py_ssize_t C, double scale,
                             const floating* mask, bint log_output, bint stream=False) noexcept nogil:
    """stream: a wish for non-temporal stores of out (float32 only; see rowsoftmax_avx512.h)."""
    if floating is float:
        fastnn_softmax_row_f32(x, out, C, <float>scale, mask, log_output, stream)
    else:
        fastnn_softmax_row_f64(x, out, C, scale, mask, log_output)


cdef inline double attention_row(floating* s, Py_ssize_t C, Py_ssize_t active, double scale,
                                 const floating* mask) noexcept nogil:
    """In place: softmax over the first `active` columns, zeros after; returns the log-sum-exp."""
    if floating is float:
        return fastnn_attention_row_f32(s, C, active, <float>scale, mask)
    else:
        return fastnn_attention_row_f64(s, C, active, scale, mask)


cdef inline double attention_online_row(floating* s, Py_ssize_t C, Py_ssize_t active, double scale,
                                        const floating* mask, double* m_run, double* l_run) noexcept nogil:
    """One key tile of the online softmax (in place); returns the factor for the running output."""
    if floating is float:
        return fastnn_attention_online_row_f32(s, C, active, <float>scale, mask, m_run, l_run)
    else:
        return fastnn_attention_online_row_f64(s, C, active, scale, mask, m_run, l_run)


cdef inline void attention_probs_row(floating* s, Py_ssize_t C, Py_ssize_t active, double scale,
                                     const floating* mask, double lse) noexcept nogil:
    """One row of weights recomputed in place from logits and the saved log-sum-exp."""
    if floating is float:
        fastnn_attention_probs_row_f32(s, C, active, <float>scale, mask, lse)
    else:
        fastnn_attention_probs_row_f64(s, C, active, scale, mask, lse)


cdef inline void softmax_row_backward(const floating* y, const floating* g, floating* gx,
                                      Py_ssize_t C, double scale, bint log_output, bint stream=False) noexcept nogil:
    if floating is float:
        fastnn_softmax_row_backward_f32(y, g, gx, C, <float>scale, log_output, stream)
    else:
        fastnn_softmax_row_backward_f64(y, g, gx, C, scale, log_output)


cdef inline void ce_row_backward(const floating* logp, const floating* w, floating* gx, Py_ssize_t C,
                                 double a, double b) noexcept nogil:
    """gx = a * exp(logp) - b * w over one row."""
    if floating is float:
        fastnn_ce_row_backward_f32(logp, w, gx, C, <float>a, <float>b)
    else:
        fastnn_ce_row_backward_f64(logp, w, gx, C, a, b)


cdef inline void attention_grad_row(const floating* p, floating* dp, Py_ssize_t C, double scale,
                                    double delta) noexcept nogil:
    """In place: dp = scale * p * (dp - delta), in the row's own precision."""
    if floating is float:
        fastnn_attention_grad_row_f32(p, dp, C, <float>scale, <float>delta)
    else:
        fastnn_attention_grad_row_f64(p, dp, C, scale, delta)


cdef inline void scale_row(floating* x, Py_ssize_t n, double a) noexcept nogil:
    """x *= a over n values."""
    if floating is float:
        fastnn_scale_row_f32(x, n, <float>a)
    else:
        fastnn_scale_row_f64(x, n, a)
