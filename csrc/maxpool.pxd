# Fused-type front of csrc/maxpool.h, which instantiates its plane loop once per
# precision: the `floating is float` switch picks the matching C function.
from cython cimport floating

cdef extern from "maxpool.h" nogil:
    void maxpool_plane_f(const float *x, Py_ssize_t H, Py_ssize_t W, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh,
                         Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho,
                         Py_ssize_t wo, float *out, long long *idx)
    void maxpool_plane_d(const double *x, Py_ssize_t H, Py_ssize_t W, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh,
                         Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho,
                         Py_ssize_t wo, double *out, long long *idx)


cdef inline void maxpool_plane(const floating *x, Py_ssize_t H, Py_ssize_t W, Py_ssize_t kh, Py_ssize_t kw,
                               Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh,
                               Py_ssize_t dw, Py_ssize_t ho, Py_ssize_t wo, floating *out,
                               long long *idx) noexcept nogil:
    if floating is float:
        maxpool_plane_f(x, H, W, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, out, idx)
    else:
        maxpool_plane_d(x, H, W, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, out, idx)
