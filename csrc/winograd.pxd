# Fused-type front of csrc/winograd.h (Winograd F(2x2, 3x3) tile transforms over a segment of
# one tile row).
from cython cimport floating

cdef extern from "winograd.h" nogil:
    void wino_input_f(const float* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t y, Py_ssize_t x,
                      Py_ssize_t nt, float* v, Py_ssize_t vs, float* buf)
    void wino_input_d(const double* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t y, Py_ssize_t x,
                      Py_ssize_t nt, double* v, Py_ssize_t vs, double* buf)
    void wino_grad_f(const float* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t y, Py_ssize_t x,
                     Py_ssize_t nt, float* z, Py_ssize_t zs, float* buf)
    void wino_grad_d(const double* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t y, Py_ssize_t x,
                     Py_ssize_t nt, double* z, Py_ssize_t zs, double* buf)
    void wino_regroup_f(const float* zg, Py_ssize_t zs, Py_ssize_t T, Py_ssize_t ng, float* z, Py_ssize_t z_stride,
                        Py_ssize_t cp)
    void wino_regroup_d(const double* zg, Py_ssize_t zs, Py_ssize_t T, Py_ssize_t ng, double* z,
                        Py_ssize_t z_stride, Py_ssize_t cp)
    int wino_output_f(const float* m, Py_ssize_t ms, Py_ssize_t nt, float bias, float* plane,
                       Py_ssize_t H, Py_ssize_t W, Py_ssize_t y, Py_ssize_t x, float* buf)
    int wino_output_d(const double* m, Py_ssize_t ms, Py_ssize_t nt, double bias, double* plane,
                       Py_ssize_t H, Py_ssize_t W, Py_ssize_t y, Py_ssize_t x, double* buf)


cdef inline void wino_input(const floating* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t y, Py_ssize_t x,
                            Py_ssize_t nt, floating* v, Py_ssize_t vs, floating* buf) noexcept nogil:
    if floating is float:
        wino_input_f(plane, H, W, y, x, nt, v, vs, buf)
    else:
        wino_input_d(plane, H, W, y, x, nt, v, vs, buf)


cdef inline void wino_grad(const floating* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t y, Py_ssize_t x,
                           Py_ssize_t nt, floating* z, Py_ssize_t zs, floating* buf) noexcept nogil:
    if floating is float:
        wino_grad_f(plane, H, W, y, x, nt, z, zs, buf)
    else:
        wino_grad_d(plane, H, W, y, x, nt, z, zs, buf)


cdef inline int wino_output(const floating* m, Py_ssize_t ms, Py_ssize_t nt, floating bias, floating* plane,
                            Py_ssize_t H, Py_ssize_t W, Py_ssize_t y, Py_ssize_t x, floating* buf) noexcept nogil:
    """Returns 1 if an output of these tiles is inf or NaN."""
    if floating is float:
        return wino_output_f(m, ms, nt, bias, plane, H, W, y, x, buf)
    else:
        return wino_output_d(m, ms, nt, bias, plane, H, W, y, x, buf)


cdef inline void wino_regroup(const floating* zg, Py_ssize_t zs, Py_ssize_t T, Py_ssize_t ng, floating* z,
                              Py_ssize_t z_stride, Py_ssize_t cp) noexcept nogil:
    """z[xi*z_stride + t*cp + k] = zg[k*zs + xi*T + t] for xi < 16, t < T, k < ng."""
    if floating is float:
        wino_regroup_f(zg, zs, T, ng, z, z_stride, cp)
    else:
        wino_regroup_d(zg, zs, T, ng, z, z_stride, cp)
