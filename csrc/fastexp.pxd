# The project's one exponential (fastexp.h): fastnn_expf for float32, libm's exp for float64.
from cython cimport floating

cdef extern from "fastexp.h" nogil:
    float fastnn_expf(float x)
    double fastnn_exp(double x)
    void fastnn_expf_inplace(float *x, Py_ssize_t n)
    void fastnn_exp_inplace(double *x, Py_ssize_t n)


cdef inline void exp_inplace(floating *x, Py_ssize_t n) noexcept nogil:
    """x[i] = exp(x[i]) for i < n, contiguous."""
    if floating is float:
        fastnn_expf_inplace(x, n)
    else:
        fastnn_exp_inplace(x, n)
