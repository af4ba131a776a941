# Fused-type front of csrc/skinnygemm.h: the products of a fully connected layer with few outputs,
# each reading x once (forward, gradient of the input, gradient of the weight), for float and double.
from cython cimport floating

cdef extern from "llcache.h" nogil:
    long fastnn_llc_bytes()

cdef extern from "skinnygemm.h" nogil:
    Py_ssize_t fastnn_skinny_stream_bytes
    int fastnn_skinny_forward_f(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const float *x, const float *w,
                                const float *bias, float *out, int threads)
    int fastnn_skinny_forward_d(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const double *x, const double *w,
                                const double *bias, double *out, int threads)
    int fastnn_skinny_grad_input_f(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const float *g, const float *w,
                                   float *gx, int threads)
    int fastnn_skinny_grad_input_d(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const double *g, const double *w,
                                   double *gx, int threads)
    int fastnn_skinny_grad_weight_f(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const float *x, const float *g,
                                    float *gw, int threads)
    int fastnn_skinny_grad_weight_d(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const double *x, const double *g,
                                    double *gw, int threads)


cdef inline int skinny_forward(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const floating *x, const floating *w,
                               const floating *bias, floating *out, int threads) noexcept nogil:
    """out (M, N) = x (M, K) @ w (N, K)^T (+ bias (N,), or NULL); -1 if out of memory."""
    if floating is float:
        return fastnn_skinny_forward_f(M, K, N, x, w, bias, out, threads)
    else:
        return fastnn_skinny_forward_d(M, K, N, x, w, bias, out, threads)


cdef inline int skinny_grad_input(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const floating *g, const floating *w,
                                  floating *gx, int threads) noexcept nogil:
    """gx (M, K) = g (M, N) @ w (N, K); -1 if out of memory."""
    if floating is float:
        return fastnn_skinny_grad_input_f(M, K, N, g, w, gx, threads)
    else:
        return fastnn_skinny_grad_input_d(M, K, N, g, w, gx, threads)


cdef inline int skinny_grad_weight(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const floating *x, const floating *g,
                                   floating *gw, int threads) noexcept nogil:
    """gw (N, K) = g (M, N)^T @ x (M, K); -1 if out of memory."""
    if floating is float:
        return fastnn_skinny_grad_weight_f(M, K, N, x, g, gw, threads)
    else:
        return fastnn_skinny_grad_weight_d(M, K, N, x, g, gw, threads)
