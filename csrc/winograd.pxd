# Fused-type front of csrc/winograd.h (Winograd F(2x2, 3x3) tile transforms).
from cython cimport floating

cdef extern from "winograd.h" nogil:
    void wino_input_f(const float* d, Py_ssize_t T, float* v, Py_ssize_t vs)
    void wino_input_d(const double* d, Py_ssize_t T, double* v, Py_ssize_t vs)
    void wino_grad_f(const float* g, Py_ssize_t T, float* z, Py_ssize_t zs, Py_ssize_t ts)
    void wino_grad_d(const double* g, Py_ssize_t T, double* z, Py_ssize_t zs, Py_ssize_t ts)
    void wino_output_f(const float* m, Py_ssize_t ms, Py_ssize_t T, float* y)
    void wino_output_d(const double* m, Py_ssize_t ms, Py_ssize_t T, double* y)


cdef inline void wino_input(const floating* d, Py_ssize_t T, floating* v, Py_ssize_t vs) noexcept nogil:
    if floating is float:
        wino_input_f(d, T, v, vs)
    else:
        wino_input_d(d, T, v, vs)


cdef inline void wino_grad(const floating* g, Py_ssize_t T, floating* z, Py_ssize_t zs, Py_ssize_t ts) noexcept nogil:
    if floating is float:
        wino_grad_f(g, T, z, zs, ts)
    else:
        wino_grad_d(g, T, z, zs, ts)


cdef inline void wino_output(const floating* m, Py_ssize_t ms, Py_ssize_t T, floating* y) noexcept nogil:
    if floating is float:
        wino_output_f(m, ms, T, y)
    else:
        wino_output_d(m, ms, T, y)
