# Fused-type front of csrc/directconv.h. The header instantiates each kernel once per
# precision (vector widths and register blocks differ), so each wrapper's
# `floating is float` switch picks the matching C function; the drivers need none.
from cython cimport floating

cdef extern from "directconv.h" nogil:
    int FNN_DC_PAD
    int FNN_DC_WLANES
    Py_ssize_t direct_acc_block()
    Py_ssize_t direct_wgrad_block()
    void direct_acc_f(const float* xp, Py_ssize_t cin, Py_ssize_t ps, const float* w, Py_ssize_t cout,
                      const Py_ssize_t* off, Py_ssize_t taps, float* acc, Py_ssize_t L)
    void direct_acc_d(const double* xp, Py_ssize_t cin, Py_ssize_t ps, const double* w, Py_ssize_t cout,
                      const Py_ssize_t* off, Py_ssize_t taps, double* acc, Py_ssize_t L)
    void direct_scatter_f(const float* g, Py_ssize_t cout, const float* wt, Py_ssize_t cin, const Py_ssize_t* off,
                          Py_ssize_t taps, float* acc, Py_ssize_t ps, Py_ssize_t L)
    void direct_scatter_d(const double* g, Py_ssize_t cout, const double* wt, Py_ssize_t cin, const Py_ssize_t* off,
                          Py_ssize_t taps, double* acc, Py_ssize_t ps, Py_ssize_t L)
    void direct_wgrad_f(const float* xp, Py_ssize_t cin, Py_ssize_t ps, Py_ssize_t xs, const float* g, Py_ssize_t cout,
                        Py_ssize_t gs, Py_ssize_t nimg, const Py_ssize_t* off, Py_ssize_t taps, float* gw, Py_ssize_t L)
    void direct_wgrad_d(const double* xp, Py_ssize_t cin, Py_ssize_t ps, Py_ssize_t xs, const double* g, Py_ssize_t cout,
                        Py_ssize_t gs, Py_ssize_t nimg, const Py_ssize_t* off, Py_ssize_t taps, double* gw, Py_ssize_t L)


cdef inline void direct_acc(const floating* xp, Py_ssize_t cin, Py_ssize_t ps, const floating* w, Py_ssize_t cout,
                            const Py_ssize_t* off, Py_ssize_t taps, floating* acc, Py_ssize_t L) noexcept nogil:
    if floating is float:
        direct_acc_f(xp, cin, ps, w, cout, off, taps, acc, L)
    else:
        direct_acc_d(xp, cin, ps, w, cout, off, taps, acc, L)


cdef inline void direct_scatter(const floating* g, Py_ssize_t cout, const floating* wt, Py_ssize_t cin,
                                const Py_ssize_t* off, Py_ssize_t taps, floating* acc, Py_ssize_t ps,
                                Py_ssize_t L) noexcept nogil:
    if floating is float:
        direct_scatter_f(g, cout, wt, cin, off, taps, acc, ps, L)
    else:
        direct_scatter_d(g, cout, wt, cin, off, taps, acc, ps, L)


cdef inline void direct_wgrad(const floating* xp, Py_ssize_t cin, Py_ssize_t ps, Py_ssize_t xs, const floating* g,
                              Py_ssize_t cout, Py_ssize_t gs, Py_ssize_t nimg, const Py_ssize_t* off,
                              Py_ssize_t taps, floating* gw, Py_ssize_t L) noexcept nogil:
    if floating is float:
        direct_wgrad_f(xp, cin, ps, xs, g, cout, gs, nimg, off, taps, gw, L)
    else:
        direct_wgrad_d(xp, cin, ps, xs, g, cout, gs, nimg, off, taps, gw, L)
